//! Level meters for one channel: sample peak, RMS, held peak and clip events.

use super::window::HopWindow;
use super::{fmax, max_abs, CHUNK};
use crate::sanitise::{sanitise_rate_hz, sanitise_sample};

/// Default peak hold time in ms.
pub const DEFAULT_HOLD_MS: f32 = 2_000.0;
/// Shortest settable peak hold time in ms.
pub const HOLD_MS_MIN: f32 = 500.0;
/// Longest settable peak hold time in ms.
pub const HOLD_MS_MAX: f32 = 10_000.0;
/// Return speed of the held peak after the hold, in dB per second (20 dB per 1.7 s).
pub const RELEASE_DB_PER_S: f64 = 20.0 / 1.7;

/// Default consecutive full-scale samples (count) that make one clip event.
pub const DEFAULT_CLIP_RUN_SAMPLES: u32 = 3;
/// Settable range of the clip run length (count).
const CLIP_RUN_RANGE: (u32, u32) = (1, 10);

/// |x| at or above this (linear, 0 dBFS) is a full-scale sample.
const FULL_SCALE_LIN: f32 = 1.0;

/// Largest |sample| since the last read.
#[derive(Clone, Debug, Default)]
pub struct SamplePeakMeter {
    peak_lin: f32,
}

impl SamplePeakMeter {
    /// A meter that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Meters a block of any length.
    pub fn process(&mut self, x: &[f32]) {
        self.peak_lin = fmax(self.peak_lin, max_abs(x));
    }

    /// Folds in a peak (linear) measured elsewhere on the same samples.
    pub(crate) fn add_peak(&mut self, peak_lin: f32) {
        self.peak_lin = fmax(self.peak_lin, peak_lin);
    }

    /// Largest |sample| since the last read (linear); resets it.
    pub fn read(&mut self) -> f32 {
        std::mem::take(&mut self.peak_lin)
    }

    /// Forgets the peak.
    pub fn reset(&mut self) {
        self.peak_lin = 0.0;
    }
}

/// RMS over a 300 ms rectangular window (30 hops of 10 ms; refreshed once per hop).
#[derive(Clone, Debug)]
pub struct RmsMeter {
    window: HopWindow<1>,
}

impl RmsMeter {
    /// A meter at `sample_rate_hz` (Hz) whose window starts out silent.
    pub fn new(sample_rate_hz: f32) -> Self {
        Self {
            window: HopWindow::new(sample_rate_hz),
        }
    }

    /// Adopts `sample_rate_hz` (Hz) and clears the window.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        self.window.set_sample_rate(sample_rate_hz);
    }

    /// Window length in samples (300 ms rounded to whole 10 ms hops of whole samples).
    pub fn window_samples(&self) -> usize {
        self.window.window_samples()
    }

    /// Meters a block of any length.
    #[inline(always)]
    pub fn process(&mut self, x: &[f32]) {
        self.window.feed(x, x, |v, _| [v * v]);
    }

    /// Meters samples that are already sanitised (skips the second sanitising pass).
    #[inline(always)]
    pub(crate) fn process_clean(&mut self, clean: &[f32]) {
        self.window.feed_clean(clean, clean, |v, _| [v * v]);
    }

    /// RMS over the last 300 ms (linear).
    pub fn read_lin(&self) -> f32 {
        let [ms] = self.window.means();
        ms.max(0.0).sqrt() as f32
    }

    /// Clears the window (the RMS reads 0 until new signal arrives).
    pub fn reset(&mut self) {
        self.window.clear();
    }
}

/// Peak hold with a linear-in-dB return: a peak is held for the hold time, then falls at
/// [`RELEASE_DB_PER_S`]; a value above the current (possibly falling) reading takes over at
/// once. Exact per sample: the reading at sample t is `V · 10^(−rate·max(0, t − t₀ − hold)/20)`
/// for the last take-over (V, t₀), whatever the block sizes.
#[derive(Clone, Debug)]
pub struct HeldPeak {
    sample_rate_hz: f32,
    hold_ms: f32,
    hold_samples: u64,
    release_db_per_sample: f64,
    held_lin: f32,
    held_at: u64,
    /// Samples processed since creation / sample-rate change.
    now: u64,
    /// The last floor computed, (sample index, reading): a read right after the chunk asks
    /// for the same sample, and during the release that saves a `powf`. `u64::MAX` = none.
    memo: (u64, f32),
}

