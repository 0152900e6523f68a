//! One plugin instance created through the factory, and the calls a host makes on it.

use std::ffi::{c_char, c_void, CStr, CString};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use clap_sys::audio_buffer::clap_audio_buffer;
use clap_sys::ext::audio_ports::{
    clap_audio_port_info, clap_plugin_audio_ports, CLAP_EXT_AUDIO_PORTS,
};
use clap_sys::ext::audio_ports_config::{
    clap_audio_ports_config, clap_plugin_audio_ports_config, CLAP_EXT_AUDIO_PORTS_CONFIG,
};
use clap_sys::ext::latency::{clap_plugin_latency, CLAP_EXT_LATENCY};
use clap_sys::ext::params::{clap_param_info, clap_plugin_params, CLAP_EXT_PARAMS};
use clap_sys::ext::state::{clap_plugin_state, CLAP_EXT_STATE};
use clap_sys::id::CLAP_INVALID_ID;
use clap_sys::plugin::clap_plugin;
use clap_sys::process::{
    clap_process, CLAP_PROCESS_CONTINUE, CLAP_PROCESS_CONTINUE_IF_NOT_QUIET, CLAP_PROCESS_ERROR,
    CLAP_PROCESS_SLEEP, CLAP_PROCESS_TAIL,
};

use crate::buffers::ProcessBuffers;
use crate::events::{InputEvents, OutputEvent, OutputEvents, ParamEvent};
use crate::host::{
    c_str_or_empty, descriptor_from_raw, Host, HostRequests, HostShared, PluginDescriptor,
};
use crate::stream::{ReadStream, WriteStream};
use crate::Error;

/// The CLAP parameter id nice-plug derives from a string parameter id (its `hash_param_id`:
/// a 31-multiplier string hash with the top bit cleared, which VST3 reserves for hosts).
pub fn clap_param_id(id: &str) -> u32 {
    let hash = id
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    hash & !(1 << 31)
}

/// One audio port as `clap_plugin_audio_ports.get` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioPortInfo {
    /// Stable port id.
    pub id: u32,
    /// Display name.
    pub name: String,
    /// `CLAP_AUDIO_PORT_*` flags.
    pub flags: u32,
    /// Number of channels.
    pub channel_count: u32,
    /// Port type ("mono", "stereo", or empty when null).
    pub port_type: String,
    /// Id of the in-place partner port, or `CLAP_INVALID_ID`.
    pub in_place_pair: u32,
}

impl AudioPortInfo {
    /// Whether the port has `CLAP_AUDIO_PORT_IS_MAIN`.
    pub fn is_main(&self) -> bool {
        self.flags & clap_sys::ext::audio_ports::CLAP_AUDIO_PORT_IS_MAIN != 0
    }
}

/// One configuration of `clap_plugin_audio_ports_config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioPortsConfig {
    /// Config id, for [`PluginInstance::select_audio_ports_config`].
    pub id: u32,
    /// Display name.
    pub name: String,
    /// Number of input ports.
    pub input_port_count: u32,
    /// Number of output ports.
    pub output_port_count: u32,
    /// Channels of the main input, if any.
    pub main_input_channels: Option<u32>,
    /// Port type of the main input.
    pub main_input_port_type: String,
    /// Channels of the main output, if any.
    pub main_output_channels: Option<u32>,
    /// Port type of the main output.
    pub main_output_port_type: String,
}

/// One parameter as `clap_plugin_params.get_info` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamInfo {
    /// CLAP id.
    pub id: u32,
    /// `CLAP_PARAM_*` flags.
    pub flags: u32,
    /// Display name.
    pub name: String,
    /// Module path (nice-plug: the group, e.g. "Main").
    pub module: String,
    /// Lowest CLAP value.
    pub min_value: f64,
    /// Highest CLAP value.
    pub max_value: f64,
    /// Default CLAP value.
    pub default_value: f64,
}

/// What `process()` returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessStatus {
    /// `CLAP_PROCESS_ERROR`.
    Error,
    /// `CLAP_PROCESS_CONTINUE`.
    Continue,
    /// `CLAP_PROCESS_CONTINUE_IF_NOT_QUIET`.
    ContinueIfNotQuiet,
    /// `CLAP_PROCESS_TAIL`.
    Tail,
    /// `CLAP_PROCESS_SLEEP`.
    Sleep,
    /// Anything else (a plugin bug).
    Other(i32),
}

