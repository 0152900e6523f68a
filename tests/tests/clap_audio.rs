//! Cuewire's audio through its CLAP entry point compared with the engine run directly:
//! stereo, mono, balanced pairs and one-ear input, automation at sample offsets, a parameter
//! flush outside process, and state save/load.

mod common;

use common::*;
use cuewire_dsp::crossfeed::CrossfeedSetting;
use cuewire_dsp::cue::{CueMode, CueSource};
use cuewire_dsp::engine::EngineSettings;
use cuewire_dsp::input::{InputLayout, InputMode};
use cuewire_testkit::{lcg_noise, rms, sine};

const RATE: f64 = 48_000.0;
const MAX_BLOCK: usize = 512;

/// A stereo programme: two tones and a little noise, different per side.
fn programme(n: usize) -> Vec<Vec<f32>> {
    vec![
        add(&sine(RATE, 440.0, 0.0, 0.4, n), &lcg_noise(1, 0.05, n)),
        add(
            &sine(RATE, 660.0, 1.0f64.to_degrees(), 0.3, n),
            &lcg_noise(2, 0.05, n),
        ),
    ]
}

/// The settings `set_by_flush(MIXED)` asks for, written out from params.rs by hand.
const MIXED: &[(&str, &str)] = &[
    ("main_gain", "-6.0"),
    ("main_xfeed", "bs2b default"),
    ("main_ceiling", "-3.0"),
    ("cue_on_1", "On"),
    ("cue_src_1", "Post"),
    ("cue_on_2", "On"),
    ("cue_mode_2", "Mono"),
    ("cue_gain_2", "-12.0"),
    ("cue_on_4", "On"),
    ("cue_mode_4", "Left → both"),
    ("cue_gain_4", "6.0"),
];

fn mixed_settings() -> EngineSettings {
    let mut s = EngineSettings::default();
    s.main.gain_db = -6.0;
    s.main.ceiling_db = -3.0;
    s.crossfeed = CrossfeedSetting::Bs2bDefault;
    s.cues[0].on = true;
    s.cues[0].source = CueSource::Post;
    s.cues[1].on = true;
    s.cues[1].mode = CueMode::Mono;
    s.cues[1].output.gain_db = -12.0;
    s.cues[3].on = true;
    s.cues[3].mode = CueMode::LeftToBoth;
    s.cues[3].output.gain_db = 6.0;
    s
}

/// An instance in `layout` with `settings` flushed before activation, active and processing.
fn prepared(layout: &str, settings: &[(&str, &str)]) -> cuewire_tests::PluginInstance {
    let mut plugin = cuewire();
    plugin.select_audio_ports_config_named(layout).unwrap();
    set_by_flush(&mut plugin, settings);
    plugin.activate_and_start(RATE, MAX_BLOCK as u32);
    plugin
}

#[test]
fn default_parameters_are_the_engine_defaults() {
    // The reference runs below build EngineSettings by hand from EngineSettings::default().
    assert_eq!(
        cuewire::params::CuewireParams::default().engine_settings(),
        EngineSettings::default()
    );
}

#[test]
fn stereo_with_cues_equals_the_engine() {
    let n = 48_000;
    let input = programme(n);
    let blocks = block_pattern(MAX_BLOCK);
    let mut plugin = prepared(LAYOUT_STEREO_CUES, MIXED);
    let got = run_plugin(&mut plugin, &input, &blocks, &[]);
    let want = run_engine(
        RATE as f32,
        InputLayout::Stereo,
        &mixed_settings(),
        &input,
        &blocks,
        &[],
        true,
    );
    assert_bit_identical(&got, &want);
    // The settings took effect. Cue 1 is post-fader at 0 dB: exactly the main output. Cue 4
    // is pre-fader, left to both at +6 dB: the left input × 10^(6/20). Cue 2 is a mono fold.
    assert_eq!(got.cues[0], got.main, "post cue at 0 dB = main out");
    let gain = 10f32.powf(6.0 / 20.0);
    for side in &got.cues[3] {
        let err = side
            .iter()
            .zip(&input[0])
            .map(|(o, x)| (o - gain * x).abs())
            .fold(0.0, f32::max);
        assert!(err < 1e-6, "cue 4 off by {err}");
    }
    assert_eq!(got.cues[1][0], got.cues[1][1], "mono cue: both sides equal");
    assert!(
        got.cues[2][0]
            .iter()
            .chain(&got.cues[2][1])
            .all(|&x| x == 0.0),
        "cue 3 off"
    );
}

