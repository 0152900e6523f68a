//! A progress bar on stderr for long files (hand-rolled: one line redrawn with `\r`), drawn
//! only when stderr is a terminal so logs and pipes get no carriage-return noise.

use std::io::{IsTerminal, Write};

/// Files shorter than this (seconds of audio) show no bar: they finish before one is useful.
pub const MIN_SECONDS_FOR_BAR: f64 = 5.0;
/// Width of the bar, characters.
const BAR_WIDTH: usize = 40;

/// A progress bar over a number of frames; silent when disabled.
pub struct Progress {
    /// Frames in the whole job.
    total_frames: usize,
    /// What is being done ("render", "analyze").
    label: &'static str,
    /// Whether anything is drawn.
    enabled: bool,
    /// Last percentage drawn, to redraw only on change.
    last_percent: Option<usize>,
}

impl Progress {
    /// A bar for `total_frames` frames at `sample_rate_hz`, drawn only when the audio is longer
    /// than [`MIN_SECONDS_FOR_BAR`], `quiet` is false and stderr is a terminal.
    pub fn new(label: &'static str, total_frames: usize, sample_rate_hz: u32, quiet: bool) -> Self {
        let seconds = total_frames as f64 / f64::from(sample_rate_hz.max(1));
        Self {
            total_frames,
            label,
            enabled: !quiet && seconds > MIN_SECONDS_FOR_BAR && std::io::stderr().is_terminal(),
            last_percent: None,
        }
    }

    /// Reports that `done_frames` frames are finished.
    pub fn update(&mut self, done_frames: usize) {
        if !self.enabled {
            return;
        }
        let percent = (done_frames * 100 / self.total_frames.max(1)).min(100);
        if self.last_percent == Some(percent) {
            return;
        }
        self.last_percent = Some(percent);
        let filled = percent * BAR_WIDTH / 100;
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} [{}{}] {percent:3}%",
            self.label,
            "#".repeat(filled),
            "-".repeat(BAR_WIDTH - filled)
        );
        let _ = err.flush();
    }

    /// Ends the bar's line.
    pub fn finish(&mut self) {
        if self.enabled && self.last_percent.is_some() {
            self.update(self.total_frames);
            eprintln!();
        }
    }
}