impl ProcessStatus {
    /// Maps the raw status.
    fn from_raw(status: i32) -> Self {
        match status {
            CLAP_PROCESS_ERROR => Self::Error,
            CLAP_PROCESS_CONTINUE => Self::Continue,
            CLAP_PROCESS_CONTINUE_IF_NOT_QUIET => Self::ContinueIfNotQuiet,
            CLAP_PROCESS_TAIL => Self::Tail,
            CLAP_PROCESS_SLEEP => Self::Sleep,
            other => Self::Other(other),
        }
    }
}

/// Host behaviours for one [`PluginInstance::process_with`] call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessOptions {
    /// Sort the input events by time, as CLAP requires (false: pass them in the given order,
    /// to test a plugin's robustness against a misbehaving host).
    pub sort_events: bool,
    /// Pass the main input's channel pointers as the main output's too (in-place processing);
    /// the result is then in `buffers.inputs[0]` and `buffers.outputs[0]` is left untouched.
    pub in_place_main: bool,
}

impl Default for ProcessOptions {
    fn default() -> Self {
        Self {
            sort_events: true,
            in_place_main: false,
        }
    }
}

/// The plugin's extension vtables (null when it lacks one).
struct Extensions {
    audio_ports: *const clap_plugin_audio_ports,
    audio_ports_config: *const clap_plugin_audio_ports_config,
    params: *const clap_plugin_params,
    state: *const clap_plugin_state,
    latency: *const clap_plugin_latency,
}

/// A plugin created through the factory and `init`ed. Dropping it stops processing,
/// deactivates and destroys it, in that order, as a host must.
///
/// All calls are made on the calling thread; the instance is `Send` so a test may create it on
/// one thread (the "main" thread) and process on another, as hosts do.
pub struct PluginInstance {
    /// Keeps the library loaded.
    host: Arc<Host>,
    /// The host struct the plugin holds a pointer to.
    shared: Box<HostShared>,
    /// The plugin.
    plugin: *const clap_plugin,
    /// Its extensions.
    ext: Extensions,
    /// Between `activate` and `deactivate`.
    active: bool,
    /// Between `start_processing` and `stop_processing`.
    processing: bool,
    /// Sample counter passed as `steady_time`.
    steady_time: i64,
    /// Events the plugin pushed in `process` or `flush` since the last take.
    output_events: Vec<OutputEvent>,
}

// SAFETY: CLAP plugins may be driven from several threads under the host's rules (main vs audio
// thread); the harness only makes one call at a time (`&mut self`).
unsafe impl Send for PluginInstance {}

impl PluginInstance {
    /// Creates plugin `plugin_id` through `host`'s factory and calls `init`.
    pub(crate) fn create(host: Arc<Host>, plugin_id: &str) -> Result<Self, Error> {
        let shared = HostShared::new_boxed();
        let id = CString::new(plugin_id).map_err(|_| "plugin id contains NUL".to_string())?;
        // SAFETY: factory valid; host struct boxed and owned by the instance.
        let plugin = unsafe {
            let factory = &*host.raw_factory();
            let create = factory
                .create_plugin
                .ok_or("factory.create_plugin is null")?;
            create(host.raw_factory(), &shared.clap_host, id.as_ptr())
        };
        if plugin.is_null() {
            return Err(format!("create_plugin({plugin_id}) returned null"));
        }
        // SAFETY: freshly created plugin.
        let init = unsafe { (*plugin).init }.ok_or("plugin.init is null")?;
        // SAFETY: as above; `init` is the first call.
        if !unsafe { init(plugin) } {
            // SAFETY: a plugin whose init failed must still be destroyed.
            if let Some(destroy) = unsafe { (*plugin).destroy } {
                unsafe { destroy(plugin) };
            }
            return Err(format!("init({plugin_id}) returned false"));
        }
        // SAFETY: extension queries are valid after init.
        let get = |id: &CStr| unsafe { raw_extension(plugin, id) };
        let ext = Extensions {
            audio_ports: get(CLAP_EXT_AUDIO_PORTS) as _,
            audio_ports_config: get(CLAP_EXT_AUDIO_PORTS_CONFIG) as _,
            params: get(CLAP_EXT_PARAMS) as _,
            state: get(CLAP_EXT_STATE) as _,
            latency: get(CLAP_EXT_LATENCY) as _,
        };
        Ok(Self {
            host,
            shared,
            plugin,
            ext,
            active: false,
            processing: false,
            steady_time: 0,
            output_events: Vec::new(),
        })
    }

    /// The library this instance came from.
    pub fn host(&self) -> &Arc<Host> {
        &self.host
    }

