//! Loudness meter tests against published numbers: the ITU-R BS.1770-4 K-weighting table, the
//! EBU Tech 3341 minimum-requirement cases 1-5 and 9-14 and EBU Tech 3342 cases 1-4 (signals
//! generated here as the documents describe them), the ebur128 crate on noise and on a
//! music-like programme, block-size independence, hostile input and allocation-freedom.
//! Measured values are printed (`cargo test -p cuewire-dsp --test loudness -- --nocapture`).
//!
//! Cases not run, because the meter measures one stereo output or the signal cannot be
//! generated: Tech 3341 case 6 (5.0 channels with surround weights), cases 7 and 8 and
//! Tech 3342 cases 5 and 6 (authentic programme recordings from the EBU test set).

use std::f64::consts::PI;

use cuewire_dsp::meter::{
    k_weighting, plr_lu, Biquad, LoudnessMeter, LoudnessReading, HIGH_PASS_F0_HZ, HIGH_PASS_Q,
    LOUDNESS_FLOOR_LUFS, SHELF_F0_HZ, SHELF_GAIN_DB, SHELF_Q, SHELF_VB_EXPONENT,
};
use cuewire_testkit::{allocations_during, noise};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

// ---------------------------------------------------------------------------------------
// The testkit's allocation counter, so `process` can be checked allocation-free without a
// framework.
#[global_allocator]
static ALLOC: cuewire_testkit::CountingAlloc = cuewire_testkit::CountingAlloc;

// ---------------------------------------------------------------------------------------
// K-weighting: published coefficients and responses.

/// The ITU-R BS.1770-4 K-weighting table at 48 kHz: (b, a) of the pre-filter and the RLB
/// high-pass.
const BS1770_TABLE_48K: [([f64; 3], [f64; 3]); 2] = [
    (
        [1.53512485958697, -2.69169618940638, 1.19839281085285],
        [1.0, -1.69065929318241, 0.73248077421585],
    ),
    ([1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621]),
];

fn table_48k() -> [Biquad; 2] {
    BS1770_TABLE_48K.map(|(b, a)| Biquad { b, a })
}

/// Bilinear transform of the analog biquad `(n2·s² + n1·s + n0) / (d2·s² + d1·s + d0)` (s in
/// rad/s) with the frequency `f0_hz` prewarped, normalised to a0 = 1.
fn bilinear(fs: f64, f0_hz: f64, num: [f64; 3], den: [f64; 3]) -> Biquad {
    let w0 = 2.0 * PI * f0_hz;
    let c = w0 / (w0 / (2.0 * fs)).tan();
    let z = |[p2, p1, p0]: [f64; 3]| {
        [
            p2 * c * c + p1 * c + p0,
            2.0 * (p0 - p2 * c * c),
            p2 * c * c - p1 * c + p0,
        ]
    };
    let (b, a) = (z(num), z(den));
    Biquad {
        b: b.map(|v| v / a[0]),
        a: a.map(|v| v / a[0]),
    }
}

/// The K-weighting at `fs` by the published method, written out independently: the shelf
/// prototype `(Vh·s² + Vb·(ω0/Q)·s + ω0²) / (s² + (ω0/Q)·s + ω0²)` and the high-pass
/// `s² / (s² + (ω0/Q)·s + ω0²)`, whose numerator the table keeps at [1, −2, 1].
fn published_method(fs: f64) -> [Biquad; 2] {
    let vh = 10f64.powf(SHELF_GAIN_DB / 20.0);
    let vb = vh.powf(SHELF_VB_EXPONENT);
    let w = 2.0 * PI * SHELF_F0_HZ;
    let shelf = bilinear(
        fs,
        SHELF_F0_HZ,
        [vh, vb * w / SHELF_Q, w * w],
        [1.0, w / SHELF_Q, w * w],
    );
    let w = 2.0 * PI * HIGH_PASS_F0_HZ;
    let mut high_pass = bilinear(
        fs,
        HIGH_PASS_F0_HZ,
        [1.0, 0.0, 0.0],
        [1.0, w / HIGH_PASS_Q, w * w],
    );
    high_pass.b = high_pass.b.map(|v| v / high_pass.b[0]);
    [shelf, high_pass]
}

