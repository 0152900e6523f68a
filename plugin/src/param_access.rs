//! Cuewire's parameters addressed by their stable ids, safely. nice-plug hands out parameters as
//! raw [`ParamPtr`]s (`Params::param_map`); every use of one is `unsafe` because the pointer must
//! not outlive its parameter object. [`ParamAccess`] borrows the [`CuewireParams`] for as long as
//! it hands out [`ParamRef`]s, so that is checked by the compiler, and this module holds the only
//! `unsafe` blocks outside the engine's CPU dispatch. [`RecordingGuiContext`] stands in for the
//! host behind the editor's `ParamSetter` where there is none (tests and benches).

use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use nice_plug::context::gui::GuiContextInner;
use nice_plug::params::InternalParamMut;
use nice_plug::plugin::{ParamValue, PluginState};
use nice_plug::prelude::*;

use crate::params::CuewireParams;

/// Every parameter of one borrowed [`CuewireParams`], by stable id, in the plugin's order.
pub struct ParamAccess<'a> {
    /// `(id, parameter)` pairs as `param_map` lists them.
    params: Vec<(String, ParamRef<'a>)>,
}

impl<'a> ParamAccess<'a> {
    /// Access to `params`'s parameters for as long as it is borrowed.
    pub fn new(params: &'a CuewireParams) -> Self {
        Self {
            params: params
                .param_map()
                .into_iter()
                .map(|(id, ptr, _group)| {
                    let param = ParamRef {
                        ptr,
                        _owner: PhantomData,
                    };
                    (id, param)
                })
                .collect(),
        }
    }

    /// The parameter with stable id `id`.
    pub fn get(&self, id: &str) -> Option<ParamRef<'a>> {
        self.iter()
            .find(|(pid, _)| *pid == id)
            .map(|(_, param)| param)
    }

    /// Every `(id, parameter)` in the plugin's order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, ParamRef<'a>)> + '_ {
        self.params.iter().map(|(id, param)| (id.as_str(), *param))
    }

    /// The stable id and the parameter a raw pointer (from a `ParamSetter` call) stands for.
    pub fn find_ptr(&self, ptr: ParamPtr) -> Option<(&str, ParamRef<'a>)> {
        self.iter().find(|(_, param)| param.ptr == ptr)
    }
}

/// One parameter of a borrowed [`CuewireParams`]. Values are set through its atomics, on the
/// thread that owns the parameters (the CLI, or a state load's throwaway copy), never while a
/// host's audio thread reads them.
#[derive(Clone, Copy)]
pub struct ParamRef<'a> {
    /// Points into the borrowed parameters, which outlive `'a`.
    ptr: ParamPtr,
    /// Ties the pointer to the borrow it came from.
    _owner: PhantomData<&'a CuewireParams>,
}

/// Why a saved value could not be applied to a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// A float that is NaN or infinite.
    NonFinite,
    /// An enum index out of range, or an enum id this version does not know.
    UnknownEnumValue,
    /// A value of another kind than the parameter's (e.g. a bool for a float).
    WrongKind,
}

impl Rejection {
    /// The reason in words, for logs and error messages.
    pub fn reason(self) -> &'static str {
        match self {
            Rejection::NonFinite => "non-finite value",
            Rejection::UnknownEnumValue => "unknown enum value",
            Rejection::WrongKind => "wrong kind of value",
        }
    }
}

