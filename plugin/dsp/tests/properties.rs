//! Property tests of the whole engine on hostile input: any settings (every field of
//! [`EngineSettings`] within its parameter's range), any input layout, random host block sizes,
//! and input laced with NaN, ±inf, ±1e30, ±f32::MAX, subnormals and −0.0.
//!
//! Properties:
//! - every output sample (main and each connected cue) is finite and never subnormal;
//! - with an output's guard on, it never exceeds that output's ceiling (the main output while
//!   host bypass is engaged or switching is exempt: bypass passes the input, sanitised, unguarded);
//! - recovery without crossfeed (nothing in the path keeps audio-dependent state, Auto fix
//!   excepted): from the first sample after a burst of bad input, the output is bit-identical to
//!   a run where every bad sample was replaced by 0.0;
//! - recovery with crossfeed: when the burst's last frame is non-finite on every input channel
//!   (a host dropout), the output from the next sample on is bit-identical to a freshly
//!   constructed engine started there — no filter tail of the garbage survives;
//! - meters never stick: after bad then good input every reading is finite, and the sample peak
//!   since the last read is exactly the good block's peak.
//!
//! Run with `--nocapture` to see the case counts.

use cuewire_dsp::crossfeed::CrossfeedSetting;
use cuewire_dsp::cue::{CueMode, CueSettings, CueSource, CUE_COUNT};
use cuewire_dsp::engine::{CueOut, Engine, EngineReadings, EngineSettings};
use cuewire_dsp::input::{InputLayout, InputMode, InputSettings};
use cuewire_dsp::output::{OutputSettings, CEILING_MAX_DB, CEILING_MIN_DB};
use cuewire_dsp::units::db_to_lin;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::sync::atomic::{AtomicUsize, Ordering};

const RATE: f32 = 48_000.0;
/// Cases per property: bounded so the file runs in seconds at the test profile's opt-level.
const CASES: u32 = 256;

// ---------------------------------------------------------------- strategies

fn layout() -> impl Strategy<Value = InputLayout> {
    prop_oneof![
        Just(InputLayout::Stereo),
        Just(InputLayout::Mono),
        Just(InputLayout::BalancedPairs)
    ]
}

fn input_mode() -> impl Strategy<Value = InputMode> {
    prop_oneof![
        Just(InputMode::Stereo),
        Just(InputMode::AutoFix),
        Just(InputMode::LeftToBoth),
        Just(InputMode::RightToBoth),
        Just(InputMode::MonoSum),
        Just(InputMode::Swap),
        Just(InputMode::BalancedPair),
    ]
}

fn crossfeed() -> impl Strategy<Value = CrossfeedSetting> {
    prop_oneof![
        Just(CrossfeedSetting::Off),
        Just(CrossfeedSetting::Bs2bDefault),
        Just(CrossfeedSetting::ChuMoy),
        Just(CrossfeedSetting::JanMeier),
        (300.0f32..=2000.0, 1.0f32..=15.0)
            .prop_map(|(cut_hz, feed_db)| CrossfeedSetting::Custom { cut_hz, feed_db }),
    ]
}

/// Gain −60..+24 dB, dim, mute, guard, ceiling −20..0 dBFS.
fn output() -> impl Strategy<Value = OutputSettings> {
    (
        -60.0f32..=24.0,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        CEILING_MIN_DB..=CEILING_MAX_DB,
    )
        .prop_map(|(gain_db, dim, mute, guard, ceiling_db)| OutputSettings {
            gain_db,
            dim,
            mute,
            guard,
            ceiling_db,
            // The level limit keeps audio-dependent state, which the recovery properties
            // exclude; its hostile input is tested in the monitor tests.
            ..OutputSettings::default()
        })
}

fn cue() -> impl Strategy<Value = CueSettings> {
    (
        any::<bool>(),
        prop_oneof![Just(CueSource::Pre), Just(CueSource::Post)],
        prop_oneof![
            Just(CueMode::Stereo),
            Just(CueMode::Mono),
            Just(CueMode::LeftToBoth),
            Just(CueMode::RightToBoth)
        ],
        output(),
    )
        .prop_map(|(on, source, mode, output)| CueSettings {
            on,
            source,
            mode,
            output,
        })
}

