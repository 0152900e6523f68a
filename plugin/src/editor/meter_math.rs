//! Pure meter geometry and ballistics: where a level lands on a bar, where the scale marks go,
//! how the displayed peak falls, and how readouts are worded. No toolkit types, so every
//! number here is unit-tested.
//!
//! The bar scale spans [`METER_MIN_DB`]..[`METER_MAX_DB`] in three linear pieces, so the range
//! a monitoring engineer reads most (−20..0 dBFS) gets the most room:
//!
//! | dBFS        | fraction of the bar |
//! |-------------|---------------------|
//! | −60 … −20   | 0.00 … 0.30         |
//! | −20 …   0   | 0.30 … 0.90         |
//! |   0 …  +6   | 0.90 … 1.00         |

use cuewire_dsp::meter::OutputReading;
use cuewire_dsp::units::lin_to_db;

/// Bottom of every meter bar, dBFS.
pub const METER_MIN_DB: f32 = -60.0;
/// Top of every meter bar, dBFS (room for inter-sample overs).
pub const METER_MAX_DB: f32 = 6.0;
/// The knees of the piecewise scale: (dBFS, fraction of the bar).
const KNEES: [(f32, f32); 4] = [
    (METER_MIN_DB, 0.0),
    (-20.0, 0.3),
    (0.0, 0.9),
    (METER_MAX_DB, 1.0),
];
/// Where the scale labels go, dBFS.
pub const SCALE_MARKS_DB: [f32; 10] =
    [-60.0, -40.0, -30.0, -20.0, -12.0, -6.0, -3.0, 0.0, 3.0, 6.0];
/// How fast the displayed peak bar falls after a peak, dB per second.
pub const PEAK_FALL_DB_PER_S: f32 = 20.0;
/// Levels below this read as silence ("—") in text readouts, dBFS.
pub const SILENT_BELOW_DB: f32 = -150.0;

/// Fraction (0..1) of the bar that a level in dBFS fills; NaN and −∞ give 0, +∞ gives 1.
pub fn db_to_fraction(db: f32) -> f32 {
    if db.is_nan() || db <= METER_MIN_DB {
        return 0.0;
    }
    if db >= METER_MAX_DB {
        return 1.0;
    }
    for pair in KNEES.windows(2) {
        let ((db0, f0), (db1, f1)) = (pair[0], pair[1]);
        if db <= db1 {
            return f0 + (db - db0) / (db1 - db0) * (f1 - f0);
        }
    }
    1.0
}

/// Fraction of the bar for a linear amplitude (1.0 = 0 dBFS).
pub fn lin_to_fraction(lin: f32) -> f32 {
    db_to_fraction(lin_to_db(lin))
}

/// Every scale mark as (dBFS, fraction of the bar), bottom first.
pub fn scale_marks() -> impl Iterator<Item = (f32, f32)> {
    SCALE_MARKS_DB.iter().map(|&db| (db, db_to_fraction(db)))
}

/// Whether a meter shows nothing: its peak, true peak, RMS and held peak all under the bar's
/// floor ([`METER_MIN_DB`]).
pub fn reading_silent(r: &OutputReading) -> bool {
    let floor_lin = 10f32.powf(METER_MIN_DB / 20.0);
    [
        r.sample_peak_lin,
        r.true_peak_lin,
        r.rms_lin,
        r.held_peak_lin,
    ]
    .iter()
    .flatten()
    .all(|&lin| lin < floor_lin || lin.is_nan())
}

/// The peak level the bar shows now, dBFS: the new block peak if it is higher, otherwise the
/// previous display fallen by [`PEAK_FALL_DB_PER_S`] over `dt_s` seconds (never below the bar).
pub fn fall_toward(shown_db: f32, new_peak_db: f32, dt_s: f32) -> f32 {
    let dt_s = if dt_s.is_finite() { dt_s.max(0.0) } else { 0.0 };
    let shown_db = if shown_db.is_nan() {
        METER_MIN_DB
    } else {
        shown_db
    };
    let fallen = (shown_db - PEAK_FALL_DB_PER_S * dt_s).max(METER_MIN_DB);
    if new_peak_db.is_nan() {
        fallen
    } else {
        fallen.max(new_peak_db)
    }
}

/// A level readout with one decimal and unit, or "—" for silence.
pub fn level_text(db: f32, unit: &str) -> String {
    if db.is_finite() && db >= SILENT_BELOW_DB {
        format!("{db:.1} {unit}")
    } else {
        "—".to_owned()
    }
}