    /// The raw plugin pointer, for tests of the raw ABI. Valid while `self` lives.
    pub fn raw(&self) -> *const clap_plugin {
        self.plugin
    }

    /// The plugin's own descriptor (`clap_plugin.desc`).
    pub fn descriptor(&self) -> PluginDescriptor {
        // SAFETY: `desc` is a static descriptor.
        unsafe { descriptor_from_raw(&*(*self.plugin).desc) }
    }

    /// Whether the plugin offers extension `id` (e.g. `c"clap.gui"`).
    pub fn has_extension(&self, id: &CStr) -> bool {
        // SAFETY: live plugin.
        !unsafe { raw_extension(self.plugin, id) }.is_null()
    }

    /// What the plugin asked of the host since creation or the last call (zeroes the counts).
    pub fn take_host_requests(&self) -> HostRequests {
        self.shared.take_requests()
    }

    /// Calls `on_main_thread` once if the plugin requested a callback; returns whether it did.
    pub fn run_main_thread_callbacks(&mut self) -> bool {
        if self.shared.callback_pending.swap(0, Ordering::AcqRel) == 0 {
            return false;
        }
        // SAFETY: live plugin, main thread by the caller's choice.
        if let Some(f) = unsafe { (*self.plugin).on_main_thread } {
            unsafe { f(self.plugin) };
        }
        true
    }

    /// Events the plugin pushed (in `process` or `flush`) since the last take.
    pub fn take_output_events(&mut self) -> Vec<OutputEvent> {
        std::mem::take(&mut self.output_events)
    }

    // ---- audio ports ----

    /// `audio_ports.count`, or 0 without the extension.
    pub fn audio_port_count(&self, is_input: bool) -> u32 {
        // SAFETY: vtable from the plugin, or null.
        unsafe { self.ext.audio_ports.as_ref() }
            .and_then(|e| e.count)
            .map_or(0, |f| unsafe { f(self.plugin, is_input) })
    }

    /// `audio_ports.get(index)`, or `None` when the plugin refuses.
    pub fn audio_port(&self, is_input: bool, index: u32) -> Option<AudioPortInfo> {
        // SAFETY: vtable from the plugin, or null.
        let get = unsafe { self.ext.audio_ports.as_ref() }?.get?;
        // SAFETY: zeroed POD is a valid out-parameter.
        let mut info: clap_audio_port_info = unsafe { std::mem::zeroed() };
        // SAFETY: live plugin, valid out-pointer.
        if !unsafe { get(self.plugin, index, is_input, &mut info) } {
            return None;
        }
        Some(AudioPortInfo {
            id: info.id,
            name: name_of(&info.name),
            flags: info.flags,
            channel_count: info.channel_count,
            // SAFETY: null or a C string.
            port_type: unsafe { c_str_or_empty(info.port_type) },
            in_place_pair: info.in_place_pair,
        })
    }

    /// Every input (or output) port of the current configuration.
    pub fn audio_ports(&self, is_input: bool) -> Vec<AudioPortInfo> {
        (0..self.audio_port_count(is_input))
            .filter_map(|i| self.audio_port(is_input, i))
            .collect()
    }

    /// Silent buffers for `frames` samples shaped like the current port configuration.
    pub fn silent_buffers(&self, frames: u32) -> ProcessBuffers {
        let counts = |is_input| {
            self.audio_ports(is_input)
                .iter()
                .map(|p| p.channel_count)
                .collect::<Vec<_>>()
        };
        ProcessBuffers::silent(frames, &counts(true), &counts(false))
    }

    /// Every configuration of `audio-ports-config` (empty without the extension).
    pub fn audio_ports_configs(&self) -> Vec<AudioPortsConfig> {
        // SAFETY: vtable from the plugin, or null.
        let Some(ext) = (unsafe { self.ext.audio_ports_config.as_ref() }) else {
            return Vec::new();
        };
        let (Some(count), Some(get)) = (ext.count, ext.get) else {
            return Vec::new();
        };
        // SAFETY: live plugin.
        let n = unsafe { count(self.plugin) };
        (0..n)
            .filter_map(|i| {
                // SAFETY: zeroed POD out-parameter.
                let mut c: clap_audio_ports_config = unsafe { std::mem::zeroed() };
                // SAFETY: live plugin, valid out-pointer.
                if !unsafe { get(self.plugin, i, &mut c) } {
                    return None;
                }
                // SAFETY: port types are null or C strings.
                let (in_type, out_type) = unsafe {
                    (
                        c_str_or_empty(c.main_input_port_type),
                        c_str_or_empty(c.main_output_port_type),
                    )
                };
                Some(AudioPortsConfig {
                    id: c.id,
                    name: name_of(&c.name),
                    input_port_count: c.input_port_count,
                    output_port_count: c.output_port_count,
                    main_input_channels: c.has_main_input.then_some(c.main_input_channel_count),
                    main_input_port_type: in_type,
                    main_output_channels: c.has_main_output.then_some(c.main_output_channel_count),
                    main_output_port_type: out_type,
                })
            })
            .collect()
    }

