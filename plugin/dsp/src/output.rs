//! An output's gain stage (gain, dim, mute, click-free ramps), its slow level limit and its
//! ear guard.

use crate::calibration::Calibration;
use crate::level_limit::{LevelLimit, DEFAULT_LIMIT_DB_SPL};
use crate::ramp::Ramp;
use crate::sanitise::{all_within_isa, flush_subnormal};
use crate::simd::{dispatch, Isa, Kernel};
use crate::units::db_to_lin;

/// Length of a gain ramp, ms: long enough that a −60 → +24 dB jump has no zipper noise,
/// short enough that a fader feels immediate.
pub const GAIN_RAMP_MS: f32 = 20.0;

/// How much the dim switch lowers an output, dB.
pub const DIM_DB: f32 = -20.0;

/// The lowest ear-guard ceiling, dBFS.
pub const CEILING_MIN_DB: f32 = -20.0;

/// The highest (and default) ear-guard ceiling, dBFS.
pub const CEILING_MAX_DB: f32 = 0.0;

/// The ear guard: a zero-latency ceiling. Below the ceiling a sample passes unchanged; above
/// it the sample is clamped to the ceiling. Non-finite samples become silence and are counted;
/// subnormal samples become a zero of their sign, so no output ever carries one.
#[derive(Clone, Debug)]
pub struct EarGuard {
    /// Whether samples above the ceiling are clamped.
    pub enabled: bool,
    /// The ceiling as a linear amplitude (1.0 = 0 dBFS).
    pub ceiling_lin: f32,
    non_finite_count: u64,
    clamped_count: u64,
    /// Chosen at construction so that the audio thread never runs the (allocating) detection.
    isa: Isa,
}

impl Default for EarGuard {
    fn default() -> Self {
        Self {
            enabled: true,
            ceiling_lin: 1.0,
            non_finite_count: 0,
            clamped_count: 0,
            isa: Isa::detect(),
        }
    }
}

impl EarGuard {
    /// Sets the ceiling from dBFS, limited to [`CEILING_MIN_DB`]..[`CEILING_MAX_DB`].
    pub fn set_ceiling_db(&mut self, ceiling_db: f32) {
        let db = if ceiling_db.is_finite() {
            ceiling_db.clamp(CEILING_MIN_DB, CEILING_MAX_DB)
        } else {
            CEILING_MAX_DB
        };
        self.ceiling_lin = db_to_lin(db);
    }

    /// Non-finite samples (NaN, ±inf) replaced by silence since the last reset.
    pub fn non_finite_count(&self) -> u64 {
        self.non_finite_count
    }

    /// Samples the guard held at the ceiling since the last reset.
    pub fn clamped_count(&self) -> u64 {
        self.clamped_count
    }

    /// Clears the counters.
    pub fn reset(&mut self) {
        self.non_finite_count = 0;
        self.clamped_count = 0;
    }

    /// The largest magnitude the guard passes unchanged (its ceiling, or `f32::MAX` when off).
    /// The largest magnitude the guard leaves as it is, linear (`f32::MAX` while it is off:
    /// then it only silences non-finite samples).
    pub fn pass_limit_lin(&self) -> f32 {
        if self.enabled {
            self.ceiling_lin
        } else {
            f32::MAX
        }
    }

    /// True when [`EarGuard::apply`] would leave both channels bit for bit as they are and
    /// count nothing: no sample is subnormal, non-finite or above the ceiling.
    #[inline]
    pub fn passes_unchanged(&self, l: &[f32], r: &[f32]) -> bool {
        all_within_isa(self.isa, l, r, self.pass_limit_lin())
    }

