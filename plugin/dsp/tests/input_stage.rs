//! Input stage and Auto fix: balanced-pair rejection against analytic values, Auto fix
//! detection times and stability, crossfade smoothness, block-size independence, zero
//! latency, bit transparency and hostile input. Run with `--nocapture` to see the numbers.

use cuewire_dsp::autofix::{AutoFixDecision, AutoFixDetector, HOLD_MS, QUALIFY_MS};
use cuewire_dsp::input::{InputLayout, InputMode, InputSettings, InputStage, CROSSFADE_MS};
use cuewire_testkit::{db, max_step, peak, rms, sine_f64, uniform_f64};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use realfft::RealFftPlanner;
use std::f64::consts::TAU;

const RATE: f32 = 48_000.0;
const FS: usize = 48_000;

const ALL_MODES: [InputMode; 7] = [
    InputMode::Stereo,
    InputMode::AutoFix,
    InputMode::LeftToBoth,
    InputMode::RightToBoth,
    InputMode::MonoSum,
    InputMode::Swap,
    InputMode::BalancedPair,
];
const ALL_LAYOUTS: [InputLayout; 3] = [
    InputLayout::Mono,
    InputLayout::Stereo,
    InputLayout::BalancedPairs,
];

// ---------------------------------------------------------------- signals and measures

fn ms_to_samples(ms: f64) -> usize {
    (ms * 0.001 * FS as f64).round() as usize
}

fn samples_to_ms(n: usize) -> f64 {
    n as f64 * 1000.0 / FS as f64
}

fn scale_to_rms(x: &mut [f64], target: f64) {
    let k = target / rms(x);
    x.iter_mut().for_each(|v| *v *= k);
}

/// Hum (50/150/250 Hz) plus white noise, −20 dBFS RMS in total.
fn hum_and_noise(seed: u64, len: usize) -> Vec<f64> {
    let noise = uniform_f64(seed, 1.0, len);
    let mut n: Vec<f64> = (0..len)
        .map(|i| {
            let t = i as f64 / FS as f64;
            0.08 * (TAU * 50.0 * t).sin()
                + 0.04 * (TAU * 150.0 * t + 0.3).sin()
                + 0.02 * (TAU * 250.0 * t + 1.1).sin()
                + 0.03 * noise[i]
        })
        .collect();
    scale_to_rms(&mut n, 0.1);
    n
}

/// A mono music-like signal for the one-ear detector: a few partials with slow tremolo plus
/// noise, −20 dBFS RMS (the test kit's `music` is a stereo mix with a correlated centre).
fn tremolo_partials(seed: u64, len: usize) -> Vec<f32> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let base = rng.gen_range(90.0..300.0);
    let partials: Vec<(f64, f64, f64, f64)> = (1..=5)
        .map(|k| {
            (
                base * k as f64 * rng.gen_range(0.98..1.02),
                1.0 / k as f64,
                rng.gen_range(0.0..TAU),
                rng.gen_range(0.3..3.0),
            )
        })
        .collect();
    let noise = uniform_f64(seed ^ 0x5eed, 1.0, len);
    let mut x: Vec<f64> = (0..len)
        .map(|i| {
            let t = i as f64 / FS as f64;
            let tone: f64 = partials
                .iter()
                .map(|&(f, a, ph, trem)| {
                    a * (0.6 + 0.4 * (TAU * trem * t).sin()) * (TAU * f * t + ph).sin()
                })
                .sum();
            tone + 0.1 * noise[i]
        })
        .collect();
    scale_to_rms(&mut x, 0.1);
    x.iter().map(|&v| v as f32).collect()
}

fn gated(x: &[f32], on: impl Fn(f64) -> bool) -> Vec<f32> {
    x.iter()
        .enumerate()
        .map(|(i, &v)| if on(i as f64 / FS as f64) { v } else { 0.0 })
        .collect()
}

/// Largest amount by which a step of `out` exceeds the step of `reference` at the same sample,
/// over `range`: what a crossfade adds to the signal's own movement.
fn max_excess_step(out: &[f32], reference: &[f32], range: std::ops::Range<usize>) -> f32 {
    range
        .filter(|&i| i > 0 && i < out.len())
        .map(|i| (out[i] - out[i - 1]).abs() - (reference[i] - reference[i - 1]).abs())
        .fold(0.0, f32::max)
}

/// Magnitude of FFT bins of a whole signal (1 Hz per bin for 1 s at 48 kHz).
fn spectrum(x: &[f64]) -> Vec<f64> {
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(x.len());
    let mut input = x.to_vec();
    let mut out = fft.make_output_vec();
    fft.process(&mut input, &mut out).unwrap();
    out.iter().map(|c| c.norm()).collect()
}

// ---------------------------------------------------------------- running the stage

/// Input channels: 1 (mono), 2 (stereo) or 4 (hot L, cold L, hot R, cold R).
struct Input(Vec<Vec<f32>>);

#[derive(Default)]
struct Output {
    l: Vec<f32>,
    r: Vec<f32>,
    cm_l: Vec<f32>,
    cm_r: Vec<f32>,
    /// (first sample after the block where it was seen, new decision)
    changes: Vec<(usize, AutoFixDecision)>,
    /// Decision after each block: (block end sample, decision).
    decisions: Vec<(usize, AutoFixDecision)>,
    /// Return values of `process` per block: (block end sample, balanced).
    balanced: Vec<(usize, bool)>,
}

