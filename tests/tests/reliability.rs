//! Reliability of the built plugin through its CLAP entry point: the debug build with
//! `assert_process_allocs` survives every layout × input mode × cue setting in random block
//! sizes; the ear guard holds on every output port whatever the settings, the input and the
//! automation; parameters act from the first sample after activation and after a state load;
//! saving is deterministic; garbage states are refused without a crash.
//! Run with `--nocapture` to see the measured numbers.

mod common;

use common::{clap_value, cuewire, pid, run_plugin, set_by_flush, sine};
use cuewire_tests::{AudioPort, ParamEvent, PluginInstance, ProcessBuffers};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::cell::Cell;

const RATE: f64 = 48_000.0;
const MAX_FRAMES: u32 = 4096;

/// Every audio-ports configuration: name, input channels (main + aux), cue ports.
const LAYOUTS: [(&str, usize, bool); 6] = [
    (common::LAYOUT_STEREO_CUES, 2, true),
    (common::LAYOUT_STEREO, 2, false),
    (common::LAYOUT_MONO_CUES, 1, true),
    (common::LAYOUT_MONO, 1, false),
    (common::LAYOUT_PAIRS_CUES, 4, true),
    (common::LAYOUT_PAIRS, 4, false),
];

const INPUT_MODES: [&str; 7] = [
    "Stereo",
    "Auto fix",
    "Left → both",
    "Right → both",
    "Mono sum",
    "Swap",
    "Balanced pair",
];

/// A tiny deterministic generator (xorshift64) for inputs and block sizes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn unit(&mut self) -> f32 {
        (self.below(1 << 24) as f32 / (1 << 23) as f32) - 1.0
    }
}

/// Samples a broken upstream can deliver, mixed into loud noise.
fn hostile(rng: &mut Rng, n: usize) -> Vec<f32> {
    const BAD: [f32; 7] = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        1e30,
        -1e30,
        f32::MAX,
        -0.0,
    ];
    (0..n)
        .map(|_| match rng.below(16) {
            0 => BAD[rng.below(BAD.len() as u64) as usize],
            1 => f32::from_bits(rng.below(0x007f_ffff) as u32 + 1),
            _ => 4.0 * rng.unit(),
        })
        .collect()
}

/// Random block sizes (1..=MAX_FRAMES, biased to small) summing to at least `total`.
fn random_blocks(rng: &mut Rng, count: usize) -> Vec<usize> {
    (0..count)
        .map(|_| match rng.below(3) {
            0 => 1 + rng.below(16) as usize,
            1 => 1 + rng.below(512) as usize,
            _ => 1 + rng.below(u64::from(MAX_FRAMES)) as usize,
        })
        .collect()
}

fn instance(layout: &str) -> PluginInstance {
    let mut plugin = cuewire();
    plugin
        .select_audio_ports_config_named(layout)
        .expect("layout");
    plugin
}

#[test]
fn every_layout_mode_and_cue_setting_runs_in_random_blocks_without_aborting() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut runs = 0;
    let mut frames = 0;
    for (layout, channels, has_cues) in LAYOUTS {
        let mut plugin = instance(layout);
        plugin.activate_and_start(RATE, MAX_FRAMES);
        for (m, mode) in INPUT_MODES.iter().enumerate() {
            for cues_on in [false, true] {
                let on = if cues_on { 1.0 } else { 0.0 };
                let mode_value = clap_value(&plugin, "in_mode", mode);
                let mut events = vec![(0, pid("in_mode"), mode_value)];
                events.extend((1..=4).map(|n| (0, pid(&format!("cue_on_{n}")), on)));
                // Half the runs change the mode mid-run by a process event, half by flush.
                if m % 2 == 0 {
                    plugin.stop_processing();
                    set_by_flush(&mut plugin, &[("in_mode", mode)]);
                    plugin.start_processing();
                }
                events.push((
                    777,
                    pid("main_gain"),
                    clap_value(&plugin, "main_gain", "12"),
                ));
                let n = 6000;
                let input: Vec<Vec<f32>> = (0..channels).map(|_| hostile(&mut rng, n)).collect();
                let blocks = random_blocks(&mut rng, 64);
                let out = run_plugin(&mut plugin, &input, &blocks, &events);
                // Reaching here means no abort (allocation) and no panic across the FFI.
                for x in out.main.iter().chain(out.cues.iter().flatten()) {
                    assert!(
                        x.iter().all(|v| v.is_finite()),
                        "{layout} {mode}: non-finite"
                    );
                }
                assert_eq!(out.cues.len(), if has_cues { 4 } else { 0 });
                runs += 1;
                frames += n;
            }
        }
    }
    println!(
        "{runs} runs (6 layouts × 7 input modes × cues off/on), {frames} frames of hostile input \
         in random blocks 1..{MAX_FRAMES}: no abort under assert_process_allocs, all output finite"
    );
}

