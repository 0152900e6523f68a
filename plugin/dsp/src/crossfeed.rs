//! Headphone crossfeed after Bauer's stereophonic-to-binaural (bs2b) design: each ear also gets
//! the other channel, low-passed and lowered by the feed level, while its own channel gets a
//! matching high-frequency boost. First-order IIR filters, so there is no latency.

use crate::output::GAIN_RAMP_MS;
use crate::ramp::Ramp;
use crate::sanitise::FAULT_LIN;
use crate::simd::{dispatch, mac_f64, Isa, Kernel};

/// The lowest custom cut frequency, Hz (bs2b's minimum).
pub const CUT_MIN_HZ: f32 = 300.0;
/// The highest custom cut frequency, Hz (bs2b's maximum).
pub const CUT_MAX_HZ: f32 = 2000.0;
/// The lowest custom feed level, dB (bs2b's minimum).
pub const FEED_MIN_DB: f32 = 1.0;
/// The highest custom feed level, dB (bs2b's maximum).
pub const FEED_MAX_DB: f32 = 15.0;

/// Which crossfeed, if any.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum CrossfeedSetting {
    /// No crossfeed: the signal passes bit for bit.
    #[default]
    Off,
    /// bs2b default: 700 Hz, 4.5 dB.
    Bs2bDefault,
    /// bs2b Chu Moy: 700 Hz, 6.0 dB.
    ChuMoy,
    /// bs2b Jan Meier: 650 Hz, 9.5 dB.
    JanMeier,
    /// Any cut frequency (Hz, 300..2000) and feed level (dB, 1..15).
    Custom {
        /// Cut frequency of the crossfed low-pass, Hz.
        cut_hz: f32,
        /// How far the crossfed low frequencies sit under the direct path, dB.
        feed_db: f32,
    },
}

impl CrossfeedSetting {
    /// Cut frequency (Hz) and feed level (dB), or `None` when off. Custom values are limited
    /// to bs2b's ranges.
    pub fn cut_and_feed(self) -> Option<(f32, f32)> {
        match self {
            Self::Off => None,
            Self::Bs2bDefault => Some((700.0, 4.5)),
            Self::ChuMoy => Some((700.0, 6.0)),
            Self::JanMeier => Some((650.0, 9.5)),
            Self::Custom { cut_hz, feed_db } => {
                let cut_hz = if cut_hz.is_finite() { cut_hz } else { 700.0 };
                let feed_db = if feed_db.is_finite() { feed_db } else { 4.5 };
                Some((
                    cut_hz.clamp(CUT_MIN_HZ, CUT_MAX_HZ),
                    feed_db.clamp(FEED_MIN_DB, FEED_MAX_DB),
                ))
            }
        }
    }
}

/// bs2b filter coefficients for one cut/feed pair at one sample rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bs2bCoefs {
    /// Cross path low-pass: y = a0_lo·x + b1_lo·y[−1].
    pub a0_lo: f64,
    /// Cross path low-pass feedback.
    pub b1_lo: f64,
    /// Direct path high boost: y = a0_hi·x + a1_hi·x[−1] + b1_hi·y[−1].
    pub a0_hi: f64,
    /// Direct path high boost, previous input.
    pub a1_hi: f64,
    /// Direct path high boost feedback.
    pub b1_hi: f64,
    /// Output gain that brings a mono signal at DC back to unity.
    pub gain: f64,
}

impl Bs2bCoefs {
    /// bs2b's coefficients: the cross path sits `feed_db` under the direct path at low
    /// frequencies, and the two paths are split at `cut_hz` (with the boost's corner derived
    /// from the feed, as bs2b does).
    pub fn new(sample_rate_hz: f64, cut_hz: f64, feed_db: f64) -> Self {
        let gb_lo_db = feed_db * -5.0 / 6.0 - 3.0;
        let gb_hi_db = feed_db / 6.0 - 3.0;
        let g_lo = 10f64.powf(gb_lo_db / 20.0);
        let g_hi = 1.0 - 10f64.powf(gb_hi_db / 20.0);
        let fc_hi_hz = cut_hz * 2f64.powf((gb_lo_db - 20.0 * g_hi.log10()) / 12.0);
        let x_lo = (-2.0 * std::f64::consts::PI * cut_hz / sample_rate_hz).exp();
        let x_hi = (-2.0 * std::f64::consts::PI * fc_hi_hz / sample_rate_hz).exp();
        Self {
            a0_lo: g_lo * (1.0 - x_lo),
            b1_lo: x_lo,
            a0_hi: 1.0 - g_hi * (1.0 - x_hi),
            a1_hi: -x_hi,
            b1_hi: x_hi,
            gain: 1.0 / (1.0 - g_hi + g_lo),
        }
    }

