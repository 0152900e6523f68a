//! The plugin's parameters outside a host: set by id and value text, listed, and saved to or
//! loaded from the same JSON state nice-plug writes, so a DAW setting can be reproduced offline.

use std::collections::BTreeMap;

use cuewire_dsp::engine::EngineSettings;
use nice_plug::params::InternalParamMut;
use nice_plug::plugin::ParamValue;
use nice_plug::prelude::*;

use super::CliError;
use cuewire::params::CuewireParams;

/// One parameter as `cuewire params` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamListing {
    /// Stable id (what `--set` takes).
    pub id: String,
    /// Display name.
    pub name: String,
    /// "min … max unit", or the allowed value texts separated by " | ".
    pub range: String,
    /// The default as display text.
    pub default: String,
}

/// Cuewire's parameters with lookup by stable id.
#[derive(Default)]
pub struct ParamSet {
    /// The parameters themselves (the plugin's own struct).
    params: CuewireParams,
}

/// The number a value text starts with ("-6 dB" → −6), if it is one.
fn leading_number(text: &str) -> Option<f32> {
    text.trim()
        .trim_end_matches(|c: char| c.is_alphabetic() || c.is_whitespace() || c == '%')
        .parse()
        .ok()
}

/// The texts a stepped parameter can take, lowest to highest.
///
/// # Safety
/// `ptr` points into a live `CuewireParams`.
unsafe fn step_texts(ptr: &ParamPtr, steps: usize) -> Vec<String> {
    (0..=steps)
        // SAFETY: caller's contract.
        .map(|i| unsafe { ptr.normalized_value_to_string(i as f32 / steps as f32, true) })
        .collect()
}

impl ParamSet {
    /// The parameters' `(id, pointer)` pairs in the plugin's order.
    fn map(&self) -> Vec<(String, ParamPtr)> {
        self.params
            .param_map()
            .into_iter()
            .map(|(id, ptr, _group)| (id, ptr))
            .collect()
    }

    /// The pointer of parameter `id`, or the one-line error naming the unknown id.
    fn find(&self, id: &str) -> Result<ParamPtr, CliError> {
        self.map()
            .into_iter()
            .find(|(pid, _)| pid == id)
            .map(|(_, ptr)| ptr)
            .ok_or_else(|| {
                CliError::usage(format!(
                    "unknown parameter id '{id}' (run `cuewire params` for the list)"
                ))
            })
    }

    /// Sets parameter `id` from a value text as the plugin displays or parses it (e.g.
    /// `main_gain=-6`, `-6 dB`, `in_mode=Auto fix`, `bypass=On`).
    pub fn set_text(&mut self, id: &str, text: &str) -> Result<(), CliError> {
        let ptr = self.find(id)?;
        // SAFETY: `ptr` points into `self.params`, alive and exclusively ours.
        let normalized = unsafe { ptr.string_to_normalized_value(text.trim()) };
        let Some(normalized) = normalized else {
            // SAFETY: as above.
            let allowed = unsafe { self.range_text(&ptr) };
            return Err(CliError::usage(format!(
                "invalid value '{text}' for parameter '{id}' (allowed: {allowed})"
            )));
        };
        // nice-plug clamps numbers outside a float's range; reproducing a setting must not
        // silently change it, so an out-of-range number is an error here.
        if let (ParamPtr::FloatParam(_), Some(number)) = (ptr, leading_number(text)) {
            // SAFETY: as above.
            let (lo, hi) = unsafe { (ptr.preview_plain(0.0), ptr.preview_plain(1.0)) };
            let tolerance = (hi - lo).abs() * 1e-6;
            if number < lo.min(hi) - tolerance || number > lo.max(hi) + tolerance {
                // SAFETY: as above.
                let allowed = unsafe { self.range_text(&ptr) };
                return Err(CliError::usage(format!(
                    "value '{text}' for parameter '{id}' is out of range ({allowed})"
                )));
            }
        }
        // SAFETY: as above; the set happens on this, the only thread touching the params.
        unsafe {
            ptr._internal_set_normalized_value(normalized);
        }
        Ok(())
    }