    /// Applies the guard in place to one channel. Even with the guard off, non-finite samples
    /// become silence: no host should ever receive NaN from a monitoring plugin.
    pub fn apply(&mut self, x: &mut [f32]) {
        let ceiling_lin = self.pass_limit_lin();
        /// The guard loop through one instruction-set instantiation (identical results).
        struct Guard<'a>(&'a mut [f32], f32);
        impl Kernel for Guard<'_> {
            type Out = (u32, u32);
            #[inline(always)]
            fn run<const FMA: bool>(self) -> (u32, u32) {
                let Guard(x, ceiling_lin) = self;
                let mut non_finite = 0u32;
                let mut clamped = 0u32;
                // Branch-free so that it vectorises; the counters are sums of comparisons.
                for chunk in x.chunks_mut(4096) {
                    for s in chunk.iter_mut() {
                        let finite = s.is_finite();
                        non_finite += u32::from(!finite);
                        let v = if finite { *s } else { 0.0 };
                        clamped += u32::from(v.abs() > ceiling_lin);
                        *s = flush_subnormal(v.clamp(-ceiling_lin, ceiling_lin));
                    }
                }
                (non_finite, clamped)
            }
        }
        let (non_finite, clamped) = dispatch(self.isa, Guard(x, ceiling_lin));
        self.non_finite_count += u64::from(non_finite);
        self.clamped_count += u64::from(clamped);
    }
}

/// The user settings of one output's gain stage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OutputSettings {
    /// Gain, dB.
    pub gain_db: f32,
    /// Lowers the output by [`DIM_DB`].
    pub dim: bool,
    /// Silences the output (with a ramp).
    pub mute: bool,
    /// Whether the ear guard clamps at the ceiling.
    pub guard: bool,
    /// The ear guard's ceiling, dBFS.
    pub ceiling_db: f32,
    /// Whether the slow level limit keeps the A-weighted level at the ear under `limit_db_spl`.
    pub limit_on: bool,
    /// The level limit, dB(A) SPL (see [`crate::level_limit::LIMIT_DB_SPL_RANGE`]).
    pub limit_db_spl: f32,
}

impl Default for OutputSettings {
    fn default() -> Self {
        Self {
            gain_db: 0.0,
            dim: false,
            mute: false,
            guard: true,
            ceiling_db: CEILING_MAX_DB,
            limit_on: false,
            limit_db_spl: DEFAULT_LIMIT_DB_SPL,
        }
    }
}

impl OutputSettings {
    /// The combined linear gain of gain, dim and mute.
    pub fn total_gain_lin(&self) -> f32 {
        if self.mute || !self.gain_db.is_finite() {
            0.0
        } else {
            db_to_lin(self.gain_db + if self.dim { DIM_DB } else { 0.0 })
        }
    }
}

/// One stereo output's gain stage, then its level limit, then its ear guard (a path may put
/// something between them: see [`OutputStage::apply_gain`]).
#[derive(Clone, Debug)]
pub struct OutputStage {
    /// Gain, dim and mute combined, linear, ramped over [`GAIN_RAMP_MS`].
    gain: Ramp,
    limit: LevelLimit,
    guard: EarGuard,
}

impl OutputStage {
    /// A stage at `sample_rate_hz` resting at `settings` (no ramp from defaults), its level
    /// limit calibrated to the default chain ([`Calibration::default`]) until
    /// [`OutputStage::set_spl_at_0dbfs_db`].
    pub fn new(sample_rate_hz: f32, settings: &OutputSettings) -> Self {
        let spl_at_0dbfs_db = Calibration::default().spl_at_0dbfs_db();
        let mut stage = Self {
            gain: Ramp::for_ms(sample_rate_hz, GAIN_RAMP_MS, settings.total_gain_lin()),
            limit: LevelLimit::new(sample_rate_hz, spl_at_0dbfs_db),
            guard: EarGuard::default(),
        };
        stage.set_settings(settings);
        stage
    }

    /// New settings; gain changes ramp, limit and guard changes act at once.
    pub fn set_settings(&mut self, settings: &OutputSettings) {
        self.gain.set_target(settings.total_gain_lin());
        self.limit.set_enabled(settings.limit_on);
        self.limit.set_limit_db_spl(settings.limit_db_spl);
        self.guard.enabled = settings.guard;
        self.guard.set_ceiling_db(settings.ceiling_db);
    }

    /// The level at the ear of a full-scale sine on this output (dB SPL), which the level
    /// limit measures against.
    pub fn set_spl_at_0dbfs_db(&mut self, spl_at_0dbfs_db: f32) {
        self.limit.set_spl_at_0dbfs_db(spl_at_0dbfs_db);
    }

    /// Forgets the level limit's signal history (a new stream) and ends the gain ramp.
    pub fn reset(&mut self) {
        self.limit.restart();
        self.snap();
    }

