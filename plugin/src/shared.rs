//! The one contract between the audio thread and the GUI: atomics only.
//!
//! Why the audio thread never blocks here: every field is an `AtomicU32`, an `AtomicF32`
//! (`atomic_float`, a bit-cast over `AtomicU32`) or an `AtomicBool`, all lock-free on every
//! target we build for. The audio thread uses only `load`, `store`, `swap` (taking the
//! state-loaded, settings-changed and meter-reset flags) and `fetch_max` (a compare-exchange
//! loop that always makes progress: it retries only when another thread changed the value in
//! between, and the GUI writes each value at most once per frame). There is no `Mutex`,
//! `RwLock`, channel or allocation, so a GUI thread that stalls while holding something can
//! never stall the audio thread. `lib.rs`'s `process()` touches only these atomics and the
//! parameters' own atomics.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use atomic_float::{AtomicF32, AtomicF64};
use cuewire_dsp::autofix::AutoFixDecision;
use cuewire_dsp::cue::CUE_COUNT;
use cuewire_dsp::engine::EngineReadings;
use cuewire_dsp::meter::{
    ChannelReading, CommonModeReading, EarReading, LoudnessReading, OutputLoudness, OutputReading,
    StereoReading, EAR_OUTPUTS, EXPOSURE_PA2H_MAX,
};
use nice_plug::params::persist::PersistentField;
use serde::{Deserialize, Serialize};

/// Default headphone-amp constant K of the gain helper, volts (the Objective2, as in "How to
/// Connect a Headphone Amplifier to an Audio Interface").
pub const DEFAULT_AMP_K_V: f32 = 14.0;
/// Default peak hold time, ms.
pub const DEFAULT_HOLD_MS: f32 = 2000.0;
/// Default number of consecutive full-scale samples that make a clip event.
pub const DEFAULT_CLIP_RUN_SAMPLES: u32 = 3;
/// Default editor width, logical pixels.
pub const DEFAULT_EDITOR_WIDTH: u32 = 1000;
/// Default editor height, logical pixels.
pub const DEFAULT_EDITOR_HEIGHT: u32 = 640;
/// Smallest editor width, logical pixels at 100 % scale (the layout fits without overlap).
pub const MIN_EDITOR_WIDTH: u32 = 880;
/// Smallest editor height, logical pixels at 100 % scale.
pub const MIN_EDITOR_HEIGHT: u32 = 600;
/// Default UI scale (1.0 = 100 %).
pub const DEFAULT_UI_SCALE: f32 = 1.0;
/// Smallest UI scale (75 %).
pub const MIN_UI_SCALE: f32 = 0.75;
/// Largest UI scale (200 %).
pub const MAX_UI_SCALE: f32 = 2.0;

/// The persisted non-parameter settings, as saved in the plugin state. Fields missing from an
/// older or hand-edited state take their defaults. (Older states also carry
/// `full_scale_dbu`, which is now main's full-scale parameter: `state::complete` moves it.)
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
#[serde(default)]
pub struct SettingsData {
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
    /// Editor zoom, a factor (0.75..2.0); window pixels = logical size × this.
    pub ui_scale: f32,
    /// The editor shows the Big view (tall meters, large numerals) instead of Detail.
    pub big_view: bool,
}

impl Default for SettingsData {
    fn default() -> Self {
        Self {
            amp_k_v: DEFAULT_AMP_K_V,
            hold_ms: DEFAULT_HOLD_MS,
            clip_run_samples: DEFAULT_CLIP_RUN_SAMPLES,
            editor_width: DEFAULT_EDITOR_WIDTH,
            editor_height: DEFAULT_EDITOR_HEIGHT,
            ui_scale: DEFAULT_UI_SCALE,
            big_view: false,
        }
    }
}

impl SettingsData {
    /// The same settings with every field forced into its valid range (a hand-edited or
    /// corrupt state must not put the meters into a nonsense configuration).
    pub fn sanitised(self) -> Self {
        let d = Self::default();
        let finite_or = |v: f32, default: f32| if v.is_finite() { v } else { default };
        Self {
            amp_k_v: finite_or(self.amp_k_v, d.amp_k_v).clamp(0.1, 100.0),
            hold_ms: finite_or(self.hold_ms, d.hold_ms).clamp(500.0, 10_000.0),
            clip_run_samples: self.clip_run_samples.clamp(1, 10),
            editor_width: self.editor_width.clamp(MIN_EDITOR_WIDTH, 4096),
            editor_height: self.editor_height.clamp(MIN_EDITOR_HEIGHT, 4096),
            ui_scale: finite_or(self.ui_scale, d.ui_scale).clamp(MIN_UI_SCALE, MAX_UI_SCALE),
            big_view: self.big_view,
        }
    }
}

/// [`SettingsData`] held in atomics, so the audio thread can read it without a lock.
/// Persisted through nice-plug's `#[persist]` by converting to and from [`SettingsData`].
#[derive(Debug)]
pub struct SharedSettings {
    amp_k_v: AtomicF32,
    hold_ms: AtomicF32,
    clip_run_samples: AtomicU32,
    editor_width: AtomicU32,
    editor_height: AtomicU32,
    ui_scale: AtomicF32,
    big_view: AtomicBool,
    /// Set whenever a setting changes, so the audio thread re-reads only then.
    changed: AtomicBool,
    /// Set when a plugin state was loaded, so the audio thread ends its ramps.
    state_loaded: AtomicBool,
}

