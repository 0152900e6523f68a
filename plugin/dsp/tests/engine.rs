//! The whole engine through its public API: bit transparency, zero latency on main and cues,
//! block-size independence with automation, ear guard on hostile input, gains, cue modes and
//! sources, main independence from the cues, zipper-free ramps, cue on/off, bypass and snap.
//! Run with `--nocapture` to see the measured numbers.

use cuewire_dsp::autofix::{AutoFixDecision, HOP_MS, QUALIFY_MS, WINDOW_HOPS};
use cuewire_dsp::crossfeed::{Bs2bCoefs, CrossfeedSetting};
use cuewire_dsp::cue::{CueMode, CueSettings, CueSource, CUE_COUNT};
use cuewire_dsp::engine::{
    meter_bits, CueOut, Engine, EngineReadings, EngineSettings, CHUNK_FRAMES,
};
use cuewire_dsp::input::{InputLayout, InputMode};
use cuewire_dsp::output::{OutputSettings, DIM_DB, GAIN_RAMP_MS};
use cuewire_dsp::units::db_to_lin;
use cuewire_testkit::{assert_bits_eq, first_bit_diff, max_step, music, peak, sine, uniform};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const RATE: f32 = 48_000.0;
const FS: f64 = 48_000.0;

const ALL_LAYOUTS: [InputLayout; 3] = [
    InputLayout::Stereo,
    InputLayout::Mono,
    InputLayout::BalancedPairs,
];

/// Samples in a gain ramp (20 ms at 48 kHz = 960).
fn ramp_len() -> usize {
    (GAIN_RAMP_MS * 0.001 * RATE).round() as usize
}

// ---------------------------------------------------------------- signals

/// RMS level of `x` in dB (−300 for silence).
fn level_db(x: &[f32]) -> f64 {
    let ms = x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len().max(1) as f64;
    10.0 * ms.max(1e-30).log10()
}

/// Like [`assert_bits_eq`] but lets +0.0 stand for −0.0 (and back); returns how many samples
/// differed only in the sign of a zero.
fn assert_bits_eq_but_zero_sign(got: &[f32], want: &[f32], what: &str) -> usize {
    let mut zero_sign = 0;
    for (i, (x, y)) in got.iter().zip(want).enumerate() {
        if x.to_bits() != y.to_bits() {
            assert!(
                *x == 0.0 && *y == 0.0,
                "{what}: sample {i}: got {x:e} ({:#010x}), want {y:e} ({:#010x})",
                x.to_bits(),
                y.to_bits()
            );
            zero_sign += 1;
        }
    }
    zero_sign
}

/// What the engine hands the host for input `x`: subnormals are flushed to a zero of their
/// sign (they are inaudible and cost a slow path in every multiply); every other value is kept.
fn flushed(x: &[f32]) -> Vec<f32> {
    x.iter()
        .map(|&v| {
            if v != 0.0 && v.abs() < f32::MIN_POSITIVE {
                0.0f32.copysign(v)
            } else {
                v
            }
        })
        .collect()
}

// ---------------------------------------------------------------- settings

fn cue(on: bool, source: CueSource, mode: CueMode, gain_db: f32) -> CueSettings {
    CueSettings {
        on,
        source,
        mode,
        output: OutputSettings {
            gain_db,
            ..OutputSettings::default()
        },
    }
}

fn with_main_gain(mut s: EngineSettings, gain_db: f32) -> EngineSettings {
    s.main.gain_db = gain_db;
    s
}

// ---------------------------------------------------------------- running the engine

/// The host's input bus: Stereo (L, R), Mono (`l`; `r` is garbage the engine must ignore) or
/// BalancedPairs (`l` = Hot L, `r` = Cold L, `aux` = Hot R, Cold R).
#[derive(Clone)]
struct Input {
    l: Vec<f32>,
    r: Vec<f32>,
    aux: Option<[Vec<f32>; 2]>,
}

impl Input {
    fn len(&self) -> usize {
        self.l.len()
    }

    /// A bus for `layout` that decodes to (`sl`, `sr`) (Mono: to `sl` on both), with hum on
    /// the balanced legs.
    fn for_layout(layout: InputLayout, sl: &[f32], sr: &[f32]) -> Self {
        match layout {
            InputLayout::Stereo => Self {
                l: sl.to_vec(),
                r: sr.to_vec(),
                aux: None,
            },
            InputLayout::Mono => Self {
                l: sl.to_vec(),
                r: uniform(99, 3.0, sl.len()),
                aux: None,
            },
            InputLayout::BalancedPairs => {
                let hum = sine(FS, 50.0, 0.0, 0.1, sl.len());
                let legs = |s: &[f32]| -> [Vec<f32>; 2] {
                    [
                        s.iter().zip(&hum).map(|(x, h)| x + h).collect(),
                        s.iter().zip(&hum).map(|(x, h)| h - x).collect(),
                    ]
                };
                let [hot_l, cold_l] = legs(sl);
                Self {
                    l: hot_l,
                    r: cold_l,
                    aux: Some(legs(sr)),
                }
            }
        }
    }
}

struct Output {
    main: [Vec<f32>; 2],
    cues: [[Vec<f32>; 2]; CUE_COUNT],
}

/// A settings change at an absolute sample position (applied before that sample).
type Event = (usize, EngineSettings);