/// Runs `input` through `stage` in blocks drawn from `next_block`, applying `schedule`
/// (sample, settings) before the given sample (blocks are cut there).
fn run(
    stage: &mut InputStage,
    layout: InputLayout,
    input: &Input,
    mut next_block: impl FnMut() -> usize,
    schedule: &[(usize, InputSettings)],
) -> Output {
    let len = input.0[0].len();
    let mut l = input.0[0].clone();
    let mut r = if input.0.len() >= 2 {
        input.0[1].clone()
    } else {
        vec![12345.0; len] // must be ignored by the Mono layout
    };
    let zeros = vec![0.0f32; len];
    let (hot_r, cold_r) = if input.0.len() == 4 {
        (&input.0[2], &input.0[3])
    } else {
        (&zeros, &zeros)
    };
    let mut cm_l = vec![f32::NAN; len];
    let mut cm_r = vec![f32::NAN; len];
    let mut out = Output::default();
    let mut last = stage.decision();
    let mut pos = 0;
    let mut sched = 0;
    while pos < len {
        while sched < schedule.len() && schedule[sched].0 <= pos {
            stage.set_settings(&schedule[sched].1);
            sched += 1;
        }
        let mut end = pos.saturating_add(next_block().max(1)).min(len);
        if sched < schedule.len() {
            end = end.min(schedule[sched].0);
        }
        let aux =
            (layout == InputLayout::BalancedPairs).then(|| (&hot_r[pos..end], &cold_r[pos..end]));
        let bal = stage.process(
            layout,
            &mut l[pos..end],
            &mut r[pos..end],
            aux,
            &mut cm_l[pos..end],
            &mut cm_r[pos..end],
        );
        out.balanced.push((end, bal));
        let d = stage.decision();
        out.decisions.push((end, d));
        if d != last {
            out.changes.push((end, d));
            last = d;
        }
        pos = end;
    }
    out.l = l;
    out.r = r;
    out.cm_l = cm_l;
    out.cm_r = cm_r;
    out
}

fn settings(mode: InputMode) -> InputSettings {
    InputSettings {
        mode,
        ..InputSettings::default()
    }
}

/// A stage already in `s`, with no ramps or fades running.
fn stage_in(s: InputSettings) -> InputStage {
    let mut stage = InputStage::new(RATE);
    stage.set_settings(&s);
    stage.reset();
    stage
}

fn run_auto(l: &[f32], r: &[f32], block: usize) -> Output {
    let mut stage = stage_in(settings(InputMode::AutoFix));
    run(
        &mut stage,
        InputLayout::Stereo,
        &Input(vec![l.to_vec(), r.to_vec()]),
        || block,
        &[],
    )
}

/// First sample from which `a` and `b` agree (|a − b| ≤ 1e-6 · peak) to the end.
fn agree_from(a: &[f32], b: &[f32]) -> usize {
    let tol = 1e-6 * peak(a).max(peak(b));
    let mut i = a.len();
    while i > 0 && (a[i - 1] - b[i - 1]).abs() <= tol {
        i -= 1;
    }
    i
}