    /// Parses and applies `ID=VALUE`.
    pub fn set_assignment(&mut self, assignment: &str) -> Result<(), CliError> {
        let (id, value) = assignment.split_once('=').ok_or_else(|| {
            CliError::usage(format!("--set expects ID=VALUE, got '{assignment}'"))
        })?;
        self.set_text(id.trim(), value)
    }

    /// The current value of `id` as display text (with unit).
    #[cfg(test)]
    pub fn value_text(&self, id: &str) -> Result<String, CliError> {
        let ptr = self.find(id)?;
        // SAFETY: `ptr` points into `self.params`.
        Ok(unsafe { ptr.normalized_value_to_string(ptr.unmodulated_normalized_value(), true) })
    }

    /// "min … max unit" or the allowed texts of a parameter.
    ///
    /// # Safety
    /// `ptr` points into `self.params`.
    unsafe fn range_text(&self, ptr: &ParamPtr) -> String {
        // SAFETY: caller's contract.
        unsafe {
            match ptr.step_count() {
                Some(steps) if steps <= 16 => step_texts(ptr, steps).join(" | "),
                _ => format!(
                    "{} … {}",
                    ptr.normalized_value_to_string(0.0, true),
                    ptr.normalized_value_to_string(1.0, true)
                ),
            }
        }
    }

    /// Every parameter with its range and default, in the plugin's order.
    pub fn listing(&self) -> Vec<ParamListing> {
        self.map()
            .into_iter()
            .map(|(id, ptr)| {
                // SAFETY: `ptr` points into `self.params`.
                unsafe {
                    ParamListing {
                        id,
                        name: ptr.name().to_owned(),
                        range: self.range_text(&ptr),
                        default: ptr
                            .normalized_value_to_string(ptr.default_normalized_value(), true),
                    }
                }
            })
            .collect()
    }

    /// The engine settings the parameters ask for.
    pub fn engine_settings(&self) -> EngineSettings {
        self.params.engine_settings()
    }

    /// The state as nice-plug's wrappers serialise it (`PluginState` as compact JSON: plain
    /// parameter values by id, enum ids as strings, persisted fields), so a file written here
    /// loads in the plugin and the plugin's own saves load here.
    pub fn state_json(&self) -> Vec<u8> {
        let params: BTreeMap<String, ParamValue> = self
            .map()
            .into_iter()
            .map(|(id, ptr)| {
                // SAFETY: each pointer points into `self.params`.
                let value = unsafe { cuewire::state::saved_value(ptr) };
                (id, value)
            })
            .collect();
        let state = PluginState {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            params,
            fields: self.params.serialize_fields(),
        };
        // Serialising plain maps of numbers and strings cannot fail.
        serde_json::to_vec(&state).unwrap_or_default()
    }

    /// Loads a state: nice-plug's JSON, or a CLAP state blob (the same JSON after an 8-byte
    /// little-endian length, as the plugin's `clap.state` save writes it). Unknown ids and
    /// mistyped values are errors, not silently skipped, so a typo in a hand-edited file shows.
    pub fn load_state(&mut self, bytes: &[u8]) -> Result<(), CliError> {
        let json = unwrap_clap_blob(bytes);
        let state: PluginState = serde_json::from_slice(json)
            .map_err(|e| CliError::input(format!("not a Cuewire state file: {e}")))?;
        for (id, value) in &state.params {
            let ptr = self
                .find(id)
                .map_err(|_| CliError::input(format!("state has unknown parameter id '{id}'")))?;
            // SAFETY: `ptr` points into `self.params`, exclusively ours.
            let ok = unsafe {
                match (ptr, value) {
                    (ParamPtr::FloatParam(p), ParamValue::F32(v)) => {
                        (*p)._internal_set_plain_value(*v);
                        true
                    }
                    (ParamPtr::IntParam(p), ParamValue::I32(v)) => {
                        (*p)._internal_set_plain_value(*v);
                        true
                    }
                    (ParamPtr::BoolParam(p), ParamValue::Bool(v)) => {
                        (*p)._internal_set_plain_value(*v);
                        true
                    }
                    (ParamPtr::EnumParam(p), ParamValue::I32(v)) => {
                        (*p)._internal_set_plain_value(*v);
                        true
                    }
                    (ParamPtr::EnumParam(p), ParamValue::String(eid)) => (*p).set_from_id(eid),
                    _ => false,
                }
            };
            if !ok {
                return Err(CliError::input(format!(
                    "state has an invalid value {value:?} for parameter '{id}'"
                )));
            }
        }
        self.params.deserialize_fields(&state.fields);
        Ok(())
    }
}

