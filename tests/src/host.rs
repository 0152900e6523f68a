//! The loaded library and the host side of the CLAP contract (`clap_host` and its extensions).

use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use clap_sys::entry::clap_plugin_entry;
use clap_sys::ext::audio_ports::{clap_host_audio_ports, CLAP_EXT_AUDIO_PORTS};
use clap_sys::ext::audio_ports_config::{
    clap_host_audio_ports_config, CLAP_EXT_AUDIO_PORTS_CONFIG,
};
use clap_sys::ext::latency::{clap_host_latency, CLAP_EXT_LATENCY};
use clap_sys::ext::params::{
    clap_host_params, clap_param_clear_flags, clap_param_rescan_flags, CLAP_EXT_PARAMS,
};
use clap_sys::ext::state::{clap_host_state, CLAP_EXT_STATE};
use clap_sys::factory::plugin_factory::{clap_plugin_factory, CLAP_PLUGIN_FACTORY_ID};
use clap_sys::host::clap_host;
use clap_sys::id::clap_id;
use clap_sys::plugin::clap_plugin_descriptor;
use clap_sys::version::{clap_version_is_compatible, CLAP_VERSION};

use crate::instance::PluginInstance;
use crate::Error;

/// A plugin library loaded through its `clap_entry`, with the entry initialised.
///
/// Libraries are cached per path and never unloaded (nor `deinit`ed): unloading a Rust cdylib
/// whose threads or thread-locals may still be alive is a use-after-unmap waiting to happen, and
/// CLAP allows `init` only once per load. Every instance keeps its `Host` alive through an `Arc`.
pub struct Host {
    /// The dlopen handle; held so the code stays mapped.
    _library: libloading::Library,
    /// The library's path as given to `init`.
    path: PathBuf,
    /// The entry's plugin factory.
    factory: *const clap_plugin_factory,
}

// SAFETY: the factory is immutable after `init` and CLAP factories are thread-safe.
unsafe impl Send for Host {}
// SAFETY: as above.
unsafe impl Sync for Host {}

/// One plugin descriptor as the factory reports it, copied into owned strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginDescriptor {
    /// Reverse-DNS plugin id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Vendor.
    pub vendor: String,
    /// Vendor URL.
    pub url: String,
    /// Manual URL (empty when the plugin has none).
    pub manual_url: String,
    /// Support URL (empty when the plugin has none).
    pub support_url: String,
    /// Version string.
    pub version: String,
    /// One-line description.
    pub description: String,
    /// CLAP feature strings, in order.
    pub features: Vec<String>,
}

/// Every library loaded so far, by path.
fn loaded() -> &'static Mutex<HashMap<PathBuf, Arc<Host>>> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, Arc<Host>>>> = OnceLock::new();
    LOADED.get_or_init(Default::default)
}