// SAFETY (every block below): `ptr` came from `param_map` of a `CuewireParams` that the
// `'a` borrow keeps alive and in place for as long as this `ParamRef` exists. nice-plug's setters
// store into atomics, so setting through a shared borrow is sound.
impl ParamRef<'_> {
    /// The display name.
    pub fn name(&self) -> String {
        // SAFETY: see the impl block.
        unsafe { self.ptr.name() }.to_owned()
    }

    /// Whether this is a continuous (float) parameter, whose numbers nice-plug clamps.
    pub fn is_float(&self) -> bool {
        matches!(self.ptr, ParamPtr::FloatParam(_))
    }

    /// The number of steps above the lowest value (`None` for a continuous parameter).
    pub fn step_count(&self) -> Option<usize> {
        // SAFETY: see the impl block.
        unsafe { self.ptr.step_count() }
    }

    /// The display text (with unit) of a normalized value, 0..1.
    pub fn text_of(&self, normalized: f32) -> String {
        // SAFETY: see the impl block.
        unsafe { self.ptr.normalized_value_to_string(normalized, true) }
    }

    /// The normalized value (0..1) a display text stands for, or `None` when it is not one.
    pub fn parse_text(&self, text: &str) -> Option<f32> {
        // SAFETY: see the impl block.
        unsafe { self.ptr.string_to_normalized_value(text) }
    }

    /// The plain value (in the parameter's unit) of a normalized value, 0..1.
    pub fn plain_of(&self, normalized: f32) -> f32 {
        // SAFETY: see the impl block.
        unsafe { self.ptr.preview_plain(normalized) }
    }

    /// The current value, normalized 0..1.
    pub fn normalized(&self) -> f32 {
        // SAFETY: see the impl block.
        unsafe { self.ptr.unmodulated_normalized_value() }
    }

    /// The default value, normalized 0..1.
    pub fn default_normalized(&self) -> f32 {
        // SAFETY: see the impl block.
        unsafe { self.ptr.default_normalized_value() }
    }

    /// Sets the value from a normalized value, 0..1.
    pub fn set_normalized(&self, normalized: f32) {
        // SAFETY: see the impl block.
        unsafe {
            self.ptr._internal_set_normalized_value(normalized);
        }
    }

    /// The display texts a stepped parameter can take, lowest to highest (`None` for a
    /// continuous one).
    pub fn step_texts(&self) -> Option<Vec<String>> {
        let steps = self.step_count()?;
        Some(
            (0..=steps)
                .map(|i| self.text_of(i as f32 / steps as f32))
                .collect(),
        )
    }

    /// The value this parameter is saved with now, in nice-plug's state format (an enum by its
    /// stable id).
    pub fn saved_value(&self) -> ParamValue {
        // SAFETY: see the impl block.
        unsafe {
            match self.ptr {
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

    /// Applies a value from a saved state; on a [`Rejection`] the parameter is unchanged.
    pub fn load_saved_value(&self, value: &ParamValue) -> Result<(), Rejection> {
        // SAFETY: see the impl block.
        unsafe {
            match (self.ptr, value) {
                (ParamPtr::FloatParam(_), ParamValue::F32(v)) if !v.is_finite() => {
                    Err(Rejection::NonFinite)
                }
                (ParamPtr::FloatParam(p), ParamValue::F32(v)) => {
                    (*p)._internal_set_plain_value(*v);
                    Ok(())
                }
                (ParamPtr::IntParam(p), ParamValue::I32(v)) => {
                    (*p)._internal_set_plain_value(*v);
                    Ok(())
                }
                (ParamPtr::BoolParam(p), ParamValue::Bool(v)) => {
                    (*p)._internal_set_plain_value(*v);
                    Ok(())
                }
                (ParamPtr::EnumParam(p), ParamValue::I32(i))
                    if (0..(*p).len() as i32).contains(i) =>
                {
                    (*p)._internal_set_plain_value(*i);
                    Ok(())
                }
                (ParamPtr::EnumParam(p), ParamValue::String(id)) if (*p).set_from_id(id) => Ok(()),
                (ParamPtr::EnumParam(_), ParamValue::I32(_) | ParamValue::String(_)) => {
                    Err(Rejection::UnknownEnumValue)
                }
                _ => Err(Rejection::WrongKind),
            }
        }
    }
}

/// One call the editor made through its `ParamSetter`, by the parameter's stable id.
#[derive(Debug, Clone, PartialEq)]
pub enum GestureCall {
    /// `begin_set_parameter`.
    Begin(String),
    /// `set_parameter` / `set_parameter_normalized`, with the normalized value (0..1).
    Set(String, f32),
    /// `end_set_parameter`.
    End(String),
}

/// A stand-in for the host behind nice-plug's `GuiContext`, for driving the editor without one
/// (tests, benches): it records every begin/set/end call and applies each set to the parameters
/// at once, as a host that echoes the change back would.
pub struct RecordingGuiContext {
    params: Arc<CuewireParams>,
    calls: Mutex<Vec<GestureCall>>,
}

impl RecordingGuiContext {
    /// A recorder over `params`, with no calls yet.
    pub fn new(params: Arc<CuewireParams>) -> Self {
        Self {
            params,
            calls: Mutex::new(Vec::new()),
        }
    }

    /// Every call so far, oldest first.
    pub fn calls(&self) -> Vec<GestureCall> {
        self.lock().clone()
    }

    /// Every call so far, clearing the record.
    pub fn take_calls(&self) -> Vec<GestureCall> {
        std::mem::take(&mut *self.lock())
    }

    /// The gesture rules a host relies on that the calls so far break, in words: a set outside
    /// a begin/end pair, a begin while the same parameter's gesture is open, an end without a
    /// begin, or a gesture still open.
    pub fn gesture_errors(&self) -> Vec<String> {
        let mut open: Vec<&str> = Vec::new();
        let mut errors = Vec::new();
        let calls = self.lock();
        for call in calls.iter() {
            match call {
                GestureCall::Begin(id) if open.contains(&id.as_str()) => {
                    errors.push(format!("begin of {id} while its gesture is open"));
                }
                GestureCall::Begin(id) => open.push(id),
                GestureCall::Set(id, _) if !open.contains(&id.as_str()) => {
                    errors.push(format!("set of {id} outside a gesture"));
                }
                GestureCall::Set(..) => {}
                GestureCall::End(id) => match open.iter().position(|o| o == id) {
                    Some(i) => {
                        open.remove(i);
                    }
                    None => errors.push(format!("end of {id} without a begin")),
                },
            }
        }
        errors.extend(open.iter().map(|id| format!("gesture of {id} left open")));
        errors
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<GestureCall>> {
        // A test that panicked mid-call leaves a usable record.
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records one call on the parameter `ptr` points to; a pointer into other parameters is
    /// recorded under "?".
    fn record(&self, ptr: ParamPtr, call: impl FnOnce(String) -> GestureCall) {
        let access = ParamAccess::new(&self.params);
        let id = access
            .find_ptr(ptr)
            .map_or_else(|| "?".to_owned(), |(id, _)| id.to_owned());
        self.lock().push(call(id));
    }
}

// The trait's methods are declared `unsafe` by nice-plug; these bodies need no unsafe operation:
// a pointer is only compared with the ones `ParamAccess` hands out, and values are set through
// the safe `ParamRef`.
impl GuiContextInner for RecordingGuiContext {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }

    unsafe fn raw_begin_set_parameter(&self, param: ParamPtr) {
        self.record(param, GestureCall::Begin);
    }

    unsafe fn raw_set_parameter_normalized(&self, param: ParamPtr, normalized: f32) {
        self.record(param, |id| GestureCall::Set(id, normalized));
        if let Some((_, p)) = ParamAccess::new(&self.params).find_ptr(param) {
            p.set_normalized(normalized);
        }
    }

    unsafe fn raw_end_set_parameter(&self, param: ParamPtr) {
        self.record(param, GestureCall::End);
    }

    fn get_state(&self) -> PluginState {
        PluginState {
            version: String::new(),
            params: ParamAccess::new(&self.params)
                .iter()
                .map(|(id, p)| (id.to_owned(), p.saved_value()))
                .collect(),
            fields: Default::default(),
        }
    }

    fn set_state(&self, state: PluginState) {
        let access = ParamAccess::new(&self.params);
        for (id, value) in &state.params {
            if let Some(p) = access.get(id) {
                // A rejected value leaves the parameter as it was, as a host's load does.
                let _ = p.load_saved_value(value);
            }
        }
    }

    fn request_restart(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The saved value of a float parameter.
    fn saved_f32(param: ParamRef<'_>) -> Option<f32> {
        match param.saved_value() {
            ParamValue::F32(v) => Some(v),
            _ => None,
        }
    }

    #[test]
    fn saved_values_round_trip_and_bad_ones_are_rejected() {
        let params = CuewireParams::default();
        let access = ParamAccess::new(&params);
        let gain = access.get("main_gain").unwrap();
        gain.load_saved_value(&ParamValue::F32(-6.5)).unwrap();
        assert_eq!(saved_f32(gain), Some(-6.5));
        assert_eq!(gain.text_of(gain.normalized()), "-6.5 dB");
        assert_eq!(
            gain.load_saved_value(&ParamValue::F32(f32::NAN)),
            Err(Rejection::NonFinite)
        );
        assert_eq!(
            gain.load_saved_value(&ParamValue::Bool(true)),
            Err(Rejection::WrongKind)
        );
        assert_eq!(saved_f32(gain), Some(-6.5));

        let mode = access.get("in_mode").unwrap();
        assert_eq!(mode.step_texts().unwrap().len(), 7);
        mode.load_saved_value(&ParamValue::I32(6)).unwrap();
        assert_eq!(mode.text_of(mode.normalized()), "Balanced pair");
        assert_eq!(
            mode.load_saved_value(&ParamValue::I32(7)),
            Err(Rejection::UnknownEnumValue)
        );
        assert_eq!(
            mode.load_saved_value(&ParamValue::String("sideways".into())),
            Err(Rejection::UnknownEnumValue)
        );
        assert!(access.get("main_gian").is_none());
    }

    #[test]
    fn defaults_and_texts() {
        let params = CuewireParams::default();
        let access = ParamAccess::new(&params);
        let gain = access.get("main_gain").unwrap();
        assert_eq!(gain.name(), "Main gain");
        assert!(gain.is_float() && gain.step_count().is_none());
        assert_eq!(gain.plain_of(0.0), -60.0);
        assert_eq!(gain.plain_of(1.0), 24.0);
        let n = gain.parse_text("-12 dB").unwrap();
        gain.set_normalized(n);
        assert_eq!(saved_f32(gain), Some(-12.0));
        gain.set_normalized(gain.default_normalized());
        assert_eq!(saved_f32(gain), Some(0.0));
    }
}
