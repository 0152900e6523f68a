//! Cuewire's parameters. Ids are stable: they are added, never renamed or removed, because
//! hosts store automation and presets under them.

use std::sync::Arc;

use cuewire_dsp::calibration::{
    Calibration, AMP_GAIN_DB_RANGE, DEFAULT_AMP_GAIN_DB, DEFAULT_FULL_SCALE_DBU,
    DEFAULT_SENSITIVITY_DB_SPL_PER_V, IMPEDANCE_OHM_RANGE, SENSITIVITY_DB_SPL_PER_V_RANGE,
};
use cuewire_dsp::crossfeed::{CrossfeedSetting, CUT_MAX_HZ, CUT_MIN_HZ, FEED_MAX_DB, FEED_MIN_DB};
use cuewire_dsp::cue::{
    CueMode, CueSettings, CueSource, CUE_COUNT, CUE_GAIN_MAX_DB, CUE_GAIN_MIN_DB,
};
use cuewire_dsp::engine::{EarSettings, EngineSettings};
use cuewire_dsp::input::{InputMode, InputSettings};
use cuewire_dsp::level_limit::{DEFAULT_LIMIT_DB_SPL, LIMIT_DB_SPL_RANGE};
use cuewire_dsp::listen::Listen;
use cuewire_dsp::meter::WeeklyAllowance;
use cuewire_dsp::output::{OutputSettings, CEILING_MAX_DB, CEILING_MIN_DB};
use cuewire_dsp::talkback::{
    TalkbackSettings, TALK_DIM_DEFAULT_DB, TALK_DIM_MIN_DB, TALK_LEVEL_MAX_DB, TALK_LEVEL_MIN_DB,
};
use cuewire_dsp::units::v_rms_to_dbu;
use nice_plug::prelude::*;

use crate::shared::{ExposureStore, SharedSettings};

/// The lowest main gain, dB.
pub const MAIN_GAIN_MIN_DB: f32 = -60.0;
/// The highest main gain, dB.
pub const MAIN_GAIN_MAX_DB: f32 = 24.0;
/// The cold-leg trim's range either side of 0, dB.
pub const COLD_TRIM_RANGE_DB: f32 = 3.0;
/// The full-scale parameter's range, dBu: from a consumer output (−10 dBV is −7.8 dBu) with
/// margin to the hottest studio line outputs (+24 dBu and a little more).
pub const FULL_SCALE_DBU_RANGE: (f32, f32) = (-20.0, 30.0);
/// Default headphone impedance, Ω (a common studio headphone).
pub const DEFAULT_IMPEDANCE_OHM: f32 = 32.0;

/// The input mode as the host sees it (names are what the host shows; ids are stable).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputModeParam {
    /// Both channels pass as they are.
    #[id = "stereo"]
    #[name = "Stereo"]
    Stereo,
    /// Detects a one-ear or anti-phase feed and fixes it.
    #[id = "auto"]
    #[name = "Auto fix"]
    AutoFix,
    /// Channel 1 to both ears.
    #[id = "left"]
    #[name = "Left → both"]
    LeftToBoth,
    /// Channel 2 to both ears.
    #[id = "right"]
    #[name = "Right → both"]
    RightToBoth,
    /// (L + R) / 2 to both ears.
    #[id = "mono"]
    #[name = "Mono sum"]
    MonoSum,
    /// Left and right exchanged.
    #[id = "swap"]
    #[name = "Swap"]
    Swap,
    /// Channel 1 hot, channel 2 cold, decoded to both ears.
    #[id = "balanced"]
    #[name = "Balanced pair"]
    BalancedPair,
}

impl From<InputModeParam> for InputMode {
    fn from(mode: InputModeParam) -> Self {
        match mode {
            InputModeParam::Stereo => InputMode::Stereo,
            InputModeParam::AutoFix => InputMode::AutoFix,
            InputModeParam::LeftToBoth => InputMode::LeftToBoth,
            InputModeParam::RightToBoth => InputMode::RightToBoth,
            InputModeParam::MonoSum => InputMode::MonoSum,
            InputModeParam::Swap => InputMode::Swap,
            InputModeParam::BalancedPair => InputMode::BalancedPair,
        }
    }
}