fn bits_equal(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

// ---------------------------------------------------------------- 1, 2: balanced pairs

/// Residual of the decode against `expected`, in dB relative to the common-mode `n`.
fn residual_db(out: &[f32], expected: &[f64], n: &[f64]) -> f64 {
    let res: Vec<f64> = out
        .iter()
        .zip(expected)
        .map(|(&o, &e)| o as f64 - e)
        .collect();
    db(rms(&res) / rms(n))
}

/// Hum bins (50/150/250 Hz) of `out` relative to the same bins of `n`, dB (worst of the three).
fn hum_bins_db(out: &[f32], n: &[f64]) -> f64 {
    let so = spectrum(&out.iter().map(|&v| v as f64).collect::<Vec<_>>());
    let sn = spectrum(n);
    [50, 150, 250]
        .iter()
        .map(|&k| db(so[k] / sn[k]))
        .fold(f64::NEG_INFINITY, f64::max)
}

#[test]
fn balanced_pair_matched_legs_reject_common_mode() {
    let s = sine_f64(FS as f64, 1000.0, 0.0, 0.5012, FS);
    let n = hum_and_noise(1, FS);
    let s32: Vec<f32> = s.iter().map(|&v| v as f32).collect();
    let n32: Vec<f32> = n.iter().map(|&v| v as f32).collect();
    let hot: Vec<f32> = s32.iter().zip(&n32).map(|(&a, &b)| a + b).collect();
    let cold: Vec<f32> = s32.iter().zip(&n32).map(|(&a, &b)| -a + b).collect();
    let s_ref: Vec<f64> = s32.iter().map(|&v| v as f64).collect();
    println!("n: {:.2} dBFS RMS", db(rms(&n)));

    // Stereo layout, Balanced pair mode.
    let mut stage = stage_in(settings(InputMode::BalancedPair));
    let out = run(
        &mut stage,
        InputLayout::Stereo,
        &Input(vec![hot.clone(), cold.clone()]),
        || 512,
        &[],
    );
    let res = residual_db(&out.l, &s_ref, &n);
    let hum = hum_bins_db(&out.l, &n);
    let cm = residual_db(
        &out.cm_l,
        &n32.iter().map(|&v| v as f64).collect::<Vec<_>>(),
        &n,
    );
    println!(
        "2-ch balanced pair: residual {res:.1} dB re n, hum bins {hum:.1} dB, cm error {cm:.1} dB"
    );
    assert!(res <= -120.0, "residual {res} dB");
    assert!(hum <= -120.0, "hum bins {hum} dB");
    assert!(cm <= -120.0, "common mode output error {cm} dB");
    assert!(bits_equal(&out.l, &out.r));
    assert!(out.balanced.iter().all(|&(_, b)| b));

    // 4-ch layout: pair R carries a 1.5 kHz sine over different hum.
    let s2 = sine_f64(FS as f64, 1500.0, 22.918_311_805_232_93, 0.3, FS); // 0.4 rad
    let n2 = hum_and_noise(2, FS);
    let s2_32: Vec<f32> = s2.iter().map(|&v| v as f32).collect();
    let hot_r: Vec<f32> = s2
        .iter()
        .zip(&n2)
        .map(|(&a, &b)| (a as f32) + b as f32)
        .collect();
    let cold_r: Vec<f32> = s2
        .iter()
        .zip(&n2)
        .map(|(&a, &b)| -(a as f32) + b as f32)
        .collect();
    let mut stage = stage_in(settings(InputMode::Stereo));
    let out = run(
        &mut stage,
        InputLayout::BalancedPairs,
        &Input(vec![hot, cold, hot_r, cold_r]),
        || 480,
        &[],
    );
    let res_l = residual_db(&out.l, &s_ref, &n);
    let s2_ref: Vec<f64> = s2_32.iter().map(|&v| v as f64).collect();
    let res_r = residual_db(&out.r, &s2_ref, &n2);
    let hum_l = hum_bins_db(&out.l, &n);
    let hum_r = hum_bins_db(&out.r, &n2);
    println!(
        "4-ch: residual L {res_l:.1} dB, R {res_r:.1} dB; hum bins L {hum_l:.1} dB, R {hum_r:.1} dB"
    );
    for v in [res_l, res_r, hum_l, hum_r] {
        assert!(v <= -120.0, "{v} dB");
    }
}

#[test]
fn balanced_pair_mismatched_legs_match_analytic_rejection() {
    let s = sine_f64(FS as f64, 1000.0, 0.0, 0.5012, FS);
    let n = hum_and_noise(3, FS);
    let b = 10f64.powf(-0.5 / 20.0);
    let hot: Vec<f32> = s.iter().zip(&n).map(|(&a, &c)| (a + c) as f32).collect();
    let cold: Vec<f32> = s
        .iter()
        .zip(&n)
        .map(|(&a, &c)| ((-a + c) * b) as f32)
        .collect();
    let analytic = -db((1.0 - b) / 2.0);

    let mut stage = stage_in(settings(InputMode::BalancedPair));
    let input = Input(vec![hot.clone(), cold.clone()]);
    let out = run(&mut stage, InputLayout::Stereo, &input, || 333, &[]);
    let expected: Vec<f64> = s.iter().map(|&v| v * (1.0 + b) / 2.0).collect();
    let rejection = -residual_db(&out.l, &expected, &n);
    let hum = -hum_bins_db(&out.l, &n);
    println!("untrimmed −0.5 dB cold leg: rejection {rejection:.3} dB (analytic {analytic:.3} dB), hum bins {hum:.2} dB");
    assert!((rejection - analytic).abs() <= 0.1);

    let trimmed = InputSettings {
        mode: InputMode::BalancedPair,
        cold_trim_db: [0.5, 0.0],
        invert: [false; 2],
    };
    let g = cuewire_dsp::units::db_to_lin(0.5) as f64;
    let mut stage = stage_in(trimmed);
    let out = run(&mut stage, InputLayout::Stereo, &input, || 333, &[]);
    let expected: Vec<f64> = s.iter().map(|&v| v * (1.0 + g * b) / 2.0).collect();
    let rejection = -residual_db(&out.l, &expected, &n);
    let hum = -hum_bins_db(&out.l, &n);
    println!("trim +0.5 dB: rejection {rejection:.1} dB, hum bins {hum:.1} dB");
    assert!(rejection >= 80.0 && hum >= 80.0);
}

// ---------------------------------------------------------------- 3: Auto fix

#[test]
fn autofix_one_ear_goes_to_both_ears_within_300_ms() {
    let x = tremolo_partials(10, 3 * FS);
    let silent = vec![0.0f32; x.len()];
    for (left, name) in [(true, "left"), (false, "right")] {
        let (l, r) = if left { (&x, &silent) } else { (&silent, &x) };
        let out = run_auto(l, r, 1);
        let want = if left {
            AutoFixDecision::LeftOnly
        } else {
            AutoFixDecision::RightOnly
        };
        assert_eq!(out.changes.len(), 1, "{name}: {:?}", out.changes);
        let (at, d) = out.changes[0];
        assert_eq!(d, want);
        let complete = agree_from(&out.l, &out.r);
        let live_out = if left { &out.l } else { &out.r };
        let fixed_from = complete.max(agree_from(live_out, &x));
        let in_step = max_step(&x);
        let window = at - ms_to_samples(1.0)..at + ms_to_samples(20.0);
        let dead_out = if left { &out.r } else { &out.l };
        let fade_step = max_step(&dead_out[window.clone()]);
        let excess = max_excess_step(dead_out, &x, window);
        println!(
            "{name} only: decision {:.2} ms, both ears from {:.2} ms; max step: input {in_step:.5}, \
             output in the fade {fade_step:.5}, excess over input's own step {excess:.5} (bound peak/480 = {:.5})",
            samples_to_ms(at),
            samples_to_ms(fixed_from),
            peak(&x) / 480.0
        );
        assert!(samples_to_ms(fixed_from) <= 300.0);
        assert!(fade_step <= in_step + 0.01);
        assert!(excess <= peak(&x) / 480.0 * 1.001);
    }
}

#[test]
fn autofix_anti_phase_is_decoded_within_300_ms() {
    let x = tremolo_partials(11, 3 * FS);
    let neg: Vec<f32> = x.iter().map(|v| -v).collect();
    let out = run_auto(&x, &neg, 1);
    assert_eq!(out.changes.len(), 1, "{:?}", out.changes);
    assert_eq!(out.changes[0].1, AutoFixDecision::AntiPhase);
    let from = agree_from(&out.l, &x).max(agree_from(&out.r, &x));
    let in_step = max_step(&x);
    let at = out.changes[0].0;
    let window = at - ms_to_samples(1.0)..at + ms_to_samples(20.0);
    let fade_step = max_step(&out.r[window.clone()]);
    let excess = max_excess_step(&out.r, &x, window);
    println!(
        "anti-phase: decision {:.2} ms, L = R = s from {:.2} ms; max step: input {in_step:.5}, \
         R in the fade {fade_step:.5}, excess {excess:.5} (bound 2·peak/480 = {:.5})",
        samples_to_ms(at),
        samples_to_ms(from),
        2.0 * peak(&x) / 480.0
    );
    assert!(samples_to_ms(from) <= 300.0);
    assert!(fade_step <= in_step + 0.01);
    assert!(excess <= 2.0 * peak(&x) / 480.0 * 1.001);
}

/// Syllables: 150 ms voiced bursts of `x` separated by gaps of 40 ms to 1 s; the mask says
/// which samples carry a burst.
fn syllables(x: &[f32]) -> (Vec<f32>, Vec<bool>) {
    let gaps_ms = [40.0, 1000.0, 120.0, 400.0, 40.0, 700.0, 60.0];
    let burst = ms_to_samples(150.0);
    let mut mask = vec![false; x.len()];
    let mut at = ms_to_samples(100.0);
    for k in 0.. {
        if at >= x.len() {
            break;
        }
        let end = (at + burst).min(x.len());
        mask[at..end].iter_mut().for_each(|m| *m = true);
        at = end + ms_to_samples(gaps_ms[k % gaps_ms.len()]);
    }
    let y = x
        .iter()
        .zip(&mask)
        .map(|(&v, &m)| if m { v } else { 0.0 })
        .collect();
    (y, mask)
}

#[test]
fn autofix_fixes_speech_within_300_ms_of_accumulated_signal() {
    let x = tremolo_partials(12, 6 * FS);
    let (speech, voiced) = syllables(&x);
    let silent = vec![0.0f32; x.len()];
    let neg: Vec<f32> = speech.iter().map(|v| -v).collect();
    /// (name, L, R, the fault's decision, the fixed output both ears must carry)
    type Case<'a> = (&'a str, &'a [f32], &'a [f32], AutoFixDecision, &'a [f32]);
    let cases: [Case<'_>; 3] = [
        (
            "left only",
            &speech,
            &silent,
            AutoFixDecision::LeftOnly,
            &speech,
        ),
        (
            "right only",
            &silent,
            &speech,
            AutoFixDecision::RightOnly,
            &speech,
        ),
        (
            "anti-phase",
            &speech,
            &neg,
            AutoFixDecision::AntiPhase,
            &speech,
        ),
    ];
    for (name, l, r, want, fixed) in cases {
        for block in [1, 48, 512] {
            let out = run_auto(l, r, block);
            assert_eq!(out.changes.len(), 1, "{name}: {:?}", out.changes);
            assert_eq!(out.changes[0].1, want, "{name}");
            // From here on both ears carry the fixed signal, to the end.
            let fixed_from = agree_from(&out.l, fixed).max(agree_from(&out.r, fixed));
            let signal_before = voiced[..fixed_from].iter().filter(|&&v| v).count();
            println!(
                "{name}, blocks of {block}: decision at {:.1} ms, fix complete at {:.1} ms \
                 after {:.1} ms of signal",
                samples_to_ms(out.changes[0].0),
                samples_to_ms(fixed_from),
                samples_to_ms(signal_before)
            );
            // The first syllable alone is too short: the evidence is accumulated over two.
            assert!(signal_before > ms_to_samples(150.0), "{name}");
            assert!(samples_to_ms(signal_before) <= 300.0, "{name}");
        }
    }
}

fn assert_never_changed(name: &str, l: &[f32], r: &[f32]) {
    let mut rng = SmallRng::seed_from_u64(7);
    let mut stage = stage_in(settings(InputMode::AutoFix));
    let out = run(
        &mut stage,
        InputLayout::Stereo,
        &Input(vec![l.to_vec(), r.to_vec()]),
        || rng.gen_range(1..2048),
        &[],
    );
    let untouched = bits_equal(&out.l, l) && bits_equal(&out.r, r);
    println!(
        "{name}: {} s, decision changes {}, output bit-identical: {untouched}",
        l.len() / FS,
        out.changes.len()
    );
    assert!(out.changes.is_empty(), "{name}: {:?}", out.changes);
    assert!(out
        .decisions
        .iter()
        .all(|&(_, d)| d == AutoFixDecision::NoFault));
    assert!(untouched, "{name}");
}

#[test]
fn autofix_leaves_healthy_stereo_alone() {
    let len = 10 * FS;
    let a = tremolo_partials(20, len);
    let b = tremolo_partials(21, len);

    let slightly_lower: Vec<f32> = a.iter().map(|v| v * 0.9).collect();
    assert_never_changed("correlated stereo (R −0.9 dB)", &a, &slightly_lower);

    let nl: Vec<f32> = uniform_f64(22, 1.0, len)
        .iter()
        .map(|v| (v * 0.17) as f32)
        .collect();
    let nr: Vec<f32> = uniform_f64(23, 1.0, len)
        .iter()
        .map(|v| (v * 0.17) as f32)
        .collect();
    assert_never_changed("decorrelated wide stereo", &nl, &nr);

    let l = gated(&a, |t| t % 1.2 < 0.7);
    let r = gated(&b, |t| t >= 0.05 && (t - 0.05) % 1.7 < 0.9);
    assert_never_changed("hard-panned parts with pauses", &l, &r);

    let quiet: Vec<f32> = b.iter().map(|v| v * 0.01).collect();
    assert_never_changed("right 40 dB under left, alive", &a, &quiet);

    // Ping-pong: 150 ms runs in one ear, then the other, with silence in both between them.
    // Silence pauses the evidence, but each run in the other ear proves that ear alive.
    let l = gated(&a, |t| t % 0.5 < 0.15);
    let r = gated(&b, |t| (t - 0.25).rem_euclid(0.5) < 0.15);
    assert_never_changed("wide stereo with one-sided runs and pauses", &l, &r);
}

/// Checks the hold rules on a list of decision changes; returns their times in ms.
fn check_hold_rules(changes: &[(usize, AutoFixDecision)]) -> Vec<(f64, AutoFixDecision)> {
    let qualify = ms_to_samples(QUALIFY_MS as f64);
    let hold = ms_to_samples(HOLD_MS as f64);
    let mut prev = 0;
    for &(at, d) in changes {
        let gap = at - prev;
        if d == AutoFixDecision::NoFault {
            assert!(
                gap >= hold,
                "released {} ms after the previous change",
                samples_to_ms(gap)
            );
        } else {
            assert!(
                gap >= qualify,
                "switched {} ms after the previous change",
                samples_to_ms(gap)
            );
        }
        prev = at;
    }
    changes
        .iter()
        .map(|&(at, d)| (samples_to_ms(at), d))
        .collect()
}

#[test]
fn autofix_does_not_flip_flop() {
    let len = 12 * FS;
    let a = tremolo_partials(30, len);
    let b = tremolo_partials(31, len);
    // One ear / stereo alternating every 1 s and every 3 s. The right channel's stereo
    // stretches prove it is alive: the live memory then keeps Auto fix from calling it dead
    // again, so after the first release the decision stays NoFault.
    for period_s in [1.0, 3.0] {
        let r = gated(&b, |t| (t / period_s) as usize % 2 == 1);
        let out = run_auto(&a, &r, 48);
        let changes = check_hold_rules(&out.changes);
        println!("alternating every {period_s} s: changes {changes:?}");
        assert!(changes.len() <= 2);
        assert_eq!(out.changes[0].1, AutoFixDecision::LeftOnly);
    }

    // A rewired input: left only for 2 s, then real stereo. Released one hold time later.
    let r = gated(&b, |t| t >= 2.0);
    let out = run_auto(&a[..6 * FS], &r[..6 * FS], 48);
    let changes = check_hold_rules(&out.changes);
    println!("left only, then stereo from 2 s: changes {changes:?}");
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[1].1, AutoFixDecision::NoFault);
    assert!((changes[1].0 - (2000.0 + HOLD_MS as f64)).abs() <= 15.0);
    assert!(agree_from(&out.r, &r) <= ms_to_samples(2000.0 + HOLD_MS as f64 + 20.0));
}

