//! Level at the ear: the calibration chain against hand-worked examples, the A-weighting
//! against the IEC 61672-1 table and its class 1 acceptance limits, the ear-level meter and
//! its exposure against ITU-T H.870's allowances, and the slow level limit. Measured values
//! are printed (`cargo test -p cuewire-dsp --test ear -- --nocapture`).

use cuewire_dsp::calibration::{
    db_spl_per_mw_from_per_v, db_spl_per_v_from_per_mw, Calibration, FULL_SCALE_V_RMS_MAX,
};
use cuewire_dsp::level_limit::{LevelLimit, DEFAULT_LIMIT_DB_SPL};
use cuewire_dsp::meter::{
    a_weighting_analog_db, AWeighting, EarLevelMeter, EarReading, WeeklyAllowance,
    EXPOSURE_PA2H_MAX, IEC_61672_A_WEIGHTING_DB, IEC_61672_CLASS_1_LIMITS_DB, IEC_61672_NOMINAL_HZ,
    P_REF_PA,
};
use cuewire_dsp::units::dbu_to_v_rms;
use cuewire_testkit::{sine, uniform};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

// ---------------------------------------------------------------------------------------
// Signals and helpers.

/// Squared A-weighted samples of a stereo signal (the ear meter's own weighting).
fn weighted_squares(fs: f32, l: &[f32], r: &[f32]) -> Vec<[f64; 2]> {
    let mut w = AWeighting::new(fs);
    l.iter()
        .zip(r)
        .map(|(&a, &b)| w.process_sample(a, b).map(|v| v * v))
        .collect()
}

/// Level (dB SPL, AES17) of a digital mean square `ms` on an output whose full-scale sine
/// plays at `spl0` dB SPL.
fn spl_db(spl0: f64, ms: f64) -> f64 {
    spl0 + 10.0 * (2.0 * ms).log10()
}

/// Squared sound pressure (Pa²) of a level in dB SPL.
fn pa2(db_spl: f64) -> f64 {
    P_REF_PA * P_REF_PA * 10f64.powf(db_spl / 10.0)
}

fn feed_meter(m: &mut EarLevelMeter, l: &[f32], r: &[f32], block: usize) {
    for (bl, br) in l.chunks(block).zip(r.chunks(block)) {
        m.process(bl, br);
    }
}

// ---------------------------------------------------------------------------------------
// Calibration.

/// dB SPL/mW and dB SPL/V convert through the impedance: 1 mW into Z takes √(Z/1000) V.
#[test]
fn sensitivity_per_mw_and_per_v_at_32_and_300_ohm() {
    // 100 + 10·log10(1000/32) = 114.949; 100 + 10·log10(1000/300) = 105.229.
    assert!((db_spl_per_v_from_per_mw(100.0, 32.0) - 114.949).abs() < 1e-3);
    assert!((db_spl_per_v_from_per_mw(100.0, 300.0) - 105.229).abs() < 1e-3);
    assert!((db_spl_per_mw_from_per_v(114.949, 32.0) - 100.0).abs() < 1e-3);
    assert!((db_spl_per_mw_from_per_v(105.229, 300.0) - 100.0).abs() < 1e-3);
    let mut c = Calibration::default();
    c.set_sensitivity_db_spl_per_mw(100.0, 300.0);
    assert!((c.sensitivity_db_spl_per_v() - 105.229).abs() < 1e-3);
}

/// Two chains worked by hand.
#[test]
fn spl_at_0dbfs_of_two_worked_examples() {
    // A 300 Ω headphone of 103 dB SPL/V on a +10 dBu line out (2.4495 V RMS) through an amp at
    // +10 dB: 103 + 20·log10(2.4495) + 10 = 103 + 7.782 + 10 = 120.782 dB SPL.
    let mut studio = Calibration::new(1.0, 10.0, 103.0);
    studio.set_full_scale_dbu(10.0);
    assert!((studio.full_scale_v_rms() - 2.4495).abs() < 1e-3);
    let spl = studio.spl_at_0dbfs_db();
    println!("300 Ω 103 dB/V, +10 dBu, +10 dB amp: {spl:.3} dB SPL at 0 dBFS");
    assert!((spl - 120.782).abs() < 0.01, "{spl}");

    // An in-ear monitor rated 105 dB SPL/mW at 16 Ω on an interface headphone output whose
    // full scale is 1.0 V RMS, no further amp: 105 + 10·log10(1000/16) = 122.959 dB SPL/V,
    // + 20·log10(1.0) + 0 = 122.959 dB SPL.
    let mut iem = Calibration::new(1.0, 0.0, 100.0);
    iem.set_sensitivity_db_spl_per_mw(105.0, 16.0);
    let spl = iem.spl_at_0dbfs_db();
    println!("16 Ω 105 dB/mW IEM, 1 V full scale: {spl:.3} dB SPL at 0 dBFS");
    assert!((spl - 122.959).abs() < 0.01, "{spl}");
}

