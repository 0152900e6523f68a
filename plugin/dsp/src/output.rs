//! An output's gain stage (gain, dim, mute, click-free ramps) and its ear guard.

use crate::simd::{avx512_usable, dispatch, Isa, Kernel};
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

/// A linear-gain ramp: moves to a new target in a fixed number of samples, per sample,
/// so the result does not depend on how the host splits the audio into blocks.
#[derive(Clone, Debug)]
pub struct GainRamp {
    current_lin: f32,
    target_lin: f32,
    step_lin: f32,
    steps_left: u32,
    ramp_samples: u32,
}

impl GainRamp {
    /// A ramp resting at `gain_lin`, taking [`GAIN_RAMP_MS`] at `sample_rate_hz` per change.
    pub fn new(sample_rate_hz: f32, gain_lin: f32) -> Self {
        Self::with_ramp_ms(sample_rate_hz, GAIN_RAMP_MS, gain_lin)
    }

    /// A ramp resting at `gain_lin`, taking `ramp_ms` (at least one sample) at
    /// `sample_rate_hz` per change.
    pub fn with_ramp_ms(sample_rate_hz: f32, ramp_ms: f32, gain_lin: f32) -> Self {
        Self {
            current_lin: gain_lin,
            target_lin: gain_lin,
            step_lin: 0.0,
            steps_left: 0,
            ramp_samples: ((ramp_ms * 0.001 * sample_rate_hz).round() as u32).max(1),
        }
    }

    /// Starts a ramp towards `target_lin` unless that is already the target.
    pub fn set_target(&mut self, target_lin: f32) {
        if target_lin == self.target_lin {
            return;
        }
        self.target_lin = target_lin;
        self.steps_left = self.ramp_samples;
        self.step_lin = (target_lin - self.current_lin) / self.ramp_samples as f32;
    }

    /// Jumps to the target: after activation or a state load the settings act from the first sample.
    pub fn snap(&mut self) {
        self.current_lin = self.target_lin;
        self.steps_left = 0;
    }

    /// The gain the next sample gets, linear.
    pub fn current_lin(&self) -> f32 {
        self.current_lin
    }

    /// True while a ramp is running.
    pub fn is_ramping(&self) -> bool {
        self.steps_left > 0
    }

    /// Advances one sample and returns that sample's gain, linear. The last step lands exactly
    /// on the target, so rounding never leaves unity at 0.99999994.
    #[inline]
    pub fn next_lin(&mut self) -> f32 {
        if self.steps_left > 0 {
            self.steps_left -= 1;
            self.current_lin = if self.steps_left == 0 {
                self.target_lin
            } else {
                self.current_lin + self.step_lin
            };
        }
        self.current_lin
    }

    /// Multiplies the channels by the ramped gain, all channels by the same gain per sample.
    pub fn apply(&mut self, l: &mut [f32], r: &mut [f32]) {
        let n = l.len().min(r.len());
        let (l, r) = (&mut l[..n], &mut r[..n]);
        let mut done = 0;
        if self.steps_left > 0 {
            let ramp_len = n.min(self.steps_left as usize);
            for (x_l, x_r) in l[..ramp_len].iter_mut().zip(r[..ramp_len].iter_mut()) {
                let g = self.next_lin();
                *x_l *= g;
                *x_r *= g;
            }
            done = ramp_len;
        }
        let gain_lin = self.current_lin;
        // Unity is skipped so that a transparent setting is bit-exact and free.
        if gain_lin != 1.0 {
            // One plain loop per channel: a chained iterator defeats vectorisation.
            for ch in [&mut l[done..], &mut r[done..]] {
                for x in ch.iter_mut() {
                    *x *= gain_lin;
                }
            }
        }
    }
}

/// `x` with a subnormal magnitude replaced by a zero of the same sign; zeros, normal numbers,
/// ±inf and NaN pass unchanged. Subnormals are inaudible (< −758 dBFS) but cost many times a
/// normal sample in every multiply on x86 without FTZ/DAZ, and no host should receive them.
#[inline(always)]
pub fn flush_subnormal(x: f32) -> f32 {
    if x.abs() < f32::MIN_POSITIVE {
        0.0f32.copysign(x)
    } else {
        x
    }
}

/// Flushes every subnormal sample of `x` to a zero of its sign (see [`flush_subnormal`]).
pub fn flush_subnormals(x: &mut [f32]) {
    x.iter_mut().for_each(|s| *s = flush_subnormal(*s));
}

