//! The VST3 controller reports what `setParamNormalized` set at once, whether or not audio is
//! processing, and a state save writes the latest values, including changes the audio thread
//! has not seen yet (Steinberg's validator, "Parameter Bypass persistence"; a script setting
//! Main gain −6 dB and saving before the audio engine ran a cycle).

use cuewire_tests::Vst3Instance;
use vst3::Steinberg::kResultOk;

const RATE: f64 = 48_000.0;
const MAX_FRAMES: u32 = 512;

/// Titles and plain values set through the controller: a float, a bool and an enum.
const SETTINGS: [(&str, f64); 4] = [
    ("Main gain", -6.0),
    ("Bypass", 1.0),
    ("Input mode", 6.0),
    ("Cue 1 on", 1.0),
];

/// Sets every entry of [`SETTINGS`] through the controller and checks the controller reports
/// each at once; returns (id, normalized) pairs.
fn set_all(plugin: &Vst3Instance) -> Vec<(u32, f64)> {
    SETTINGS
        .iter()
        .map(|&(title, plain)| {
            let id = plugin.param_id(title).expect("parameter");
            let value = plugin.normalized_of(id, plain);
            assert_ne!(
                plugin.normalized(id),
                value,
                "{title}: already at the test value"
            );
            assert_eq!(plugin.set_normalized(id, value), kResultOk, "{title}");
            let reported = plugin.normalized(id);
            assert!(
                (reported - value).abs() < 1e-6,
                "{title}: controller reports {reported} right after setting {value}"
            );
            (id, value)
        })
        .collect()
}

/// Loads `state` into a fresh instance and checks its controller reports `values`.
fn assert_loads_as(state: &[u8], values: &[(u32, f64)]) {
    let other = Vst3Instance::cuewire().expect("VST3 instance");
    assert_eq!(other.load_state(state), kResultOk, "state refused");
    for &(id, value) in values {
        let got = other.normalized(id);
        assert!(
            (got - value).abs() < 1e-6,
            "parameter {id}: reloaded as {got}, saved as {value}"
        );
    }
}

#[test]
fn values_set_on_the_controller_while_processing_are_reported_and_saved_before_any_block() {
    let plugin = Vst3Instance::cuewire().expect("VST3 instance");
    plugin.activate(RATE, MAX_FRAMES).expect("activate");
    assert_eq!(plugin.set_processing(true), kResultOk);
    let values = set_all(&plugin);
    // No audio block has run: the save must still carry the new values.
    let state = plugin.save_state().expect("save");
    assert_loads_as(&state, &values);
}

#[test]
fn values_set_on_the_controller_while_inactive_are_reported_and_saved() {
    let plugin = Vst3Instance::cuewire().expect("VST3 instance");
    let values = set_all(&plugin);
    let state = plugin.save_state().expect("save");
    assert_loads_as(&state, &values);
}

#[test]
fn a_state_load_replaces_values_the_controller_set_during_processing() {
    let saved = Vst3Instance::cuewire().expect("VST3 instance");
    let defaults = saved.save_state().expect("save");
    let plugin = Vst3Instance::cuewire().expect("VST3 instance");
    plugin.activate(RATE, MAX_FRAMES).expect("activate");
    assert_eq!(plugin.set_processing(true), kResultOk);
    let values = set_all(&plugin);
    plugin.deactivate();
    assert_eq!(plugin.load_state(&defaults), kResultOk);
    for (id, value) in values {
        let got = plugin.normalized(id);
        assert!(
            (got - value).abs() > 1e-3,
            "parameter {id}: still reports the controller's {value} after loading defaults"
        );
    }
}
