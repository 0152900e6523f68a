//! Plugin state and parameter identity: every parameter's id, name, range, default and unit is
//! frozen here (a rename or a range change fails CI); saving is deterministic; a state that is
//! hand-edited, from a newer version, of the wrong kinds, or cut short is completed with
//! defaults or refused, never a crash. The CLAP end-to-end side lives in cuewire-tests.

use cuewire::param_access::ParamAccess;
use cuewire::params::{
    AllowanceParam, CrossfeedParam, CueModeParam, CueSourceParam, CuewireParams, InputModeParam,
    ListenParam, SensitivityUnitParam,
};
use cuewire::shared::{SettingsData, DEFAULT_HOLD_MS};
use cuewire::state::SETTINGS_FIELD;
use cuewire::CuewireMonitor;
use cuewire_dsp::meter::WeeklyAllowance;
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
    // Each listener's analog chain and level limit: main, then cues 1..4 (each with its switch
    // that follows main's calibration).
    const EAR_IDS: [[&str; 7]; 5] = [
        [
            "main_fullscale",
            "main_amp",
            "main_sens",
            "main_sens_unit",
            "main_imped",
            "main_limit",
            "main_limit_db",
        ],
        [
            "cue_fullscale_1",
            "cue_amp_1",
            "cue_sens_1",
            "cue_sens_unit_1",
            "cue_imped_1",
            "cue_limit_1",
            "cue_limit_db_1",
        ],
        [
            "cue_fullscale_2",
            "cue_amp_2",
            "cue_sens_2",
            "cue_sens_unit_2",
            "cue_imped_2",
            "cue_limit_2",
            "cue_limit_db_2",
        ],
        [
            "cue_fullscale_3",
            "cue_amp_3",
            "cue_sens_3",
            "cue_sens_unit_3",
            "cue_imped_3",
            "cue_limit_3",
            "cue_limit_db_3",
        ],
        [
            "cue_fullscale_4",
            "cue_amp_4",
            "cue_sens_4",
            "cue_sens_unit_4",
            "cue_imped_4",
            "cue_limit_4",
            "cue_limit_db_4",
        ],
    ];
    const CUE_CAL_MAIN_IDS: [&str; 4] = [
        "cue_cal_main_1",
        "cue_cal_main_2",
        "cue_cal_main_3",
        "cue_cal_main_4",
    ];
    for (i, [fs, amp, sens, sens_unit, imped, limit, limit_db]) in EAR_IDS.into_iter().enumerate() {
        let out = match i {
            0 => "Main".to_owned(),
            n => format!("Cue {n}"),
        };
        rows.extend([
            (
                fs,
                format!("{out} full scale"),
                -20.0,
                30.0,
                10.0,
                None,
                " dBu",
            ),
            (
                amp,
                format!("{out} amp gain"),
                -40.0,
                40.0,
                0.0,
                None,
                " dB",
            ),
            (
                sens,
                format!("{out} sensitivity"),
                60.0,
                150.0,
                100.0,
                None,
                " dB SPL",
            ),
            (
                sens_unit,
                format!("{out} sensitivity unit"),
                0.0,
                1.0,
                0.0,
                Some(1),
                "",
            ),
            (
                imped,
                format!("{out} impedance"),
                1.0,
                2000.0,
                32.0,
                None,
                " Ω",
            ),
            b(limit, &format!("{out} level limit"), 0.0),
            (
                limit_db,
                format!("{out} limit level"),
                60.0,
                100.0,
                80.0,
                None,
                " dB(A)",
            ),
        ]);
    }
    for (i, id) in CUE_CAL_MAIN_IDS.into_iter().enumerate() {
        rows.push(b(id, &format!("Cue {} calibration as main", i + 1), 1.0));
    }
    rows.push((
        "allowance",
        "Weekly allowance".into(),
        0.0,
        1.0,
        0.0,
        Some(1),
        "",
    ));
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
    assert_eq!(
        SensitivityUnitParam::ids(),
        Some(&["db_spl_v", "db_spl_mw"][..])
    );
    assert_eq!(AllowanceParam::ids(), Some(&["adult", "sensitive"][..]));
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
        .insert(SETTINGS_FIELD.into(), r#"{"amp_k_v": 4.0}"#.into());
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
    assert_eq!(settings.amp_k_v, 4.0);
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
        r#"{"amp_k_v": 18.0, "new_option": [1, 2, 3]}"#.into(),
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
    assert_eq!(settings.amp_k_v, 18.0);
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

/// Applies a loaded state to fresh parameters, as nice-plug does after `filter_state`.
fn applied(state: &PluginState) -> CuewireParams {
    let params = CuewireParams::default();
    {
        let access = ParamAccess::new(&params);
        for (id, value) in &state.params {
            access.get(id).unwrap().load_saved_value(value).unwrap();
        }
    }
    params.deserialize_fields(&state.fields);
    params
}

/// Sets parameter `id` from a value text, as a host's text entry or the CLI does.
fn set_text(params: &CuewireParams, id: &str, text: &str) {
    let access = ParamAccess::new(params);
    let param = access.get(id).unwrap();
    let normalized = param
        .parse_text(text)
        .unwrap_or_else(|| panic!("{id}={text}"));
    param.set_normalized(normalized);
}

/// SPL (dB) of a full-scale sine for full scale `dbu`, amp gain `amp_db` and sensitivity
/// `db_spl_per_v`, from the definitions: 0 dBu = √0.6 V RMS.
fn spl_at_0dbfs(dbu: f64, amp_db: f64, db_spl_per_v: f64) -> f64 {
    db_spl_per_v + dbu + 20.0 * 0.6f64.sqrt().log10() + amp_db
}

#[test]
fn an_old_states_full_scale_setting_becomes_mains_full_scale_parameter() {
    let new_ids = |id: &str| {
        [
            "fullscale",
            "_amp",
            "_sens",
            "_imped",
            "_limit",
            "cal_main",
            "allowance",
        ]
        .iter()
        .any(|part| id.contains(part))
    };
    let mut old = saved(&CuewireParams::default());
    old.params.retain(|id, _| !new_ids(id));
    old.fields.insert(
        SETTINGS_FIELD.into(),
        r#"{"full_scale_dbu": 4.0, "hold_ms": 3000.0}"#.into(),
    );
    let loaded = load(&json(&old)).unwrap();
    assert!(matches!(loaded.params["main_fullscale"], ParamValue::F32(v) if v == 4.0));
    for n in 1..=4 {
        let id = format!("cue_cal_main_{n}");
        assert!(matches!(loaded.params[&id], ParamValue::Bool(true)), "{id}");
    }
    let params = applied(&loaded);
    assert_eq!(params.settings.get().hold_ms, 3000.0);
    // Every output, cues included (they follow main), plays at the migrated calibration.
    let want = spl_at_0dbfs(4.0, 0.0, 100.0);
    for (i, spl) in params.ear_settings().spl_at_0dbfs_db.iter().enumerate() {
        assert!((f64::from(*spl) - want).abs() < 1e-3, "output {i}: {spl}");
    }

    // A state that has the parameter keeps it; the old setting is ignored.
    let mut both = saved(&CuewireParams::default());
    both.params
        .insert("main_fullscale".into(), ParamValue::F32(12.0));
    both.fields
        .insert(SETTINGS_FIELD.into(), r#"{"full_scale_dbu": 4.0}"#.into());
    let loaded = load(&json(&both)).unwrap();
    assert!(matches!(loaded.params["main_fullscale"], ParamValue::F32(v) if v == 12.0));
    // Out of the parameter's range: clamped to it.
    old.fields
        .insert(SETTINGS_FIELD.into(), r#"{"full_scale_dbu": 40.0}"#.into());
    let loaded = load(&json(&old)).unwrap();
    assert!(matches!(loaded.params["main_fullscale"], ParamValue::F32(v) if v == 30.0));
}

#[test]
fn calibration_parameters_reach_the_ear_meters_in_db_per_volt() {
    let params = CuewireParams::default();
    let spl = |p: &CuewireParams| p.ear_settings().spl_at_0dbfs_db.map(f64::from);
    let close = |got: f64, want: f64| (got - want).abs() < 1e-3;
    // Defaults: +10 dBu, 0 dB amp, 100 dB SPL/V on every output.
    assert!(spl(&params)
        .iter()
        .all(|&s| close(s, spl_at_0dbfs(10.0, 0.0, 100.0))));

    // A 100 dB SPL/mW, 100 Ω headphone: 1 mW into 100 Ω takes √0.1 V, so 1 V makes
    // 100 − 20·log10(√0.1) = 110 dB SPL.
    set_text(&params, "main_sens_unit", "dB SPL/mW");
    set_text(&params, "main_sens", "100 dB SPL");
    set_text(&params, "main_imped", "100 Ω");
    set_text(&params, "main_amp", "6");
    set_text(&params, "main_fullscale", "1 V");
    let main = 110.0 + 6.0;
    assert!(close(spl(&params)[0], main), "{:?}", spl(&params));
    // The same headphone rated per volt gives the same chain; its impedance is not used.
    let by_volt = CuewireParams::default();
    set_text(&by_volt, "main_sens", "110");
    set_text(&by_volt, "main_amp", "6 dB");
    set_text(&by_volt, "main_fullscale", "0 dBV");
    set_text(&by_volt, "main_imped", "600 ohm");
    assert!(close(spl(&by_volt)[0], main), "{:?}", spl(&by_volt));
    // Per milliwatt, ten times the impedance takes √10 times the voltage for 1 mW: −10 dB/V.
    set_text(&params, "main_imped", "1000");
    assert!(close(spl(&params)[0], main - 10.0));
    set_text(&params, "main_imped", "100");

    // Cues follow main until their switch is off; then their own chain counts.
    assert!(spl(&params)[1..].iter().all(|&s| close(s, main)));
    set_text(&params, "cue_cal_main_3", "Off");
    set_text(&params, "cue_sens_3", "110");
    set_text(&params, "cue_amp_3", "-3");
    let s = spl(&params);
    assert!(close(s[3], spl_at_0dbfs(10.0, -3.0, 110.0)), "{s:?}");
    assert!(close(s[1], main) && close(s[2], main) && close(s[4], main));

    // The allowance follows its parameter.
    assert_eq!(params.ear_settings().allowance, WeeklyAllowance::Adult);
    set_text(&params, "allowance", "Sensitive");
    assert_eq!(params.ear_settings().allowance, WeeklyAllowance::Sensitive);
    // And all of it reaches the engine's settings.
    assert_eq!(params.engine_settings().ear, params.ear_settings());

    // The level limits are per output, whatever the calibration follows.
    let s = params.engine_settings();
    assert!(!s.main.limit_on && s.cues.iter().all(|c| !c.output.limit_on));
    set_text(&params, "main_limit", "On");
    set_text(&params, "main_limit_db", "90 dB(A)");
    set_text(&params, "cue_limit_2", "On");
    set_text(&params, "cue_limit_db_2", "75");
    let s = params.engine_settings();
    assert!(s.main.limit_on && s.main.limit_db_spl == 90.0);
    assert!(s.cues[1].output.limit_on && s.cues[1].output.limit_db_spl == 75.0);
    assert!(!s.cues[0].output.limit_on && !s.cues[2].output.limit_on);
}