/// The headroom readout: ceiling minus highest true peak with one decimal, or "—" while no
/// signal has arrived (the engine's silence floor makes the raw headroom about +200 dB).
pub fn headroom_text(headroom_db: f32) -> String {
    if headroom_db.is_finite() && headroom_db <= -SILENT_BELOW_DB {
        format!("{headroom_db:.1} dB")
    } else {
        "—".to_owned()
    }
}

/// Upper edges (dB(A) SPL) of the ear-level bands below the loudest: under 80 is within the
/// adult weekly allowance of ITU-T H.870 even for 40 h a week, 80–85 uses it up within that
/// week, 85–94 within a day or hours, above 94 within about an hour.
pub const EAR_BAND_EDGES_DB: [f32; 3] = [80.0, 85.0, 94.0];

/// The band (0 = under 80 dB(A) … 3 = over 94 dB(A)) an ear level falls in; silence and NaN
/// count as band 0.
pub fn ear_band(laeq_db: f32) -> usize {
    EAR_BAND_EDGES_DB
        .iter()
        .take_while(|&&edge| laeq_db >= edge)
        .count()
}

/// The ear-level readout: a whole dB(A) with one decimal, or "—" when nothing is audible.
pub fn ear_text(laeq_db: f32) -> String {
    if laeq_db.is_finite() && laeq_db >= 0.0 {
        format!("{laeq_db:.1}")
    } else {
        "—".to_owned()
    }
}

/// Time left until the dose is full, worded for a glance: "—" with no limit (inaudible),
/// "none" once it is used up, else hours and minutes ("7 h 05 min", "12 min", "< 1 min").
pub fn time_left_text(time_left_s: Option<f64>) -> String {
    let Some(s) = time_left_s.filter(|s| !s.is_nan()) else {
        return "—".to_owned();
    };
    if s <= 0.0 {
        return "none".to_owned();
    }
    if s < 60.0 {
        return "< 1 min".to_owned();
    }
    // The cast saturates, so even an absurd time stays a number.
    let minutes = (s / 60.0).floor() as u64;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, m) if h < 100 => format!("{h} h {m:02} min"),
        (h, _) => format!("{h} h"),
    }
}

/// A loudness readout with one decimal (LUFS or LU), or "—" while not measured (at or below
/// the meters' floor, or absent).
pub fn loudness_text(value: Option<f32>) -> String {
    match value {
        Some(v) if v.is_finite() && v > SILENT_BELOW_DB => format!("{v:.1}"),
        _ => "—".to_owned(),
    }
}

/// The larger of two channels' values.
pub fn louder(values: [f32; 2]) -> f32 {
    values[0].max(values[1])
}