/// The default is a +10 dBu line out, a 0 dB amp and a 100 dB SPL/V headphone; bad inputs
/// are ignored or clamped.
#[test]
fn default_and_sanitised_calibration() {
    let d = Calibration::default();
    assert!((d.full_scale_v_rms() - dbu_to_v_rms(10.0)).abs() < 1e-6);
    assert!((d.full_scale_dbu() - 10.0).abs() < 1e-3);
    // 100 + 20·log10(2.4495) + 0 = 107.782 dB SPL.
    assert!((d.spl_at_0dbfs_db() - 107.782).abs() < 0.01);

    let mut c = d;
    c.set_full_scale_v_rms(f32::NAN);
    c.set_amp_gain_db(f32::INFINITY);
    c.set_sensitivity_db_spl_per_v(f32::NAN);
    c.set_sensitivity_db_spl_per_mw(f32::NAN, 32.0);
    c.set_full_scale_dbu(f32::NEG_INFINITY);
    assert_eq!(c, d);
    c.set_full_scale_v_rms(1e9);
    assert_eq!(c.full_scale_v_rms(), FULL_SCALE_V_RMS_MAX);
    c.set_full_scale_dbu(1e30);
    assert_eq!(c.full_scale_v_rms(), FULL_SCALE_V_RMS_MAX);
    c.set_sensitivity_db_spl_per_mw(100.0, 0.0);
    assert!(c.spl_at_0dbfs_db().is_finite());
    let wild = Calibration::new(-5.0, -1e9, 1e9);
    assert!(wild.spl_at_0dbfs_db().is_finite() && wild.full_scale_v_rms() > 0.0);
}

// ---------------------------------------------------------------------------------------
// A-weighting.

/// The response (dB) of the A-weighting filter at `freq_hz`, measured by running a sine of
/// a whole number of periods (at least 1 s) through it after 0.5 s of settling.
fn measured_response_db(fs: f64, freq_hz: f64) -> f64 {
    let periods = freq_hz.ceil().max(20.0);
    let n = (periods * fs / freq_hz).round() as usize;
    let settle = (fs * 0.5) as usize;
    let x = sine(fs, freq_hz, 0.0, 0.5, settle + n);
    let mut w = AWeighting::new(fs as f32);
    let (mut p_in, mut p_out) = (0.0f64, 0.0f64);
    for (i, &v) in x.iter().enumerate() {
        let [y, _] = w.process_sample(v, 0.0);
        if i >= settle {
            p_in += f64::from(v) * f64::from(v);
            p_out += y * y;
        }
    }
    10.0 * (p_out / p_in).log10()
}

/// At the IEC 61672-1 1/3-octave frequencies from 10 Hz to 16 kHz, and 20 kHz where the
/// rate allows, the filter is within the class 1 acceptance limits around the tabulated
/// weightings at 44.1, 48, 96 and 192 kHz, and within 0.06 dB of the analog weighting up
/// to 16 kHz.
#[test]
fn a_weighting_within_class_1_at_every_tabulated_frequency() {
    for fs in [44_100.0, 48_000.0, 96_000.0, 192_000.0] {
        let design = AWeighting::new(fs as f32);
        let mut worst_to_16k = 0.0f64;
        for (i, (&nominal, &table_db)) in IEC_61672_NOMINAL_HZ
            .iter()
            .zip(&IEC_61672_A_WEIGHTING_DB)
            .enumerate()
        {
            // The standard's weightings are those of the exact base-ten frequencies.
            let exact = 1_000.0 * 10f64.powf((i as f64 - 20.0) / 10.0);
            if exact > 0.95 * fs / 2.0 {
                continue;
            }
            let got = measured_response_db(fs, exact);
            let (upper, lower) = IEC_61672_CLASS_1_LIMITS_DB[i];
            let dev = got - table_db;
            assert!(
                dev <= upper && dev >= lower,
                "{fs} Hz, {nominal} Hz: {got:.3} dB, table {table_db}, limits +{upper}/{lower}"
            );
            let analog = a_weighting_analog_db(exact);
            // The measured response is the designed one.
            assert!(
                (got - design.response_db(exact)).abs() < 2e-3,
                "{fs} {nominal}"
            );
            if exact <= 16_500.0 {
                worst_to_16k = worst_to_16k.max((got - analog).abs());
            } else {
                println!(
                    "{fs} Hz: at {nominal} Hz {:+.3} dB from analog",
                    got - analog
                );
            }
        }
        // Between the table's frequencies too: the design in 1/24 octaves.
        let dense = (0..=24 * 11)
            .map(|k| 10.0 * 2f64.powf(k as f64 / 24.0))
            .filter(|&f| f <= 16_000.0)
            .map(|f| (design.response_db(f) - a_weighting_analog_db(f)).abs())
            .fold(0.0, f64::max);
        println!(
            "{fs} Hz: largest deviation from analog, 10 Hz..16 kHz: {worst_to_16k:.4} dB \
             measured at the table's frequencies, {dense:.4} dB in 1/24 octaves"
        );
        assert!(
            worst_to_16k < 0.06 && dense < 0.06,
            "{fs}: {worst_to_16k} {dense}"
        );
    }
}

