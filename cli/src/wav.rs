//! WAV input and output (hound), streamed block by block so memory does not grow with a file's
//! length: 8/16/24/32-bit integer and 32-bit float in, 32-bit float or the input's format out,
//! always through a temporary file renamed into place when complete.

use std::fs;
use std::io::Read;
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

/// What a WAV file's header says (and, once read to the end, how long it really was).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavInfo {
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Channels per frame.
    pub channels: usize,
    /// The file's sample format.
    pub format: SampleFormat,
    /// Frames per channel.
    pub frames: usize,
}

impl WavInfo {
    /// Length, seconds.
    pub fn seconds(&self) -> f64 {
        self.frames as f64 / f64::from(self.sample_rate_hz.max(1))
    }
}

/// Full-scale magnitude of a `bits`-bit integer sample (2^(bits−1)).
fn int_scale(bits: u16) -> f32 {
    (1u64 << (bits - 1)) as f32
}

/// A WAV file read block by block. Samples are decoded from the data chunk's bytes directly
/// (hound reads the header), to the same values hound's sample reader gives.
pub struct WavInput {
    /// The file, positioned at the next sample of the data chunk.
    data: std::io::BufReader<fs::File>,
    /// The path, for error messages.
    name: String,
    info: WavInfo,
    /// Bytes each sample takes in the file (the container; 24-bit samples may take 4).
    bytes_per_sample: usize,
    /// Frames delivered so far.
    frames_read: usize,
    /// One block's bytes.
    raw: Vec<u8>,
}

impl WavInput {
    /// Opens a WAV file and checks its format; every failure is a one-line error naming it.
    pub fn open(path: &Path) -> Result<Self, CliError> {
        let name = path.display().to_string();
        let reader = hound::WavReader::open(path).map_err(|e| match e {
            hound::Error::IoError(io) if io.kind() == std::io::ErrorKind::NotFound => {
                CliError::input(format!("cannot open '{name}': no such file"))
            }
            hound::Error::IoError(io) => CliError::input(format!("cannot read '{name}': {io}")),
            other => CliError::input(format!("'{name}' is not a usable WAV file ({other})")),
        })?;
        let spec = reader.spec();
        let channels = usize::from(spec.channels);
        if channels == 0 {
            return Err(CliError::input(format!("'{name}' has no channels")));
        }
        let bytes_per_sample = container_bytes(path)
            .map_err(|e| CliError::input(format!("cannot read '{name}': {e}")))?;
        let format = match (spec.sample_format, bytes_per_sample, spec.bits_per_sample) {
            (hound::SampleFormat::Float, 4, 32) => SampleFormat::Float32,
            (hound::SampleFormat::Int, 1, 8)
            | (hound::SampleFormat::Int, 2, 16)
            | (hound::SampleFormat::Int, 3 | 4, 24)
            | (hound::SampleFormat::Int, 4, 32) => SampleFormat::Int(spec.bits_per_sample),
            (kind, _, bits) => {
                return Err(CliError::input(format!(
                    "'{name}': unsupported sample format ({bits}-bit {kind:?} in {bytes_per_sample} bytes)"
                )))
            }
        };
        // A trailing partial frame is not a frame.
        let frames = reader.len() as usize / channels;
        Ok(Self {
            data: reader.into_inner(),
            name,
            info: WavInfo {
                sample_rate_hz: spec.sample_rate,
                channels,
                format,
                frames,
            },
            bytes_per_sample,
            frames_read: 0,
            raw: Vec::new(),
        })
    }

    /// The file as its header describes it.
    pub fn info(&self) -> WavInfo {
        self.info
    }