    /// `audio_ports_config.select(id)`; only valid while deactivated.
    pub fn select_audio_ports_config(&mut self, config_id: u32) -> bool {
        // SAFETY: vtable from the plugin, or null.
        unsafe { self.ext.audio_ports_config.as_ref() }
            .and_then(|e| e.select)
            .is_some_and(|f| unsafe { f(self.plugin, config_id) })
    }

    /// Selects the configuration whose name is `name`.
    pub fn select_audio_ports_config_named(&mut self, name: &str) -> Result<(), Error> {
        let config = self
            .audio_ports_configs()
            .into_iter()
            .find(|c| c.name == name)
            .ok_or_else(|| format!("no audio ports config named {name:?}"))?;
        if self.select_audio_ports_config(config.id) {
            Ok(())
        } else {
            Err(format!("select({name:?}) refused"))
        }
    }

    // ---- params ----

    /// Every parameter, in the plugin's order.
    pub fn params(&self) -> Vec<ParamInfo> {
        // SAFETY: vtable from the plugin, or null.
        let Some(ext) = (unsafe { self.ext.params.as_ref() }) else {
            return Vec::new();
        };
        let (Some(count), Some(get_info)) = (ext.count, ext.get_info) else {
            return Vec::new();
        };
        // SAFETY: live plugin.
        let n = unsafe { count(self.plugin) };
        (0..n)
            .filter_map(|i| {
                // SAFETY: zeroed POD out-parameter.
                let mut p: clap_param_info = unsafe { std::mem::zeroed() };
                // SAFETY: live plugin, valid out-pointer.
                if !unsafe { get_info(self.plugin, i, &mut p) } {
                    return None;
                }
                Some(ParamInfo {
                    id: p.id,
                    flags: p.flags,
                    name: name_of(&p.name),
                    module: name_of(&p.module),
                    min_value: p.min_value,
                    max_value: p.max_value,
                    default_value: p.default_value,
                })
            })
            .collect()
    }

    /// `params.get_value(id)`.
    pub fn param_value(&self, param_id: u32) -> Option<f64> {
        // SAFETY: vtable from the plugin, or null.
        let f = unsafe { self.ext.params.as_ref() }?.get_value?;
        let mut value = 0.0;
        // SAFETY: live plugin, valid out-pointer.
        unsafe { f(self.plugin, param_id, &mut value) }.then_some(value)
    }

    /// `params.value_to_text(id, value)`.
    pub fn value_to_text(&self, param_id: u32, value: f64) -> Option<String> {
        // SAFETY: vtable from the plugin, or null.
        let f = unsafe { self.ext.params.as_ref() }?.value_to_text?;
        let mut buf: [c_char; 256] = [0; 256];
        // SAFETY: live plugin, buffer of the stated capacity.
        if !unsafe {
            f(
                self.plugin,
                param_id,
                value,
                buf.as_mut_ptr(),
                buf.len() as u32,
            )
        } {
            return None;
        }
        Some(name_of(&buf))
    }

    /// `params.text_to_value(id, text)`.
    pub fn text_to_value(&self, param_id: u32, text: &str) -> Option<f64> {
        // SAFETY: vtable from the plugin, or null.
        let f = unsafe { self.ext.params.as_ref() }?.text_to_value?;
        let text = CString::new(text).ok()?;
        let mut value = 0.0;
        // SAFETY: live plugin, C string, valid out-pointer.
        unsafe { f(self.plugin, param_id, text.as_ptr(), &mut value) }.then_some(value)
    }

