//! The monitor's inputs end to end, through the CLAP and VST3 entry points: the right pair on
//! the aux input (balanced pairs decoded with > 100 dB hum rejection, and the left pair in both
//! ears when the host leaves that input inactive, null or half null), the talkback input and
//! listen on Cuewire Monitor (bit-identical to the engine run directly), and both plugins with
//! every input bus active, inactive, null and half null.

mod common;

use common::*;
use cuewire_dsp::cue::{CueSettings, CUE_COUNT};
use cuewire_dsp::engine::EngineSettings;
use cuewire_dsp::input::InputLayout;
use cuewire_dsp::listen::Listen;
use cuewire_dsp::talkback::TalkbackSettings;
use cuewire_dsp::units::db_to_lin;
use cuewire_testkit::{amplitude, lcg_noise, sine};
use cuewire_tests::{
    AudioPort, Host, PluginInstance, ProcessBuffers, Vst3Instance, CUEWIRE_INSERT_CLAP_ID,
};
use vst3::Steinberg::kResultOk;
use vst3::Steinberg::Vst::IComponentTrait;

const RATE: f64 = 48_000.0;
const BLOCK: usize = 256;

/// A fresh, initialised Cuewire (the insert) instance.
fn insert() -> PluginInstance {
    Host::cuewire()
        .expect("load libcuewire")
        .create_plugin(CUEWIRE_INSERT_CLAP_ID)
        .expect("create Cuewire")
}

/// Hot and cold legs of `signal` with `hum` common to both.
fn legs(signal: &[f32], hum: &[f32]) -> [Vec<f32>; 2] {
    [add(hum, signal), add(hum, &neg(signal))]
}

/// One second of two balanced pairs: 1 kHz left and 1.5 kHz right, 50 Hz hum at 0.5 on every
/// leg. Returns the four legs (Hot L, Cold L, Hot R, Cold R) and the two signals.
fn two_pairs() -> ([Vec<f32>; 4], [Vec<f32>; 2]) {
    let n = RATE as usize;
    let hum = sine(RATE, 50.0, 0.0, 0.5, n);
    let sig = [
        sine(RATE, 1_000.0, 0.0, 0.25, n),
        sine(RATE, 1_500.0, 0.3f64.to_degrees(), 0.2, n),
    ];
    let [hot_l, cold_l] = legs(&sig[0], &hum);
    let [hot_r, cold_r] = legs(&sig[1], &hum);
    ([hot_l, cold_l, hot_r, cold_r], sig)
}

/// Asserts that `out` (one ear) carries `signal` within 1e-6 and the 50 Hz hum 100 dB under
/// its 0.5 on the legs; returns the rejection (dB).
fn assert_decoded(out: &[f32], signal: &[f32], what: &str) -> f64 {
    let err = max_abs_diff(out, signal);
    let hum = amplitude(out, 50.0, RATE);
    let rejection_db = 20.0 * (0.5 / hum.max(1e-30)).log10();
    assert!(err < 1e-6, "{what}: decoded signal off by {err}");
    assert!(
        rejection_db > 100.0,
        "{what}: hum rejection {rejection_db} dB"
    );
    rejection_db
}

/// How a host presents an input bus.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Bus {
    /// Real buffers carrying the signal.
    Live,
    /// Zero channels (an inactive bus).
    NoChannels,
    /// Channels announced, a null buffer array.
    Null,
    /// The second channel's pointer null.
    HalfNull,
}

const BUSES: [Bus; 4] = [Bus::Live, Bus::NoChannels, Bus::Null, Bus::HalfNull];

/// An input port of `channels` for `bus`, carrying `data` when it carries anything.
fn port(bus: Bus, data: Vec<Vec<f32>>) -> AudioPort {
    let channels = data.len() as u32;
    match bus {
        Bus::Live => AudioPort::from_channels(data),
        Bus::NoChannels => AudioPort::zero_channels(),
        Bus::Null => AudioPort::null(channels),
        Bus::HalfNull if channels > 1 => AudioPort::half_null(data, 1),
        Bus::HalfNull => AudioPort::half_null(data, 0),
    }
}

