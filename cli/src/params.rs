//! The plugin's parameters outside a host: set by id and value text, listed, and saved to or
//! loaded from the same state nice-plug writes (its JSON, a CLAP state blob, or a VST3 preset),
//! so a DAW setting can be reproduced offline.

use std::collections::BTreeMap;
use std::io::Write;

use cuewire::param_access::{ParamAccess, ParamRef};
use cuewire::params::CuewireParams;
use cuewire_dsp::engine::EngineSettings;
use nice_plug::plugin::ParamValue;
use nice_plug::prelude::*;

use crate::{vstpreset, CliError};

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

/// The format a state is saved in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFormat {
    /// nice-plug's JSON, as the plugin's VST3 component state and (after a length) its CLAP
    /// state hold it.
    Json,
    /// A VST3 preset file (`.vstpreset`) with the JSON as its component state.
    Vst3Preset,
}

impl StateFormat {
    /// The format a file name asks for: a VST3 preset for `.vstpreset`, else JSON.
    pub fn for_path(path: &std::path::Path) -> Self {
        match path.extension() {
            Some(ext) if ext.eq_ignore_ascii_case("vstpreset") => StateFormat::Vst3Preset,
            _ => StateFormat::Json,
        }
    }
}

/// Cuewire's parameters, owned by the tool.
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

/// Stepped parameters with up to this many steps list their values; others show their range.
const MAX_LISTED_STEPS: usize = 16;

/// "min … max unit", or the allowed texts of a parameter with few steps.
fn range_text(param: ParamRef<'_>) -> String {
    match param.step_count() {
        Some(steps) if steps <= MAX_LISTED_STEPS => {
            param.step_texts().unwrap_or_default().join(" | ")
        }
        _ => format!("{} … {}", param.text_of(0.0), param.text_of(1.0)),
    }
}