/// [`flush_subnormals_isa`] on both channels, after a read-only scan that usually finds
/// nothing to flush (identical results).
pub(crate) fn flush_subnormal_pair_isa(isa: Isa, l: &mut [f32], r: &mut [f32]) {
    if !all_within_isa(isa, l, r, f32::INFINITY) {
        flush_subnormals_isa(isa, l);
        flush_subnormals_isa(isa, r);
    }
}

/// [`flush_subnormals`] through the instruction set `isa` (identical results: a pure select).
pub(crate) fn flush_subnormals_isa(isa: Isa, x: &mut [f32]) {
    /// The flush loop through one instruction-set instantiation.
    struct Flush<'a>(&'a mut [f32]);
    impl Kernel for Flush<'_> {
        type Out = ();
        #[inline(always)]
        fn run<const FMA: bool>(self) {
            self.0.iter_mut().for_each(|s| *s = flush_subnormal(*s));
        }
    }
    dispatch(isa, Flush(x));
}

/// Magnitude bits below which (after subtracting one, so that zero wraps to the top) a sample
/// is subnormal: `|x|` bits in 1..=0x7f_ffff map to 0..0x7f_fffe.
const SUBNORMAL_LIMIT_BITS: u32 = f32::MIN_POSITIVE.to_bits() - 1;

/// True when no sample of `l` or `r` would be changed by the subnormal flush or by a guard at
/// `ceiling_lin` (a positive amplitude): none is subnormal, non-finite or above the ceiling in
/// magnitude. One read-only, branch-free pass over both channels through `isa` (eight lanes
/// wide with AVX2), tested once at the end.
///
/// As integers, magnitudes order like the floats with NaN and ±inf above every finite value,
/// so one comparison with the ceiling's bits finds overs and non-finite samples alike; and
/// magnitude − 1 wraps zero to the top, so one comparison with [`SUBNORMAL_LIMIT_BITS`] finds
/// the subnormals and nothing else.
pub(crate) fn all_within_isa(isa: Isa, l: &[f32], r: &[f32], ceiling_lin: f32) -> bool {
    /// The scan through one instruction-set instantiation (identical results).
    struct Scan<'a>(&'a [f32], &'a [f32], u32);
    impl Kernel for Scan<'_> {
        type Out = bool;
        #[inline(always)]
        fn run<const FMA: bool>(self) -> bool {
            let Scan(l, r, ceiling_bits) = self;
            #[cfg(target_arch = "x86_64")]
            if FMA {
                // SAFETY: `FMA` is only true inside `simd::run_avx2_fma`, which runs only on
                // CPUs with AVX2, and `avx512_usable` only on CPUs that also have AVX-512F.
                return unsafe {
                    if avx512_usable() {
                        all_within_avx512(l, r, ceiling_bits)
                    } else {
                        all_within_avx2(l, r, ceiling_bits)
                    }
                };
            }
            // The baseline (SSE2) has no 32-bit min or max but a signed compare: test each
            // sample against both limits and OR the flags. Magnitudes are non-negative as i32,
            // and so is magnitude − 1 once its wrapped sign bit is cleared.
            let (ceiling, limit) = (ceiling_bits as i32, SUBNORMAL_LIMIT_BITS as i32);
            let mut touched = false;
            for x in [l, r] {
                for &s in x {
                    let magnitude = (s.to_bits() & 0x7fff_ffff) as i32;
                    let below_normal = magnitude.wrapping_sub(1) & 0x7fff_ffff;
                    touched |= (magnitude > ceiling) | (below_normal < limit);
                }
            }
            !touched
        }
    }
    // An infinite ceiling still lets no infinity through (the guard silences it).
    dispatch(isa, Scan(l, r, ceiling_lin.min(f32::MAX).to_bits()))
}

/// Generates [`all_within_isa`]'s explicit-SIMD scans: lanes of running max of the magnitude
/// bits and running min of magnitude − 1 over both channels, tested lane-wise against their
/// limits once at the end (no horizontal reduction), the tail in scalar code.
macro_rules! scan_kernel {
    ($name:ident, $features:literal, $doc:literal, $lanes:literal, $load:ident, $and:ident,
     $set1:ident, $zero:ident, $max:ident, $min:ident, $sub:ident, $all_within:expr) => {
        #[doc = $doc]
        ///
        /// # Safety
        /// The CPU must support the enabled features.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        unsafe fn $name(l: &[f32], r: &[f32], ceiling_bits: u32) -> bool {
            use std::arch::x86_64::*;
            let magnitude = $set1(0x7fff_ffff);
            let one = $set1(1);
            let (mut top, mut low) = ($zero(), $set1(-1));
            let (mut tail_top, mut tail_low) = (0u32, u32::MAX);
            for x in [l, r] {
                let lanes = x.chunks_exact($lanes);
                for &s in lanes.remainder() {
                    let magnitude_bits = s.to_bits() & 0x7fff_ffff;
                    tail_top = tail_top.max(magnitude_bits);
                    tail_low = tail_low.min(magnitude_bits.wrapping_sub(1));
                }
                for block in lanes {
                    // SAFETY: `block` holds exactly one register of f32; the load is unaligned.
                    let m = $and(unsafe { $load(block.as_ptr().cast()) }, magnitude);
                    top = $max(top, m);
                    low = $min(low, $sub(m, one));
                }
            }
            let ceiling = $set1(ceiling_bits as i32);
            let limit = $set1(SUBNORMAL_LIMIT_BITS as i32);
            $all_within(top, ceiling, low, limit)
                && tail_top <= ceiling_bits
                && tail_low >= SUBNORMAL_LIMIT_BITS
        }
    };
}

