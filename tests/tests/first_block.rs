//! Settings made before any audio has run since activation act from sample 0, unramped, as an
//! offline renderer expects when it sets Input mode = Balanced pair and then processes a file from
//! its start: in the first block's events at offset 0 (CLAP and VST3), through `params.flush`
//! before the first block (CLAP), or through the VST3 controller while processing is on. Changes
//! after the first block keep their ramps. Run with `--nocapture` to see the measured numbers.

mod common;

use common::{add, clap_value, cuewire, neg, pid, run_plugin, set_by_flush};
use cuewire_testkit::{rms, sine};
use cuewire_tests::{AudioPort, ParamEvent, ProcessBuffers, Vst3Instance};

const RATE: f64 = 48_000.0;
const MAX_FRAMES: u32 = 512;
/// Length of the programme: long enough that a ramp's 480 samples are a small part of it.
const FRAMES: usize = 48_000;

/// A 1 kHz signal on a balanced pair with 50 Hz + 150 Hz hum on both legs: (hot, cold, signal,
/// hum).
fn hum_pair() -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
    let signal = sine(RATE, 1_000.0, 0.0, 0.25, FRAMES);
    let hum = add(
        &sine(RATE, 50.0, 0.0, 0.3, FRAMES),
        &sine(RATE, 150.0, 0.0, 0.1, FRAMES),
    );
    (add(&signal, &hum), add(&neg(&signal), &hum), signal, hum)
}

/// Hum rejection in dB of both output ears against the pair's signal, over every sample.
fn rejection_db(out: &[Vec<f32>; 2], signal: &[f32], hum: &[f32]) -> f64 {
    out.iter()
        .map(|ear| {
            let residual: Vec<f32> = ear.iter().zip(signal).map(|(o, s)| o - s).collect();
            20.0 * (rms(hum) / rms(&residual).max(1e-30)).log10()
        })
        .fold(f64::INFINITY, f64::min)
}

/// A CLAP instance in the stereo layout (no cues), not yet active.
fn stereo_instance() -> cuewire_tests::PluginInstance {
    let mut plugin = cuewire();
    plugin
        .select_audio_ports_config_named(common::LAYOUT_STEREO)
        .expect("layout");
    plugin
}

#[test]
fn clap_balanced_pair_set_in_the_first_blocks_events_rejects_hum_from_sample_0() {
    let (hot, cold, signal, hum) = hum_pair();
    let mut plugin = stereo_instance();
    plugin.activate_and_start(RATE, MAX_FRAMES);
    let mode = clap_value(&plugin, "in_mode", "Balanced pair");
    let out = run_plugin(
        &mut plugin,
        &[hot.clone(), cold.clone()],
        &[MAX_FRAMES as usize],
        &[(0, pid("in_mode"), mode)],
    );
    let db = rejection_db(&out.main, &signal, &hum);
    println!("CLAP, first block's event at offset 0: hum rejected by {db:.1} dB");
    assert!(db > 120.0, "hum rejected by only {db:.1} dB");

    // The same through params.flush after activation, before the first block.
    let mut plugin = stereo_instance();
    assert!(plugin.activate(RATE, 1, MAX_FRAMES));
    set_by_flush(&mut plugin, &[("in_mode", "Balanced pair")]);
    assert!(plugin.start_processing());
    let out = run_plugin(&mut plugin, &[hot, cold], &[MAX_FRAMES as usize], &[]);
    let db = rejection_db(&out.main, &signal, &hum);
    println!("CLAP, flush before the first block: hum rejected by {db:.1} dB");
    assert!(db > 120.0, "hum rejected by only {db:.1} dB");
}

