//! Making samples safe: the one place for the limits beyond which a sample is a fault rather
//! than audio, the subnormal flush, the engine's entrance scan (is there anything to flush or
//! guard at all?) and the fallback for a sample rate a host got wrong.
//!
//! Subnormals are inaudible (< −758 dBFS) but cost many times a normal sample in every
//! multiply on x86 without FTZ/DAZ, and no host should receive them; non-finite samples are
//! silenced; magnitudes above [`FAULT_LIN`] are clamped by every analysis (meters, Auto fix)
//! and make the crossfeed restart its filters.

use crate::simd::{dispatch, Isa, Kernel};

/// Magnitude (linear, +120 dBFS) above which a sample is a fault, not audio: the meters and
/// Auto fix clamp to it (window power stays far below f32 overflow while still reading as
/// "very loud"), and the crossfeed restarts from silence rather than carry it.
pub const FAULT_LIN: f32 = 1.0e6;

/// Magnitudes (linear) below this are metered as exact zero (−360 dBFS, far below anything
/// audible or displayable), so no subnormal ever reaches the filters, and the squares and
/// products the RMS, correlation and common-mode windows sum in f32 stay normal numbers.
pub const MIN_METERED_LIN: f32 = 1.0e-18;

/// Sample rate (Hz) used when a host reports none or nonsense (zero, negative, NaN); finite
/// rates are limited to 1 kHz..1 MHz, so no window or ramp gets a zero or gigantic length.
pub const FALLBACK_RATE_HZ: f32 = 48_000.0;

/// `sample_rate_hz` if it is a usable rate (limited to 1 kHz..1 MHz), else [`FALLBACK_RATE_HZ`].
pub fn sanitise_rate_hz(sample_rate_hz: f32) -> f32 {
    if sample_rate_hz.is_finite() && sample_rate_hz > 0.0 {
        sample_rate_hz.clamp(1_000.0, 1_000_000.0)
    } else {
        FALLBACK_RATE_HZ
    }
}

/// A sample made safe to meter: NaN and ±inf become 0, magnitudes above [`FAULT_LIN`]
/// are clamped, magnitudes below [`MIN_METERED_LIN`] (subnormals) become 0.
#[inline(always)]
pub fn sanitise_sample(x: f32) -> f32 {
    let a = x.abs();
    // The range excludes NaN and ±inf; with plain selects below this stays branch-free, so
    // loops using it vectorise.
    let keep = (MIN_METERED_LIN..=f32::MAX).contains(&a);
    let c = if x > FAULT_LIN { FAULT_LIN } else { x };
    let c = if c < -FAULT_LIN { -FAULT_LIN } else { c };
    if keep {
        c
    } else {
        0.0
    }
}

/// Sanitises `src` into `dst` (as many samples as both hold).
#[inline(always)]
pub(crate) fn sanitise_into(dst: &mut [f32], src: &[f32]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = sanitise_sample(s);
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
/// magnitude. One read-only, branch-free pass over both channels through `isa`, tested once at
/// the end (with AVX2: [`all_within_avx2`]).
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
                // SAFETY: `FMA` is only true inside the AVX2 + FMA and AVX-512 instantiations
                // of `simd::dispatch`, which run only on CPUs with AVX2.
                return unsafe { all_within_avx2(l, r, ceiling_bits) };
            }
            scan_plain(l, r, ceiling_bits)
        }
    }
    dispatch(isa, Scan(l, r, ceiling_bits(ceiling_lin)))
}

/// [`all_within_isa`]'s plain loop (`ceiling_bits`: the ceiling's bits, at most
/// `f32::MAX`'s): the portable scan and the reference the AVX2 kernel is tested against.
#[inline(always)]
fn scan_plain(l: &[f32], r: &[f32], ceiling_bits: u32) -> bool {
    let mut touched = false;
    for x in [l, r] {
        for &s in x {
            touched |= outside(s, ceiling_bits);
        }
    }
    !touched
}

/// True when `s` is subnormal, non-finite or above the ceiling whose bits are `ceiling_bits`
/// (at most `f32::MAX`'s) in magnitude: what [`all_within_isa`] looks for, one sample at a
/// time, branch-free (loops that OR it over samples vectorise, on the baseline too).
#[inline(always)]
pub(crate) fn outside(s: f32, ceiling_bits: u32) -> bool {
    // The baseline (SSE2) has no 32-bit unsigned min or max but a signed compare: test each
    // sample against both limits and OR the flags. Magnitudes are non-negative as i32, and so
    // is magnitude − 1 once its wrapped sign bit is cleared.
    let (ceiling, limit) = (ceiling_bits as i32, SUBNORMAL_LIMIT_BITS as i32);
    let magnitude = (s.to_bits() & 0x7fff_ffff) as i32;
    let below_normal = magnitude.wrapping_sub(1) & 0x7fff_ffff;
    (magnitude > ceiling) | (below_normal < limit)
}