scan_kernel!(
    all_within_avx2,
    "avx2",
    "[`all_within_isa`]'s scan with explicit AVX2, eight lanes.",
    8,
    _mm256_loadu_si256,
    _mm256_and_si256,
    _mm256_set1_epi32,
    _mm256_setzero_si256,
    _mm256_max_epu32,
    _mm256_min_epu32,
    _mm256_sub_epi32,
    // Lane-wise top <= ceiling (max(top, ceiling) == ceiling) and low >= limit
    // (max(low, limit) == low), all lanes at once.
    |top, ceiling, low, limit| {
        let below = _mm256_cmpeq_epi32(_mm256_max_epu32(top, ceiling), ceiling);
        let above = _mm256_cmpeq_epi32(_mm256_max_epu32(low, limit), low);
        _mm256_movemask_epi8(_mm256_and_si256(below, above)) == -1
    }
);

scan_kernel!(
    all_within_avx512,
    "avx512f,avx2",
    "[`all_within_isa`]'s scan with AVX-512F, sixteen lanes (same answer as AVX2).",
    16,
    _mm512_loadu_si512,
    _mm512_and_si512,
    _mm512_set1_epi32,
    _mm512_setzero_si512,
    _mm512_max_epu32,
    _mm512_min_epu32,
    _mm512_sub_epi32,
    |top, ceiling, low, limit| {
        _mm512_cmple_epu32_mask(top, ceiling) & _mm512_cmpge_epu32_mask(low, limit) == 0xffff
    }
);

/// Makes samples that leave unguarded (the bypass path) safe for a host: non-finite → +0,
/// subnormal → a zero of its sign, everything else bit for bit (no ceiling).
pub fn sanitise_unguarded(x: &mut [f32]) {
    x.iter_mut().for_each(|s| {
        *s = if s.is_finite() {
            flush_subnormal(*s)
        } else {
            0.0
        }
    });
}

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
        // Decided here, not on the audio thread (the first call reads the environment).
        avx512_usable();
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
    fn pass_limit_lin(&self) -> f32 {
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
}