/// The main output's crossfeed as the host sees it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrossfeedParam {
    /// No crossfeed (transparent).
    #[id = "off"]
    #[name = "Off"]
    Off,
    /// bs2b default: 700 Hz, 4.5 dB.
    #[id = "bs2b"]
    #[name = "bs2b default"]
    Bs2bDefault,
    /// bs2b Chu Moy: 700 Hz, 6.0 dB.
    #[id = "cmoy"]
    #[name = "Chu Moy"]
    ChuMoy,
    /// bs2b Jan Meier: 650 Hz, 9.5 dB.
    #[id = "jmeier"]
    #[name = "Jan Meier"]
    JanMeier,
    /// The custom cut and feed parameters.
    #[id = "custom"]
    #[name = "Custom"]
    Custom,
}

/// A cue's feed point as the host sees it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CueSourceParam {
    /// After the input stage, before the main gain.
    #[id = "pre"]
    #[name = "Pre"]
    Pre,
    /// After main gain, dim, mute and crossfeed.
    #[id = "post"]
    #[name = "Post"]
    Post,
}

/// A cue's fold-down as the host sees it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CueModeParam {
    /// L to left, R to right.
    #[id = "stereo"]
    #[name = "Stereo"]
    Stereo,
    /// (L + R)/2 to both.
    #[id = "mono"]
    #[name = "Mono"]
    Mono,
    /// L to both.
    #[id = "left"]
    #[name = "Left → both"]
    LeftToBoth,
    /// R to both.
    #[id = "right"]
    #[name = "Right → both"]
    RightToBoth,
}

/// What the main output carries, as the host sees it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenParam {
    /// Main's own signal.
    #[id = "off"]
    #[name = "Off"]
    Off,
    /// Cue 1 as its listener hears it.
    #[id = "cue1"]
    #[name = "Cue 1"]
    Cue1,
    /// Cue 2 as its listener hears it.
    #[id = "cue2"]
    #[name = "Cue 2"]
    Cue2,
    /// Cue 3 as its listener hears it.
    #[id = "cue3"]
    #[name = "Cue 3"]
    Cue3,
    /// Cue 4 as its listener hears it.
    #[id = "cue4"]
    #[name = "Cue 4"]
    Cue4,
}

impl From<ListenParam> for Listen {
    fn from(listen: ListenParam) -> Self {
        match listen {
            ListenParam::Off => Listen::Off,
            ListenParam::Cue1 => Listen::Cue(0),
            ListenParam::Cue2 => Listen::Cue(1),
            ListenParam::Cue3 => Listen::Cue(2),
            ListenParam::Cue4 => Listen::Cue(3),
        }
    }
}

/// The unit a headphone's sensitivity is rated in.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SensitivityUnitParam {
    /// dB SPL for 1 V RMS at the headphone.
    #[id = "db_spl_v"]
    #[name = "dB SPL/V"]
    PerVolt,
    /// dB SPL for 1 mW into the headphone (uses the impedance).
    #[id = "db_spl_mw"]
    #[name = "dB SPL/mW"]
    PerMilliwatt,
}

/// The weekly sound allowance of ITU-T H.870 that exposure is counted against.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowanceParam {
    /// 80 dB(A) for 40 h a week (1.6 Pa²h).
    #[id = "adult"]
    #[name = "Adult"]
    Adult,
    /// 75 dB(A) for 40 h a week (0.51 Pa²h), for sensitive listeners and children.
    #[id = "sensitive"]
    #[name = "Sensitive"]
    Sensitive,
}

impl From<AllowanceParam> for WeeklyAllowance {
    fn from(allowance: AllowanceParam) -> Self {
        match allowance {
            AllowanceParam::Adult => WeeklyAllowance::Adult,
            AllowanceParam::Sensitive => WeeklyAllowance::Sensitive,
        }
    }
}

/// A value text split into its leading number and the unit after it ("32 ohm" → 32, "ohm").
fn split_number(text: &str) -> Option<(f32, &str)> {
    let text = text.trim();
    let mut end = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E')))
        .unwrap_or(text.len());
    // An 'e' that starts the unit is not an exponent.
    while end > 0 && text[..end].ends_with(['e', 'E']) {
        end -= 1;
    }
    let number: f32 = text[..end].parse().ok()?;
    number.is_finite().then(|| (number, text[end..].trim()))
}

/// The number a value text starts with, whatever unit follows it ("32 ohm" → 32).
fn number_before_unit(text: &str) -> Option<f32> {
    split_number(text).map(|(number, _)| number)
}

