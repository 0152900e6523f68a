//! The analog chain of one output, from the interface's full scale through a headphone amp to
//! the headphone, reduced to the sound pressure level a full-scale sine produces at the ear.
//!
//! The chain follows "How to Connect a Headphone Amplifier to an Audio Interface": the
//! interface's full-scale voltage, the amp's gain and the headphone's sensitivity. Levels
//! follow AES17: a full-scale sine is 0 dBFS and the full-scale voltage is that sine's RMS
//! voltage, so a digital RMS of x (full scale = 1.0 peak) is x·√2·V_fs volts RMS and a level
//! of L dBFS plays at L + [`Calibration::spl_at_0dbfs_db`] dB SPL.

use crate::units::{dbu_to_v_rms, v_rms_to_dbu};

/// Smallest accepted full-scale voltage (V RMS, −55.8 dBu): below every interface output.
pub const FULL_SCALE_V_RMS_MIN: f32 = 0.001;
/// Largest accepted full-scale voltage (V RMS, +36.2 dBu): above every interface output.
pub const FULL_SCALE_V_RMS_MAX: f32 = 50.0;
/// Accepted headphone-amp gain range (dB): from a padded input to a hot amp.
pub const AMP_GAIN_DB_RANGE: (f32, f32) = (-40.0, 40.0);
/// Accepted sensitivity range (dB SPL at 1 V RMS): from hungry planar headphones (≈ 90) to
/// sensitive in-ear monitors (≈ 130), with margin.
pub const SENSITIVITY_DB_SPL_PER_V_RANGE: (f32, f32) = (60.0, 150.0);
/// Accepted headphone impedance range (Ω) for a dB SPL/mW sensitivity.
pub const IMPEDANCE_OHM_RANGE: (f32, f32) = (1.0, 2_000.0);

/// Default full scale: a +10 dBu line output (2.449 V RMS), common on studio interfaces.
pub const DEFAULT_FULL_SCALE_DBU: f32 = 10.0;
/// Default headphone-amp gain (dB): a unity-gain amp, or a line output driving the headphone.
pub const DEFAULT_AMP_GAIN_DB: f32 = 0.0;
/// Default sensitivity (dB SPL at 1 V RMS): a round value for a closed studio headphone.
/// Closed studio headphones span roughly 100 to 120 dB SPL/V, so this is the low end: an
/// uncalibrated output under-reads a more sensitive headphone and the user must be asked for
/// the real figure.
pub const DEFAULT_SENSITIVITY_DB_SPL_PER_V: f32 = 100.0;

/// Sensitivity in dB SPL/V of a headphone rated `db_spl_per_mw` dB SPL/mW at `impedance_ohm`
/// Ω: 1 mW into Z ohms takes √(Z/1000) V, so dB/V = dB/mW + 10·log10(1000/Z).
pub fn db_spl_per_v_from_per_mw(db_spl_per_mw: f32, impedance_ohm: f32) -> f32 {
    db_spl_per_mw + 10.0 * (1_000.0 / impedance_ohm).log10()
}

/// Sensitivity in dB SPL/mW of a headphone rated `db_spl_per_v` dB SPL/V at `impedance_ohm` Ω.
pub fn db_spl_per_mw_from_per_v(db_spl_per_v: f32, impedance_ohm: f32) -> f32 {
    db_spl_per_v - 10.0 * (1_000.0 / impedance_ohm).log10()
}

/// One output's analog chain (all fields sanitised by the constructors and setters).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Calibration {
    /// RMS voltage (V) of a full-scale (0 dBFS, AES17) sine at the interface output.
    full_scale_v_rms: f32,
    /// Headphone-amp gain (dB) between the interface output and the headphone.
    amp_gain_db: f32,
    /// Headphone sensitivity (dB SPL at 1 V RMS).
    sensitivity_db_spl_per_v: f32,
}

impl Default for Calibration {
    /// +10 dBu line out, a 0 dB amp and a 100 dB SPL/V headphone: 107.8 dB SPL at 0 dBFS.
    fn default() -> Self {
        Self::new(
            dbu_to_v_rms(DEFAULT_FULL_SCALE_DBU),
            DEFAULT_AMP_GAIN_DB,
            DEFAULT_SENSITIVITY_DB_SPL_PER_V,
        )
    }
}