    /// The level limit's gain reduction now, dB (≥ 0; 0 with the limit off).
    pub fn limit_gain_reduction_db(&self) -> f32 {
        self.limit.gain_reduction_db()
    }

    /// Ends any ramp at its target.
    pub fn snap(&mut self) {
        self.gain.snap();
    }

    /// True while the gain is ramping.
    pub fn is_ramping(&self) -> bool {
        self.gain.is_ramping()
    }

    /// Frames left in the gain ramp (0 when it rests).
    pub fn ramp_frames_left(&self) -> usize {
        self.gain.remaining()
    }

    /// The gain (dim and mute included) at the last processed sample, linear.
    pub fn gain_lin(&self) -> f32 {
        self.gain.current()
    }

    /// The instruction set this stage's loops run with.
    pub(crate) fn isa(&self) -> Isa {
        self.guard.isa
    }

    /// True when the gain is steady at exactly unity (no ramp running): it leaves every
    /// sample bit for bit as it is.
    pub fn is_unity(&self) -> bool {
        !self.gain.is_ramping() && self.gain.current() == 1.0
    }

    /// True when the gain is at unity and the level limit off and recovered: then the stage
    /// leaves every sample the ear guard passes bit for bit as it is (the engine's entrance
    /// scan checks the samples against [`EarGuard::pass_limit_lin`] itself).
    #[inline]
    pub fn hands_through(&self) -> bool {
        self.is_unity() && self.limit.is_idle()
    }

    /// The ear guard (for its ceiling and counters).
    pub fn guard(&self) -> &EarGuard {
        &self.guard
    }

    /// Clears the guard's counters.
    pub fn reset_counters(&mut self) {
        self.guard.reset();
    }

    /// Applies gain, level limit and guard in place.
    pub fn process(&mut self, l: &mut [f32], r: &mut [f32]) {
        self.apply_gain(l, r);
        self.apply_limit(l, r);
        self.apply_guard(l, r);
    }

    /// Applies the (ramped) gain alone, for paths that insert something before the limit or
    /// the guard.
    pub fn apply_gain(&mut self, l: &mut [f32], r: &mut [f32]) {
        self.gain.apply(l, r);
    }

    /// Applies the level limit alone (nothing when it is off and recovered).
    pub fn apply_limit(&mut self, l: &mut [f32], r: &mut [f32]) {
        self.limit.process(l, r);
    }

    /// True while the level limit leaves the audio alone (off and fully recovered).
    pub fn limit_is_idle(&self) -> bool {
        self.limit.is_idle()
    }

    /// Applies the ear guard alone.
    pub fn apply_guard(&mut self, l: &mut [f32], r: &mut [f32]) {
        // Almost every block has nothing to change: a read-only scan then saves the writing
        // pass (the guard would write back every sample unchanged and count nothing).
        if !self.guard.passes_unchanged(l, r) {
            self.guard.apply(l);
            self.guard.apply(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_clamps_only_above_ceiling_and_silences_non_finite() {
        let mut guard = EarGuard::default();
        guard.set_ceiling_db(-6.0);
        let c = guard.ceiling_lin;
        assert!((c - 0.501_187).abs() < 1e-5);
        let mut x = [0.5, -0.5, 0.9, -3.0, f32::NAN, f32::INFINITY, -0.0, 1e30];
        guard.apply(&mut x);
        assert_eq!(x[..2], [0.5, -0.5]);
        assert_eq!(x[2], c);
        assert_eq!(x[3], -c);
        assert_eq!(x[4], 0.0);
        assert_eq!(x[5], 0.0);
        assert_eq!(x[6].to_bits(), (-0.0f32).to_bits());
        assert_eq!(x[7], c);
        assert_eq!(guard.non_finite_count(), 2);
        assert_eq!(guard.clamped_count(), 3);
    }

    #[test]
    fn settings_combine_gain_dim_and_mute() {
        let mut s = OutputSettings::default();
        assert_eq!(s.total_gain_lin(), 1.0);
        s.dim = true;
        assert!((s.total_gain_lin() - 0.1).abs() < 1e-6);
        s.gain_db = 6.0;
        assert!((s.total_gain_lin() - 0.199_526).abs() < 1e-5);
        s.mute = true;
        assert_eq!(s.total_gain_lin(), 0.0);
    }
}
