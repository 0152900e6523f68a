//! The monitor's signal path through the whole engine: talkback into the cues and main, listen
//! on main, the level limit per output and the right pair on the aux input. Every comparison
//! is against the programme, an analytic reference or another run of the engine, bit for bit
//! where the path promises it, and every scenario gives the same bits at any host block size.

mod common;

use common::reference_high_pass;
use cuewire_dsp::cue::{CueMode, CueSettings, CueSource, CUE_COUNT};
use cuewire_dsp::engine::{CueOut, Engine, EngineSettings};
use cuewire_dsp::input::{InputLayout, InputMode};
use cuewire_dsp::listen::{Listen, LISTEN_FADE_MS};
use cuewire_dsp::output::OutputSettings;
use cuewire_dsp::talkback::{TalkbackSettings, TALK_FADE_MS, TALK_HIGH_PASS_HZ};
use cuewire_dsp::units::db_to_lin;
use cuewire_testkit::{amplitude, assert_bits_eq, lcg_noise, sine, spans};

const FS: f32 = 48_000.0;

/// Host block sizes every scenario is run at (cycled); the last is a deterministic random mix.
fn block_patterns() -> Vec<Vec<usize>> {
    let mut state = 12_345u32;
    let random = (0..64)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            1 + (state >> 8) as usize % 700
        })
        .collect();
    vec![vec![1], vec![7], vec![64], vec![256], vec![4096], random]
}

/// What the host hands the engine: the main input, the aux pair and the talk input.
struct Inputs {
    l: Vec<f32>,
    r: Vec<f32>,
    aux: Option<[Vec<f32>; 2]>,
    talk: Option<Vec<f32>>,
}

impl Inputs {
    /// Stereo programme of noise at ±`amp` and, if `talk_amp` > 0, mono talk noise.
    fn programme(n: usize, amp: f32, talk_amp: f32) -> Self {
        Self {
            l: lcg_noise(1, amp, n),
            r: lcg_noise(2, amp, n),
            aux: None,
            talk: (talk_amp > 0.0).then(|| lcg_noise(3, talk_amp, n)),
        }
    }
}

/// Every output of one run, each (L, R), and the limit's gain reduction at the end per output.
struct Outputs {
    main: [Vec<f32>; 2],
    cues: [[Vec<f32>; 2]; CUE_COUNT],
    limit_gr_db: [f32; 1 + CUE_COUNT],
    right_pair_missing: bool,
}