/// The analog weighting itself reproduces the IEC 61672-1 table (rounded to 0.1 dB).
#[test]
fn analog_a_weighting_reproduces_the_table() {
    for (i, &table_db) in IEC_61672_A_WEIGHTING_DB.iter().enumerate() {
        let exact = 1_000.0 * 10f64.powf((i as f64 - 20.0) / 10.0);
        let a = a_weighting_analog_db(exact);
        assert!(
            (a - table_db).abs() <= 0.05 + 1e-9,
            "{exact} Hz: {a} vs {table_db}"
        );
    }
}

/// 1 kHz passes at exactly 0 dB at the common rates and at odd ones.
#[test]
fn a_weighting_is_0_db_at_1_khz() {
    for fs in [
        44_100.0, 48_000.0, 88_200.0, 96_000.0, 176_400.0, 192_000.0, 50_000.0,
    ] {
        let design = AWeighting::new(fs as f32).response_db(1_000.0);
        assert!(design.abs() < 1e-9, "{fs}: {design}");
        let got = measured_response_db(fs, 1_000.0);
        assert!(got.abs() < 0.01, "{fs}: {got}");
    }
}

/// At any rate from 8 kHz to 768 kHz the design is finite, stable and 0 dB at 1 kHz.
#[test]
fn a_weighting_any_rate_is_sane() {
    let mut fs = 8_000.0f32;
    while fs <= 768_000.0 {
        let mut w = AWeighting::new(fs);
        assert!(w.response_db(1_000.0).abs() < 1e-6, "{fs}");
        let mut y = w.process_sample(1.0, -1.0);
        for _ in 0..(fs as usize) {
            y = w.process_sample(0.0, 0.0);
        }
        // One second after an impulse only the denormal guard (−400 dBFS) is left.
        assert!(y.iter().all(|v| v.abs() < 1e-15), "{fs}: {y:?}");
        fs *= 1.37;
    }
}

// ---------------------------------------------------------------------------------------
// Ear level meter and exposure.

/// AES17: a 1 kHz sine of peak 0.1 is −20 dBFS; with 114 dB SPL at 0 dBFS it reads 94.0
/// dB(A) in each ear.
#[test]
fn minus_20_dbfs_at_1_khz_reads_94_db_a() {
    for fs in [44_100.0, 48_000.0, 96_000.0] {
        let x = sine(fs, 1_000.0, 0.0, 0.1, (fs * 2.0) as usize);
        let mut m = EarLevelMeter::new(fs as f32, 114.0);
        feed_meter(&mut m, &x, &x, 512);
        let r = m.read();
        println!("{fs} Hz: {:.3} dB(A)", r.louder_laeq_1s_db);
        for v in r.laeq_1s_db.iter().chain([&r.louder_laeq_1s_db]) {
            assert!((v - 94.0).abs() < 0.1, "{fs}: {r:?}");
        }
    }
}

/// 94 dB(A) for one hour of audio at 48 kHz is 1.005 Pa²h, 62.8 % of the adult allowance.
#[test]
fn one_hour_at_94_db_a_is_1_005_pa2h() {
    let fs = 48_000.0;
    // 4800 samples are exactly 100 periods of 1 kHz: repeating them is a continuous sine.
    let x = sine(fs, 1_000.0, 0.0, 0.1, 4_800);
    let mut m = EarLevelMeter::new(fs as f32, 114.0);
    for _ in 0..(3_600 * 10) {
        m.process(&x, &x);
    }
    let r = m.read();
    let expected = pa2(94.0); // 1.0048 Pa² for 1 h
    println!(
        "1 h at 94 dB(A): {:.5} Pa²h ({:.2} % of 1.6), since reset {:.3} dB(A)",
        r.exposure_pa2h, r.dose_percent, r.louder_laeq_since_reset_db
    );
    assert!((expected - 1.005).abs() < 1e-3);
    assert!((r.exposure_pa2h / expected - 1.0).abs() < 0.01, "{r:?}");
    assert!((r.dose_percent - 62.8).abs() < 0.628, "{r:?}");
    assert!((r.louder_laeq_since_reset_db - 94.0).abs() < 0.05);
}