#[test]
fn autofix_holds_one_ear_through_pauses() {
    let len = 12 * FS;
    let a = tremolo_partials(40, len);
    let silent = vec![0.0f32; len];
    // 1.5 s pauses (shorter than the hold) and a 4 s pause (longer): silence in both
    // channels is no evidence, so the decision is kept and every phrase after a pause
    // reaches both ears from its first sample.
    for (name, l) in [
        ("1 s on / 1.5 s off", gated(&a, |t| t % 2.5 < 1.0)),
        ("4 s pause", gated(&a, |t| !(1.0..5.0).contains(&t))),
    ] {
        let out = run_auto(&l, &silent, 48);
        let after = ms_to_samples(300.0);
        let all_left = out
            .decisions
            .iter()
            .filter(|&&(at, _)| at >= after)
            .all(|&(_, d)| d == AutoFixDecision::LeftOnly);
        let both_from = agree_from(&out.l, &out.r);
        println!(
            "left only, {name}: changes {:?}, both ears from {:.2} ms",
            check_hold_rules(&out.changes),
            samples_to_ms(both_from)
        );
        assert!(all_left);
        assert!(both_from <= after);
    }
}

#[test]
fn autofix_starts_fresh_and_reports_balanced_decode() {
    let x = tremolo_partials(80, 2 * FS);
    let silent = vec![0.0f32; x.len()];
    let input = Input(vec![x.clone(), silent]);
    // 1 s of a left-only signal in Stereo mode, then Auto fix from 1 s, then Stereo at 1.6 s.
    let schedule = [
        (ms_to_samples(1000.0), settings(InputMode::AutoFix)),
        (ms_to_samples(1600.0), settings(InputMode::Stereo)),
    ];
    let mut stage = InputStage::new(RATE);
    let out = run(&mut stage, InputLayout::Stereo, &input, || 48, &schedule);
    let changes: Vec<(f64, AutoFixDecision)> = out
        .changes
        .iter()
        .map(|&(at, d)| (samples_to_ms(at), d))
        .collect();
    println!("Stereo → Auto fix at 1000 ms → Stereo at 1600 ms: decisions {changes:?}");
    assert_eq!(changes.len(), 2);
    assert_eq!(
        changes[0],
        (1000.0 + QUALIFY_MS as f64, AutoFixDecision::LeftOnly)
    );
    // Seen at the end of the first block after the switch back (blocks are 1 ms).
    assert_eq!(changes[1], (1601.0, AutoFixDecision::NoFault));
    assert!(out.balanced.iter().all(|&(_, b)| !b));
    assert!(out.cm_l.iter().chain(&out.cm_r).all(|&v| v == 0.0));

    // Anti-phase: the return value turns true with the decision, and cm = (L + R)/2 = 0.
    let neg: Vec<f32> = x.iter().map(|v| -v).collect();
    let mut stage = stage_in(settings(InputMode::AutoFix));
    let out = run(
        &mut stage,
        InputLayout::Stereo,
        &Input(vec![x.clone(), neg]),
        || 48,
        &[],
    );
    let first_true = out.balanced.iter().find(|&&(_, b)| b).map(|&(at, _)| at);
    println!(
        "anti-phase: process() reports a balanced decode from {:?} ms",
        first_true.map(samples_to_ms)
    );
    assert_eq!(first_true, Some(out.changes[0].0 + 48));
    assert!(out.cm_l.iter().chain(&out.cm_r).all(|&v| v == 0.0));
}