#[test]
fn vst3_insert_decodes_balanced_pairs_through_the_aux_input_with_over_100_db_hum_rejection() {
    let ([hot_l, cold_l, hot_r, cold_r], sig) = two_pairs();
    let plugin = Vst3Instance::cuewire_insert().expect("VST3 insert");
    let pairs = plugin.param_id("Right pair on aux input").unwrap();
    assert_eq!(plugin.set_normalized(pairs, 1.0), kResultOk);
    // SAFETY: live component; input bus 1 is the right pair's.
    assert_eq!(
        unsafe { plugin.component().activateBus(0, 0, 1, 1) },
        kResultOk
    );
    plugin.activate(RATE, BLOCK as u32).unwrap();
    assert_eq!(plugin.set_processing(true), kResultOk);
    let n = hot_l.len();
    let mut out = [Vec::with_capacity(n), Vec::with_capacity(n)];
    for start in (0..n).step_by(BLOCK) {
        let end = (start + BLOCK).min(n);
        let mut buffers = ProcessBuffers::new((end - start) as u32)
            .with_input(AudioPort::from_channels(vec![
                hot_l[start..end].to_vec(),
                cold_l[start..end].to_vec(),
            ]))
            .with_input(AudioPort::from_channels(vec![
                hot_r[start..end].to_vec(),
                cold_r[start..end].to_vec(),
            ]))
            .with_output(AudioPort::silent(2, end - start));
        assert_eq!(plugin.process(&mut buffers, &[]), kResultOk);
        for (ch, dst) in out.iter_mut().enumerate() {
            dst.extend_from_slice(buffers.outputs[0].channel(ch));
        }
    }
    for (ch, what) in [(0, "left ear"), (1, "right ear")] {
        let db = assert_decoded(&out[ch], &sig[ch], what);
        println!("VST3 insert, {what}: hum rejection {db:.1} dB");
    }
    plugin.deactivate();
}

#[test]
fn clap_pairs_on_aux_decode_two_pairs_or_the_left_pair_in_both_ears_when_the_right_is_absent() {
    let ([hot_l, cold_l, hot_r, cold_r], sig) = two_pairs();
    for bus in BUSES {
        let mut plugin = insert();
        set_by_flush(&mut plugin, &[("in_pairs", "On")]);
        plugin.activate_and_start(RATE, BLOCK as u32);
        let n = hot_l.len();
        let mut out = [Vec::with_capacity(n), Vec::with_capacity(n)];
        for start in (0..n).step_by(BLOCK) {
            let end = (start + BLOCK).min(n);
            let cut = |x: &[f32]| x[start..end].to_vec();
            let mut buffers = ProcessBuffers::new((end - start) as u32)
                .with_input(AudioPort::from_channels(vec![cut(&hot_l), cut(&cold_l)]))
                .with_input(port(bus, vec![cut(&hot_r), cut(&cold_r)]))
                .with_output(AudioPort::silent(2, end - start));
            plugin.process(&mut buffers, &[]).unwrap();
            for (ch, dst) in out.iter_mut().enumerate() {
                dst.extend_from_slice(buffers.outputs[0].channel(ch));
            }
        }
        if bus == Bus::Live {
            assert_decoded(&out[0], &sig[0], "left ear");
            assert_decoded(&out[1], &sig[1], "right ear");
        } else {
            // Without the right pair, the left pair plays in both ears (never silence in one).
            assert_decoded(&out[0], &sig[0], &format!("{bus:?}: left ear"));
            assert_decoded(&out[1], &sig[0], &format!("{bus:?}: right ear"));
        }
        plugin.deactivate();
    }
}

/// The Monitor's default layout's input: programme (2), the right pair (2, silent), talk (1).
fn monitor_input(n: usize) -> Vec<Vec<f32>> {
    vec![
        add(&sine(RATE, 440.0, 0.0, 0.4, n), &lcg_noise(1, 0.05, n)),
        add(
            &sine(RATE, 660.0, 1.0f64.to_degrees(), 0.3, n),
            &lcg_noise(2, 0.05, n),
        ),
        vec![0.0; n],
        vec![0.0; n],
        add(&sine(RATE, 300.0, 0.0, 0.3, n), &lcg_noise(3, 0.1, n)),
    ]
}

/// Talk to cues 1 and 3 and to main at −6 dB with a −15 dB dim, cues 1–3 on, listening to
/// cue 3, as parameters and as engine settings.
const TALK_AND_LISTEN: &[(&str, &str)] = &[
    ("talk", "On"),
    ("talk_db", "-6.0"),
    ("talk_dim_db", "-15.0"),
    ("talk_main", "On"),
    ("cue_talk_2", "Off"),
    ("cue_on_1", "On"),
    ("cue_on_2", "On"),
    ("cue_on_3", "On"),
    ("cue_gain_3", "-12.0"),
    ("cue_talk_4", "Off"),
    ("listen", "Cue 3"),
];

fn talk_and_listen_settings() -> EngineSettings {
    let mut s = EngineSettings {
        talkback: TalkbackSettings {
            on: true,
            level_db: -6.0,
            dim_db: -15.0,
            cues: [true, false, true, false],
            to_main: true,
        },
        listen: Listen::Cue(2),
        ..EngineSettings::default()
    };
    for cue in &mut s.cues[..3] {
        *cue = CueSettings { on: true, ..*cue };
    }
    s.cues[2].output.gain_db = -12.0;
    s
}

