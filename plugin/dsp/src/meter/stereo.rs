//! Stereo analysis for the main output: correlation and L/R balance over 300 ms.

use super::window::HopWindow;
use super::SILENCE_MEAN_SQUARE;
use crate::units::power_to_db;

/// Largest balance magnitude reported, in dB (one side silent reads ±this).
pub const BALANCE_LIMIT_DB: f32 = 60.0;

/// Stereo readings (see [`StereoMeter::read`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StereoReading {
    /// Correlation of L and R over 300 ms (−1..+1; 0 when either side is silent).
    pub correlation: f32,
    /// RMS L minus RMS R over 300 ms in dB (positive = left louder), clamped to ±60.
    pub balance_db: f32,
}

/// Correlation of two signals from the means of L², R² and L·R over one window: −1..+1, and 0
/// when either side is silent (mean square at or under [`SILENCE_MEAN_SQUARE`]). Pearson
/// without mean removal: audio has no DC to speak of, and a DC offset common to both sides
/// *is* correlated signal.
pub(crate) fn correlation(ll: f64, rr: f64, lr: f64) -> f32 {
    if ll > SILENCE_MEAN_SQUARE && rr > SILENCE_MEAN_SQUARE {
        (lr / (ll * rr).sqrt()).clamp(-1.0, 1.0) as f32
    } else {
        0.0
    }
}

/// Correlation (Pearson, without mean removal: audio has no DC to speak of, and a DC offset
/// common to both sides *is* correlated signal) and balance over a 300 ms rectangular window.
#[derive(Clone, Debug)]
pub struct StereoMeter {
    /// Sums of L², R², L·R.
    window: HopWindow<3>,
}

impl StereoMeter {
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

    /// Meters one block; only the first `min(l.len(), r.len())` frames are used.
    pub fn process(&mut self, l: &[f32], r: &[f32]) {
        self.window
            .feed_dispatched(l, r, |a, b| [a * a, b * b, a * b]);
    }

    /// Correlation and balance over the last 300 ms.
    pub fn read(&self) -> StereoReading {
        let [ll, rr, lr] = self.window.means();
        let l_live = ll > SILENCE_MEAN_SQUARE;
        let r_live = rr > SILENCE_MEAN_SQUARE;
        let correlation = correlation(ll, rr, lr);
        let balance_db = if l_live || r_live {
            let db = |ms: f64| {
                if ms > SILENCE_MEAN_SQUARE {
                    power_to_db(ms as f32)
                } else {
                    -200.0
                }
            };
            (db(ll) - db(rr)).clamp(-BALANCE_LIMIT_DB, BALANCE_LIMIT_DB)
        } else {
            0.0
        };
        StereoReading {
            correlation,
            balance_db,
        }
    }

    /// Clears the window (reads 0 / 0 dB until new signal arrives).
    pub fn reset(&mut self) {
        self.window.clear();
    }
}