/// Runs an engine in `layout` starting at `settings`, with `changes` (sample position, new
/// settings) applied at their positions, host blocks of `blocks` (cycled), the cues in
/// `connected` given output buffers (the others read as zeros).
fn run(
    layout: InputLayout,
    settings: &EngineSettings,
    changes: &[(usize, EngineSettings)],
    inputs: &Inputs,
    connected: [bool; CUE_COUNT],
    blocks: &[usize],
) -> Outputs {
    let n = inputs.l.len();
    let mut engine = Engine::new(FS, layout, settings);
    let mut main = [inputs.l.clone(), inputs.r.clone()];
    let mut cues: [[Vec<f32>; 2]; CUE_COUNT] =
        std::array::from_fn(|_| [vec![0.0; n], vec![0.0; n]]);
    let cuts: Vec<usize> = changes.iter().map(|(at, _)| *at).collect();
    for (start, end) in spans(n, blocks, usize::MAX, &cuts) {
        for (at, s) in changes {
            if *at == start {
                engine.set_settings(s);
            }
        }
        let mut outs: [CueOut<'_>; CUE_COUNT] = [None, None, None, None];
        for ((slot, [a, b]), on) in outs.iter_mut().zip(cues.iter_mut()).zip(connected) {
            if on {
                *slot = Some((&mut a[start..end], &mut b[start..end]));
            }
        }
        // An aux input shorter than the run is cut short (the engine must refuse it).
        let aux = inputs.aux.as_ref().map(|[a, b]| {
            let (from, to) = (start.min(a.len()), end.min(a.len()));
            (&a[from..to], &b[from..to])
        });
        let talk = inputs.talk.as_ref().map(|t| (&t[start..end], None));
        let [l, r] = &mut main;
        engine.process_with_talk(&mut l[start..end], &mut r[start..end], aux, talk, &mut outs);
    }
    Outputs {
        main,
        cues,
        limit_gr_db: std::array::from_fn(|o| engine.limit_gain_reduction_db(o)),
        right_pair_missing: engine.right_pair_missing(),
    }
}

/// Runs `run` at every block pattern and asserts every output equals the one-block run's bits.
fn run_at_every_block_size(
    layout: InputLayout,
    settings: &EngineSettings,
    changes: &[(usize, EngineSettings)],
    inputs: &Inputs,
    connected: [bool; CUE_COUNT],
) -> Outputs {
    let n = inputs.l.len();
    let reference = run(layout, settings, changes, inputs, connected, &[n]);
    for blocks in block_patterns() {
        let out = run(layout, settings, changes, inputs, connected, &blocks);
        let what = |o: &str| format!("{o} at blocks {:?}", &blocks[..blocks.len().min(3)]);
        for ch in 0..2 {
            assert_bits_eq(&out.main[ch], &reference.main[ch], &what("main"));
            for c in 0..CUE_COUNT {
                assert_bits_eq(&out.cues[c][ch], &reference.cues[c][ch], &what("cue"));
            }
        }
        assert_eq!(out.limit_gr_db, reference.limit_gr_db, "{}", what("limit"));
    }
    reference
}

/// A cue that is on: pre feed, stereo, `gain_db`.
fn cue_on(gain_db: f32) -> CueSettings {
    CueSettings {
        on: true,
        source: CueSource::Pre,
        mode: CueMode::Stereo,
        output: OutputSettings {
            gain_db,
            ..OutputSettings::default()
        },
    }
}

/// Four cues on (pre stereo 0 dB, post mono −3 dB, pre L→both +3 dB, post stereo −6 dB) and
/// talkback set up but off (−6 dB level, −15 dB dim, every cue's switch on, not to main).
fn monitor_settings() -> EngineSettings {
    EngineSettings {
        cues: [
            cue_on(0.0),
            CueSettings {
                source: CueSource::Post,
                mode: CueMode::Mono,
                ..cue_on(-3.0)
            },
            CueSettings {
                mode: CueMode::LeftToBoth,
                ..cue_on(3.0)
            },
            CueSettings {
                source: CueSource::Post,
                ..cue_on(-6.0)
            },
        ],
        talkback: TalkbackSettings {
            on: false,
            level_db: -6.0,
            dim_db: -15.0,
            cues: [true; CUE_COUNT],
            to_main: false,
        },
        ..EngineSettings::default()
    }
}

fn talking(mut s: EngineSettings) -> EngineSettings {
    s.talkback.on = true;
    s
}

fn samples(ms: f32) -> usize {
    (ms * 0.001 * FS).round() as usize
}

#[test]
fn with_talk_to_main_off_main_is_bit_identical_with_talk_on_and_off() {
    let n = 12_000;
    let inputs = Inputs::programme(n, 0.5, 0.5);
    let off = monitor_settings();
    let quiet = run(InputLayout::Stereo, &off, &[], &inputs, [true; 4], &[n]);
    let on = run_at_every_block_size(
        InputLayout::Stereo,
        &off,
        &[(2_000, talking(off)), (8_000, off)],
        &inputs,
        [true; 4],
    );
    for ch in 0..2 {
        assert_bits_eq(&on.main[ch], &quiet.main[ch], "main, talk on vs off");
    }
    // At unity in Stereo mode the main output is the input, talk or no talk.
    assert_bits_eq(&on.main[0], &inputs.l, "main = input, L");
    assert_bits_eq(&on.main[1], &inputs.r, "main = input, R");
    // The talk did reach the cues.
    assert!(on.cues[0][0] != quiet.cues[0][0]);
}

#[test]
fn a_talking_cue_carries_programme_times_dim_plus_talk_times_level() {
    let n = 12_000;
    let inputs = Inputs::programme(n, 0.25, 0.25);
    let off = monitor_settings();
    let at = 2_000;
    let out = run_at_every_block_size(
        InputLayout::Stereo,
        &off,
        &[(at, talking(off))],
        &inputs,
        [true; 4],
    );
    let quiet = run(InputLayout::Stereo, &off, &[], &inputs, [true; 4], &[n]);
    let talk = reference_high_pass(
        inputs.talk.as_ref().unwrap(),
        f64::from(TALK_HIGH_PASS_HZ),
        f64::from(FS),
    );
    let (dim, level) = (f64::from(db_to_lin(-15.0)), f64::from(db_to_lin(-6.0)));
    let mut worst = 0.0f64;
    for c in 0..CUE_COUNT {
        for ch in 0..2 {
            let (got, programme) = (&out.cues[c][ch], &quiet.cues[c][ch]);
            assert_bits_eq(&got[..at], &programme[..at], "before talking");
            for i in at + samples(TALK_FADE_MS)..n {
                let want = f64::from(programme[i]) * dim + talk[i] * level;
                worst = worst.max((f64::from(got[i]) - want).abs());
            }
        }
    }
    assert!(worst < 1e-6, "talking cues off by {worst}");
    println!("talking cues within {worst:.2e} of programme × dim + talk × level");
}

#[test]
fn a_cue_with_its_talk_switch_off_is_unchanged_bit_for_bit() {
    let n = 8_000;
    let inputs = Inputs::programme(n, 0.5, 0.5);
    let off = monitor_settings();
    let mut on = talking(off);
    on.talkback.cues = [true, false, true, false];
    on.talkback.to_main = true;
    let quiet = run(InputLayout::Stereo, &off, &[], &inputs, [true; 4], &[n]);
    let out = run_at_every_block_size(
        InputLayout::Stereo,
        &off,
        &[(1_000, on)],
        &inputs,
        [true; 4],
    );
    for c in [1, 3] {
        for ch in 0..2 {
            assert_bits_eq(&out.cues[c][ch], &quiet.cues[c][ch], "cue without talk");
        }
    }
    for c in [0, 2] {
        assert!(out.cues[c][0] != quiet.cues[c][0], "cue {c} hears the talk");
    }
    // Talk to main is on here, so main changed.
    assert!(out.main[0] != quiet.main[0]);
}

/// Main of a run listening to `cue` from `at` on, and the reference: the same run with that
/// cue's ear guard off and listen off, whose cue output is the cue before its guard.
fn listen_and_reference(cue: usize, connected: bool) -> (Outputs, Outputs, usize) {
    let n = 10_000;
    let inputs = Inputs::programme(n, 0.9, 0.5);
    let mut base = monitor_settings();
    // The cue's guard clamps at −20 dBFS, main's guard is off: main shows the unclamped cue.
    base.cues[cue].output.ceiling_db = -20.0;
    base.cues[cue].output.gain_db = 6.0;
    base.main.guard = false;
    let base = talking(base);
    let mut listening = base;
    listening.listen = Listen::Cue(cue);
    let at = 1_500;
    let mut connections = [true; CUE_COUNT];
    connections[cue] = connected;
    let out = run_at_every_block_size(
        InputLayout::Stereo,
        &base,
        &[(at, listening)],
        &inputs,
        connections,
    );
    let mut unguarded = base;
    unguarded.cues[cue].output.guard = false;
    let reference = run(
        InputLayout::Stereo,
        &unguarded,
        &[],
        &inputs,
        [true; 4],
        &[n],
    );
    (out, reference, at + samples(LISTEN_FADE_MS))
}

#[test]
fn listening_to_a_cue_puts_its_pre_guard_signal_on_main_bit_for_bit_at_any_block_size() {
    for cue in 0..CUE_COUNT {
        for connected in [true, false] {
            let (out, reference, from) = listen_and_reference(cue, connected);
            for ch in 0..2 {
                assert_bits_eq(
                    &out.main[ch][from..],
                    &reference.cues[cue][ch][from..],
                    &format!("main listening to cue {cue} (connected: {connected})"),
                );
            }
            // The cue's own output is clamped by its guard, main is not: listen taps before it.
            let ceiling = db_to_lin(-20.0);
            let peak = |x: &[f32]| x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!(peak(&reference.cues[cue][0][from..]) > 1.5 * ceiling);
            if connected {
                assert_eq!(peak(&out.cues[cue][0]), ceiling, "cue {cue} guarded");
            }
        }
    }
}

#[test]
fn hostile_talk_input_never_reaches_an_output_as_non_finite() {
    let n = 6_000;
    let mut inputs = Inputs::programme(n, 0.5, 0.5);
    let talk = inputs.talk.as_mut().unwrap();
    let hostile = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        1e30,
        -f32::MAX,
        f32::MIN_POSITIVE / 4.0,
        -0.0,
    ];
    for (i, t) in talk.iter_mut().enumerate() {
        if i % 13 < 4 {
            *t = hostile[i % hostile.len()];
        }
    }
    let mut s = talking(monitor_settings());
    s.talkback.to_main = true;
    s.talkback.level_db = 12.0;
    s.listen = Listen::Cue(1);
    for guard in [true, false] {
        let mut s = s;
        s.main.guard = guard;
        for cue in &mut s.cues {
            cue.output.guard = guard;
        }
        let out = run_at_every_block_size(InputLayout::Stereo, &s, &[], &inputs, [true; 4]);
        let outputs = std::iter::once(&out.main).chain(out.cues.iter());
        for (o, [l, r]) in outputs.enumerate() {
            for x in l.iter().chain(r) {
                assert!(x.is_finite(), "output {o} (guard {guard}): {x}");
                assert!(!x.is_subnormal(), "output {o} (guard {guard}): {x}");
                if guard {
                    assert!(x.abs() <= 1.0, "output {o}: {x} over the ceiling");
                }
            }
        }
    }
}