/// One minute at 94 dB(A): the exposure is that minute's Pa²h to 0.1 %, and the time left
/// follows from the allowance analytically.
#[test]
fn one_minute_exposure_and_time_left() {
    let fs = 48_000.0;
    let x = sine(fs, 1_000.0, 0.0, 0.1, 4_800);
    let p2 = pa2(94.0);
    for (allowance, pa2h) in [
        (WeeklyAllowance::Adult, 1.6),
        (WeeklyAllowance::Sensitive, 0.51),
    ] {
        let mut m = EarLevelMeter::new(fs as f32, 114.0);
        m.set_allowance(allowance);
        for _ in 0..600 {
            m.process(&x, &x);
        }
        let r = m.read();
        let exposure = p2 * 60.0 / 3_600.0;
        assert!((r.exposure_pa2h / exposure - 1.0).abs() < 1e-3, "{r:?}");
        assert!((r.dose_percent - 100.0 * exposure / pa2h).abs() < 1e-3 * r.dose_percent);
        // (allowance − exposure) / p²: 1.6 Pa²h at 1.0048 Pa² is 5732.8 s, minus the minute.
        let left = (pa2h * 3_600.0) / p2 - 60.0;
        let got = r.time_left_s.expect("time left at 94 dB(A)");
        println!("{allowance:?}: {got:.1} s left, expected {left:.1} s");
        assert!((got / left - 1.0).abs() < 2e-3, "{got} vs {left}");
        assert!((r.louder_max_laeq_1s_db - 94.0).abs() < 0.05);
    }
}

/// Exposure loads, clamps, resets, accumulates from a loaded value and reaches 100 %; the
/// time left is none at silence and zero once the allowance is used.
#[test]
fn exposure_restores_resets_and_runs_out() {
    let fs = 48_000.0;
    let x = sine(fs, 1_000.0, 0.0, 0.1, 4_800);
    let mut m = EarLevelMeter::new(fs as f32, 114.0);
    m.set_exposure_pa2h(1.0);
    assert_eq!(m.read().exposure_pa2h, 1.0);
    assert_eq!(m.read().time_left_s, None, "silence: no time limit");
    for _ in 0..600 {
        m.process(&x, &x);
    }
    let r = m.read();
    assert!(
        (r.exposure_pa2h - (1.0 + pa2(94.0) / 60.0)).abs() < 1e-4,
        "{r:?}"
    );
    for (bad, loaded) in [
        (f64::NAN, 0.0),
        (-1.0, 0.0),
        (f64::INFINITY, 0.0),
        (1e12, EXPOSURE_PA2H_MAX),
    ] {
        m.set_exposure_pa2h(bad);
        assert_eq!(m.read().exposure_pa2h, loaded);
    }
    m.set_exposure_pa2h(2.0);
    let r = m.read();
    assert_eq!(r.time_left_s, Some(0.0));
    assert!((r.dose_percent - 125.0).abs() < 1e-9);
    m.reset();
    let r = m.read();
    assert_eq!(r.exposure_pa2h, 0.0);
    assert_eq!(r.louder_max_laeq_1s_db, cuewire_dsp::meter::EAR_SILENCE_DB);
    // The live level carries on through a reset.
    assert!((r.louder_laeq_1s_db - 94.0).abs() < 0.1);
}

/// The headline figures and the exposure follow the louder ear.
#[test]
fn louder_ear_leads() {
    let fs = 48_000.0;
    let loud = sine(fs, 1_000.0, 0.0, 0.1, 4_800);
    let quiet = sine(fs, 1_000.0, 0.0, 0.01, 4_800);
    let mut m = EarLevelMeter::new(fs as f32, 114.0);
    for _ in 0..100 {
        m.process(&quiet, &loud);
    }
    let r = m.read();
    assert!((r.laeq_1s_db[0] - 74.0).abs() < 0.1 && (r.laeq_1s_db[1] - 94.0).abs() < 0.1);
    assert_eq!(r.louder_laeq_1s_db, r.laeq_1s_db[1]);
    assert_eq!(r.louder_laeq_since_reset_db, r.laeq_since_reset_db[1]);
    assert!((r.exposure_pa2h / (pa2(94.0) * 10.0 / 3_600.0) - 1.0).abs() < 2e-3);
}