impl HeldPeak {
    /// A held peak at `sample_rate_hz` (Hz) with the default 2 s hold, reading 0.
    pub fn new(sample_rate_hz: f32) -> Self {
        let mut h = Self {
            sample_rate_hz: sanitise_rate_hz(sample_rate_hz),
            hold_ms: DEFAULT_HOLD_MS,
            hold_samples: 0,
            release_db_per_sample: 0.0,
            held_lin: 0.0,
            held_at: 0,
            now: 0,
            memo: (u64::MAX, 0.0),
        };
        h.update_rates();
        h
    }

    /// Adopts `sample_rate_hz` (Hz) and clears the held value; keeps the hold time.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        let hold_ms = self.hold_ms;
        *self = Self::new(sample_rate_hz);
        self.set_hold_ms(hold_ms);
    }

    /// Hold time in ms, clamped to [`HOLD_MS_MIN`]..[`HOLD_MS_MAX`] (non-finite → default).
    pub fn set_hold_ms(&mut self, hold_ms: f32) {
        self.hold_ms = if hold_ms.is_finite() {
            hold_ms.clamp(HOLD_MS_MIN, HOLD_MS_MAX)
        } else {
            DEFAULT_HOLD_MS
        };
        self.update_rates();
    }

    /// Hold time in ms in use.
    pub fn hold_ms(&self) -> f32 {
        self.hold_ms
    }

    fn update_rates(&mut self) {
        self.memo.0 = u64::MAX;
        let fs = f64::from(self.sample_rate_hz);
        self.hold_samples = (f64::from(self.hold_ms) * 0.001 * fs).round() as u64;
        self.release_db_per_sample = RELEASE_DB_PER_S / fs;
    }

    /// The held reading (linear) at sample index `t` (≥ the last take-over).
    #[inline]
    fn value_at(&self, t: u64) -> f32 {
        let age = t.saturating_sub(self.held_at);
        if age <= self.hold_samples {
            return self.held_lin;
        }
        let fall_db = (age - self.hold_samples) as f64 * self.release_db_per_sample;
        (f64::from(self.held_lin) * 10f64.powf(-fall_db * 0.05)) as f32
    }

    /// Feeds per-sample peak magnitudes (linear, e.g. the true peak of each sample).
    pub fn process(&mut self, peaks_lin: &[f32]) {
        for chunk in peaks_lin.chunks(CHUNK) {
            self.process_chunk(chunk, max_abs(chunk));
        }
    }

    /// Feeds up to [`CHUNK`] peaks whose largest magnitude `max_lin` is already known.
    pub(crate) fn process_chunk(&mut self, peaks_lin: &[f32], max_lin: f32) {
        let floor = self.floor_for_chunk(peaks_lin.len());
        self.process_chunk_above(peaks_lin, max_lin, floor);
    }

    /// The reading at the last sample of the next `n` samples if nothing takes over: the
    /// reading only falls within a chunk, so no value at or below this can take over.
    #[inline]
    pub(crate) fn floor_for_chunk(&mut self, n: usize) -> f32 {
        let t = (self.now + n as u64).saturating_sub(1);
        if self.memo.0 != t {
            self.memo = (t, self.value_at(t));
        }
        self.memo.1
    }

    /// Feeds up to [`CHUNK`] peaks whose largest magnitude is `max_lin`, with `floor_lin`
    /// from [`Self::floor_for_chunk`]; `peaks_lin` is only read when `max_lin > floor_lin`
    /// (only its length counts otherwise).
    pub(crate) fn process_chunk_above(&mut self, peaks_lin: &[f32], max_lin: f32, floor_lin: f32) {
        if peaks_lin.is_empty() {
            return;
        }
        // One compare settles the whole chunk unless its largest value beats the floor.
        if max_lin > floor_lin {
            for (i, &v) in peaks_lin.iter().enumerate() {
                let v = sanitise_sample(v).abs();
                let t = self.now + i as u64;
                if v > self.held_lin || (v > 0.0 && v > self.value_at(t)) {
                    self.held_lin = v;
                    self.held_at = t;
                    self.memo.0 = u64::MAX;
                }
            }
        }
        self.now += peaks_lin.len() as u64;
    }

    /// The held peak at the last processed sample (linear).
    pub fn read_lin(&self) -> f32 {
        let t = self.now.saturating_sub(1);
        if self.memo.0 == t {
            self.memo.1
        } else {
            self.value_at(t)
        }
    }

    /// Drops the held value (reads 0 until the next peak).
    pub fn reset(&mut self) {
        self.held_lin = 0.0;
        self.held_at = self.now;
        self.memo.0 = u64::MAX;
    }
}

