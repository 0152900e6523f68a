//! The one contract between the audio thread and the GUI: atomics only.
//!
//! Why the audio thread never blocks here: every field is an `AtomicU32`/`AtomicU64`/`AtomicF32`
//! (`atomic_float`, a bit-cast over `AtomicU32`) or `AtomicBool`. The audio thread uses only
//! `load`, `store`, `fetch_add` and `fetch_max` (a compare-exchange loop that always makes
//! progress: it retries only when another thread changed the value, and the GUI writes each
//! value at most once per frame). There is no `Mutex`, `RwLock`, channel or allocation, so a
//! GUI thread that stalls while holding something can never stall the audio thread.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use atomic_float::AtomicF32;
use nice_plug::params::persist::PersistentField;
use serde::{Deserialize, Serialize};

/// Default interface full-scale output, dBu (seed 000: a Scarlett 2i2's line out).
pub const DEFAULT_FULL_SCALE_DBU: f32 = 10.0;
/// Default headphone-amp constant K of the gain helper, volts (seed 000: Objective2).
pub const DEFAULT_AMP_K_V: f32 = 14.0;
/// Default peak hold time, ms.
pub const DEFAULT_HOLD_MS: f32 = 2000.0;
/// Default number of consecutive full-scale samples that make a clip event.
pub const DEFAULT_CLIP_RUN_SAMPLES: u32 = 3;
/// Default editor width, logical pixels.
pub const DEFAULT_EDITOR_WIDTH: u32 = 1000;
/// Default editor height, logical pixels.
pub const DEFAULT_EDITOR_HEIGHT: u32 = 640;

/// The persisted non-parameter settings, as saved in the plugin state. Fields missing from an
/// older or hand-edited state take their defaults.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
#[serde(default)]
pub struct SettingsData {
    /// Interface output at 0 dBFS, dBu.
    pub full_scale_dbu: f32,
    /// Gain helper constant K, volts.
    pub amp_k_v: f32,
    /// Peak hold time, ms (500..10000).
    pub hold_ms: f32,
    /// Consecutive samples at full scale that count as a clip (1..10).
    pub clip_run_samples: u32,
    /// Editor width, logical pixels.
    pub editor_width: u32,
    /// Editor height, logical pixels.
    pub editor_height: u32,
}

impl Default for SettingsData {
    fn default() -> Self {
        Self {
            full_scale_dbu: DEFAULT_FULL_SCALE_DBU,
            amp_k_v: DEFAULT_AMP_K_V,
            hold_ms: DEFAULT_HOLD_MS,
            clip_run_samples: DEFAULT_CLIP_RUN_SAMPLES,
            editor_width: DEFAULT_EDITOR_WIDTH,
            editor_height: DEFAULT_EDITOR_HEIGHT,
        }
    }
}

impl SettingsData {
    /// The same settings with every field forced into its valid range (a hand-edited or
    /// corrupt state must not put the meters into a nonsense configuration).
    pub fn sanitized(self) -> Self {
        let d = Self::default();
        let finite_or = |v: f32, default: f32| if v.is_finite() { v } else { default };
        Self {
            full_scale_dbu: finite_or(self.full_scale_dbu, d.full_scale_dbu).clamp(-20.0, 40.0),
            amp_k_v: finite_or(self.amp_k_v, d.amp_k_v).clamp(0.1, 100.0),
            hold_ms: finite_or(self.hold_ms, d.hold_ms).clamp(500.0, 10_000.0),
            clip_run_samples: self.clip_run_samples.clamp(1, 10),
            editor_width: self.editor_width.clamp(640, 4096),
            editor_height: self.editor_height.clamp(400, 4096),
        }
    }
}