fn settings() -> impl Strategy<Value = EngineSettings> {
    (
        input_mode(),
        [-3.0f32..=3.0, -3.0f32..=3.0],
        [any::<bool>(), any::<bool>()],
        output(),
        crossfeed(),
        [cue(), cue(), cue(), cue()],
        any::<bool>(),
    )
        .prop_map(
            |(mode, cold_trim_db, invert, main, crossfeed, cues, bypass)| EngineSettings {
                input: InputSettings {
                    mode,
                    cold_trim_db,
                    invert,
                },
                main,
                crossfeed,
                cues,
                bypass,
                ..EngineSettings::default()
            },
        )
}

// ---------------------------------------------------------------- signals

/// The hostile values a host or a broken upstream plugin can deliver.
const BAD: [f32; 8] = [
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    1e30,
    -1e30,
    f32::MAX,
    -f32::MAX,
    -0.0,
];

fn is_bad(x: f32) -> bool {
    !x.is_finite() || x.abs() >= 1e30 || (x != 0.0 && x.abs() < f32::MIN_POSITIVE)
}

/// One channel: music-like noise (peak ≈ 1.5) with a burst `burst` in which each sample is
/// bad with probability `bad_p` (a BAD value or a random subnormal).
fn channel(rng: &mut SmallRng, len: usize, burst: std::ops::Range<usize>, bad_p: f64) -> Vec<f32> {
    let mut lp = 0.0f32;
    (0..len)
        .map(|i| {
            lp = 0.9 * lp + 0.1 * rng.gen_range(-4.0f32..4.0);
            if burst.contains(&i) && rng.gen_bool(bad_p) {
                if rng.gen_bool(0.25) {
                    f32::from_bits(rng.gen_range(1..0x0080_0000))
                        * if rng.gen() { 1.0 } else { -1.0 }
                } else {
                    BAD[rng.gen_range(0..BAD.len())]
                }
            } else {
                lp
            }
        })
        .collect()
}

/// The host's input bus: main channels (L, R) and, for BalancedPairs, the aux pair.
#[derive(Clone)]
struct Bus {
    main: [Vec<f32>; 2],
    aux: Option<[Vec<f32>; 2]>,
}

impl Bus {
    fn random(layout: InputLayout, seed: u64, len: usize, burst: std::ops::Range<usize>) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed);
        let bad_p = rng.gen_range(0.05..1.0);
        let mut ch = || channel(&mut rng, len, burst.clone(), bad_p);
        let main = [ch(), ch()];
        let aux = (layout == InputLayout::BalancedPairs).then(|| [ch(), ch()]);
        Self { main, aux }
    }

    fn channels_mut(&mut self) -> impl Iterator<Item = &mut Vec<f32>> {
        self.main.iter_mut().chain(self.aux.iter_mut().flatten())
    }

    fn tail(&self, from: usize) -> Self {
        Self {
            main: self.main.clone().map(|c| c[from..].to_vec()),
            aux: self.aux.clone().map(|a| a.map(|c| c[from..].to_vec())),
        }
    }
}

struct Out {
    main: [Vec<f32>; 2],
    cues: [[Vec<f32>; 2]; CUE_COUNT],
}