/// A level-like parameter from `lo_hi` (its unit) in steps of `step`, shown to a tenth and
/// typed with or without its unit.
fn level_param(
    name: String,
    default: f32,
    (min, max): (f32, f32),
    step: f32,
    unit: &'static str,
) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min, max })
        .with_step_size(step)
        .with_unit(unit)
        .with_value_to_string(formatters::v2s_f32_rounded(1))
        .with_string_to_value(Arc::new(number_before_unit))
}

/// A full-scale level typed as dBu ("10", "+10 dBu"), dBV ("0 dBV") or volts RMS ("2.45 V",
/// "2.45 Vrms", "2.45 V RMS"), in dBu; `None` for anything else or a level outside
/// [`FULL_SCALE_DBU_RANGE`].
pub fn full_scale_dbu_from_text(text: &str) -> Option<f32> {
    let (number, unit) = split_number(text)?;
    let unit: String = unit
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let dbu = match unit.as_str() {
        "" | "dbu" => number,
        // 0 dBV = 1 V RMS.
        "dbv" => v_rms_to_dbu(1.0) + number,
        "v" | "vrms" if number > 0.0 => v_rms_to_dbu(number),
        _ => return None,
    };
    let (lo, hi) = FULL_SCALE_DBU_RANGE;
    // Typed volts land between the 0.1 dB steps: allow the rounding at the ends.
    (lo - 0.05..=hi + 0.05)
        .contains(&dbu)
        .then_some(dbu.clamp(lo, hi))
}

/// One output's analog chain and level limit (ids get the output's prefix: `main_…`, and for
/// cues `cue_…_1` … `cue_…_4`).
#[derive(Params)]
pub struct EarParams {
    /// The interface output's level at 0 dBFS, dBu (typed values may be volts RMS).
    #[id = "fullscale"]
    pub full_scale_dbu: FloatParam,
    /// Headphone-amp gain between the interface output and the headphone, dB (0 = the
    /// headphone on the interface's own headphone output).
    #[id = "amp"]
    pub amp_gain_db: FloatParam,
    /// Headphone sensitivity, dB SPL per volt or per milliwatt (see `sensitivity_unit`).
    #[id = "sens"]
    pub sensitivity_db_spl: FloatParam,
    /// The unit of `sensitivity_db_spl`.
    #[id = "sens_unit"]
    pub sensitivity_unit: EnumParam<SensitivityUnitParam>,
    /// Headphone impedance, Ω (used with a dB SPL/mW sensitivity).
    #[id = "imped"]
    pub impedance_ohm: FloatParam,
    /// Whether the level limit holds the level at the ear under `limit_db_spl`.
    #[id = "limit"]
    pub limit: BoolParam,
    /// The level limit, dB(A) SPL.
    #[id = "limit_db"]
    pub limit_db_spl: FloatParam,
}

impl EarParams {
    /// The parameters of the output called `output` ("Main", "Cue 1" …; it starts every name).
    pub fn new(output: &str) -> Self {
        let (fs_lo, fs_hi) = FULL_SCALE_DBU_RANGE;
        let (sens_lo, sens_hi) = SENSITIVITY_DB_SPL_PER_V_RANGE;
        let (z_lo, z_hi) = IMPEDANCE_OHM_RANGE;
        let (limit_lo, limit_hi) = LIMIT_DB_SPL_RANGE;
        Self {
            full_scale_dbu: FloatParam::new(
                format!("{output} full scale"),
                DEFAULT_FULL_SCALE_DBU,
                FloatRange::Linear {
                    min: fs_lo,
                    max: fs_hi,
                },
            )
            // No step: a full scale typed in volts stays exact.
            .with_unit(" dBu")
            .with_value_to_string(formatters::v2s_f32_rounded(1))
            .with_string_to_value(Arc::new(full_scale_dbu_from_text)),
            amp_gain_db: db_param(
                &format!("{output} amp gain"),
                DEFAULT_AMP_GAIN_DB,
                AMP_GAIN_DB_RANGE.0,
                AMP_GAIN_DB_RANGE.1,
                0.1,
            ),
            sensitivity_db_spl: level_param(
                format!("{output} sensitivity"),
                DEFAULT_SENSITIVITY_DB_SPL_PER_V,
                (sens_lo, sens_hi),
                0.1,
                " dB SPL",
            ),
            sensitivity_unit: EnumParam::new(
                format!("{output} sensitivity unit"),
                SensitivityUnitParam::PerVolt,
            ),
            impedance_ohm: FloatParam::new(
                format!("{output} impedance"),
                DEFAULT_IMPEDANCE_OHM,
                FloatRange::Skewed {
                    min: z_lo,
                    max: z_hi,
                    factor: FloatRange::skew_factor(-1.0),
                },
            )
            .with_unit(" Ω")
            // Whole ohms, but tenths under 10 Ω where a whole ohm is a big step.
            .with_value_to_string(Arc::new(|ohm| match ohm < 9.95 {
                true => format!("{ohm:.1}"),
                false => format!("{ohm:.0}"),
            }))
            .with_string_to_value(Arc::new(number_before_unit)),
            limit: BoolParam::new(format!("{output} level limit"), false),
            limit_db_spl: level_param(
                format!("{output} limit level"),
                DEFAULT_LIMIT_DB_SPL,
                (limit_lo, limit_hi),
                0.5,
                " dB(A)",
            ),
        }
    }