#[test]
fn the_cue_ear_guard_holds_loud_talk_at_the_ceiling() {
    let n = 9_600;
    let mut inputs = Inputs::programme(n, 0.1, 0.0);
    // A 1 kHz talk tone at 0.9, +12 dB: 3.6 before the guard, far over a −6 dBFS ceiling.
    inputs.talk = Some(sine(f64::from(FS), 1_000.0, 0.0, 0.9, n));
    let mut s = talking(monitor_settings());
    s.talkback.level_db = 12.0;
    for cue in &mut s.cues {
        cue.output.ceiling_db = -6.0;
    }
    let out = run_at_every_block_size(InputLayout::Stereo, &s, &[], &inputs, [true; 4]);
    let ceiling = db_to_lin(-6.0);
    for (c, [l, r]) in out.cues.iter().enumerate() {
        let peak = l.iter().chain(r).fold(0.0f32, |m, v| m.max(v.abs()));
        assert_eq!(peak, ceiling, "cue {c}: peak {peak} vs ceiling {ceiling}");
    }
}

/// Level (dB SPL) of a sine with amplitude `amp` on an output whose full-scale sine plays at
/// `spl_at_0dbfs_db`: AES17 puts a full-scale sine at 0 dBFS.
fn sine_spl_db(amp: f64, spl_at_0dbfs_db: f32) -> f64 {
    f64::from(spl_at_0dbfs_db) + 20.0 * amp.log10()
}

