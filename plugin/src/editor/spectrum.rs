//! The spectrum analyser: a Hann-windowed real FFT of the newest samples, run on the GUI thread
//! once per frame while the editor is open, and the log-frequency geometry of the view.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use crate::shared::SampleRing;

/// FFT length of the main output's spectrum, samples (11.7 Hz bins at 48 kHz).
pub const FFT_LEN: usize = 4096;
/// FFT length of the common-mode overlay, samples (2.9 Hz bins at 48 kHz, 341 ms): the Hann
/// window's main lobe (±2 bins, ±5.9 Hz) then keeps 50 Hz and 60 Hz hum apart.
pub const HUM_FFT_LEN: usize = 16_384;
/// Lowest frequency on the view, Hz.
pub const VIEW_MIN_HZ: f32 = 20.0;
/// Highest frequency on the view, Hz.
pub const VIEW_MAX_HZ: f32 = 20_000.0;
/// Bottom of the view, dBFS.
pub const VIEW_MIN_DB: f32 = -120.0;
/// Top of the view, dBFS.
pub const VIEW_MAX_DB: f32 = 0.0;
/// Labelled frequencies, Hz.
pub const FREQ_MARKS_HZ: [f32; 10] = [
    20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0, 20_000.0,
];
/// Smoothing of successive analyses (0 = none): the share of the previous spectrum kept per
/// [`SMOOTHING_PERIOD_S`] of new audio, so the display's time constant does not depend on how
/// often it is analysed.
const SMOOTHING: f32 = 0.6;
/// See [`SMOOTHING`]: one 60 fps frame, seconds.
const SMOOTHING_PERIOD_S: f32 = 1.0 / 60.0;
/// An analysis runs once this share of its window is new audio (75 % overlap, the usual hop
/// of a Hann-windowed short-time spectrum): a newer spectrum would show nothing new.
const HOP_SHARE: usize = 4;

/// Horizontal position (0..1) of a frequency on the log axis; clamped, NaN gives 0.
pub fn freq_to_fraction(hz: f32) -> f32 {
    if hz.is_nan() || hz <= VIEW_MIN_HZ {
        return 0.0;
    }
    ((hz / VIEW_MIN_HZ).log10() / (VIEW_MAX_HZ / VIEW_MIN_HZ).log10()).min(1.0)
}

/// The frequency (Hz) at a horizontal position (0..1) of the log axis.
pub fn fraction_to_freq(fraction: f32) -> f32 {
    VIEW_MIN_HZ * (VIEW_MAX_HZ / VIEW_MIN_HZ).powf(fraction.clamp(0.0, 1.0))
}

/// Vertical position (0 = bottom, 1 = top) of a level on the view; clamped, NaN gives 0.
pub fn db_to_height(db: f32) -> f32 {
    if db.is_nan() {
        return 0.0;
    }
    ((db - VIEW_MIN_DB) / (VIEW_MAX_DB - VIEW_MIN_DB)).clamp(0.0, 1.0)
}

/// One analysed signal: its FFT buffers and its smoothed magnitude spectrum.
pub struct Analyser {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// Sum of the window, for amplitude normalisation.
    window_sum: f32,
    samples: Vec<f32>,
    input: Vec<f32>,
    output: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    /// Smoothed level per bin, dBFS of a sine's amplitude.
    bins_db: Vec<f32>,
    /// The ring's write count at the last analysis, to skip frames without new audio.
    last_written: usize,
    /// The largest change of any bin in the last update, dB (0 when no new audio came).
    last_change_db: f32,
}

impl Analyser {
    /// An analyser of `len` points (at most the rings' length).
    pub fn new(planner: &mut RealFftPlanner<f32>, len: usize) -> Self {
        let len = len.min(crate::shared::SAMPLE_RING_LEN);
        let fft = planner.plan_fft_forward(len);
        let window: Vec<f32> = (0..len)
            .map(|i| {
                let x = std::f32::consts::TAU * i as f32 / len as f32;
                0.5 - 0.5 * x.cos()
            })
            .collect();
        let window_sum = window.iter().sum();
        Self {
            input: fft.make_input_vec(),
            output: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            bins_db: vec![VIEW_MIN_DB; len / 2 + 1],
            samples: vec![0.0; len],
            fft,
            window,
            window_sum,
            last_written: usize::MAX,
            last_change_db: 0.0,
        }
    }