/// The bits of the ceiling [`all_within_isa`] and [`outside`] compare with for a guard at
/// `ceiling_lin` (an infinite ceiling still lets no infinity through).
#[inline]
pub(crate) fn ceiling_bits(ceiling_lin: f32) -> u32 {
    ceiling_lin.min(f32::MAX).to_bits()
}

/// [`scan_plain`] with explicit AVX2: eight lanes of running max of the magnitude bits and
/// running min of magnitude − 1 (unsigned, which SSE2 lacks), tested lane-wise against their
/// limits once at the end, the tail in scalar code. Kept because it measured 18–31 % faster
/// than the plain loop in the same AVX2 instantiation on the signal path at blocks of 64 and
/// 512 (BENCHMARKS.md, "Kernel decisions").
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn all_within_avx2(l: &[f32], r: &[f32], ceiling_bits: u32) -> bool {
    use std::arch::x86_64::*;
    let magnitude = _mm256_set1_epi32(0x7fff_ffff);
    let one = _mm256_set1_epi32(1);
    let (mut top, mut low) = (_mm256_setzero_si256(), _mm256_set1_epi32(-1));
    let (mut tail_top, mut tail_low) = (0u32, u32::MAX);
    for x in [l, r] {
        let lanes = x.chunks_exact(8);
        for &s in lanes.remainder() {
            let magnitude_bits = s.to_bits() & 0x7fff_ffff;
            tail_top = tail_top.max(magnitude_bits);
            tail_low = tail_low.min(magnitude_bits.wrapping_sub(1));
        }
        for block in lanes {
            assert!(block.len() == 8);
            // SAFETY: `block` holds eight f32 (asserted), one register; the load is unaligned.
            let m = _mm256_and_si256(
                unsafe { _mm256_loadu_si256(block.as_ptr().cast()) },
                magnitude,
            );
            top = _mm256_max_epu32(top, m);
            low = _mm256_min_epu32(low, _mm256_sub_epi32(m, one));
        }
    }
    let ceiling = _mm256_set1_epi32(ceiling_bits as i32);
    let limit = _mm256_set1_epi32(SUBNORMAL_LIMIT_BITS as i32);
    // Lane-wise top <= ceiling (max(top, ceiling) == ceiling) and low >= limit
    // (max(low, limit) == low), all lanes at once.
    let below = _mm256_cmpeq_epi32(_mm256_max_epu32(top, ceiling), ceiling);
    let above = _mm256_cmpeq_epi32(_mm256_max_epu32(low, limit), low);
    _mm256_movemask_epi8(_mm256_and_si256(below, above)) == -1
        && tail_top <= ceiling_bits
        && tail_low >= SUBNORMAL_LIMIT_BITS
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_finds_every_sample_the_guard_would_change_at_any_position() {
        let ceiling = crate::units::db_to_lin(-6.0);
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
        // The plain loop (the reference), and every instantiation of the scan.
        let scans = std::iter::once(None).chain(Isa::all_supported().into_iter().map(Some));
        for isa in scans {
            let scan = |l: &[f32], r: &[f32], c: f32| match isa {
                None => scan_plain(l, r, c.min(f32::MAX).to_bits()),
                Some(isa) => all_within_isa(isa, l, r, c),
            };
            let isa = format!("{isa:?}");
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
    #[cfg_attr(not(cuewire_has_avx2), ignore = "CPU lacks AVX2 + FMA")]
    fn avx2_kernel_scan_equals_the_plain_loop() {
        #[cfg(target_arch = "x86_64")]
        assert!(
            Isa::Avx2Fma.supported(),
            "built for AVX2 but the CPU lacks it"
        );
        let special = [
            0.0,
            -0.0,
            f32::from_bits(1),
            f32::from_bits(0x007f_ffff),
            f32::MIN_POSITIVE,
            0.5,
            1.0,
            f32::from_bits(1.0f32.to_bits() + 1),
            f32::MAX,
            f32::INFINITY,
            f32::NAN,
        ];
        let mut state = 1u32;
        for len in 0..70 {
            for trial in 0..40 {
                let mut pick = || {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    // Mostly harmless samples, now and then a special one.
                    let k = (state >> 8) as usize;
                    if k.is_multiple_of(17) {
                        special[k % special.len()]
                    } else {
                        (k % 1000) as f32 * 1e-3 - 0.5
                    }
                };
                let l: Vec<f32> = (0..len).map(|_| pick()).collect();
                let r: Vec<f32> = (0..len).map(|_| pick()).collect();
                for ceiling in [0.5f32, 1.0, f32::MAX] {
                    let bits = ceiling.to_bits();
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: the CPU has AVX2 (asserted above).
                    let kernel = unsafe { all_within_avx2(&l, &r, bits) };
                    #[cfg(not(target_arch = "x86_64"))]
                    let kernel = scan_plain(&l, &r, bits);
                    assert_eq!(kernel, scan_plain(&l, &r, bits), "len {len} trial {trial}");
                }
            }
        }
    }
}