/// |H(e^{jω})| in dB of a cascade at frequency `f` (Hz), rate `fs` (Hz).
fn response_db(sections: &[Biquad], f: f64, fs: f64) -> f64 {
    let w = 2.0 * PI * f / fs;
    let poly = |c: [f64; 3]| {
        let re = c[0] + c[1] * w.cos() + c[2] * (2.0 * w).cos();
        let im = -c[1] * w.sin() - c[2] * (2.0 * w).sin();
        re.hypot(im)
    };
    sections
        .iter()
        .map(|s| 20.0 * (poly(s.b) / poly(s.a)).log10())
        .sum()
}

/// Log-spaced frequencies from 20 Hz to 10 kHz (1 % apart).
fn audio_band() -> impl Iterator<Item = f64> {
    (0..)
        .map(|i| 20.0 * 1.01f64.powi(i))
        .take_while(|&f| f <= 10_000.0)
}

fn assert_coefficients_equal(ours: &[Biquad; 2], theirs: &[Biquad; 2], tol: f64, what: &str) {
    for (s, (o, t)) in ours.iter().zip(theirs).enumerate() {
        for (x, y) in o.b.iter().chain(&o.a).zip(t.b.iter().chain(&t.a)) {
            assert!((x - y).abs() <= tol, "{what} section {s}: {x} vs {y}");
        }
    }
}

#[test]
fn k_weighting_at_48k_is_the_bs1770_table() {
    let ours = k_weighting(48_000.0);
    println!("48 kHz: {ours:?}");
    assert_coefficients_equal(&ours, &table_48k(), 1e-9, "48 kHz vs BS.1770-4 table");
}

#[test]
fn k_weighting_at_other_rates_is_the_published_method() {
    for fs in [44_100.0, 88_200.0, 96_000.0, 192_000.0] {
        let ours = k_weighting(fs as f32);
        println!("{fs} Hz: {ours:?}");
        assert_coefficients_equal(&ours, &published_method(fs), 1e-12, &format!("{fs} Hz"));
    }
}

#[test]
fn k_weighting_response_matches_the_48k_table() {
    let table = table_48k();
    let worst = |fs: f64, stage: &dyn Fn(&[Biquad; 2]) -> Vec<Biquad>, nyquist_norm: bool| {
        let ours = k_weighting(fs as f32);
        let (o, t) = (stage(&ours), stage(&table));
        // Pass-band gain = gain at Nyquist, where a high-pass is flat.
        let norm = |s: &[Biquad], rate: f64| {
            if nyquist_norm {
                response_db(s, rate / 2.0, rate)
            } else {
                0.0
            }
        };
        let (no, nt) = (norm(&o, fs), norm(&t, 48_000.0));
        audio_band()
            .map(|f| (response_db(&o, f, fs) - no) - (response_db(&t, f, 48_000.0) - nt))
            .fold(0.0f64, |m, d| if d.abs() > m.abs() { d } else { m })
    };
    let both = |k: &[Biquad; 2]| k.to_vec();
    let shelf = |k: &[Biquad; 2]| vec![k[0]];
    let high_pass = |k: &[Biquad; 2]| vec![k[1]];
    for fs in [44_100.0, 96_000.0] {
        let full = worst(fs, &both, false);
        let sh = worst(fs, &shelf, false);
        let hp = worst(fs, &high_pass, true);
        println!(
            "{fs} Hz vs the 48 kHz table, 20 Hz-10 kHz: K {full:+.4} dB, shelf {sh:+.4} dB, \
             high-pass (pass band normalised) {hp:+.4} dB"
        );
        assert!(sh.abs() <= 0.01 && hp.abs() <= 0.01);
        // The table's high-pass numerator [1, −2, 1] gives a pass-band gain of 1 + K/Q + K²,
        // which depends on the rate: +0.043 dB at 48 kHz, +0.038 at 44.1 kHz, +0.022 at
        // 96 kHz. Every implementation of the published method carries this difference.
        let tol = if fs < 48_000.0 { 0.01 } else { 0.03 };
        assert!(full.abs() <= tol, "{fs} Hz: {full} dB");
    }
}