    /// The complex responses (direct, cross) at `freq_hz`, including the output gain.
    pub fn response(&self, sample_rate_hz: f64, freq_hz: f64) -> ((f64, f64), (f64, f64)) {
        let w = 2.0 * std::f64::consts::PI * freq_hz / sample_rate_hz;
        let (zr, zi) = (w.cos(), -w.sin()); // z^-1
        let div = |(ar, ai): (f64, f64), (br, bi): (f64, f64)| {
            let d = br * br + bi * bi;
            ((ar * br + ai * bi) / d, (ai * br - ar * bi) / d)
        };
        let direct = div(
            (self.a0_hi + self.a1_hi * zr, self.a1_hi * zi),
            (1.0 - self.b1_hi * zr, -self.b1_hi * zi),
        );
        let cross = div((self.a0_lo, 0.0), (1.0 - self.b1_lo * zr, -self.b1_lo * zi));
        (
            (direct.0 * self.gain, direct.1 * self.gain),
            (cross.0 * self.gain, cross.1 * self.gain),
        )
    }
}

/// Magnitude under which a filter state is flushed to zero, every sample: a decaying IIR must
/// not run into subnormals on silence, and flushing per sample keeps the output independent of
/// the block size.
const FLUSH_BELOW: f64 = 1e-30;

/// True when `x` is not audio: NaN, ±inf, or above [`FAULT_LIN`].
#[inline(always)]
fn is_fault(x: f64) -> bool {
    x.is_nan() || x.abs() > f64::from(FAULT_LIN)
}

/// A filter state with the flush applied.
#[inline(always)]
fn flush(v: f64) -> f64 {
    if v.abs() < FLUSH_BELOW {
        0.0
    } else {
        v
    }
}

/// The four first-order filters of one stereo pair.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Filters {
    /// Previous outputs (flushed), in the AVX2 kernel's lane order: cross low-pass of R, of L,
    /// direct high boost of L, of R (so each ear's two terms sit in the two register halves).
    y: [f64; 4],
    /// Previous inputs L, R (the high boosts' x[−1]).
    x1: [f64; 2],
}

/// The crossfeed processor for one stereo pair; on/off switches with a ramp.
#[derive(Clone, Debug)]
pub struct Crossfeed {
    sample_rate_hz: f32,
    setting: CrossfeedSetting,
    coefs: Bs2bCoefs,
    /// The filters' state, carried from block to block.
    filters: Filters,
    /// 1.0 = crossfeed fully in, 0.0 = out.
    amount: Ramp,
    /// Instruction set of the processing kernels, chosen once in `new()`.
    isa: Isa,
}

impl Crossfeed {
    /// A crossfeed at `sample_rate_hz`, resting at `setting`.
    pub fn new(sample_rate_hz: f32, setting: CrossfeedSetting) -> Self {
        let (cut_hz, feed_db) = setting.cut_and_feed().unwrap_or((700.0, 4.5));
        let on = if setting == CrossfeedSetting::Off {
            0.0
        } else {
            1.0
        };
        Self {
            sample_rate_hz,
            setting,
            coefs: Bs2bCoefs::new(
                f64::from(sample_rate_hz),
                f64::from(cut_hz),
                f64::from(feed_db),
            ),
            filters: Filters::default(),
            amount: Ramp::for_ms(sample_rate_hz, GAIN_RAMP_MS, on),
            isa: Isa::detect(),
        }
    }

    /// A new setting: turning on or off ramps, a new cut/feed takes new coefficients.
    pub fn set(&mut self, setting: CrossfeedSetting) {
        if setting == self.setting {
            return;
        }
        if self.is_bypassed() {
            // The filters stopped somewhere inside the block where the switch-off ramp
            // ended, which depends on the host's block size; starting again from silence
            // keeps the output block-size independent (and fades in no stale tail).
            self.filters = Filters::default();
        }
        if let Some((cut_hz, feed_db)) = setting.cut_and_feed() {
            self.coefs = Bs2bCoefs::new(
                f64::from(self.sample_rate_hz),
                f64::from(cut_hz),
                f64::from(feed_db),
            );
        }
        self.amount.set_target(if setting == CrossfeedSetting::Off {
            0.0
        } else {
            1.0
        });
        self.setting = setting;
    }

    /// Clears the filters and ends the on/off ramp.
    pub fn reset(&mut self) {
        self.filters = Filters::default();
        self.amount.snap();
    }

    /// Ends the on/off ramp at its target.
    pub fn snap(&mut self) {
        self.amount.snap();
    }

    /// True when the crossfeed leaves the signal untouched (off and not fading out).
    pub fn is_bypassed(&self) -> bool {
        !self.amount.is_ramping() && self.amount.current() == 0.0
    }