impl Default for OutputSettings {
    fn default() -> Self {
        Self {
            gain_db: 0.0,
            dim: false,
            mute: false,
            guard: true,
            ceiling_db: CEILING_MAX_DB,
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

/// One stereo output's gain stage followed by its ear guard.
#[derive(Clone, Debug)]
pub struct OutputStage {
    gain: GainRamp,
    guard: EarGuard,
}

impl OutputStage {
    /// A stage at `sample_rate_hz` resting at `settings` (no ramp from defaults).
    pub fn new(sample_rate_hz: f32, settings: &OutputSettings) -> Self {
        let mut stage = Self {
            gain: GainRamp::new(sample_rate_hz, settings.total_gain_lin()),
            guard: EarGuard::default(),
        };
        stage.set_settings(settings);
        stage
    }

    /// New settings; gain changes ramp, guard changes act at once.
    pub fn set_settings(&mut self, settings: &OutputSettings) {
        self.gain.set_target(settings.total_gain_lin());
        self.guard.enabled = settings.guard;
        self.guard.set_ceiling_db(settings.ceiling_db);
    }

    /// Ends any ramp at its target.
    pub fn snap(&mut self) {
        self.gain.snap();
    }

    /// True while the gain is ramping.
    pub fn is_ramping(&self) -> bool {
        self.gain.is_ramping()
    }

    /// The gain (dim and mute included) at the last processed sample, linear.
    pub fn gain_lin(&self) -> f32 {
        self.gain.current_lin()
    }

    /// The instruction set this stage's loops run with.
    pub(crate) fn isa(&self) -> Isa {
        self.guard.isa
    }

    /// True when the gain is steady at exactly unity (no ramp running): it leaves every
    /// sample bit for bit as it is.
    pub fn is_unity(&self) -> bool {
        !self.gain.is_ramping() && self.gain.current_lin() == 1.0
    }

    /// True when [`OutputStage::process`] would leave `l` and `r` bit for bit as they are and
    /// count nothing (unity gain, and nothing the guard would touch).
    #[inline]
    pub fn passes_unchanged(&self, l: &[f32], r: &[f32]) -> bool {
        self.is_unity() && self.guard.passes_unchanged(l, r)
    }

    /// The ear guard (for its ceiling and counters).
    pub fn guard(&self) -> &EarGuard {
        &self.guard
    }

    /// Clears the guard's counters.
    pub fn reset_counters(&mut self) {
        self.guard.reset();
    }

    /// Applies gain then guard in place.
    pub fn process(&mut self, l: &mut [f32], r: &mut [f32]) {
        self.apply_gain(l, r);
        self.apply_guard(l, r);
    }

    /// Applies the (ramped) gain alone, for paths that insert something before the guard.
    pub fn apply_gain(&mut self, l: &mut [f32], r: &mut [f32]) {
        self.gain.apply(l, r);
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
    fn ramp_reaches_target_in_ramp_time_and_lands_exactly() {
        let mut g = GainRamp::new(48_000.0, 1.0);
        g.set_target(0.5);
        let ramp_len = (GAIN_RAMP_MS * 48.0) as usize;
        let mut l = vec![1.0f32; ramp_len + 10];
        let mut r = l.clone();
        g.apply(&mut l, &mut r);
        assert!((l[ramp_len / 2 - 1] - 0.75).abs() < 1e-3);
        assert_eq!(l[ramp_len - 1], 0.5);
        assert_eq!(l[ramp_len + 9], 0.5);
        g.set_target(1.0);
        let mut l = vec![0.25f32; 2 * ramp_len];
        let mut r = l.clone();
        g.apply(&mut l, &mut r);
        assert_eq!(g.current_lin(), 1.0);
        assert_eq!(l[2 * ramp_len - 1], 0.25);
    }

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
    fn scan_finds_every_sample_the_guard_would_change_at_any_position() {
        let ceiling = db_to_lin(-6.0);
        let tiny = f32::from_bits(0x0000_0001);
        let max_subnormal = f32::from_bits(0x007f_ffff);
        let bad = [
            tiny,
            -max_subnormal,
            f32::NAN,
            -f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::from_bits(ceiling.to_bits() + 1),
            -1.0,
        ];
        let good = [
            0.0,
            -0.0,
            f32::MIN_POSITIVE,
            -f32::MIN_POSITIVE,
            ceiling,
            -ceiling,
            0.25,
        ];
        // Every kernel this CPU can run, called directly: the portable loop, AVX2, AVX-512.
        type Scan = fn(&[f32], &[f32], f32) -> bool;
        let mut scans: Vec<(&str, Scan)> =
            vec![("portable", |l, r, c| all_within_isa(Isa::Portable, l, r, c))];
        #[cfg(target_arch = "x86_64")]
        {
            if Isa::detect() != Isa::Portable {
                // SAFETY: AVX2 is present (Isa::detect checked it).
                scans.push(("avx2", |l, r, c| unsafe {
                    all_within_avx2(l, r, c.min(f32::MAX).to_bits())
                }));
            }
            if avx512_usable() {
                // SAFETY: AVX-512F is present (avx512_usable checked it).
                scans.push(("avx512", |l, r, c| unsafe {
                    all_within_avx512(l, r, c.min(f32::MAX).to_bits())
                }));
            }
        }
        for (isa, scan) in scans {
            for len in 0..40 {
                // Lengths around the eight- and sixteen-lane widths put each sample in a lane or the tail.
                let clean: Vec<f32> = (0..len).map(|i| good[i % good.len()]).collect();
                assert!(scan(&clean, &clean, ceiling), "{isa} clean {len}");
                for pos in 0..len {
                    for &x in &bad {
                        let mut dirty = clean.clone();
                        dirty[pos] = x;
                        assert!(!scan(&dirty, &clean, ceiling), "{isa} L {x}");
                        assert!(!scan(&clean, &dirty, ceiling), "{isa} R {x}");
                    }
                }
            }
            // With the guard off the limit is f32::MAX: overs pass, non-finite values do not.
            assert!(scan(&[3.0, -1e30], &[f32::MAX], f32::MAX));
            assert!(!scan(&[3.0], &[f32::INFINITY], f32::MAX));
            assert!(!scan(&[3.0], &[f32::NEG_INFINITY], f32::INFINITY));
        }
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