    /// The analog chain these parameters describe.
    pub fn calibration(&self) -> Calibration {
        let mut c = Calibration::default();
        c.set_full_scale_dbu(self.full_scale_dbu.value());
        c.set_amp_gain_db(self.amp_gain_db.value());
        let sensitivity = self.sensitivity_db_spl.value();
        match self.sensitivity_unit.value() {
            SensitivityUnitParam::PerVolt => c.set_sensitivity_db_spl_per_v(sensitivity),
            SensitivityUnitParam::PerMilliwatt => {
                c.set_sensitivity_db_spl_per_mw(sensitivity, self.impedance_ohm.value())
            }
        }
        c
    }
}

/// One cue output's parameters (ids get the suffix _1 … _4).
#[derive(Params)]
pub struct CueParams {
    /// Whether the cue output carries signal.
    #[id = "cue_on"]
    pub on: BoolParam,
    /// Pre or post feed.
    #[id = "cue_src"]
    pub source: EnumParam<CueSourceParam>,
    /// Gain, dB.
    #[id = "cue_gain"]
    pub gain_db: FloatParam,
    /// Mute.
    #[id = "cue_mute"]
    pub mute: BoolParam,
    /// Stereo, mono, left or right.
    #[id = "cue_mode"]
    pub mode: EnumParam<CueModeParam>,
    /// Ear guard ceiling, dBFS.
    #[id = "cue_ceiling"]
    pub ceiling_db: FloatParam,
    /// Whether this cue hears the talkback.
    #[id = "cue_talk"]
    pub talk: BoolParam,
    /// Whether this cue's listener has the same interface output, amp and headphone as main
    /// (then `ear`'s calibration is not used; its level limit is).
    #[id = "cue_cal_main"]
    pub calibration_as_main: BoolParam,
    /// Calibration and level limit of this cue's listener.
    #[nested(id_prefix = "cue")]
    pub ear: EarParams,
}

impl CueParams {
    /// The parameters of cue `number` (1-based; it appears in every name).
    pub fn new(number: usize) -> Self {
        Self {
            on: BoolParam::new(format!("Cue {number} on"), false),
            source: EnumParam::new(format!("Cue {number} source"), CueSourceParam::Pre),
            gain_db: db_param(
                &format!("Cue {number} gain"),
                0.0,
                CUE_GAIN_MIN_DB,
                CUE_GAIN_MAX_DB,
                0.1,
            ),
            mute: BoolParam::new(format!("Cue {number} mute"), false),
            mode: EnumParam::new(format!("Cue {number} mode"), CueModeParam::Stereo),
            ceiling_db: db_param(
                &format!("Cue {number} ceiling"),
                CEILING_MAX_DB,
                CEILING_MIN_DB,
                CEILING_MAX_DB,
                0.1,
            ),
            talk: BoolParam::new(format!("Cue {number} talk"), true),
            calibration_as_main: BoolParam::new(format!("Cue {number} calibration as main"), true),
            ear: EarParams::new(&format!("Cue {number}")),
        }
    }