/// A setting of the ear-guard property test.
#[derive(Clone, Debug)]
struct GuardCase {
    layout: usize,
    mode: usize,
    main_ceiling_db: f32,
    cue_ceilings_db: [f32; 4],
    cue_gains_db: [f32; 4],
    cue_modes: [usize; 4],
    cue_post: [bool; 4],
    crossfeed: usize,
    dim: bool,
    seed: u64,
}

fn guard_case() -> impl Strategy<Value = GuardCase> {
    // Ceilings on the parameters' 0.1 dB grid, so the plugin's value is exactly the one set.
    let ceiling = (-200i32..=0).prop_map(|t| t as f32 / 10.0);
    let gain = (-600i32..=120).prop_map(|t| t as f32 / 10.0);
    (
        0usize..6,
        0usize..7,
        ceiling.clone(),
        [ceiling.clone(), ceiling.clone(), ceiling.clone(), ceiling],
        [gain.clone(), gain.clone(), gain.clone(), gain],
        [0usize..4, 0usize..4, 0usize..4, 0usize..4],
        any::<[bool; 4]>(),
        0usize..5,
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(
            |(
                layout,
                mode,
                main_ceiling_db,
                cue_ceilings_db,
                cue_gains_db,
                cue_modes,
                cue_post,
                crossfeed,
                dim,
                seed,
            )| {
                GuardCase {
                    layout,
                    mode,
                    main_ceiling_db,
                    cue_ceilings_db,
                    cue_gains_db,
                    cue_modes,
                    cue_post,
                    crossfeed,
                    dim,
                    seed,
                }
            },
        )
}

fn db_to_lin(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

#[test]
fn the_ear_guard_holds_on_every_port_whatever_the_settings_input_and_automation() {
    const CASES: u32 = 64;
    let checked = Cell::new(0usize);
    let worst = Cell::new(0.0f32);
    TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    })
    .run(&guard_case(), |case| {
        let (layout, channels, has_cues) = LAYOUTS[case.layout];
        let mut plugin = instance(layout);
        let fmt = |v: f32| format!("{v:.1}");
        let mut settings: Vec<(String, String)> = vec![
            ("in_mode".into(), INPUT_MODES[case.mode].into()),
            ("main_ceiling".into(), fmt(case.main_ceiling_db)),
            ("main_guard".into(), "On".into()),
            (
                "main_dim".into(),
                if case.dim { "On" } else { "Off" }.into(),
            ),
            (
                "main_xfeed".into(),
                ["Off", "bs2b default", "Chu Moy", "Jan Meier", "Custom"][case.crossfeed].into(),
            ),
        ];
        for c in 0..4 {
            let n = c + 1;
            settings.extend([
                (format!("cue_on_{n}"), "On".into()),
                (format!("cue_ceiling_{n}"), fmt(case.cue_ceilings_db[c])),
                (format!("cue_gain_{n}"), fmt(case.cue_gains_db[c])),
                (
                    format!("cue_mode_{n}"),
                    ["Stereo", "Mono", "Left → both", "Right → both"][case.cue_modes[c]].into(),
                ),
                (
                    format!("cue_src_{n}"),
                    if case.cue_post[c] { "Post" } else { "Pre" }.into(),
                ),
            ]);
        }
        let pairs: Vec<(&str, &str)> = settings
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        set_by_flush(&mut plugin, &pairs);
        plugin.activate_and_start(RATE, MAX_FRAMES);

        // Automation: main gain swept −60 → +24 dB inside one block, then held at +24.
        let mut rng = Rng(case.seed | 1);
        let n = 3 * MAX_FRAMES as usize;
        let block = MAX_FRAMES as usize;
        let sweep: Vec<(usize, u32, f64)> = (0..=84)
            .map(|k| {
                let db = -60.0 + k as f32;
                (
                    block + k * 40,
                    pid("main_gain"),
                    clap_value(&plugin, "main_gain", &fmt(db)),
                )
            })
            .collect();
        let input: Vec<Vec<f32>> = (0..channels).map(|_| hostile(&mut rng, n)).collect();
        let out = run_plugin(&mut plugin, &input, &[block], &sweep);

        let main_ceiling = db_to_lin(case.main_ceiling_db);
        let check = |what: String, x: &[f32], ceiling: f32| -> Result<(), TestCaseError> {
            for (i, &v) in x.iter().enumerate() {
                prop_assert!(v.is_finite(), "{what}[{i}] = {v}");
                // The plugin computes the ceiling in f32 from the same dB value: allow its rounding.
                prop_assert!(
                    v.abs() <= ceiling * (1.0 + 1e-6),
                    "{what}[{i}] = {v} over {ceiling}"
                );
                worst.set(worst.get().max(v.abs() / ceiling));
            }
            Ok(())
        };
        for ch in 0..2 {
            check(format!("{layout} main ch{ch}"), &out.main[ch], main_ceiling)?;
        }
        prop_assert_eq!(out.cues.len(), if has_cues { 4 } else { 0 });
        for (c, cue) in out.cues.iter().enumerate() {
            for (ch, x) in cue.iter().enumerate() {
                check(
                    format!("{layout} cue {} ch{ch}", c + 1),
                    x,
                    db_to_lin(case.cue_ceilings_db[c]),
                )?;
            }
        }
        checked.set(checked.get() + 1);
        Ok(())
    })
    .unwrap();
    println!(
        "ear guard through CLAP: {} random cases (layouts, modes, ceilings, cue gains, \
         crossfeed, hostile input, −60 → +24 dB sweep inside one block): worst |out|/ceiling {:.6}",
        checked.get(),
        worst.get()
    );
}

