//! WAV input and output (hound): 8/16/24/32-bit integer and 32-bit float in, 32-bit float or
//! the input's format out, always through a temporary file renamed into place when complete.

use std::fs;
use std::path::{Path, PathBuf};

use crate::CliError;

/// A sample format of a WAV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleFormat {
    /// Signed integer PCM of this many bits.
    Int(u16),
    /// 32-bit IEEE float.
    Float32,
}

impl SampleFormat {
    /// "16-bit int", "32-bit float".
    pub fn describe(self) -> String {
        match self {
            SampleFormat::Int(bits) => format!("{bits}-bit int"),
            SampleFormat::Float32 => "32-bit float".to_string(),
        }
    }
}

/// A whole WAV file in memory, one `Vec` per channel, full scale = 1.0.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Samples per channel.
    pub channels: Vec<Vec<f32>>,
    /// The file's sample format.
    pub format: SampleFormat,
}

impl Audio {
    /// Frames per channel.
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    /// Length, seconds.
    pub fn seconds(&self) -> f64 {
        self.frames() as f64 / f64::from(self.sample_rate_hz.max(1))
    }
}

/// Full-scale magnitude of a `bits`-bit integer sample (2^(bits−1)).
fn int_scale(bits: u16) -> f32 {
    (1u64 << (bits - 1)) as f32
}

/// Reads a WAV file; every failure is a one-line error naming the file.
pub fn read(path: &Path) -> Result<Audio, CliError> {
    let name = path.display();
    let reader = hound::WavReader::open(path).map_err(|e| match e {
        hound::Error::IoError(io) if io.kind() == std::io::ErrorKind::NotFound => {
            CliError::input(format!("cannot open '{name}': no such file"))
        }
        hound::Error::IoError(io) => CliError::input(format!("cannot read '{name}': {io}")),
        other => CliError::input(format!("'{name}' is not a usable WAV file ({other})")),
    })?;
    let spec = reader.spec();
    let channel_count = usize::from(spec.channels);
    if channel_count == 0 {
        return Err(CliError::input(format!("'{name}' has no channels")));
    }
    let (format, interleaved): (SampleFormat, Result<Vec<f32>, hound::Error>) =
        match (spec.sample_format, spec.bits_per_sample) {
            (hound::SampleFormat::Float, 32) => (
                SampleFormat::Float32,
                reader.into_samples::<f32>().collect(),
            ),
            (hound::SampleFormat::Int, bits @ 8..=32) => {
                let scale = int_scale(bits);
                (
                    SampleFormat::Int(bits),
                    reader
                        .into_samples::<i32>()
                        .map(|s| s.map(|v| v as f32 / scale))
                        .collect(),
                )
            }
            (kind, bits) => {
                return Err(CliError::input(format!(
                    "'{name}': unsupported sample format ({bits}-bit {kind:?})"
                )))
            }
        };
    let interleaved = interleaved
        .map_err(|e| CliError::input(format!("'{name}' is truncated or corrupt ({e})")))?;
    let mut channels = vec![Vec::with_capacity(interleaved.len() / channel_count); channel_count];
    for frame in interleaved.chunks_exact(channel_count) {
        for (ch, &s) in channels.iter_mut().zip(frame) {
            ch.push(s);
        }
    }
    Ok(Audio {
        sample_rate_hz: spec.sample_rate,
        channels,
        format,
    })
}

/// A file written under a temporary name next to its destination: renamed into place by
/// [`PendingFile::commit`], deleted when dropped uncommitted (on any error), so no half-written
/// output is ever left behind.
#[derive(Debug)]
pub struct PendingFile {
    /// The temporary file.
    temp: PathBuf,
    /// Where it goes.
    dest: PathBuf,
    /// Whether it was renamed into place.
    committed: bool,
}