impl Host {
    /// Loads the CLAP library at `path` (or returns the already loaded one), checks the entry's
    /// CLAP version, calls `init` and fetches the plugin factory.
    pub fn load(path: &Path) -> Result<Arc<Host>, Error> {
        let mut map = loaded().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(host) = map.get(path) {
            return Ok(host.clone());
        }
        // SAFETY: loading a library runs its initialisers; the plugin is trusted test input.
        let library = unsafe { libloading::Library::new(path) }
            .map_err(|e| format!("dlopen {}: {e}", path.display()))?;
        // SAFETY: `clap_entry` is a static `clap_plugin_entry` by the CLAP ABI.
        let entry: *const clap_plugin_entry = unsafe {
            *library
                .get::<*const clap_plugin_entry>(b"clap_entry\0")
                .map_err(|e| format!("{}: no clap_entry symbol: {e}", path.display()))?
        };
        if entry.is_null() {
            return Err("clap_entry is null".into());
        }
        // SAFETY: non-null static entry.
        let entry = unsafe { &*entry };
        if !clap_version_is_compatible(entry.clap_version) {
            return Err(format!(
                "incompatible CLAP version {}.{}.{}",
                entry.clap_version.major, entry.clap_version.minor, entry.clap_version.revision
            ));
        }
        let path_c = CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| "path contains a NUL byte".to_string())?;
        let init = entry.init.ok_or("entry.init is null")?;
        // SAFETY: first and only init of this load.
        if !unsafe { init(path_c.as_ptr()) } {
            return Err("clap_entry.init returned false".into());
        }
        let get_factory = entry.get_factory.ok_or("entry.get_factory is null")?;
        // SAFETY: entry initialised; the id is a valid C string.
        let factory =
            unsafe { get_factory(CLAP_PLUGIN_FACTORY_ID.as_ptr()) } as *const clap_plugin_factory;
        if factory.is_null() {
            return Err("the entry has no clap.plugin-factory".into());
        }
        let host = Arc::new(Host {
            _library: library,
            path: path.to_path_buf(),
            factory,
        });
        map.insert(path.to_path_buf(), host.clone());
        Ok(host)
    }

    /// Loads the `libcuewire` built for this test run (see [`crate::cuewire_library_path`]).
    pub fn cuewire() -> Result<Arc<Host>, Error> {
        Host::load(&crate::cuewire_library_path()?)
    }

    /// The library's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The factory's raw pointer, for tests of the raw ABI.
    pub fn raw_factory(&self) -> *const clap_plugin_factory {
        self.factory
    }

    /// Every descriptor the factory offers.
    pub fn descriptors(&self) -> Vec<PluginDescriptor> {
        // SAFETY: factory valid for the library's life; descriptors are static.
        unsafe {
            let factory = &*self.factory;
            let count = factory.get_plugin_count.map_or(0, |f| f(self.factory));
            (0..count)
                .filter_map(|i| {
                    let desc = factory.get_plugin_descriptor?(self.factory, i);
                    (!desc.is_null()).then(|| descriptor_from_raw(&*desc))
                })
                .collect()
        }
    }

    /// Creates and `init`s plugin `plugin_id` with a fresh host struct.
    pub fn create_plugin(self: &Arc<Self>, plugin_id: &str) -> Result<PluginInstance, Error> {
        PluginInstance::create(self.clone(), plugin_id)
    }
}

/// Reads a C string that may be null (empty then).
///
/// # Safety
/// `p` is null or a valid NUL-terminated string.
pub(crate) unsafe fn c_str_or_empty(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: caller's contract.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

/// Copies a raw descriptor into owned strings.
///
/// # Safety
/// `desc` is a valid descriptor.
pub(crate) unsafe fn descriptor_from_raw(desc: &clap_plugin_descriptor) -> PluginDescriptor {
    // SAFETY: the descriptor's strings are valid C strings or null; `features` is a
    // null-terminated array.
    unsafe {
        let mut features = Vec::new();
        if !desc.features.is_null() {
            let mut p = desc.features;
            while !(*p).is_null() {
                features.push(c_str_or_empty(*p));
                p = p.add(1);
            }
        }
        PluginDescriptor {
            id: c_str_or_empty(desc.id),
            name: c_str_or_empty(desc.name),
            vendor: c_str_or_empty(desc.vendor),
            url: c_str_or_empty(desc.url),
            manual_url: c_str_or_empty(desc.manual_url),
            support_url: c_str_or_empty(desc.support_url),
            version: c_str_or_empty(desc.version),
            description: c_str_or_empty(desc.description),
            features,
        }
    }
}

/// How many times the plugin called each host function, since creation or the last
/// [`PluginInstance::take_host_requests`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostRequests {
    /// `clap_host.request_restart`.
    pub restart: u32,
    /// `clap_host.request_process`.
    pub process: u32,
    /// `clap_host.request_callback` (the harness answers it in
    /// [`PluginInstance::run_main_thread_callbacks`]).
    pub callback: u32,
    /// `clap_host_latency.changed`.
    pub latency_changed: u32,
    /// `clap_host_params.rescan`.
    pub params_rescan: u32,
    /// The union of every `rescan` flag seen.
    pub params_rescan_flags: u32,
    /// `clap_host_params.clear`.
    pub params_clear: u32,
    /// `clap_host_params.request_flush`.
    pub params_request_flush: u32,
    /// `clap_host_state.mark_dirty`.
    pub state_mark_dirty: u32,
    /// `clap_host_audio_ports.rescan`.
    pub audio_ports_rescan: u32,
    /// `clap_host_audio_ports_config.rescan`.
    pub audio_ports_config_rescan: u32,
}

