//! Plugin state and parameter identity: every parameter's id, name, range, default and unit is
//! frozen here (a rename or a range change fails CI); saving is deterministic; a state that is
//! hand-edited, from a newer version, of the wrong kinds, or cut short is completed with
//! defaults or refused, never a crash. The CLAP end-to-end side lives in cuewire-tests.

use cuewire::params::{
    CrossfeedParam, CueModeParam, CueSourceParam, CuewireParams, InputModeParam, ListenParam,
};
use cuewire::shared::{SettingsData, DEFAULT_HOLD_MS};
use cuewire::state::SETTINGS_FIELD;
use cuewire::CuewireMonitor;
use nice_plug::plugin::ParamValue;
use nice_plug::prelude::*;
use std::collections::BTreeMap;

/// (id, name, min, max, default, step count, unit) of every parameter. Never edit a row's id;
/// a changed name or range must be a deliberate decision, reflected here.
type Frozen = (
    &'static str,
    String,
    f32,
    f32,
    f32,
    Option<usize>,
    &'static str,
);

fn frozen() -> Vec<Frozen> {
    let b = |id, name: &str, default: f32| (id, name.to_owned(), 0.0, 1.0, default, Some(1), "");
    let mut rows: Vec<Frozen> = vec![
        b("bypass", "Bypass", 0.0),
        ("in_mode", "Input mode".into(), 0.0, 6.0, 0.0, Some(6), ""),
        (
            "in_trim_l",
            "Cold trim L".into(),
            -3.0,
            3.0,
            0.0,
            None,
            " dB",
        ),
        (
            "in_trim_r",
            "Cold trim R".into(),
            -3.0,
            3.0,
            0.0,
            None,
            " dB",
        ),
        b("in_inv_l", "Invert L", 0.0),
        b("in_inv_r", "Invert R", 0.0),
        (
            "main_gain",
            "Main gain".into(),
            -60.0,
            24.0,
            0.0,
            None,
            " dB",
        ),
        b("main_dim", "Main dim", 0.0),
        b("main_mute", "Main mute", 0.0),
        b("main_guard", "Ear guard", 1.0),
        (
            "main_ceiling",
            "Ceiling".into(),
            -20.0,
            0.0,
            0.0,
            None,
            " dB",
        ),
        ("main_xfeed", "Crossfeed".into(), 0.0, 4.0, 0.0, Some(4), ""),
        (
            "main_xf_cut",
            "Crossfeed cut".into(),
            300.0,
            2000.0,
            700.0,
            None,
            " Hz",
        ),
        (
            "main_xf_feed",
            "Crossfeed feed".into(),
            1.0,
            15.0,
            4.5,
            None,
            " dB",
        ),
        b("in_pairs", "Right pair on aux input", 0.0),
        ("listen", "Listen".into(), 0.0, 4.0, 0.0, Some(4), ""),
        b("talk", "Talk", 0.0),
        (
            "talk_db",
            "Talk level".into(),
            -40.0,
            12.0,
            0.0,
            None,
            " dB",
        ),
        (
            "talk_dim_db",
            "Talk dim".into(),
            -40.0,
            0.0,
            -15.0,
            None,
            " dB",
        ),
        b("talk_main", "Talk to main", 0.0),
    ];
    const CUE_IDS: [[&str; 7]; 4] = [
        [
            "cue_on_1",
            "cue_src_1",
            "cue_gain_1",
            "cue_mute_1",
            "cue_mode_1",
            "cue_ceiling_1",
            "cue_talk_1",
        ],
        [
            "cue_on_2",
            "cue_src_2",
            "cue_gain_2",
            "cue_mute_2",
            "cue_mode_2",
            "cue_ceiling_2",
            "cue_talk_2",
        ],
        [
            "cue_on_3",
            "cue_src_3",
            "cue_gain_3",
            "cue_mute_3",
            "cue_mode_3",
            "cue_ceiling_3",
            "cue_talk_3",
        ],
        [
            "cue_on_4",
            "cue_src_4",
            "cue_gain_4",
            "cue_mute_4",
            "cue_mode_4",
            "cue_ceiling_4",
            "cue_talk_4",
        ],
    ];
    for (i, [on, src, gain, mute, mode, ceiling, talk]) in CUE_IDS.into_iter().enumerate() {
        let n = i + 1;
        rows.extend([
            b(on, &format!("Cue {n} on"), 0.0),
            (src, format!("Cue {n} source"), 0.0, 1.0, 0.0, Some(1), ""),
            (gain, format!("Cue {n} gain"), -60.0, 12.0, 0.0, None, " dB"),
            b(mute, &format!("Cue {n} mute"), 0.0),
            (mode, format!("Cue {n} mode"), 0.0, 3.0, 0.0, Some(3), ""),
            (
                ceiling,
                format!("Cue {n} ceiling"),
                -20.0,
                0.0,
                0.0,
                None,
                " dB",
            ),
            b(talk, &format!("Cue {n} talk"), 1.0),
        ]);
    }
    rows
}

