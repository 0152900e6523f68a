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

use crate::params::CuewireParams;
use crate::shared::SettingsData;

/// The key of the persisted settings in the state's fields (`#[persist = "settings"]`).
pub const SETTINGS_FIELD: &str = "settings";

/// A version string as comparable numbers ("0.1.0" → [0, 1, 0]); unparsable parts count as 0.
fn version_numbers(version: &str) -> Vec<u64> {
    version
        .split(['.', '-', '+'])
        .take(3)
        .map(|part| part.parse().unwrap_or(0))
        .collect()
}

/// The value `param` would be saved with now, in nice-plug's state format (for fresh parameters:
/// its default). The offline CLI writes its states with this too, so both save alike.
///
/// # Safety
/// `param` must point into a live parameter object.
pub unsafe fn saved_value(param: ParamPtr) -> ParamValue {
    // SAFETY: the caller keeps the parameter object alive.
    unsafe {
        match param {
            ParamPtr::FloatParam(p) => ParamValue::F32((*p).unmodulated_plain_value()),
            ParamPtr::IntParam(p) => ParamValue::I32((*p).unmodulated_plain_value()),
            ParamPtr::BoolParam(p) => ParamValue::Bool((*p).unmodulated_plain_value()),
            ParamPtr::EnumParam(p) => match (*p).unmodulated_plain_id() {
                Some(id) => ParamValue::String(id.to_owned()),
                None => ParamValue::I32((*p).unmodulated_plain_value()),
            },
        }
    }
}

/// Why nice-plug would not apply `value` to `param`, or `None` when it would.
///
/// # Safety
/// `param` must point into a live parameter object; an enum's value may be changed.
unsafe fn rejection(param: ParamPtr, value: &ParamValue) -> Option<&'static str> {
    // SAFETY: the caller keeps the (throwaway) parameter object alive.
    unsafe {
        match (param, value) {
            (ParamPtr::FloatParam(_), ParamValue::F32(v)) if v.is_finite() => None,
            (ParamPtr::FloatParam(_), ParamValue::F32(_)) => Some("non-finite value"),
            (ParamPtr::IntParam(_), ParamValue::I32(_))
            | (ParamPtr::BoolParam(_), ParamValue::Bool(_)) => None,
            (ParamPtr::EnumParam(p), ParamValue::I32(i)) if (0..(*p).len() as i32).contains(i) => {
                None
            }
            (ParamPtr::EnumParam(p), ParamValue::String(id)) if (*p).set_from_id(id) => None,
            (ParamPtr::EnumParam(_), ParamValue::I32(_) | ParamValue::String(_)) => {
                Some("unknown enum value")
            }
            _ => Some("wrong kind of value"),
        }
    }
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

    // Throwaway parameters at their defaults: the reference for ids, kinds and defaults.
    let fresh = CuewireParams::default();
    let map = fresh.param_map();
    for (id, param, _) in &map {
        let reason = match state.params.get(id) {
            None => Some("missing"),
            // SAFETY: `fresh` outlives `map` and these pointers.
            Some(value) => unsafe { rejection(*param, value) },
        };
        if let Some(reason) = reason {
            // SAFETY: as above; `rejection` may have moved an enum off its default, so read
            // the default from the parameter's default value instead.
            let default = unsafe {
                let normalized = param.default_normalized_value();
                param._internal_set_normalized_value(normalized);
                saved_value(*param)
            };
            nice_warn!("Cuewire state: parameter {id} {reason}; using its default {default:?}");
            state.params.insert(id.clone(), default);
        }
    }
    let unknown: Vec<String> = state
        .params
        .keys()
        .filter(|id| !map.iter().any(|(known, _, _)| known == *id))
        .cloned()
        .collect();
    for id in unknown {
        nice_warn!("Cuewire state: unknown parameter {id} dropped");
        state.params.remove(&id);
    }

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
