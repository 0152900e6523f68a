//! Cuewire through its CLAP entry point: descriptor, audio-port configurations, parameters,
//! latency and the activation lifecycle, checked against plugin/src/lib.rs and params.rs.

mod common;

use common::*;
use cuewire::params::{COLD_TRIM_RANGE_DB, MAIN_GAIN_MAX_DB, MAIN_GAIN_MIN_DB};
use cuewire_dsp::crossfeed::{CUT_MAX_HZ, CUT_MIN_HZ, FEED_MAX_DB, FEED_MIN_DB};
use cuewire_dsp::cue::{CUE_GAIN_MAX_DB, CUE_GAIN_MIN_DB};
use cuewire_dsp::output::{CEILING_MAX_DB, CEILING_MIN_DB};
use cuewire_dsp::talkback::{
    TALK_DIM_DEFAULT_DB, TALK_DIM_MIN_DB, TALK_LEVEL_MAX_DB, TALK_LEVEL_MIN_DB,
};
use cuewire_testkit::{lcg_noise, sine};
use cuewire_tests::{
    AudioPort, Host, ParamEvent, ProcessBuffers, ProcessStatus, CUEWIRE_CLAP_ID,
    CUEWIRE_INSERT_CLAP_ID, INVALID_ID,
};

use clap_sys::ext::audio_ports::CLAP_AUDIO_PORT_IS_MAIN;
use clap_sys::ext::params::{CLAP_PARAM_IS_BYPASS, CLAP_PARAM_IS_STEPPED};

#[test]
fn descriptor_and_features() {
    let host = Host::cuewire().unwrap();
    let descriptors = host.descriptors();
    assert_eq!(
        descriptors.len(),
        2,
        "the insert and the monitor in the factory"
    );
    let ids: Vec<&str> = descriptors.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, [CUEWIRE_INSERT_CLAP_ID, CUEWIRE_CLAP_ID]);
    for (d, name, description) in [
        (
            &descriptors[0],
            "Cuewire",
            "Headphone monitoring insert: balanced-pair decoding, one-ear aux fix, ear guard and meters",
        ),
        (
            &descriptors[1],
            "Cuewire Monitor",
            "Headphone monitor with four cue outputs and talkback: balanced-pair decoding, one-ear aux fix, ear guard and meters",
        ),
    ] {
        assert_eq!(d.name, name);
        assert_eq!(d.vendor, "Cuewire");
        assert_eq!(d.url, "https://cuewire.invalid");
        assert_eq!(d.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(d.description, description);
        assert_eq!(d.manual_url, "");
        assert_eq!(d.support_url, "");
        assert_eq!(
            d.features,
            ["audio-effect", "utility", "analyzer", "stereo", "mono"]
        );
        // The instance reports the same descriptor as the factory.
        assert_eq!(&host.create_plugin(&d.id).unwrap().descriptor(), d);
    }
    // An unknown id is refused, not crashed on.
    assert!(host.create_plugin("audio.cuewire.nope").is_err());
}

/// One expected port: name, channel count, CLAP port type.
type Port = (&'static str, u32, &'static str);

/// The expected ports of one configuration (plugin/src/lib.rs `LAYOUTS`).
struct Layout {
    name: &'static str,
    inputs: Vec<Port>,
    outputs: Vec<Port>,
}