/// Runs `input` through `engine` in host blocks drawn from `next_block`, cutting blocks at the
/// events. Cue buffers start filled with `cue_fill` (the host zero-fills: 0.0); with no cue
/// connected the engine is called through `process_main`.
fn run(
    engine: &mut Engine,
    input: &Input,
    events: &[Event],
    connected: [bool; CUE_COUNT],
    cue_fill: f32,
    mut next_block: impl FnMut() -> usize,
) -> Output {
    let n = input.len();
    let mut main = [input.l.clone(), input.r.clone()];
    let mut cues: [[Vec<f32>; 2]; CUE_COUNT] =
        std::array::from_fn(|_| [vec![cue_fill; n], vec![cue_fill; n]]);
    let any_connected = connected.iter().any(|&c| c);
    let mut pos = 0;
    let mut ev = 0;
    while pos < n {
        while ev < events.len() && events[ev].0 <= pos {
            engine.set_settings(&events[ev].1);
            ev += 1;
        }
        let mut end = (pos + next_block().max(1)).min(n);
        if ev < events.len() {
            end = end.min(events[ev].0);
        }
        let [ml, mr] = &mut main;
        let aux = input
            .aux
            .as_ref()
            .map(|[a, b]| (&a[pos..end], &b[pos..end]));
        if any_connected {
            let mut outs: [CueOut<'_>; CUE_COUNT] = [None, None, None, None];
            for ((slot, [a, b]), &on) in outs.iter_mut().zip(cues.iter_mut()).zip(&connected) {
                if on {
                    *slot = Some((&mut a[pos..end], &mut b[pos..end]));
                }
            }
            engine.process(&mut ml[pos..end], &mut mr[pos..end], aux, &mut outs);
        } else {
            engine.process_main(&mut ml[pos..end], &mut mr[pos..end], aux);
        }
        pos = end;
    }
    Output { main, cues }
}

/// A fresh Stereo-layout engine at `settings`, run over `input` in fixed blocks of `block`
/// (the host zero-fills the cue buffers).
fn render_stereo(
    settings: &EngineSettings,
    input: &Input,
    events: &[Event],
    connected: [bool; CUE_COUNT],
    block: usize,
) -> Output {
    let mut engine = Engine::new(RATE, InputLayout::Stereo, settings);
    run(&mut engine, input, events, connected, 0.0, fixed(block))
}

fn fixed(block: usize) -> impl FnMut() -> usize {
    move || block
}

fn random_blocks(seed: u64) -> impl FnMut() -> usize {
    let mut rng = SmallRng::seed_from_u64(seed);
    move || rng.gen_range(1..=8192)
}

// ---------------------------------------------------------------- transparency

#[test]
fn stereo_unity_default_is_bit_transparent_for_any_block_size() {
    let n = 40_000;
    let mut rng = SmallRng::seed_from_u64(1);
    let mut special = 0;
    let mut draw = || {
        let p: f32 = rng.gen();
        if p < 0.03 {
            special += 1;
            -0.0
        } else if p < 0.04 {
            special += 1;
            if rng.gen() {
                1.0
            } else {
                -1.0
            }
        } else if p < 0.05 {
            special += 1;
            f32::from_bits(rng.gen_range(1..0x0080_0000)) * if rng.gen() { 1.0 } else { -1.0 }
        } else {
            rng.gen_range(-1.0..=1.0)
        }
    };
    let l: Vec<f32> = (0..n).map(|_| draw()).collect();
    let r: Vec<f32> = (0..n).map(|_| draw()).collect();
    println!("transparency: {n} frames, {special} of them -0.0, ±1.0 or subnormal");
    let input = Input::for_layout(InputLayout::Stereo, &l, &r);
    // Transparent means bit-exact for every normal number, zero and ±1.0; subnormals come out
    // as zeros of their sign (a deliberate flush: see `flushed`).
    let (l, r) = (flushed(&l), flushed(&r));
    let settings = EngineSettings::default();
    for block in [1, 7, 64, 255, 256, 257, 4096, n] {
        let out = render_stereo(&settings, &input, &[], [true; 4], block);
        assert_bits_eq(&out.main[0], &l, &format!("L, block {block}"));
        assert_bits_eq(&out.main[1], &r, &format!("R, block {block}"));
        for cue in &out.cues {
            assert!(cue[0].iter().chain(&cue[1]).all(|v| v.to_bits() == 0));
        }
    }
    let mut engine = Engine::new(RATE, InputLayout::Stereo, &settings);
    let out = run(&mut engine, &input, &[], [false; 4], 0.0, random_blocks(2));
    assert_bits_eq(&out.main[0], &l, "L, random blocks, no cues");
    assert_bits_eq(&out.main[1], &r, "R, random blocks, no cues");
    println!("transparency: bit-identical for blocks 1, 7, 64, 255, 256, 257, 4096, {n}, random");
}

// ---------------------------------------------------------------- latency

/// Decoded (L, R) → main (L, R) for an input mode without Auto fix.
fn route(mode: InputMode, l: f64, r: f64) -> (f64, f64) {
    match mode {
        InputMode::Stereo => (l, r),
        InputMode::BalancedPair => ((l - r) / 2.0, (l - r) / 2.0),
        InputMode::MonoSum => ((l + r) / 2.0, (l + r) / 2.0),
        _ => unreachable!(),
    }
}

/// A cue's fold of its feed (a, b).
fn fold(mode: CueMode, a: f64, b: f64) -> (f64, f64) {
    match mode {
        CueMode::Stereo => (a, b),
        CueMode::Mono => ((a + b) / 2.0, (a + b) / 2.0),
        CueMode::LeftToBoth => (a, a),
        CueMode::RightToBoth => (b, b),
    }
}

#[test]
fn impulses_come_out_at_the_same_sample_on_main_and_every_cue() {
    let n = 4096;
    let positions = [0usize, 1, 255, 256, 777, 3001];
    let mut dl = vec![0.0f32; n];
    let mut dr = vec![0.0f32; n];
    for &k in &positions {
        dl[k] = 1.0;
        dr[k] = 0.5;
    }
    let main_db = -6.0;
    let gm = f64::from(db_to_lin(main_db));
    let cues = [
        cue(true, CueSource::Pre, CueMode::Stereo, 0.0),
        cue(true, CueSource::Post, CueMode::Stereo, 0.0),
        cue(true, CueSource::Pre, CueMode::Mono, 0.0),
        cue(true, CueSource::Post, CueMode::RightToBoth, 0.0),
    ];
    let mut checked = 0;
    for layout in ALL_LAYOUTS {
        let input = Input::for_layout(layout, &dl, &dr);
        // Mono layout: the one channel reaches both sides of the decoder.
        let decoded = |i: usize| -> (f64, f64) {
            let l = f64::from(dl[i]);
            if layout == InputLayout::Mono {
                (l, l)
            } else {
                (l, f64::from(dr[i]))
            }
        };
        for mode in [
            InputMode::Stereo,
            InputMode::BalancedPair,
            InputMode::MonoSum,
        ] {
            let mut settings = with_main_gain(EngineSettings::default(), main_db);
            settings.input.mode = mode;
            settings.cues = cues;
            let mut engine = Engine::new(RATE, layout, &settings);
            let out = run(&mut engine, &input, &[], [true; 4], 0.0, fixed(300));
            let mut max_err = 0.0f64;
            let mut outputs: Vec<(&str, &[f32], Vec<f64>)> = Vec::new();
            let main: Vec<(f64, f64)> = (0..n)
                .map(|i| {
                    let (l, r) = decoded(i);
                    route(mode.effective_in(layout), l, r)
                })
                .collect();
            outputs.push((
                "main L",
                out.main[0].as_slice(),
                main.iter().map(|m| m.0 * gm).collect(),
            ));
            outputs.push((
                "main R",
                out.main[1].as_slice(),
                main.iter().map(|m| m.1 * gm).collect(),
            ));
            for (c, (cs, buf)) in cues.iter().zip(&out.cues).enumerate() {
                let g = if cs.source == CueSource::Post {
                    gm
                } else {
                    1.0
                };
                let exp: Vec<(f64, f64)> = main
                    .iter()
                    .map(|&(a, b)| fold(cs.mode, a * g, b * g))
                    .collect();
                outputs.push((
                    ["cue 1 L", "cue 2 L", "cue 3 L", "cue 4 L"][c],
                    buf[0].as_slice(),
                    exp.iter().map(|e| e.0).collect(),
                ));
                outputs.push((
                    ["cue 1 R", "cue 2 R", "cue 3 R", "cue 4 R"][c],
                    buf[1].as_slice(),
                    exp.iter().map(|e| e.1).collect(),
                ));
            }
            for (name, got, want) in &outputs {
                for i in 0..n {
                    let err = (f64::from(got[i]) - want[i]).abs();
                    // Away from the impulses exact silence (the legs' hum cancels exactly:
                    // (h − h)/2 = 0); at them a few f32 roundings of values ≤ 1.
                    let tol = if want[i] == 0.0 { 0.0 } else { 1e-7 };
                    assert!(
                        err <= tol,
                        "{layout:?}/{mode:?} {name}[{i}]: got {} want {} (err {err:e})",
                        got[i],
                        want[i]
                    );
                    max_err = max_err.max(err);
                }
                if want.iter().any(|&w| w != 0.0) {
                    // Zero latency: every impulse is present at its own sample (and, above,
                    // nothing anywhere else).
                    for &k in &positions {
                        assert!(got[k].abs() >= 0.1, "{layout:?}/{mode:?} {name}[{k}]");
                    }
                }
                checked += 1;
            }
            println!(
                "latency {layout:?}/{mode:?}: every impulse at its own sample on main and 4 cues \
                 (pre/post), max |err| {max_err:.2e}"
            );
        }
    }
    println!("latency: {checked} channel outputs checked");

    // With crossfeed on, nothing comes out before the impulse and the direct path's peak is at it.
    for layout in ALL_LAYOUTS {
        let settings = EngineSettings {
            crossfeed: CrossfeedSetting::Bs2bDefault,
            cues,
            ..EngineSettings::default()
        };
        let mut delta = vec![0.0f32; n];
        delta[777] = 1.0;
        let zeros = vec![0.0f32; n];
        let input = match layout {
            InputLayout::BalancedPairs => Input {
                l: delta.clone(),
                r: delta.iter().map(|x| -x).collect(),
                aux: Some([zeros.clone(), zeros.clone()]),
            },
            _ => Input {
                l: delta.clone(),
                r: zeros.clone(),
                aux: None,
            },
        };
        let mut engine = Engine::new(RATE, layout, &settings);
        let out = run(&mut engine, &input, &[], [true; 4], 0.0, fixed(64));
        for (name, buf) in [
            ("main L", &out.main[0]),
            ("cue 2 L (post)", &out.cues[1][0]),
        ] {
            assert!(buf[..777].iter().all(|&v| v == 0.0), "{layout:?} {name}");
            let at = buf
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                .unwrap()
                .0;
            assert_eq!(at, 777, "{layout:?} {name} crossfeed peak");
            println!(
                "latency with crossfeed {layout:?} {name}: first non-zero and peak at 777, \
                 value {:.4}",
                buf[777]
            );
        }
    }
}

// ---------------------------------------------------------------- block sizes

/// A session for `layout`: cues on with mixed sources and modes, crossfeed on, and gains,
/// routing, cue states, trim and bypass automated at fixed samples.
fn automated_session(layout: InputLayout) -> (EngineSettings, Vec<Event>) {
    let mut s = EngineSettings::default();
    s.input.mode = if layout == InputLayout::Stereo {
        InputMode::AutoFix
    } else {
        InputMode::Stereo
    };
    s.main.gain_db = -6.0;
    s.crossfeed = CrossfeedSetting::Bs2bDefault;
    s.cues = [
        cue(true, CueSource::Pre, CueMode::Stereo, 0.0),
        cue(true, CueSource::Post, CueMode::Mono, 6.0),
        cue(true, CueSource::Pre, CueMode::LeftToBoth, -6.0),
        cue(false, CueSource::Post, CueMode::RightToBoth, 3.0),
    ];
    let mut events = Vec::new();
    let mut e = s;
    e.main.gain_db = 3.0;
    e.main.ceiling_db = -3.0;
    events.push((3001, e));
    e.cues[0].output.gain_db = -20.0;
    e.cues[1].mode = CueMode::Stereo;
    e.cues[2].on = false;
    e.cues[3].on = true;
    events.push((7777, e));
    e.input.mode = if layout == InputLayout::Mono {
        InputMode::MonoSum
    } else {
        InputMode::Swap
    };
    e.crossfeed = CrossfeedSetting::JanMeier;
    e.main.dim = true;
    events.push((12_000, e));
    e.bypass = true;
    events.push((15_001, e));
    e.bypass = false;
    e.main.dim = false;
    e.cues[1].source = CueSource::Pre;
    events.push((17_500, e));
    e.input.cold_trim_db = [1.5, -2.0];
    e.input.mode = InputMode::Stereo;
    e.main.gain_db = 12.0;
    e.cues[0].output.mute = true;
    events.push((20_000, e));
    e.crossfeed = CrossfeedSetting::Off;
    e.cues[3].output.gain_db = 12.0;
    events.push((26_003, e));
    (s, events)
}

#[test]
fn any_block_size_gives_the_same_main_and_cues_as_one_long_block() {
    let n = 36_000;
    let (mut sl, sr) = music(7, FS, n);
    // The right channel is silent for the first 0.4 s so that Auto fix switches (Stereo layout).
    let mut sr = sr;
    sr[..19_200].iter_mut().for_each(|x| *x = 0.0);
    sl.iter_mut().for_each(|x| *x *= 0.5);
    for layout in ALL_LAYOUTS {
        let input = Input::for_layout(layout, &sl, &sr);
        let (settings, events) = automated_session(layout);
        let mut engine = Engine::new(RATE, layout, &settings);
        let reference = run(&mut engine, &input, &events, [true; 4], 0.0, fixed(n));
        let decision = engine.input().decision();
        let ref_peaks: Vec<f32> = reference
            .cues
            .iter()
            .map(|c| peak(&c[0]).max(peak(&c[1])))
            .collect();
        assert!(
            ref_peaks.iter().all(|&p| p > 0.01),
            "every cue carried signal"
        );
        let mut sizes: Vec<(String, Box<dyn FnMut() -> usize>)> = vec![
            ("1".into(), Box::new(fixed(1))),
            ("7".into(), Box::new(fixed(7))),
            ("64".into(), Box::new(fixed(64))),
            ("4096".into(), Box::new(fixed(4096))),
        ];
        for seed in 1..=3 {
            sizes.push((format!("random#{seed}"), Box::new(random_blocks(seed))));
        }
        let mut zero_sign = Vec::new();
        for (name, blocks) in sizes.iter_mut() {
            let mut engine = Engine::new(RATE, layout, &settings);
            let out = run(&mut engine, &input, &events, [true; 4], 0.0, blocks);
            let mut zs = 0;
            for ch in 0..2 {
                assert_bits_eq(
                    &out.main[ch],
                    &reference.main[ch],
                    &format!("{layout:?} main ch{ch}, blocks {name}"),
                );
                // Known: a cue that finishes fading out inside an engine chunk writes 0·x
                // (−0.0 for negative x) for the rest of that chunk, where a host block ending
                // at the fade's end leaves the zero-filled buffer (+0.0). Same value, other sign.
                for c in 0..CUE_COUNT {
                    zs += assert_bits_eq_but_zero_sign(
                        &out.cues[c][ch],
                        &reference.cues[c][ch],
                        &format!("{layout:?} cue {} ch{ch}, blocks {name}", c + 1),
                    );
                }
            }
            zero_sign.push(zs);
        }
        println!(
            "blocks {layout:?}: main bit-identical, cues bit-identical up to the sign of zero \
             (±0 differences per run {zero_sign:?}), for blocks 1, 7, 64, 4096 and 3 random \
             sequences (7 events; cue peaks {ref_peaks:.3?}; final Auto fix decision {decision:?})"
        );
    }
}

#[test]
fn crossfeed_tail_into_silence_is_block_size_independent() {
    // Signal, then digital silence: the crossfeed's filters decay through tiny values.
    let n = 8000;
    let (mut l, mut r) = music(3, FS, n);
    for x in l[2000..].iter_mut().chain(r[2000..].iter_mut()) {
        *x = 0.0;
    }
    let settings = EngineSettings {
        crossfeed: CrossfeedSetting::Bs2bDefault,
        ..EngineSettings::default()
    };
    let input = Input::for_layout(InputLayout::Stereo, &l, &r);
    let reference = render_stereo(&settings, &input, &[], [false; 4], n);
    let last_nonzero = reference.main[0].iter().rposition(|&v| v != 0.0);
    println!("crossfeed tail (one block): last non-zero main L sample {last_nonzero:?}");
    for block in [1, 7, 64, 1000] {
        let out = render_stereo(&settings, &input, &[], [false; 4], block);
        let diff = first_bit_diff(&out.main[0], &reference.main[0]);
        println!(
            "crossfeed tail, block {block}: first difference {diff:?}, last non-zero {:?}",
            out.main[0].iter().rposition(|&v| v != 0.0)
        );
        assert_bits_eq(
            &out.main[0],
            &reference.main[0],
            &format!("crossfeed tail main L, block {block}"),
        );
        assert_bits_eq(
            &out.main[1],
            &reference.main[1],
            &format!("crossfeed tail main R, block {block}"),
        );
    }
}

// ---------------------------------------------------------------- ear guard

fn hostile(seed: u64, len: usize) -> Vec<f32> {
    let mut rng = SmallRng::seed_from_u64(seed);
    (0..len)
        .map(|_| match rng.gen_range(0..20) {
            0 => f32::NAN,
            1 => f32::INFINITY,
            2 => f32::NEG_INFINITY,
            3 => 1e30,
            4 => -1e30,
            5 => f32::from_bits(rng.gen_range(1..0x0080_0000)),
            6 => f32::MAX,
            _ => rng.gen_range(-1e6..1e6),
        })
        .collect()
}

#[test]
fn ear_guard_holds_every_output_under_its_ceiling_on_hostile_input() {
    let bad = 8192;
    let clean = 8192;
    let mut l = hostile(11, bad);
    let mut r = hostile(12, bad);
    l.extend(sine(FS, 440.0, 0.0, 0.3, clean));
    r.extend(sine(FS, 660.0, 1.0f64.to_degrees(), 0.3, clean));
    let cases: [(f32, f32, CrossfeedSetting, InputMode); 6] = [
        (24.0, -20.0, CrossfeedSetting::Off, InputMode::Stereo),
        (
            24.0,
            0.0,
            CrossfeedSetting::Bs2bDefault,
            InputMode::BalancedPair,
        ),
        (12.0, -6.0, CrossfeedSetting::JanMeier, InputMode::MonoSum),
        (0.0, -0.1, CrossfeedSetting::Off, InputMode::AutoFix),
        (24.0, -20.0, CrossfeedSetting::ChuMoy, InputMode::AutoFix),
        (6.0, -13.0, CrossfeedSetting::Off, InputMode::Swap),
    ];
    let cue_ceilings = [-20.0, -10.0, -3.0, 0.0];
    for layout in ALL_LAYOUTS {
        let input = Input::for_layout(layout, &l, &r);
        // Hostile legs: replace the decoded-signal construction by raw hostile data.
        let input = if layout == InputLayout::BalancedPairs {
            let mut legs: Vec<Vec<f32>> = (0..4).map(|s| hostile(20 + s, bad)).collect();
            let [hl, cl] = [&input.l, &input.r].map(|v| v[bad..].to_vec());
            let aux = input.aux.unwrap();
            for (leg, tail) in
                legs.iter_mut()
                    .zip([hl, cl, aux[0][bad..].to_vec(), aux[1][bad..].to_vec()])
            {
                leg.extend(tail);
            }
            Input {
                l: legs[0].clone(),
                r: legs[1].clone(),
                aux: Some([legs[2].clone(), legs[3].clone()]),
            }
        } else {
            input
        };
        for (case, &(gain_db, ceiling_db, crossfeed, mode)) in cases.iter().enumerate() {
            let mut s = EngineSettings::default();
            s.main.gain_db = gain_db;
            s.main.ceiling_db = ceiling_db;
            s.crossfeed = crossfeed;
            s.input.mode = mode;
            let modes = [
                CueMode::Stereo,
                CueMode::Mono,
                CueMode::LeftToBoth,
                CueMode::RightToBoth,
            ];
            for c in 0..CUE_COUNT {
                let source = if (c + case) % 2 == 0 {
                    CueSource::Pre
                } else {
                    CueSource::Post
                };
                s.cues[c] = cue(true, source, modes[(c + case) % 4], 12.0);
                s.cues[c].output.ceiling_db = cue_ceilings[c];
            }
            let mut engine = Engine::new(RATE, layout, &s);
            let out = run(&mut engine, &input, &[], [true; 4], 0.0, fixed(512));
            let main_ceiling = engine.main().guard().ceiling_lin;
            assert!((main_ceiling - db_to_lin(ceiling_db)).abs() <= 1e-7 * main_ceiling);
            let mut worst = Vec::new();
            let mut check = |name: String, buf: &[f32], ceiling: f32| {
                let p = buf.iter().fold(0.0f32, |m, v| {
                    assert!(v.is_finite(), "{name}: non-finite output");
                    m.max(v.abs())
                });
                assert!(p <= ceiling, "{name}: peak {p} over ceiling {ceiling}");
                worst.push(p / ceiling);
            };
            for ch in 0..2 {
                check(
                    format!("{layout:?} case {case} main ch{ch}"),
                    &out.main[ch],
                    main_ceiling,
                );
                for (c, &ceiling_db) in cue_ceilings.iter().enumerate() {
                    let ceiling = engine.cues()[c].stage().guard().ceiling_lin;
                    assert!((ceiling - db_to_lin(ceiling_db)).abs() <= 1e-7);
                    check(
                        format!("{layout:?} case {case} cue {} ch{ch}", c + 1),
                        &out.cues[c][ch],
                        ceiling,
                    );
                }
            }
            let non_finite = engine.main().guard().non_finite_count();
            let clamped = engine.main().guard().clamped_count();
            // Mono layout in BalancedPair mode decodes x − x: silence, nothing to clamp.
            let silent = layout == InputLayout::Mono && mode == InputMode::BalancedPair;
            assert!(silent || clamped > 0);

            // Recovery: against a fresh engine fed only the clean tail.
            let tail = Input {
                l: input.l[bad..].to_vec(),
                r: input.r[bad..].to_vec(),
                aux: input
                    .aux
                    .as_ref()
                    .map(|[a, b]| [a[bad..].to_vec(), b[bad..].to_vec()]),
            };
            let mut fresh = Engine::new(RATE, layout, &s);
            let want = run(&mut fresh, &tail, &[], [true; 4], 0.0, fixed(512));
            // First sample from which every output stays within 1e-6 of the fresh engine.
            let mut settle = 0;
            for i in 0..clean {
                let mut d = 0.0f32;
                for ch in 0..2 {
                    d = d.max((out.main[ch][bad + i] - want.main[ch][i]).abs());
                    for c in 0..CUE_COUNT {
                        d = d.max((out.cues[c][ch][bad + i] - want.cues[c][ch][i]).abs());
                    }
                }
                if d > 1e-6 {
                    settle = i + 1;
                }
            }
            // With crossfeed, the slowest pole decays the worst state (≤ 4·f32::MAX after the
            // output gain) to 1e-6 within `bound` samples; without, nothing holds state.
            let bound = match crossfeed.cut_and_feed() {
                None => 0,
                Some((cut, feed)) => {
                    let c = Bs2bCoefs::new(FS, f64::from(cut), f64::from(feed));
                    let pole = c.b1_lo.max(c.b1_hi);
                    let start = f64::from(f32::MAX) * 4.0 * c.gain;
                    ((start / 1e-6).ln() / -pole.ln()).ceil() as usize
                }
            };
            if mode == InputMode::AutoFix {
                // Auto fix remembers what it heard, but a fault shorter than QUALIFY_MS cannot
                // switch its decision, and its window forgets the fault WINDOW_HOPS · HOP_MS
                // after it ends: from then on (plus the crossfeed's decay) every 10 ms of every
                // output is within 1 dB of a fresh engine fed only the clean tail.
                assert!((bad as f64) < f64::from(QUALIFY_MS) * 1e-3 * FS);
                assert_eq!(engine.input().decision(), AutoFixDecision::NoFault);
                let window = (f64::from(HOP_MS) * 1e-3 * FS).round() as usize * WINDOW_HOPS;
                let from = window + bound;
                let hop = 480;
                let mut worst_db = 0.0f64;
                for ch in 0..2 {
                    let outs = std::iter::once((&out.main[ch], &want.main[ch]))
                        .chain((0..CUE_COUNT).map(|c| (&out.cues[c][ch], &want.cues[c][ch])));
                    for (got, fresh) in outs {
                        let (got, fresh) = (&got[bad + from..], &fresh[from..]);
                        for (g, f) in got.chunks_exact(hop).zip(fresh.chunks_exact(hop)) {
                            let d = (level_db(g) - level_db(f)).abs();
                            assert!(d <= 1.0, "{layout:?} case {case}: {d:.2} dB apart");
                            worst_db = worst_db.max(d);
                        }
                    }
                }
                println!(
                    "guard {layout:?} case {case} (+{gain_db} dB, ceiling {ceiling_db} dB, \
                     {crossfeed:?}, {mode:?}): peak/ceiling max {:.6}, main non-finite {non_finite}, \
                     clamped {clamped}; from {from} samples after the fault every 10 ms within \
                     {worst_db:.4} dB of a fresh engine (exact from sample {settle})",
                    worst.iter().cloned().fold(0.0, f32::max),
                );
                continue;
            }
            // Without crossfeed: exact from the first clean sample; with it, within `bound`.
            println!(
                "guard {layout:?} case {case} (+{gain_db} dB, ceiling {ceiling_db} dB, \
                 {crossfeed:?}, {mode:?}): peak/ceiling max {:.6}, main non-finite {non_finite}, \
                 clamped {clamped}; equal to a fresh engine (1e-6) from clean sample {settle} \
                 (bound {bound})",
                worst.iter().cloned().fold(0.0, f32::max)
            );
            assert!(settle <= bound, "settled at {settle}, bound {bound}");
            if bound == 0 {
                for ch in 0..2 {
                    assert_bits_eq(&out.main[ch][bad..], &want.main[ch], "clean tail main");
                }
            }
        }
    }
}

// ---------------------------------------------------------------- gain, dim, mute

#[test]
fn gain_dim_and_mute_reach_their_exact_values() {
    let n = 8192;
    let ramp = ramp_len();
    let (l, r) = music(5, FS, n);
    let input = Input::for_layout(InputLayout::Stereo, &l, &r);
    let g6 = db_to_lin(-6.0);
    println!(
        "gain: db_to_lin(-6) = {g6:.7} (10^(-6/20) = {:.7})",
        10f64.powf(-0.3)
    );
    assert!((f64::from(g6) - 10f64.powf(-0.3)).abs() < 1e-6);

    // A change ramps for 20 ms, then the gain is exactly db_to_lin(−6).
    let at = 1000;
    let s0 = EngineSettings::default();
    let s6 = with_main_gain(s0, -6.0);
    let out = render_stereo(&s0, &input, &[(at, s6)], [false; 4], 300);
    let want: Vec<f32> = l.iter().map(|x| x * g6).collect();
    assert_bits_eq(
        &out.main[0][at + ramp..],
        &want[at + ramp..],
        "−6 dB after ramp",
    );
    assert_bits_eq(&out.main[0][..at], &l[..at], "0 dB before");
    assert!(first_bit_diff(&out.main[0][at..at + ramp - 1], &want[at..at + ramp - 1]).is_some());
    println!(
        "gain: −6 dB exact from sample {} (change at {at}, ramp {ramp})",
        at + ramp
    );

    // Constructed at −6 dB: no ramp from the default.
    let out = render_stereo(&s6, &input, &[], [false; 4], 64);
    assert_bits_eq(
        &out.main[0],
        &want,
        "−6 dB from the first sample after new()",
    );
    // Reset in mid-ramp: the next sample is at the target.
    let mut engine = Engine::new(RATE, InputLayout::Stereo, &s0);
    engine.set_settings(&s6);
    let mut a = l[..100].to_vec();
    let mut b = r[..100].to_vec();
    engine.process_main(&mut a, &mut b, None);
    assert!(a[99] != want[99]);
    engine.reset();
    let out = run(&mut engine, &input, &[], [false; 4], 0.0, fixed(64));
    assert_bits_eq(
        &out.main[0],
        &want,
        "−6 dB from the first sample after reset()",
    );
    println!("gain: first sample at −6 dB after new() and after reset() mid-ramp");

    // Dim: −20 dB after 20 ms; mute: exact silence after 20 ms.
    let mut dim = s0;
    dim.main.dim = true;
    let gdim = db_to_lin(DIM_DB);
    let out = render_stereo(&s0, &input, &[(at, dim)], [false; 4], 300);
    let want: Vec<f32> = l.iter().map(|x| x * gdim).collect();
    assert_bits_eq(&out.main[0][at + ramp..], &want[at + ramp..], "dim");
    let got_db = 20.0
        * (out.main[0][at + ramp..]
            .iter()
            .zip(&l[at + ramp..])
            .filter(|(_, x)| x.abs() > 1e-6)
            .map(|(y, x)| f64::from(*y) / f64::from(*x))
            .sum::<f64>()
            / out.main[0][at + ramp..]
                .iter()
                .zip(&l[at + ramp..])
                .filter(|(_, x)| x.abs() > 1e-6)
                .count() as f64)
            .log10();
    println!("dim: {got_db:.4} dB after 20 ms");
    assert!((got_db - -20.0).abs() < 1e-4);

    let mut mute = s0;
    mute.main.mute = true;
    let out = render_stereo(&s0, &input, &[(at, mute)], [false; 4], 300);
    let audible = out.main[0]
        .iter()
        .chain(&out.main[1])
        .enumerate()
        .filter(|(i, v)| (i % n) >= at && **v != 0.0)
        .map(|(i, _)| i % n)
        .max()
        .unwrap();
    println!(
        "mute: last non-zero sample {} samples after the switch",
        audible - at
    );
    assert!(audible < at + ramp, "mute silent within 20 ms");
    assert!(out.main[0][at + ramp..].iter().all(|&v| v == 0.0));
}

// ---------------------------------------------------------------- cue modes and sources

#[test]
fn every_cue_mode_and_source_on_four_cues_at_once() {
    let n = 24_000;
    let switch = 12_000;
    let settle = 1024; // gain ramp 960, routing crossfade 480
    let l = sine(FS, 441.0, 0.0, 0.6, n);
    let r = sine(FS, 1234.0, 0.3f64.to_degrees(), 0.35, n);
    let input = Input::for_layout(InputLayout::Stereo, &l, &r);
    let main_db = -10.0;
    let base = with_main_gain(EngineSettings::default(), main_db);
    let mut a = base;
    a.cues = [
        cue(true, CueSource::Pre, CueMode::Stereo, -3.0),
        cue(true, CueSource::Post, CueMode::Mono, 6.0),
        cue(true, CueSource::Pre, CueMode::LeftToBoth, 0.0),
        cue(true, CueSource::Post, CueMode::RightToBoth, 12.0),
    ];
    let mut b = base;
    b.cues = [
        cue(true, CueSource::Post, CueMode::Stereo, 12.0),
        cue(true, CueSource::Pre, CueMode::Mono, -6.0),
        cue(true, CueSource::Post, CueMode::LeftToBoth, -20.0),
        cue(true, CueSource::Pre, CueMode::RightToBoth, 3.0),
    ];
    let out = render_stereo(&base, &input, &[(0, a), (switch, b)], [true; 4], 512);
    let gm = db_to_lin(main_db);
    let mut max_err = 0.0f64;
    let mut max_rel = 0.0f64;
    for (config, range) in [(a, settle..switch), (b, switch + settle..n)] {
        for i in range {
            let (x, y) = (l[i], r[i]);
            assert_eq!(out.main[0][i], x * gm);
            assert_eq!(out.main[1][i], y * gm);
            for (c, cs) in config.cues.iter().enumerate() {
                let (fa, fb) = match cs.source {
                    CueSource::Pre => (f64::from(x), f64::from(y)),
                    CueSource::Post => (f64::from(x * gm), f64::from(y * gm)),
                };
                let gc = f64::from(db_to_lin(cs.output.gain_db));
                let (el, er) = fold(cs.mode, fa, fb);
                for (got, want) in [(out.cues[c][0][i], el * gc), (out.cues[c][1][i], er * gc)] {
                    let err = (f64::from(got) - want).abs();
                    // Three f32 roundings (post tap, fold sum, cue gain) on values ≤ 1: 3·2⁻²⁴.
                    assert!(
                        err <= 3.0 * f64::from(f32::EPSILON) / 2.0,
                        "cue {} ({:?}, {:?}, {} dB) at {i}: got {got}, want {want}",
                        c + 1,
                        cs.source,
                        cs.mode,
                        cs.output.gain_db
                    );
                    max_err = max_err.max(err);
                    if want.abs() > 1e-3 {
                        max_rel = max_rel.max(err / want.abs());
                    }
                }
            }
        }
    }
    for (c, buf) in out.cues.iter().enumerate() {
        println!(
            "cue {}: peaks {:.4}/{:.4} (config A), {:.4}/{:.4} (config B)",
            c + 1,
            peak(&buf[0][settle..switch]),
            peak(&buf[1][settle..switch]),
            peak(&buf[0][switch + settle..]),
            peak(&buf[1][switch + settle..])
        );
    }
    println!(
        "cues: 4 modes × 2 sources checked sample by sample; max |err| {max_err:.2e}, \
         max relative {max_rel:.2e} (bound 3·2⁻²⁴ = {:.2e})",
        3.0 * f64::from(f32::EPSILON) / 2.0
    );
}

// ---------------------------------------------------------------- main independence

#[test]
fn main_output_does_not_depend_on_the_cues() {
    let n = 48_000;
    let (l, r) = music(9, FS, n);
    for layout in ALL_LAYOUTS {
        let input = Input::for_layout(layout, &l, &r);
        let mut s = with_main_gain(EngineSettings::default(), -3.0);
        s.crossfeed = CrossfeedSetting::ChuMoy;
        s.input.mode = if layout == InputLayout::Stereo {
            InputMode::AutoFix
        } else {
            InputMode::Stereo
        };
        let mut engine = Engine::new(RATE, layout, &s);
        let alone = run(&mut engine, &input, &[], [false; 4], 0.0, fixed(512));

        let mut rng = SmallRng::seed_from_u64(4);
        let modes = [
            CueMode::Stereo,
            CueMode::Mono,
            CueMode::LeftToBoth,
            CueMode::RightToBoth,
        ];
        // Cues start on (all modes, both sources), then change one setting at a time.
        let mut start = s;
        for (c, cs) in start.cues.iter_mut().enumerate() {
            let source = [CueSource::Pre, CueSource::Post][c % 2];
            *cs = cue(true, source, modes[c], 0.0);
        }
        let mut events = Vec::new();
        let mut e = start;
        let mut pos = 0;
        while pos < n {
            pos += rng.gen_range(100..3000);
            let c = rng.gen_range(0..CUE_COUNT);
            let cs = &mut e.cues[c];
            match rng.gen_range(0..7) {
                0 => cs.on = !cs.on,
                1 => cs.output.gain_db = rng.gen_range(-60.0..12.0),
                2 => cs.mode = modes[rng.gen_range(0..4)],
                3 => {
                    cs.source = if cs.source == CueSource::Pre {
                        CueSource::Post
                    } else {
                        CueSource::Pre
                    }
                }
                4 => cs.output.mute = !cs.output.mute,
                5 => cs.output.ceiling_db = rng.gen_range(-20.0..0.0),
                _ => cs.output.guard = !cs.output.guard,
            }
            events.push((pos, e));
        }
        let mut engine = Engine::new(RATE, layout, &start);
        let with_cues = run(&mut engine, &input, &events, [true; 4], 0.0, fixed(512));
        for ch in 0..2 {
            assert_bits_eq(
                &with_cues.main[ch],
                &alone.main[ch],
                &format!("{layout:?} main ch{ch}"),
            );
        }
        let cue_energy: Vec<f32> = with_cues
            .cues
            .iter()
            .map(|c| peak(&c[0]).max(peak(&c[1])))
            .collect();
        println!(
            "main independence {layout:?}: bit-identical with {} cue events (cue peaks {cue_energy:.3?})",
            events.len()
        );
    }
}

// ---------------------------------------------------------------- zipper

#[test]
fn gain_jumps_ramp_without_zipper() {
    let n = 24_000;
    let ramp = ramp_len() as f64;
    let up = 5000; // 5000 % 256 = 136: inside an engine chunk
    let down = 15_000;

    // Main: −60 → +24 dB and back, guard at 0 dBFS never reached (0.05·15.85 = 0.79).
    let amp = 0.05;
    let x = sine(FS, 100.0, 0.0, amp, n);
    let input = Input::for_layout(InputLayout::Stereo, &x, &x);
    let lo = with_main_gain(EngineSettings::default(), -60.0);
    let hi = with_main_gain(lo, 24.0);
    let out = render_stereo(&lo, &input, &[(up, hi), (down, lo)], [false; 4], 4096);
    let (g0, g1) = (f64::from(db_to_lin(-60.0)), f64::from(db_to_lin(24.0)));
    let excess = max_step(&out.main[0]) - max_step(&x) * g1;
    // |Δy| ≤ g_max·max|Δx| + max|x|·Δg per sample, Δg = (g1 − g0)/ramp.
    let bound = amp * (g1 - g0) / ramp;
    println!(
        "zipper main −60→+24 dB: excess step {excess:.3e} (bound amp·Δg/{ramp} = {bound:.3e}; \
         an unramped jump would step {:.3e})",
        amp * (g1 - g0)
    );
    assert!(excess <= bound * 1.001 + 1e-6);
    assert!(peak(&out.main[0]) < 1.0);

    // The same jumps on DC: the output's step is the ramp's own step, amp·Δg/ramp.
    let dc = vec![amp as f32; n];
    let input = Input::for_layout(InputLayout::Stereo, &dc, &dc);
    let out = render_stereo(&lo, &input, &[(up, hi), (down, lo)], [false; 4], 4096);
    // The ramp adds a rounded f32 step 960 times and then lands on the target: the landing
    // step may carry the accumulated rounding, ≤ ramp·ulp(g1)/2 in gain.
    let drift = amp * ramp * f64::from(f32::EPSILON) * g1.max(1.0) / 2.0;
    let step = max_step(&out.main[0]);
    println!(
        "zipper main on DC {amp}: max step {step:.4e} (amp·Δg/{ramp} = {bound:.4e}, \
         + accumulation ≤ {drift:.1e})"
    );
    assert!((step - bound).abs() <= drift);

    // Cue: −60 → +12 dB on a pre stereo cue.
    let amp = 0.2;
    let x = sine(FS, 100.0, 0.0, amp, n);
    let input = Input::for_layout(InputLayout::Stereo, &x, &x);
    let mut lo = EngineSettings::default();
    lo.cues[0] = cue(true, CueSource::Pre, CueMode::Stereo, -60.0);
    let mut hi = lo;
    hi.cues[0].output.gain_db = 12.0;
    let out = render_stereo(&lo, &input, &[(up, hi), (down, lo)], [true; 4], 4096);
    let (g0, g1) = (f64::from(db_to_lin(-60.0)), f64::from(db_to_lin(12.0)));
    let excess = max_step(&out.cues[0][0]) - max_step(&x) * g1;
    let bound = amp * (g1 - g0) / ramp;
    println!(
        "zipper cue −60→+12 dB: excess step {excess:.3e} (bound {bound:.3e}; unramped {:.3e})",
        amp * (g1 - g0)
    );
    assert!(excess <= bound * 1.001 + 1e-6);
    assert_bits_eq(&out.main[0], &x, "main untouched by the cue");

    let dc = vec![amp as f32; n];
    let input = Input::for_layout(InputLayout::Stereo, &dc, &dc);
    let out = render_stereo(&lo, &input, &[(up, hi), (down, lo)], [true; 4], 4096);
    let drift = amp * ramp * f64::from(f32::EPSILON) * g1.max(1.0) / 2.0;
    let step = max_step(&out.cues[0][0]);
    println!(
        "zipper cue on DC {amp}: max step {step:.4e} (amp·Δg/{ramp} = {bound:.4e}, \
         + accumulation ≤ {drift:.1e})"
    );
    assert!((step - bound).abs() <= drift);
}

// ---------------------------------------------------------------- cue off / unconnected

#[test]
fn cue_off_leaves_its_buffer_and_fades_out_within_the_ramp() {
    let n = 12_000;
    let ramp = ramp_len();
    let (l, r) = music(13, FS, n);
    let input = Input::for_layout(InputLayout::Stereo, &l, &r);

    // Off from the start: the buffer is never written.
    let s = EngineSettings::default();
    let mut engine = Engine::new(RATE, InputLayout::Stereo, &s);
    let sentinel = 7.25;
    let out = run(&mut engine, &input, &[], [true; 4], sentinel, fixed(300));
    for c in 0..CUE_COUNT {
        assert!(out.cues[c][0]
            .iter()
            .chain(&out.cues[c][1])
            .all(|&v| v == sentinel));
    }
    println!("cue off: all 4 buffers untouched ({n} frames)");

    // On, then off at 3000: silence within 20 ms, and the fade is monotone in gain.
    let mut on = s;
    on.cues[1] = cue(true, CueSource::Pre, CueMode::Stereo, 0.0);
    let off_at = 3000;
    let mut off = on;
    off.cues[1].on = false;
    let mut engine = Engine::new(RATE, InputLayout::Stereo, &on);
    let out = run(
        &mut engine,
        &input,
        &[(off_at, off)],
        [true; 4],
        0.0,
        fixed(128),
    );
    assert_bits_eq(&out.cues[1][0][..off_at], &l[..off_at], "cue 2 on");
    let last = out.cues[1][0]
        .iter()
        .chain(&out.cues[1][1])
        .enumerate()
        .filter(|(_, v)| **v != 0.0)
        .map(|(i, _)| i % n)
        .max()
        .unwrap();
    println!(
        "cue switched off: last non-zero sample {} after the switch",
        last - off_at
    );
    assert!(last < off_at + ramp);
    let mut prev = 1.0f64;
    for (i, (&x, &y)) in l
        .iter()
        .zip(&out.cues[1][0])
        .enumerate()
        .skip(off_at)
        .take(ramp)
    {
        if x.abs() > 1e-3 {
            let g = f64::from(y) / f64::from(x);
            assert!(g <= prev + 1e-6 && g >= -1e-6, "fade gain {g} at {i}");
            prev = g;
        }
    }
    assert!(engine.cues()[1].is_idle());

    // Unconnected cues next to connected ones.
    let mut s4 = s;
    for c in 0..CUE_COUNT {
        s4.cues[c] = cue(true, CueSource::Post, CueMode::Mono, -6.0);
    }
    s4.main.gain_db = -3.0;
    let mut engine = Engine::new(RATE, InputLayout::Stereo, &s4);
    let partial = run(
        &mut engine,
        &input,
        &[],
        [true, false, true, false],
        0.0,
        fixed(100),
    );
    let all = render_stereo(&s4, &input, &[], [true; 4], 100);
    let none = render_stereo(&s4, &input, &[], [false; 4], 100);
    for ch in 0..2 {
        assert_bits_eq(&partial.main[ch], &none.main[ch], "main with None cues");
        assert_bits_eq(&partial.cues[0][ch], &all.cues[0][ch], "cue 1 next to None");
        assert_bits_eq(&partial.cues[2][ch], &all.cues[2][ch], "cue 3 next to None");
        assert!(partial.cues[1][ch].iter().all(|&v| v.to_bits() == 0));
    }
    println!(
        "cue None: main and connected cues unchanged; cue 1 peak {:.4}",
        peak(&all.cues[0][0])
    );
}

// ---------------------------------------------------------------- bypass

#[test]
fn bypass_passes_input_bit_for_bit_and_switches_without_click() {
    let n = 12_000;
    let ramp = ramp_len();
    let on_at = 1000;
    let off_at = 6000;
    let mut s = with_main_gain(EngineSettings::default(), -20.0);
    s.crossfeed = CrossfeedSetting::Bs2bDefault;
    s.input.mode = InputMode::Swap;
    let mut by = s;
    by.bypass = true;

    // Random input with −0.0 and subnormals: bit-exact (subnormals flushed) from 20 ms after the switch.
    let mut rng = SmallRng::seed_from_u64(21);
    let draw = |rng: &mut SmallRng| match rng.gen_range(0..20) {
        0 => -0.0,
        1 => f32::from_bits(rng.gen_range(1..0x0080_0000)),
        _ => rng.gen_range(-1.0..1.0),
    };
    let l: Vec<f32> = (0..n).map(|_| draw(&mut rng)).collect();
    let r: Vec<f32> = (0..n).map(|_| draw(&mut rng)).collect();
    let mut zero_sign = 0;
    for layout in [InputLayout::Stereo, InputLayout::Mono] {
        let input = Input::for_layout(layout, &l, &r);
        // Bypass passes every normal number bit for bit; subnormals leave as signed zeros.
        let (l, r) = (flushed(&l), flushed(&r));
        let dry_r = if layout == InputLayout::Mono { &l } else { &r };
        for block in [64, 100, 4096] {
            let mut engine = Engine::new(RATE, layout, &s);
            let out = run(
                &mut engine,
                &input,
                &[(on_at, by), (off_at, s)],
                [false; 4],
                0.0,
                fixed(block),
            );
            // Known: in the engine chunk where the bypass ramp ends, samples are wet·y + (1 −
            // wet)·dry with wet = 0, which turns a −0.0 input into +0.0 when y is positive.
            // From the next chunk on the input is copied.
            let (a, b) = (on_at + ramp, off_at);
            zero_sign += assert_bits_eq_but_zero_sign(&out.main[0][a..b], &l[a..b], "bypass L");
            zero_sign += assert_bits_eq_but_zero_sign(&out.main[1][a..b], &dry_r[a..b], "bypass R");
            let a = a + CHUNK_FRAMES;
            assert_bits_eq(&out.main[0][a..b], &l[a..b], "bypass L, one chunk later");
            assert_bits_eq(
                &out.main[1][a..b],
                &dry_r[a..b],
                "bypass R, one chunk later",
            );
        }
        // Bypassed from construction: bit-exact from the first sample.
        let mut engine = Engine::new(RATE, layout, &by);
        let out = run(&mut engine, &input, &[], [false; 4], 0.0, fixed(256));
        assert_bits_eq(&out.main[0], &l, "bypassed from new()");
        assert_bits_eq(&out.main[1], dry_r, "bypassed from new() R");
    }
    println!(
        "bypass: bit-exact up to the sign of zero from {ramp} samples after switching on \
         ({zero_sign} −0.0 → +0.0 in the ramp's last chunk), strictly from one chunk later \
         (Stereo, Mono; blocks 64, 100, 4096)"
    );

    // Click-free: a sine through a −20 dB main; the crossfade moves the effective gain by
    // (1 − 0.1)/ramp per sample.
    let amp = 0.5;
    let x = sine(FS, 200.0, 0.0, amp, n);
    s.crossfeed = CrossfeedSetting::Off;
    s.input.mode = InputMode::Stereo;
    by = s;
    by.bypass = true;
    let input = Input::for_layout(InputLayout::Stereo, &x, &x);
    let out = render_stereo(&s, &input, &[(on_at, by), (off_at, s)], [false; 4], 256);
    let g = f64::from(db_to_lin(-20.0));
    let excess = max_step(&out.main[0]) - max_step(&x);
    let bound = amp * (1.0 - g) / ramp as f64;
    println!(
        "bypass switching: excess step {excess:.3e} (bound {bound:.3e}; a hard switch steps up to {:.3e})",
        amp * (1.0 - g)
    );
    assert!(excess <= bound * 1.001 + 1e-6);
}

// ---------------------------------------------------------------- snap

#[test]
fn snap_after_settings_change_acts_from_the_next_sample() {
    let n = 4000;
    let (l, r) = music(17, FS, n);
    let (l, r): (Vec<f32>, Vec<f32>) = (
        l.iter().map(|x| x * 0.25).collect(),
        r.iter().map(|x| x * 0.25).collect(),
    );
    println!("snap: input peak {:.3}", peak(&l).max(peak(&r)));
    let mut s = EngineSettings::default();
    s.cues[0] = cue(true, CueSource::Pre, CueMode::Stereo, 0.0);
    let mut t = with_main_gain(s, -12.0);
    t.cues[0].output.gain_db = 6.0;
    t.cues[0].mode = CueMode::Mono;
    t.crossfeed = CrossfeedSetting::Off;
    let (gm, gc) = (db_to_lin(-12.0), db_to_lin(6.0));
    for use_snap in [true, false] {
        let mut engine = Engine::new(RATE, InputLayout::Stereo, &s);
        let input = Input::for_layout(InputLayout::Stereo, &l[..1000], &r[..1000]);
        run(&mut engine, &input, &[], [true; 4], 0.0, fixed(1000));
        engine.set_settings(&t);
        if use_snap {
            engine.snap();
        }
        let input = Input::for_layout(InputLayout::Stereo, &l[1000..], &r[1000..]);
        let out = run(&mut engine, &input, &[], [true; 4], 0.0, fixed(512));
        let want_main: Vec<f32> = l[1000..].iter().map(|x| x * gm).collect();
        let want_cue: Vec<f32> = l[1000..]
            .iter()
            .zip(&r[1000..])
            .map(|(a, b)| (0.5 * a + 0.5 * b) * gc)
            .collect();
        if use_snap {
            assert_bits_eq(&out.main[0], &want_main, "main after snap");
            assert_bits_eq(&out.cues[0][0], &want_cue, "cue after snap");
            println!("snap: main at −12 dB and cue 1 mono at +6 dB from the first sample");
        } else {
            let d = first_bit_diff(&out.main[0], &want_main);
            println!(
                "without snap: first sample gain {:.4} (ramping), differs after the ramp: {:?}",
                out.main[0][0] / l[1000],
                first_bit_diff(&out.main[0][ramp_len()..], &want_main[ramp_len()..])
            );
            assert_eq!(d, Some(0));
        }
    }
}

// ---------------------------------------------------------------- meter publication

/// What a GUI keeps of the meter readings over a whole signal: the largest since-last-read
/// sample peak and true peak of every output, and the final since-reset totals.
#[derive(Debug, PartialEq)]
struct MeterSummary {
    sample_peak_lin: Vec<f32>,
    true_peak_lin: Vec<f32>,
    max_true_peak_lin: Vec<f32>,
    clip_events: Vec<u32>,
    tp_overs: Vec<u32>,
    reads: usize,
}

/// Runs hot music through main and four cues in 32-frame blocks, taking the readings after
/// every block (`every_block`) or only when the engine says they are due, plus once at the end.
fn meter_summary(every_block: bool) -> MeterSummary {
    let len = 48_000;
    let (l, r) = music(21, FS, len);
    let (l, r): (Vec<f32>, Vec<f32>) = l.iter().zip(&r).map(|(a, b)| (a * 3.0, b * 3.0)).unzip();
    let settings = EngineSettings {
        crossfeed: CrossfeedSetting::Bs2bDefault,
        cues: [
            cue(true, CueSource::Pre, CueMode::Stereo, 0.0),
            cue(true, CueSource::Post, CueMode::Mono, 6.0),
            cue(true, CueSource::Pre, CueMode::LeftToBoth, -3.0),
            cue(true, CueSource::Post, CueMode::RightToBoth, 3.0),
        ],
        ..EngineSettings::default()
    };
    let mut engine = Engine::new(RATE, InputLayout::Stereo, &settings);
    let (mut ml, mut mr) = (l.clone(), r.clone());
    let mut cues: [[Vec<f32>; 2]; CUE_COUNT] =
        std::array::from_fn(|_| [vec![0.0; len], vec![0.0; len]]);
    let outputs = 2 + CUE_COUNT;
    let mut summary = MeterSummary {
        sample_peak_lin: vec![0.0; 2 * outputs],
        true_peak_lin: vec![0.0; 2 * outputs],
        max_true_peak_lin: vec![],
        clip_events: vec![],
        tp_overs: vec![],
        reads: 0,
    };
    let mut last = None;
    for pos in (0..len).step_by(32) {
        let end = pos + 32;
        let mut outs: [CueOut<'_>; CUE_COUNT] = [None, None, None, None];
        for (slot, [a, b]) in outs.iter_mut().zip(cues.iter_mut()) {
            *slot = Some((&mut a[pos..end], &mut b[pos..end]));
        }
        engine.process(&mut ml[pos..end], &mut mr[pos..end], None, &mut outs);
        let reading = if every_block || end == len {
            Some(engine.read_meters())
        } else {
            engine.take_meters_if_due()
        };
        if let Some(reading) = reading {
            summary.reads += 1;
            let all = [reading.input, reading.main]
                .into_iter()
                .chain(reading.cues)
                .collect::<Vec<_>>();
            for (k, o) in all.iter().enumerate() {
                for ch in 0..2 {
                    let i = 2 * k + ch;
                    summary.sample_peak_lin[i] =
                        summary.sample_peak_lin[i].max(o.sample_peak_lin[ch]);
                    summary.true_peak_lin[i] = summary.true_peak_lin[i].max(o.true_peak_lin[ch]);
                }
            }
            last = Some(all);
        }
    }
    for o in last.expect("read at the end") {
        summary.max_true_peak_lin.extend(o.max_true_peak_lin);
        summary.clip_events.extend(o.clip_events);
        summary.tp_overs.extend(o.tp_overs);
    }
    summary
}

#[test]
fn reading_meters_when_due_loses_no_peak_or_clip() {
    let every = meter_summary(true);
    let due = meter_summary(false);
    println!("every block: {every:?}\nwhen due:    {due:?}");
    // 48 000 frames in blocks of 32: 1500 reads against one per 10 ms (two 256-frame meter
    // batches, 512 frames at 48 kHz), 94 reads including the final one.
    assert_eq!(every.reads, 1500);
    assert_eq!(due.reads, 48_000usize.div_ceil(512));
    // The signal must exercise what is compared: clips and overs on the input and some cues.
    assert!(every.clip_events.iter().sum::<u32>() > 0);
    assert!(every.tp_overs.iter().sum::<u32>() > 0);
    assert!(every.true_peak_lin.iter().all(|&p| p > 0.1));
    assert_eq!(
        MeterSummary { reads: 0, ..every },
        MeterSummary { reads: 0, ..due }
    );
}

// ------------------------------------------------------- balanced pair mode per layout

#[test]
fn balanced_pair_mode_acts_as_stereo_where_the_input_has_no_undecoded_pair() {
    // Four channels arrive already decoded and a mono input has no cold leg: decoding "ch 1 hot,
    // ch 2 cold" again would subtract the right ear from the left, or cancel a mono feed to
    // silence. In those layouts the mode must act exactly as Stereo.
    let len = 9_000;
    let (sl, sr) = music(17, FS, len);
    for layout in [InputLayout::Mono, InputLayout::BalancedPairs] {
        let input = Input::for_layout(layout, &sl, &sr);
        let render = |mode: InputMode| {
            let mut settings = with_main_gain(EngineSettings::default(), -3.0);
            settings.input.mode = mode;
            let mut engine = Engine::new(RATE, layout, &settings);
            // Switching into the mode mid-run must not fade anywhere either.
            let mut events = vec![(0, settings)];
            let mut later = settings;
            later.main.gain_db = -4.0;
            events.push((4_000, later));
            run(
                &mut engine,
                &input,
                &events,
                [false; CUE_COUNT],
                0.0,
                fixed(512),
            )
        };
        let stereo = render(InputMode::Stereo);
        let pair = render(InputMode::BalancedPair);
        for ch in 0..2 {
            assert_bits_eq(
                &pair.main[ch],
                &stereo.main[ch],
                &format!("{layout:?} ch {ch}"),
            );
        }
        assert!(
            peak(&pair.main[0]) > 0.05,
            "{layout:?}: the signal must get through"
        );
    }
    // In the Stereo layout the mode still decodes: hot = s + hum, cold = hum − s → s.
    let hum = sine(FS, 50.0, 0.0, 0.1, len);
    let input = Input {
        l: sl.iter().zip(&hum).map(|(s, h)| s + h).collect(),
        r: sl.iter().zip(&hum).map(|(s, h)| h - s).collect(),
        aux: None,
    };
    let mut settings = EngineSettings::default();
    settings.input.mode = InputMode::BalancedPair;
    let mut engine = Engine::new(RATE, InputLayout::Stereo, &settings);
    let out = run(
        &mut engine,
        &input,
        &[],
        [false; CUE_COUNT],
        0.0,
        fixed(512),
    );
    let err = out.main[0]
        .iter()
        .zip(&sl)
        .map(|(o, s)| (o - s).abs())
        .fold(0.0f32, f32::max);
    assert!(err < 1e-6, "Stereo layout decode error {err}");
}

// ---------------------------------------------------------------- identity fast path

/// `x` scaled by `gain`.
fn scaled(x: &[f32], gain: f32) -> Vec<f32> {
    x.iter().map(|v| v * gain).collect()
}

/// What an engine handed back (main and all four cues connected) and its main guard's
/// counters (non-finite, clamped).
type Rendered = (Output, (u64, u64));

/// Runs a Stereo-layout engine at `settings` over (`l`, `r`) in blocks from `blocks`, and its
/// twin that cannot take the identity path but must give the same bits: Swap mode fed
/// (`r`, `l`) only copies, so it runs the full path (flush, input stage, gain, guard) on the
/// same samples, and its cue taps carry the same signals.
fn render_with_full_path_twin(
    settings: &EngineSettings,
    (l, r): (&[f32], &[f32]),
    events: &[Event],
    blocks: u64,
) -> [Rendered; 2] {
    let swap = |mut s: EngineSettings| {
        s.input.mode = InputMode::Swap;
        s
    };
    let twin_events: Vec<Event> = events.iter().map(|&(at, s)| (at, swap(s))).collect();
    let cases = [
        (
            *settings,
            Input::for_layout(InputLayout::Stereo, l, r),
            events.to_vec(),
        ),
        (
            swap(*settings),
            Input::for_layout(InputLayout::Stereo, r, l),
            twin_events,
        ),
    ];
    cases.map(|(s, input, events)| {
        let mut engine = Engine::new(RATE, InputLayout::Stereo, &s);
        let out = run(
            &mut engine,
            &input,
            &events,
            [true; CUE_COUNT],
            0.0,
            random_blocks(blocks),
        );
        let guard = engine.main().guard();
        (out, (guard.non_finite_count(), guard.clamped_count()))
    })
}

#[test]
fn identity_fast_path_gives_the_full_paths_bits_on_music() {
    let (l, r) = music(31, FS, 20_000);
    let (l, r) = (scaled(&l, 0.2), scaled(&r, 0.2));
    assert!(peak(&l).max(peak(&r)) < 1.0);
    // Cues on both taps ride along: the main path's identity must hand them the same feed.
    let settings = EngineSettings {
        cues: [
            cue(true, CueSource::Pre, CueMode::Stereo, 0.0),
            cue(true, CueSource::Post, CueMode::Mono, -3.0),
            cue(true, CueSource::Pre, CueMode::LeftToBoth, 3.0),
            cue(true, CueSource::Post, CueMode::RightToBoth, -6.0),
        ],
        ..EngineSettings::default()
    };
    let [(fast, fast_counts), (full, full_counts)] =
        render_with_full_path_twin(&settings, (&l, &r), &[], 5);
    assert_bits_eq(&fast.main[0], &l, "fast L = input");
    assert_bits_eq(&fast.main[1], &r, "fast R = input");
    assert_bits_eq(&full.main[0], &l, "full-path twin L = input");
    assert_bits_eq(&full.main[1], &r, "full-path twin R = input");
    for (c, (a, b)) in fast.cues.iter().zip(&full.cues).enumerate() {
        assert_bits_eq(&a[0], &b[0], &format!("cue {c} L"));
        assert_bits_eq(&a[1], &b[1], &format!("cue {c} R"));
    }
    assert_bits_eq(&fast.cues[0][0], &l, "cue 1 (pre, stereo, 0 dB) L = input");
    assert_eq!(fast_counts, (0, 0));
    assert_eq!(full_counts, (0, 0));
}

#[test]
fn identity_fast_path_falls_back_on_subnormal_nan_inf_and_overs_mid_block() {
    let len = 3_000;
    let (l, r) = music(32, FS, len);
    let (clean_l, clean_r) = (scaled(&l, 0.05), scaled(&r, 0.05));
    let tiny = f32::from_bits(0x0000_0123);
    for guard in [true, false] {
        let (mut l, mut r) = (clean_l.clone(), clean_r.clone());
        let mut settings = EngineSettings::default();
        settings.main.guard = guard;
        settings.main.ceiling_db = -6.0;
        let ceiling = db_to_lin(-6.0);
        assert!(peak(&l).max(peak(&r)) < ceiling);
        // (index, channel, input, what the full path makes of it with the guard on, off).
        let hostile: [(usize, usize, f32, f32, f32); 8] = [
            (300, 0, tiny, 0.0, 0.0),
            (301, 1, -tiny, -0.0, -0.0),
            (700, 0, f32::NAN, 0.0, 0.0),
            (701, 1, f32::NEG_INFINITY, 0.0, 0.0),
            (702, 0, f32::INFINITY, 0.0, 0.0),
            (1_000, 1, 1.7, ceiling, 1.7),
            (1_001, 0, -2.5, -ceiling, -2.5),
            // Exactly at the ceiling: nothing to change.
            (1_200, 1, ceiling, ceiling, ceiling),
        ];
        let (mut want_l, mut want_r) = (l.clone(), r.clone());
        for &(i, ch, x, on, off) in &hostile {
            let (input, want) = if ch == 0 {
                (&mut l, &mut want_l)
            } else {
                (&mut r, &mut want_r)
            };
            input[i] = x;
            want[i] = if guard { on } else { off };
        }
        let [(fast, fast_counts), (full, full_counts)] =
            render_with_full_path_twin(&settings, (&l, &r), &[], 6);
        for (ch, want) in [(0, &want_l), (1, &want_r)] {
            assert_bits_eq(
                &fast.main[ch],
                want,
                &format!("fast ch {ch}, guard {guard}"),
            );
            assert_bits_eq(
                &full.main[ch],
                want,
                &format!("full ch {ch}, guard {guard}"),
            );
        }
        let clamped = if guard { 2 } else { 0 };
        assert_eq!(fast_counts, (3, clamped), "guard {guard}");
        assert_eq!(full_counts, (3, clamped), "guard {guard}");
    }
}

#[test]
fn identity_fast_path_is_left_and_re_entered_across_a_gain_ramp() {
    let len = 20_000;
    let (l, r) = music(33, FS, len);
    let (l, r) = (scaled(&l, 0.2), scaled(&r, 0.2));
    let unity = EngineSettings::default();
    let half = with_main_gain(unity, -6.0);
    let events: Vec<Event> = vec![(4_000, half), (9_000, unity)];
    let [(fast, _), (full, _)] = render_with_full_path_twin(&unity, (&l, &r), &events, 7);
    for ch in 0..2 {
        assert_bits_eq(
            &fast.main[ch],
            &full.main[ch],
            &format!("fast vs full ch {ch}"),
        );
    }
    let g = half.main.total_gain_lin();
    let ramp = ramp_len();
    let steady = 4_000 + ramp..9_000;
    for (ch, x) in [(0, &l), (1, &r)] {
        assert_bits_eq(&fast.main[ch][..4_000], &x[..4_000], "before the change");
        assert_bits_eq(
            &fast.main[ch][steady.clone()],
            &scaled(&x[steady.clone()], g),
            "at -6 dB",
        );
        assert_bits_eq(
            &fast.main[ch][9_000 + ramp..],
            &x[9_000 + ramp..],
            "back at unity",
        );
    }
}

#[test]
fn identity_fast_path_keeps_the_input_stages_trim_clock() {
    // A cold-leg trim ramp runs while the Stereo mode hands the audio through, then the
    // Balanced pair mode starts using the trim: it must be exactly as far along as on an
    // engine that ran the full path all along (forced by a subnormal in every 64-frame block,
    // which only its own sample feels: the input stage has no memory of the audio here).
    let len = 6_000;
    let (l, r) = music(34, FS, len);
    let (l, r) = (scaled(&l, 0.2), scaled(&r, 0.2));
    let (mut l_slow, mut r_slow) = (l.clone(), r.clone());
    for i in (0..len).step_by(64) {
        l_slow[i] = f32::from_bits(1);
        r_slow[i] = f32::from_bits(1);
    }
    let unity = EngineSettings::default();
    let mut trimmed = unity;
    trimmed.input.cold_trim_db = [2.0, -1.0];
    let mut pair = trimmed;
    pair.input.mode = InputMode::BalancedPair;
    let events: Vec<Event> = vec![(1_000, trimmed), (1_100, pair)];
    let render = |l: &[f32], r: &[f32]| {
        let input = Input::for_layout(InputLayout::Stereo, l, r);
        let mut engine = Engine::new(RATE, InputLayout::Stereo, &unity);
        run(
            &mut engine,
            &input,
            &events,
            [false; CUE_COUNT],
            0.0,
            fixed(64),
        )
        .main
    };
    let (fast, slow) = (render(&l, &r), render(&l_slow, &r_slow));
    let mut compared = 0;
    for ch in 0..2 {
        for i in (0..len).filter(|i| i % 64 != 0) {
            assert_eq!(
                fast[ch][i].to_bits(),
                slow[ch][i].to_bits(),
                "ch {ch} sample {i}"
            );
            compared += 1;
        }
    }
    // The decode really used the trim mid-ramp: it differs from an untrimmed decode.
    assert!(fast[0][1_150] != (l[1_150] - r[1_150]) * 0.5);
    println!("trim clock: {compared} samples bit-identical to the full path");
}

// ------------------------------------------------------- meter batching

/// What happens at a sample position of [`metered_session`] (before that sample).
enum MeterAction {
    Settings(EngineSettings),
    ResetMeters(u32),
    Read,
}

/// Hot music in the Stereo layout (legs of a balanced pair with hum, so Balanced pair mode
/// decodes it), four cues connected, run in host blocks from `next_block` cut at every action:
/// a cue switched on and off, Balanced pair mode on and off, a masked meter reset, and reads
/// of every meter at fixed positions. Returns the readings in order.
fn metered_session(mut next_block: impl FnMut() -> usize) -> Vec<EngineReadings> {
    let len = 40_000;
    let (sl, _) = music(31, FS, len);
    let hum = sine(FS, 50.0, 0.0, 0.3, len);
    let input = Input {
        l: sl.iter().zip(&hum).map(|(x, h)| 2.5 * x + h).collect(),
        r: sl.iter().zip(&hum).map(|(x, h)| h - 2.5 * x).collect(),
        aux: None,
    };
    let mut s = EngineSettings {
        crossfeed: CrossfeedSetting::Bs2bDefault,
        cues: [
            cue(true, CueSource::Pre, CueMode::Stereo, 0.0),
            cue(false, CueSource::Post, CueMode::Mono, 6.0),
            cue(true, CueSource::Post, CueMode::LeftToBoth, -3.0),
            cue(true, CueSource::Pre, CueMode::RightToBoth, 3.0),
        ],
        ..EngineSettings::default()
    };
    let mut engine = Engine::new(RATE, InputLayout::Stereo, &s);
    let mut actions: Vec<(usize, MeterAction)> = (1..len / 1_111)
        .map(|k| (k * 1_111, MeterAction::Read))
        .collect();
    s.cues[1].on = true;
    actions.push((5_003, MeterAction::Settings(s)));
    s.input.mode = InputMode::BalancedPair;
    actions.push((9_100, MeterAction::Settings(s)));
    actions.push((
        14_321,
        MeterAction::ResetMeters(meter_bits::MAIN | meter_bits::CUE_0 << 1),
    ));
    s.cues[1].on = false;
    actions.push((21_999, MeterAction::Settings(s)));
    s.input.mode = InputMode::Stereo;
    actions.push((30_017, MeterAction::Settings(s)));
    actions.push((len, MeterAction::Read));
    // Stable: at one position the settings act first, then the reset, then the read.
    actions.sort_by_key(|(at, _)| *at);

    let (mut l, mut r) = (input.l.clone(), input.r.clone());
    let mut cues: [[Vec<f32>; 2]; CUE_COUNT] =
        std::array::from_fn(|_| [vec![0.0; len], vec![0.0; len]]);
    let mut readings = Vec::new();
    let mut pos = 0;
    let mut next = actions.iter().peekable();
    while pos <= len {
        while let Some((_, action)) = next.next_if(|(at, _)| *at == pos) {
            match action {
                MeterAction::Settings(s) => engine.set_settings(s),
                MeterAction::ResetMeters(mask) => engine.reset_meters_masked(*mask),
                MeterAction::Read => readings.push(engine.read_meters()),
            }
        }
        if pos == len {
            break;
        }
        let cut = next.peek().map_or(len, |(at, _)| *at);
        let end = (pos + next_block()).min(cut);
        let mut outs: [CueOut<'_>; CUE_COUNT] = [None, None, None, None];
        for (slot, [a, b]) in outs.iter_mut().zip(cues.iter_mut()) {
            *slot = Some((&mut a[pos..end], &mut b[pos..end]));
        }
        engine.process(&mut l[pos..end], &mut r[pos..end], None, &mut outs);
        pos = end;
    }
    readings
}

#[test]
fn meter_readings_do_not_depend_on_the_host_block_size() {
    let large = metered_session(fixed(4096));
    // Several random splits: a decode crossfade, a cue's fade-out or an Auto fix decision may
    // end anywhere inside a host block.
    let mut small = Vec::new();
    for seed in 77..85 {
        let mut rng = SmallRng::seed_from_u64(seed);
        small = metered_session(|| rng.gen_range(1..=300));
        assert_eq!(small.len(), large.len());
        for (k, (a, b)) in small.iter().zip(&large).enumerate() {
            assert_eq!(a, b, "seed {seed}, reading {k}");
        }
    }
    // The session must exercise what it claims: Balanced pair decoding with common mode
    // present, cue 2 both metered and silent, clips on the input and overs on a cue.
    assert!(small
        .iter()
        .any(|m| m.balanced_active && m.common_mode[0].cm_present));
    assert!(small.iter().any(|m| !m.balanced_active));
    assert!(small
        .iter()
        .any(|m| m.cue_active[1] && m.cues[1].true_peak_lin[0] > 0.1));
    assert!(small.iter().any(|m| !m.cue_active[1]));
    let last = small.last().expect("final read");
    assert!(last.input.clip_events[0] > 0);
    assert!(last.cues[0].tp_overs.iter().sum::<u32>() > 0);
    // The masked reset at 14 321 (between the reads at 13 332 and 14 443) cleared cue 2's
    // counters but not the input's.
    let (before, after) = (&small[11], &small[12]);
    let overs = |m: &EngineReadings| m.cues[1].tp_overs.iter().sum::<u32>();
    assert!(
        overs(before) > overs(after),
        "{} {}",
        overs(before),
        overs(after)
    );
    assert!(before.input.clip_events[0] > 0);
    assert!(after.input.clip_events[0] >= before.input.clip_events[0]);
    let fingerprint = {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let mut h = DefaultHasher::new();
        format!("{small:?}").hash(&mut h);
        h.finish()
    };
    println!(
        "meter batching: {} reads identical for random blocks of 1..300 and blocks of 4096 \
         (fingerprint {fingerprint:016x}); final input clips {:?}, cue 1 overs {:?}",
        small.len(),
        last.input.clip_events,
        last.cues[0].tp_overs
    );
}
