//! The whole signal path of one plugin instance:
//! input stage → [pre tap] → main gain, dim, mute → crossfeed → [post tap] → level limit →
//! talk to main → listen → ear guard → bypass mix → main out,
//! and four cues fed from the taps: routing and gain → level limit → talk → (what listen
//! hears) → ear guard → cue out. The plugin's `process()` only hands it slices.

use crate::calibration::Calibration;
use crate::crossfeed::{Crossfeed, CrossfeedSetting};
use crate::cue::{CueSettings, CueStage, CueTaps, CUE_COUNT};
use crate::input::{InputLayout, InputMode, InputSettings, InputStage};
use crate::listen::{Listen, ListenStage};
use crate::meter::{
    ChannelReading, CommonModeReading, EarReading, MeterBank, OutputLoudness, OutputReading,
    StereoReading, WeeklyAllowance, EAR_OUTPUTS,
};
use crate::output::{OutputSettings, OutputStage, GAIN_RAMP_MS};
use crate::ramp::Ramp;
use crate::sanitise::{
    all_within_isa, flush_subnormal, flush_subnormal_pair_isa, sanitise_unguarded,
};
use crate::simd::Isa;
use crate::talkback::{TalkIn, TalkbackSettings, TalkbackStage};

/// Samples the engine works on at once; host blocks of any length are cut into these, so
/// the scratch memory is fixed at construction and the result never depends on the host's
/// block size.
pub const CHUNK_FRAMES: usize = 256;

/// Audio time between two meter publications (s), rounded up to whole
/// [`METER_BATCH_FRAMES`] batches (512 frames, 10.7 ms, at 48 kHz). A GUI at 60 fps shows a
/// frame every 16.7 ms, so one publication per 10 ms still gives every frame a fresh reading
/// (peaks are merged between publications, nothing is lost). Each read costs (it meters the
/// frames waiting in the batch, then reads every meter), so the plugin publishes at most this
/// often (see [`Engine::meters_due`]).
pub const METER_PUBLISH_S: f32 = 0.010;

/// Frames of every metered signal the engine gathers before running the meters over them
/// (a whole number of the meters' [`crate::meter::CHUNK`]s): each meter call has a fixed cost
/// (the true peak's tile prologue and history shift, chunk bookkeeping) that small host blocks
/// would otherwise pay on each of the ~14 metered channels.
pub const METER_BATCH_FRAMES: usize = 256;

const _: () = assert!(METER_BATCH_FRAMES.is_multiple_of(crate::meter::CHUNK));

/// Every user setting the engine acts on.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct EngineSettings {
    /// Decoding, mode, trim and polarity.
    pub input: InputSettings,
    /// The main output's gain stage and ear guard.
    pub main: OutputSettings,
    /// Headphone crossfeed on the main output.
    pub crossfeed: CrossfeedSetting,
    /// The four cue outputs.
    pub cues: [CueSettings; CUE_COUNT],
    /// Host bypass: the main input passes to the main output unchanged.
    pub bypass: bool,
    /// Talkback into the cues and main.
    pub talkback: TalkbackSettings,
    /// Which cue the main output carries, if any.
    pub listen: Listen,
    /// Right pair on the aux input: in the Stereo layout, decode the main input as Hot L /
    /// Cold L and the auxiliary input (when it carries two channels as long as the main
    /// block) as Hot R / Cold R, as the BalancedPairs layout does; otherwise decode the left
    /// pair to both ears, as the Balanced pair mode does (see [`Engine::right_pair_missing`]).
    pub pairs_on_aux: bool,
    /// Calibration and allowance of the ear-level meters; the calibration also sets where
    /// each output's level limit acts.
    pub ear: EarSettings,
}

/// What the ear-level meters need to turn samples into sound at the ear.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EarSettings {
    /// SPL (dB) of a full-scale sine at the ear, per output: main, then each cue.
    pub spl_at_0dbfs_db: [f32; EAR_OUTPUTS],
    /// The weekly allowance exposure is measured against.
    pub allowance: WeeklyAllowance,
}