/// Every layout the plugin offers, in order. The main ports are named "Input" and "Output":
/// the plugin leaves their names unset because nice-plug's `main_output_name()` returns the
/// *input's* name when one is set, so naming the input (say "Hot L / Cold L") would mislabel
/// the output too; unset, nice-plug falls back to its defaults for both.
fn expected_layouts() -> Vec<Layout> {
    let cues: Vec<Port> = (1..=4)
        .map(|n| (["Cue 1", "Cue 2", "Cue 3", "Cue 4"][n - 1], 2, "stereo"))
        .collect();
    let out = |with_cues: bool| {
        let mut v = vec![("Output", 2, "stereo")];
        if with_cues {
            v.extend(cues.iter().copied());
        }
        v
    };
    let stereo_in = vec![("Input", 2, "stereo")];
    let mono_in = vec![("Input", 1, "mono")];
    let pair = ("Hot R / Cold R", 2, "stereo");
    let talk = ("Talkback", 1, "mono");
    let talk_stereo = ("Talkback", 2, "stereo");
    let with = |main: &Vec<Port>, aux: &[Port]| {
        let mut v = main.clone();
        v.extend_from_slice(aux);
        v
    };
    vec![
        Layout {
            name: LAYOUT_STEREO_CUES,
            inputs: with(&stereo_in, &[pair, talk]),
            outputs: out(true),
        },
        Layout {
            name: LAYOUT_STEREO,
            inputs: stereo_in.clone(),
            outputs: out(false),
        },
        Layout {
            name: LAYOUT_MONO_CUES,
            inputs: with(&mono_in, &[pair, talk]),
            outputs: out(true),
        },
        Layout {
            name: LAYOUT_MONO,
            inputs: mono_in.clone(),
            outputs: out(false),
        },
        Layout {
            name: LAYOUT_PAIRS_CUES,
            inputs: with(&stereo_in, &[pair, talk]),
            outputs: out(true),
        },
        Layout {
            name: LAYOUT_PAIRS,
            inputs: with(&stereo_in, &[pair]),
            outputs: out(false),
        },
        Layout {
            name: "Stereo + 4 cues, stereo talkback",
            inputs: with(&stereo_in, &[pair, talk_stereo]),
            outputs: out(true),
        },
        Layout {
            name: "Mono in, stereo out + 4 cues, stereo talkback",
            inputs: with(&mono_in, &[pair, talk_stereo]),
            outputs: out(true),
        },
    ]
}

#[test]
fn every_audio_ports_configuration() {
    let mut plugin = cuewire();
    let configs = plugin.audio_ports_configs();
    let expected = expected_layouts();
    assert_eq!(configs.len(), 8);
    // Before any select the default (first) layout is current.
    assert_eq!(plugin.audio_ports(true).len(), 3);
    assert_eq!(plugin.audio_ports(false).len(), 5);
    for (config, want) in configs.iter().zip(&expected) {
        assert_eq!(config.name, want.name);
        assert_eq!(
            config.input_port_count as usize,
            want.inputs.len(),
            "{}",
            want.name
        );
        assert_eq!(
            config.output_port_count as usize,
            want.outputs.len(),
            "{}",
            want.name
        );
        assert_eq!(
            config.main_input_channels,
            Some(want.inputs[0].1),
            "{}",
            want.name
        );
        assert_eq!(config.main_input_port_type, want.inputs[0].2);
        assert_eq!(config.main_output_channels, Some(2));
        assert_eq!(config.main_output_port_type, "stereo");

        assert!(
            plugin.select_audio_ports_config(config.id),
            "select {}",
            want.name
        );
        for (is_input, ports) in [(true, &want.inputs), (false, &want.outputs)] {
            let got = plugin.audio_ports(is_input);
            assert_eq!(
                got.len(),
                ports.len(),
                "{} ports of {}",
                if is_input { "input" } else { "output" },
                want.name
            );
            for (index, (info, &(name, channels, port_type))) in
                got.iter().zip(ports.iter()).enumerate()
            {
                let ctx = format!(
                    "{} {} port {index}",
                    want.name,
                    if is_input { "input" } else { "output" }
                );
                assert_eq!(info.name, name, "{ctx}");
                assert_eq!(info.channel_count, channels, "{ctx}");
                assert_eq!(info.port_type, port_type, "{ctx}");
                assert_eq!(
                    info.flags & CLAP_AUDIO_PORT_IS_MAIN != 0,
                    index == 0,
                    "{ctx}: main flag"
                );
                // nice-plug numbers inputs 0.. and outputs after them.
                let base = if is_input {
                    0
                } else {
                    want.inputs.len() as u32
                };
                assert_eq!(info.id, base + index as u32, "{ctx}: id");
                // Main in and out pair up for in-place processing only with equal channel counts.
                let pair = match (index, want.inputs[0].1 == 2) {
                    (0, true) if is_input => want.inputs.len() as u32,
                    (0, true) => 0,
                    _ => INVALID_ID,
                };
                assert_eq!(info.in_place_pair, pair, "{ctx}: in-place pair");
            }
            assert!(plugin.audio_port(is_input, ports.len() as u32).is_none());
        }
        // Every configuration activates and processes.
        plugin.activate_and_start(48_000.0, 64);
        let mut buffers = plugin.silent_buffers(64);
        assert_eq!(
            plugin.process(&mut buffers, &[]).unwrap(),
            ProcessStatus::ContinueIfNotQuiet
        );
        plugin.deactivate();
    }
    assert!(
        !plugin.select_audio_ports_config(8),
        "an unknown config id is refused"
    );
}