/// Counts clip events: runs of at least N consecutive samples with |x| ≥ 1.0 (0 dBFS). A run
/// counts once, when it reaches N samples, and runs carry across block boundaries.
#[derive(Clone, Debug)]
pub struct ClipCounter {
    run_samples: u32,
    run_len: u32,
    counted: bool,
    events: u32,
}

impl ClipCounter {
    /// A counter for runs of `run_samples` (count, clamped to 1..10).
    pub fn new(run_samples: u32) -> Self {
        Self {
            run_samples: run_samples.clamp(CLIP_RUN_RANGE.0, CLIP_RUN_RANGE.1),
            run_len: 0,
            counted: false,
            events: 0,
        }
    }

    /// Run length (count, clamped to 1..10) that makes an event; a run in progress that
    /// already reaches the new length counts at its next full-scale sample.
    pub fn set_run_samples(&mut self, run_samples: u32) {
        self.run_samples = run_samples.clamp(CLIP_RUN_RANGE.0, CLIP_RUN_RANGE.1);
    }

    /// Meters a block of any length.
    pub fn process(&mut self, x: &[f32]) {
        for chunk in x.chunks(CHUNK) {
            self.process_chunk(chunk, max_abs(chunk));
        }
    }

    /// Meters a chunk whose largest sanitised |x| is `max_lin`.
    pub(crate) fn process_chunk(&mut self, x: &[f32], max_lin: f32) {
        if x.is_empty() {
            return;
        }
        // Runs are walked sample by sample only in chunks that reach full scale.
        if max_lin < FULL_SCALE_LIN {
            self.run_len = 0;
            self.counted = false;
            return;
        }
        let (mut run, mut counted, mut events) = (self.run_len, self.counted, 0u32);
        for &v in x {
            let hot = sanitise_sample(v).abs() >= FULL_SCALE_LIN;
            run = if hot { run.saturating_add(1) } else { 0 };
            let fire = hot && !counted && run >= self.run_samples;
            events += u32::from(fire);
            counted = hot && (counted || fire);
        }
        self.run_len = run;
        self.counted = counted;
        self.events = self.events.saturating_add(events);
    }

    /// Clip events since reset (count).
    pub fn events(&self) -> u32 {
        self.events
    }

    /// Clears the count; a run in progress stays known so it is not counted twice.
    pub fn reset(&mut self) {
        self.events = 0;
    }

    /// Clears the count and the run in progress (new stream).
    pub(crate) fn clear(&mut self) {
        *self = Self::new(self.run_samples);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memoised floor and reading equal the closed-form value during hold and release.
    #[test]
    fn held_memo_matches_closed_form() {
        let mut h = HeldPeak::new(48_000.0);
        h.set_hold_ms(HOLD_MS_MIN);
        let mut x = vec![0.0f32; 64];
        x[10] = 0.8;
        let floor = h.floor_for_chunk(x.len());
        h.process_chunk_above(&x, 0.8, floor);
        for _ in 0..2_000 {
            let floor = h.floor_for_chunk(64);
            h.process_chunk_above(&[0.0; 64], 0.0, floor);
            assert_eq!(h.read_lin(), h.value_at(h.now - 1));
        }
        // Well into the release: 0.8 held at sample 10 for 500 ms, then falling.
        let fall_samples = (h.now - 1 - 10 - 24_000) as f64;
        let expected_db = 20.0 * 0.8f64.log10() - RELEASE_DB_PER_S * fall_samples / 48_000.0;
        assert!(expected_db < -20.0);
        assert!((20.0 * f64::from(h.read_lin()).log10() - expected_db).abs() < 0.01);
    }
}