/// A programme with loud and quiet passages, silence and level changes, different per ear.
fn programme(fs: f64, seconds: f64, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let n = (fs * seconds) as usize;
    let a = uniform(seed, 1.0, n);
    let b = uniform(seed + 1, 1.0, n);
    let env = |i: usize| {
        let t = i as f64 / fs;
        match (t * 2.0) as usize % 7 {
            0 => 0.0,
            1 | 2 => 0.5,
            3 => 0.05,
            4 => 1.3,
            _ => 0.2,
        }
    };
    let l = a
        .iter()
        .enumerate()
        .map(|(i, &v)| v * env(i) as f32)
        .collect();
    let r = b
        .iter()
        .enumerate()
        .map(|(i, &v)| v * env(i + 7_000) as f32 * 0.7)
        .collect();
    (l, r)
}

/// Readings at a series of checkpoints for one block size (or random sizes for 0).
fn ear_readings_with_blocks(fs: f64, l: &[f32], r: &[f32], block: usize) -> Vec<EarReading> {
    let mut m = EarLevelMeter::new(fs as f32, 110.0);
    m.set_exposure_pa2h(0.25);
    let checkpoint = (fs * 0.73) as usize;
    let mut out = Vec::new();
    for span in spans(l.len(), block, checkpoint) {
        m.process(&l[span.clone()], &r[span.clone()]);
        if span.end % checkpoint == 0 {
            out.push(m.read());
        }
    }
    out.push(m.read());
    out
}

/// Consecutive blocks covering `0..n`: all `block` long, or of random lengths for 0; none
/// crosses a multiple of `cut`.
fn spans(n: usize, block: usize, cut: usize) -> Vec<std::ops::Range<usize>> {
    let mut rng = SmallRng::seed_from_u64(9);
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < n {
        let want = if block == 0 {
            rng.gen_range(1..3_000)
        } else {
            block
        };
        let end = (pos + want).min((pos / cut + 1) * cut).min(n);
        out.push(pos..end);
        pos = end;
    }
    out
}

/// Any block split gives bit-identical readings at the same sample positions.
#[test]
fn ear_meter_block_size_independence() {
    let fs = 48_000.0;
    let (l, r) = programme(fs, 8.0, 3);
    let reference = ear_readings_with_blocks(fs, &l, &r, 4_096);
    assert!(reference.last().is_some_and(|r| r.exposure_pa2h > 0.25));
    for block in [1, 7, 64, 100, 512, 4_800, 0] {
        assert_eq!(
            ear_readings_with_blocks(fs, &l, &r, block),
            reference,
            "block {block}"
        );
    }
}

/// ‖h‖₁ of the A-weighting at `fs`: no input within ±1 can give a weighted sample larger.
fn a_weighting_l1_norm(fs: f32) -> f64 {
    let mut w = AWeighting::new(fs);
    let mut sum = w.process_sample(1.0, 0.0)[0].abs();
    for _ in 0..(fs as usize * 4) {
        sum += w.process_sample(0.0, 0.0)[0].abs();
    }
    sum
}

/// NaN, infinities, huge and subnormal samples: non-finite ones meter as silence and huge
/// ones as full scale (what the converter plays), so the readings equal those of the cleaned
/// signal; and no reading exceeds the bound any signal within full scale obeys: a weighted
/// sample is at most ‖h‖₁ (the filter's impulse response's absolute sum), so LAeq is at most
/// SPL₀ + 10·log10(2·‖h‖₁²) and the exposure at most that pressure² times the time.
#[test]
fn hostile_input_is_bounded() {
    let fs = 48_000.0;
    let spl0 = 110.0;
    let n = (fs * 10.0) as usize;
    let mut rng = SmallRng::seed_from_u64(77);
    let mut hostile = Vec::with_capacity(n);
    let mut clean = Vec::with_capacity(n);
    for i in 0..n {
        let (h, c) = match rng.gen_range(0..10) {
            0 => (f32::NAN, 0.0),
            1 => (f32::INFINITY, 0.0),
            2 => (f32::NEG_INFINITY, 0.0),
            3 => (1e30, 1.0),
            4 => (-1e30, -1.0),
            5 => (1e-40, 0.0),
            6 => (
                if i % 40 < 20 { 3.0 } else { -3.0 },
                if i % 40 < 20 { 1.0 } else { -1.0 },
            ),
            _ => {
                let v = rng.gen_range(-1.0f32..1.0);
                (v, v)
            }
        };
        hostile.push(h);
        clean.push(c);
    }
    let mut a = EarLevelMeter::new(fs as f32, spl0 as f32);
    let mut b = EarLevelMeter::new(fs as f32, spl0 as f32);
    feed_meter(&mut a, &hostile, &hostile, 333);
    feed_meter(&mut b, &clean, &clean, 333);
    let r = a.read();
    assert_eq!(r, b.read());
    let l1 = a_weighting_l1_norm(fs as f32);
    let bound_db = spl_db(spl0, l1 * l1);
    let bound_pa2h = pa2(bound_db) * 10.0 / 3_600.0;
    println!(
        "hostile: {:.1} dB(A), bound {bound_db:.1}; {:.3e} Pa²h, bound {bound_pa2h:.3e} (‖h‖₁ = {l1:.3})",
        r.louder_max_laeq_1s_db, r.exposure_pa2h
    );
    for v in r
        .laeq_1s_db
        .iter()
        .chain(&r.max_laeq_1s_db)
        .chain(&r.laeq_since_reset_db)
    {
        assert!(v.is_finite() && f64::from(*v) <= bound_db);
    }
    assert!(r.exposure_pa2h.is_finite() && r.exposure_pa2h <= bound_pa2h);
    assert!(r.dose_percent.is_finite());
    // The same meter goes on to read a clean signal correctly.
    let x = sine(fs, 1_000.0, 0.0, 0.1, (fs * 2.0) as usize);
    feed_meter(&mut a, &x, &x, 512);
    assert!((a.read().louder_laeq_1s_db - (spl0 as f32 - 20.0)).abs() < 0.1);
}