/// What a parameter should look like to a host.
struct Expected {
    id: String,
    name: String,
    module: String,
    /// Step count for stepped parameters (bool 1, enums variants − 1).
    steps: Option<u32>,
    /// Texts at normalized 0 and 1 for continuous parameters.
    ends: Option<(String, String)>,
    default_text: String,
    bypass: bool,
}

fn db1(x: f32) -> String {
    format!("{x:.1} dB")
}

fn float(
    id: &str,
    name: &str,
    module: &str,
    min: String,
    max: String,
    default: String,
) -> Expected {
    Expected {
        id: id.into(),
        name: name.into(),
        module: module.into(),
        steps: None,
        ends: Some((min, max)),
        default_text: default,
        bypass: false,
    }
}

fn stepped(id: &str, name: &str, module: &str, steps: u32, default: &str) -> Expected {
    Expected {
        id: id.into(),
        name: name.into(),
        module: module.into(),
        steps: Some(steps),
        ends: None,
        default_text: default.into(),
        bypass: false,
    }
}

/// Every parameter from plugin/src/params.rs.
fn expected_params() -> Vec<Expected> {
    let trim = |x: f32| format!("{x:.2} dB");
    let mut v = vec![
        Expected {
            bypass: true,
            ..stepped("bypass", "Bypass", "", 1, "Off")
        },
        stepped("in_mode", "Input mode", "Input", 6, "Stereo"),
        float(
            "in_trim_l",
            "Cold trim L",
            "Input",
            trim(-COLD_TRIM_RANGE_DB),
            trim(COLD_TRIM_RANGE_DB),
            trim(0.0),
        ),
        float(
            "in_trim_r",
            "Cold trim R",
            "Input",
            trim(-COLD_TRIM_RANGE_DB),
            trim(COLD_TRIM_RANGE_DB),
            trim(0.0),
        ),
        stepped("in_inv_l", "Invert L", "Input", 1, "Off"),
        stepped("in_inv_r", "Invert R", "Input", 1, "Off"),
        float(
            "main_gain",
            "Main gain",
            "Main",
            db1(MAIN_GAIN_MIN_DB),
            db1(MAIN_GAIN_MAX_DB),
            db1(0.0),
        ),
        stepped("main_dim", "Main dim", "Main", 1, "Off"),
        stepped("main_mute", "Main mute", "Main", 1, "Off"),
        stepped("main_guard", "Ear guard", "Main", 1, "On"),
        float(
            "main_ceiling",
            "Ceiling",
            "Main",
            db1(CEILING_MIN_DB),
            db1(CEILING_MAX_DB),
            db1(CEILING_MAX_DB),
        ),
        stepped("main_xfeed", "Crossfeed", "Main", 4, "Off"),
        float(
            "main_xf_cut",
            "Crossfeed cut",
            "Main",
            format!("{CUT_MIN_HZ:.0} Hz"),
            format!("{CUT_MAX_HZ:.0} Hz"),
            "700 Hz".into(),
        ),
        float(
            "main_xf_feed",
            "Crossfeed feed",
            "Main",
            db1(FEED_MIN_DB),
            db1(FEED_MAX_DB),
            db1(4.5),
        ),
        stepped("in_pairs", "Right pair on aux input", "Input", 1, "Off"),
        stepped("listen", "Listen", "Main", 4, "Off"),
        stepped("talk", "Talk", "Talkback", 1, "Off"),
        float(
            "talk_db",
            "Talk level",
            "Talkback",
            db1(TALK_LEVEL_MIN_DB),
            db1(TALK_LEVEL_MAX_DB),
            db1(0.0),
        ),
        float(
            "talk_dim_db",
            "Talk dim",
            "Talkback",
            db1(TALK_DIM_MIN_DB),
            db1(0.0),
            db1(TALK_DIM_DEFAULT_DB),
        ),
        stepped("talk_main", "Talk to main", "Talkback", 1, "Off"),
    ];
    for n in 1..=4 {
        let module = format!("Cue {n}");
        v.extend([
            stepped(
                &format!("cue_on_{n}"),
                &format!("Cue {n} on"),
                &module,
                1,
                "Off",
            ),
            stepped(
                &format!("cue_src_{n}"),
                &format!("Cue {n} source"),
                &module,
                1,
                "Pre",
            ),
            float(
                &format!("cue_gain_{n}"),
                &format!("Cue {n} gain"),
                &module,
                db1(CUE_GAIN_MIN_DB),
                db1(CUE_GAIN_MAX_DB),
                db1(0.0),
            ),
            stepped(
                &format!("cue_mute_{n}"),
                &format!("Cue {n} mute"),
                &module,
                1,
                "Off",
            ),
            stepped(
                &format!("cue_mode_{n}"),
                &format!("Cue {n} mode"),
                &module,
                3,
                "Stereo",
            ),
            float(
                &format!("cue_ceiling_{n}"),
                &format!("Cue {n} ceiling"),
                &module,
                db1(CEILING_MIN_DB),
                db1(CEILING_MAX_DB),
                db1(CEILING_MAX_DB),
            ),
            stepped(
                &format!("cue_talk_{n}"),
                &format!("Cue {n} talk"),
                &module,
                1,
                "On",
            ),
        ]);
    }
    // Each listener's analog chain and level limit (cues also follow main's by default).
    let ear = |prefix: &str, suffix: &str, name: &str, module: &str| {
        let id = |what: &str| format!("{prefix}_{what}{suffix}");
        vec![
            float(
                &id("fullscale"),
                &format!("{name} full scale"),
                module,
                "-20.0 dBu".into(),
                "30.0 dBu".into(),
                "10.0 dBu".into(),
            ),
            float(
                &id("amp"),
                &format!("{name} amp gain"),
                module,
                db1(-40.0),
                db1(40.0),
                db1(0.0),
            ),
            float(
                &id("sens"),
                &format!("{name} sensitivity"),
                module,
                "60.0 dB SPL".into(),
                "150.0 dB SPL".into(),
                "100.0 dB SPL".into(),
            ),
            stepped(
                &id("sens_unit"),
                &format!("{name} sensitivity unit"),
                module,
                1,
                "dB SPL/V",
            ),
            float(
                &id("imped"),
                &format!("{name} impedance"),
                module,
                "1.0 Ω".into(),
                "2000 Ω".into(),
                "32 Ω".into(),
            ),
            stepped(
                &id("limit"),
                &format!("{name} level limit"),
                module,
                1,
                "Off",
            ),
            float(
                &id("limit_db"),
                &format!("{name} limit level"),
                module,
                "60.0 dB(A)".into(),
                "100.0 dB(A)".into(),
                "80.0 dB(A)".into(),
            ),
        ]
    };
    v.extend(ear("main", "", "Main", "Main"));
    for n in 1..=4 {
        let module = format!("Cue {n}");
        v.extend(ear("cue", &format!("_{n}"), &module, &module));
        v.push(stepped(
            &format!("cue_cal_main_{n}"),
            &format!("Cue {n} calibration as main"),
            &module,
            1,
            "On",
        ));
    }
    v.push(stepped("allowance", "Weekly allowance", "", 1, "Adult"));
    v
}