#[test]
fn user_mode_change_crossfades_without_click() {
    let len = FS;
    let a = tremolo_partials(50, len);
    let b = tremolo_partials(51, len);
    let input = Input(vec![a.clone(), b.clone()]);
    let at = ms_to_samples(200.0);
    let back = at + ms_to_samples(3.0); // reverses in mid-fade
    let inverted = InputSettings {
        invert: [false, true],
        ..settings(InputMode::Stereo)
    };
    let schedule = [
        (at, settings(InputMode::Swap)),
        (back, settings(InputMode::Stereo)),
        (ms_to_samples(500.0), inverted),
        (ms_to_samples(700.0), settings(InputMode::MonoSum)),
    ];
    let mut stage = InputStage::new(RATE);
    let out = run(&mut stage, InputLayout::Stereo, &input, || 100, &schedule);
    let in_step = max_step(&a).max(max_step(&b));
    let fade = ms_to_samples(CROSSFADE_MS as f64);
    let mut fade_step = 0.0f64;
    for &(t, _) in &schedule {
        let w = t.saturating_sub(1)..t + 2 * fade;
        fade_step = fade_step
            .max(max_step(&out.l[w.clone()]))
            .max(max_step(&out.r[w]));
    }
    println!(
        "mode changes (Swap, reversed after 3 ms, invert R, Mono sum): max step: input {in_step:.5}, \
         output in the fades {fade_step:.5}; fade {fade} samples"
    );
    assert!(fade_step <= in_step + 0.01);
    // Back to the exact input once the reversed fade ends (≤ 2 fade lengths after the change).
    assert!(bits_equal(
        &out.l[back + fade..ms_to_samples(500.0)],
        &a[back + fade..ms_to_samples(500.0)]
    ));
}