/// The first `n` output samples of main L for DC 0.5 on every input channel, in one block.
fn first_samples(plugin: &mut PluginInstance, channels: usize, n: usize) -> Vec<f32> {
    let input = vec![vec![0.5f32; n]; channels];
    run_plugin(plugin, &input, &[n], &[]).main[0].clone()
}

#[test]
fn main_gain_acts_from_the_first_sample_after_activation_and_after_a_state_load() {
    let want = 0.5 * db_to_lin(-6.0);
    let gain_db = |x: f32| 20.0 * (x / 0.5).log10();

    // Activation with −6 dB already set.
    let mut plugin = instance(common::LAYOUT_STEREO);
    set_by_flush(&mut plugin, &[("main_gain", "-6.0")]);
    plugin.activate_and_start(RATE, MAX_FRAMES);
    let out = first_samples(&mut plugin, 2, 64);
    println!(
        "after activation: first sample at {:.4} dB (setting −6.0)",
        gain_db(out[0])
    );
    assert!(
        out.iter().all(|&x| (x - want).abs() <= 1e-6),
        "{:?}",
        &out[..4]
    );
    let saved = plugin.save_state().expect("save");

    // A running instance at 0 dB loads the −6 dB state between two blocks.
    let mut other = instance(common::LAYOUT_STEREO);
    other.activate_and_start(RATE, MAX_FRAMES);
    let before = first_samples(&mut other, 2, 256);
    assert!(before.iter().all(|&x| x == 0.5));
    assert!(other.load_state(&saved), "state load refused");
    let out = first_samples(&mut other, 2, 64);
    println!(
        "after a state load while running: first sample at {:.4} dB",
        gain_db(out[0])
    );
    assert!(
        out.iter().all(|&x| (x - want).abs() <= 1e-6),
        "{:?}",
        &out[..4]
    );

    // And loaded before activation.
    let mut third = instance(common::LAYOUT_STEREO);
    assert!(third.load_state(&saved));
    third.activate_and_start(RATE, MAX_FRAMES);
    let out = first_samples(&mut third, 2, 64);
    println!(
        "state loaded, then activated: first sample at {:.4} dB",
        gain_db(out[0])
    );
    assert!(out.iter().all(|&x| (x - want).abs() <= 1e-6));
}