impl Default for EarSettings {
    /// Every output at the default calibration (107.8 dB SPL at 0 dBFS), adult allowance.
    fn default() -> Self {
        Self {
            spl_at_0dbfs_db: [Calibration::default().spl_at_0dbfs_db(); EAR_OUTPUTS],
            allowance: WeeklyAllowance::Adult,
        }
    }
}

/// Which meters a reset clears, as bits of a mask.
pub mod meter_bits {
    /// The input meter (decoded input before any gain).
    pub const INPUT: u32 = 1;
    /// The main output's meters, correlation, balance, common mode and non-finite count.
    pub const MAIN: u32 = 2;
    /// Cue n's meters (n = 0..3) are bit `CUE_0 << n`.
    pub const CUE_0: u32 = 4;
    /// The talk meter.
    pub const TALK: u32 = CUE_0 << super::CUE_COUNT;
    /// Every meter.
    pub const ALL: u32 = u32::MAX;
}

/// Everything the meters read, taken once per host block for the GUI.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EngineReadings {
    /// The decoded input before any gain: the headroom of what is being tracked.
    pub input: OutputReading,
    /// The main output.
    pub main: OutputReading,
    /// Correlation and balance of the main output.
    pub stereo: StereoReading,
    /// Common-mode level and rejection per ear (meaningful when `balanced_active`).
    pub common_mode: [CommonModeReading; 2],
    /// Each cue output.
    pub cues: [OutputReading; CUE_COUNT],
    /// Whether each cue carried signal in the last block.
    pub cue_active: [bool; CUE_COUNT],
    /// Whether a balanced decode is active.
    pub balanced_active: bool,
    /// Non-finite samples the main ear guard turned into silence since the last reset.
    pub non_finite_count: u64,
    /// Loudness of the decoded input.
    pub input_loudness: OutputLoudness,
    /// Loudness of the main output.
    pub main_loudness: OutputLoudness,
    /// Loudness of each cue output.
    pub cue_loudness: [OutputLoudness; CUE_COUNT],
    /// Level at the ear and exposure of the main output's listener.
    pub main_ear: EarReading,
    /// Level at the ear and exposure of each cue's listener.
    pub cue_ear: [EarReading; CUE_COUNT],
}