/// The JSON inside a CLAP state blob, or the bytes unchanged when they are not one.
fn unwrap_clap_blob(bytes: &[u8]) -> &[u8] {
    match bytes.split_first_chunk::<8>() {
        Some((len, rest)) if u64::from_le_bytes(*len) == rest.len() as u64 => rest,
        _ => bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cuewire_dsp::crossfeed::CrossfeedSetting;
    use cuewire_dsp::input::InputMode;

    #[test]
    fn value_texts_reach_the_engine_settings() {
        let mut set = ParamSet::default();
        assert_eq!(set.engine_settings(), EngineSettings::default());
        set.set_text("main_gain", "-6").unwrap();
        set.set_text("in_mode", "Auto fix").unwrap();
        set.set_text("main_xfeed", "Chu Moy").unwrap();
        set.set_text("cue_on_2", "On").unwrap();
        set.set_text("cue_gain_2", "-12.5 dB").unwrap();
        let s = set.engine_settings();
        assert_eq!(s.main.gain_db, -6.0);
        assert_eq!(s.input.mode, InputMode::AutoFix);
        assert_eq!(s.crossfeed, CrossfeedSetting::ChuMoy);
        assert!(s.cues[1].on);
        assert_eq!(s.cues[1].output.gain_db, -12.5);
        assert_eq!(set.value_text("main_gain").unwrap(), "-6.0 dB");
    }

    #[test]
    fn unknown_ids_and_values_are_refused() {
        let mut set = ParamSet::default();
        let e = set.set_text("main_gian", "0").unwrap_err();
        assert_eq!(
            e.message,
            "unknown parameter id 'main_gian' (run `cuewire params` for the list)"
        );
        let e = set.set_text("in_mode", "Sideways").unwrap_err();
        assert!(
            e.message.starts_with(
                "invalid value 'Sideways' for parameter 'in_mode' (allowed: Stereo | Auto fix"
            ),
            "{}",
            e.message
        );
        assert!(set.set_assignment("main_gain").is_err());
        let e = set.set_text("main_gain", "+30 dB").unwrap_err();
        assert_eq!(
            e.message,
            "value '+30 dB' for parameter 'main_gain' is out of range (-60.0 dB … 24.0 dB)"
        );
        // The ends themselves are fine.
        set.set_text("main_gain", "24").unwrap();
        set.set_text("main_xf_cut", "300 Hz").unwrap();
    }

    #[test]
    fn state_round_trips_byte_identically() {
        let mut a = ParamSet::default();
        a.set_text("main_gain", "-7.3").unwrap();
        a.set_text("main_xfeed", "Custom").unwrap();
        a.set_text("main_xf_cut", "900").unwrap();
        a.set_text("cue_mode_4", "Mono").unwrap();
        let json = a.state_json();
        let mut b = ParamSet::default();
        b.load_state(&json).unwrap();
        assert_eq!(b.engine_settings(), a.engine_settings());
        assert_eq!(b.state_json(), json);
        // The CLAP blob form loads the same.
        let mut blob = (json.len() as u64).to_le_bytes().to_vec();
        blob.extend_from_slice(&json);
        let mut c = ParamSet::default();
        c.load_state(&blob).unwrap();
        assert_eq!(c.state_json(), json);
    }

    #[test]
    fn garbage_state_is_refused() {
        let mut set = ParamSet::default();
        assert!(set.load_state(b"").is_err());
        assert!(set.load_state(b"\x00\x01garbage").is_err());
        let e = set
            .load_state(br#"{"params":{"nope":{"bool":true}},"fields":{}}"#)
            .unwrap_err();
        assert_eq!(e.message, "state has unknown parameter id 'nope'");
    }
}