#[test]
fn every_parameter_id_name_range_and_default() {
    let plugin = cuewire();
    let params = plugin.params();
    let expected = expected_params();
    assert_eq!(params.len(), 88);
    assert_eq!(params.len(), expected.len());
    for want in &expected {
        let id = pid(&want.id);
        let p = params
            .iter()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("parameter {} (CLAP id {id}) missing", want.id));
        assert_eq!(p.name, want.name, "{}", want.id);
        assert_eq!(p.module, want.module, "{}", want.id);
        assert_eq!(p.min_value, 0.0, "{}", want.id);
        assert_eq!(
            p.max_value,
            f64::from(want.steps.unwrap_or(1)),
            "{}",
            want.id
        );
        assert_eq!(
            p.flags & CLAP_PARAM_IS_STEPPED != 0,
            want.steps.is_some(),
            "{}",
            want.id
        );
        assert_eq!(
            p.flags & CLAP_PARAM_IS_BYPASS != 0,
            want.bypass,
            "{}",
            want.id
        );
        assert_eq!(
            plugin.value_to_text(id, p.default_value).as_deref(),
            Some(want.default_text.as_str()),
            "{} default",
            want.id
        );
        assert_eq!(
            plugin.param_value(id),
            Some(p.default_value),
            "{}: starts at its default",
            want.id
        );
        if let Some((lo, hi)) = &want.ends {
            assert_eq!(
                plugin.value_to_text(id, 0.0).as_deref(),
                Some(lo.as_str()),
                "{} min",
                want.id
            );
            assert_eq!(
                plugin.value_to_text(id, 1.0).as_deref(),
                Some(hi.as_str()),
                "{} max",
                want.id
            );
        }
    }
    // Ids are unique (the hash of 88 strings must not collide).
    let mut ids: Vec<u32> = params.iter().map(|p| p.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 88);
}

