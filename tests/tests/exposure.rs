//! The listeners' sound exposure is saved with the project: a state saved after a loud tone
//! carries the exposure and when it grew; loaded into a new instance it goes on growing from
//! there, unless it is a week old or more (ITU-T H.870's weekly allowance), then it starts at 0.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use cuewire::shared::{ExposureData, EXPOSURE_MAX_AGE_S};
use cuewire::state::EXPOSURE_FIELD;
use cuewire_testkit::sine;
use cuewire_tests::PluginInstance;

const RATE: f64 = 48_000.0;
const BLOCK: usize = 4096;

/// Exposure (Pa²h) of `seconds` at 94 dB(A) SPL: p² = (20 µPa)²·10^9.4 = 1.00475 Pa².
fn exposure_at_94_db(seconds: f64) -> f64 {
    (20e-6f64).powi(2) * 10f64.powf(9.4) * seconds / 3600.0
}

fn unix_now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An active instance whose main output plays a full-scale sine at 114 dB SPL (full scale
/// 1 V RMS, no amp, 114 dB SPL/V), so a −20 dBFS 1 kHz sine reads 94 dB(A).
fn calibrated() -> PluginInstance {
    let mut plugin = cuewire();
    plugin
        .select_audio_ports_config_named(LAYOUT_STEREO)
        .unwrap();
    set_by_flush(
        &mut plugin,
        &[("main_fullscale", "1 V"), ("main_sens", "114")],
    );
    plugin
}

/// Plays `seconds` of a −20 dBFS 1 kHz sine on both channels.
fn play_tone(plugin: &mut PluginInstance, seconds: f64) {
    let tone = sine(RATE, 1000.0, 0.0, 0.1, (seconds * RATE) as usize);
    run_plugin(plugin, &[tone.clone(), tone], &[BLOCK], &[]);
}

/// The exposure a saved state carries.
fn saved_exposure(state: &[u8]) -> ExposureData {
    let json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
    let field = json["fields"][EXPOSURE_FIELD]
        .as_str()
        .expect("exposure saved");
    serde_json::from_str(field).unwrap()
}

/// `state` with every output's exposure time moved to `unix_s`.
fn with_time(state: &[u8], unix_s: u64) -> Vec<u8> {
    let mut json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
    let mut exposure = saved_exposure(state);
    exposure.updated_unix_s = [unix_s; 5];
    json["fields"][EXPOSURE_FIELD] = serde_json::to_string(&exposure).unwrap().into();
    let body = serde_json::to_vec(&json).unwrap();
    let mut out = (body.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

fn assert_close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= want * 0.005,
        "{what}: {got} Pa²h, want {want} Pa²h"
    );
}

#[test]
fn exposure_is_saved_with_the_project_and_restored_for_a_week() {
    let before = unix_now_s();
    let mut a = calibrated();
    a.activate_and_start(RATE, BLOCK as u32);
    play_tone(&mut a, 60.0);
    let saved = a.save_state().unwrap();
    let exposure = saved_exposure(&saved);
    let one_minute = exposure_at_94_db(60.0);
    assert_close(exposure.pa2h[0], one_minute, "main after 60 s at 94 dB(A)");
    assert!((before..=unix_now_s()).contains(&exposure.updated_unix_s[0]));
    // No cue ports in this layout: their meters heard silence (the filters' denormal guard,
    // −360 dBFS, leaves a few 1e-37 Pa²h).
    assert!(
        exposure.pa2h[1..].iter().all(|&e| e < 1e-30),
        "{exposure:?}"
    );
    println!("60 s at 94 dB(A): {} Pa²h saved", exposure.pa2h[0]);

    // Loaded before activation: the dose goes on from the saved value.
    let main_after_30_s = |plugin: &mut PluginInstance| {
        play_tone(plugin, 30.0);
        saved_exposure(&plugin.save_state().unwrap()).pa2h[0]
    };
    let loaded = |state: &[u8]| {
        let mut plugin = calibrated();
        assert!(plugin.load_state(state));
        plugin.activate_and_start(RATE, BLOCK as u32);
        plugin
    };
    let ninety_s = exposure_at_94_db(90.0);
    assert_close(main_after_30_s(&mut loaded(&saved)), ninety_s, "restored");

    // Loaded while running: the same.
    let mut c = calibrated();
    c.activate_and_start(RATE, BLOCK as u32);
    play_tone(&mut c, 1.0);
    assert!(c.load_state(&saved));
    assert_close(main_after_30_s(&mut c), ninety_s, "loaded while active");

    // Kept over a deactivation (a sample-rate change, say).
    c.deactivate();
    c.activate_and_start(RATE, BLOCK as u32);
    let two_minutes = exposure_at_94_db(120.0);
    assert_close(main_after_30_s(&mut c), two_minutes, "after reactivation");

    // A state saved before anyone listened (a preset, say) leaves the current dose alone.
    let untouched = calibrated().save_state().unwrap();
    assert!(c.load_state(&untouched));
    let two_and_a_half = exposure_at_94_db(150.0);
    assert_close(main_after_30_s(&mut c), two_and_a_half, "preset loaded");

    // A week old: it no longer counts; only the new listening does.
    let week_old = with_time(&saved, unix_now_s() - EXPOSURE_MAX_AGE_S - 1);
    let thirty_s = exposure_at_94_db(30.0);
    assert_close(
        main_after_30_s(&mut loaded(&week_old)),
        thirty_s,
        "week old",
    );
    // Six days old still counts.
    let recent = with_time(&saved, unix_now_s() - EXPOSURE_MAX_AGE_S + 24 * 3600);
    assert_close(
        main_after_30_s(&mut loaded(&recent)),
        ninety_s,
        "six days old",
    );
}