#[test]
fn talk_and_listen_on_the_monitor_equal_the_engine_bit_for_bit() {
    let n = 24_000;
    let input = monitor_input(n);
    for blocks in [vec![BLOCK], block_pattern(BLOCK)] {
        let mut plugin = cuewire();
        plugin
            .select_audio_ports_config_named(LAYOUT_STEREO_CUES)
            .unwrap();
        set_by_flush(&mut plugin, TALK_AND_LISTEN);
        plugin.activate_and_start(RATE, BLOCK as u32);
        let got = run_plugin(&mut plugin, &input, &blocks, &[]);
        let settings = talk_and_listen_settings();
        let want = run_engine(
            RATE as f32,
            InputLayout::Stereo,
            &settings,
            &input,
            &blocks,
            &[],
            true,
        );
        assert_bit_identical(&got, &want);
        // The talk did arrive: cue 1 is not the dimmed programme alone, cue 2 (talk off) is
        // the programme, and main listens to cue 3.
        let dim = db_to_lin(-15.0);
        let dimmed: Vec<f32> = input[0].iter().map(|x| x * dim).collect();
        assert!(max_abs_diff(&got.cues[0][0], &dimmed) > 0.01);
        assert_eq!(got.cues[1][0], input[0]);
        assert_ne!(got.main[0], input[0]);
        plugin.deactivate();
    }
}

#[test]
fn the_insert_keeps_listen_off_and_talk_on_main_only() {
    let n = 9_600;
    let input = vec![
        sine(RATE, 440.0, 0.0, 0.4, n),
        sine(RATE, 660.0, 0.0, 0.3, n),
    ];
    let mut plugin = insert();
    set_by_flush(
        &mut plugin,
        &[
            ("talk", "On"),
            ("talk_dim_db", "-20.0"),
            ("talk_main", "On"),
            ("listen", "Cue 1"),
            ("cue_on_1", "On"),
        ],
    );
    plugin.activate_and_start(RATE, BLOCK as u32);
    let got = run_plugin(&mut plugin, &input, &[BLOCK], &[]);
    // No talk signal reaches the insert: main is the programme dimmed by 20 dB, exactly the
    // engine's main with talk to main and listen off.
    let settings = EngineSettings {
        talkback: TalkbackSettings {
            on: true,
            dim_db: -20.0,
            cues: [false; CUE_COUNT],
            to_main: true,
            ..TalkbackSettings::default()
        },
        ..EngineSettings::default()
    };
    let want = run_engine(
        RATE as f32,
        InputLayout::Stereo,
        &settings,
        &input,
        &[BLOCK],
        &[],
        false,
    );
    assert_bit_identical(&got, &want);
    let dim = db_to_lin(-20.0);
    for (out, programme) in got.main.iter().zip(&input) {
        let want: Vec<f32> = programme.iter().map(|x| x * dim).collect();
        assert!(max_abs_diff(out, &want) < 1e-6);
    }
    plugin.deactivate();
}

/// Runs `plugin` (active, processing) one block per bus shape for every input port after the
/// main one, and checks the main output against `main_want` (finite, never the 9.0 garbage).
fn run_every_bus_shape(plugin: &mut PluginInstance, main_want: &dyn Fn(usize, f32) -> f32) {
    let in_ports = plugin.audio_ports(true);
    let out_ports = plugin.audio_ports(false);
    for bus in BUSES {
        for target in 1..in_ports.len() {
            let mut buffers = ProcessBuffers::new(BLOCK as u32);
            for (i, p) in in_ports.iter().enumerate() {
                let data = (0..p.channel_count as usize)
                    .map(|c| lcg_noise((10 * i + c) as u32, 0.3, BLOCK))
                    .collect();
                let shape = if i == target { bus } else { Bus::Live };
                buffers.inputs.push(if i == 0 {
                    AudioPort::from_channels(data)
                } else {
                    port(shape, data)
                });
            }
            for p in &out_ports {
                buffers.outputs.push(AudioPort::from_channels(vec![
                    vec![9.0; BLOCK];
                    p.channel_count as usize
                ]));
            }
            let main_in = buffers.inputs[0].channels.clone();
            plugin.process(&mut buffers, &[]).expect("process");
            for (ch, input) in main_in.iter().enumerate().take(2) {
                for (i, &x) in buffers.outputs[0].channel(ch).iter().enumerate() {
                    let want = main_want(ch, input[i]);
                    assert!(
                        (x - want).abs() < 1e-6,
                        "{bus:?} on input port {target}, ch {ch} sample {i}: {x} vs {want}"
                    );
                }
            }
            for cue in &buffers.outputs[1..] {
                for x in cue.channels.iter().flatten() {
                    assert!(x.is_finite() && x.abs() <= 1.0, "{bus:?}: cue sample {x}");
                }
            }
        }
    }
}