impl Default for SharedSettings {
    fn default() -> Self {
        let d = SettingsData::default();
        Self {
            amp_k_v: AtomicF32::new(d.amp_k_v),
            hold_ms: AtomicF32::new(d.hold_ms),
            clip_run_samples: AtomicU32::new(d.clip_run_samples),
            editor_width: AtomicU32::new(d.editor_width),
            editor_height: AtomicU32::new(d.editor_height),
            ui_scale: AtomicF32::new(d.ui_scale),
            big_view: AtomicBool::new(d.big_view),
            changed: AtomicBool::new(true),
            state_loaded: AtomicBool::new(false),
        }
    }
}

impl SharedSettings {
    /// A snapshot of every setting.
    pub fn get(&self) -> SettingsData {
        SettingsData {
            amp_k_v: self.amp_k_v.load(Ordering::Relaxed),
            hold_ms: self.hold_ms.load(Ordering::Relaxed),
            clip_run_samples: self.clip_run_samples.load(Ordering::Relaxed),
            editor_width: self.editor_width.load(Ordering::Relaxed),
            editor_height: self.editor_height.load(Ordering::Relaxed),
            ui_scale: self.ui_scale.load(Ordering::Relaxed),
            big_view: self.big_view.load(Ordering::Relaxed),
        }
    }

    /// Stores every setting (sanitised) and flags the change for the audio thread.
    pub fn set(&self, data: SettingsData) {
        let data = data.sanitised();
        self.amp_k_v.store(data.amp_k_v, Ordering::Relaxed);
        self.hold_ms.store(data.hold_ms, Ordering::Relaxed);
        self.clip_run_samples
            .store(data.clip_run_samples, Ordering::Relaxed);
        self.editor_width
            .store(data.editor_width, Ordering::Relaxed);
        self.editor_height
            .store(data.editor_height, Ordering::Relaxed);
        self.ui_scale.store(data.ui_scale, Ordering::Relaxed);
        self.big_view.store(data.big_view, Ordering::Relaxed);
        self.changed.store(true, Ordering::Release);
    }

    /// GUI: stores the editor's size (logical pixels) and scale, sanitised, without flagging a
    /// change for the audio thread (the engine has no use for them).
    pub fn set_editor_prefs(&self, width: u32, height: u32, ui_scale: f32) {
        let data = SettingsData {
            editor_width: width,
            editor_height: height,
            ui_scale,
            ..self.get()
        }
        .sanitised();
        self.editor_width
            .store(data.editor_width, Ordering::Relaxed);
        self.editor_height
            .store(data.editor_height, Ordering::Relaxed);
        self.ui_scale.store(data.ui_scale, Ordering::Relaxed);
    }