#[test]
fn value_text_round_trips() {
    let plugin = cuewire();
    let mut checked = 0;
    for p in plugin.params() {
        let values: Vec<f64> = if p.flags & CLAP_PARAM_IS_STEPPED != 0 {
            (0..=p.max_value as u32).map(f64::from).collect()
        } else {
            (0..=20).map(|i| f64::from(i) / 20.0).collect()
        };
        for v in values {
            let text = plugin.value_to_text(p.id, v).expect("value_to_text");
            let back = plugin
                .text_to_value(p.id, &text)
                .unwrap_or_else(|| panic!("{}: text_to_value({text:?}) refused", p.name));
            // The text is the rounded display value, so the value comes back within half a
            // display step; the text itself must come back exactly.
            assert_eq!(
                plugin.value_to_text(p.id, back).as_deref(),
                Some(text.as_str()),
                "{}",
                p.name
            );
            if p.flags & CLAP_PARAM_IS_STEPPED != 0 {
                // nice-plug computes the normalized value in f32 and multiplies it by the step
                // count, so "Auto fix" comes back as 1.0000000298 rather than 1: the right step
                // within f32 precision, not an exact integer.
                assert!(
                    (back - v).abs() < 1e-6,
                    "{}: {text:?} → {back}, want {v}",
                    p.name
                );
            } else {
                // Display steps are at most 0.01 of the normalized range (1 Hz of 1700 on a
                // skewed range near its bottom is the coarsest).
                assert!(
                    (back - v).abs() < 0.01,
                    "{}: {v} → {text:?} → {back}",
                    p.name
                );
            }
            checked += 1;
        }
    }
    // 16 continuous params + 5 per listener (full scale, amp, sensitivity, impedance, limit
    // level) × 21 values, 21 bools + the 5 limits + 4 "calibration as main" × 2, in_mode 7,
    // crossfeed 5, cue source 2 × 4, cue mode 4 × 4, listen 5, sensitivity unit 2 × 5,
    // allowance 2.
    assert_eq!(
        checked,
        (16 + 5 * 5) * 21 + (21 + 5 + 4) * 2 + 7 + 5 + 8 + 16 + 5 + 10 + 2
    );
    // Texts that mean nothing are refused.
    assert_eq!(plugin.text_to_value(pid("main_gain"), "loud"), None);
    assert_eq!(plugin.text_to_value(pid("in_mode"), "Sideways"), None);
    // Units are optional on input and numbers parse.
    let g = pid("main_gain");
    assert_eq!(
        plugin
            .value_to_text(g, plugin.text_to_value(g, "-6").unwrap())
            .as_deref(),
        Some("-6.0 dB")
    );
    assert_eq!(
        plugin
            .value_to_text(g, plugin.text_to_value(g, "-6 dB").unwrap())
            .as_deref(),
        Some("-6.0 dB")
    );
}