#[test]
fn every_parameter_id_name_range_default_and_unit_is_frozen() {
    let params = CuewireParams::default();
    let map = params.param_map();
    let want = frozen();
    let mut ids: Vec<&str> = map.iter().map(|(id, _, _)| id.as_str()).collect();
    let mut want_ids: Vec<&str> = want.iter().map(|row| row.0).collect();
    ids.sort_unstable();
    want_ids.sort_unstable();
    assert_eq!(ids, want_ids, "the parameter ids changed");
    for (id, name, min, max, default, steps, unit) in &want {
        let (_, p, _) = map.iter().find(|(i, _, _)| i == id).unwrap();
        // SAFETY: `params` outlives `map`.
        let got = unsafe {
            (
                p.name().to_owned(),
                p.preview_plain(0.0),
                p.preview_plain(1.0),
                p.default_plain_value(),
                p.step_count(),
                p.unit(),
            )
        };
        assert_eq!(
            got,
            (name.clone(), *min, *max, *default, *steps, *unit),
            "parameter {id}"
        );
        let is_bypass = unsafe { p.flags() }.contains(ParamFlags::BYPASS);
        assert_eq!(is_bypass, *id == "bypass", "{id}: bypass flag");
    }
    // Enum values are saved by these ids: they are frozen too.
    assert_eq!(
        InputModeParam::ids(),
        Some(&["stereo", "auto", "left", "right", "mono", "swap", "balanced"][..])
    );
    assert_eq!(
        CrossfeedParam::ids(),
        Some(&["off", "bs2b", "cmoy", "jmeier", "custom"][..])
    );
    assert_eq!(CueSourceParam::ids(), Some(&["pre", "post"][..]));
    assert_eq!(
        CueModeParam::ids(),
        Some(&["stereo", "mono", "left", "right"][..])
    );
    assert_eq!(
        ListenParam::ids(),
        Some(&["off", "cue1", "cue2", "cue3", "cue4"][..])
    );
    println!(
        "{} parameter ids, names, ranges, defaults and units frozen",
        want.len()
    );
}

/// The state nice-plug saves for `params` (its documented format: plain values by id, enums by
/// their stable id, persisted fields as JSON strings).
fn saved(params: &CuewireParams) -> PluginState {
    let values: BTreeMap<String, ParamValue> = params
        .param_map()
        .into_iter()
        .map(|(id, p, _)| {
            // SAFETY: `params` outlives the pointers.
            let value = unsafe {
                match p {
                    ParamPtr::FloatParam(p) => ParamValue::F32((*p).unmodulated_plain_value()),
                    ParamPtr::IntParam(p) => ParamValue::I32((*p).unmodulated_plain_value()),
                    ParamPtr::BoolParam(p) => ParamValue::Bool((*p).unmodulated_plain_value()),
                    ParamPtr::EnumParam(p) => {
                        ParamValue::String((*p).unmodulated_plain_id().unwrap().to_owned())
                    }
                }
            };
            (id, value)
        })
        .collect();
    PluginState {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        params: values,
        fields: params.serialize_fields(),
    }
}

fn json(state: &PluginState) -> Vec<u8> {
    serde_json::to_vec(state).unwrap()
}

/// What a host load does before applying: parse, then the plugin's `filter_state`.
fn load(bytes: &[u8]) -> Option<PluginState> {
    let mut state: PluginState = serde_json::from_slice(bytes).ok()?;
    CuewireMonitor::filter_state(&mut state);
    Some(state)
}

#[test]
fn saving_is_deterministic_and_a_complete_state_loads_unchanged() {
    let params = CuewireParams::default();
    let first = json(&saved(&params));
    assert_eq!(first, json(&saved(&params)), "two saves differ");
    assert_eq!(
        first,
        json(&saved(&CuewireParams::default())),
        "two instances differ"
    );
    let loaded = load(&first).expect("our own state parses");
    assert_eq!(
        json(&loaded),
        first,
        "completing a complete state changed it"
    );
    println!(
        "state: {} bytes, deterministic, loads unchanged",
        first.len()
    );
}