#[test]
fn saving_is_deterministic_and_garbage_states_are_refused_without_a_crash() {
    let mut plugin = instance(common::LAYOUT_STEREO_CUES);
    set_by_flush(
        &mut plugin,
        &[
            ("main_gain", "-6.0"),
            ("cue_on_2", "On"),
            ("in_mode", "Swap"),
        ],
    );
    let saved = plugin.save_state().expect("save");
    assert_eq!(saved, plugin.save_state().unwrap(), "two saves differ");
    let mut copy = instance(common::LAYOUT_STEREO_CUES);
    assert!(copy.load_state(&saved));
    assert_eq!(
        saved,
        copy.save_state().unwrap(),
        "save → load → save differs"
    );
    // nice-plug's CLAP state: the JSON's length (u64, little-endian), then the JSON.
    let json_len = u64::from_le_bytes(saved[..8].try_into().unwrap()) as usize;
    assert_eq!(json_len, saved.len() - 8);
    assert_eq!(saved[8], b'{', "state is plain JSON");

    let gain_before = copy.param_value(pid("main_gain"));
    let mut rng = Rng(77);
    let mut refused = 0;
    let mut cases: Vec<Vec<u8>> = vec![Vec::new(), b"{".to_vec(), b"null".to_vec(), vec![0; 64]];
    cases.extend((1..saved.len()).step_by(7).map(|len| saved[..len].to_vec()));
    cases.extend((0..200).map(|_| (0..rng.below(300)).map(|_| rng.next() as u8).collect()));
    for bytes in &cases {
        if !copy.load_state(bytes) {
            refused += 1;
        }
        // Loaded or not, the instance is alive and answers.
        assert!(copy.param_value(pid("main_gain")).is_some());
    }
    println!(
        "{} garbage/empty/truncated states: {refused} refused, none crashed",
        cases.len()
    );
    assert_eq!(refused, cases.len(), "garbage was accepted");
    assert_eq!(
        copy.param_value(pid("main_gain")),
        gain_before,
        "a refused load changed settings"
    );

    // A hand-edited state without main_gain loads, and main_gain takes its default (0 dB).
    let text = String::from_utf8(saved[8..].to_vec()).unwrap();
    let edited = text.replacen("\"main_gain\":", "\"main_gain_removed\":", 1);
    assert_ne!(edited, text);
    let mut bytes = (edited.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(edited.as_bytes());
    assert!(copy.load_state(&bytes), "hand-edited state refused");
    let gain = copy.param_value(pid("main_gain")).unwrap();
    let default = clap_value(&copy, "main_gain", "0.0");
    assert!(
        (gain - default).abs() < 1e-9,
        "main_gain {gain}, default {default}"
    );
    assert_eq!(
        copy.param_value(pid("in_mode")),
        plugin.param_value(pid("in_mode"))
    );
    // Still processes after all that.
    copy.activate_and_start(RATE, MAX_FRAMES);
    let mut buffers = ProcessBuffers::new(64)
        .with_input(AudioPort::from_channels(vec![
            sine(
                1000.0, 0.5, RATE, 64, 0.0
            );
            2
        ]))
        .with_output(AudioPort::silent(2, 64));
    for _ in 0..4 {
        buffers = buffers.with_output(AudioPort::silent(2, 64));
    }
    copy.process(&mut buffers, &[ParamEvent::new(0, pid("bypass"), 0.0)])
        .expect("process");
}