// ---------------------------------------------------------------------------------------
// Signals.

/// A stretch of a test signal: (duration in seconds, per-channel peak level in dBFS or `None`
/// for silence).
type Segment = (f64, Option<f64>);

/// 1 kHz stereo sine (same on both channels, continuous phase) whose per-channel peak level
/// is piecewise constant over `segments`.
fn tone_sequence(fs: f64, segments: &[Segment]) -> Vec<f32> {
    let mut x = Vec::new();
    for &(secs, dbfs) in segments {
        let amp = dbfs.map_or(0.0, |d| 10f64.powf(d / 20.0));
        let n = (secs * fs).round() as usize;
        let start = x.len();
        x.extend(
            (start..start + n).map(|i| (amp * (2.0 * PI * 1000.0 * i as f64 / fs).sin()) as f32),
        );
    }
    x
}

/// A music-like stereo programme of `secs` seconds: partly correlated, low-passed noise plus
/// two partials, in sections 1.5-7 s long whose levels span −45 to −10 dBFS, with 50 ms
/// ramps and a beat-like 2 Hz envelope, so the gates and the range have work to do.
fn programme(fs: f64, secs: f64, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let n = (secs * fs) as usize;
    let mut sections = Vec::new();
    let mut t = 0.0;
    while t < secs {
        let len: f64 = rng.gen_range(1.5..7.0);
        sections.push((t, rng.gen_range(-45.0f64..-10.0)));
        t += len;
    }
    let (mut a, mut b, mut c) = (0.0f64, 0.0f64, 0.0f64);
    let mut level_db = sections[0].1;
    let ramp = 1.0 - (-1.0 / (0.05 * fs)).exp();
    let mut s = 0;
    (0..n)
        .map(|i| {
            let t = i as f64 / fs;
            while s + 1 < sections.len() && sections[s + 1].0 <= t {
                s += 1;
            }
            level_db += (sections[s].1 - level_db) * ramp;
            let g = 10f64.powf(level_db / 20.0) * 2.0;
            let beat = 0.6 + 0.4 * (2.0 * PI * 2.0 * t).sin().abs();
            a = 0.97 * a + 0.03 * rng.gen_range(-1.0..1.0);
            b = 0.8 * b + 0.2 * rng.gen_range(-1.0..1.0);
            c = 0.8 * c + 0.2 * rng.gen_range(-1.0..1.0);
            let tone = 0.2 * (2.0 * PI * 220.0 * t).sin() + 0.1 * (2.0 * PI * 3_150.0 * t).sin();
            let l = g * beat * (a + 0.3 * b + tone);
            let r = g * beat * (a + 0.3 * c + 0.7 * tone);
            (l as f32, r as f32)
        })
        .unzip()
}

/// Feeds `l`, `r` in blocks of `block` frames.
fn feed(m: &mut LoudnessMeter, l: &[f32], r: &[f32], block: usize) {
    for (cl, cr) in l.chunks(block).zip(r.chunks(block)) {
        m.process(cl, cr);
    }
}

/// Whole-file measurement: a new meter, the whole signal in blocks of 512, one read.
fn measure(fs: f64, x: &[f32]) -> LoudnessReading {
    let mut m = LoudnessMeter::new(fs as f32);
    feed(&mut m, x, x, 512);
    m.read()
}

fn assert_near(what: &str, got: f32, expected: f64, tol: f64) {
    let d = f64::from(got) - expected;
    assert!(
        d.abs() <= tol,
        "{what}: {got:.4} (expected {expected} ±{tol})"
    );
}

// ---------------------------------------------------------------------------------------
// EBU Tech 3341 minimum-requirement cases (tolerance ±0.1 LU).

const RATES: [f64; 3] = [44_100.0, 48_000.0, 96_000.0];
const TOL_LU: f64 = 0.1;