/// Runs `bus` through `engine` in random host blocks (1..=max_block) with the cues in
/// `connected` (the others get `None`).
fn run(engine: &mut Engine, bus: &Bus, connected: [bool; CUE_COUNT], seed: u64) -> Out {
    let mut rng = SmallRng::seed_from_u64(seed);
    let max_block = [1, 64, 700, 4096][rng.gen_range(0..4)];
    let n = bus.main[0].len();
    let mut main = bus.main.clone();
    let mut cues: [[Vec<f32>; 2]; CUE_COUNT] =
        std::array::from_fn(|_| [vec![0.0; n], vec![0.0; n]]);
    let mut pos = 0;
    while pos < n {
        let end = (pos + rng.gen_range(1..=max_block)).min(n);
        let [l, r] = &mut main;
        let aux = bus.aux.as_ref().map(|[a, b]| (&a[pos..end], &b[pos..end]));
        let mut outs: [CueOut<'_>; CUE_COUNT] = [None, None, None, None];
        for ((slot, [a, b]), &on) in outs.iter_mut().zip(cues.iter_mut()).zip(&connected) {
            if on {
                *slot = Some((&mut a[pos..end], &mut b[pos..end]));
            }
        }
        engine.process(&mut l[pos..end], &mut r[pos..end], aux, &mut outs);
        pos = end;
    }
    Out { main, cues }
}

fn ceiling_lin(out: &OutputSettings) -> f32 {
    db_to_lin(out.ceiling_db.clamp(CEILING_MIN_DB, CEILING_MAX_DB))
}

fn first_bit_diff(a: &[f32], b: &[f32]) -> Option<usize> {
    a.iter()
        .zip(b)
        .position(|(x, y)| x.to_bits() != y.to_bits())
}

fn readings_finite(r: &EngineReadings) -> bool {
    let text = format!("{r:?}");
    !text.contains("NaN") && !text.contains("inf")
}

fn config() -> Config {
    Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------- properties

#[test]
fn hostile_input_gives_finite_guarded_normal_output_and_meters_recover() {
    let runs = AtomicUsize::new(0);
    let bad_samples = AtomicUsize::new(0);
    let strategy = (
        layout(),
        settings(),
        any::<[bool; CUE_COUNT]>(),
        any::<u64>(),
        1usize..3000,
    );
    TestRunner::new(config())
        .run(&strategy, |(layout, s, connected, seed, len)| {
            let burst = 0..len;
            let bus = Bus::random(layout, seed, len + 1024, burst);
            bad_samples.fetch_add(
                bus.main
                    .iter()
                    .chain(bus.aux.iter().flatten())
                    .flatten()
                    .filter(|x| is_bad(**x))
                    .count(),
                Ordering::Relaxed,
            );
            let mut engine = Engine::new(RATE, layout, &s);
            let out = run(&mut engine, &bus, connected, seed ^ 1);
            let check =
                |what: &str, buf: &[f32], ceiling: Option<f32>| -> Result<(), TestCaseError> {
                    for (i, &x) in buf.iter().enumerate() {
                        prop_assert!(x.is_finite(), "{what}[{i}] = {x}");
                        prop_assert!(
                            x == 0.0 || x.abs() >= f32::MIN_POSITIVE,
                            "{what}[{i}] = {x:e} subnormal"
                        );
                        if let Some(c) = ceiling {
                            prop_assert!(x.abs() <= c, "{what}[{i}] = {x} over ceiling {c}");
                        }
                    }
                    Ok(())
                };
            let main_ceiling = (s.main.guard && !s.bypass).then(|| ceiling_lin(&s.main));
            for ch in 0..2 {
                check(&format!("main ch{ch}"), &out.main[ch], main_ceiling)?;
                for c in (0..CUE_COUNT).filter(|&c| connected[c]) {
                    let ceiling = s.cues[c]
                        .output
                        .guard
                        .then(|| ceiling_lin(&s.cues[c].output));
                    check(&format!("cue {} ch{ch}", c + 1), &out.cues[c][ch], ceiling)?;
                }
            }
            // Meters: the bad input was read; now one clean block, read twice.
            let first = engine.read_meters();
            prop_assert!(readings_finite(&first), "after bad input: {first:?}");
            let clean = Bus::random(layout, seed ^ 2, 512, 0..0);
            let out = run(&mut engine, &clean, connected, seed ^ 3);
            let after = engine.read_meters();
            prop_assert!(readings_finite(&after), "after good input: {after:?}");
            for ch in 0..2 {
                let want = out.main[ch].iter().fold(0.0f32, |m, x| m.max(x.abs()));
                prop_assert_eq!(
                    after.main.sample_peak_lin[ch],
                    want,
                    "main sample peak ch{}",
                    ch
                );
            }
            runs.fetch_add(1, Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
    println!(
        "hostile input: {} cases passed, {} bad samples fed (NaN, ±inf, ±1e30, ±MAX, −0.0, subnormals)",
        runs.into_inner(),
        bad_samples.into_inner()
    );
}

#[test]
fn without_crossfeed_bad_samples_affect_only_themselves() {
    let runs = AtomicUsize::new(0);
    let strategy = (
        layout(),
        settings(),
        any::<[bool; CUE_COUNT]>(),
        any::<u64>(),
        1usize..2000,
        1usize..2000,
    );
    TestRunner::new(config())
        .run(&strategy, |(layout, mut s, connected, seed, start, len)| {
            s.crossfeed = CrossfeedSetting::Off;
            if s.input.mode == InputMode::AutoFix {
                // Auto fix's decision remembers what it heard (by design); see the test below.
                s.input.mode = InputMode::Stereo;
            }
            let end = start + len;
            let bad = Bus::random(layout, seed, end + 2048, start..end);
            let mut zeroed = bad.clone();
            for ch in zeroed.channels_mut() {
                ch.iter_mut().filter(|x| is_bad(**x)).for_each(|x| *x = 0.0);
            }
            let a = run(
                &mut Engine::new(RATE, layout, &s),
                &bad,
                connected,
                seed ^ 1,
            );
            let b = run(
                &mut Engine::new(RATE, layout, &s),
                &zeroed,
                connected,
                seed ^ 1,
            );
            let pairs = a
                .main
                .iter()
                .zip(&b.main)
                .chain(a.cues.iter().flatten().zip(b.cues.iter().flatten()));
            for (i, (x, y)) in pairs.enumerate() {
                let d = first_bit_diff(&x[end..], &y[end..]);
                prop_assert!(
                    d.is_none(),
                    "output {i} differs {:?} samples after the burst",
                    d
                );
            }
            runs.fetch_add(1, Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
    println!(
        "no crossfeed: {} cases bit-identical from the first sample after the burst",
        runs.into_inner()
    );
}

#[test]
fn a_dropout_leaves_no_crossfeed_tail() {
    let runs = AtomicUsize::new(0);
    let strategy = (
        layout(),
        settings(),
        crossfeed(),
        any::<[bool; CUE_COUNT]>(),
        any::<u64>(),
        1usize..2000,
        1usize..2000,
    );
    TestRunner::new(config())
        .run(
            &strategy,
            |(layout, mut s, xf, connected, seed, start, len)| {
                s.crossfeed = if xf == CrossfeedSetting::Off {
                    CrossfeedSetting::JanMeier
                } else {
                    xf
                };
                if s.input.mode == InputMode::AutoFix {
                    s.input.mode = InputMode::MonoSum;
                }
                let end = start + len;
                let mut bus = Bus::random(layout, seed, end + 2048, start..end);
                // The dropout's last frame: non-finite on every channel.
                let mut rng = SmallRng::seed_from_u64(seed ^ 5);
                for ch in bus.channels_mut() {
                    ch[end - 1] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY][rng.gen_range(0..3)];
                }
                let a = run(
                    &mut Engine::new(RATE, layout, &s),
                    &bus,
                    connected,
                    seed ^ 1,
                );
                let b = run(
                    &mut Engine::new(RATE, layout, &s),
                    &bus.tail(end),
                    connected,
                    seed ^ 2,
                );
                let pairs = a
                    .main
                    .iter()
                    .zip(&b.main)
                    .chain(a.cues.iter().flatten().zip(b.cues.iter().flatten()));
                for (i, (x, y)) in pairs.enumerate() {
                    let d = first_bit_diff(&x[end..], y);
                    prop_assert!(
                        d.is_none(),
                        "output {i} differs {:?} samples after the dropout",
                        d
                    );
                }
                runs.fetch_add(1, Ordering::Relaxed);
                Ok(())
            },
        )
        .unwrap();
    println!(
        "crossfeed on: {} dropouts, output bit-identical to a fresh engine from the next sample",
        runs.into_inner()
    );
}