    /// Processes a stereo pair in place.
    ///
    /// Garbage (NaN, ±inf, levels above [`crate::sanitise::FAULT_LIN`]) is not audio: such a frame passes
    /// unfiltered to the ear guard, which silences or clamps it and counts it, and both ears'
    /// filters restart from silence, so it leaves no tail: from the next frame on the output
    /// is that of a freshly reset crossfeed.
    pub fn process(&mut self, l: &mut [f32], r: &mut [f32]) {
        /// The whole block through one instruction-set instantiation.
        struct Pass<'a> {
            coefs: &'a Bs2bCoefs,
            filters: &'a mut Filters,
            amount: &'a mut Ramp,
            l: &'a mut [f32],
            r: &'a mut [f32],
        }
        impl Kernel for Pass<'_> {
            type Out = ();
            #[inline(always)]
            fn run<const FMA: bool>(self) {
                let Pass {
                    coefs,
                    filters,
                    amount,
                    l,
                    r,
                } = self;
                if amount.is_ramping() || amount.current() != 1.0 {
                    return filter_scalar::<FMA, true>(coefs, filters, amount, l, r);
                }
                #[cfg(target_arch = "x86_64")]
                // SAFETY: `FMA` is only true inside the AVX2 + FMA and AVX-512 instantiations
                // of `simd::dispatch`, which run only on CPUs with AVX2 and FMA.
                if FMA && unsafe { wet_avx2::<true>(coefs, filters, l, r) } {
                    return;
                }
                filter_scalar::<FMA, false>(coefs, filters, amount, l, r);
            }
        }
        if self.is_bypassed() {
            return;
        }
        dispatch(
            self.isa,
            Pass {
                coefs: &self.coefs,
                filters: &mut self.filters,
                amount: &mut self.amount,
                l,
                r,
            },
        );
    }
}

/// The crossfeed sample by sample, with the fault check and (`FADE`) the on/off blend by
/// `amount`. The reference for [`wet_avx2`], and what runs for blocks that fade or hold a
/// fault. Its multiply-adds are fused exactly when the kernel's are (`FMA`), so either path
/// gives the same numbers and the output does not depend on where blocks start.
#[inline(always)]
fn filter_scalar<const FMA: bool, const FADE: bool>(
    c: &Bs2bCoefs,
    f: &mut Filters,
    amount: &mut Ramp,
    l: &mut [f32],
    r: &mut [f32],
) {
    let Filters {
        y: [mut lo_r, mut lo_l, mut hi_l, mut hi_r],
        x1: [mut xl1, mut xr1],
    } = *f;
    for (sl, sr) in l.iter_mut().zip(r.iter_mut()) {
        let (xl, xr) = (f64::from(*sl), f64::from(*sr));
        let amount = if FADE {
            f64::from(amount.next_value())
        } else {
            1.0
        };
        if is_fault(xl) || is_fault(xr) {
            (lo_l, lo_r, hi_l, hi_r, xl1, xr1) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
            continue;
        }
        lo_l = flush(mac_f64::<FMA>(c.a0_lo * xl, c.b1_lo, lo_l));
        lo_r = flush(mac_f64::<FMA>(c.a0_lo * xr, c.b1_lo, lo_r));
        hi_l = flush(mac_f64::<FMA>(
            mac_f64::<FMA>(c.a0_hi * xl, c.a1_hi, xl1),
            c.b1_hi,
            hi_l,
        ));
        hi_r = flush(mac_f64::<FMA>(
            mac_f64::<FMA>(c.a0_hi * xr, c.a1_hi, xr1),
            c.b1_hi,
            hi_r,
        ));
        (xl1, xr1) = (xl, xr);
        let (wet_l, wet_r) = ((hi_l + lo_r) * c.gain, (hi_r + lo_l) * c.gain);
        // At full amount the wet signal itself, as in a block that does not fade, so the end
        // of a ramp gives the same numbers wherever the host's blocks start.
        if FADE && amount != 1.0 {
            // Switching on or off blends dry and crossfed signals so it never clicks.
            *sl = (xl + amount * (wet_l - xl)) as f32;
            *sr = (xr + amount * (wet_r - xr)) as f32;
        } else {
            *sl = wet_l as f32;
            *sr = wet_r as f32;
        }
    }
    *f = Filters {
        y: [lo_r, lo_l, hi_l, hi_r],
        x1: [xl1, xr1],
    };
}