impl ParamSet {
    /// Safe access to the parameters by id.
    fn access(&self) -> ParamAccess<'_> {
        ParamAccess::new(&self.params)
    }

    /// Parameter `id`, or the one-line error naming the unknown id.
    fn find<'a>(access: &ParamAccess<'a>, id: &str) -> Result<ParamRef<'a>, CliError> {
        access.get(id).ok_or_else(|| {
            CliError::usage(format!(
                "unknown parameter id '{id}' (run `cuewire params` for the list)"
            ))
        })
    }

    /// Sets parameter `id` from a value text as the plugin displays or parses it (e.g.
    /// `main_gain=-6`, `-6 dB`, `in_mode=Auto fix`, `bypass=On`).
    pub fn set_text(&mut self, id: &str, text: &str) -> Result<(), CliError> {
        let access = self.access();
        let param = Self::find(&access, id)?;
        let Some(normalized) = param.parse_text(text.trim()) else {
            return Err(CliError::usage(format!(
                "invalid value '{text}' for parameter '{id}' (allowed: {})",
                range_text(param)
            )));
        };
        // nice-plug clamps numbers outside a float's range; reproducing a setting must not
        // silently change it, so an out-of-range number is an error here.
        if let (true, Some(number)) = (param.is_float(), leading_number(text)) {
            let (lo, hi) = (param.plain_of(0.0), param.plain_of(1.0));
            let tolerance = (hi - lo).abs() * 1e-6;
            if number < lo.min(hi) - tolerance || number > lo.max(hi) + tolerance {
                return Err(CliError::usage(format!(
                    "value '{text}' for parameter '{id}' is out of range ({})",
                    range_text(param)
                )));
            }
        }
        param.set_normalized(normalized);
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
        let access = self.access();
        let param = Self::find(&access, id)?;
        Ok(param.text_of(param.normalized()))
    }

    /// Every parameter with its range and default, in the plugin's order.
    pub fn listing(&self) -> Vec<ParamListing> {
        self.access()
            .iter()
            .map(|(id, param)| ParamListing {
                id: id.to_owned(),
                name: param.name(),
                range: range_text(param),
                default: param.text_of(param.default_normalized()),
            })
            .collect()
    }

    /// The engine settings the parameters ask for.
    pub fn engine_settings(&self) -> EngineSettings {
        self.params.engine_settings()
    }

    /// The parameters from a state file (if any), then each `ID=VALUE` of `sets` in order.
    pub fn build(state: Option<&std::path::Path>, sets: &[String]) -> Result<Self, CliError> {
        let mut params = Self::default();
        if let Some(path) = state {
            let name = path.display();
            let bytes = std::fs::read(path)
                .map_err(|e| CliError::input(format!("cannot read state '{name}': {e}")))?;
            params
                .load_state(&bytes)
                .map_err(|e| CliError::input(format!("'{name}': {}", e.message)))?;
        }
        for set in sets {
            params.set_assignment(set)?;
        }
        Ok(params)
    }

    /// The state as nice-plug's wrappers serialise it (`PluginState` as compact JSON: plain
    /// parameter values by id, enum ids as strings, persisted fields), so a file written here
    /// loads in the plugin and the plugin's own saves load here.
    pub fn state_json(&self) -> Vec<u8> {
        let params: BTreeMap<String, ParamValue> = self
            .access()
            .iter()
            .map(|(id, param)| (id.to_owned(), param.saved_value()))
            .collect();
        let state = PluginState {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            params,
            fields: self.params.serialize_fields(),
        };
        // Serialising plain maps of numbers and strings cannot fail.
        serde_json::to_vec(&state).unwrap_or_default()
    }

    /// The state as a file in `format`; a VST3 preset names Cuewire Monitor when `monitor`,
    /// else the insert.
    pub fn state_file(&self, format: StateFormat, monitor: bool) -> Vec<u8> {
        match format {
            StateFormat::Json => self.state_json(),
            StateFormat::Vst3Preset => {
                let class_id = if monitor {
                    vstpreset::cuewire_class_id()
                } else {
                    vstpreset::insert_class_id()
                };
                vstpreset::write(&class_id, &self.state_json())
            }
        }
    }

    /// Loads a state: nice-plug's JSON, a CLAP state blob (the same JSON after an 8-byte
    /// little-endian length, as the plugin's `clap.state` save writes it), or a VST3 preset
    /// whose component state is that JSON. Unknown ids and mistyped values are errors, not
    /// silently skipped, so a typo in a hand-edited file shows.
    pub fn load_state(&mut self, bytes: &[u8]) -> Result<(), CliError> {
        let json = if vstpreset::is_preset(bytes) {
            // Both plugins hold the same parameters: either's preset loads.
            let insert = vstpreset::insert_class_id();
            let class_id = if vstpreset::is_for(bytes, &insert) {
                insert
            } else {
                vstpreset::cuewire_class_id()
            };
            vstpreset::component_state(bytes, &class_id)?
        } else {
            unwrap_clap_blob(bytes)
        };
        let state: PluginState = serde_json::from_slice(json)
            .map_err(|e| CliError::input(format!("not a Cuewire state file: {e}")))?;
        let access = self.access();
        for (id, value) in &state.params {
            let param = access
                .get(id)
                .ok_or_else(|| CliError::input(format!("state has unknown parameter id '{id}'")))?;
            param.load_saved_value(value).map_err(|_| {
                CliError::input(format!(
                    "state has an invalid value {value:?} for parameter '{id}'"
                ))
            })?;
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

/// `cuewire params`: every parameter in aligned columns.
pub fn write_listing(out: &mut dyn Write) -> Result<(), CliError> {
    let listing = ParamSet::default().listing();
    let width = listing.iter().map(|p| p.id.len()).max().unwrap_or(0);
    let name_width = listing.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for p in &listing {
        writeln!(
            out,
            "{:width$}  {:name_width$}  {}  (default {})",
            p.id, p.name, p.range, p.default
        )
        .map_err(CliError::report)?;
    }
    Ok(())
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
    fn state_round_trips_byte_identically_in_every_format() {
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
        // And so does a VST3 preset.
        let mut d = ParamSet::default();
        d.load_state(&a.state_file(StateFormat::Vst3Preset, true))
            .unwrap();
        assert_eq!(d.state_json(), json);
        // The insert's preset (its own class id) too.
        let mut e = ParamSet::default();
        e.load_state(&a.state_file(StateFormat::Vst3Preset, false))
            .unwrap();
        assert_eq!(e.state_json(), json);
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
        let e = set
            .load_state(br#"{"params":{"main_gain":{"bool":true}},"fields":{}}"#)
            .unwrap_err();
        assert_eq!(
            e.message,
            "state has an invalid value Bool(true) for parameter 'main_gain'"
        );
    }

    #[test]
    fn save_format_follows_the_extension() {
        use std::path::Path;
        assert_eq!(
            StateFormat::for_path(Path::new("a/b.VSTPreset")),
            StateFormat::Vst3Preset
        );
        assert_eq!(
            StateFormat::for_path(Path::new("b.json")),
            StateFormat::Json
        );
        assert_eq!(
            StateFormat::for_path(Path::new("vstpreset")),
            StateFormat::Json
        );
    }
}
