//! A cue output: like one jack of a hardware headphone splitter, it takes the pre or post feed,
//! folds it to the listener's mode, and gives it its own level and ear guard.

use crate::output::{OutputSettings, OutputStage};
use crate::ramp::Ramp;
use crate::sanitise::{ceiling_bits, outside};
use crate::simd::{dispatch, Isa, Kernel};

/// Number of cue outputs.
pub const CUE_COUNT: usize = 4;
/// The lowest cue gain, dB.
pub const CUE_GAIN_MIN_DB: f32 = -60.0;
/// The highest cue gain, dB.
pub const CUE_GAIN_MAX_DB: f32 = 12.0;
/// Length of a source or mode change crossfade, ms.
pub const CUE_ROUTE_FADE_MS: f32 = 10.0;

/// Where a cue takes its feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CueSource {
    /// After the input stage, before the main gain: the cue ignores the main fader.
    #[default]
    Pre,
    /// After main gain, dim, mute and crossfeed (before the main ear guard).
    Post,
}

/// How a cue folds its stereo feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CueMode {
    /// L to left, R to right.
    #[default]
    Stereo,
    /// (L + R)/2 to both ears.
    Mono,
    /// L to both ears.
    LeftToBoth,
    /// R to both ears.
    RightToBoth,
}

/// The settings of one cue.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CueSettings {
    /// Whether the cue output carries signal.
    pub on: bool,
    /// Pre or post feed.
    pub source: CueSource,
    /// Stereo, mono, left or right.
    pub mode: CueMode,
    /// Gain (dB, −60..+12), mute, level limit and ear guard; `dim` is unused on cues.
    pub output: OutputSettings,
}

impl Default for CueSettings {
    fn default() -> Self {
        Self {
            on: false,
            source: CueSource::Pre,
            mode: CueMode::Stereo,
            output: OutputSettings::default(),
        }
    }
}

impl CueSettings {
    /// The gain stage's settings: an off cue ramps to silence like a mute.
    fn stage_settings(&self) -> OutputSettings {
        OutputSettings {
            gain_db: self.output.gain_db.clamp(CUE_GAIN_MIN_DB, CUE_GAIN_MAX_DB),
            mute: self.output.mute || !self.on,
            dim: false,
            ..self.output
        }
    }

    /// The routing matrix: out_l = Σ m[0][k]·in_k, out_r = Σ m[1][k]·in_k over
    /// in = (pre L, pre R, post L, post R).
    fn matrix(&self) -> [[f32; 4]; 2] {
        let (a, b) = match self.mode {
            CueMode::Stereo => ([1.0, 0.0], [0.0, 1.0]),
            CueMode::Mono => ([0.5, 0.5], [0.5, 0.5]),
            CueMode::LeftToBoth => ([1.0, 0.0], [1.0, 0.0]),
            CueMode::RightToBoth => ([0.0, 1.0], [0.0, 1.0]),
        };
        match self.source {
            CueSource::Pre => [[a[0], a[1], 0.0, 0.0], [b[0], b[1], 0.0, 0.0]],
            CueSource::Post => [[0.0, 0.0, a[0], a[1]], [0.0, 0.0, b[0], b[1]]],
        }
    }
}

/// The pre and post taps a cue reads from.
#[derive(Clone, Copy, Debug)]
pub struct CueTaps<'a> {
    /// After the input stage (L, R).
    pub pre: (&'a [f32], &'a [f32]),
    /// After main gain, dim, mute and crossfeed (L, R).
    pub post: (&'a [f32], &'a [f32]),
}

/// One cue output's processing.
#[derive(Clone, Debug)]
pub struct CueStage {
    settings: CueSettings,
    /// The routing in force, or being faded to.
    matrix: [[f32; 4]; 2],
    /// Where the running routing fade started (meaningful while `fade` is ramping).
    from: [[f32; 4]; 2],
    /// The fade's weight of `from`: 1 at a change, ramping to 0 over [`CUE_ROUTE_FADE_MS`].
    fade: Ramp,
    stage: OutputStage,
    /// The last render found every sample one the ear guard passes unchanged (see
    /// [`CueStage::apply_guard`]).
    guard_passes: bool,
}