    /// The engine settings of this cue.
    pub fn settings(&self) -> CueSettings {
        CueSettings {
            on: self.on.value(),
            source: match self.source.value() {
                CueSourceParam::Pre => CueSource::Pre,
                CueSourceParam::Post => CueSource::Post,
            },
            mode: match self.mode.value() {
                CueModeParam::Stereo => CueMode::Stereo,
                CueModeParam::Mono => CueMode::Mono,
                CueModeParam::LeftToBoth => CueMode::LeftToBoth,
                CueModeParam::RightToBoth => CueMode::RightToBoth,
            },
            output: OutputSettings {
                gain_db: self.gain_db.value(),
                dim: false,
                mute: self.mute.value(),
                guard: true,
                ceiling_db: self.ceiling_db.value(),
                limit_on: self.ear.limit.value(),
                limit_db_spl: self.ear.limit_db_spl.value(),
            },
        }
    }
}

/// Input stage parameters.
#[derive(Params)]
pub struct InputParams {
    /// What the input stage does with its two channels.
    #[id = "in_mode"]
    pub mode: EnumParam<InputModeParam>,
    /// Cold-leg trim of the left (or only) balanced pair, dB.
    #[id = "in_trim_l"]
    pub cold_trim_l_db: FloatParam,
    /// Cold-leg trim of the right balanced pair, dB.
    #[id = "in_trim_r"]
    pub cold_trim_r_db: FloatParam,
    /// Polarity inversion of channel 1 (the left pair after decoding).
    #[id = "in_inv_l"]
    pub invert_l: BoolParam,
    /// Polarity inversion of channel 2 (the right pair after decoding).
    #[id = "in_inv_r"]
    pub invert_r: BoolParam,
    /// Right pair on the aux input: the main input is Hot L / Cold L, the auxiliary input
    /// Hot R / Cold R (see `EngineSettings::pairs_on_aux`). For VST3, whose hosts cannot pick
    /// the balanced-pairs layout.
    #[id = "in_pairs"]
    pub pairs_on_aux: BoolParam,
}

/// The main output's parameters.
#[derive(Params)]
pub struct MainParams {
    /// Gain, dB.
    #[id = "main_gain"]
    pub gain_db: FloatParam,
    /// Dim (−20 dB).
    #[id = "main_dim"]
    pub dim: BoolParam,
    /// Mute.
    #[id = "main_mute"]
    pub mute: BoolParam,
    /// Ear guard on/off.
    #[id = "main_guard"]
    pub guard: BoolParam,
    /// Ear guard ceiling, dBFS.
    #[id = "main_ceiling"]
    pub ceiling_db: FloatParam,
    /// Crossfeed preset, or off.
    #[id = "main_xfeed"]
    pub crossfeed: EnumParam<CrossfeedParam>,
    /// Custom crossfeed cut frequency, Hz.
    #[id = "main_xf_cut"]
    pub crossfeed_cut_hz: FloatParam,
    /// Custom crossfeed feed level, dB.
    #[id = "main_xf_feed"]
    pub crossfeed_feed_db: FloatParam,
    /// Which cue the main output carries, if any.
    #[id = "listen"]
    pub listen: EnumParam<ListenParam>,
    /// Calibration and level limit of the main output's listener.
    #[nested(id_prefix = "main")]
    pub ear: EarParams,
}

/// Talkback parameters.
#[derive(Params)]
pub struct TalkParams {
    /// Talking: automatable, so a footswitch mapped by the host works.
    #[id = "talk"]
    pub on: BoolParam,
    /// Talk level in the outputs it reaches, dB.
    #[id = "talk_db"]
    pub level_db: FloatParam,
    /// How far the programme drops in those outputs while talking, dB.
    #[id = "talk_dim_db"]
    pub dim_db: FloatParam,
    /// Whether the main output hears the talk too.
    #[id = "talk_main"]
    pub to_main: BoolParam,
}

/// All of Cuewire's parameters and its persisted non-parameter settings.
#[derive(Params)]
pub struct CuewireParams {
    /// Analog calibration, meter options and editor size, saved with the plugin state.
    #[persist = "settings"]
    pub settings: Arc<SharedSettings>,
    /// Each listener's sound exposure and when it last grew, saved with the project.
    #[persist = "exposure"]
    pub exposure: Arc<ExposureStore>,
    /// The host's bypass switch.
    #[id = "bypass"]
    pub bypass: BoolParam,
    /// Input stage.
    #[nested(group = "Input")]
    pub input: InputParams,
    /// Main output.
    #[nested(group = "Main")]
    pub main: MainParams,
    /// The four cue outputs.
    #[nested(array, group = "Cue")]
    pub cues: [CueParams; CUE_COUNT],
    /// Talkback into the cues (and main).
    #[nested(group = "Talkback")]
    pub talk: TalkParams,
    /// The weekly allowance every output's exposure is counted against.
    #[id = "allowance"]
    pub allowance: EnumParam<AllowanceParam>,
}