    /// Analyses the ring's newest samples once a hop (a quarter window) of new ones arrived at
    /// `sample_rate_hz`; returns the level per bin, dBFS (a full-scale sine reads 0 dBFS at its
    /// bin).
    pub fn update(&mut self, ring: &SampleRing, sample_rate_hz: f32) -> &[f32] {
        self.last_change_db = 0.0;
        let len = self.samples.len();
        let new = if self.last_written == usize::MAX {
            len
        } else {
            ring.written().wrapping_sub(self.last_written).min(len)
        };
        if new >= (len / HOP_SHARE).max(1) {
            self.last_written = ring.read_latest(&mut self.samples);
            let periods = new as f32 / (sample_rate_hz.max(1.0) * SMOOTHING_PERIOD_S);
            let keep = SMOOTHING.powf(periods);
            for ((x, &s), &w) in self.input.iter_mut().zip(&self.samples).zip(&self.window) {
                *x = s * w;
            }
            if self
                .fft
                .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch)
                .is_ok()
            {
                let scale = 2.0 / self.window_sum;
                let scale_sq = scale * scale;
                let mut change_db = 0.0f32;
                for (db, c) in self.bins_db.iter_mut().zip(&self.output) {
                    // Power in dB: the same as the magnitude's, without a square root.
                    let now = (10.0 * (c.norm_sqr() * scale_sq).log10()).max(VIEW_MIN_DB);
                    let next = keep * *db + (1.0 - keep) * now;
                    change_db = change_db.max((next - *db).abs());
                    *db = next;
                }
                self.last_change_db = change_db;
            }
        }
        &self.bins_db
    }

    /// The largest change of any bin in the last [`update`](Self::update), dB: 0 when no new
    /// audio arrived, small once the spectrum has settled.
    pub fn last_change_db(&self) -> f32 {
        self.last_change_db
    }
}