// ---------------------------------------------------------------- 4: block sizes

fn block_test_input(layout: InputLayout) -> Input {
    let len = FS;
    let a = tremolo_partials(60, len);
    // Right silent for the first 0.5 s so Auto fix switches to LeftOnly.
    let b = gated(&tremolo_partials(61, len), |t| t >= 0.5);
    match layout {
        InputLayout::Mono => Input(vec![a]),
        InputLayout::Stereo => Input(vec![a, b]),
        InputLayout::BalancedPairs => {
            let h1: Vec<f32> = hum_and_noise(62, len).iter().map(|&v| v as f32).collect();
            let h2: Vec<f32> = hum_and_noise(63, len).iter().map(|&v| v as f32).collect();
            let pair = |s: &[f32], h: &[f32]| -> (Vec<f32>, Vec<f32>) {
                (
                    s.iter().zip(h).map(|(x, y)| x + y).collect(),
                    s.iter().zip(h).map(|(x, y)| -x + y).collect(),
                )
            };
            let (hl, cl) = pair(&a, &h1);
            // Pair R entirely unplugged (hum too) for the first 0.5 s.
            let (hr, cr) = pair(&b, &gated(&h2, |t| t >= 0.5));
            Input(vec![hl, cl, hr, cr])
        }
    }
}

/// A source of block sizes.
type BlockSizes = Box<dyn FnMut() -> usize>;

#[test]
fn any_block_size_gives_identical_output() {
    for layout in ALL_LAYOUTS {
        let input = block_test_input(layout);
        for mode in ALL_MODES {
            let schedule = [
                (
                    0,
                    InputSettings {
                        mode,
                        cold_trim_db: [0.5, -0.7],
                        invert: [false, false],
                    },
                ),
                (
                    ms_to_samples(400.0) + 3,
                    InputSettings {
                        mode,
                        cold_trim_db: [-1.0, 2.0],
                        invert: [true, false],
                    },
                ),
                (
                    ms_to_samples(700.0) + 11,
                    InputSettings {
                        mode,
                        cold_trim_db: [0.3, 0.3],
                        invert: [false, true],
                    },
                ),
            ];
            let mut stage = InputStage::new(RATE);
            let reference = run(&mut stage, layout, &input, || usize::MAX, &schedule);
            if mode == InputMode::AutoFix {
                assert!(
                    !reference.changes.is_empty(),
                    "{layout:?}: Auto fix never switched"
                );
            }
            let mut rng = SmallRng::seed_from_u64(99);
            let mut sizes: Vec<(&str, BlockSizes)> = vec![
                ("1", Box::new(|| 1)),
                ("7", Box::new(|| 7)),
                ("64", Box::new(|| 64)),
                ("4096", Box::new(|| 4096)),
                ("random", Box::new(move || rng.gen_range(1..=8192))),
            ];
            for (name, next) in sizes.iter_mut() {
                let mut stage = InputStage::new(RATE);
                let out = run(&mut stage, layout, &input, next, &schedule);
                for (what, a, b) in [
                    ("l", &out.l, &reference.l),
                    ("r", &out.r, &reference.r),
                    ("cm_l", &out.cm_l, &reference.cm_l),
                    ("cm_r", &out.cm_r, &reference.cm_r),
                ] {
                    assert!(
                        bits_equal(a, b),
                        "{layout:?} {mode:?} blocks {name}: {what} differs"
                    );
                }
                assert_eq!(out.changes.len(), reference.changes.len());
            }
        }
        println!("{layout:?}: all 7 modes bit-identical for blocks 1, 7, 64, 4096, random");
    }
}