#[test]
fn latency_is_zero() {
    let mut plugin = cuewire();
    assert_eq!(plugin.latency(), Some(0));
    for config in plugin.audio_ports_configs() {
        assert!(plugin.select_audio_ports_config(config.id));
        plugin.activate_and_start(96_000.0, 256);
        assert_eq!(plugin.latency(), Some(0), "{}", config.name);
        plugin.deactivate();
    }
    // Latency never changed, so the host was never told it did.
    assert_eq!(plugin.take_host_requests().latency_changed, 0);
}

#[test]
fn activates_at_every_rate_and_block_size() {
    let mut plugin = cuewire();
    plugin
        .select_audio_ports_config_named(LAYOUT_STEREO)
        .unwrap();
    for rate in [44_100.0, 48_000.0, 96_000.0, 192_000.0] {
        for max_frames in [1u32, 2, 32, 64, 100, 512, 1024, 4096, 8192] {
            assert!(
                plugin.activate(rate, 1, max_frames),
                "activate({rate}, 1, {max_frames})"
            );
            assert!(plugin.start_processing());
            // A full block and a one-sample block; default settings pass audio bit for bit.
            for frames in [max_frames, 1] {
                let input = vec![
                    lcg_noise(frames, 0.5, frames as usize),
                    lcg_noise(frames + 1, 0.5, frames as usize),
                ];
                let mut buffers = ProcessBuffers::new(frames)
                    .with_input(AudioPort::from_channels(input.clone()))
                    .with_output(AudioPort::silent(2, frames as usize));
                assert_eq!(
                    plugin.process(&mut buffers, &[]).unwrap(),
                    ProcessStatus::ContinueIfNotQuiet
                );
                assert_eq!(
                    buffers.outputs[0].channels, input,
                    "{rate} Hz, max {max_frames}, block {frames}"
                );
            }
            plugin.deactivate();
        }
    }
    // Every other layout activates at the extremes too, and silence stays silence.
    for config in plugin.audio_ports_configs() {
        assert!(plugin.select_audio_ports_config(config.id));
        for rate in [44_100.0, 192_000.0] {
            for max_frames in [1u32, 8192] {
                plugin.activate_and_start(rate, max_frames);
                let mut buffers = plugin.silent_buffers(max_frames);
                for port in &mut buffers.outputs {
                    port.channels.iter_mut().for_each(|c| c.fill(9.0));
                }
                assert_eq!(
                    plugin.process(&mut buffers, &[]).unwrap(),
                    ProcessStatus::ContinueIfNotQuiet
                );
                let all_zero = buffers
                    .outputs
                    .iter()
                    .flat_map(|p| p.channels.iter().flatten())
                    .all(|&x| x == 0.0);
                assert!(
                    all_zero,
                    "{} at {rate} Hz, max {max_frames}: every output written with silence",
                    config.name
                );
                plugin.deactivate();
            }
        }
    }
}