#[test]
fn ebu_3341_cases_1_and_2_steady_tones() {
    for fs in RATES {
        for (case, dbfs) in [(1, -23.0), (2, -33.0)] {
            let r = measure(fs, &tone_sequence(fs, &[(20.0, Some(dbfs))]));
            println!(
                "3341 case {case} at {fs} Hz: M {:.4} S {:.4} I {:.4} LUFS",
                r.momentary_lufs, r.short_term_lufs, r.integrated_lufs
            );
            for (what, v) in [
                ("M", r.momentary_lufs),
                ("S", r.short_term_lufs),
                ("I", r.integrated_lufs),
            ] {
                assert_near(&format!("case {case} {what} at {fs}"), v, dbfs, TOL_LU);
            }
        }
    }
}

#[test]
fn ebu_3341_cases_3_to_5_gating() {
    let cases: [(u32, Vec<Segment>); 3] = [
        (
            3,
            vec![
                (10.0, Some(-36.0)),
                (60.0, Some(-23.0)),
                (10.0, Some(-36.0)),
            ],
        ),
        (
            4,
            vec![
                (10.0, Some(-72.0)),
                (10.0, Some(-36.0)),
                (60.0, Some(-23.0)),
                (10.0, Some(-36.0)),
                (10.0, Some(-72.0)),
            ],
        ),
        (
            5,
            vec![
                (20.0, Some(-26.0)),
                (20.1, Some(-20.0)),
                (20.0, Some(-26.0)),
            ],
        ),
    ];
    for fs in RATES {
        for (case, segments) in &cases {
            let r = measure(fs, &tone_sequence(fs, segments));
            println!(
                "3341 case {case} at {fs} Hz: I {:.4} LUFS",
                r.integrated_lufs
            );
            assert_near(
                &format!("case {case} I at {fs}"),
                r.integrated_lufs,
                -23.0,
                TOL_LU,
            );
        }
    }
}

/// Reads after every block of `block` frames from `from_s` seconds on: (min, max) of `pick`.
fn live_range(
    fs: f64,
    x: &[f32],
    block: usize,
    from_s: f64,
    pick: impl Fn(&LoudnessReading) -> f32,
) -> (f32, f32) {
    let mut m = LoudnessMeter::new(fs as f32);
    let (mut lo, mut hi) = (f32::MAX, f32::MIN);
    let mut pos = 0;
    for c in x.chunks(block) {
        m.process(c, c);
        pos += c.len();
        if pos as f64 >= from_s * fs {
            let v = pick(&m.read());
            (lo, hi) = (lo.min(v), hi.max(v));
        }
    }
    (lo, hi)
}

#[test]
fn ebu_3341_cases_9_and_12_constant_readings() {
    for fs in RATES {
        let period = [(1.34, Some(-20.0)), (1.66, Some(-30.0))];
        let x = tone_sequence(fs, &period.repeat(5));
        let (lo, hi) = live_range(fs, &x, (fs / 100.0) as usize, 3.0, |r| r.short_term_lufs);
        println!("3341 case 9 at {fs} Hz: S from 3 s on within {lo:.4}..{hi:.4} LUFS");
        assert_near("case 9 S min", lo, -23.0, TOL_LU);
        assert_near("case 9 S max", hi, -23.0, TOL_LU);

        let period = [(0.18, Some(-20.0)), (0.22, Some(-30.0))];
        let x = tone_sequence(fs, &period.repeat(25));
        let (lo, hi) = live_range(fs, &x, (fs / 100.0) as usize, 1.0, |r| r.momentary_lufs);
        println!("3341 case 12 at {fs} Hz: M from 1 s on within {lo:.4}..{hi:.4} LUFS");
        assert_near("case 12 M min", lo, -23.0, TOL_LU);
        assert_near("case 12 M max", hi, -23.0, TOL_LU);
    }
}

#[test]
fn ebu_3341_cases_10_and_13_file_based_maxima() {
    // Per case: the lead-silence step (s), the tone length (s) and the maximum it tests.
    type Pick = fn(&LoudnessReading) -> f32;
    let cases: [(u32, f64, f64, Pick); 2] = [
        (10, 0.15, 3.0, |r| r.max_short_term_lufs),
        (13, 0.02, 0.4, |r| r.max_momentary_lufs),
    ];
    for fs in RATES {
        for (case, step_s, tone_s, pick) in cases {
            let mut worst = 0.0f64;
            for i in 0..20 {
                let plan = [
                    (i as f64 * step_s, None),
                    (tone_s, Some(-23.0)),
                    (1.0, None),
                ];
                let got = pick(&measure(fs, &tone_sequence(fs, &plan)));
                assert_near(
                    &format!("case {case}-{} at {fs}", i + 1),
                    got,
                    -23.0,
                    TOL_LU,
                );
                worst = worst.max((f64::from(got) + 23.0).abs());
            }
            println!("3341 case {case} at {fs} Hz: largest error over 20 files {worst:.4} LU");
        }
    }
}