/// A dB parameter with 0.1 dB display and " dB" unit.
fn db_param(name: &str, default_db: f32, min_db: f32, max_db: f32, step_db: f32) -> FloatParam {
    let decimals = if step_db < 0.1 { 2 } else { 1 };
    FloatParam::new(
        name,
        default_db,
        FloatRange::Linear {
            min: min_db,
            max: max_db,
        },
    )
    .with_step_size(step_db)
    .with_unit(" dB")
    .with_value_to_string(formatters::v2s_f32_rounded(decimals))
}

impl Default for InputParams {
    fn default() -> Self {
        Self {
            mode: EnumParam::new("Input mode", InputModeParam::Stereo),
            cold_trim_l_db: db_param(
                "Cold trim L",
                0.0,
                -COLD_TRIM_RANGE_DB,
                COLD_TRIM_RANGE_DB,
                0.01,
            ),
            cold_trim_r_db: db_param(
                "Cold trim R",
                0.0,
                -COLD_TRIM_RANGE_DB,
                COLD_TRIM_RANGE_DB,
                0.01,
            ),
            invert_l: BoolParam::new("Invert L", false),
            invert_r: BoolParam::new("Invert R", false),
            pairs_on_aux: BoolParam::new("Right pair on aux input", false),
        }
    }
}

impl Default for MainParams {
    fn default() -> Self {
        Self {
            gain_db: db_param("Main gain", 0.0, MAIN_GAIN_MIN_DB, MAIN_GAIN_MAX_DB, 0.1),
            dim: BoolParam::new("Main dim", false),
            mute: BoolParam::new("Main mute", false),
            guard: BoolParam::new("Ear guard", true),
            ceiling_db: db_param(
                "Ceiling",
                CEILING_MAX_DB,
                CEILING_MIN_DB,
                CEILING_MAX_DB,
                0.1,
            ),
            crossfeed: EnumParam::new("Crossfeed", CrossfeedParam::Off),
            crossfeed_cut_hz: FloatParam::new(
                "Crossfeed cut",
                700.0,
                FloatRange::Skewed {
                    min: CUT_MIN_HZ,
                    max: CUT_MAX_HZ,
                    factor: FloatRange::skew_factor(-1.0),
                },
            )
            .with_step_size(1.0)
            .with_unit(" Hz")
            .with_value_to_string(formatters::v2s_f32_rounded(0)),
            crossfeed_feed_db: db_param("Crossfeed feed", 4.5, FEED_MIN_DB, FEED_MAX_DB, 0.1),
            listen: EnumParam::new("Listen", ListenParam::Off),
            ear: EarParams::new("Main"),
        }
    }
}

impl Default for TalkParams {
    fn default() -> Self {
        Self {
            on: BoolParam::new("Talk", false),
            level_db: db_param("Talk level", 0.0, TALK_LEVEL_MIN_DB, TALK_LEVEL_MAX_DB, 0.1),
            dim_db: db_param("Talk dim", TALK_DIM_DEFAULT_DB, TALK_DIM_MIN_DB, 0.0, 0.1),
            to_main: BoolParam::new("Talk to main", false),
        }
    }
}

impl Default for CuewireParams {
    fn default() -> Self {
        Self {
            settings: Arc::new(SharedSettings::default()),
            exposure: Arc::new(ExposureStore::default()),
            bypass: BoolParam::new("Bypass", false).make_bypass(),
            input: InputParams::default(),
            main: MainParams::default(),
            cues: std::array::from_fn(|i| CueParams::new(i + 1)),
            talk: TalkParams::default(),
            allowance: EnumParam::new("Weekly allowance", AllowanceParam::Adult),
        }
    }
}