#[test]
fn reset_and_reactivation_start_from_a_clean_state() {
    let mut plugin = cuewire();
    plugin
        .select_audio_ports_config_named(LAYOUT_STEREO)
        .unwrap();
    // Crossfeed has filter memory, Auto fix a detector: state that reset must clear.
    let flushed = plugin.flush_params(&[
        cuewire_tests::ParamEvent::new(0, pid("main_xfeed"), 3.0),
        cuewire_tests::ParamEvent::new(0, pid("in_mode"), 1.0),
    ]);
    assert!(flushed.is_ok());
    let n = 24_000;
    let input = vec![sine(48_000.0, 440.0, 0.0, 0.5, n), lcg_noise(7, 0.1, n)];
    let blocks = block_pattern(512);
    plugin.activate_and_start(48_000.0, 512);
    let first = run_plugin(&mut plugin, &input, &blocks, &[]);
    plugin.reset();
    let after_reset = run_plugin(&mut plugin, &input, &blocks, &[]);
    assert_bit_identical(&after_reset, &first);
    plugin.deactivate();
    plugin.activate_and_start(48_000.0, 512);
    let after_reactivate = run_plugin(&mut plugin, &input, &blocks, &[]);
    assert_bit_identical(&after_reactivate, &first);
    // And the crossfeed really had state: its output differs from the input.
    assert!(max_abs_diff(&first.main[1], &input[1]) > 0.01);
}

#[test]
fn harness_loads_creates_processes_and_destroys() {
    let mut plugin = cuewire();
    plugin
        .select_audio_ports_config_named(LAYOUT_STEREO)
        .unwrap();
    plugin.activate_and_start(48_000.0, 64);
    let input = vec![vec![0.25f32; 64], vec![-0.5f32; 64]];
    let mut buffers = ProcessBuffers::new(64)
        .with_input(AudioPort::from_channels(input.clone()))
        .with_output(AudioPort::silent(2, 64));
    assert_eq!(
        plugin.process(&mut buffers, &[]).unwrap(),
        ProcessStatus::ContinueIfNotQuiet
    );
    // Default settings are bit-transparent (Stereo mode, 0 dB, no crossfeed).
    assert_eq!(buffers.outputs[0].channels, input);
    // The plugin asked nothing of the host for this.
    assert_eq!(
        plugin.take_host_requests(),
        cuewire_tests::HostRequests::default()
    );
}

#[test]
fn the_insert_has_no_cues_and_runs_with_its_aux_input_inactive() {
    let host = Host::cuewire().unwrap();
    let mut plugin = host.create_plugin(CUEWIRE_INSERT_CLAP_ID).unwrap();
    let names: Vec<String> = plugin
        .audio_ports_configs()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["Stereo", "Mono in, stereo out"]);
    // The default carries every bus: main in, the right pair's input, main out.
    let inputs: Vec<(String, u32)> = plugin
        .audio_ports(true)
        .into_iter()
        .map(|p| (p.name, p.channel_count))
        .collect();
    assert_eq!(
        inputs,
        [("Input".to_owned(), 2), ("Hot R / Cold R".to_owned(), 2)]
    );
    assert_eq!(plugin.audio_ports(false).len(), 1);
    // Main gain −6 dB (normalized over −60..+24 dB), set before activation: it acts from the
    // first sample.
    let minus_6_db = f64::from((-6.0 - MAIN_GAIN_MIN_DB) / (MAIN_GAIN_MAX_DB - MAIN_GAIN_MIN_DB));
    plugin
        .flush_params(&[ParamEvent::new(0, pid("main_gain"), minus_6_db)])
        .unwrap();
    plugin.activate_and_start(48_000.0, 256);
    let gain_lin = 10f32.powf(-6.0 / 20.0);
    // The aux input as a host leaves it when inactive: no channels, null buffers, or silence.
    for aux in [
        AudioPort::zero_channels(),
        AudioPort::null(2),
        AudioPort::silent(2, 256),
    ] {
        let mut buffers = ProcessBuffers::new(256)
            .with_input(AudioPort::from_channels(vec![
                vec![0.5; 256],
                vec![-0.25; 256],
            ]))
            .with_input(aux)
            .with_output(AudioPort::silent(2, 256));
        plugin.process(&mut buffers, &[]).unwrap();
        let out = &buffers.outputs[0];
        for (channel, input) in [(0, 0.5f32), (1, -0.25)] {
            for &x in out.channel(channel) {
                assert!((x - input * gain_lin).abs() < 1e-6, "ch {channel}: {x}");
            }
        }
    }
    plugin.deactivate();
}