#[test]
fn automation_at_sample_offsets_equals_the_engine() {
    let n = 16_384;
    let input = programme(n);
    let blocks = block_pattern(MAX_BLOCK);
    let mut plugin = prepared(LAYOUT_STEREO, &[]);
    let gain_m12 = clap_value(&plugin, "main_gain", "-12.0");
    let gain_p3 = clap_value(&plugin, "main_gain", "3.0");
    let events = [
        (700, pid("main_gain"), gain_m12), // inside the first 512 block
        (2_050, pid("main_mute"), 1.0),
        (6_001, pid("main_mute"), 0.0),
        (6_001, pid("main_gain"), gain_p3),
        (9_999, pid("main_dim"), 1.0),
    ];
    let got = run_plugin(&mut plugin, &input, &blocks, &events);
    let s0 = EngineSettings::default();
    let mut s1 = s0;
    s1.main.gain_db = -12.0;
    let mut s2 = s1;
    s2.main.mute = true;
    let mut s3 = s2;
    s3.main.mute = false;
    s3.main.gain_db = 3.0;
    let mut s4 = s3;
    s4.main.dim = true;
    let changes = [(700, s1), (2_050, s2), (6_001, s3), (9_999, s4)];
    let want = run_engine(
        RATE as f32,
        InputLayout::Stereo,
        &s0,
        &input,
        &blocks,
        &changes,
        false,
    );
    assert_bit_identical(&got, &want);
    // Muted for most of 2050..6001: the output is silent once the ramp is done.
    assert!(got.main[0][4_000..6_000].iter().all(|&x| x == 0.0));
}

#[test]
fn mono_input_equals_the_engine() {
    let n = 24_000;
    let input = vec![add(&sine(RATE, 300.0, 0.0, 0.5, n), &lcg_noise(3, 0.02, n))];
    let blocks = block_pattern(MAX_BLOCK);
    let mut plugin = prepared(LAYOUT_MONO_CUES, MIXED);
    let got = run_plugin(&mut plugin, &input, &blocks, &[]);
    let want = run_engine(
        RATE as f32,
        InputLayout::Mono,
        &mixed_settings(),
        &input,
        &blocks,
        &[],
        true,
    );
    assert_bit_identical(&got, &want);
    // Mono reaches both ears.
    assert!(rms(&got.main[1]) > 0.1);
}

/// Hot and cold legs of a balanced line carrying `signal`, with `hum` picked up equally by
/// both legs.
fn balanced(signal: &[f32], hum: &[f32]) -> (Vec<f32>, Vec<f32>) {
    (add(signal, hum), add(&neg(signal), hum))
}

#[test]
fn balanced_pairs_equal_the_engine_and_reject_hum() {
    let n = 48_000;
    let sig_l = sine(RATE, 1_000.0, 0.0, 0.25, n);
    let sig_r = sine(RATE, 1_500.0, 0.5f64.to_degrees(), 0.2, n);
    let hum = add(
        &sine(RATE, 50.0, 0.0, 0.3, n),
        &sine(RATE, 150.0, 0.0, 0.1, n),
    );
    let (hot_l, cold_l) = balanced(&sig_l, &hum);
    let (hot_r, cold_r) = balanced(&sig_r, &hum);
    let input = vec![hot_l, cold_l, hot_r, cold_r];
    let blocks = block_pattern(MAX_BLOCK);
    let mut plugin = prepared(LAYOUT_PAIRS_CUES, MIXED);
    let got = run_plugin(&mut plugin, &input, &blocks, &[]);
    let want = run_engine(
        RATE as f32,
        InputLayout::BalancedPairs,
        &mixed_settings(),
        &input,
        &blocks,
        &[],
        true,
    );
    assert_bit_identical(&got, &want);

    // Without gain or crossfeed the decode is (hot − cold)/2 = the signal: the hum is gone.
    let mut plain = prepared(LAYOUT_PAIRS, &[]);
    let out = run_plugin(&mut plain, &input, &blocks, &[]);
    for (ear, sig) in [(0, &sig_l), (1, &sig_r)] {
        let residual: Vec<f32> = out.main[ear]
            .iter()
            .zip(sig.iter())
            .map(|(o, s)| o - s)
            .collect();
        let rejection_db = 20.0 * (rms(&hum) / rms(&residual).max(1e-12)).log10();
        assert!(
            rejection_db > 100.0,
            "ear {ear}: hum rejected by only {rejection_db:.1} dB"
        );
    }
}