#[test]
fn the_level_limit_holds_main_and_a_cue_at_their_limits_through_the_engine() {
    // 1 kHz, where A-weighting is 0 dB (IEC 61672-1), 10 dB over the limit.
    let n = 4 * FS as usize;
    let (spl_main, spl_cue) = (100.0f32, 110.0f32);
    let amp_main = 10f64.powf((90.0 - f64::from(spl_main)) / 20.0);
    let tone = sine(f64::from(FS), 1_000.0, 0.0, amp_main, n);
    let inputs = Inputs {
        l: tone.clone(),
        r: tone,
        aux: None,
        talk: None,
    };
    let mut s = EngineSettings::default();
    s.main.limit_on = true;
    s.main.limit_db_spl = 80.0;
    // Cue 2 hears the same tone at +6 dB on a 10 dB hotter chain: 106 dB SPL, limited to 85.
    s.cues[1] = cue_on(6.0);
    s.cues[1].output.limit_on = true;
    s.cues[1].output.limit_db_spl = 85.0;
    // Cue 1 is the same feed without a limit.
    s.cues[0] = cue_on(6.0);
    s.ear.spl_at_0dbfs_db = [spl_main, spl_cue, spl_cue, spl_cue, spl_cue];
    let out = run_at_every_block_size(InputLayout::Stereo, &s, &[], &inputs, [true; 4]);
    let last_second = n - FS as usize..;
    let level = |x: &[f32], spl: f32| {
        sine_spl_db(
            amplitude(&x[last_second.clone()], 1_000.0, f64::from(FS)),
            spl,
        )
    };
    let main_db = level(&out.main[0], spl_main);
    let cue_db = level(&out.cues[1][1], spl_cue);
    let free_db = level(&out.cues[0][0], spl_cue);
    println!("limited: main {main_db:.3} dB(A), cue 2 {cue_db:.3} dB(A); cue 1 free {free_db:.3}");
    assert!((main_db - 80.0).abs() < 0.05, "main at {main_db} dB(A)");
    assert!((cue_db - 85.0).abs() < 0.05, "cue 2 at {cue_db} dB(A)");
    assert!(
        (free_db - 106.0).abs() < 0.01,
        "cue 1 unlimited at {free_db}"
    );
    assert!(
        (out.limit_gr_db[0] - 10.0).abs() < 0.05,
        "{:?}",
        out.limit_gr_db
    );
    assert!(
        (out.limit_gr_db[2] - 21.0).abs() < 0.05,
        "{:?}",
        out.limit_gr_db
    );
    assert_eq!(out.limit_gr_db[1], 0.0);
}