#[test]
fn ebu_3341_cases_11_and_14_live_maxima() {
    // A live meter's maxima, reset at the start of each of the 20 segments and read at its
    // end, must give −38, −37, ..., −19 LUFS.
    for fs in RATES {
        for (case, tone_s, step_s) in [(11, 3.0, 0.15), (14, 0.4, 0.02)] {
            let segment = |i: usize| {
                let lead = i as f64 * step_s;
                [
                    (lead, None),
                    (tone_s, Some(-38.0 + i as f64)),
                    (tone_s - lead, None),
                ]
            };
            let plan: Vec<Segment> = (0..20).flat_map(segment).collect();
            let x = tone_sequence(fs, &plan);
            let mut m = LoudnessMeter::new(fs as f32);
            let mut pos = 0;
            let mut worst = 0.0f64;
            for i in 0..20 {
                let len: usize = segment(i)
                    .iter()
                    .map(|&(secs, _)| (secs * fs).round() as usize)
                    .sum();
                m.reset();
                feed(&mut m, &x[pos..pos + len], &x[pos..pos + len], 256);
                pos += len;
                let r = m.read();
                let got = if case == 11 {
                    r.max_short_term_lufs
                } else {
                    r.max_momentary_lufs
                };
                let expected = -38.0 + i as f64;
                assert_near(
                    &format!("case {case} segment {i} at {fs}"),
                    got,
                    expected,
                    TOL_LU,
                );
                worst = worst.max((f64::from(got) - expected).abs());
            }
            assert_eq!(pos, x.len());
            println!("3341 case {case} at {fs} Hz: largest error over 20 segments {worst:.4} LU");
        }
    }
}

// ---------------------------------------------------------------------------------------
// EBU Tech 3342 loudness range cases (tolerance ±1 LU).