#[test]
fn a_hand_edited_state_takes_defaults_for_what_is_missing() {
    let mut state = saved(&CuewireParams::default());
    let defaults = state.clone();
    // The user's edits: values we must keep.
    state
        .params
        .insert("main_ceiling".into(), ParamValue::F32(-6.0));
    state
        .params
        .insert("in_mode".into(), ParamValue::String("mono".into()));
    state
        .fields
        .insert(SETTINGS_FIELD.into(), r#"{"full_scale_dbu": 4.0}"#.into());
    // Removed by hand.
    for id in ["main_gain", "cue_on_3", "bypass", "main_xfeed"] {
        state.params.remove(id);
    }
    let loaded = load(&json(&state)).unwrap();
    for id in ["main_gain", "cue_on_3", "bypass", "main_xfeed"] {
        assert_eq!(
            format!("{:?}", loaded.params[id]),
            format!("{:?}", defaults.params[id]),
            "{id}"
        );
    }
    assert!(matches!(loaded.params["main_ceiling"], ParamValue::F32(v) if v == -6.0));
    assert!(matches!(&loaded.params["in_mode"], ParamValue::String(s) if s == "mono"));
    let settings: SettingsData = serde_json::from_str(&loaded.fields[SETTINGS_FIELD]).unwrap();
    assert_eq!(settings.full_scale_dbu, 4.0);
    assert_eq!(
        settings.hold_ms, DEFAULT_HOLD_MS,
        "a missing setting takes its default"
    );

    // The persisted settings removed or garbled altogether.
    for garbage in [
        None,
        Some("{"),
        Some("\"loud\""),
        Some(r#"{"hold_ms": "long"}"#),
    ] {
        let mut state = saved(&CuewireParams::default());
        match garbage {
            None => state.fields.clear(),
            Some(g) => {
                state.fields.insert(SETTINGS_FIELD.into(), g.into());
            }
        }
        let loaded = load(&json(&state)).unwrap();
        let settings: SettingsData = serde_json::from_str(&loaded.fields[SETTINGS_FIELD]).unwrap();
        assert_eq!(settings, SettingsData::default(), "settings {garbage:?}");
    }
}

#[test]
fn a_newer_or_wrongly_typed_state_loads_what_is_known_and_defaults_the_rest() {
    let mut state = saved(&CuewireParams::default());
    let defaults = state.clone();
    state.version = "99.1.0".into();
    state
        .params
        .insert("main_loudness".into(), ParamValue::F32(3.0));
    state
        .params
        .insert("cue_on_5".into(), ParamValue::Bool(true));
    state
        .params
        .insert("main_gain".into(), ParamValue::F32(-6.0));
    state.params.insert("main_dim".into(), ParamValue::F32(1.0)); // wrong kind
    state
        .params
        .insert("main_xfeed".into(), ParamValue::String("hrtf".into())); // unknown id
    state.params.insert("cue_mode_2".into(), ParamValue::I32(9)); // out of range
    state
        .params
        .insert("cue_gain_1".into(), ParamValue::String("loud".into()));
    state.fields.insert("spatial".into(), "{}".into());
    state.fields.insert(
        SETTINGS_FIELD.into(),
        r#"{"full_scale_dbu": 18.0, "new_option": [1, 2, 3]}"#.into(),
    );
    // JSON itself may carry members this version has never heard of.
    let mut text = String::from_utf8(json(&state)).unwrap();
    text.insert_str(1, r#""schema": 7, "#);
    let loaded = load(text.as_bytes()).expect("a newer state still parses");
    assert!(!loaded.params.contains_key("main_loudness"));
    assert!(!loaded.params.contains_key("cue_on_5"));
    assert!(matches!(loaded.params["main_gain"], ParamValue::F32(v) if v == -6.0));
    for id in ["main_dim", "main_xfeed", "cue_mode_2", "cue_gain_1"] {
        assert_eq!(
            format!("{:?}", loaded.params[id]),
            format!("{:?}", defaults.params[id]),
            "{id}"
        );
    }
    let settings: SettingsData = serde_json::from_str(&loaded.fields[SETTINGS_FIELD]).unwrap();
    assert_eq!(settings.full_scale_dbu, 18.0);
    assert_eq!(loaded.params.len(), defaults.params.len());
}

#[test]
fn empty_truncated_or_random_bytes_are_refused_or_completed_never_a_crash() {
    let full = json(&saved(&CuewireParams::default()));
    let (mut refused, mut completed) = (0, 0);
    // Every truncation of a real state, empty included.
    for len in 0..full.len() {
        match load(&full[..len]) {
            None => refused += 1,
            Some(state) => {
                completed += 1;
                assert_eq!(state.params.len(), frozen().len());
            }
        }
    }
    // Random bytes, and random single-byte corruptions of a real state.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for case in 0..2000 {
        let bytes: Vec<u8> = if case % 2 == 0 {
            (0..next() % 256).map(|_| next() as u8).collect()
        } else {
            let mut b = full.clone();
            let at = (next() as usize) % b.len();
            b[at] = next() as u8;
            b
        };
        match load(&bytes) {
            None => refused += 1,
            Some(state) => {
                completed += 1;
                assert_eq!(state.params.len(), frozen().len());
            }
        }
    }
    println!(
        "{} truncations + 2000 random/corrupted states: {refused} refused at parsing, \
         {completed} parsed and completed",
        full.len()
    );
    assert!(load(b"").is_none() && load(b"{}").is_none() && load(b"null").is_none());
}