#[test]
fn one_ear_feed_reaches_both_ears_like_the_engine() {
    let n = 48_000;
    let left = add(&sine(RATE, 500.0, 0.0, 0.3, n), &lcg_noise(5, 0.02, n));
    let input = vec![left, vec![0.0; n]];
    let blocks = block_pattern(MAX_BLOCK);
    let mut plugin = prepared(LAYOUT_STEREO, &[("in_mode", "Auto fix")]);
    let got = run_plugin(&mut plugin, &input, &blocks, &[]);
    let mut s = EngineSettings::default();
    s.input.mode = InputMode::AutoFix;
    let want = run_engine(
        RATE as f32,
        InputLayout::Stereo,
        &s,
        &input,
        &blocks,
        &[],
        false,
    );
    assert_bit_identical(&got, &want);
    // After the detector qualifies (250 ms) and crossfades (10 ms), the right ear carries the
    // left channel: over the last half second the two ears are equal.
    let tail = n / 2..n;
    assert_eq!(got.main[0][tail.clone()], got.main[1][tail.clone()]);
    assert!(rms(&got.main[1][tail]) > 0.2);
}

#[test]
fn flush_outside_process_sets_parameters() {
    let mut plugin = cuewire();
    plugin
        .select_audio_ports_config_named(LAYOUT_STEREO)
        .unwrap();
    let g = pid("main_gain");
    // Inactive: the host may flush at any time on the main thread.
    let value = clap_value(&plugin, "main_gain", "-20.0");
    let out = plugin
        .flush_params(&[cuewire_tests::ParamEvent::new(0, g, value)])
        .unwrap();
    assert!(
        out.is_empty(),
        "a host-driven change is not echoed back: {out:?}"
    );
    assert_eq!(plugin.param_value(g), Some(value));
    assert_eq!(
        plugin
            .value_to_text(g, plugin.param_value(g).unwrap())
            .as_deref(),
        Some("-20.0 dB")
    );
    // Active but not processing: flush is allowed too.
    assert!(plugin.activate(RATE, 1, MAX_BLOCK as u32));
    plugin
        .flush_params(&[cuewire_tests::ParamEvent::new(0, pid("main_dim"), 1.0)])
        .unwrap();
    assert_eq!(plugin.param_value(pid("main_dim")), Some(1.0));
    assert!(plugin.start_processing());
    let n = 4_096;
    let input = programme(n);
    let blocks = block_pattern(MAX_BLOCK);
    let got = run_plugin(&mut plugin, &input, &blocks, &[]);
    // Activated at −20 dB, then dim switched on while inactive-to-processing: nice-plug calls
    // the plugin's reset() in start_processing, which reads the parameters and snaps the ramps,
    // so dim acts from the first sample, as if the engine had been built with it.
    let mut s = EngineSettings::default();
    s.main.gain_db = -20.0;
    s.main.dim = true;
    let want = run_engine(
        RATE as f32,
        InputLayout::Stereo,
        &s,
        &input,
        &blocks,
        &[],
        false,
    );
    assert_bit_identical(&got, &want);
}

#[test]
fn state_round_trip_gives_identical_parameters_output_and_bytes() {
    let mut a = cuewire();
    a.select_audio_ports_config_named(LAYOUT_STEREO_CUES)
        .unwrap();
    set_by_flush(&mut a, MIXED);
    set_by_flush(
        &mut a,
        &[
            ("in_trim_l", "-1.25"),
            ("main_xf_cut", "950"),
            ("in_inv_r", "On"),
        ],
    );
    let saved = a.save_state().unwrap();
    assert!(saved.len() > 8, "state has a length prefix and JSON");
    assert_eq!(
        u64::from_le_bytes(saved[..8].try_into().unwrap()) as usize,
        saved.len() - 8
    );

    // The JSON after the length is nice-plug's PluginState, the format `cuewire render
    // --state` reads and `--save-state` writes: plain values by id, enum ids as strings.
    let json: serde_json::Value = serde_json::from_slice(&saved[8..]).unwrap();
    assert_eq!(json["params"]["main_gain"]["f32"].as_f64(), Some(-6.0));
    assert_eq!(json["params"]["in_trim_l"]["f32"].as_f64(), Some(-1.25));
    assert_eq!(json["params"]["main_xfeed"]["string"], "bs2b");
    assert_eq!(json["params"]["cue_mode_4"]["string"], "left");
    assert_eq!(json["params"]["in_inv_r"]["bool"], true);
    assert_eq!(json["params"].as_object().unwrap().len(), 88);
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));

    let mut b = cuewire();
    b.select_audio_ports_config_named(LAYOUT_STEREO_CUES)
        .unwrap();
    assert!(b.load_state(&saved));
    for p in a.params() {
        assert_eq!(b.param_value(p.id), a.param_value(p.id), "{}", p.name);
    }
    assert_eq!(
        b.save_state().unwrap(),
        saved,
        "second save is byte-identical"
    );

    // Short reads from the host's stream load the same state.
    let mut c = cuewire();
    assert!(c.load_state_chunked(&saved, 7));
    assert_eq!(c.save_state().unwrap(), saved);

    let n = 24_000;
    let input = programme(n);
    let blocks = block_pattern(MAX_BLOCK);
    a.activate_and_start(RATE, MAX_BLOCK as u32);
    b.activate_and_start(RATE, MAX_BLOCK as u32);
    let out_a = run_plugin(&mut a, &input, &blocks, &[]);
    let out_b = run_plugin(&mut b, &input, &blocks, &[]);
    assert_bit_identical(&out_b, &out_a);
    let mut s = mixed_settings();
    s.input.cold_trim_db[0] = -1.25;
    s.input.invert[1] = true;
    s.crossfeed = CrossfeedSetting::Bs2bDefault; // cut only applies to Custom
    let want = run_engine(
        RATE as f32,
        InputLayout::Stereo,
        &s,
        &input,
        &blocks,
        &[],
        true,
    );
    assert_bit_identical(&out_a, &want);
}

