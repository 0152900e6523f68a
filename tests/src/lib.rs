//! End-to-end test harness for Cuewire: a small CLAP host that loads the built plugin library
//! through its `clap_entry` symbol, exactly as a DAW does, and drives it from safe Rust.
//!
//! - [`Host`] is a loaded plugin library (entry initialised, factory found). [`Host::cuewire()`]
//!   loads the `libcuewire` built by this workspace; [`Host::load()`] any CLAP file.
//! - [`PluginInstance`] is one plugin created through the factory: extensions (audio ports,
//!   audio-ports config, params, state, latency), activation, processing, flushing, state.
//! - [`ProcessBuffers`] / [`AudioPort`] hold the audio of one `process()` call, any number of
//!   ports and channels, including malformed ports (null `data32`, zero channels).
//! - [`ParamEvent`] is a CLAP parameter-value event at a sample offset.
//! - [`Vst3Instance`] is one plugin created through a VST3 factory (`GetPluginFactory`), driven
//!   like a JUCE-based host: controller calls, state, and `process` with parameter queues.
//!
//! The host supports the host-side `latency`, `params`, `state`, `audio-ports` and
//! `audio-ports-config` extensions and records every call the plugin makes into them
//! ([`HostRequests`]). It offers no `thread-check`, so the plugin treats the thread that
//! created the instance as the main thread.

mod buffers;
mod events;
mod host;
mod instance;
mod locate;
mod stream;
mod vst3;

pub use buffers::{AudioPort, ProcessBuffers};
pub use events::{OutputEvent, ParamEvent};
pub use host::{Host, HostRequests, PluginDescriptor};
pub use instance::{
    clap_param_id, AudioPortInfo, AudioPortsConfig, ParamInfo, PluginInstance, ProcessOptions,
    ProcessStatus, INVALID_ID,
};
pub use locate::cuewire_library_path;
pub use vst3::{Vst3Instance, CUEWIRE_INSERT_VST3_CLASS_ID, CUEWIRE_VST3_CLASS_ID};

/// Cuewire Monitor's CLAP plugin id (the id the single plugin had; the tests drive this one).
pub const CUEWIRE_CLAP_ID: &str = "audio.cuewire.cuewire";
/// Cuewire's (the insert's) CLAP plugin id.
pub const CUEWIRE_INSERT_CLAP_ID: &str = "audio.cuewire.insert";

/// The harness's error: a plain message saying which CLAP call failed and how.
pub type Error = String;
