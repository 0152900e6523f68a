//! Loading a saved state safely. What is not a state at all (empty, truncated or random bytes)
//! never gets here: nice-plug fails to parse it, logs why and refuses the load, and the plugin
//! keeps its current settings. What parses is completed here before nice-plug applies it:
//! every parameter missing from the state, or stored as the wrong kind of value, or as an enum
//! id this version does not know, takes its default; entries this version does not know (a
//! newer version's) are dropped; missing or unreadable persisted settings take their defaults.
//! Every repair is logged with its reason. Parameter ids never change meaning (they are only
//! ever added), so a newer version's state loads everything this version understands.

use nice_plug::plugin::ParamValue;
use nice_plug::prelude::*;

use crate::param_access::{ParamAccess, Rejection};
use crate::params::{CuewireParams, FULL_SCALE_DBU_RANGE};
use crate::shared::{ExposureData, SettingsData};

/// The key of the persisted settings in the state's fields (`#[persist = "settings"]`).
pub const SETTINGS_FIELD: &str = "settings";

/// The key of the saved exposure in the state's fields (`#[persist = "exposure"]`).
pub const EXPOSURE_FIELD: &str = "exposure";

/// The id of main's full-scale parameter, which older states kept as the setting
/// `full_scale_dbu` (dBu).
pub const MAIN_FULL_SCALE_ID: &str = "main_fullscale";

/// An older state's full-scale setting becomes main's full-scale parameter, unless the state
/// has that parameter already (cues follow main's calibration by default, so they get it too).
fn migrate_full_scale(state: &mut PluginState) {
    if state.params.contains_key(MAIN_FULL_SCALE_ID) {
        return;
    }
    let old_dbu = state
        .fields
        .get(SETTINGS_FIELD)
        .and_then(|json| serde_json::from_str::<serde_json::Value>(json).ok())
        .and_then(|settings| settings.get("full_scale_dbu")?.as_f64())
        .map(|dbu| dbu as f32)
        .filter(|dbu| dbu.is_finite());
    if let Some(dbu) = old_dbu {
        let (lo, hi) = FULL_SCALE_DBU_RANGE;
        let dbu = dbu.clamp(lo, hi);
        nice_warn!(
            "Cuewire state: the full-scale setting ({dbu} dBu) moved to parameter \
             {MAIN_FULL_SCALE_ID}"
        );
        state
            .params
            .insert(MAIN_FULL_SCALE_ID.to_owned(), ParamValue::F32(dbu));
    }
}

/// A version string as comparable numbers ("0.1.0" → [0, 1, 0]); unparsable parts count as 0.
fn version_numbers(version: &str) -> Vec<u64> {
    version
        .split(['.', '-', '+'])
        .take(3)
        .map(|part| part.parse().unwrap_or(0))
        .collect()
}

/// Completes a parsed state before it is applied (see the module documentation). Runs on the
/// main thread when a state is loaded (never on the audio thread), so it may allocate and log.
pub fn complete(state: &mut PluginState) {
    let ours = env!("CARGO_PKG_VERSION");
    if version_numbers(&state.version) > version_numbers(ours) {
        nice_warn!(
            "Cuewire: loading a state saved by version {} into {ours}: settings this version \
             does not know are ignored",
            state.version
        );
    }

    migrate_full_scale(state);

    // Throwaway parameters at their defaults: the reference for ids, kinds and defaults.
    let fresh = CuewireParams::default();
    let access = ParamAccess::new(&fresh);
    for (id, param) in access.iter() {
        let reason = match state.params.get(id) {
            None => Some("missing"),
            Some(value) => param.load_saved_value(value).err().map(Rejection::reason),
        };
        if let Some(reason) = reason {
            // Loading the entries before may have moved this parameter off its default.
            param.set_normalized(param.default_normalized());
            let default = param.saved_value();
            nice_warn!("Cuewire state: parameter {id} {reason}; using its default {default:?}");
            state.params.insert(id.to_owned(), default);
        }
    }
    state.params.retain(|id, _| {
        let known = access.get(id).is_some();
        if !known {
            nice_warn!("Cuewire state: unknown parameter {id} dropped");
        }
        known
    });

    let settings_ok = state
        .fields
        .get(SETTINGS_FIELD)
        .is_some_and(|json| serde_json::from_str::<SettingsData>(json).is_ok());
    if !settings_ok {
        nice_warn!("Cuewire state: settings missing or unreadable; using the defaults");
        if let Ok(defaults) = serde_json::to_string(&SettingsData::default()) {
            state.fields.insert(SETTINGS_FIELD.to_owned(), defaults);
        }
    }

    // A state without an exposure (older, or a hand-made preset) leaves the listeners' current
    // exposure alone; an unreadable one is dropped the same way.
    let exposure_unreadable = state
        .fields
        .get(EXPOSURE_FIELD)
        .is_some_and(|json| serde_json::from_str::<ExposureData>(json).is_err());
    if exposure_unreadable {
        nice_warn!("Cuewire state: exposure unreadable; keeping the current exposure");
        state.fields.remove(EXPOSURE_FIELD);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        assert!(version_numbers("0.10.0") > version_numbers("0.9.9"));
        assert!(version_numbers("1.0.0") > version_numbers(env!("CARGO_PKG_VERSION")));
        assert!(version_numbers("") < version_numbers("0.0.1"));
        assert_eq!(version_numbers("2.1.3-beta+7"), vec![2, 1, 3]);
    }
}