// ---------------------------------------------------------------- 5, 6: latency, transparency

#[test]
fn impulse_comes_out_at_the_same_sample() {
    let len = 512;
    let k = 100;
    let imp = |v: f32| {
        let mut x = vec![0.0f32; len];
        x[k] = v;
        x
    };
    for layout in ALL_LAYOUTS {
        let input = match layout {
            InputLayout::Mono => Input(vec![imp(1.0)]),
            InputLayout::Stereo => Input(vec![imp(1.0), imp(0.5)]),
            InputLayout::BalancedPairs => Input(vec![imp(1.0), imp(0.5), imp(0.25), imp(-0.125)]),
        };
        for mode in ALL_MODES {
            let mut stage = stage_in(settings(mode));
            let out = run(&mut stage, layout, &input, || 64, &[]);
            for (i, v) in [&out.l, &out.r, &out.cm_l, &out.cm_r].iter().enumerate() {
                assert!(
                    v.iter().enumerate().all(|(j, &x)| j == k || x == 0.0),
                    "{layout:?} {mode:?}: output {i} has energy away from sample {k}"
                );
            }
            let at_k = [out.l[k], out.r[k], out.cm_l[k], out.cm_r[k]];
            assert!(
                at_k.iter().any(|&v| v != 0.0),
                "{layout:?} {mode:?}: nothing at {k}"
            );
            if layout == InputLayout::Stereo {
                let want = match mode {
                    InputMode::Stereo | InputMode::AutoFix => [1.0, 0.5],
                    InputMode::LeftToBoth => [1.0, 1.0],
                    InputMode::RightToBoth => [0.5, 0.5],
                    InputMode::MonoSum => [0.75, 0.75],
                    InputMode::Swap => [0.5, 1.0],
                    InputMode::BalancedPair => [0.25, 0.25],
                };
                assert_eq!([out.l[k], out.r[k]], want, "{mode:?}");
            }
        }
    }
    println!("impulse at sample {k}: every layout and mode answers at sample {k} only");
}

#[test]
fn stereo_mode_is_bit_transparent() {
    let len = 200_000;
    let mut rng = SmallRng::seed_from_u64(5);
    let mut make = || -> Vec<f32> {
        (0..len)
            .map(|_| match rng.gen_range(0..100) {
                0 => -0.0,
                1 => f32::from_bits(rng.gen_range(1..0x007f_ffff)), // subnormal
                2 => f32::from_bits(0x7fc0_1234),                   // NaN with payload
                _ => rng.gen_range(-1.0..=1.0),
            })
            .collect()
    };
    let (l, r) = (make(), make());
    let mut rng = SmallRng::seed_from_u64(6);
    for mode in [InputMode::Stereo, InputMode::AutoFix] {
        let mut stage = stage_in(settings(mode));
        let out = run(
            &mut stage,
            InputLayout::Stereo,
            &Input(vec![l.clone(), r.clone()]),
            || rng.gen_range(1..3000),
            &[],
        );
        assert!(bits_equal(&out.l, &l) && bits_equal(&out.r, &r), "{mode:?}");
        assert!(out.cm_l.iter().chain(&out.cm_r).all(|&v| v.to_bits() == 0));
    }
    let mut stage = stage_in(settings(InputMode::Stereo));
    let out = run(
        &mut stage,
        InputLayout::Mono,
        &Input(vec![l.clone()]),
        || 777,
        &[],
    );
    assert!(bits_equal(&out.l, &l) && bits_equal(&out.r, &l));
    println!("Stereo / Auto fix (no fault) / Mono: {len} samples incl. −0.0, subnormals, NaN bit-identical");
}

// ---------------------------------------------------------------- 7: hostile input

/// Runs a stereo signal in fixed blocks through an Auto fix stage, checking after every block
/// that the detector's state is finite; returns the decision changes.
fn run_checked(
    stage: &mut InputStage,
    l: &mut [f32],
    r: &mut [f32],
    block: usize,
) -> Vec<(usize, AutoFixDecision)> {
    let mut cm_l = vec![0.0f32; block];
    let mut cm_r = vec![0.0f32; block];
    let mut last = stage.decision();
    let mut changes = vec![];
    let mut pos = 0;
    for (x, y) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
        stage.process(InputLayout::Stereo, x, y, None, &mut cm_l, &mut cm_r);
        let det = stage.detector();
        assert!(
            det.levels_db().iter().all(|v| v.is_finite()),
            "levels {:?}",
            det.levels_db()
        );
        assert!(det.correlation().is_finite());
        pos += x.len();
        if stage.decision() != last {
            last = stage.decision();
            changes.push((pos, last));
        }
    }
    changes
}