#[test]
fn empty_or_garbage_state_is_refused_without_harm() {
    let mut plugin = cuewire();
    let defaults = plugin.save_state().unwrap();
    let json_len = |s: &[u8]| (s.len() as u64).to_le_bytes().to_vec();
    let mut not_json = json_len(b"this is not json");
    not_json.extend_from_slice(b"this is not json");
    let mut wrong_shape = json_len(b"[1,2,3]");
    wrong_shape.extend_from_slice(b"[1,2,3]");
    let mut truncated = defaults.clone();
    truncated.truncate(defaults.len() / 2);
    let mut huge_length = u64::MAX.to_le_bytes().to_vec();
    huge_length.extend_from_slice(&defaults[8..]);
    let cases: [(&str, Vec<u8>); 7] = [
        ("empty", Vec::new()),
        ("3 bytes", vec![1, 2, 3]),
        (
            "noise",
            lcg_noise(9, 1.0, 300)
                .iter()
                .map(|x| x.to_bits() as u8)
                .collect(),
        ),
        ("not json", not_json),
        ("wrong shape", wrong_shape),
        ("truncated", truncated),
        ("huge length", huge_length),
    ];
    for (name, bytes) in &cases {
        assert!(!plugin.load_state(bytes), "{name}: refused");
        assert_eq!(
            plugin.save_state().unwrap(),
            defaults,
            "{name}: parameters untouched"
        );
    }
    // Still a working plugin afterwards.
    plugin
        .select_audio_ports_config_named(LAYOUT_STEREO)
        .unwrap();
    plugin.activate_and_start(RATE, 64);
    let input = programme(640);
    let out = run_plugin(&mut plugin, &input, &[64], &[]);
    assert_eq!(out.main.to_vec(), input);
}

#[test]
fn in_place_processing_equals_separate_buffers() {
    let n = 8_192;
    let input = programme(n);
    let blocks = block_pattern(MAX_BLOCK);
    let mut separate = prepared(LAYOUT_STEREO, MIXED);
    let want = run_plugin(&mut separate, &input, &blocks, &[]);
    let mut in_place = prepared(LAYOUT_STEREO, MIXED);
    let options = cuewire_tests::ProcessOptions {
        in_place_main: true,
        ..Default::default()
    };
    let mut got = [Vec::new(), Vec::new()];
    let mut pos = 0;
    for &len in blocks.iter().cycle() {
        if pos >= n {
            break;
        }
        let len = len.min(n - pos);
        let chans = input.iter().map(|c| c[pos..pos + len].to_vec()).collect();
        let mut buffers = cuewire_tests::ProcessBuffers::new(len as u32)
            .with_input(cuewire_tests::AudioPort::from_channels(chans))
            .with_output(cuewire_tests::AudioPort::silent(2, len));
        in_place.process_with(&mut buffers, &[], options).unwrap();
        for (dst, src) in got.iter_mut().zip(&buffers.inputs[0].channels) {
            dst.extend_from_slice(src);
        }
        // The separate output buffer was never touched.
        assert!(buffers.outputs[0]
            .channels
            .iter()
            .flatten()
            .all(|&x| x == 0.0));
        pos += len;
    }
    assert_eq!(got, want.main);
}