    /// `params.flush(in, out)` outside `process` (the plugin must not be processing per
    /// CLAP, but the harness lets tests try); returns what the plugin pushed.
    pub fn flush_params(&mut self, events: &[ParamEvent]) -> Result<Vec<OutputEvent>, Error> {
        // SAFETY: vtable from the plugin, or null.
        let flush = unsafe { self.ext.params.as_ref() }
            .and_then(|e| e.flush)
            .ok_or("plugin has no params.flush")?;
        let input = InputEvents::new(events, true);
        let in_raw = input.raw();
        let mut output = OutputEvents::new();
        let out_raw = output.raw();
        // SAFETY: live plugin; lists live until after the call.
        unsafe { flush(self.plugin, &in_raw, &out_raw) };
        Ok(output.events)
    }

    // ---- state ----

    /// `state.save` into bytes.
    pub fn save_state(&mut self) -> Result<Vec<u8>, Error> {
        // SAFETY: vtable from the plugin, or null.
        let save = unsafe { self.ext.state.as_ref() }
            .and_then(|e| e.save)
            .ok_or("plugin has no state.save")?;
        let mut stream = WriteStream { data: Vec::new() };
        let raw = stream.raw();
        // SAFETY: live plugin, stream outlives the call.
        if unsafe { save(self.plugin, &raw) } {
            Ok(stream.data)
        } else {
            Err("state.save returned false".into())
        }
    }

    /// `state.load` from bytes, handed out in one read where possible; returns the plugin's
    /// verdict.
    pub fn load_state(&mut self, bytes: &[u8]) -> bool {
        self.load_state_chunked(bytes, usize::MAX)
    }

    /// `state.load` from bytes handed out in reads of at most `max_chunk` bytes.
    pub fn load_state_chunked(&mut self, bytes: &[u8], max_chunk: usize) -> bool {
        // SAFETY: vtable from the plugin, or null.
        let Some(load) = unsafe { self.ext.state.as_ref() }.and_then(|e| e.load) else {
            return false;
        };
        let mut stream = ReadStream::new(bytes, max_chunk);
        let raw = stream.raw();
        // SAFETY: live plugin, stream outlives the call.
        unsafe { load(self.plugin, &raw) }
    }

    // ---- latency ----

    /// `latency.get`, or `None` without the extension.
    pub fn latency(&self) -> Option<u32> {
        // SAFETY: vtable from the plugin, or null.
        let f = unsafe { self.ext.latency.as_ref() }?.get?;
        // SAFETY: live plugin.
        Some(unsafe { f(self.plugin) })
    }

    // ---- lifecycle ----

    /// `activate(rate, min, max)`; returns the plugin's verdict.
    pub fn activate(&mut self, sample_rate_hz: f64, min_frames: u32, max_frames: u32) -> bool {
        assert!(!self.active, "activate while active");
        // SAFETY: live plugin, deactivated.
        let ok = unsafe { (*self.plugin).activate }
            .is_some_and(|f| unsafe { f(self.plugin, sample_rate_hz, min_frames, max_frames) });
        self.active = ok;
        self.steady_time = 0;
        ok
    }

    /// `deactivate` (stops processing first if needed).
    pub fn deactivate(&mut self) {
        self.stop_processing();
        if self.active {
            // SAFETY: live, active plugin.
            if let Some(f) = unsafe { (*self.plugin).deactivate } {
                unsafe { f(self.plugin) };
            }
            self.active = false;
        }
    }

    /// Whether the plugin is active.
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// `start_processing`; returns the plugin's verdict.
    pub fn start_processing(&mut self) -> bool {
        assert!(self.active, "start_processing while inactive");
        if self.processing {
            return true;
        }
        // SAFETY: live, active plugin.
        let ok =
            unsafe { (*self.plugin).start_processing }.is_some_and(|f| unsafe { f(self.plugin) });
        self.processing = ok;
        ok
    }

    /// `stop_processing` if processing.
    pub fn stop_processing(&mut self) {
        if self.processing {
            // SAFETY: live, processing plugin.
            if let Some(f) = unsafe { (*self.plugin).stop_processing } {
                unsafe { f(self.plugin) };
            }
            self.processing = false;
        }
    }

    /// `reset` (clears the plugin's DSP state; valid while active).
    pub fn reset(&mut self) {
        // SAFETY: live plugin.
        if let Some(f) = unsafe { (*self.plugin).reset } {
            unsafe { f(self.plugin) };
        }
    }

    /// Activates and starts processing, panicking with a clear message on refusal.
    pub fn activate_and_start(&mut self, sample_rate_hz: f64, max_frames: u32) {
        assert!(
            self.activate(sample_rate_hz, 1, max_frames),
            "activate({sample_rate_hz}, 1, {max_frames}) refused"
        );
        assert!(self.start_processing(), "start_processing refused");
    }

