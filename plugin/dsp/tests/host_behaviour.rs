//! What a host sees around the engine: bypass switches without a click and keeps the meters
//! reading the input; after construction (activation), a reset, or a snap (state load) the
//! settings act from the very first sample, with no ramp from the defaults.
//! Run with `--nocapture` to see the measured numbers.

use cuewire_dsp::engine::{Engine, EngineSettings};
use cuewire_dsp::input::InputLayout;
use cuewire_dsp::output::GAIN_RAMP_MS;
use cuewire_dsp::units::db_to_lin;
use cuewire_testkit::max_step;

const RATE: f32 = 48_000.0;

fn with_gain(gain_db: f32) -> EngineSettings {
    let mut s = EngineSettings::default();
    s.main.gain_db = gain_db;
    s
}

#[test]
fn bypass_switches_click_free_and_meters_keep_reading_the_input() {
    // DC at 0.5 through a −20 dB main: the output steps only by what the switch does, so the
    // largest step is the switch's own. A hard switch would step by 0.45 at once.
    let level = 0.5f32;
    let g = db_to_lin(-20.0);
    let ramp = (GAIN_RAMP_MS * 0.001 * RATE).round() as usize;
    let s = with_gain(-20.0);
    let mut by = s;
    by.bypass = true;
    let mut engine = Engine::new(RATE, InputLayout::Stereo, &s);
    let n = 4 * ramp;
    let mut out = Vec::with_capacity(3 * n);
    let mut readings = Vec::new();
    for settings in [s, by, s] {
        engine.set_settings(&settings);
        let (mut l, mut r) = (vec![level; n], vec![level; n]);
        engine.process_main(&mut l, &mut r, None);
        out.extend_from_slice(&l);
        readings.push(engine.read_meters());
    }
    let step = max_step(&out);
    let bound = f64::from(level * (1.0 - g)) / ramp as f64;
    println!(
        "bypass on/off on 0.5 DC through −20 dB: max step {step:.3e} (linear crossfade over \
         {ramp} samples: {bound:.3e}; hard switch {:.3})",
        level * (1.0 - g)
    );
    // The ramp accumulates in f32 and its last step lands exactly on the target, so one step
    // may carry the accumulated rounding: allow 1 % over the ideal crossfade (0.1 % of a hard switch).
    assert!(step <= bound * 1.01, "max step {step}, bound {bound}");
    assert_eq!(out[n - 1], level * g);
    assert_eq!(out[2 * n - 1], level, "bypassed: the input bit for bit");
    assert_eq!(out[3 * n - 1], level * g);
    // While bypassed the main meter reads what leaves the plugin (the input) and the input meter
    // still reads the input.
    let bypassed = &readings[1];
    assert_eq!(bypassed.main.sample_peak_lin, [level; 2]);
    assert_eq!(bypassed.input.sample_peak_lin, [level; 2]);
    assert_eq!(readings[0].main.sample_peak_lin, [level * g; 2]);
}

#[test]
fn settings_act_from_the_first_sample_after_activation_reset_and_snap() {
    let x: Vec<f32> = (0..64)
        .map(|i| 0.5 * ((i as f32) * 0.3).sin() + 0.25)
        .collect();
    let g = db_to_lin(-6.0);
    let check = |engine: &mut Engine, what: &str| {
        let (mut l, mut r) = (x.clone(), x.clone());
        engine.process_main(&mut l, &mut r, None);
        let first_gain_db = 20.0 * (l[0] / x[0]).log10();
        println!("{what}: first sample at {first_gain_db:.4} dB (setting −6 dB)");
        for (i, (&y, &v)) in l.iter().zip(&x).enumerate() {
            assert_eq!(y, v * g, "{what}: sample {i}");
        }
    };
    // Activation: a new engine with the settings.
    let mut engine = Engine::new(RATE, InputLayout::Stereo, &with_gain(-6.0));
    check(&mut engine, "new() at −6 dB");
    // Host reset after a change that would otherwise ramp.
    let mut engine = Engine::new(RATE, InputLayout::Stereo, &with_gain(0.0));
    engine.set_settings(&with_gain(-6.0));
    engine.reset();
    check(&mut engine, "reset() after 0 → −6 dB");
    // State load while running: the plugin calls set_settings then snap.
    let mut engine = Engine::new(RATE, InputLayout::Stereo, &with_gain(0.0));
    let (mut l, mut r) = (x.clone(), x.clone());
    engine.process_main(&mut l, &mut r, None);
    engine.set_settings(&with_gain(-6.0));
    engine.snap();
    check(&mut engine, "snap() after 0 → −6 dB");
}