/// Hot and cold legs of `x` with `hum` common to both.
fn legs(x: &[f32], hum: &[f32]) -> [Vec<f32>; 2] {
    let hot = x.iter().zip(hum).map(|(s, h)| h + s).collect();
    let cold = x.iter().zip(hum).map(|(s, h)| h - s).collect();
    [hot, cold]
}

#[test]
fn right_pair_on_aux_decodes_two_balanced_pairs_with_over_100_db_hum_rejection() {
    let n = FS as usize;
    let fs = f64::from(FS);
    let hum = sine(fs, 50.0, 0.0, 0.5, n);
    let (sig_l, sig_r) = (
        sine(fs, 1_000.0, 0.0, 0.25, n),
        sine(fs, 1_500.0, 0.0, 0.2, n),
    );
    let [hot_l, cold_l] = legs(&sig_l, &hum);
    let inputs = Inputs {
        l: hot_l,
        r: cold_l,
        aux: Some(legs(&sig_r, &hum)),
        talk: None,
    };
    let s = EngineSettings {
        pairs_on_aux: true,
        ..EngineSettings::default()
    };
    let out = run_at_every_block_size(InputLayout::Stereo, &s, &[], &inputs, [false; 4]);
    assert!(!out.right_pair_missing);
    // The same legs through the four-channel layout give the same bits.
    let four = run(
        InputLayout::BalancedPairs,
        &EngineSettings::default(),
        &[],
        &inputs,
        [false; 4],
        &[n],
    );
    for (ch, sig) in [&sig_l, &sig_r].into_iter().enumerate() {
        assert_bits_eq(&out.main[ch], &four.main[ch], "pairs on aux vs 4-ch layout");
        let hum_out = amplitude(&out.main[ch], 50.0, fs);
        let rejection_db = 20.0 * (0.5 / hum_out.max(1e-30)).log10();
        let err = out.main[ch]
            .iter()
            .zip(sig)
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        println!("ear {ch}: hum rejection {rejection_db:.1} dB, signal within {err:.1e}");
        assert!(rejection_db > 100.0, "ear {ch}: {rejection_db} dB");
        assert!(err < 1e-6, "ear {ch}: decoded signal off by {err}");
    }
}