/// The level (dBFS) the view shows for one pixel column spanning `lo_hz..hi_hz`: the highest
/// bin in the span, or, where a column is narrower than a bin (low frequencies on a log axis),
/// the bins interpolated at the column's centre so tones draw as peaks, not steps.
pub fn column_level_db(bins_db: &[f32], sample_rate_hz: f32, lo_hz: f32, hi_hz: f32) -> f32 {
    if bins_db.len() < 2 || sample_rate_hz.is_nan() || sample_rate_hz <= 0.0 {
        return VIEW_MIN_DB;
    }
    let bin_hz = sample_rate_hz / (2 * (bins_db.len() - 1)) as f32;
    let last = bins_db.len() - 1;
    let (lo_bin, hi_bin) = (lo_hz / bin_hz, hi_hz / bin_hz);
    if hi_bin - lo_bin < 1.0 {
        let x = (0.5 * (lo_bin + hi_bin)).clamp(0.0, last as f32);
        let i = x.floor() as usize;
        let j = (i + 1).min(last);
        let t = x - i as f32;
        return bins_db[i] * (1.0 - t) + bins_db[j] * t;
    }
    let lo = (lo_bin.round() as usize).min(last);
    let hi = (hi_bin.round() as usize).clamp(lo, last);
    bins_db[lo..=hi].iter().copied().fold(VIEW_MIN_DB, f32::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axis_puts_decades_at_thirds() {
        assert_eq!(freq_to_fraction(20.0), 0.0);
        assert!((freq_to_fraction(200.0) - 1.0 / 3.0).abs() < 1e-6);
        assert!((freq_to_fraction(2000.0) - 2.0 / 3.0).abs() < 1e-6);
        assert_eq!(freq_to_fraction(20_000.0), 1.0);
        assert_eq!(freq_to_fraction(f32::NAN), 0.0);
        assert!((fraction_to_freq(0.5) - 632.456).abs() < 0.01);
        assert_eq!(db_to_height(-60.0), 0.5);
    }

    #[test]
    fn a_full_scale_sine_reads_zero_dbfs_at_its_bin() {
        let mut planner = RealFftPlanner::new();
        let mut analyser = Analyser::new(&mut planner, FFT_LEN);
        let ring = SampleRing::default();
        // A sine exactly on bin 100 (1171.875 Hz at 48 kHz), amplitude 0.5 = −6.02 dBFS.
        let sample_rate_hz = 48_000.0;
        let bin = 100;
        let hz = bin as f32 * sample_rate_hz / FFT_LEN as f32;
        // The phase is reduced in integers, so f32 rounding adds no noise floor of its own.
        let sine = |k: usize| {
            let phase = (bin * k) % FFT_LEN;
            0.5 * (std::f32::consts::TAU * phase as f32 / FFT_LEN as f32).sin()
        };
        // Enough frames for the smoothing to settle; each update analyses only new audio.
        let mut level = 0.0;
        for n in 0..40 {
            ring.push_with(FFT_LEN, |i| sine(n * FFT_LEN + i));
            let bins = analyser.update(&ring, 48_000.0);
            level = column_level_db(bins, sample_rate_hz, hz - 1.0, hz + 1.0);
        }
        assert!((level + 6.0206).abs() < 0.05, "{level}");
        // Far from the tone the Hann window leaves nothing above the view's floor region.
        let bins = analyser.update(&ring, 48_000.0);
        let far = column_level_db(bins, sample_rate_hz, 5000.0, 6000.0);
        assert!(far < -90.0, "{far}");
    }

    #[test]
    fn hum_at_50_hz_and_60_hz_shows_as_two_peaks() {
        let sample_rate_hz = 48_000.0f32;
        let ring = SampleRing::default();
        let hum = |k: usize| {
            let t = k as f64 / f64::from(sample_rate_hz);
            let tone = |hz: f64| 0.1 * (std::f64::consts::TAU * hz * t).sin();
            (tone(50.0) + tone(60.0)) as f32
        };
        let mut analyser = Analyser::new(&mut RealFftPlanner::new(), HUM_FFT_LEN);
        let mut bins = Vec::new();
        for n in 0..20 {
            ring.push_with(HUM_FFT_LEN, |i| hum(n * HUM_FFT_LEN + i));
            bins = analyser.update(&ring, 48_000.0).to_vec();
        }
        // The view's columns at 1 Hz steps from 40 to 70 Hz.
        let level = |hz: f32| column_level_db(&bins, sample_rate_hz, hz - 0.5, hz + 0.5);
        let (at_50, at_55, at_60) = (level(50.0), level(55.0), level(60.0));
        // Each tone at amplitude 0.1 reads −20 dBFS (within the Hann window's scalloping).
        assert!((at_50 + 20.0).abs() < 1.5, "{at_50}");
        assert!((at_60 + 20.0).abs() < 1.5, "{at_60}");
        // Between them (1.7 bins from each) the spectrum dips by more than 10 dB: two lines,
        // not one lump.
        assert!(at_55 < at_50 - 10.0 && at_55 < at_60 - 10.0, "{at_55}");
        let peaks = (41..70)
            .filter(|&hz| {
                let hz = hz as f32;
                level(hz) > level(hz - 1.0) && level(hz) >= level(hz + 1.0) && level(hz) > -30.0
            })
            .count();
        assert_eq!(peaks, 2);
        // The main spectrum's 4096 points cannot tell them apart: one lump.
        let mut coarse = Analyser::new(&mut RealFftPlanner::new(), FFT_LEN);
        let coarse_bins = coarse.update(&ring, 48_000.0).to_vec();
        let coarse_level =
            |hz: f32| column_level_db(&coarse_bins, sample_rate_hz, hz - 0.5, hz + 0.5);
        assert!(coarse_level(55.0) > coarse_level(50.0) - 6.0);
    }
}
