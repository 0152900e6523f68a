//! Level conversions between linear amplitude, dBFS, dBu and volts RMS.

/// 0 dBu in volts RMS: the voltage that dissipates 1 mW in 600 Ω, √0.6 V.
pub const DBU_REF_V_RMS: f32 = 0.774_596_7;

/// The floor (dB) that [`lin_to_db`] returns for silence, so meters never show −inf.
pub const SILENCE_DB: f32 = -200.0;

/// Linear amplitude for a level in dB; `db_to_lin(-6.0206) ≈ 0.5`.
#[inline]
pub fn db_to_lin(db: f32) -> f32 {
    10f32.powf(db * 0.05)
}

/// Level in dB of a linear amplitude, floored at [`SILENCE_DB`] for zero or non-finite input.
#[inline]
pub fn lin_to_db(lin: f32) -> f32 {
    if lin.is_finite() && lin > 0.0 {
        (20.0 * lin.log10()).max(SILENCE_DB)
    } else {
        SILENCE_DB
    }
}

/// Level in dB of a mean square (power) value, floored at [`SILENCE_DB`].
#[inline]
pub fn power_to_db(power: f32) -> f32 {
    if power.is_finite() && power > 0.0 {
        (10.0 * power.log10()).max(SILENCE_DB)
    } else {
        SILENCE_DB
    }
}

/// Volts RMS of a level in dBu (0 dBu = 0.7746 V RMS).
#[inline]
pub fn dbu_to_v_rms(dbu: f32) -> f32 {
    DBU_REF_V_RMS * db_to_lin(dbu)
}

/// Level in dBu of a voltage in volts RMS.
#[inline]
pub fn v_rms_to_dbu(v_rms: f32) -> f32 {
    lin_to_db(v_rms / DBU_REF_V_RMS)
}

/// Analog level in dBu at the interface's output of a digital level in dBFS,
/// given the interface's full-scale output `full_scale_dbu` (the dBu that 0 dBFS produces).
#[inline]
pub fn dbfs_to_dbu(dbfs: f32, full_scale_dbu: f32) -> f32 {
    dbfs + full_scale_dbu
}

/// Suggested maximum gain (as a factor) of a headphone amp fed from an output whose
/// full scale is `full_scale_v_rms`: K / V_fs (K = 14 V for the Objective2, per "How to Connect a Headphone Amplifier to an Audio Interface").
#[inline]
pub fn amp_max_gain_factor(k_v: f32, full_scale_v_rms: f32) -> f32 {
    k_v / full_scale_v_rms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_dbu_voltages() {
        assert!((dbu_to_v_rms(0.0) - 0.7746).abs() < 5e-5);
        assert!((dbu_to_v_rms(4.0) - 1.228).abs() < 5e-4);
        assert!((dbu_to_v_rms(10.0) - 2.449).abs() < 5e-4);
        assert!((v_rms_to_dbu(2.449) - 10.0).abs() < 2e-3);
    }

    #[test]
    fn db_round_trip_and_floor() {
        assert!((db_to_lin(-6.0206) - 0.5).abs() < 1e-5);
        assert!((lin_to_db(0.5) + 6.0206).abs() < 1e-4);
        assert!((power_to_db(0.5) + 3.0103).abs() < 1e-4);
        assert_eq!(lin_to_db(0.0), SILENCE_DB);
        assert_eq!(lin_to_db(f32::NAN), SILENCE_DB);
    }

    #[test]
    fn objective2_gain_for_scarlett_2i2() {
        // "How to Connect a Headphone Amplifier to an Audio Interface": +10 dBu full scale = 2.449 V RMS; 14 / 2.449 = 5.72x (the article rounds to 5.6x).
        let v_fs = dbu_to_v_rms(10.0);
        let gain = amp_max_gain_factor(14.0, v_fs);
        assert!((gain - 5.717).abs() < 2e-3, "gain {gain}");
        assert!((lin_to_db(gain) - 15.14).abs() < 0.01);
        assert!((dbfs_to_dbu(-18.0, 10.0) + 8.0).abs() < 1e-6);
    }
}