    /// GUI: chooses the Big view (true) or the Detail view, without flagging a change for the
    /// audio thread.
    pub fn set_big_view(&self, big: bool) {
        self.big_view.store(big, Ordering::Relaxed);
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

/// A saved exposure older than this (s) loads as 0: the weekly allowance of ITU-T H.870
/// counts one week of listening.
pub const EXPOSURE_MAX_AGE_S: u64 = 7 * 24 * 60 * 60;

/// An exposure that changed by less than this fraction is not a change (restoring and reading
/// back may differ in the last bits; silence adds far less than this).
const EXPOSURE_CHANGE_REL: f64 = 1e-9;

/// The wall-clock time, unix seconds (0 if the clock is before 1970). Reads the system clock
/// only: no allocation or lock, so the audio thread may call it.
pub fn unix_now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Each listener's sound exposure as saved with the project, so a week's dose survives closing
/// and reopening it. Fields missing from a state take their defaults (no exposure).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Default)]
#[serde(default)]
pub struct ExposureData {
    /// Exposure per output, Pa²h: main, then each cue.
    pub pa2h: [f64; EAR_OUTPUTS],
    /// When each output's exposure last grew (or was cleared), unix seconds; 0 = never.
    pub updated_unix_s: [u64; EAR_OUTPUTS],
}

impl ExposureData {
    /// The exposure (Pa²h) to put back into the engine at `now_unix_s`, per output: the
    /// saved value if it last changed less than [`EXPOSURE_MAX_AGE_S`] ago (a time in the
    /// future counts as now), else 0; nonsense values load as 0, huge ones as the engine's
    /// maximum. `None` for an output this data never recorded (time 0, e.g. a state saved
    /// before anyone listened): whatever the engine holds stays.
    pub fn restorable_pa2h(&self, now_unix_s: u64) -> [Option<f64>; EAR_OUTPUTS] {
        std::array::from_fn(|i| {
            let updated_unix_s = self.updated_unix_s[i];
            let age_s = now_unix_s.saturating_sub(updated_unix_s);
            let pa2h = self.pa2h[i];
            (updated_unix_s != 0).then(|| {
                if age_s < EXPOSURE_MAX_AGE_S && pa2h.is_finite() && pa2h > 0.0 {
                    pa2h.min(EXPOSURE_PA2H_MAX)
                } else {
                    0.0
                }
            })
        })
    }
}

/// [`ExposureData`] in atomics: the audio thread records the engine's exposure at each meter
/// publication, a save reads it, a state load writes it. Persisted through nice-plug's
/// `#[persist]`.
#[derive(Debug, Default)]
pub struct ExposureStore {
    pa2h: [AtomicF64; EAR_OUTPUTS],
    updated_unix_s: [AtomicU64; EAR_OUTPUTS],
    /// Set when a state brought an exposure, so the audio thread restores it.
    loaded: AtomicBool,
}

impl ExposureStore {
    /// A snapshot of every output's exposure and time.
    pub fn get(&self) -> ExposureData {
        ExposureData {
            pa2h: std::array::from_fn(|i| self.pa2h[i].load(Ordering::Relaxed)),
            updated_unix_s: std::array::from_fn(|i| self.updated_unix_s[i].load(Ordering::Relaxed)),
        }
    }

    /// Audio thread: records the engine's exposure per output (Pa²h). An output whose exposure
    /// changed gets the time `now_unix_s()`, which is asked at most once per call.
    pub fn record(&self, pa2h: [f64; EAR_OUTPUTS], now_unix_s: impl Fn() -> u64) {
        let mut now = None;
        for (i, &value) in pa2h.iter().enumerate() {
            let stored = self.pa2h[i].load(Ordering::Relaxed);
            if (value - stored).abs() <= stored.abs() * EXPOSURE_CHANGE_REL {
                continue;
            }
            let t = *now.get_or_insert_with(&now_unix_s);
            self.pa2h[i].store(value, Ordering::Relaxed);
            self.updated_unix_s[i].store(t, Ordering::Relaxed);
        }
    }

    /// True (once) if a loaded state brought an exposure since the last call.
    pub fn take_loaded(&self) -> bool {
        self.loaded.swap(false, Ordering::Acquire)
    }
}

impl<'a> PersistentField<'a, ExposureData> for Arc<ExposureStore> {
    // Only state loading calls this.
    fn set(&self, new_value: ExposureData) {
        for i in 0..EAR_OUTPUTS {
            self.pa2h[i].store(new_value.pa2h[i], Ordering::Relaxed);
            self.updated_unix_s[i].store(new_value.updated_unix_s[i], Ordering::Relaxed);
        }
        self.loaded.store(true, Ordering::Release);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&ExposureData) -> R,
    {
        f(&self.get())
    }
}

/// A pair of atomics, one per channel (0 = left, 1 = right).
type Pair<T> = [T; 2];

/// One stereo output's meters as the GUI sees them.
///
/// Read-and-reset: the audio thread raises the since-last-read peaks with `fetch_max` after
/// every block; the GUI takes them with `swap(0.0)`. A peak that happens between two GUI
/// frames therefore stays in the atomic until the next frame takes it: it is never lost, and
/// it is shown exactly once. Everything else is a latest value, simply stored.
#[derive(Debug, Default)]
pub struct MeterShared {
    sample_peak_lin: Pair<AtomicF32>,
    true_peak_lin: Pair<AtomicF32>,
    rms_lin: Pair<AtomicF32>,
    held_peak_lin: Pair<AtomicF32>,
    max_true_peak_lin: Pair<AtomicF32>,
    headroom_db: Pair<AtomicF32>,
    clip_events: Pair<AtomicU32>,
    tp_overs: Pair<AtomicU32>,
    /// Whether this output carried signal in the last block (cues: on and connected).
    pub active: AtomicBool,
    /// This output's loudness.
    pub loudness: LoudnessShared,
    /// This output's level at the ear and exposure (silence for the input).
    pub ear: EarShared,
}

impl MeterShared {
    /// Audio thread: merges one block's readings in.
    pub fn publish(&self, r: &OutputReading, active: bool) {
        for ch in 0..2 {
            self.sample_peak_lin[ch].fetch_max(r.sample_peak_lin[ch], Ordering::Relaxed);
            self.true_peak_lin[ch].fetch_max(r.true_peak_lin[ch], Ordering::Relaxed);
            self.rms_lin[ch].store(r.rms_lin[ch], Ordering::Relaxed);
            self.held_peak_lin[ch].store(r.held_peak_lin[ch], Ordering::Relaxed);
            self.max_true_peak_lin[ch].store(r.max_true_peak_lin[ch], Ordering::Relaxed);
            self.headroom_db[ch].store(r.headroom_db[ch], Ordering::Relaxed);
            self.clip_events[ch].store(r.clip_events[ch], Ordering::Relaxed);
            self.tp_overs[ch].store(r.tp_overs[ch], Ordering::Relaxed);
        }
        self.active.store(active, Ordering::Relaxed);
    }

    /// GUI: the readings, taking (and so resetting) the since-last-read peaks.
    pub fn take(&self) -> OutputReading {
        let each = |f: &dyn Fn(usize) -> f32| [f(0), f(1)];
        OutputReading {
            sample_peak_lin: each(&|c| self.sample_peak_lin[c].swap(0.0, Ordering::Relaxed)),
            true_peak_lin: each(&|c| self.true_peak_lin[c].swap(0.0, Ordering::Relaxed)),
            rms_lin: each(&|c| self.rms_lin[c].load(Ordering::Relaxed)),
            held_peak_lin: each(&|c| self.held_peak_lin[c].load(Ordering::Relaxed)),
            max_true_peak_lin: each(&|c| self.max_true_peak_lin[c].load(Ordering::Relaxed)),
            headroom_db: each(&|c| self.headroom_db[c].load(Ordering::Relaxed)),
            clip_events: [0, 1].map(|c| self.clip_events[c].load(Ordering::Relaxed)),
            tp_overs: [0, 1].map(|c| self.tp_overs[c].load(Ordering::Relaxed)),
        }
    }
}

/// One output's loudness (LUFS, LU) as the GUI sees it: latest values, simply stored.
#[derive(Debug)]
pub struct LoudnessShared {
    momentary_lufs: AtomicF32,
    short_term_lufs: AtomicF32,
    integrated_lufs: AtomicF32,
    loudness_range_lu: AtomicF32,
    max_momentary_lufs: AtomicF32,
    max_short_term_lufs: AtomicF32,
    /// Peak-to-loudness ratio (LU); NaN while not measured.
    plr_lu: AtomicF32,
}

/// Silence: what an output that has played nothing reads.
impl Default for LoudnessShared {
    fn default() -> Self {
        let floor = LoudnessReading::default();
        Self {
            momentary_lufs: AtomicF32::new(floor.momentary_lufs),
            short_term_lufs: AtomicF32::new(floor.short_term_lufs),
            integrated_lufs: AtomicF32::new(floor.integrated_lufs),
            loudness_range_lu: AtomicF32::new(floor.loudness_range_lu),
            max_momentary_lufs: AtomicF32::new(floor.max_momentary_lufs),
            max_short_term_lufs: AtomicF32::new(floor.max_short_term_lufs),
            plr_lu: AtomicF32::new(f32::NAN),
        }
    }
}

impl LoudnessShared {
    /// Audio thread: stores the latest loudness.
    pub fn publish(&self, l: &OutputLoudness) {
        let r = &l.reading;
        self.momentary_lufs
            .store(r.momentary_lufs, Ordering::Relaxed);
        self.short_term_lufs
            .store(r.short_term_lufs, Ordering::Relaxed);
        self.integrated_lufs
            .store(r.integrated_lufs, Ordering::Relaxed);
        self.loudness_range_lu
            .store(r.loudness_range_lu, Ordering::Relaxed);
        self.max_momentary_lufs
            .store(r.max_momentary_lufs, Ordering::Relaxed);
        self.max_short_term_lufs
            .store(r.max_short_term_lufs, Ordering::Relaxed);
        self.plr_lu
            .store(l.plr_lu.unwrap_or(f32::NAN), Ordering::Relaxed);
    }

    /// GUI: the latest loudness.
    pub fn get(&self) -> OutputLoudness {
        let plr_lu = self.plr_lu.load(Ordering::Relaxed);
        OutputLoudness {
            reading: LoudnessReading {
                momentary_lufs: self.momentary_lufs.load(Ordering::Relaxed),
                short_term_lufs: self.short_term_lufs.load(Ordering::Relaxed),
                integrated_lufs: self.integrated_lufs.load(Ordering::Relaxed),
                loudness_range_lu: self.loudness_range_lu.load(Ordering::Relaxed),
                max_momentary_lufs: self.max_momentary_lufs.load(Ordering::Relaxed),
                max_short_term_lufs: self.max_short_term_lufs.load(Ordering::Relaxed),
            },
            plr_lu: (!plr_lu.is_nan()).then_some(plr_lu),
        }
    }
}

/// One output's level at the ear (dB(A) SPL) and exposure as the GUI sees it: latest values.
#[derive(Debug)]
pub struct EarShared {
    laeq_1s_db: Pair<AtomicF32>,
    max_laeq_1s_db: Pair<AtomicF32>,
    laeq_since_reset_db: Pair<AtomicF32>,
    exposure_pa2h: AtomicF64,
    dose_percent: AtomicF64,
    /// Seconds until the dose is full; NaN while the level is inaudible.
    time_left_s: AtomicF64,
}

/// Silence: what an output that has played nothing reads.
impl Default for EarShared {
    fn default() -> Self {
        let quiet = EarReading::default();
        Self {
            laeq_1s_db: quiet.laeq_1s_db.map(AtomicF32::new),
            max_laeq_1s_db: quiet.max_laeq_1s_db.map(AtomicF32::new),
            laeq_since_reset_db: quiet.laeq_since_reset_db.map(AtomicF32::new),
            exposure_pa2h: AtomicF64::new(quiet.exposure_pa2h),
            dose_percent: AtomicF64::new(quiet.dose_percent),
            time_left_s: AtomicF64::new(f64::NAN),
        }
    }
}

impl EarShared {
    /// Audio thread: stores the latest ear reading.
    pub fn publish(&self, r: &EarReading) {
        for ch in 0..2 {
            self.laeq_1s_db[ch].store(r.laeq_1s_db[ch], Ordering::Relaxed);
            self.max_laeq_1s_db[ch].store(r.max_laeq_1s_db[ch], Ordering::Relaxed);
            self.laeq_since_reset_db[ch].store(r.laeq_since_reset_db[ch], Ordering::Relaxed);
        }
        self.exposure_pa2h.store(r.exposure_pa2h, Ordering::Relaxed);
        self.dose_percent.store(r.dose_percent, Ordering::Relaxed);
        self.time_left_s
            .store(r.time_left_s.unwrap_or(f64::NAN), Ordering::Relaxed);
    }

    /// GUI: the latest ear reading (the louder-ear values are formed from the per-ear ones).
    pub fn get(&self) -> EarReading {
        let each = |v: &Pair<AtomicF32>| [0, 1].map(|c| v[c].load(Ordering::Relaxed));
        let (now, max, since) = (
            each(&self.laeq_1s_db),
            each(&self.max_laeq_1s_db),
            each(&self.laeq_since_reset_db),
        );
        let time_left_s = self.time_left_s.load(Ordering::Relaxed);
        EarReading {
            laeq_1s_db: now,
            max_laeq_1s_db: max,
            laeq_since_reset_db: since,
            louder_laeq_1s_db: now[0].max(now[1]),
            louder_max_laeq_1s_db: max[0].max(max[1]),
            louder_laeq_since_reset_db: since[0].max(since[1]),
            exposure_pa2h: self.exposure_pa2h.load(Ordering::Relaxed),
            dose_percent: self.dose_percent.load(Ordering::Relaxed),
            time_left_s: (!time_left_s.is_nan()).then_some(time_left_s),
        }
    }
}

/// The main output's extra readings.
#[derive(Debug, Default)]
pub struct MainExtras {
    correlation: AtomicF32,
    balance_db: AtomicF32,
    cm_rms_db: Pair<AtomicF32>,
    rejection_db: Pair<AtomicF32>,
    cm_present: Pair<AtomicBool>,
}

impl MainExtras {
    /// Audio thread: stores the latest values.
    fn publish(&self, stereo: &StereoReading, cm: &[CommonModeReading; 2]) {
        self.correlation
            .store(stereo.correlation, Ordering::Relaxed);
        self.balance_db.store(stereo.balance_db, Ordering::Relaxed);
        for (ch, reading) in cm.iter().enumerate() {
            self.cm_rms_db[ch].store(reading.cm_rms_db, Ordering::Relaxed);
            self.rejection_db[ch].store(reading.rejection_db, Ordering::Relaxed);
            self.cm_present[ch].store(reading.cm_present, Ordering::Relaxed);
        }
    }

    /// GUI: correlation and balance.
    pub fn stereo(&self) -> StereoReading {
        StereoReading {
            correlation: self.correlation.load(Ordering::Relaxed),
            balance_db: self.balance_db.load(Ordering::Relaxed),
        }
    }

    /// GUI: common-mode level and rejection per ear.
    pub fn common_mode(&self) -> [CommonModeReading; 2] {
        [0, 1].map(|ch| CommonModeReading {
            cm_rms_db: self.cm_rms_db[ch].load(Ordering::Relaxed),
            rejection_db: self.rejection_db[ch].load(Ordering::Relaxed),
            cm_present: self.cm_present[ch].load(Ordering::Relaxed),
        })
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

impl EngineStatus {
    /// GUI: Auto fix's current decision.
    pub fn decision(&self) -> AutoFixDecision {
        match self.auto_fix_decision.load(Ordering::Relaxed) {
            1 => AutoFixDecision::LeftOnly,
            2 => AutoFixDecision::RightOnly,
            3 => AutoFixDecision::AntiPhase,
            _ => AutoFixDecision::NoFault,
        }
    }
}

/// Talkback, level limits and the right pair, as the audio thread last saw them.
#[derive(Debug, Default)]
pub struct MonitorStatus {
    /// Talk input's sample peak since the GUI last took it (linear), raised with `fetch_max`.
    talk_peak_lin: AtomicF32,
    /// Talk input's RMS over the last 300 ms (linear).
    talk_rms_lin: AtomicF32,
    /// Level limit's gain reduction per output (dB, ≥ 0): main, then each cue.
    limit_gr_db: [AtomicF32; 1 + CUE_COUNT],
    /// Pairs on aux is on and the right pair's input carries nothing.
    right_pair_missing: AtomicBool,
}

impl MonitorStatus {
    /// Audio thread: the talk meter's readings and each output's limit gain reduction (dB).
    pub fn publish_meters(&self, talk: &ChannelReading, limit_gr_db: [f32; 1 + CUE_COUNT]) {
        self.talk_peak_lin
            .fetch_max(talk.sample_peak_lin, Ordering::Relaxed);
        self.talk_rms_lin.store(talk.rms_lin, Ordering::Relaxed);
        for (shared, gr) in self.limit_gr_db.iter().zip(limit_gr_db) {
            shared.store(gr, Ordering::Relaxed);
        }
    }

    /// Audio thread: whether the right pair is missing (every block: it follows the host).
    pub fn publish_right_pair_missing(&self, missing: bool) {
        self.right_pair_missing.store(missing, Ordering::Relaxed);
    }

    /// GUI: the talk input's peak since the last take (linear), taking it.
    pub fn take_talk_peak_lin(&self) -> f32 {
        self.talk_peak_lin.swap(0.0, Ordering::Relaxed)
    }

    /// GUI: the talk input's RMS (linear).
    pub fn talk_rms_lin(&self) -> f32 {
        self.talk_rms_lin.load(Ordering::Relaxed)
    }

    /// GUI: the level limit's gain reduction (dB) of output `output` (0 = main, 1 + n = cue n).
    pub fn limit_gr_db(&self, output: usize) -> f32 {
        self.limit_gr_db
            .get(output)
            .map_or(0.0, |gr| gr.load(Ordering::Relaxed))
    }

    /// GUI: whether pairs on aux waits for a right pair that is not there.
    pub fn right_pair_missing(&self) -> bool {
        self.right_pair_missing.load(Ordering::Relaxed)
    }
}

/// Capacity of each spectrum and vectorscope sample ring, samples (a power of two, ≥ the GUI's
/// longest FFT).
pub const SAMPLE_RING_LEN: usize = 16_384;

/// A single-producer ring of the newest samples, for the GUI's spectrum.
///
/// Lock-free and preallocated: the audio thread stores samples into `f32` atomics and then
/// publishes the running count with `Release`; the GUI loads the count with `Acquire` and copies
/// the newest samples out. If the writer laps the reader mid-copy, the GUI sees a few samples
/// from the next block (a display glitch for one frame, never undefined behaviour or a stall).
#[derive(Debug)]
pub struct SampleRing {
    samples: Box<[AtomicF32]>,
    written: AtomicUsize,
}

impl Default for SampleRing {
    fn default() -> Self {
        Self {
            samples: (0..SAMPLE_RING_LEN).map(|_| AtomicF32::new(0.0)).collect(),
            written: AtomicUsize::new(0),
        }
    }
}

impl SampleRing {
    /// Audio thread (the only writer): appends `len` samples, sample `i` being `sample(i)`.
    #[inline]
    pub fn push_with(&self, len: usize, sample: impl Fn(usize) -> f32) {
        let mask = self.samples.len() - 1;
        let start = self.written.load(Ordering::Relaxed);
        for i in 0..len {
            self.samples[start.wrapping_add(i) & mask].store(sample(i), Ordering::Relaxed);
        }
        self.written
            .store(start.wrapping_add(len), Ordering::Release);
    }

    /// GUI: the running count of samples written, to see whether new ones arrived.
    pub fn written(&self) -> usize {
        self.written.load(Ordering::Acquire)
    }

    /// GUI: copies the newest `out.len()` samples (oldest first; zeros before the first write)
    /// and returns the running count of samples written, so the caller can skip unchanged data.
    pub fn read_latest(&self, out: &mut [f32]) -> usize {
        let mask = self.samples.len() - 1;
        let written = self.written.load(Ordering::Acquire);
        let len = out.len().min(self.samples.len());
        let missing = len.saturating_sub(written);
        out[..missing].fill(0.0);
        let start = written.wrapping_sub(len);
        for (i, slot) in out.iter_mut().enumerate().take(len).skip(missing) {
            *slot = self.samples[start.wrapping_add(i) & mask].load(Ordering::Relaxed);
        }
        written
    }
}

/// The samples the GUI's spectrum view and vectorscope analyse.
#[derive(Debug, Default)]
pub struct SpectrumShared {
    /// The main output, (L + R)/2.
    pub main: SampleRing,
    /// The common-mode signal (hot + cold)/2 of the balanced input, averaged over the pairs.
    pub common_mode: SampleRing,
    /// The main output interleaved (L, R, L, R, …), for the vectorscope.
    pub main_stereo: SampleRing,
    /// Whether `common_mode` is being fed (a balanced decode is running).
    pub common_mode_live: AtomicBool,
    /// The sample rate of both rings, Hz (0 before activation).
    pub sample_rate_hz: AtomicF32,
}

/// Everything the audio thread and the GUI share, behind one `Arc`.
#[derive(Debug, Default)]
pub struct Shared {
    /// Engine status lamps and counters.
    pub status: EngineStatus,
    /// The decoded input before any gain.
    pub input: MeterShared,
    /// The main output.
    pub main: MeterShared,
    /// Correlation, balance and common mode of the main output.
    pub main_extras: MainExtras,
    /// Each cue output.
    pub cues: [MeterShared; CUE_COUNT],
    /// Meters the GUI wants cleared, as `cuewire_dsp::engine::meter_bits`; the audio thread
    /// takes the mask with `swap(0)` and clears those meters.
    pub reset_meters: AtomicU32,
    /// Samples for the spectrum view, fed only while the editor is open.
    pub spectrum: SpectrumShared,
    /// Talkback meter, level limits and the right pair's presence.
    pub monitor: MonitorStatus,
}

impl Shared {
    /// Audio thread: publishes one block's readings.
    pub fn publish(&self, r: &EngineReadings, decision: AutoFixDecision) {
        self.input.publish(&r.input, true);
        self.input.loudness.publish(&r.input_loudness);
        self.main.publish(&r.main, true);
        self.main.loudness.publish(&r.main_loudness);
        self.main.ear.publish(&r.main_ear);
        self.main_extras.publish(&r.stereo, &r.common_mode);
        for (i, shared) in self.cues.iter().enumerate() {
            shared.publish(&r.cues[i], r.cue_active[i]);
            shared.loudness.publish(&r.cue_loudness[i]);
            shared.ear.publish(&r.cue_ear[i]);
        }
        let status = &self.status;
        status
            .auto_fix_decision
            .store(decision as u32, Ordering::Relaxed);
        status
            .balanced_active
            .store(r.balanced_active, Ordering::Relaxed);
        status.non_finite_count.store(
            r.non_finite_count.min(u64::from(u32::MAX)) as u32,
            Ordering::Relaxed,
        );
    }

    /// GUI: asks the audio thread to clear the meters in `mask`.
    pub fn request_meter_reset(&self, mask: u32) {
        self.reset_meters.fetch_or(mask, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading_with_peak(peak_lin: f32) -> OutputReading {
        OutputReading {
            sample_peak_lin: [peak_lin, 0.0],
            true_peak_lin: [peak_lin * 1.1, 0.0],
            ..OutputReading::default()
        }
    }

    #[test]
    fn a_single_block_peak_between_two_gui_reads_is_never_lost() {
        let shared = MeterShared::default();
        // Many audio blocks per GUI frame: one carries a peak, later ones are quiet.
        shared.publish(&reading_with_peak(0.1), true);
        shared.publish(&reading_with_peak(0.9), true);
        for _ in 0..50 {
            shared.publish(&reading_with_peak(0.05), true);
        }
        let first = shared.take();
        assert_eq!(first.sample_peak_lin[0], 0.9);
        assert!((first.true_peak_lin[0] - 0.99).abs() < 1e-6);
        // Taking resets: the next frame shows only what came after.
        shared.publish(&reading_with_peak(0.05), true);
        assert_eq!(shared.take().sample_peak_lin[0], 0.05);
        assert_eq!(shared.take().sample_peak_lin[0], 0.0);
    }

    #[test]
    fn loudness_and_ear_readings_cross_the_atomics_unchanged() {
        let shared = Shared::default();
        // Before any audio the GUI reads silence, as the engine's own defaults.
        assert_eq!(shared.main.loudness.get(), OutputLoudness::default());
        assert_eq!(shared.main.ear.get(), EarReading::default());
        let main_loudness = OutputLoudness {
            reading: LoudnessReading {
                momentary_lufs: -20.5,
                short_term_lufs: -21.25,
                integrated_lufs: -23.0,
                loudness_range_lu: 6.5,
                max_momentary_lufs: -14.0,
                max_short_term_lufs: -18.0,
            },
            plr_lu: Some(12.5),
        };
        // 85 dB(A) (0.1265 Pa²) for 5 h: 0.6325 Pa²h, 39.5 % of the adult 1.6 Pa²h.
        let cue_ear = EarReading {
            laeq_1s_db: [85.0, 82.0],
            max_laeq_1s_db: [91.0, 88.0],
            laeq_since_reset_db: [84.0, 81.0],
            louder_laeq_1s_db: 85.0,
            louder_max_laeq_1s_db: 91.0,
            louder_laeq_since_reset_db: 84.0,
            exposure_pa2h: 0.632_455_5,
            dose_percent: 39.528_47,
            time_left_s: Some(12_345.5),
        };
        let mut readings = EngineReadings {
            main_loudness,
            ..EngineReadings::default()
        };
        readings.cue_ear[2] = cue_ear;
        shared.publish(&readings, AutoFixDecision::NoFault);
        assert_eq!(shared.main.loudness.get(), readings.main_loudness);
        assert_eq!(shared.cues[2].ear.get(), readings.cue_ear[2]);
        assert_eq!(shared.cues[1].ear.get(), EarReading::default());
        // An inaudible level has no time limit, and an unmeasured PLR stays unmeasured.
        readings.cue_ear[2].time_left_s = None;
        readings.main_loudness.plr_lu = None;
        shared.publish(&readings, AutoFixDecision::NoFault);
        assert_eq!(shared.cues[2].ear.get().time_left_s, None);
        assert_eq!(shared.main.loudness.get().plr_lu, None);
    }

    #[test]
    fn settings_missing_from_a_state_take_defaults_and_nonsense_is_clamped() {
        let partial: SettingsData = serde_json::from_str(r#"{"amp_k_v": 4.0}"#).unwrap();
        assert_eq!(partial.amp_k_v, 4.0);
        assert_eq!(partial.hold_ms, DEFAULT_HOLD_MS);
        assert_eq!(partial.clip_run_samples, DEFAULT_CLIP_RUN_SAMPLES);
        let wild = SettingsData {
            hold_ms: 1e9,
            clip_run_samples: 0,
            amp_k_v: f32::NAN,
            ..SettingsData::default()
        }
        .sanitised();
        assert_eq!(wild.hold_ms, 10_000.0);
        assert_eq!(wild.clip_run_samples, 1);
        assert_eq!(wild.amp_k_v, DEFAULT_AMP_K_V);
    }

    #[test]
    fn the_sample_ring_returns_the_newest_samples_in_order_across_the_wrap() {
        let ring = SampleRing::default();
        let mut out = [f32::NAN; 4];
        // Before anything was written the GUI sees silence, not garbage.
        assert_eq!(ring.read_latest(&mut out), 0);
        assert_eq!(out, [0.0; 4]);
        ring.push_with(2, |i| i as f32 + 1.0);
        assert_eq!(ring.read_latest(&mut out), 2);
        assert_eq!(out, [0.0, 0.0, 1.0, 2.0]);
        // Write past the end of the buffer: the newest four are the last block's last four.
        let block = SAMPLE_RING_LEN + 3;
        ring.push_with(block, |i| i as f32);
        assert_eq!(ring.read_latest(&mut out), 2 + block);
        let last = block as f32 - 1.0;
        assert_eq!(out, [last - 3.0, last - 2.0, last - 1.0, last]);
    }

    #[test]
    fn ui_scale_defaults_when_missing_and_is_clamped() {
        let old: SettingsData = serde_json::from_str(r#"{"editor_width": 1200}"#).unwrap();
        assert_eq!(old.ui_scale, DEFAULT_UI_SCALE);
        assert_eq!(old.editor_width, 1200);
        assert!(!old.big_view, "an older state opens in the Detail view");
        let wild = |scale: f32| {
            SettingsData {
                ui_scale: scale,
                ..SettingsData::default()
            }
            .sanitised()
            .ui_scale
        };
        assert_eq!(wild(5.0), MAX_UI_SCALE);
        assert_eq!(wild(0.1), MIN_UI_SCALE);
        assert_eq!(wild(f32::NAN), DEFAULT_UI_SCALE);
        assert_eq!(wild(1.5), 1.5);
    }

    #[test]
    fn persisting_round_trips_and_flags_a_state_load() {
        let settings = Arc::new(SharedSettings::default());
        let data = SettingsData {
            amp_k_v: 18.0,
            hold_ms: 3500.0,
            ..SettingsData::default()
        };
        PersistentField::set(&settings, data);
        assert!(settings.take_state_loaded());
        assert!(!settings.take_state_loaded());
        assert_eq!(PersistentField::map(&settings, |d| *d), data);
        let json = serde_json::to_string(&settings.get()).unwrap();
        let back: SettingsData = serde_json::from_str(&json).unwrap();
        assert_eq!(back, data);
        // Serialising is deterministic, byte for byte.
        assert_eq!(json, serde_json::to_string(&settings.get()).unwrap());
    }

    #[test]
    fn saved_exposure_restores_for_a_week_and_then_loads_as_zero() {
        let now = 1_800_000_000;
        let day = 24 * 60 * 60;
        let data = ExposureData {
            pa2h: [0.5, 0.25, f64::NAN, -1.0, 1e9],
            updated_unix_s: [now - 7 * day + 1, now - 7 * day, now, now + day, now],
        };
        assert_eq!(
            data.restorable_pa2h(now),
            [0.5, 0.0, 0.0, 0.0, EXPOSURE_PA2H_MAX].map(Some)
        );
        // A clock set back (saved "in the future") restores rather than losing the dose.
        let ahead = ExposureData {
            pa2h: [0.3; EAR_OUTPUTS],
            updated_unix_s: [now + day; EAR_OUTPUTS],
        };
        assert_eq!(ahead.restorable_pa2h(now), [Some(0.3); EAR_OUTPUTS]);
        // Never recorded (a state saved before anyone listened): the engine's value stays.
        assert_eq!(
            ExposureData::default().restorable_pa2h(now),
            [None; EAR_OUTPUTS]
        );
        let partly = ExposureData {
            pa2h: [0.2; EAR_OUTPUTS],
            updated_unix_s: [now, 0, 0, 0, 0],
        };
        assert_eq!(
            partly.restorable_pa2h(now),
            [Some(0.2), None, None, None, None]
        );
    }

    #[test]
    fn exposure_is_recorded_with_the_time_it_last_grew() {
        let store = ExposureStore::default();
        let clock_reads = AtomicU32::new(0);
        let clock = |t: u64| {
            let reads = &clock_reads;
            move || {
                reads.fetch_add(1, Ordering::Relaxed);
                t
            }
        };
        store.record([0.1, 0.0, 0.0, 0.0, 0.2], clock(100));
        assert_eq!(
            clock_reads.load(Ordering::Relaxed),
            1,
            "one clock read per call"
        );
        assert_eq!(store.get().pa2h, [0.1, 0.0, 0.0, 0.0, 0.2]);
        assert_eq!(store.get().updated_unix_s, [100, 0, 0, 0, 100]);
        // Main grows, cue 4 reads back in its last bits only: only main's time moves.
        store.record([0.15, 0.0, 0.0, 0.0, 0.2 * (1.0 + 1e-14)], clock(200));
        assert_eq!(store.get().updated_unix_s, [200, 0, 0, 0, 100]);
        assert_eq!(store.get().pa2h[4], 0.2);
        // Nothing changed: the clock is not read at all.
        store.record([0.15, 0.0, 0.0, 0.0, 0.2], clock(300));
        assert_eq!(clock_reads.load(Ordering::Relaxed), 2);
        // A reset to 0 is a change.
        store.record([0.0, 0.0, 0.0, 0.0, 0.2], clock(400));
        assert_eq!(store.get().pa2h[0], 0.0);
        assert_eq!(store.get().updated_unix_s[0], 400);
        assert!(!store.take_loaded(), "recording is not a state load");

        // Saved and loaded: the same data, and the audio thread is told to restore it.
        let store = Arc::new(store);
        let json = serde_json::to_string(&PersistentField::map(&store, |d| *d)).unwrap();
        let loaded = Arc::new(ExposureStore::default());
        PersistentField::set(&loaded, serde_json::from_str(&json).unwrap());
        assert_eq!(loaded.get(), store.get());
        assert!(loaded.take_loaded());
        assert!(!loaded.take_loaded());
        // A state without the field, or with some of it, fills in defaults.
        let partial: ExposureData = serde_json::from_str(r#"{"pa2h": [1, 2, 3, 4, 5]}"#).unwrap();
        assert_eq!(partial.updated_unix_s, [0; EAR_OUTPUTS]);
    }

    #[test]
    fn the_talk_peak_waits_for_the_gui_and_the_rest_are_latest_values() {
        let status = MonitorStatus::default();
        let talk = |peak: f32, rms: f32| ChannelReading {
            sample_peak_lin: peak,
            rms_lin: rms,
            ..ChannelReading::default()
        };
        status.publish_meters(&talk(0.7, 0.2), [3.0, 0.0, 1.5, 0.0, 0.0]);
        status.publish_meters(&talk(0.1, 0.05), [2.0, 0.0, 1.0, 0.0, 0.0]);
        assert_eq!(status.take_talk_peak_lin(), 0.7);
        assert_eq!(status.take_talk_peak_lin(), 0.0);
        assert_eq!(status.talk_rms_lin(), 0.05);
        assert_eq!(status.limit_gr_db(0), 2.0);
        assert_eq!(status.limit_gr_db(2), 1.0);
        assert_eq!(status.limit_gr_db(9), 0.0);
        status.publish_right_pair_missing(true);
        assert!(status.right_pair_missing());
    }
}
