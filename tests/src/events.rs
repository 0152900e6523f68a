//! CLAP event lists: parameter-value events in, whatever the plugin emits out.

use std::ffi::c_void;

use clap_sys::events::{
    clap_event_header, clap_event_param_gesture, clap_event_param_value, clap_input_events,
    clap_output_events, CLAP_CORE_EVENT_SPACE_ID, CLAP_EVENT_PARAM_GESTURE_BEGIN,
    CLAP_EVENT_PARAM_GESTURE_END, CLAP_EVENT_PARAM_VALUE,
};

/// A CLAP parameter-value event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamEvent {
    /// Sample offset within the block (ignored by flush).
    pub time: u32,
    /// CLAP parameter id (see [`crate::clap_param_id`]).
    pub param_id: u32,
    /// The value in CLAP units (nice-plug: normalized, or the step index for stepped params).
    pub value: f64,
}

impl ParamEvent {
    /// An event setting `param_id` to `value` at sample `time`.
    pub fn new(time: u32, param_id: u32, value: f64) -> Self {
        Self {
            time,
            param_id,
            value,
        }
    }
}

/// An event the plugin pushed to the host.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OutputEvent {
    /// `CLAP_EVENT_PARAM_VALUE`.
    ParamValue(ParamEvent),
    /// `CLAP_EVENT_PARAM_GESTURE_BEGIN` for this parameter id.
    GestureBegin(u32),
    /// `CLAP_EVENT_PARAM_GESTURE_END` for this parameter id.
    GestureEnd(u32),
    /// Any other event: (space id, type).
    Other(u16, u16),
}

/// A sorted input event list the plugin can read.
pub(crate) struct InputEvents {
    /// Events in time order (stable for equal times).
    events: Vec<clap_event_param_value>,
}

impl InputEvents {
    /// The list for these events, sorted by time as CLAP requires when `sort` is set.
    pub(crate) fn new(events: &[ParamEvent], sort: bool) -> Self {
        let mut events: Vec<clap_event_param_value> = events
            .iter()
            .map(|e| clap_event_param_value {
                header: clap_event_header {
                    size: std::mem::size_of::<clap_event_param_value>() as u32,
                    time: e.time,
                    space_id: CLAP_CORE_EVENT_SPACE_ID,
                    type_: CLAP_EVENT_PARAM_VALUE,
                    flags: 0,
                },
                param_id: e.param_id,
                cookie: std::ptr::null_mut(),
                note_id: -1,
                port_index: -1,
                channel: -1,
                key: -1,
                value: e.value,
            })
            .collect();
        if sort {
            events.sort_by_key(|e| e.header.time);
        }
        Self { events }
    }

    /// The CLAP view of this list; valid while `self` is neither moved nor dropped.
    pub(crate) fn raw(&self) -> clap_input_events {
        clap_input_events {
            ctx: self as *const Self as *mut c_void,
            size: Some(input_size),
            get: Some(input_get),
        }
    }
}

unsafe extern "C" fn input_size(list: *const clap_input_events) -> u32 {
    // SAFETY: ctx is the `InputEvents` behind `raw()`.
    unsafe { (*((*list).ctx as *const InputEvents)).events.len() as u32 }
}

unsafe extern "C" fn input_get(
    list: *const clap_input_events,
    index: u32,
) -> *const clap_event_header {
    // SAFETY: as `input_size`.
    let events = unsafe { &(*((*list).ctx as *const InputEvents)).events };
    events
        .get(index as usize)
        .map_or(std::ptr::null(), |e| &e.header as *const _)
}

/// The collector behind an output event list.
pub(crate) struct OutputEvents {
    /// What the plugin pushed.
    pub(crate) events: Vec<OutputEvent>,
}

impl OutputEvents {
    /// An empty collector with room for a block's worth of events.
    pub(crate) fn new() -> Self {
        Self {
            events: Vec::with_capacity(256),
        }
    }

    /// The CLAP view; valid while `self` is neither moved nor dropped.
    pub(crate) fn raw(&mut self) -> clap_output_events {
        clap_output_events {
            ctx: self as *mut Self as *mut c_void,
            try_push: Some(output_try_push),
        }
    }
}

unsafe extern "C" fn output_try_push(
    list: *const clap_output_events,
    event: *const clap_event_header,
) -> bool {
    if list.is_null() || event.is_null() {
        return false;
    }
    // SAFETY: ctx is the `OutputEvents` behind `raw()`; `event` a valid header of `size` bytes.
    unsafe {
        let out = &mut *((*list).ctx as *mut OutputEvents);
        let header = &*event;
        let parsed = match (header.space_id, header.type_) {
            (CLAP_CORE_EVENT_SPACE_ID, CLAP_EVENT_PARAM_VALUE) => {
                let e = &*(event as *const clap_event_param_value);
                OutputEvent::ParamValue(ParamEvent::new(header.time, e.param_id, e.value))
            }
            (CLAP_CORE_EVENT_SPACE_ID, CLAP_EVENT_PARAM_GESTURE_BEGIN) => {
                OutputEvent::GestureBegin((*(event as *const clap_event_param_gesture)).param_id)
            }
            (CLAP_CORE_EVENT_SPACE_ID, CLAP_EVENT_PARAM_GESTURE_END) => {
                OutputEvent::GestureEnd((*(event as *const clap_event_param_gesture)).param_id)
            }
            (space, kind) => OutputEvent::Other(space, kind),
        };
        out.events.push(parsed);
    }
    true
}