impl PendingFile {
    /// A pending file for `dest`: `.NAME.cuewire-tmp-PID` in the same directory, so the final
    /// rename never crosses a file system.
    fn for_dest(dest: &Path) -> Self {
        let file_name = dest
            .file_name()
            .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
        let temp = dest.with_file_name(format!(".{file_name}.cuewire-tmp-{}", std::process::id()));
        Self {
            temp,
            dest: dest.to_path_buf(),
            committed: false,
        }
    }

    /// The destination path.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Renames the file into place.
    pub fn commit(mut self) -> Result<(), CliError> {
        fs::rename(&self.temp, &self.dest).map_err(|e| {
            CliError::output(format!("cannot write '{}': {e}", self.dest.display()))
        })?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Commits every pending file, in order.
pub fn commit_all(files: Vec<PendingFile>) -> Result<(), CliError> {
    files.into_iter().try_for_each(PendingFile::commit)
}

/// Writes `bytes` to a pending file for `dest`.
pub fn write_bytes(dest: &Path, bytes: &[u8]) -> Result<PendingFile, CliError> {
    let pending = PendingFile::for_dest(dest);
    fs::write(&pending.temp, bytes)
        .map_err(|e| CliError::output(format!("cannot write '{}': {e}", dest.display())))?;
    Ok(pending)
}

/// Writes channels of equal length as a WAV in `format` to a pending file for `dest`. Integer
/// formats round to the nearest step and clip at full scale; there is no dither.
pub fn write(
    dest: &Path,
    sample_rate_hz: u32,
    channels: &[&[f32]],
    format: SampleFormat,
) -> Result<PendingFile, CliError> {
    let pending = PendingFile::for_dest(dest);
    let err = |e: hound::Error| CliError::output(format!("cannot write '{}': {e}", dest.display()));
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: sample_rate_hz,
        bits_per_sample: match format {
            SampleFormat::Int(bits) => bits,
            SampleFormat::Float32 => 32,
        },
        sample_format: match format {
            SampleFormat::Int(_) => hound::SampleFormat::Int,
            SampleFormat::Float32 => hound::SampleFormat::Float,
        },
    };
    let mut writer = hound::WavWriter::create(&pending.temp, spec).map_err(err)?;
    let frames = channels.first().map_or(0, |c| c.len());
    for i in 0..frames {
        for ch in channels {
            match format {
                SampleFormat::Float32 => writer.write_sample(ch[i]).map_err(err)?,
                SampleFormat::Int(bits) => {
                    let scale = int_scale(bits);
                    let q = (f64::from(ch[i]) * f64::from(scale)).round();
                    let q = q.clamp(-f64::from(scale), f64::from(scale) - 1.0) as i32;
                    writer.write_sample(q).map_err(err)?;
                }
            }
        }
    }
    writer.finalize().map_err(err)?;
    Ok(pending)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("cuewire-wav-{tag}-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn int_formats_round_trip_exactly() {
        let dir = temp_dir("rt");
        for bits in [16u16, 24] {
            let scale = int_scale(bits);
            let ch: Vec<f32> = [-scale, -1.0, 0.0, 1.0, 12345.0, scale - 1.0]
                .iter()
                .map(|v| v / scale)
                .collect();
            let path = dir.join(format!("t{bits}.wav"));
            write(&path, 44_100, &[&ch], SampleFormat::Int(bits))
                .unwrap()
                .commit()
                .unwrap();
            let audio = read(&path).unwrap();
            assert_eq!(audio.format, SampleFormat::Int(bits));
            assert_eq!(audio.sample_rate_hz, 44_100);
            assert_eq!(audio.channels, vec![ch]);
        }
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn uncommitted_files_leave_nothing_behind() {
        let dir = temp_dir("drop");
        let path = dir.join("x.wav");
        let pending = write(&path, 48_000, &[&[0.5, -0.5]], SampleFormat::Float32).unwrap();
        assert!(pending.temp.exists());
        drop(pending);
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        fs::remove_dir_all(dir).unwrap();
    }
}