/// Silence reads as the floor, with no time limit, and costs no exposure worth counting.
#[test]
fn silence_reads_the_floor() {
    let mut m = EarLevelMeter::new(48_000.0, 130.0);
    let z = vec![0.0f32; 48_000 * 20];
    m.process(&z, &z);
    let r = m.read();
    assert_eq!(r.louder_laeq_1s_db, cuewire_dsp::meter::EAR_SILENCE_DB);
    assert_eq!(r.time_left_s, None);
    assert!(r.exposure_pa2h < 1e-20, "{}", r.exposure_pa2h);
}

// ---------------------------------------------------------------------------------------
// Level limit.

/// Scales `l`, `r` so that the louder ear's A-weighted level over the whole signal is
/// `target_db` dB SPL on an output of `spl0`.
fn scale_to_level(fs: f32, l: &mut [f32], r: &mut [f32], spl0: f64, target_db: f64) {
    let sq = weighted_squares(fs, l, r);
    let ms = (0..2)
        .map(|c| sq.iter().map(|s| s[c]).sum::<f64>() / sq.len() as f64)
        .fold(0.0, f64::max);
    let g = 10f64.powf((target_db - spl_db(spl0, ms)) / 20.0) as f32;
    for v in l.iter_mut().chain(r.iter_mut()) {
        *v *= g;
    }
}

/// The louder ear's A-weighted level (dB SPL) over sliding windows of `window_s` ending
/// every `step_s` (samples before the start count as silence); (end time s, level).
fn sliding_laeq(
    fs: f64,
    l: &[f32],
    r: &[f32],
    spl0: f64,
    window_s: f64,
    step_s: f64,
) -> Vec<(f64, f64)> {
    let sq = weighted_squares(fs as f32, l, r);
    let mut prefix = vec![[0.0f64; 2]; sq.len() + 1];
    for (i, s) in sq.iter().enumerate() {
        prefix[i + 1] = [prefix[i][0] + s[0], prefix[i][1] + s[1]];
    }
    let win = (fs * window_s) as usize;
    let step = (fs * step_s) as usize;
    (step..=sq.len())
        .step_by(step)
        .map(|end| {
            let start = end.saturating_sub(win);
            let ms = (0..2)
                .map(|c| (prefix[end][c] - prefix[start][c]) / win as f64)
                .fold(0.0, f64::max);
            (end as f64 / fs, spl_db(spl0, ms))
        })
        .collect()
}

fn run_limit(lim: &mut LevelLimit, l: &mut [f32], r: &mut [f32], block: usize) -> Vec<f32> {
    let mut reductions = Vec::new();
    for (bl, br) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
        lim.process(bl, br);
        reductions.push(lim.gain_reduction_db());
    }
    reductions
}