    /// Reads up to `max_frames` frames into `channels` (one buffer per file channel, refilled
    /// from the start; full scale = 1.0); returns how many were read, 0 at the end.
    pub fn read_block(
        &mut self,
        channels: &mut [Vec<f32>],
        max_frames: usize,
    ) -> Result<usize, CliError> {
        let frames = max_frames.min(self.info.frames - self.frames_read);
        let frame_bytes = self.bytes_per_sample * self.info.channels;
        self.raw.resize(frames * frame_bytes, 0);
        self.data.read_exact(&mut self.raw).map_err(|e| {
            CliError::input(format!("'{}' is truncated or corrupt ({e})", self.name))
        })?;
        for ch in channels.iter_mut() {
            ch.clear();
        }
        let raw = &self.raw;
        let n = self.bytes_per_sample;
        match (self.info.format, n) {
            (SampleFormat::Float32, _) => deinterleave(raw, n, channels, |b| {
                f32::from_le_bytes([b[0], b[1], b[2], b[3]])
            }),
            (SampleFormat::Int(bits), _) => {
                let scale = int_scale(bits);
                // Little-endian signed integers, except 8-bit samples, which are unsigned.
                match n {
                    1 => deinterleave(raw, n, channels, |b| (i32::from(b[0]) - 128) as f32 / scale),
                    2 => deinterleave(raw, n, channels, |b| {
                        f32::from(i16::from_le_bytes([b[0], b[1]])) / scale
                    }),
                    // 24 bits in three bytes, or in the low three of four: sign-extended.
                    3 | 4 if bits == 24 => deinterleave(raw, n, channels, |b| {
                        (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / scale
                    }),
                    _ => deinterleave(raw, n, channels, |b| {
                        i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 / scale
                    }),
                }
            }
        }
        self.frames_read += frames;
        Ok(frames)
    }
}

/// Bytes each sample takes in a WAV file hound has accepted: the fmt chunk's block align over
/// its channel count (hound does not tell; a 24-bit sample may sit in 3 or 4 bytes).
fn container_bytes(path: &Path) -> std::io::Result<usize> {
    use std::io::{Seek, SeekFrom};
    let mut file = std::io::BufReader::new(fs::File::open(path)?);
    // "RIFF", its length, "WAVE", then chunks: id, length (LE), body padded to even length.
    file.seek(SeekFrom::Start(12))?;
    loop {
        let mut header = [0u8; 8];
        file.read_exact(&mut header)?;
        let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if &header[..4] == b"fmt " {
            // Format tag, channels, rate, bytes per second, block align.
            let mut fmt = [0u8; 14];
            file.read_exact(&mut fmt)?;
            let channels = u16::from_le_bytes([fmt[2], fmt[3]]).max(1);
            let block_align = u16::from_le_bytes([fmt[12], fmt[13]]);
            return Ok(usize::from(block_align / channels));
        }
        file.seek_relative(i64::from(len) + i64::from(len & 1))?;
    }
}

/// Appends the interleaved frames of `raw` (samples of `bytes` bytes each) to `channels`, one
/// per file channel, each sample converted by `to_f32`.
#[inline(always)]
fn deinterleave(
    raw: &[u8],
    bytes: usize,
    channels: &mut [Vec<f32>],
    to_f32: impl Fn(&[u8]) -> f32,
) {
    let frame_bytes = bytes * channels.len();
    for frame in raw.chunks_exact(frame_bytes) {
        for (ch, sample) in channels.iter_mut().zip(frame.chunks_exact(bytes)) {
            ch.push(to_f32(sample));
        }
    }
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

/// A WAV file written block by block to a pending file: integer formats round to the nearest
/// step and clip at full scale; there is no dither. [`WavOutput::finish`] fills in the
/// header's sizes.
pub struct WavOutput {
    // Declared first so it drops (closing the file) before the pending file deletes it.
    writer: hound::WavWriter<std::io::BufWriter<fs::File>>,
    pending: PendingFile,
    format: SampleFormat,
}

impl WavOutput {
    /// Starts a WAV for `dest` with `channels` channels at `sample_rate_hz` in `format`.
    pub fn create(
        dest: &Path,
        sample_rate_hz: u32,
        channels: u16,
        format: SampleFormat,
    ) -> Result<Self, CliError> {
        let pending = PendingFile::for_dest(dest);
        let spec = hound::WavSpec {
            channels,
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
        let writer =
            hound::WavWriter::create(&pending.temp, spec).map_err(|e| write_error(dest, e))?;
        Ok(Self {
            writer,
            pending,
            format,
        })
    }

    /// Appends one block: `channels` of equal length, one per channel of the file.
    pub fn write_block(&mut self, channels: &[&[f32]]) -> Result<(), CliError> {
        let frames = channels.first().map_or(0, |c| c.len());
        for i in 0..frames {
            for ch in channels {
                let written = match self.format {
                    SampleFormat::Float32 => self.writer.write_sample(ch[i]),
                    SampleFormat::Int(bits) => {
                        let scale = f64::from(int_scale(bits));
                        let q = (f64::from(ch[i]) * scale).round();
                        self.writer
                            .write_sample(q.clamp(-scale, scale - 1.0) as i32)
                    }
                };
                written.map_err(|e| write_error(&self.pending.dest, e))?;
            }
        }
        Ok(())
    }

    /// Completes the header; the file then waits to be renamed into place.
    pub fn finish(self) -> Result<PendingFile, CliError> {
        let Self {
            writer, pending, ..
        } = self;
        writer
            .finalize()
            .map_err(|e| write_error(&pending.dest, e))?;
        Ok(pending)
    }
}

/// The one-line error for a failed write to `dest`.
fn write_error(dest: &Path, e: hound::Error) -> CliError {
    CliError::output(format!("cannot write '{}': {e}", dest.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("cuewire-wav-{tag}-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Writes `channels` as one file in `format` and commits it.
    fn write(path: &Path, channels: &[&[f32]], format: SampleFormat) {
        let mut out = WavOutput::create(path, 44_100, channels.len() as u16, format).unwrap();
        out.write_block(channels).unwrap();
        out.finish().unwrap().commit().unwrap();
    }

    #[test]
    fn int_formats_round_trip_exactly_in_any_blocks() {
        let dir = temp_dir("rt");
        for bits in [16u16, 24] {
            let scale = int_scale(bits);
            let ch: Vec<f32> = [-scale, -1.0, 0.0, 1.0, 12345.0, scale - 1.0, 7.0]
                .iter()
                .map(|v| v / scale)
                .collect();
            let other: Vec<f32> = ch.iter().rev().copied().collect();
            let path = dir.join(format!("t{bits}.wav"));
            write(&path, &[&ch, &other], SampleFormat::Int(bits));
            let mut input = WavInput::open(&path).unwrap();
            let info = input.info();
            assert_eq!(info.format, SampleFormat::Int(bits));
            assert_eq!(
                (info.sample_rate_hz, info.channels, info.frames),
                (44_100, 2, 7)
            );
            let mut got = [Vec::new(), Vec::new()];
            let mut block = [Vec::new(), Vec::new()];
            // Blocks of 3 frames: 3 + 3 + 1, then the end.
            for want in [3, 3, 1, 0] {
                assert_eq!(input.read_block(&mut block, 3).unwrap(), want);
                for (g, b) in got.iter_mut().zip(&block) {
                    assert_eq!(b.len(), want);
                    g.extend_from_slice(b);
                }
            }
            assert_eq!(got, [ch, other]);
        }
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn uncommitted_files_leave_nothing_behind() {
        let dir = temp_dir("drop");
        let path = dir.join("x.wav");
        let mut out = WavOutput::create(&path, 48_000, 1, SampleFormat::Float32).unwrap();
        out.write_block(&[&[0.5, -0.5]]).unwrap();
        assert!(out.pending.temp.exists());
        // Dropped mid-way (an error elsewhere) or finished but not committed: both vanish.
        drop(out);
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        let out = WavOutput::create(&path, 48_000, 1, SampleFormat::Float32).unwrap();
        drop(out.finish().unwrap());
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn every_format_decodes_to_the_values_hounds_sample_reader_gives() {
        let dir = temp_dir("formats");
        // (sample format, bits, bytes per sample in the file)
        let formats = [
            (hound::SampleFormat::Int, 8, 1),
            (hound::SampleFormat::Int, 16, 2),
            (hound::SampleFormat::Int, 24, 3),
            (hound::SampleFormat::Int, 24, 4),
            (hound::SampleFormat::Int, 32, 4),
            (hound::SampleFormat::Float, 32, 4),
        ];
        for (kind, bits, bytes) in formats {
            let path = dir.join(format!("{kind:?}{bits}in{bytes}.wav"));
            let spec = hound::WavSpec {
                channels: 3,
                sample_rate: 8_000,
                bits_per_sample: bits,
                sample_format: kind,
            };
            let spec_ex = hound::WavSpecEx {
                spec,
                bytes_per_sample: bytes,
            };
            let file = std::io::BufWriter::new(fs::File::create(&path).unwrap());
            let mut w = hound::WavWriter::new_with_spec_ex(file, spec_ex).unwrap();
            let top = (1i64 << (bits - 1)) - 1;
            // Both ends, zero, odd values, 11 frames of 3 channels.
            let ints: Vec<i64> = (0..33).map(|i| (i * 7919 % (2 * top + 1)) - top).collect();
            for (i, &v) in ints.iter().enumerate() {
                match kind {
                    hound::SampleFormat::Float => w.write_sample(v as f32 / top as f32),
                    hound::SampleFormat::Int => match i {
                        0 => w.write_sample((-top - 1) as i32),
                        _ => w.write_sample(v as i32),
                    },
                }
                .unwrap();
            }
            w.finalize().unwrap();

            let mut reader = hound::WavReader::open(&path).unwrap();
            let want: Vec<f32> = match kind {
                hound::SampleFormat::Float => reader.samples::<f32>().map(Result::unwrap).collect(),
                hound::SampleFormat::Int => {
                    let scale = int_scale(bits);
                    reader
                        .samples::<i32>()
                        .map(|v| v.unwrap() as f32 / scale)
                        .collect()
                }
            };
            let mut input = WavInput::open(&path).unwrap();
            let mut got = vec![Vec::new(); 3];
            let mut block = vec![Vec::new(); 3];
            while input.read_block(&mut block, 4).unwrap() > 0 {
                for (g, b) in got.iter_mut().zip(&block) {
                    g.extend_from_slice(b);
                }
            }
            let interleaved: Vec<f32> = (0..11)
                .flat_map(|f| (0..3).map(move |c| (f, c)))
                .map(|(f, c)| got[c][f])
                .collect();
            assert_eq!(interleaved, want, "{kind:?} {bits} in {bytes}");
        }
        fs::remove_dir_all(dir).unwrap();
    }
}