/// [`SettingsData`] held in atomics, so the audio thread can read it without a lock.
/// Persisted through nice-plug's `#[persist]` by converting to and from [`SettingsData`].
#[derive(Debug)]
pub struct SharedSettings {
    full_scale_dbu: AtomicF32,
    amp_k_v: AtomicF32,
    hold_ms: AtomicF32,
    clip_run_samples: AtomicU32,
    editor_width: AtomicU32,
    editor_height: AtomicU32,
    /// Set whenever a setting changes, so the audio thread re-reads only then.
    changed: AtomicBool,
    /// Set when a plugin state was loaded, so the audio thread ends its ramps.
    state_loaded: AtomicBool,
}

impl Default for SharedSettings {
    fn default() -> Self {
        let d = SettingsData::default();
        Self {
            full_scale_dbu: AtomicF32::new(d.full_scale_dbu),
            amp_k_v: AtomicF32::new(d.amp_k_v),
            hold_ms: AtomicF32::new(d.hold_ms),
            clip_run_samples: AtomicU32::new(d.clip_run_samples),
            editor_width: AtomicU32::new(d.editor_width),
            editor_height: AtomicU32::new(d.editor_height),
            changed: AtomicBool::new(true),
            state_loaded: AtomicBool::new(false),
        }
    }
}

impl SharedSettings {
    /// A snapshot of every setting.
    pub fn get(&self) -> SettingsData {
        SettingsData {
            full_scale_dbu: self.full_scale_dbu.load(Ordering::Relaxed),
            amp_k_v: self.amp_k_v.load(Ordering::Relaxed),
            hold_ms: self.hold_ms.load(Ordering::Relaxed),
            clip_run_samples: self.clip_run_samples.load(Ordering::Relaxed),
            editor_width: self.editor_width.load(Ordering::Relaxed),
            editor_height: self.editor_height.load(Ordering::Relaxed),
        }
    }

    /// Stores every setting (sanitised) and flags the change for the audio thread.
    pub fn set(&self, data: SettingsData) {
        let data = data.sanitized();
        self.full_scale_dbu
            .store(data.full_scale_dbu, Ordering::Relaxed);
        self.amp_k_v.store(data.amp_k_v, Ordering::Relaxed);
        self.hold_ms.store(data.hold_ms, Ordering::Relaxed);
        self.clip_run_samples
            .store(data.clip_run_samples, Ordering::Relaxed);
        self.editor_width
            .store(data.editor_width, Ordering::Relaxed);
        self.editor_height
            .store(data.editor_height, Ordering::Relaxed);
        self.changed.store(true, Ordering::Release);
    }

    /// True (once) if a plugin state was loaded since the last call; for the audio thread.
    pub fn take_state_loaded(&self) -> bool {
        self.state_loaded.swap(false, Ordering::Acquire)
    }

    /// True (once) if a setting changed since the last call; for the audio thread.
    pub fn take_changed(&self) -> bool {
        self.changed.swap(false, Ordering::Acquire)
    }
}

impl<'a> PersistentField<'a, SettingsData> for Arc<SharedSettings> {
    // Only state loading calls this (the GUI calls `SharedSettings::set`), and nice-plug loads
    // persisted fields after the parameters, so the flag tells the audio thread that the
    // parameters it sees now come from a loaded state.
    fn set(&self, new_value: SettingsData) {
        SharedSettings::set(self, new_value);
        self.state_loaded.store(true, Ordering::Release);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&SettingsData) -> R,
    {
        f(&self.get())
    }
}

/// What the audio thread publishes for the GUI besides the meters.
#[derive(Debug, Default)]
pub struct EngineStatus {
    /// Auto fix's decision, as `AutoFixDecision as u32`.
    pub auto_fix_decision: AtomicU32,
    /// Whether a balanced decode is active (the common-mode readouts are meaningful).
    pub balanced_active: AtomicBool,
    /// Non-finite input samples replaced by silence since the last meter reset.
    pub non_finite_count: AtomicU32,
}

/// Everything the audio thread and the GUI share, behind one `Arc`.
#[derive(Debug, Default)]
pub struct Shared {
    /// Engine status lamps and counters.
    pub status: EngineStatus,
    /// Set by the GUI to clear every latched meter value; cleared by the audio thread.
    pub reset_meters: AtomicBool,
}