/// Noise 10 dB over the limit: from 2 s on, the output's LAeq over every 100 ms is within
/// 1 dB of the limit; its sliding LAeq,3s never exceeds the limit by more than 3 dB.
#[test]
fn noise_10_db_over_settles_at_the_limit() {
    let fs = 48_000.0;
    let spl0 = 105.0;
    let limit = f64::from(DEFAULT_LIMIT_DB_SPL);
    let n = (fs * 12.0) as usize;
    let (mut l, mut r) = (uniform(11, 1.0, n), uniform(12, 1.0, n));
    scale_to_level(fs as f32, &mut l, &mut r, spl0, limit + 10.0);
    let mut lim = LevelLimit::new(fs as f32, spl0 as f32);
    lim.set_enabled(true);
    run_limit(&mut lim, &mut l, &mut r, 256);
    let short = sliding_laeq(fs, &l, &r, spl0, 0.1, 0.1);
    let settled = short
        .iter()
        .filter(|(t, _)| *t >= 2.0)
        .map(|(_, db)| (db - limit).abs())
        .fold(0.0, f64::max);
    let long = sliding_laeq(fs, &l, &r, spl0, 3.0, 0.01);
    let over = long
        .iter()
        .map(|(_, db)| db - limit)
        .fold(f64::MIN, f64::max);
    println!(
        "10 dB over: LAeq,100ms within {settled:.2} dB of the limit after 2 s; LAeq,3s peak {over:+.2} dB; reduction {:.2} dB",
        lim.gain_reduction_db()
    );
    assert!(settled < 1.0, "{settled}");
    assert!(over < 3.0, "{over}");
    assert!((lim.gain_reduction_db() - 10.0).abs() < 0.5);
}

/// Under the limit the stage passes audio bit for bit, and so does a stage that is off, or
/// that was turned off and has recovered.
#[test]
fn under_the_limit_passes_bit_identically() {
    let fs = 48_000.0;
    let spl0 = 105.0;
    let n = (fs * 6.0) as usize;
    let (mut l, mut r) = (uniform(21, 1.0, n), uniform(22, 1.0, n));
    scale_to_level(fs as f32, &mut l, &mut r, spl0, 70.0);
    let (l0, r0) = (l.clone(), r.clone());
    let mut lim = LevelLimit::new(fs as f32, spl0 as f32);
    lim.set_enabled(true);
    let reductions = run_limit(&mut lim, &mut l, &mut r, 480);
    assert!(reductions.iter().all(|&g| g == 0.0));
    assert!(l.iter().zip(&l0).all(|(a, b)| a.to_bits() == b.to_bits()));
    assert!(r.iter().zip(&r0).all(|(a, b)| a.to_bits() == b.to_bits()));

    // Loud audio through an off stage; then on (reduces), off again (recovers to exactly 1).
    let (mut l, mut r) = (uniform(23, 1.0, n), uniform(24, 1.0, n));
    scale_to_level(fs as f32, &mut l, &mut r, spl0, 95.0);
    let (l0, r0) = (l.clone(), r.clone());
    let mut lim = LevelLimit::new(fs as f32, spl0 as f32);
    run_limit(&mut lim, &mut l, &mut r, 480);
    assert!(l.iter().zip(&l0).all(|(a, b)| a.to_bits() == b.to_bits()));
    lim.set_enabled(true);
    run_limit(&mut lim, &mut l.clone(), &mut r.clone(), 480);
    assert!(lim.gain_reduction_db() > 10.0);
    lim.set_enabled(false);
    let mut t = 0;
    while lim.gain_reduction_db() > 0.0 {
        let (mut a, mut b) = (l0[..480].to_vec(), r0[..480].to_vec());
        lim.process(&mut a, &mut b);
        t += 480;
        assert!(t < n * 4, "no recovery");
    }
    println!("recovered from 15 dB in {:.2} s", t as f64 / fs);
    let (mut a, mut b) = (l0.clone(), r0.clone());
    run_limit(&mut lim, &mut a, &mut b, 480);
    assert!(a.iter().zip(&l0).all(|(x, y)| x.to_bits() == y.to_bits()));
    assert!(b.iter().zip(&r0).all(|(x, y)| x.to_bits() == y.to_bits()));
}