/// The crossfeed of a block that does not fade, with explicit AVX2: the four recursions run
/// in the four f64 lanes [cross R, cross L, direct L, direct R] of one register. Returns false,
/// having changed nothing, when the block holds a fault (the scalar loop handles those). The
/// multiply-adds are fused when `FUSED`; unfused, the numbers are bit-identical to
/// [`filter_scalar`]'s portable instantiation, fused to its AVX2 one.
///
/// The per-sample flush would put a compare and a select on the recursion. Instead, each
/// group of four frames first runs the plain recursion (one multiply-add of latency per
/// frame) and checks afterwards that no state it produced was tiny but not zero: only those
/// are changed by the flush (a state is never −0.0: `t + b1·y` rounds an exact zero to +0.0
/// unless both terms are −0.0, and the fed-back state starts flushed). The check fails once
/// per filter while a tail decays through [`FLUSH_BELOW`]; such a group is run again with the
/// flush. Either way every frame gets exactly the flushed recursion's numbers.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn wet_avx2<const FUSED: bool>(
    c: &Bs2bCoefs,
    f: &mut Filters,
    l: &mut [f32],
    r: &mut [f32],
) -> bool {
    use std::arch::x86_64::*;
    let n = l.len().min(r.len());
    let (l, r) = (&mut l[..n], &mut r[..n]);
    // The fault scan, in f32 (FAULT_LIN is an f32), so this is `is_fault` on every
    // sample (NaN fails the ordered `<=`, so the unordered "not <=" flags it).
    {
        let abs_ps = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff));
        let limit = _mm256_set1_ps(FAULT_LIN);
        let not_audio = |x: &[f32]| {
            assert!(x.len() >= 8);
            // SAFETY: `x` holds at least eight f32 (asserted); the load is unaligned.
            let v = unsafe { _mm256_loadu_ps(x.as_ptr()) };
            _mm256_cmp_ps(_mm256_and_ps(v, abs_ps), limit, _CMP_NLE_UQ)
        };
        let mut faults = _mm256_setzero_ps();
        let (ls, rs) = (l.chunks_exact(8), r.chunks_exact(8));
        let tail_fault = ls
            .remainder()
            .iter()
            .chain(rs.remainder())
            .any(|x| is_fault(f64::from(*x)));
        for (a, b) in ls.zip(rs) {
            faults = _mm256_or_ps(faults, _mm256_or_ps(not_audio(a), not_audio(b)));
        }
        if _mm256_movemask_ps(faults) != 0 || tail_fault {
            return false;
        }
    }

    let a0 = _mm256_setr_pd(c.a0_lo, c.a0_lo, c.a0_hi, c.a0_hi);
    // The cross low-passes have no x[−1] term: a zero product adds nothing.
    let a1 = _mm256_setr_pd(0.0, 0.0, c.a1_hi, c.a1_hi);
    let b1 = _mm256_setr_pd(c.b1_lo, c.b1_lo, c.b1_hi, c.b1_hi);
    let gain = _mm256_set1_pd(c.gain);
    let floor = _mm256_set1_pd(FLUSH_BELOW);
    let abs_pd = _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX));
    let one = _mm256_set1_epi64x(1);
    // For |v| > 0 the bits of |v| − 1, read as a double, order as |v| does; for v = ±0 they
    // are a NaN, which `_mm256_min_pd(new, acc)` skips (it returns `acc`).
    let below_floor = _mm256_set1_pd(f64::from_bits(FLUSH_BELOW.to_bits() - 1));
    let madd = |acc: __m256d, k: __m256d, v: __m256d| {
        if FUSED {
            _mm256_fmadd_pd(k, v, acc)
        } else {
            _mm256_add_pd(acc, _mm256_mul_pd(k, v))
        }
    };
    // The unflushed output for input frame `x` ([R, L, L, R]), previous frame `xp` and
    // fed-back outputs `fed`, in `filter_scalar`'s order of operations.
    let next =
        |x: __m256d, xp: __m256d, fed: __m256d| madd(madd(_mm256_mul_pd(a0, x), a1, xp), b1, fed);
    let flushed = |v: __m256d| {
        _mm256_andnot_pd(
            _mm256_cmp_pd(_mm256_and_pd(v, abs_pd), floor, _CMP_LT_OQ),
            v,
        )
    };
    // Two frames' outputs as f32 [wet L, wet R, wet L, wet R].
    let wet = |ya: __m256d, yb: __m256d| {
        let cross = _mm256_permute2f128_pd(ya, yb, 0x20);
        let direct = _mm256_permute2f128_pd(ya, yb, 0x31);
        _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_add_pd(direct, cross), gain))
    };

    // The fed-back outputs: flushed, or from a group that needed no flush.
    let [y0, y1, y2, y3] = f.y;
    let mut fed = _mm256_setr_pd(y0, y1, y2, y3);
    let mut xp = _mm256_setr_pd(f.x1[1], f.x1[0], f.x1[0], f.x1[1]);
    let mut ls = l.chunks_exact_mut(4);
    let mut rs = r.chunks_exact_mut(4);
    for (cl, cr) in (&mut ls).zip(&mut rs) {
        assert!(cl.len() == 4 && cr.len() == 4);
        // SAFETY: each chunk holds four f32 (asserted); the loads are unaligned.
        let (lf, rf) = unsafe { (_mm_loadu_ps(cl.as_ptr()), _mm_loadu_ps(cr.as_ptr())) };
        let (lf, rf) = (_mm256_cvtps_pd(lf), _mm256_cvtps_pd(rf));
        let (even, odd) = (_mm256_unpacklo_pd(rf, lf), _mm256_unpackhi_pd(rf, lf));
        let x = [
            _mm256_permute4x64_pd(even, 0x14),
            _mm256_permute4x64_pd(odd, 0x14),
            _mm256_permute4x64_pd(even, 0xbe),
            _mm256_permute4x64_pd(odd, 0xbe),
        ];
        let mut ys = [fed; 4];
        let (mut v, mut prev) = (fed, xp);
        let mut smallest = _mm256_set1_pd(f64::INFINITY);
        for k in 0..4 {
            v = next(x[k], prev, v);
            ys[k] = v;
            let bits = _mm256_castpd_si256(_mm256_and_pd(v, abs_pd));
            smallest = _mm256_min_pd(_mm256_castsi256_pd(_mm256_sub_epi64(bits, one)), smallest);
            prev = x[k];
        }
        if _mm256_movemask_pd(_mm256_cmp_pd(smallest, below_floor, _CMP_LT_OQ)) == 0 {
            fed = v;
        } else {
            let mut prev = xp;
            for k in 0..4 {
                fed = flushed(next(x[k], prev, fed));
                ys[k] = fed;
                prev = x[k];
            }
        }
        xp = x[3];
        let (w01, w23) = (wet(ys[0], ys[1]), wet(ys[2], ys[3]));
        // SAFETY: each chunk holds four f32 (asserted); the stores are unaligned.
        unsafe {
            _mm_storeu_ps(cl.as_mut_ptr(), _mm_shuffle_ps(w01, w23, 0b10_00_10_00));
            _mm_storeu_ps(cr.as_mut_ptr(), _mm_shuffle_ps(w01, w23, 0b11_01_11_01));
        }
    }
    fed = flushed(fed);
    let lanes = |v: __m256d| -> [f64; 4] {
        let mut out = [0.0f64; 4];
        // SAFETY: `out` holds four f64; the store is unaligned.
        unsafe { _mm256_storeu_pd(out.as_mut_ptr(), v) };
        out
    };
    for (sl, sr) in ls.into_remainder().iter_mut().zip(rs.into_remainder()) {
        let (xl, xr) = (f64::from(*sl), f64::from(*sr));
        let x = _mm256_setr_pd(xr, xl, xl, xr);
        fed = flushed(next(x, xp, fed));
        xp = x;
        let [lo_r, lo_l, hi_l, hi_r] = lanes(fed);
        *sl = ((hi_l + lo_r) * c.gain) as f32;
        *sr = ((hi_r + lo_l) * c.gain) as f32;
    }
    f.y = lanes(fed);
    let x1 = lanes(xp);
    f.x1 = [x1[1], x1[0]];
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    const FS: f32 = 48_000.0;

    /// Steady-state amplitude of a sine after the crossfeed, measured on the last second.
    fn measure(setting: CrossfeedSetting, freq_hz: f32, left: f32, right: f32) -> (f32, f32) {
        let mut xf = Crossfeed::new(FS, setting);
        let n = 2 * FS as usize;
        let sine: Vec<f32> = (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * freq_hz * i as f32 / FS).sin())
            .collect();
        let mut l: Vec<f32> = sine.iter().map(|x| x * left).collect();
        let mut r: Vec<f32> = sine.iter().map(|x| x * right).collect();
        xf.process(&mut l, &mut r);
        let rms = |x: &[f32]| {
            (x[n / 2..]
                .iter()
                .map(|v| f64::from(*v).powi(2))
                .sum::<f64>()
                / (n / 2) as f64)
                .sqrt()
        };
        let reference = std::f64::consts::FRAC_1_SQRT_2;
        (
            (20.0 * (rms(&l) / reference).log10()) as f32,
            (20.0 * (rms(&r) / reference).log10()) as f32,
        )
    }

    /// Low-passed, partly correlated stereo noise with a tone, about −12 dBFS: programme-like.
    fn music(n: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let (mut a, mut b, mut c) = (0.0f32, 0.0f32, 0.0f32);
        (0..n)
            .map(|i| {
                a = 0.97 * a + 0.03 * rng.gen_range(-1.0..1.0);
                b = 0.9 * b + 0.1 * rng.gen_range(-1.0..1.0);
                c = 0.9 * c + 0.1 * rng.gen_range(-1.0..1.0);
                let tone = 0.1 * (std::f32::consts::TAU * 220.0 * i as f32 / FS).sin();
                (a + 0.3 * b + tone, a + 0.3 * c + 0.7 * tone)
            })
            .unzip()
    }

    /// `filter_scalar` (no fade) over the whole of `l`, `r` from silence: the reference.
    fn scalar<const FMA: bool>(
        c: &Bs2bCoefs,
        l: &[f32],
        r: &[f32],
    ) -> (Vec<f32>, Vec<f32>, Filters) {
        let (mut l, mut r) = (l.to_vec(), r.to_vec());
        let mut f = Filters::default();
        let mut unity = Ramp::new(1, 1.0);
        filter_scalar::<FMA, false>(c, &mut f, &mut unity, &mut l, &mut r);
        (l, r, f)
    }

    /// The scalar reference with the arithmetic of this machine's instantiation.
    fn scalar_as_dispatched(c: &Bs2bCoefs, l: &[f32], r: &[f32]) -> (Vec<f32>, Vec<f32>, Filters) {
        if Isa::detect() == Isa::Portable {
            scalar::<false>(c, l, r)
        } else {
            scalar::<true>(c, l, r)
        }
    }

    fn bits(x: &[f32]) -> Vec<u32> {
        x.iter().map(|v| v.to_bits()).collect()
    }

    fn default_coefs() -> Bs2bCoefs {
        Bs2bCoefs::new(f64::from(FS), 700.0, 4.5)
    }

    /// A loud noise burst, then silence long enough for every filter to decay to zero.
    fn burst_then_silence() -> (Vec<f32>, Vec<f32>) {
        let mut rng = SmallRng::seed_from_u64(7);
        (0..4800 + 9600)
            .map(|i| {
                if i < 4800 {
                    (rng.gen_range(-0.9..0.9), rng.gen_range(-0.9..0.9))
                } else {
                    (0.0, 0.0)
                }
            })
            .unzip()
    }

    fn db(c: (f64, f64)) -> f64 {
        10.0 * (c.0 * c.0 + c.1 * c.1).log10()
    }

    #[test]
    fn low_frequencies_cross_at_the_feed_level_for_every_preset() {
        for (setting, feed_db) in [
            (CrossfeedSetting::Bs2bDefault, 4.5),
            (CrossfeedSetting::ChuMoy, 6.0),
            (CrossfeedSetting::JanMeier, 9.5),
            (
                CrossfeedSetting::Custom {
                    cut_hz: 1000.0,
                    feed_db: 12.0,
                },
                12.0,
            ),
        ] {
            // Left only: the left ear is the direct path, the right ear the crossfed one.
            let (direct_db, cross_db) = measure(setting, 20.0, 1.0, 0.0);
            let measured = direct_db - cross_db;
            println!("{setting:?}: cross {measured:.3} dB under direct at 20 Hz");
            // bs2b's definition: GB_lo − GB_hi = −feed exactly at DC; 20 Hz is within 0.1 dB.
            assert!((measured - feed_db).abs() < 0.1, "{setting:?}: {measured}");
        }
    }

    #[test]
    fn mono_passes_at_unity_at_low_frequencies_and_matches_bs2b_everywhere() {
        for setting in [
            CrossfeedSetting::Bs2bDefault,
            CrossfeedSetting::ChuMoy,
            CrossfeedSetting::JanMeier,
        ] {
            let (cut_hz, feed_db) = setting.cut_and_feed().unwrap();
            let c = Bs2bCoefs::new(f64::from(FS), f64::from(cut_hz), f64::from(feed_db));
            let (dc_direct, dc_cross) = c.response(f64::from(FS), 0.0);
            let dc_mono = db((dc_direct.0 + dc_cross.0, dc_direct.1 + dc_cross.1));
            assert!(dc_mono.abs() < 1e-9, "mono at DC {dc_mono} dB");
            for freq_hz in [20.0f32, 100.0, 700.0, 2000.0, 8000.0] {
                let (ml, mr) = measure(setting, freq_hz, 0.5, 0.5);
                let (d, x) = c.response(f64::from(FS), f64::from(freq_hz));
                let analytic = db((d.0 + x.0, d.1 + x.1)) as f32 - 6.0206;
                println!("{setting:?} mono {freq_hz} Hz: {ml:.3} dB (bs2b {analytic:.3} dB)");
                assert!((ml - analytic).abs() < 0.02 && (mr - analytic).abs() < 0.02);
                // A mono source stays within bs2b's normalisation: never louder than the
                // input, and never more than 20·log10(gain) under it.
                let floor_db = 20.0 * c.gain.log10() as f32 - 0.01;
                assert!(ml - (-6.0206) <= 0.01 && ml - (-6.0206) >= floor_db);
            }
        }
    }

    #[test]
    fn off_is_bit_transparent_and_switching_is_click_free() {
        let mut xf = Crossfeed::new(FS, CrossfeedSetting::Off);
        let input: Vec<f32> = (0..4800)
            .map(|i| ((i * 7919) % 2001) as f32 / 1000.0 - 1.0)
            .collect();
        let (mut l, mut r) = (input.clone(), input.clone());
        xf.process(&mut l, &mut r);
        assert!(l
            .iter()
            .zip(&input)
            .all(|(a, b)| a.to_bits() == b.to_bits()));

        // Switch on during a full-scale left-only 100 Hz sine: the right ear fades in.
        xf.set(CrossfeedSetting::JanMeier);
        let n = 4800;
        let mut l: Vec<f32> = (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * 100.0 * i as f32 / FS).sin())
            .collect();
        let own_step = l
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        let mut r = vec![0.0; n];
        xf.process(&mut l, &mut r);
        let max_step = r
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        println!("crossfeed switch-on: max step {max_step:.5} (signal's own {own_step:.5})");
        assert!(max_step <= own_step);
    }

    #[test]
    #[cfg_attr(not(cuewire_has_avx2), ignore = "CPU lacks AVX2 + FMA")]
    fn avx2_kernel_matches_the_scalar_loop() {
        #[cfg(target_arch = "x86_64")]
        assert!(
            Isa::Avx2Fma.supported(),
            "built for AVX2 but the CPU lacks it"
        );
        #[cfg(target_arch = "x86_64")]
        {
            let c = default_coefs();
            let (ml, mr) = music(4801, 3);
            let (bl, br) = burst_then_silence();
            // Signed zeros (polarity-inverted silence), subnormal and tiny inputs, runs of
            // them between bursts: every way a state can become tiny or a zero negative.
            let odd: (Vec<f32>, Vec<f32>) = (0..4000)
                .map(|i| {
                    let v = match (i / 37) % 6 {
                        0 => -0.0,
                        1 => 1e-40,
                        2 => -1e-35,
                        3 => ml[i] * 1e-20,
                        4 => ml[i],
                        _ => 0.0,
                    };
                    if i % 3 == 0 {
                        (v, -v)
                    } else {
                        (v, -0.0)
                    }
                })
                .unzip();
            let mut worst_rel = 0.0f64;
            for (name, l, r) in [
                ("music", &ml, &mr),
                ("burst then silence", &bl, &br),
                ("zeros and tiny values", &odd.0, &odd.1),
            ] {
                // Every tail length after the groups of four, and an empty block.
                for n in [0, 1, 2, 3, 4, 5, 7, 8, 9, l.len()] {
                    let run = |fused: bool| {
                        let (mut l, mut r) = (l[..n].to_vec(), r[..n].to_vec());
                        let mut f = Filters::default();
                        // SAFETY: the CPU reported AVX2 and FMA just above.
                        let done = unsafe {
                            if fused {
                                wet_avx2::<true>(&c, &mut f, &mut l, &mut r)
                            } else {
                                wet_avx2::<false>(&c, &mut f, &mut l, &mut r)
                            }
                        };
                        assert!(done, "no fault in {name}");
                        (l, r, f)
                    };
                    let (ul, ur, uf) = run(false);
                    let (sl, sr, sf) = scalar::<false>(&c, &l[..n], &r[..n]);
                    assert_eq!(bits(&ul), bits(&sl), "{name} {n} unfused L");
                    assert_eq!(bits(&ur), bits(&sr), "{name} {n} unfused R");
                    assert_eq!(uf, sf, "{name} {n} unfused state");
                    let (fl, fr, ff) = run(true);
                    let (sl, sr, sf) = scalar::<true>(&c, &l[..n], &r[..n]);
                    assert_eq!(bits(&fl), bits(&sl), "{name} {n} fused L");
                    assert_eq!(bits(&fr), bits(&sr), "{name} {n} fused R");
                    assert_eq!(ff, sf, "{name} {n} fused state");
                    let peak = ul.iter().chain(&ur).fold(0.0f32, |m, v| m.max(v.abs()));
                    for (a, b) in fl.iter().chain(&fr).zip(ul.iter().chain(&ur)) {
                        let rel = f64::from((a - b).abs()) / f64::from(peak.max(1e-30));
                        worst_rel = worst_rel.max(rel);
                    }
                }
            }
            println!("fused vs unfused kernel: largest difference {worst_rel:.2e} of the peak");
            assert!(worst_rel < 1e-6);
        }
    }

    #[test]
    fn decaying_silence_reaches_exact_zero_without_subnormals() {
        let (mut l, mut r) = burst_then_silence();
        let (want_l, want_r, _) = scalar_as_dispatched(&default_coefs(), &l, &r);
        let mut xf = Crossfeed::new(FS, CrossfeedSetting::Bs2bDefault);
        for (bl, br) in l.chunks_mut(256).zip(r.chunks_mut(256)) {
            xf.process(bl, br);
        }
        assert_eq!(bits(&l), bits(&want_l));
        assert_eq!(bits(&r), bits(&want_r));
        let normal = |x: &f32| *x == 0.0 || x.abs() >= f32::MIN_POSITIVE;
        assert!(l.iter().chain(&r).all(normal), "a subnormal output");
        let last_nonzero = l
            .iter()
            .zip(&r)
            .rposition(|(a, b)| *a != 0.0 || *b != 0.0)
            .unwrap();
        println!("burst ends at 4800; last non-zero output frame {last_nonzero}");
        // The slowest pole (≈ 0.91 per sample) takes ~750 samples from 1 to 1e-30.
        assert!(last_nonzero > 4800 && last_nonzero < 4800 + 1500);
        assert_eq!(xf.filters, Filters::default());
    }

    #[test]
    fn a_fault_mid_block_restarts_the_filters_as_the_scalar_loop_does() {
        let n = 2003;
        let at = 1001;
        let (clean_l, clean_r) = music(n, 11);
        let mut clean = (clean_l.clone(), clean_r.clone());
        Crossfeed::new(FS, CrossfeedSetting::Bs2bDefault).process(&mut clean.0, &mut clean.1);
        for fault in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e30, -2e6] {
            for right in [false, true] {
                let (mut l, mut r) = (clean_l.clone(), clean_r.clone());
                if right {
                    r[at] = fault;
                } else {
                    l[at] = fault;
                }
                let (in_l, in_r) = (l.clone(), r.clone());
                Crossfeed::new(FS, CrossfeedSetting::Bs2bDefault).process(&mut l, &mut r);
                // Before the fault: what the fault-free block gave (the vector path).
                assert_eq!(bits(&l[..at]), bits(&clean.0[..at]), "{fault} {right}");
                assert_eq!(bits(&r[..at]), bits(&clean.1[..at]), "{fault} {right}");
                // The fault frame passes unfiltered.
                assert_eq!(
                    (l[at].to_bits(), r[at].to_bits()),
                    (in_l[at].to_bits(), in_r[at].to_bits())
                );
                // After it: a freshly reset crossfeed on the same input.
                let (mut fl, mut fr) = (in_l[at + 1..].to_vec(), in_r[at + 1..].to_vec());
                let mut fresh = Crossfeed::new(FS, CrossfeedSetting::Bs2bDefault);
                fresh.process(&mut fl, &mut fr);
                assert_eq!(bits(&l[at + 1..]), bits(&fl), "{fault} {right}");
                assert_eq!(bits(&r[at + 1..]), bits(&fr), "{fault} {right}");
            }
        }
    }

    #[test]
    fn random_block_splits_give_the_same_output_as_whole_segments() {
        // Music, a fault, a decay into silence, music again; switched off and on again at
        // fixed frames (every run splits there, as a host applies settings between blocks).
        let n = 20_000;
        let (mut l, mut r) = music(n, 5);
        l[5000] = f32::NAN;
        for i in 8000..12_000 {
            (l[i], r[i]) = (0.0, 0.0);
        }
        let switches = [
            (14_000, CrossfeedSetting::Off),
            (17_000, CrossfeedSetting::JanMeier),
        ];
        let run = |blocks: &mut dyn FnMut(usize) -> usize| {
            let (mut l, mut r) = (l.clone(), r.clone());
            let mut xf = Crossfeed::new(FS, CrossfeedSetting::Bs2bDefault);
            let mut start = 0;
            while start < n {
                let next_switch = switches
                    .iter()
                    .map(|s| s.0)
                    .find(|&s| s > start)
                    .unwrap_or(n);
                let end = (start + blocks(start)).min(next_switch);
                xf.process(&mut l[start..end], &mut r[start..end]);
                if let Some(&(_, s)) = switches.iter().find(|s| s.0 == end) {
                    xf.set(s);
                }
                start = end;
            }
            (bits(&l), bits(&r))
        };
        let whole = run(&mut |_| n);
        let mut rng = SmallRng::seed_from_u64(9);
        for seed in 0..20 {
            let max = [1, 3, 64, 1100][seed % 4];
            let split = run(&mut |_| rng.gen_range(1..=max));
            assert!(
                split == whole,
                "split run {seed} (blocks up to {max}) differs"
            );
        }
    }
}