impl CueStage {
    /// A cue at `sample_rate_hz` resting at `settings`.
    pub fn new(sample_rate_hz: f32, settings: &CueSettings) -> Self {
        let matrix = settings.matrix();
        Self {
            settings: *settings,
            matrix,
            from: matrix,
            fade: Ramp::for_ms(sample_rate_hz, CUE_ROUTE_FADE_MS, 0.0),
            stage: OutputStage::new(sample_rate_hz, &settings.stage_settings()),
            guard_passes: false,
        }
    }

    /// New settings: routing changes crossfade, gain ramps, switching off fades out.
    pub fn set_settings(&mut self, settings: &CueSettings) {
        if *settings == self.settings {
            return;
        }
        let target = settings.matrix();
        if target != self.matrix {
            // Start from exactly what the last sample used, so a change in mid-fade is smooth.
            self.from = self.matrix_at(self.fade.current());
            self.matrix = target;
            self.fade.restart_from(1.0);
        }
        self.stage.set_settings(&settings.stage_settings());
        self.settings = *settings;
    }

    /// The settings in force.
    pub fn settings(&self) -> &CueSettings {
        &self.settings
    }

    /// Ends every ramp at its target.
    pub fn snap(&mut self) {
        self.fade.snap();
        self.stage.snap();
    }

    /// Forgets the level limit's signal history (a new stream) and ends every ramp.
    pub fn reset(&mut self) {
        self.fade.snap();
        self.stage.reset();
    }

    /// The level at the ear of a full-scale sine on this cue's output (dB SPL), for its
    /// level limit.
    pub fn set_spl_at_0dbfs_db(&mut self, spl_at_0dbfs_db: f32) {
        self.stage.set_spl_at_0dbfs_db(spl_at_0dbfs_db);
    }

    /// True when the cue is off and has finished fading out: it needs no processing at all.
    pub fn is_idle(&self) -> bool {
        !self.settings.on && !self.stage.is_ramping()
    }

    /// Frames after which [`CueStage::is_idle`] turns true without a new setting (the end of
    /// an off cue's fade-out); `None` when it will not.
    pub fn frames_to_idle(&self) -> Option<usize> {
        let left = self.stage.ramp_frames_left();
        (!self.settings.on && left > 0).then_some(left)
    }

    /// The gain stage and ear guard.
    pub fn stage(&self) -> &OutputStage {
        &self.stage
    }

    /// Clears the guard's counters.
    pub fn reset_counters(&mut self) {
        self.stage.reset_counters();
    }

    /// The routing a fade at weight `f` of `from` gives (`matrix` at 0, `from` at 1).
    fn matrix_at(&self, f: f32) -> [[f32; 4]; 2] {
        std::array::from_fn(|row| {
            std::array::from_fn(|k| {
                let (to, from) = (self.matrix[row][k], self.from[row][k]);
                to + (from - to) * f
            })
        })
    }