/// Which cues carry signal this chunk: connected and not idle.
fn cue_activity(
    cues: &[CueStage; CUE_COUNT],
    cue_outs: &[CueOut<'_>; CUE_COUNT],
) -> [bool; CUE_COUNT] {
    std::array::from_fn(|i| cue_outs[i].is_some() && !cues[i].is_idle())
}

/// A cue output buffer pair handed over by the host, or `None` when the host gave no usable
/// buffer (port absent, switched off, or null channel pointers).
pub type CueOut<'a> = Option<(&'a mut [f32], &'a mut [f32])>;

/// Cuewire's engine for one instance at one sample rate and input layout.
pub struct Engine {
    sample_rate_hz: f32,
    layout: InputLayout,
    settings: EngineSettings,
    input: InputStage,
    main: OutputStage,
    crossfeed: Crossfeed,
    cues: [CueStage; CUE_COUNT],
    talkback: TalkbackStage,
    listen: ListenStage,
    /// A cue's signal when listen needs it and no output is connected for it.
    cue_scratch: [[Vec<f32>; 2]; CUE_COUNT],
    /// The layout the input stage decodes (the host's, or BalancedPairs with the right pair on
    /// the aux input), and the input settings it was last given (see [`input_plan`]).
    decode_layout: InputLayout,
    applied_input: InputSettings,
    /// Whether the last block's aux input carried two channels as long as the main block.
    aux_full: bool,
    /// Whether `pairs_on_aux` asks for a right pair the last block did not carry.
    right_pair_missing: bool,
    /// 1.0 = fully processed, 0.0 = fully bypassed.
    wet: Ramp,
    dry: [Vec<f32>; 2],
    cm: [Vec<f32>; 2],
    pre: [Vec<f32>; 2],
    post: [Vec<f32>; 2],
    balanced_active: bool,
    meters: MeterBank,
    /// Instruction set of the engine's own sample loops (chosen once, in `new`).
    isa: Isa,
    /// Frames processed since the last `read_meters` (saturating).
    frames_since_read: usize,
    /// Frames after which [`Engine::meters_due`] turns true.
    meter_publish_frames: usize,
}

/// `settings` as they act in `layout` (see [`InputMode::effective_in`]).
fn input_settings_in(layout: InputLayout, settings: &InputSettings) -> InputSettings {
    InputSettings {
        mode: settings.mode.effective_in(layout),
        ..*settings
    }
}

/// How the input stage decodes in the host's `layout`: the layout it decodes, its settings,
/// and whether the right pair is missing. `aux_full`: the aux input carries two channels as
/// long as the main block. With `pairs_on_aux` in the Stereo layout, a full aux input makes
/// it a BalancedPairs decode; without one, the left pair goes to both ears (Balanced pair).
fn input_plan(
    layout: InputLayout,
    settings: &EngineSettings,
    aux_full: bool,
) -> (InputLayout, InputSettings, bool) {
    let pairs = layout == InputLayout::Stereo && settings.pairs_on_aux;
    let decode = if pairs && aux_full {
        InputLayout::BalancedPairs
    } else {
        layout
    };
    let mut input = input_settings_in(decode, &settings.input);
    let missing = pairs && !aux_full;
    if missing {
        input.mode = InputMode::BalancedPair;
    }
    (decode, input, missing)
}

/// The part of `x` in `start..end`, cut short at (or empty past) its end.
fn part(x: &[f32], start: usize, end: usize) -> &[f32] {
    let len = x.len();
    &x[start.min(len)..end.min(len)]
}

impl Engine {
    /// An engine for `layout` at `sample_rate_hz`, resting at `settings` from the first sample.
    pub fn new(sample_rate_hz: f32, layout: InputLayout, settings: &EngineSettings) -> Self {
        let mut input = InputStage::new(sample_rate_hz);
        let (decode_layout, applied_input, right_pair_missing) =
            input_plan(layout, settings, false);
        input.set_settings(&applied_input);
        let scratch = || [vec![0.0; CHUNK_FRAMES], vec![0.0; CHUNK_FRAMES]];
        let mut engine = Self {
            sample_rate_hz,
            layout,
            settings: *settings,
            input,
            main: OutputStage::new(sample_rate_hz, &settings.main),
            crossfeed: Crossfeed::new(sample_rate_hz, settings.crossfeed),
            cues: settings.cues.map(|cue| CueStage::new(sample_rate_hz, &cue)),
            talkback: TalkbackStage::new(sample_rate_hz, &settings.talkback),
            listen: ListenStage::new(sample_rate_hz, settings.listen),
            cue_scratch: std::array::from_fn(|_| scratch()),
            decode_layout,
            applied_input,
            aux_full: false,
            right_pair_missing,
            wet: Ramp::for_ms(
                sample_rate_hz,
                GAIN_RAMP_MS,
                if settings.bypass { 0.0 } else { 1.0 },
            ),
            dry: scratch(),
            cm: scratch(),
            pre: scratch(),
            post: scratch(),
            balanced_active: false,
            meters: MeterBank::new(sample_rate_hz, &settings.ear),
            isa: Isa::detect(),
            frames_since_read: 0,
            // Whole batches: a read then finds no frames waiting unless something else ran the
            // meters between two reads (a cue switching, a reset of the meters).
            meter_publish_frames: ((METER_PUBLISH_S * sample_rate_hz / METER_BATCH_FRAMES as f32)
                .ceil() as usize)
                .max(1)
                .saturating_mul(METER_BATCH_FRAMES),
        };
        engine.update_meter_ceilings();
        engine.update_calibration();
        engine.reset();
        engine
    }

    /// The input layout this engine decodes.
    pub fn layout(&self) -> InputLayout {
        self.layout
    }

    /// The settings in force (targets of any running ramps).
    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }

    /// New settings, effective from the next sample (gains and routing ramp there).
    pub fn set_settings(&mut self, settings: &EngineSettings) {
        self.main.set_settings(&settings.main);
        self.crossfeed.set(settings.crossfeed);
        for (cue, cue_settings) in self.cues.iter_mut().zip(&settings.cues) {
            cue.set_settings(cue_settings);
        }
        self.wet.set_target(if settings.bypass { 0.0 } else { 1.0 });
        self.talkback.set_settings(&settings.talkback);
        self.listen.set(settings.listen);
        let ceilings_changed = settings.main.ceiling_db != self.settings.main.ceiling_db
            || (0..CUE_COUNT).any(|i| {
                settings.cues[i].output.ceiling_db != self.settings.cues[i].output.ceiling_db
            });
        let calibration_changed = settings.ear.spl_at_0dbfs_db != self.settings.ear.spl_at_0dbfs_db;
        self.meters.set_ear_settings(&settings.ear);
        self.settings = *settings;
        self.apply_input_plan(self.aux_full);
        if ceilings_changed {
            self.update_meter_ceilings();
        }
        if calibration_changed {
            self.update_calibration();
        }
    }

    /// Hands each output's level limit its calibration.
    fn update_calibration(&mut self) {
        let [main, cues @ ..] = self.settings.ear.spl_at_0dbfs_db;
        self.main.set_spl_at_0dbfs_db(main);
        for (cue, spl) in self.cues.iter_mut().zip(cues) {
            cue.set_spl_at_0dbfs_db(spl);
        }
    }

    /// Brings the input stage to [`input_plan`] for `aux_full`. A settings change crossfades
    /// as usual; a change of the decoded layout (the right pair arriving or leaving) switches
    /// at once, as the host's connection did.
    fn apply_input_plan(&mut self, aux_full: bool) {
        let (decode, input, missing) = input_plan(self.layout, &self.settings, aux_full);
        if input != self.applied_input {
            self.input.set_settings(&input);
            self.applied_input = input;
            if decode != self.decode_layout {
                self.input.snap();
            }
        }
        self.decode_layout = decode;
        self.aux_full = aux_full;
        self.right_pair_missing = missing;
    }

    /// Headroom is measured against each output's ear-guard ceiling (0 dBFS for the input).
    /// Only reads use the ceiling, so the frames waiting in the meter batch need no flush.
    fn update_meter_ceilings(&mut self) {
        let s = &self.settings;
        self.meters.set_ceilings_db(
            0.0,
            s.main.ceiling_db,
            std::array::from_fn(|i| s.cues[i].output.ceiling_db),
        );
    }

    /// Meter options for every output: peak hold (ms) and the clip run length (samples).
    pub fn set_meter_options(&mut self, hold_ms: f32, clip_run_samples: u32) {
        self.meters.set_options(hold_ms, clip_run_samples);
        self.talkback.set_meter_options(hold_ms, clip_run_samples);
    }

    /// Clears all signal state; every ramp jumps to its target, so after activation the
    /// settings act from the first sample. Every meter starts over except the listeners'
    /// exposure (see [`MeterBank::restart`]).
    pub fn reset(&mut self) {
        self.input.reset();
        self.crossfeed.reset();
        self.main.reset();
        for cue in &mut self.cues {
            cue.reset();
        }
        self.talkback.reset();
        self.snap();
        self.meters.restart(self.sample_rate_hz);
        self.main.reset_counters();
        for cue in &mut self.cues {
            cue.reset_counters();
        }
        self.balanced_active = false;
    }

    /// Ends every running ramp at its target (after a state load).
    pub fn snap(&mut self) {
        self.input.snap();
        self.main.snap();
        self.crossfeed.snap();
        for cue in &mut self.cues {
            cue.snap();
        }
        self.talkback.snap();
        self.listen.snap();
        self.wet.snap();
    }

    /// Clears every latched meter value and counter.
    pub fn reset_meters(&mut self) {
        self.reset_meters_masked(meter_bits::ALL);
    }

    /// Clears the latched values of the meters selected by `mask` (see [`meter_bits`]).
    pub fn reset_meters_masked(&mut self, mask: u32) {
        self.meters.reset_masked(mask);
        if mask & meter_bits::MAIN != 0 {
            self.main.reset_counters();
        }
        for (i, cue) in self.cues.iter_mut().enumerate() {
            if mask & (meter_bits::CUE_0 << i) != 0 {
                cue.reset_counters();
            }
        }
        if mask & meter_bits::TALK != 0 {
            self.talkback.reset_meter();
        }
    }

    /// Loads a saved exposure (Pa²h) for output `output` (0 = main, 1 + n = cue n; other
    /// indices are ignored), e.g. from the plugin's state.
    pub fn set_exposure_pa2h(&mut self, output: usize, pa2h: f64) {
        self.meters.set_exposure_pa2h(output, pa2h);
    }

    /// The exposure (Pa²h) of output `output` (0 = main, 1 + n = cue n; 0 for other indices)
    /// over every frame processed so far, for saving.
    pub fn exposure_pa2h(&mut self, output: usize) -> f64 {
        self.meters.exposure_pa2h(output)
    }

    /// Frames between two meter publications: [`METER_PUBLISH_S`] at this engine's rate,
    /// rounded up to a whole number of [`METER_BATCH_FRAMES`] batches.
    pub fn meter_publish_frames(&self) -> usize {
        self.meter_publish_frames
    }

    /// True once [`Engine::meter_publish_frames`] frames have been processed since the last
    /// [`Engine::read_meters`]. Reading only then loses nothing: the since-last-read peaks,
    /// true peaks and clip counts cover every frame since the previous read. With host blocks
    /// that divide [`METER_BATCH_FRAMES`], a due read lands where a batch has just been
    /// metered, so it finds no frames waiting.
    pub fn meters_due(&self) -> bool {
        self.frames_since_read >= self.meter_publish_frames
    }

    /// The meter readings when [`Engine::meters_due`], else `None` (nothing is reset then).
    pub fn take_meters_if_due(&mut self) -> Option<EngineReadings> {
        self.meters_due().then(|| self.read_meters())
    }

    /// Takes the meter readings, which cover every frame processed so far (the frames
    /// waiting in the meter batch are metered first); the since-last-read peaks start over.
    pub fn read_meters(&mut self) -> EngineReadings {
        self.frames_since_read = 0;
        self.meters
            .read(self.balanced_active, self.main.guard().non_finite_count())
    }

    /// Turns every meter on or off (on by default; the plugin never turns them off): off,
    /// only the signal path runs and the readings stand still. For benchmarks that separate
    /// the signal path's cost from metering's.
    pub fn set_metering(&mut self, on: bool) {
        self.meters.set_enabled(on);
        self.talkback.set_metering(on);
    }

    /// The input stage (for the Auto fix decision).
    pub fn input(&self) -> &InputStage {
        &self.input
    }

    /// The main output stage (for the ear guard's counters).
    pub fn main(&self) -> &OutputStage {
        &self.main
    }

    /// The cue stages.
    pub fn cues(&self) -> &[CueStage; CUE_COUNT] {
        &self.cues
    }

    /// True when the last chunk was decoded as a balanced pair (common mode is meaningful).
    pub fn balanced_active(&self) -> bool {
        self.balanced_active
    }

    /// True when `pairs_on_aux` asks for the right pair on the aux input and the last block
    /// did not carry it (two channels as long as the main block): the left pair then plays
    /// in both ears.
    pub fn right_pair_missing(&self) -> bool {
        self.right_pair_missing
    }

    /// The level limit's gain reduction now, dB (≥ 0) of output `output`: 0 = main, 1 + n =
    /// cue n; 0 for any other index.
    pub fn limit_gain_reduction_db(&self, output: usize) -> f32 {
        match output {
            0 => self.main.limit_gain_reduction_db(),
            o if o <= CUE_COUNT => self.cues[o - 1].stage().limit_gain_reduction_db(),
            _ => 0.0,
        }
    }

    /// The talkback stage (settings and envelopes).
    pub fn talkback(&self) -> &TalkbackStage {
        &self.talkback
    }

    /// The talk meter's readings (the talk input after its high-pass, before its level;
    /// silence while there is no talk input); the since-last-read peaks start over.
    pub fn read_talk_meter(&mut self) -> ChannelReading {
        self.talkback.read_meter()
    }

    /// Processes one host block in place. `l`, `r`: the main buffer (Stereo: L, R; Mono: the
    /// input in `l`; BalancedPairs: Hot L, Cold L); `aux`: Hot R, Cold R for BalancedPairs or
    /// `pairs_on_aux` (shorter than the main block: absent). On return `l`, `r` hold the main
    /// output and each connected cue its output. Mismatched main lengths process the
    /// shortest; a cue buffer shorter than that is left alone.
    pub fn process(
        &mut self,
        l: &mut [f32],
        r: &mut [f32],
        aux: Option<(&[f32], &[f32])>,
        cue_outs: &mut [CueOut<'_>; CUE_COUNT],
    ) {
        self.process_with_talk(l, r, aux, None, cue_outs);
    }

    /// [`Engine::process`] with the talkback input `talk` (mono, or a stereo pair summed to
    /// mono; channels shorter than the block are silence past their end, `None` is silence).
    pub fn process_with_talk(
        &mut self,
        l: &mut [f32],
        r: &mut [f32],
        aux: Option<(&[f32], &[f32])>,
        talk: Option<TalkIn<'_>>,
        cue_outs: &mut [CueOut<'_>; CUE_COUNT],
    ) {
        let n = l.len().min(r.len());
        let aux = aux.filter(|(a, b)| a.len() >= n && b.len() >= n);
        if aux.is_some() != self.aux_full {
            self.apply_input_plan(aux.is_some());
        }
        let aux = aux.filter(|_| self.decode_layout == InputLayout::BalancedPairs);
        for out in cue_outs.iter_mut() {
            if out
                .as_ref()
                .is_some_and(|(a, b)| a.len() < n || b.len() < n)
            {
                *out = None;
            }
        }
        self.frames_since_read = self.frames_since_read.saturating_add(n);
        let mut start = 0;
        while start < n {
            // A chunk also ends where the decode or a cue's activity changes by itself (a
            // crossfade or fade-out ends, Auto fix decides): the meters take those per chunk,
            // and at these positions, fixed in samples, no host block size can move them.
            let change = self
                .cues
                .iter()
                .filter_map(CueStage::frames_to_idle)
                .chain(self.input.frames_to_decode_change())
                .min()
                .unwrap_or(CHUNK_FRAMES);
            let end = (start + CHUNK_FRAMES.min(change)).min(n);
            let chunk_aux = aux.map(|(a, b)| (&a[start..end], &b[start..end]));
            let chunk_talk =
                talk.map(|(a, b)| (part(a, start, end), b.map(|b| part(b, start, end))));
            self.process_chunk(
                &mut l[start..end],
                &mut r[start..end],
                chunk_aux,
                chunk_talk,
                cue_outs,
                start..end,
            );
            start = end;
        }
    }

    /// Processes one block with no cue outputs connected.
    pub fn process_main(&mut self, l: &mut [f32], r: &mut [f32], aux: Option<(&[f32], &[f32])>) {
        self.process(l, r, aux, &mut [None, None, None, None]);
    }

    fn process_chunk(
        &mut self,
        l: &mut [f32],
        r: &mut [f32],
        aux: Option<(&[f32], &[f32])>,
        talk: Option<TalkIn<'_>>,
        cue_outs: &mut [CueOut<'_>; CUE_COUNT],
        range: std::ops::Range<usize>,
    ) {
        let n = l.len();
        // Every chunk, heard or not, so the envelopes and the talk meter keep time.
        self.talkback.process(talk, n);
        let bypass_involved = self.wet.is_ramping() || self.wet.current() != 1.0;
        // When every stage is set to hand the audio through and no sample is one the flush or
        // the guard would change, the full path would give back `l` and `r` bit for bit: they
        // already are the output (and both cue taps), and only the stages' clocks need to move.
        let identity = !bypass_involved
            && self.crossfeed.is_bypassed()
            && !self.talkback.reaches_main()
            && self.listen.is_off()
            && self.input.passes_through(self.decode_layout)
            && self.main.hands_through()
            && all_within_isa(self.isa, l, r, self.main.guard().pass_limit_lin());
        if identity {
            self.input.pass_through(n);
            self.balanced_active = false;
        } else {
            self.decode_chunk(l, r, aux, bypass_involved);
        }

        let cue_active = cue_activity(&self.cues, cue_outs);
        let [cm_l, cm_r] = &self.cm;
        let common_mode = self.balanced_active.then(|| (&cm_l[..n], &cm_r[..n]));
        self.meters.start_chunk(l, r, common_mode, cue_active);
        // A cue is rendered when its output is connected or listen hears it.
        let rendered: [bool; CUE_COUNT] = std::array::from_fn(|i| {
            cue_active[i] || (self.listen.hears_cue(i) && !self.cues[i].is_idle())
        });

        let cues_rendered = rendered.contains(&true);
        // The pre tap: the meter batch already holds this chunk's decoded input.
        let batch_pre = self.meters.chunk_input(n);
        if cues_rendered && batch_pre.is_none() {
            self.pre[0][..n].copy_from_slice(l);
            self.pre[1][..n].copy_from_slice(r);
        }

        if !identity {
            self.main.apply_gain(l, r);
            self.crossfeed.process(l, r);
        }

        // Which cues talkback changed after their render (their guard then checks again).
        let mut talked = [false; CUE_COUNT];
        if cues_rendered {
            self.post[0][..n].copy_from_slice(l);
            self.post[1][..n].copy_from_slice(r);
            let taps = CueTaps {
                pre: batch_pre.unwrap_or((&self.pre[0][..n], &self.pre[1][..n])),
                post: (&self.post[0][..n], &self.post[1][..n]),
            };
            for (i, (cue, out)) in self.cues.iter_mut().zip(cue_outs.iter_mut()).enumerate() {
                if !rendered[i] {
                    continue;
                }
                let [sl, sr] = &mut self.cue_scratch[i];
                let (a, b) = match out {
                    Some((a, b)) => (&mut a[range.clone()], &mut b[range.clone()]),
                    None => (&mut sl[..n], &mut sr[..n]),
                };
                cue.process_pre_guard(taps, a, b);
                talked[i] = self.talkback.mix_into_cue(i, a, b);
            }
        }

        if !identity {
            self.main.apply_limit(l, r);
            self.talkback.mix_into_main(l, r);
            if !self.listen.is_off() {
                let cues = std::array::from_fn(|i| {
                    let [sl, sr] = &self.cue_scratch[i];
                    match &cue_outs[i] {
                        _ if !rendered[i] => None,
                        Some((a, b)) => Some((&a[range.clone()], &b[range.clone()])),
                        None => Some((&sl[..n], &sr[..n])),
                    }
                });
                self.listen.process((l, r), cues);
            }
        }

        for (i, (cue, out)) in self.cues.iter_mut().zip(cue_outs.iter_mut()).enumerate() {
            if let (true, Some((a, b))) = (cue_active[i], out) {
                let (a, b) = (&mut a[range.clone()], &mut b[range.clone()]);
                cue.apply_guard(a, b, talked[i]);
                self.meters.take_cue(i, a, b);
            }
        }

        if !identity {
            self.main.apply_guard(l, r);
        }

        if bypass_involved {
            self.mix_dry(l, r);
        }
        self.meters.finish_chunk(l, r, cue_outs, range);
    }

    /// The full path's front: flushes subnormal input (main legs in place, aux legs into
    /// `pre`), keeps the dry input for the bypass mix when `bypass_involved`, and runs the input
    /// stage into `l`, `r` and the common-mode scratch.
    fn decode_chunk(
        &mut self,
        l: &mut [f32],
        r: &mut [f32],
        aux: Option<(&[f32], &[f32])>,
        bypass_involved: bool,
    ) {
        let n = l.len();
        // Subnormal input is flushed to zeros of its sign before anything reads it: it is
        // inaudible (< −758 dBFS), and every multiply touching a subnormal takes a slow path on
        // x86 without FTZ/DAZ, so denormal input would cost many times normal input. The aux
        // legs are read-only: their flushed copy goes through `pre`, unused until the cue taps.
        flush_subnormal_pair_isa(self.isa, l, r);
        let aux = aux.map(|(a, b)| {
            let [x, y] = &mut self.pre;
            for (dst, src) in [(&mut x[..n], a), (&mut y[..n], b)] {
                dst.iter_mut()
                    .zip(src)
                    .for_each(|(d, s)| *d = flush_subnormal(*s));
            }
            (&self.pre[0][..n], &self.pre[1][..n])
        });
        if bypass_involved {
            self.dry[0][..n].copy_from_slice(l);
            // Bypassing a mono → stereo insert still feeds both ears.
            let dry_r = if self.layout == InputLayout::Mono {
                &*l
            } else {
                &*r
            };
            self.dry[1][..n].copy_from_slice(dry_r);
            // The bypass path skips the guard: still never hand the host NaN or subnormals.
            sanitise_unguarded(&mut self.dry[0][..n]);
            sanitise_unguarded(&mut self.dry[1][..n]);
        }

        let [cm_l, cm_r] = &mut self.cm;
        self.balanced_active = self.input.process(
            self.decode_layout,
            l,
            r,
            aux,
            &mut cm_l[..n],
            &mut cm_r[..n],
        );
        // Decoding tiny normal legs can still make a subnormal ((h − g·c)/2): flush again so
        // no later stage (gain, crossfeed, cues, the meters' filters) ever meets one. A stage
        // that only copied, negated or zeroed flushed samples cannot have made one.
        if !self.input.last_block_copied_only() {
            flush_subnormal_pair_isa(self.isa, l, r);
            flush_subnormal_pair_isa(self.isa, &mut cm_l[..n], &mut cm_r[..n]);
        }
    }

    /// Crossfades the processed signal with the dry input by the bypass ramp.
    fn mix_dry(&mut self, l: &mut [f32], r: &mut [f32]) {
        let n = l.len();
        let [dry_l, dry_r] = &self.dry;
        if !self.wet.is_ramping() {
            // Fully bypassed: the input passes bit for bit.
            l.copy_from_slice(&dry_l[..n]);
            r.copy_from_slice(&dry_r[..n]);
            return;
        }
        for i in 0..n {
            let wet = self.wet.next_value();
            if wet == 0.0 {
                // The ramp has landed on bypass: pass the input bit for bit (−0.0 included).
                l[i] = dry_l[i];
                r[i] = dry_r[i];
            } else {
                l[i] = wet * l[i] + (1.0 - wet) * dry_l[i];
                r[i] = wet * r[i] + (1.0 - wet) * dry_r[i];
            }
        }
    }
}