/// Drum-like hits (50 ms decaying noise bursts every 500 ms, whose LAeq is 6 dB over the
/// limit): once settled, the gain reduction varies by less than 1 dB peak to peak (no
/// pumping), and the output's LAeq,3s sits within 1.5 dB under the limit.
#[test]
fn drum_hits_do_not_pump() {
    let fs = 48_000.0;
    let spl0 = 105.0;
    let limit = f64::from(DEFAULT_LIMIT_DB_SPL);
    let n = (fs * 16.0) as usize;
    let period = (fs * 0.5) as usize;
    let hit = (fs * 0.05) as usize;
    let env: Vec<f32> = (0..n)
        .map(|i| {
            let k = i % period;
            if k < hit {
                (-(k as f64) / (fs * 0.015)).exp() as f32
            } else {
                0.0
            }
        })
        .collect();
    let mut l: Vec<f32> = uniform(31, 1.0, n)
        .iter()
        .zip(&env)
        .map(|(a, e)| a * e)
        .collect();
    let mut r: Vec<f32> = uniform(32, 1.0, n)
        .iter()
        .zip(&env)
        .map(|(a, e)| a * e)
        .collect();
    scale_to_level(fs as f32, &mut l, &mut r, spl0, limit + 6.0);
    let mut lim = LevelLimit::new(fs as f32, spl0 as f32);
    lim.set_enabled(true);
    let block = 48;
    let reductions = run_limit(&mut lim, &mut l, &mut r, block);
    let settled: Vec<f32> = reductions[(n / 2) / block..].to_vec();
    let (lo, hi) = settled
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), &g| (a.min(g), b.max(g)));
    let long = sliding_laeq(fs, &l, &r, spl0, 3.0, 0.01);
    let late: Vec<f64> = long
        .iter()
        .filter(|(t, _)| *t >= 8.0)
        .map(|(_, db)| db - limit)
        .collect();
    let (lmin, lmax) = late
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    println!(
        "drums: reduction {lo:.2}..{hi:.2} dB (ripple {:.2} dB); LAeq,3s {lmin:+.2}..{lmax:+.2} dB re limit",
        hi - lo
    );
    assert!(hi - lo < 1.0, "ripple {}", hi - lo);
    assert!(lo > 5.0, "reduction {lo}");
    assert!(lmax < 0.5 && lmin > -1.5, "{lmin} {lmax}");
}

/// Any block split gives bit-identical output and reduction.
#[test]
fn level_limit_block_size_independence() {
    let fs = 48_000.0;
    let spl0 = 110.0;
    let (l0, r0) = programme(fs, 8.0, 41);
    let run = |block: usize| {
        let (mut l, mut r) = (l0.clone(), r0.clone());
        let mut lim = LevelLimit::new(fs as f32, spl0 as f32);
        lim.set_enabled(true);
        for span in spans(l.len(), block, l.len()) {
            lim.process(&mut l[span.clone()], &mut r[span]);
        }
        (l, r, lim.gain_reduction_db())
    };
    let reference = run(4_096);
    assert!(reference.2 > 0.0);
    for block in [1, 7, 48, 100, 512, 0] {
        let got = run(block);
        assert!(
            got.0
                .iter()
                .zip(&reference.0)
                .all(|(a, b)| a.to_bits() == b.to_bits())
                && got
                    .1
                    .iter()
                    .zip(&reference.1)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
                && got.2 == reference.2,
            "block {block}"
        );
    }
}

/// NaN, infinite, huge and subnormal input: the reduction stays finite and within the bound
/// set by full scale (a weighted sample ≤ ‖h‖₁), finite samples leave finite, and once the
/// input is quiet again the gain recovers to exactly 1.
#[test]
fn level_limit_hostile_input() {
    let fs = 48_000.0;
    let spl0 = 120.0;
    let n = (fs * 4.0) as usize;
    let mut rng = SmallRng::seed_from_u64(88);
    let hostile: Vec<f32> = (0..n)
        .map(|_| match rng.gen_range(0..8) {
            0 => f32::NAN,
            1 => f32::INFINITY,
            2 => -1e30,
            3 => 1e-40,
            _ => rng.gen_range(-1.0f32..1.0),
        })
        .collect();
    let mut lim = LevelLimit::new(fs as f32, spl0 as f32);
    lim.set_enabled(true);
    lim.set_limit_db_spl(60.0);
    let (mut l, mut r) = (hostile.clone(), hostile.clone());
    let reductions = run_limit(&mut lim, &mut l, &mut r, 256);
    let l1 = a_weighting_l1_norm(fs as f32);
    let bound = spl_db(spl0, l1 * l1) - 60.0;
    let worst = reductions.iter().fold(0.0f32, |a, &b| a.max(b));
    println!("hostile: largest reduction {worst:.1} dB, bound {bound:.1} dB");
    assert!(reductions.iter().all(|g| g.is_finite() && *g >= 0.0));
    assert!(f64::from(worst) <= bound);
    for (out, inp) in l.iter().zip(&hostile) {
        assert!(!inp.is_finite() || out.is_finite());
    }
    let mut quiet = vec![0.0f32; 480];
    let mut waited = 0;
    while lim.gain_reduction_db() > 0.0 {
        let mut q2 = quiet.clone();
        lim.process(&mut quiet, &mut q2);
        waited += 480;
        assert!(waited < (fs * 200.0) as usize, "no recovery");
    }
    println!("recovered in {:.1} s", waited as f64 / fs);
}