#[test]
fn clap_changes_after_the_first_block_still_ramp() {
    let mut plugin = stereo_instance();
    plugin.activate_and_start(RATE, MAX_FRAMES);
    let minus_6 = clap_value(&plugin, "main_gain", "-6.0");
    let n = 4 * MAX_FRAMES as usize;
    let input = vec![vec![0.5f32; n]; 2];
    // −6 dB in the first block at offset 0 acts at once; 0 dB in the second block ramps.
    let zero = clap_value(&plugin, "main_gain", "0.0");
    let at = MAX_FRAMES as usize;
    let out = run_plugin(
        &mut plugin,
        &input,
        &[MAX_FRAMES as usize],
        &[(0, pid("main_gain"), minus_6), (at, pid("main_gain"), zero)],
    );
    let want_lin = 0.5 * 10f32.powf(-6.0 / 20.0);
    let l = &out.main[0];
    assert!(
        l[..at].iter().all(|&x| (x - want_lin).abs() <= 1e-6),
        "first block not at −6 dB from sample 0: {:?}",
        &l[..4]
    );
    // The later change ramps: it starts near −6 dB and reaches 0 dB only after some samples.
    assert!(
        (l[at] - want_lin).abs() < 0.01,
        "the later change jumped: {} at its first sample",
        l[at]
    );
    assert!(
        (l[n - 1] - 0.5).abs() <= 1e-6,
        "ramp never ended: {}",
        l[n - 1]
    );
}

/// Runs `hot`/`cold` through the VST3 instance in blocks of `MAX_FRAMES`, with `first_events`
/// (VST3 normalized values) in the first block; returns both output ears.
fn vst3_run(
    plugin: &Vst3Instance,
    hot: &[f32],
    cold: &[f32],
    first_events: &[ParamEvent],
) -> [Vec<f32>; 2] {
    let mut out = [Vec::with_capacity(hot.len()), Vec::with_capacity(hot.len())];
    let mut pos = 0;
    while pos < hot.len() {
        let len = (MAX_FRAMES as usize).min(hot.len() - pos);
        let mut buffers = ProcessBuffers::new(len as u32)
            .with_input(AudioPort::from_channels(vec![
                hot[pos..pos + len].to_vec(),
                cold[pos..pos + len].to_vec(),
            ]))
            .with_output(AudioPort::from_channels(vec![vec![9.0; len]; 2]));
        // The cue buses, as a host that leaves them on hands them over.
        for _ in 0..4 {
            buffers = buffers.with_output(AudioPort::silent(2, len));
        }
        let events = if pos == 0 { first_events } else { &[] };
        assert_eq!(
            plugin.process(&mut buffers, events),
            vst3::Steinberg::kResultOk
        );
        out[0].extend_from_slice(buffers.outputs[0].channel(0));
        out[1].extend_from_slice(buffers.outputs[0].channel(1));
        pos += len;
    }
    out
}

#[test]
fn vst3_balanced_pair_set_before_playback_rejects_hum_from_sample_0() {
    let (hot, cold, signal, hum) = hum_pair();

    // A JUCE-style host: controller first, then the same value at offset 0 of the first block.
    let plugin = Vst3Instance::cuewire().expect("VST3 instance");
    let id = plugin.param_id("Input mode").expect("Input mode");
    plugin.activate(RATE, MAX_FRAMES).expect("activate");
    assert_eq!(plugin.set_processing(true), vst3::Steinberg::kResultOk);
    let balanced = plugin.normalized_of(id, 6.0);
    assert_eq!(
        plugin.set_normalized(id, balanced),
        vst3::Steinberg::kResultOk
    );
    let out = vst3_run(&plugin, &hot, &cold, &[ParamEvent::new(0, id, balanced)]);
    let db = rejection_db(&out, &signal, &hum);
    println!("VST3, controller + first block's queue at offset 0: hum rejected by {db:.1} dB");
    assert!(db > 120.0, "hum rejected by only {db:.1} dB");

    // Set on the controller before activation (no audio runs), no event in the process data.
    let plugin = Vst3Instance::cuewire().expect("VST3 instance");
    assert_eq!(
        plugin.set_normalized(id, balanced),
        vst3::Steinberg::kResultOk
    );
    plugin.activate(RATE, MAX_FRAMES).expect("activate");
    assert_eq!(plugin.set_processing(true), vst3::Steinberg::kResultOk);
    let out = vst3_run(&plugin, &hot, &cold, &[]);
    let db = rejection_db(&out, &signal, &hum);
    println!("VST3, controller before activation: hum rejected by {db:.1} dB");
    assert!(db > 120.0, "hum rejected by only {db:.1} dB");
}
