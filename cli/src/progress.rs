//! A progress bar on stderr for long files (indicatif), drawn only when stderr is a terminal so
//! logs and pipes get no carriage-return noise.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Files shorter than this (seconds of audio) show no bar: they finish before one is useful.
pub const MIN_SECONDS_FOR_BAR: f64 = 5.0;

/// A progress bar over a number of frames; silent when disabled.
pub struct Progress {
    /// The bar, when one is drawn.
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar for `total_frames` frames at `sample_rate_hz` labelled with what is done
    /// ("render", "analyze"), drawn only when the audio is longer than [`MIN_SECONDS_FOR_BAR`],
    /// `quiet` is false and stderr is a terminal.
    pub fn new(label: &'static str, total_frames: usize, sample_rate_hz: u32, quiet: bool) -> Self {
        let seconds = total_frames as f64 / f64::from(sample_rate_hz.max(1));
        let shown = !quiet && seconds > MIN_SECONDS_FOR_BAR && std::io::stderr().is_terminal();
        let bar = shown.then(|| {
            let style = ProgressStyle::with_template("{msg} [{bar:40}] {percent:>3}% {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("#>-");
            ProgressBar::new(total_frames as u64)
                .with_style(style)
                .with_message(label)
        });
        Self { bar }
    }

    /// Reports that `done_frames` frames are finished.
    pub fn update(&mut self, done_frames: usize) {
        if let Some(bar) = &self.bar {
            bar.set_position(done_frames as u64);
        }
    }

    /// Draws the bar full and ends its line (indicatif leaves the cursor after the bar).
    pub fn finish(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish();
            eprintln!();
        }
    }
}
