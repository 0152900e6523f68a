//! Common-mode meter for balanced modes: how much common-mode signal (hum, noise picked up
//! equally by both legs) there is, and how much of it was rejected by the decode.

use super::window::HopWindow;
use super::SILENCE_MEAN_SQUARE;
use crate::units::power_to_db;

/// Largest rejection reported, in dB (also the reading when there is no common mode).
pub const REJECTION_CAP_DB: f32 = 120.0;

/// Common-mode readings (see [`CommonModeMeter::read`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CommonModeReading {
    /// RMS of the common-mode signal over 300 ms (dBFS; −200 when silent).
    pub cm_rms_db: f32,
    /// Rejection achieved (dB, at most [`REJECTION_CAP_DB`]; the cap when `cm_present` is false).
    pub rejection_db: f32,
    /// Whether the common-mode signal is above −140 dBFS RMS, i.e. the rejection is measured.
    pub cm_present: bool,
}

/// Estimates the rejection achieved from the common-mode signal `cm` and the decoded output
/// `out` over a 300 ms window: the part of `out` correlated with `cm` is its projection,
/// residual = (Σ out·cm)² / Σ cm², and rejection = 10·log10(Σ cm² / residual)
/// = 20·log10(Σ cm² / |Σ out·cm|), i.e. the leak factor k of out = s + k·cm, in dB.
///
/// The estimate assumes programme and interference are uncorrelated: any programme component
/// correlated with `cm` over the window is counted as leaked common mode. With uncorrelated
/// programme the estimate's error is about (programme RMS / cm RMS) / √(window samples) in
/// leak factor, so it is best when the common mode is not buried far below the programme.
///
/// One instance measures one ear; for a mono `cm` and a stereo output use one per ear with
/// the same `cm`.
#[derive(Clone, Debug)]
pub struct CommonModeMeter {
    /// Sums of cm² and out·cm.
    window: HopWindow<2>,
}

impl CommonModeMeter {
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

    /// Meters one block; only the first `min(cm.len(), out.len())` samples are used.
    pub fn process(&mut self, cm: &[f32], out: &[f32]) {
        self.window.feed_dispatched(cm, out, |c, o| [c * c, o * c]);
    }

    /// Common-mode level and rejection over the last 300 ms.
    pub fn read(&self) -> CommonModeReading {
        let [cc, oc] = self.window.means();
        let cm_present = cc > SILENCE_MEAN_SQUARE;
        let rejection_db = if cm_present {
            let leak = oc.abs() / cc;
            let cap_leak = 10f64.powf(-f64::from(REJECTION_CAP_DB) / 20.0);
            if leak > cap_leak {
                (-20.0 * leak.log10()) as f32
            } else {
                REJECTION_CAP_DB
            }
        } else {
            REJECTION_CAP_DB
        };
        CommonModeReading {
            cm_rms_db: power_to_db(cc as f32),
            rejection_db,
            cm_present,
        }
    }

    /// Clears the window.
    pub fn reset(&mut self) {
        self.window.clear();
    }
}