impl CuewireParams {
    /// The engine settings the parameters currently ask for.
    pub fn engine_settings(&self) -> EngineSettings {
        EngineSettings {
            input: InputSettings {
                mode: self.input.mode.value().into(),
                cold_trim_db: [
                    self.input.cold_trim_l_db.value(),
                    self.input.cold_trim_r_db.value(),
                ],
                invert: [self.input.invert_l.value(), self.input.invert_r.value()],
            },
            main: OutputSettings {
                gain_db: self.main.gain_db.value(),
                dim: self.main.dim.value(),
                mute: self.main.mute.value(),
                guard: self.main.guard.value(),
                ceiling_db: self.main.ceiling_db.value(),
                limit_on: self.main.ear.limit.value(),
                limit_db_spl: self.main.ear.limit_db_spl.value(),
            },
            crossfeed: match self.main.crossfeed.value() {
                CrossfeedParam::Off => CrossfeedSetting::Off,
                CrossfeedParam::Bs2bDefault => CrossfeedSetting::Bs2bDefault,
                CrossfeedParam::ChuMoy => CrossfeedSetting::ChuMoy,
                CrossfeedParam::JanMeier => CrossfeedSetting::JanMeier,
                CrossfeedParam::Custom => CrossfeedSetting::Custom {
                    cut_hz: self.main.crossfeed_cut_hz.value(),
                    feed_db: self.main.crossfeed_feed_db.value(),
                },
            },
            cues: std::array::from_fn(|i| self.cues[i].settings()),
            bypass: self.bypass.value(),
            talkback: TalkbackSettings {
                on: self.talk.on.value(),
                level_db: self.talk.level_db.value(),
                dim_db: self.talk.dim_db.value(),
                cues: std::array::from_fn(|i| self.cues[i].talk.value()),
                to_main: self.talk.to_main.value(),
            },
            listen: self.main.listen.value().into(),
            pairs_on_aux: self.input.pairs_on_aux.value(),
            ear: self.ear_settings(),
        }
    }

    /// What the ear-level meters need: each output's SPL at 0 dBFS (dB SPL; main, then each
    /// cue, which takes main's while it is set to) and the allowance.
    pub fn ear_settings(&self) -> EarSettings {
        let main = self.main.ear.calibration().spl_at_0dbfs_db();
        let cue = |c: &CueParams| match c.calibration_as_main.value() {
            true => main,
            false => c.ear.calibration().spl_at_0dbfs_db(),
        };
        EarSettings {
            spl_at_0dbfs_db: std::array::from_fn(|i| match i {
                0 => main,
                n => cue(&self.cues[n - 1]),
            }),
            allowance: self.allowance.value().into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_scale_text_takes_dbu_dbv_and_volts() {
        let close = |text: &str, want_dbu: f32| {
            let got = full_scale_dbu_from_text(text).unwrap_or(f32::NAN);
            assert!((got - want_dbu).abs() < 1e-3, "{text}: {got}");
        };
        close("10", 10.0);
        close("+10.0 dBu", 10.0);
        close("-7.8dBu", -7.8);
        // 0 dBu = √0.6 V RMS = 0.7746 V, so 1 V = +2.218 dBu and 2.4495 V = +10 dBu.
        close("1 V", 2.218);
        close("0 dBV", 2.218);
        close("-10 dBV", -7.782);
        close("2.4495 V RMS", 10.0);
        close("2.4495Vrms", 10.0);
        close("1e0 V", 2.218);
        for refused in [
            "", "V", "loud", "10 dBFS", "0 V", "-1 V", "50 V", "31 dBu", "nan",
        ] {
            assert_eq!(full_scale_dbu_from_text(refused), None, "{refused}");
        }
        // The display text reads back.
        let p = EarParams::new("Main");
        let text = p.full_scale_dbu.normalized_value_to_string(0.7, true);
        let back = p.full_scale_dbu.string_to_normalized_value(&text).unwrap();
        assert!((back - 0.7).abs() < 1e-3, "{text}");
    }

    #[test]
    fn units_after_numbers_are_ignored_where_the_parameter_has_one_unit() {
        assert_eq!(number_before_unit("32 Ω"), Some(32.0));
        assert_eq!(number_before_unit("32ohm"), Some(32.0));
        assert_eq!(number_before_unit("102.5 dB SPL"), Some(102.5));
        assert_eq!(number_before_unit("85 dB(A)"), Some(85.0));
        assert_eq!(number_before_unit("2e1 eh"), Some(20.0));
        assert_eq!(number_before_unit("ohm"), None);
        assert_eq!(number_before_unit("inf"), None);
    }
}