impl Calibration {
    /// A chain from the full-scale voltage (V RMS), the amp gain (dB) and the sensitivity
    /// (dB SPL/V); each value is sanitised (see the setters).
    pub fn new(full_scale_v_rms: f32, amp_gain_db: f32, sensitivity_db_spl_per_v: f32) -> Self {
        let mut c = Self {
            full_scale_v_rms: dbu_to_v_rms(DEFAULT_FULL_SCALE_DBU),
            amp_gain_db: DEFAULT_AMP_GAIN_DB,
            sensitivity_db_spl_per_v: DEFAULT_SENSITIVITY_DB_SPL_PER_V,
        };
        c.set_full_scale_v_rms(full_scale_v_rms);
        c.set_amp_gain_db(amp_gain_db);
        c.set_sensitivity_db_spl_per_v(sensitivity_db_spl_per_v);
        c
    }

    /// RMS voltage (V) of a full-scale sine at the interface output.
    pub fn full_scale_v_rms(&self) -> f32 {
        self.full_scale_v_rms
    }

    /// Full scale as a level in dBu.
    pub fn full_scale_dbu(&self) -> f32 {
        v_rms_to_dbu(self.full_scale_v_rms)
    }

    /// Headphone-amp gain (dB).
    pub fn amp_gain_db(&self) -> f32 {
        self.amp_gain_db
    }

    /// Headphone sensitivity (dB SPL/V).
    pub fn sensitivity_db_spl_per_v(&self) -> f32 {
        self.sensitivity_db_spl_per_v
    }

    /// Sets the full-scale voltage (V RMS), clamped to [`FULL_SCALE_V_RMS_MIN`]..
    /// [`FULL_SCALE_V_RMS_MAX`]; a non-finite value is ignored.
    pub fn set_full_scale_v_rms(&mut self, full_scale_v_rms: f32) {
        if full_scale_v_rms.is_finite() {
            self.full_scale_v_rms =
                full_scale_v_rms.clamp(FULL_SCALE_V_RMS_MIN, FULL_SCALE_V_RMS_MAX);
        }
    }

    /// Sets the full scale as a level in dBu (clamped like [`Self::set_full_scale_v_rms`]).
    pub fn set_full_scale_dbu(&mut self, full_scale_dbu: f32) {
        if full_scale_dbu.is_finite() {
            // Clamp in dBu first so a huge level cannot overflow to infinity on the way.
            let lo = v_rms_to_dbu(FULL_SCALE_V_RMS_MIN);
            let hi = v_rms_to_dbu(FULL_SCALE_V_RMS_MAX);
            self.set_full_scale_v_rms(dbu_to_v_rms(full_scale_dbu.clamp(lo, hi)));
        }
    }

    /// Sets the amp gain (dB), clamped to [`AMP_GAIN_DB_RANGE`]; non-finite is ignored.
    pub fn set_amp_gain_db(&mut self, amp_gain_db: f32) {
        if amp_gain_db.is_finite() {
            self.amp_gain_db = amp_gain_db.clamp(AMP_GAIN_DB_RANGE.0, AMP_GAIN_DB_RANGE.1);
        }
    }

    /// Sets the sensitivity (dB SPL/V), clamped to [`SENSITIVITY_DB_SPL_PER_V_RANGE`];
    /// non-finite is ignored.
    pub fn set_sensitivity_db_spl_per_v(&mut self, sensitivity_db_spl_per_v: f32) {
        if sensitivity_db_spl_per_v.is_finite() {
            let (lo, hi) = SENSITIVITY_DB_SPL_PER_V_RANGE;
            self.sensitivity_db_spl_per_v = sensitivity_db_spl_per_v.clamp(lo, hi);
        }
    }

    /// Sets the sensitivity from a rating in dB SPL/mW at `impedance_ohm` Ω (impedance clamped
    /// to [`IMPEDANCE_OHM_RANGE`]); ignored if either value is not finite.
    pub fn set_sensitivity_db_spl_per_mw(&mut self, db_spl_per_mw: f32, impedance_ohm: f32) {
        if db_spl_per_mw.is_finite() && impedance_ohm.is_finite() {
            let z = impedance_ohm.clamp(IMPEDANCE_OHM_RANGE.0, IMPEDANCE_OHM_RANGE.1);
            self.set_sensitivity_db_spl_per_v(db_spl_per_v_from_per_mw(db_spl_per_mw, z));
        }
    }

    /// Sound pressure level (dB SPL) of a full-scale (0 dBFS, AES17) sine at the ear:
    /// sensitivity + 20·log10(V_fs) + amp gain.
    pub fn spl_at_0dbfs_db(&self) -> f32 {
        self.sensitivity_db_spl_per_v + 20.0 * self.full_scale_v_rms.log10() + self.amp_gain_db
    }
}