    /// One `process` call over `buffers` with these input events (sorted by the harness).
    /// Output buffers are updated in place; output events are kept for
    /// [`take_output_events`](Self::take_output_events). Errors only on buffers the harness
    /// cannot pass safely, or when not processing.
    pub fn process(
        &mut self,
        buffers: &mut ProcessBuffers,
        events: &[ParamEvent],
    ) -> Result<ProcessStatus, Error> {
        self.process_with(buffers, events, ProcessOptions::default())
    }

    /// [`process`](Self::process) with the host behaviours of [`ProcessOptions`].
    pub fn process_with(
        &mut self,
        buffers: &mut ProcessBuffers,
        events: &[ParamEvent],
        options: ProcessOptions,
    ) -> Result<ProcessStatus, Error> {
        if !self.processing {
            return Err("process while not processing".into());
        }
        buffers.validate()?;
        if options.in_place_main {
            let (Some(i), Some(o)) = (buffers.inputs.first(), buffers.outputs.first()) else {
                return Err("in-place processing needs a main input and output".into());
            };
            if i.null_data || o.null_data || i.channel_count() != o.channel_count() {
                return Err("in-place processing needs equal, non-null main ports".into());
            }
        }
        let frames = buffers.frames;
        let (mut in_ptrs, mut out_ptrs) = buffers.channel_pointers();
        if options.in_place_main {
            // The host hands the same channel pointers for main in and out, as DAWs do for an
            // insert whose ports are an in-place pair; the result lands in `inputs[0]`.
            out_ptrs[0] = in_ptrs[0].clone();
        }
        let raw_ports = |ports: &[crate::AudioPort], ptrs: &mut [Vec<*mut f32>]| {
            ports
                .iter()
                .zip(ptrs.iter_mut())
                .map(|(port, ptrs)| clap_audio_buffer {
                    data32: if port.null_data {
                        std::ptr::null_mut()
                    } else {
                        ptrs.as_mut_ptr()
                    },
                    data64: std::ptr::null_mut(),
                    channel_count: port.channel_count(),
                    latency: 0,
                    constant_mask: port.constant_mask,
                })
                .collect::<Vec<_>>()
        };
        let raw_inputs = raw_ports(&buffers.inputs, &mut in_ptrs);
        let mut raw_outputs = raw_ports(&buffers.outputs, &mut out_ptrs);
        let input = InputEvents::new(events, options.sort_events);
        let in_raw = input.raw();
        let mut output = OutputEvents::new();
        let out_raw = output.raw();
        let process = clap_process {
            steady_time: self.steady_time,
            frames_count: frames,
            transport: std::ptr::null(),
            audio_inputs: if raw_inputs.is_empty() {
                std::ptr::null()
            } else {
                raw_inputs.as_ptr()
            },
            audio_outputs: if raw_outputs.is_empty() {
                std::ptr::null_mut()
            } else {
                raw_outputs.as_mut_ptr()
            },
            audio_inputs_count: raw_inputs.len() as u32,
            audio_outputs_count: raw_outputs.len() as u32,
            in_events: &in_raw,
            out_events: &out_raw,
        };
        // SAFETY: live, processing plugin; every pointer outlives the call and the validated
        // buffers hold `frames` samples in each of `channel_count` channels.
        let status = unsafe { (*self.plugin).process }
            .map_or(CLAP_PROCESS_ERROR, |f| unsafe { f(self.plugin, &process) });
        self.steady_time += i64::from(frames);
        self.output_events.extend(output.events);
        Ok(ProcessStatus::from_raw(status))
    }
}

impl Drop for PluginInstance {
    fn drop(&mut self) {
        self.deactivate();
        // SAFETY: live plugin, deactivated; never used again.
        if let Some(f) = unsafe { (*self.plugin).destroy } {
            unsafe { f(self.plugin) };
        }
    }
}

/// `get_extension(id)` on a plugin.
///
/// # Safety
/// `plugin` is a live, initialised plugin.
unsafe fn raw_extension(plugin: *const clap_plugin, id: &CStr) -> *const c_void {
    // SAFETY: caller's contract.
    unsafe { (*plugin).get_extension }
        .map_or(std::ptr::null(), |f| unsafe { f(plugin, id.as_ptr()) })
}

/// A fixed-size C string field as a `String` (up to the first NUL).
fn name_of(buf: &[c_char]) -> String {
    let bytes: Vec<u8> = buf
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `CLAP_INVALID_ID`, re-exported for port-pair checks.
pub const INVALID_ID: u32 = CLAP_INVALID_ID;