#[test]
fn hostile_input_never_sticks() {
    let len = 6 * FS;
    let a = tremolo_partials(70, len);
    let mut l: Vec<f32> = a.clone();
    let mut r: Vec<f32> = a.iter().map(|v| v * 0.8).collect();
    let nasty = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        1e30,
        -1e30,
        1e-40,
        -0.0,
    ];
    let mut burst =
        |start_ms: f64, dur_ms: f64, fl: &dyn Fn(usize) -> f32, fr: &dyn Fn(usize) -> f32| {
            let s = ms_to_samples(start_ms);
            for i in 0..ms_to_samples(dur_ms) {
                l[s + i] = fl(i);
                r[s + i] = fr(i);
            }
            (start_ms, dur_ms)
        };
    let bursts = [
        burst(1000.0, 20.0, &|_| f32::NAN, &|_| f32::NAN),
        burst(2000.0, 20.0, &|_| f32::INFINITY, &|_| f32::NEG_INFINITY),
        burst(3000.0, 20.0, &|_| 1e30, &|_| -1e30),
        burst(4000.0, 100.0, &|i| nasty[i % 7], &|i| {
            nasty[(3 * i + 1) % 7]
        }),
    ];
    let block = 256;
    let mut stage = stage_in(settings(InputMode::AutoFix));
    let (mut out_l, mut out_r) = (l.clone(), r.clone());
    let changes = run_checked(&mut stage, &mut out_l, &mut out_r, block);
    for &(start, dur) in &bursts {
        // The first block that starts after the burst, and everything up to the next burst.
        let after = ms_to_samples(start + dur).div_ceil(block) * block;
        let next = ms_to_samples(start + 900.0);
        let finite = out_l[after..next]
            .iter()
            .chain(&out_r[after..next])
            .all(|v| v.is_finite());
        assert!(finite, "burst at {start} ms");
    }
    println!(
        "hostile bursts in stereo music: detector finite throughout, decision changes {changes:?}"
    );
    // Bursts far shorter than the qualify time must not change anything.
    assert!(changes.is_empty());
    assert!(bits_equal(&out_l, &l) && bits_equal(&out_r, &r));

    // 0.5 s of non-finite and subnormal garbage in both channels (it reads as silence), then
    // a left-only signal: found in normal time.
    let garbage = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        1e-40,
        -1e-42,
        -0.0,
    ];
    let mut gl: Vec<f32> = (0..FS / 2).map(|i| garbage[i % 6]).collect();
    let mut gr: Vec<f32> = (0..FS / 2).map(|i| garbage[(i + 2) % 6]).collect();
    gl.extend_from_slice(&a[..FS]);
    gr.extend(std::iter::repeat_n(0.0, FS));
    let mut stage = stage_in(settings(InputMode::AutoFix));
    let changes = run_checked(&mut stage, &mut gl, &mut gr, block);
    let onset = FS / 2;
    let both = agree_from(&gl[onset..], &gr[onset..]);
    println!(
        "garbage then left only: decision {:.2} ms and both ears {:.2} ms after onset",
        samples_to_ms(changes[0].0 - onset),
        samples_to_ms(both)
    );
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].1, AutoFixDecision::LeftOnly);
    assert!(both > 0 && both <= ms_to_samples(300.0));

    // The bare detector after 1e30s, infs and NaNs: finite, and silent input ages it out.
    let mut det = AutoFixDetector::new(RATE);
    let junk: Vec<f32> = (0..FS / 2).map(|i| nasty[i % 7]).collect();
    det.process(&junk, &junk);
    assert!(det.levels_db().iter().all(|v| v.is_finite()) && det.correlation().is_finite());
    let peak_db = det.levels_db()[0];
    det.process(&vec![0.0; FS / 10], &vec![0.0; FS / 10]);
    println!(
        "detector on junk: level {peak_db:.1} dBFS (clamped), after 100 ms silence {:?}",
        det.levels_db()
    );
    assert_eq!(det.levels_db(), [cuewire_dsp::units::SILENCE_DB; 2]);
}

/// The engine skips its post-decode subnormal flush when the stage reports that it only
/// copied, negated or zeroed samples: the report must be false whenever arithmetic ran
/// (sums, balanced decode, a crossfade) and true for the pure routings.
#[test]
fn copied_only_is_reported_exactly_for_the_arithmetic_free_routings() {
    let len = 256;
    let block = |stage: &mut InputStage, layout: InputLayout| {
        let (mut l, mut r) = (vec![0.25f32; len], vec![-0.5f32; len]);
        let (mut cm_l, mut cm_r) = (vec![0.0f32; len], vec![0.0f32; len]);
        let aux = (vec![0.1f32; len], vec![0.2f32; len]);
        let aux = Some((&aux.0[..], &aux.1[..]));
        stage.process(layout, &mut l, &mut r, aux, &mut cm_l, &mut cm_r);
        stage.last_block_copied_only()
    };
    for layout in ALL_LAYOUTS {
        for mode in ALL_MODES {
            for invert in [[false, false], [true, false]] {
                let settings = InputSettings {
                    mode,
                    invert,
                    ..InputSettings::default()
                };
                let mut stage = InputStage::new(RATE);
                stage.set_settings(&settings);
                stage.snap();
                let copied = block(&mut stage, layout);
                // Auto fix with no fault detected routes as Stereo.
                let pure = layout != InputLayout::BalancedPairs
                    && !matches!(mode, InputMode::MonoSum | InputMode::BalancedPair);
                assert_eq!(copied, pure, "{layout:?} {mode:?} {invert:?}");
                // A polarity change crossfades: arithmetic, whatever the routing.
                stage.set_settings(&InputSettings {
                    invert: [!invert[0], invert[1]],
                    ..settings
                });
                assert!(!block(&mut stage, layout), "{layout:?} {mode:?} crossfade");
            }
        }
    }
}