#[test]
fn ebu_3342_cases_1_to_4() {
    let cases: [(u32, Vec<f64>, f64); 4] = [
        (1, vec![-20.0, -30.0], 10.0),
        (2, vec![-20.0, -15.0], 5.0),
        (3, vec![-40.0, -20.0], 20.0),
        (4, vec![-50.0, -35.0, -20.0, -35.0, -50.0], 15.0),
    ];
    for fs in RATES {
        for (case, levels, expected) in &cases {
            let plan: Vec<Segment> = levels.iter().map(|&l| (20.0, Some(l))).collect();
            let r = measure(fs, &tone_sequence(fs, &plan));
            println!(
                "3342 case {case} at {fs} Hz: LRA {:.4} LU",
                r.loudness_range_lu
            );
            assert_near(
                &format!("3342 case {case} at {fs}"),
                r.loudness_range_lu,
                *expected,
                1.0,
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Against the ebur128 crate.

/// EBU Tech 3342's algorithm on a list of short-term loudness values (LUFS).
fn tech_3342_lra(short_term: &[f64]) -> f64 {
    let gated: Vec<f64> = short_term.iter().copied().filter(|&l| l >= -70.0).collect();
    if gated.is_empty() {
        return 0.0;
    }
    let power = gated.iter().map(|l| 10f64.powf(l / 10.0)).sum::<f64>() / gated.len() as f64;
    let threshold = 10.0 * power.log10() - 20.0;
    let mut kept: Vec<f64> = gated.into_iter().filter(|&l| l >= threshold).collect();
    kept.sort_by(f64::total_cmp);
    let n = kept.len();
    let at = |p: f64| kept[((n - 1) as f64 * p / 100.0).round() as usize];
    at(95.0) - at(10.0)
}

#[test]
fn matches_ebur128_on_noise_and_programme() {
    use ebur128::{EbuR128, Mode};
    for fs in [44_100u32, 48_000] {
        let f = f64::from(fs);
        let secs = 60.0;
        let n = (secs * f) as usize;
        let (pl, pr) = programme(f, secs, 7);
        let signals = [
            ("noise", noise(1, 0.1, n), noise(2, 0.05, n)),
            ("programme", pl, pr),
        ];
        for (name, l, r) in signals {
            let mut ours = LoudnessMeter::new(fs as f32);
            let mut theirs = EbuR128::new(2, fs, Mode::M | Mode::S | Mode::I | Mode::LRA)
                .expect("ebur128 state");
            // 100 ms pieces: ebur128's short-term loudness at 10 Hz feeds the Tech 3342
            // reference (ebur128's own range samples the short-term loudness once a second).
            let hop = (fs / 10) as usize;
            let mut short_term = Vec::new();
            let mut pos = 0;
            while pos < n {
                let end = (pos + hop).min(n);
                ours.process(&l[pos..end], &r[pos..end]);
                theirs
                    .add_frames_planar_f32(&[&l[pos..end], &r[pos..end]])
                    .expect("frames");
                pos = end;
                if pos >= 3 * fs as usize {
                    short_term.push(theirs.loudness_shortterm().expect("S"));
                }
            }
            let o = ours.read();
            let t = [
                theirs.loudness_momentary().expect("M"),
                theirs.loudness_shortterm().expect("S"),
                theirs.loudness_global().expect("I"),
                tech_3342_lra(&short_term),
                theirs.loudness_range().expect("LRA"),
            ];
            let mine = [
                o.momentary_lufs,
                o.short_term_lufs,
                o.integrated_lufs,
                o.loudness_range_lu,
            ]
            .map(f64::from);
            println!(
                "{name} at {fs} Hz: ours M {:.4} S {:.4} I {:.4} LRA {:.4}; ebur128 M {:.4} S \
                 {:.4} I {:.4} LRA(3342 on its 10 Hz S) {:.4}, its own LRA (1 Hz S) {:.4}",
                mine[0], mine[1], mine[2], mine[3], t[0], t[1], t[2], t[3], t[4]
            );
            for (what, (a, b)) in ["M", "S", "I", "LRA"].iter().zip(mine.iter().zip(&t)) {
                assert!(
                    (a - b).abs() <= 0.05,
                    "{name} at {fs} Hz {what}: {a} vs {b}"
                );
            }
            // ebur128's own range samples the 3 s windows once a second, not at the 10 Hz
            // Tech 3342 asks for, so it is printed for information only.
            assert!(o.loudness_range_lu > 5.0 || name == "noise");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Block sizes, long sessions, resets.

#[test]
fn any_block_split_gives_identical_readings() {
    let fs = 48_000.0;
    let (l, r) = programme(fs, 12.0, 3);
    let mut rng = SmallRng::seed_from_u64(9);
    // Checkpoints at irregular positions; the reference takes each span in one call.
    let mut checkpoints = vec![0usize];
    while *checkpoints.last().unwrap_or(&0) < l.len() {
        let next = checkpoints.last().unwrap_or(&0) + rng.gen_range(1..40_000);
        checkpoints.push(next.min(l.len()));
    }
    let mut reference = LoudnessMeter::new(fs as f32);
    let mut refs = Vec::new();
    for w in checkpoints.windows(2) {
        reference.process(&l[w[0]..w[1]], &r[w[0]..w[1]]);
        refs.push(reference.read());
    }
    assert!(refs.last().is_some_and(|x| x.loudness_range_lu > 1.0));
    for pattern in 0..6 {
        let mut m = LoudnessMeter::new(fs as f32);
        for (w, expected) in checkpoints.windows(2).zip(&refs) {
            let mut pos = w[0];
            while pos < w[1] {
                let block = match pattern {
                    0 => 1,
                    1 => 7,
                    2 => 64,
                    3 => 441,
                    4 => 8_192,
                    _ => rng.gen_range(1..=8_192),
                };
                let end = (pos + block).min(w[1]);
                m.process(&l[pos..end], &r[pos..end]);
                pos = end;
            }
            assert_eq!(m.read(), *expected, "pattern {pattern} at {}", w[1]);
        }
    }
}

/// BS.1770-4 gated loudness of a list of gating-block loudness values (LUFS), exact.
fn bs1770_integrated(blocks: &[f64]) -> f64 {
    let energy = |l: &f64| 10f64.powf(l / 10.0);
    let mean = |v: &[f64]| 10.0 * (v.iter().map(energy).sum::<f64>() / v.len() as f64).log10();
    let gated: Vec<f64> = blocks.iter().copied().filter(|&l| l >= -70.0).collect();
    let threshold = mean(&gated) - 10.0;
    let kept: Vec<f64> = gated.into_iter().filter(|&l| l >= threshold).collect();
    mean(&kept)
}

#[test]
fn three_hours_in_fixed_memory_equal_the_exact_method() {
    // Three hours of programme (one minute repeated), read every 100 ms: every read after
    // 400 ms gives one gating block's loudness (the momentary reading), every read after 3 s
    // one short-term value. The integrated loudness and range from the histogram must equal
    // the exact gates and percentiles over all of those values.
    let fs = 48_000.0;
    let (l, r) = programme(fs, 60.0, 11);
    let mut m = LoudnessMeter::new(fs as f32);
    let hop = 4_800;
    let (mut blocks, mut short_term) = (Vec::new(), Vec::new());
    let mut t = 0;
    for _ in 0..180 {
        for (cl, cr) in l.chunks(hop).zip(r.chunks(hop)) {
            m.process(cl, cr);
            t += cl.len();
            let now = m.read();
            if t >= 4 * hop {
                blocks.push(f64::from(now.momentary_lufs));
            }
            if t >= 30 * hop {
                short_term.push(f64::from(now.short_term_lufs));
            }
        }
    }
    let r = m.read();
    let (i_exact, lra_exact) = (bs1770_integrated(&blocks), tech_3342_lra(&short_term));
    println!(
        "three hours ({} blocks): I {:.4} LUFS (exact {i_exact:.4}), LRA {:.4} LU (exact \
         {lra_exact:.4})",
        blocks.len(),
        r.integrated_lufs,
        r.loudness_range_lu
    );
    assert_eq!(blocks.len(), 3 * 36_000 - 3);
    assert!((f64::from(r.integrated_lufs) - i_exact).abs() <= 0.005);
    assert!((f64::from(r.loudness_range_lu) - lra_exact).abs() <= 0.02);
}

#[test]
fn reset_clears_gated_readings_and_keeps_windows() {
    let fs = 48_000.0;
    let x = tone_sequence(fs, &[(5.0, Some(-20.0))]);
    let mut m = LoudnessMeter::new(fs as f32);
    let r = m.read();
    assert_eq!(r, LoudnessReading::default());
    assert_eq!(r.integrated_lufs, LOUDNESS_FLOOR_LUFS);
    feed(&mut m, &x, &x, 1_000);
    m.reset();
    let r = m.read();
    assert_eq!(
        (r.integrated_lufs, r.loudness_range_lu, r.max_momentary_lufs),
        (LOUDNESS_FLOOR_LUFS, 0.0, LOUDNESS_FLOOR_LUFS)
    );
    assert_near("M after reset", r.momentary_lufs, -20.0, 0.01);
    assert_near("S after reset", r.short_term_lufs, -20.0, 0.01);
    // A gating block needs 400 ms after the reset.
    m.process(&x[..19_000], &x[..19_000]);
    assert_eq!(m.read().integrated_lufs, LOUDNESS_FLOOR_LUFS);
    m.process(&x[..1_000], &x[..1_000]);
    assert_near(
        "I 400 ms after reset",
        m.read().integrated_lufs,
        -20.0,
        0.01,
    );
}

#[test]
fn peak_to_loudness_ratio() {
    let fs = 48_000.0;
    let r = measure(fs, &tone_sequence(fs, &[(5.0, Some(-23.0))]));
    let plr = plr_lu(-23.0, &r).expect("measured");
    println!("1 kHz at -23 dBFS peak: PLR {plr:.4} LU");
    assert!(plr.abs() < 0.05);
    assert_eq!(plr_lu(-1.0, &LoudnessReading::default()), None);
    assert_eq!(plr_lu(LOUDNESS_FLOOR_LUFS, &r), None);
}

// ---------------------------------------------------------------------------------------
// Hostile input, sample rates, allocation.

fn all_finite(r: &LoudnessReading) -> bool {
    [
        r.momentary_lufs,
        r.short_term_lufs,
        r.integrated_lufs,
        r.loudness_range_lu,
        r.max_momentary_lufs,
        r.max_short_term_lufs,
    ]
    .iter()
    .all(|v| v.is_finite())
}

#[test]
fn hostile_input_never_sticks() {
    let fs = 48_000.0;
    let burst: Vec<f32> = (0..20_000)
        .map(|i| match i % 6 {
            0 => f32::NAN,
            1 => f32::INFINITY,
            2 => f32::NEG_INFINITY,
            3 => 1.0e30,
            4 => -1.0e30,
            _ => 1.0e-40,
        })
        .collect();
    let tone = tone_sequence(fs, &[(4.0, Some(-23.0))]);
    let mut m = LoudnessMeter::new(fs as f32);
    m.process(&burst, &tone[..burst.len()]);
    let r = m.read();
    println!("after a NaN/inf/1e30 burst: {r:?}");
    assert!(all_finite(&r));
    assert!(
        r.max_momentary_lufs > 100.0,
        "clamped samples meter as very loud"
    );

    // Once the burst has left the windows and the meter is reset, readings are the tone's.
    feed(&mut m, &tone, &tone, 512);
    m.reset();
    feed(&mut m, &tone, &tone, 512);
    let r = m.read();
    println!("recovered: {r:?}");
    assert!(all_finite(&r));
    assert_near("I after burst", r.integrated_lufs, -23.0, 0.01);
    assert_near("S after burst", r.short_term_lufs, -23.0, 0.01);

    // Subnormals alone meter as silence.
    let mut m = LoudnessMeter::new(fs as f32);
    let sub = vec![1.0e-42f32; 48_000];
    m.process(&sub, &sub);
    assert_eq!(m.read(), LoudnessReading::default());
}

#[test]
fn any_sample_rate_and_rate_changes() {
    // A 1 kHz tone reads its level at every rate (K-weighting gain at 1 kHz ≈ +0.69 dB
    // cancels the −0.691 offset for a stereo pair); at 8 kHz the shelf's corner is still
    // far from Nyquist.
    for fs in [
        8_000.0, 22_050.0, 32_000.0, 44_100.5, 88_200.0, 176_400.0, 384_000.0,
    ] {
        let r = measure(fs, &tone_sequence(fs, &[(5.0, Some(-18.0))]));
        println!(
            "{fs} Hz, 1 kHz at -18 dBFS: I {:.4} M {:.4}",
            r.integrated_lufs, r.momentary_lufs
        );
        assert!(all_finite(&r));
        assert_near(&format!("I at {fs}"), r.integrated_lufs, -18.0, 0.05);
    }
    let mut m = LoudnessMeter::new(48_000.0);
    let x = tone_sequence(48_000.0, &[(1.0, Some(-10.0))]);
    feed(&mut m, &x, &x, 100);
    m.set_sample_rate(96_000.0);
    assert_eq!(m.read(), LoudnessReading::default());
    assert_eq!(m.step_samples(), 960);
}

#[test]
fn process_does_not_allocate() {
    let fs = 48_000.0;
    let (l, r) = programme(fs, 8.0, 5);
    let mut m = LoudnessMeter::new(fs as f32);
    let mut rng = SmallRng::seed_from_u64(1);
    let blocks: Vec<usize> = (0..3_000).map(|_| rng.gen_range(1..600)).collect();
    let allocs = allocations_during(|| {
        let mut pos = 0;
        for &b in &blocks {
            let end = (pos + b).min(l.len());
            m.process(&l[pos..end], &r[pos..end]);
            let _ = m.read();
            pos = end;
        }
        m.reset();
        m.set_sample_rate(44_100.0);
        m.process(&l, &r);
        let _ = m.read();
    });
    assert_eq!(allocs, 0);
}