/// The smaller of two channels' values.
pub fn tighter(values: [f32; 2]) -> f32 {
    values[0].min(values[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use cuewire_dsp::units::SILENCE_DB;

    #[test]
    fn documented_knees_land_exactly() {
        assert_eq!(db_to_fraction(0.0), 0.9);
        assert_eq!(db_to_fraction(-20.0), 0.3);
        assert_eq!(db_to_fraction(METER_MIN_DB), 0.0);
        assert_eq!(db_to_fraction(METER_MAX_DB), 1.0);
        // Mid-piece values are linear inside their piece.
        assert!((db_to_fraction(-10.0) - 0.6).abs() < 1e-6);
        assert!((db_to_fraction(-40.0) - 0.15).abs() < 1e-6);
        assert!((db_to_fraction(3.0) - 0.95).abs() < 1e-6);
        // Full scale as a linear amplitude, and half amplitude (−6.02 dBFS).
        assert!((lin_to_fraction(1.0) - 0.9).abs() < 1e-6);
        assert!((lin_to_fraction(0.5) - (0.9 - 6.0206 * 0.03)).abs() < 1e-4);
    }

    #[test]
    fn mapping_is_monotonic_and_clamped() {
        let mut last = -1.0;
        let mut db = -80.0;
        while db <= 12.0 {
            let f = db_to_fraction(db);
            assert!((0.0..=1.0).contains(&f), "{db} dB -> {f}");
            assert!(f >= last, "not monotonic at {db} dB");
            last = f;
            db += 0.05;
        }
        assert_eq!(db_to_fraction(-1000.0), 0.0);
        assert_eq!(db_to_fraction(SILENCE_DB), 0.0);
        assert_eq!(db_to_fraction(40.0), 1.0);
    }

    #[test]
    fn non_finite_levels_are_safe() {
        assert_eq!(db_to_fraction(f32::NAN), 0.0);
        assert_eq!(db_to_fraction(f32::NEG_INFINITY), 0.0);
        assert_eq!(db_to_fraction(f32::INFINITY), 1.0);
        assert_eq!(lin_to_fraction(0.0), 0.0);
        assert_eq!(lin_to_fraction(f32::NAN), 0.0);
        assert_eq!(fall_toward(f32::NAN, -12.0, 0.1), -12.0);
        assert_eq!(fall_toward(-6.0, f32::NAN, 0.1), -8.0);
        assert_eq!(fall_toward(-6.0, -30.0, f32::NAN), -6.0);
    }

    #[test]
    fn marks_sit_on_the_scale_bottom_first() {
        let marks: Vec<(f32, f32)> = scale_marks().collect();
        assert_eq!(marks.len(), SCALE_MARKS_DB.len());
        assert_eq!(marks[0], (-60.0, 0.0));
        assert_eq!(marks[3], (-20.0, 0.3));
        assert_eq!(marks[7], (0.0, 0.9));
        assert!(marks.windows(2).all(|w| w[1].1 > w[0].1));
    }

    #[test]
    fn displayed_peak_jumps_up_and_falls_at_twenty_db_per_second() {
        // A louder block shows at once.
        assert_eq!(fall_toward(-30.0, -6.0, 1.0 / 60.0), -6.0);
        // Then quiet: after 0.5 s it has fallen 10 dB, after 60 frames (1 s) 20 dB.
        assert!((fall_toward(-6.0, -80.0, 0.5) + 16.0).abs() < 1e-5);
        let mut shown = -6.0;
        for _ in 0..60 {
            shown = fall_toward(shown, -80.0, 1.0 / 60.0);
        }
        assert!((shown + 26.0).abs() < 1e-3, "{shown}");
        // It never falls past the bottom of the bar.
        assert_eq!(fall_toward(-50.0, -200.0, 10.0), METER_MIN_DB);
    }

    #[test]
    fn ear_bands_split_at_80_85_and_94_dba() {
        assert_eq!(ear_band(f32::NAN), 0);
        assert_eq!(ear_band(SILENCE_DB), 0);
        assert_eq!(ear_band(79.99), 0);
        assert_eq!(ear_band(80.0), 1);
        assert_eq!(ear_band(84.9), 1);
        assert_eq!(ear_band(85.0), 2);
        assert_eq!(ear_band(93.9), 2);
        assert_eq!(ear_band(94.0), 3);
        assert_eq!(ear_band(f32::INFINITY), 3);
        assert_eq!(ear_text(SILENCE_DB), "—");
        assert_eq!(ear_text(83.04), "83.0");
    }

    #[test]
    fn time_left_reads_in_hours_and_minutes() {
        assert_eq!(time_left_text(None), "—");
        assert_eq!(time_left_text(Some(0.0)), "none");
        assert_eq!(time_left_text(Some(59.0)), "< 1 min");
        assert_eq!(time_left_text(Some(12.0 * 60.0 + 59.0)), "12 min");
        // 40 h at 80 dB(A) is the adult week of ITU-T H.870.
        assert_eq!(time_left_text(Some(40.0 * 3600.0)), "40 h 00 min");
        assert_eq!(
            time_left_text(Some(7.0 * 3600.0 + 5.0 * 60.0)),
            "7 h 05 min"
        );
        assert_eq!(time_left_text(Some(1e9)), "277777 h");
        assert_eq!(loudness_text(Some(-23.04)), "-23.0");
        assert_eq!(loudness_text(Some(SILENCE_DB)), "—");
        assert_eq!(loudness_text(None), "—");
    }

    #[test]
    fn silent_readouts_show_a_dash() {
        // A silent meter's headroom: ceiling 0 dBFS minus the −200 dB floor.
        assert_eq!(headroom_text(0.0 - SILENCE_DB), "—");
        assert_eq!(headroom_text(f32::NAN), "—");
        assert_eq!(headroom_text(3.04), "3.0 dB");
        assert_eq!(headroom_text(-1.26), "-1.3 dB");
        assert_eq!(level_text(SILENCE_DB, "dBFS"), "—");
        assert_eq!(level_text(-18.04, "dBFS"), "-18.0 dBFS");
    }
}