/// Counters behind [`HostRequests`]; atomics because the plugin may call from any thread.
#[derive(Default)]
struct RequestCounters {
    restart: AtomicU32,
    process: AtomicU32,
    callback: AtomicU32,
    latency_changed: AtomicU32,
    params_rescan: AtomicU32,
    params_rescan_flags: AtomicU32,
    params_clear: AtomicU32,
    params_request_flush: AtomicU32,
    state_mark_dirty: AtomicU32,
    audio_ports_rescan: AtomicU32,
    audio_ports_config_rescan: AtomicU32,
}

impl RequestCounters {
    /// Reads and zeroes every counter.
    fn take(&self) -> HostRequests {
        let t = |a: &AtomicU32| a.swap(0, Ordering::AcqRel);
        HostRequests {
            restart: t(&self.restart),
            process: t(&self.process),
            callback: t(&self.callback),
            latency_changed: t(&self.latency_changed),
            params_rescan: t(&self.params_rescan),
            params_rescan_flags: t(&self.params_rescan_flags),
            params_clear: t(&self.params_clear),
            params_request_flush: t(&self.params_request_flush),
            state_mark_dirty: t(&self.state_mark_dirty),
            audio_ports_rescan: t(&self.audio_ports_rescan),
            audio_ports_config_rescan: t(&self.audio_ports_config_rescan),
        }
    }
}

/// The `clap_host` handed to one plugin instance, plus what the plugin asked of it. Boxed so
/// its address (the plugin keeps the pointer) never moves.
pub(crate) struct HostShared {
    /// The struct the plugin sees; `host_data` points back at this `HostShared`.
    pub(crate) clap_host: clap_host,
    /// What the plugin has asked for.
    requests: RequestCounters,
    /// Pending `request_callback`s not yet answered by `on_main_thread`.
    pub(crate) callback_pending: AtomicU32,
}

/// Host name, vendor, url and version strings.
const HOST_NAME: &CStr = c"cuewire-tests";
const HOST_VENDOR: &CStr = c"Cuewire";
const HOST_URL: &CStr = c"https://cuewire.invalid";
const HOST_VERSION: &CStr = c"0.1.0";

impl HostShared {
    /// A boxed host whose `host_data` points at itself.
    pub(crate) fn new_boxed() -> Box<HostShared> {
        let mut shared = Box::new(HostShared {
            clap_host: clap_host {
                clap_version: CLAP_VERSION,
                host_data: std::ptr::null_mut(),
                name: HOST_NAME.as_ptr(),
                vendor: HOST_VENDOR.as_ptr(),
                url: HOST_URL.as_ptr(),
                version: HOST_VERSION.as_ptr(),
                get_extension: Some(host_get_extension),
                request_restart: Some(host_request_restart),
                request_process: Some(host_request_process),
                request_callback: Some(host_request_callback),
            },
            requests: RequestCounters::default(),
            callback_pending: AtomicU32::new(0),
        });
        shared.clap_host.host_data = &*shared as *const HostShared as *mut c_void;
        shared
    }

    /// Reads and zeroes the request counters.
    pub(crate) fn take_requests(&self) -> HostRequests {
        self.requests.take()
    }
}

/// The `HostShared` behind a `clap_host` pointer.
///
/// # Safety
/// `host` is a `clap_host` made by [`HostShared::new_boxed`] and still alive.
unsafe fn shared<'a>(host: *const clap_host) -> &'a HostShared {
    // SAFETY: caller's contract.
    unsafe { &*((*host).host_data as *const HostShared) }
}

/// Bumps a counter of the host behind `host`.
///
/// # Safety
/// As [`shared`].
unsafe fn bump(host: *const clap_host, pick: impl Fn(&RequestCounters) -> &AtomicU32) {
    if host.is_null() {
        return;
    }
    // SAFETY: caller's contract.
    pick(&unsafe { shared(host) }.requests).fetch_add(1, Ordering::AcqRel);
}