#[test]
fn without_the_right_pair_the_left_pair_plays_in_both_ears_and_is_reported() {
    let n = 4_800;
    let fs = f64::from(FS);
    let hum = sine(fs, 50.0, 0.0, 0.5, n);
    let sig = sine(fs, 1_000.0, 0.0, 0.25, n);
    let [hot, cold] = legs(&sig, &hum);
    let s = EngineSettings {
        pairs_on_aux: true,
        ..EngineSettings::default()
    };
    // No aux input, and an aux input shorter than the main block: both count as missing.
    let short = [vec![0.1; 10], vec![0.1; 10]];
    for aux in [None, Some(short)] {
        let inputs = Inputs {
            l: hot.clone(),
            r: cold.clone(),
            aux,
            talk: None,
        };
        let blocks = [64];
        let out = run(InputLayout::Stereo, &s, &[], &inputs, [false; 4], &blocks);
        assert!(out.right_pair_missing);
        // The Balanced pair mode's decode, bit for bit, in both ears.
        let mut pair = EngineSettings::default();
        pair.input.mode = InputMode::BalancedPair;
        let plain = Inputs {
            l: hot.clone(),
            r: cold.clone(),
            aux: None,
            talk: None,
        };
        let want = run(InputLayout::Stereo, &pair, &[], &plain, [false; 4], &blocks);
        for ch in 0..2 {
            assert_bits_eq(&out.main[ch], &want.main[ch], "left pair to both ears");
        }
        let err = out.main[1]
            .iter()
            .zip(&sig)
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(err < 1e-6, "right ear carries the left pair within {err}");
    }
    // Without pairs on aux nothing is missing.
    let inputs = Inputs::programme(n, 0.5, 0.0);
    let out = run(
        InputLayout::Stereo,
        &EngineSettings::default(),
        &[],
        &inputs,
        [false; 4],
        &[n],
    );
    assert!(!out.right_pair_missing);
}

#[test]
fn the_talk_meter_reads_the_talk_input_whether_or_not_anyone_hears_it() {
    let n = FS as usize;
    let amp = 0.5;
    for on in [false, true] {
        let mut s = monitor_settings();
        s.talkback.on = on;
        s.talkback.level_db = -20.0;
        let mut engine = Engine::new(FS, InputLayout::Stereo, &s);
        let talk = sine(f64::from(FS), 1_000.0, 0.0, amp, n);
        let (mut l, mut r) = (vec![0.0; n], vec![0.0; n]);
        for (i, ((l, r), t)) in l
            .chunks_mut(100)
            .zip(r.chunks_mut(100))
            .zip(talk.chunks(100))
            .enumerate()
        {
            engine.process_with_talk(l, r, None, Some((t, None)), &mut [None, None, None, None]);
            if i == 100 {
                // The filter's onset transient is over after 0.2 s.
                engine.read_talk_meter();
            }
        }
        // After the filter (flat at 1 kHz) and before the talk level: the sine's own peak.
        let reading = engine.read_talk_meter();
        let peak_db = 20.0 * (f64::from(reading.sample_peak_lin) / amp).log10();
        assert!(
            peak_db.abs() < 0.01,
            "talk {on}: peak {peak_db} dB from the input's"
        );
        // No talk input: the meter falls to silence.
        let (mut l, mut r) = (vec![0.0; n], vec![0.0; n]);
        engine.process_with_talk(&mut l, &mut r, None, None, &mut [None, None, None, None]);
        engine.read_talk_meter();
        engine.process_with_talk(&mut l, &mut r, None, None, &mut [None, None, None, None]);
        assert_eq!(engine.read_talk_meter().sample_peak_lin, 0.0);
    }
}