#[test]
fn both_plugins_run_with_every_input_bus_active_inactive_null_and_half_null() {
    let gain_lin = db_to_lin(-6.0);
    // The insert and the Monitor at −6 dB, talk on to every cue (not main): main is the
    // input at −6 dB whatever the buses carry.
    let settings: &[(&str, &str)] = &[
        ("main_gain", "-6.0"),
        ("talk", "On"),
        ("cue_on_1", "On"),
        ("cue_on_2", "On"),
    ];
    let mut plugin = insert();
    set_by_flush(&mut plugin, settings);
    plugin.activate_and_start(RATE, BLOCK as u32);
    run_every_bus_shape(&mut plugin, &|_, x| x * gain_lin);
    plugin.deactivate();

    let mut plugin = cuewire();
    plugin
        .select_audio_ports_config_named(LAYOUT_STEREO_CUES)
        .unwrap();
    set_by_flush(&mut plugin, settings);
    plugin.activate_and_start(RATE, BLOCK as u32);
    run_every_bus_shape(&mut plugin, &|_, x| x * gain_lin);
    plugin.deactivate();

    // Pairs on aux: a live right pair is decoded into the right ear; with any other shape
    // of its bus (or of the talk bus), the left pair is decoded into both ears.
    let mut plugin = cuewire();
    set_by_flush(&mut plugin, &[("in_pairs", "On")]);
    plugin.activate_and_start(RATE, BLOCK as u32);
    let main = [lcg_noise(1, 0.3, BLOCK), lcg_noise(2, 0.3, BLOCK)];
    let pair = [lcg_noise(3, 0.3, BLOCK), lcg_noise(4, 0.3, BLOCK)];
    let decode = |[hot, cold]: &[Vec<f32>; 2]| -> Vec<f32> {
        hot.iter().zip(cold).map(|(h, c)| (h - c) * 0.5).collect()
    };
    for bus in BUSES {
        let mut buffers = ProcessBuffers::new(BLOCK as u32)
            .with_input(AudioPort::from_channels(main.to_vec()))
            .with_input(port(bus, pair.to_vec()))
            .with_input(port(bus, vec![lcg_noise(5, 0.3, BLOCK)]))
            .with_output(AudioPort::silent(2, BLOCK));
        for _ in 0..CUE_COUNT {
            buffers = buffers.with_output(AudioPort::silent(2, BLOCK));
        }
        plugin.process(&mut buffers, &[]).expect("process");
        let right = if bus == Bus::Live { &pair } else { &main };
        for (ch, want) in [decode(&main), decode(right)].iter().enumerate() {
            let err = max_abs_diff(buffers.outputs[0].channel(ch), want);
            assert!(err < 1e-6, "{bus:?}: ear {ch} off by {err}");
        }
    }
    plugin.deactivate();
}

#[test]
fn vst3_plugins_run_with_every_input_bus_active_inactive_null_and_half_null() {
    let gain_lin = db_to_lin(-6.0);
    for (plugin, ins, outs) in [
        (Vst3Instance::cuewire_insert().unwrap(), &[2u32, 2][..], 1),
        (
            Vst3Instance::cuewire().unwrap(),
            &[2u32, 2, 1][..],
            1 + CUE_COUNT,
        ),
    ] {
        let gain = plugin.param_id("Main gain").unwrap();
        let minus_6 = plugin.normalized_of(gain, -6.0);
        assert_eq!(plugin.set_normalized(gain, minus_6), kResultOk);
        plugin.activate(RATE, BLOCK as u32).unwrap();
        assert_eq!(plugin.set_processing(true), kResultOk);
        for bus in BUSES {
            for target in 1..ins.len() {
                let mut buffers = ProcessBuffers::new(BLOCK as u32);
                for (i, &channels) in ins.iter().enumerate() {
                    let data = (0..channels as usize)
                        .map(|c| lcg_noise((10 * i + c) as u32, 0.3, BLOCK))
                        .collect();
                    let shape = if i == target { bus } else { Bus::Live };
                    buffers.inputs.push(port(shape, data));
                }
                for _ in 0..outs {
                    buffers
                        .outputs
                        .push(AudioPort::from_channels(vec![vec![9.0; BLOCK]; 2]));
                }
                let main_in = buffers.inputs[0].channels.clone();
                assert_eq!(plugin.process(&mut buffers, &[]), kResultOk);
                for (ch, input) in main_in.iter().enumerate() {
                    let out = buffers.outputs[0].channel(ch);
                    for (i, (&x, &v)) in out.iter().zip(input).enumerate() {
                        assert!(
                            (x - v * gain_lin).abs() < 1e-6,
                            "{bus:?} on bus {target}, ch {ch} sample {i}: {x}"
                        );
                    }
                }
            }
        }
        plugin.deactivate();
    }
}