unsafe extern "C" fn host_request_restart(host: *const clap_host) {
    unsafe { bump(host, |r| &r.restart) }
}
unsafe extern "C" fn host_request_process(host: *const clap_host) {
    unsafe { bump(host, |r| &r.process) }
}
unsafe extern "C" fn host_request_callback(host: *const clap_host) {
    unsafe { bump(host, |r| &r.callback) };
    if !host.is_null() {
        // SAFETY: live host.
        unsafe { shared(host) }
            .callback_pending
            .fetch_add(1, Ordering::AcqRel);
    }
}
unsafe extern "C" fn host_latency_changed(host: *const clap_host) {
    unsafe { bump(host, |r| &r.latency_changed) }
}
unsafe extern "C" fn host_params_rescan(host: *const clap_host, flags: clap_param_rescan_flags) {
    unsafe { bump(host, |r| &r.params_rescan) };
    if !host.is_null() {
        // SAFETY: live host.
        unsafe { shared(host) }
            .requests
            .params_rescan_flags
            .fetch_or(flags, Ordering::AcqRel);
    }
}
unsafe extern "C" fn host_params_clear(
    host: *const clap_host,
    _param_id: clap_id,
    _flags: clap_param_clear_flags,
) {
    unsafe { bump(host, |r| &r.params_clear) }
}
unsafe extern "C" fn host_params_request_flush(host: *const clap_host) {
    unsafe { bump(host, |r| &r.params_request_flush) }
}
unsafe extern "C" fn host_state_mark_dirty(host: *const clap_host) {
    unsafe { bump(host, |r| &r.state_mark_dirty) }
}
unsafe extern "C" fn host_audio_ports_is_rescan_flag_supported(
    _host: *const clap_host,
    _flag: u32,
) -> bool {
    true
}
unsafe extern "C" fn host_audio_ports_rescan(host: *const clap_host, _flags: u32) {
    unsafe { bump(host, |r| &r.audio_ports_rescan) }
}
unsafe extern "C" fn host_audio_ports_config_rescan(host: *const clap_host) {
    unsafe { bump(host, |r| &r.audio_ports_config_rescan) }
}

/// The host-side extensions the harness offers.
static HOST_LATENCY: clap_host_latency = clap_host_latency {
    changed: Some(host_latency_changed),
};
static HOST_PARAMS: clap_host_params = clap_host_params {
    rescan: Some(host_params_rescan),
    clear: Some(host_params_clear),
    request_flush: Some(host_params_request_flush),
};
static HOST_STATE: clap_host_state = clap_host_state {
    mark_dirty: Some(host_state_mark_dirty),
};
static HOST_AUDIO_PORTS: clap_host_audio_ports = clap_host_audio_ports {
    is_rescan_flag_supported: Some(host_audio_ports_is_rescan_flag_supported),
    rescan: Some(host_audio_ports_rescan),
};
static HOST_AUDIO_PORTS_CONFIG: clap_host_audio_ports_config = clap_host_audio_ports_config {
    rescan: Some(host_audio_ports_config_rescan),
};

unsafe extern "C" fn host_get_extension(
    _host: *const clap_host,
    extension_id: *const c_char,
) -> *const c_void {
    if extension_id.is_null() {
        return std::ptr::null();
    }
    // SAFETY: the plugin passes a C string.
    let id = unsafe { CStr::from_ptr(extension_id) };
    if id == CLAP_EXT_LATENCY {
        &HOST_LATENCY as *const _ as *const c_void
    } else if id == CLAP_EXT_PARAMS {
        &HOST_PARAMS as *const _ as *const c_void
    } else if id == CLAP_EXT_STATE {
        &HOST_STATE as *const _ as *const c_void
    } else if id == CLAP_EXT_AUDIO_PORTS {
        &HOST_AUDIO_PORTS as *const _ as *const c_void
    } else if id == CLAP_EXT_AUDIO_PORTS_CONFIG {
        &HOST_AUDIO_PORTS_CONFIG as *const _ as *const c_void
    } else {
        std::ptr::null()
    }
}