    /// Renders the cue from `taps` into `out_l`, `out_r` (all the same length) up to its ear
    /// guard: routing, gain and level limit. Talkback joins after this, and listen hears the
    /// result; [`CueStage::apply_guard`] then finishes the output.
    pub fn process_pre_guard(&mut self, taps: CueTaps<'_>, out_l: &mut [f32], out_r: &mut [f32]) {
        let n = out_l
            .len()
            .min(out_r.len())
            .min(taps.pre.0.len())
            .min(taps.pre.1.len())
            .min(taps.post.0.len())
            .min(taps.post.1.len());
        let (out_l, out_r) = (&mut out_l[..n], &mut out_r[..n]);
        let ins = [taps.pre.0, taps.pre.1, taps.post.0, taps.post.1];
        let fade_len = n.min(self.fade.remaining());
        for i in 0..fade_len {
            let m = self.matrix_at(self.fade.value_at(i));
            let x = [ins[0][i], ins[1][i], ins[2][i], ins[3][i]];
            out_l[i] = m[0][0] * x[0] + m[0][1] * x[1] + m[0][2] * x[2] + m[0][3] * x[3];
            out_r[i] = m[1][0] * x[0] + m[1][1] * x[1] + m[1][2] * x[2] + m[1][3] * x[3];
        }
        self.fade.advance(fade_len);
        let start = fade_len;
        let mut gain_done = false;
        if start < n {
            // Steady state reads only the chosen tap: two inputs, four multiplies per frame.
            let (k0, (a, b)) = match self.settings.source {
                CueSource::Pre => (0, (ins[0], ins[1])),
                CueSource::Post => (2, (ins[2], ins[3])),
            };
            let m = &self.matrix;
            let rows = [[m[0][k0], m[0][k0 + 1]], [m[1][k0], m[1][k0 + 1]]];
            // With no fade in this block and a steady gain, the gain joins the routing pass
            // (same arithmetic as two passes).
            gain_done = start == 0 && !self.stage.is_ramping();
            let within = mix_into(
                self.stage.isa(),
                (&a[start..n], &b[start..n]),
                rows,
                if gain_done {
                    self.stage.gain_lin()
                } else {
                    1.0
                },
                [&mut out_l[start..n], &mut out_r[start..n]],
                ceiling_bits(self.stage.guard().pass_limit_lin()),
            );
            // The mix pass saw every final sample when it also applied the gain over the whole
            // chunk and the level limit will not touch them.
            self.guard_passes = gain_done && within && self.stage.limit_is_idle();
        } else {
            self.guard_passes = false;
        }
        if !gain_done {
            self.stage.apply_gain(out_l, out_r);
        }
        self.stage.apply_limit(out_l, out_r);
    }

    /// Applies the cue's ear guard to its finished signal `l`, `r` (the guard usually finds
    /// nothing to change); `changed`: something (talkback) changed the signal since
    /// [`CueStage::process_pre_guard`] rendered it.
    pub fn apply_guard(&mut self, l: &mut [f32], r: &mut [f32], changed: bool) {
        // The render already checked every sample against the guard: no second pass.
        if !std::mem::take(&mut self.guard_passes) || changed {
            self.stage.apply_guard(l, r);
        }
    }
}

/// Writes `out[k] = (rows[k][0]·a + rows[k][1]·b)·gain_lin` (the product skipped at unity, as
/// the gain stage does) through the instruction set `isa`: the routing and the gain of a cue
/// in one pass, bit-identical to doing them one after the other. Returns whether every written
/// sample would pass an ear guard with ceiling bits `ceiling_bits` unchanged (see
/// [`crate::sanitise::outside`]), found in the same pass.
fn mix_into(
    isa: Isa,
    (a, b): (&[f32], &[f32]),
    rows: [[f32; 2]; 2],
    gain_lin: f32,
    outs: [&mut [f32]; 2],
    ceiling_bits: u32,
) -> bool {
    /// The loop through one instruction-set instantiation (identical results).
    struct Mix<'a>(
        (&'a [f32], &'a [f32]),
        [[f32; 2]; 2],
        f32,
        [&'a mut [f32]; 2],
        u32,
    );
    impl Kernel for Mix<'_> {
        type Out = bool;
        #[inline(always)]
        fn run<const FMA: bool>(self) -> bool {
            let Mix((a, b), rows, gain_lin, outs, ceiling_bits) = self;
            let mut touched = false;
            for (out, [wa, wb]) in outs.into_iter().zip(rows) {
                let n = out.len().min(a.len()).min(b.len());
                let (out, a, b) = (&mut out[..n], &a[..n], &b[..n]);
                if gain_lin == 1.0 {
                    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
                        *o = wa * x + wb * y;
                        touched |= outside(*o, ceiling_bits);
                    }
                } else {
                    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
                        *o = (wa * x + wb * y) * gain_lin;
                        touched |= outside(*o, ceiling_bits);
                    }
                }
            }
            !touched
        }
    }
    dispatch(isa, Mix((a, b), rows, gain_lin, outs, ceiling_bits))
}
