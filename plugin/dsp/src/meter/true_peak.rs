//! True peak per ITU-R BS.1770-4 Annex 2: oversample 4× below 96 kHz, 2× below 192 kHz, and
//! use the sample peak at 192 kHz and above.
//!
//! The interpolator is a 49-tap Kaiser-windowed sinc (β = 5.5) split into polyphase branches.
//! Its cut-off is the input Nyquist frequency and its centre lands on an input sample, so
//! branch 0 is exactly the (delayed) input sample and costs nothing; the other branches are
//! 12 taps each at 4× and 24 taps at 2×, each normalised to unity gain at DC. Branch gain
//! error is within about ±0.02 dB up to 16 kHz at 48 kHz (up to 40 kHz at 96 kHz); above
//! that the filter rolls off (−0.2 dB at 18 kHz, −1.6 dB at 20 kHz for the mid branch at
//! 48 kHz), as any interpolator this short must. The 48-tap example filter printed in
//! BS.1770-4 was not used: its four branches sit at odd eighths of a sample, so none is the
//! input itself; with this design the input samples are part of the interpolated sequence
//! (an over on a sample is an over) and the identity branch saves a quarter of the work.
//!
//! Speed: the input is copied into a contiguous history (23 past samples + one chunk) so
//! every branch is a plain dot product over consecutive samples; eight outputs are computed
//! at once with all branches sharing the loaded samples, a shape the compiler vectorises.

use super::{fmax, max_abs_clean, sanitize_into, sanitize_rate_hz, CHUNK};
use crate::simd::{dispatch, mac, Isa, Kernel};

/// Length of the interpolator's prototype low-pass (taps at the oversampled rate).
pub const TP_PROTOTYPE_TAPS: usize = 49;

/// Kaiser window β of the interpolator's prototype (sets its ripple and transition width).
pub const TP_KAISER_BETA: f64 = 5.5;

/// Index of the prototype's centre tap.
const CENTER: usize = (TP_PROTOTYPE_TAPS - 1) / 2;

/// Past input samples kept before each chunk: the longest branch (24 taps at 2×) minus one.
const HIST: usize = 23;

/// Outputs computed together in the vectorised kernel.
const TILE: usize = 16;

/// Taps per branch at 4× and the number of non-trivial branches.
const T4: usize = 12;
const P4: usize = 3;
/// Taps per branch at 2× and the number of non-trivial branches.
const T2: usize = 24;
const P2: usize = 1;

/// Interpolated values above this (linear, 0 dBTP) are overs.
const OVER_LIN: f32 = 1.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Oversampling {
    X4,
    X2,
    Off,
}

impl Oversampling {
    fn for_rate(sample_rate_hz: f32) -> Self {
        let fs = sanitize_rate_hz(sample_rate_hz);
        if fs < 96_000.0 {
            Self::X4
        } else if fs < 192_000.0 {
            Self::X2
        } else {
            Self::Off
        }
    }

    /// Input samples by which the interpolated values lag the input (prototype centre / factor).
    fn delay_samples(self) -> usize {
        match self {
            Self::X4 => CENTER / 4,
            Self::X2 => CENTER / 2,
            Self::Off => 0,
        }
    }

    /// Non-trivial polyphase branches (interpolated values per input sample).
    fn branches(self) -> usize {
        match self {
            Self::X4 => P4,
            Self::X2 => P2,
            Self::Off => 0,
        }
    }
}

/// What one chunk of the true-peak pass hands to the channel's other meters.
pub(crate) struct ChunkPeaks<'a> {
    /// The chunk's samples, sanitised (see [`super::sanitize_sample`]).
    pub(crate) clean: &'a [f32],
    /// Per-sample true peak: max(|x|, |interpolated values of that step|) (linear).
    pub(crate) steps_lin: &'a [f32],
    /// Largest of `steps_lin` (linear).
    pub(crate) step_max_lin: f32,
    /// Largest sanitised |x| of the chunk (linear).
    pub(crate) sample_max_lin: f32,
}

/// True-peak readings (see [`TruePeakMeter::read`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TruePeakReading {
    /// Largest true peak since the last read (linear; never below the sample peak).
    pub peak_lin: f32,
    /// Largest true peak since reset (linear).
    pub max_lin: f32,
    /// Overs since reset (count): runs of consecutive interpolated values above 1.0.
    pub overs: u32,
}

/// True-peak meter for one channel: peak since last read, highest since reset, overs.
///
/// The interpolated values lag the input by 6 samples at 4× (12 at 2×), the filter's group
/// delay. So that nothing is reported late, every reading also includes the undelayed sample
/// peak; only the inter-sample excess of the last few samples moves to the next read.
#[derive(Clone, Debug)]
pub struct TruePeakMeter {
    isa: Isa,
    mode: Oversampling,
    coeffs4: [[f32; T4]; P4],
    coeffs2: [[f32; T2]; P2],
    /// `hist[..HIST]` = the last HIST samples before the chunk, `hist[HIST..]` = the chunk.
    hist: [f32; HIST + CHUNK],
    /// Length of the chunk still in `hist[HIST..]`: history is shifted at the start of the
    /// next chunk, so the sanitised chunk stays available to the channel's other meters.
    unshifted: usize,
    /// Per-sample true peak of the last chunk: max(|x|, |interpolated values|) (linear).
    steps: [f32; CHUNK],
    /// Interpolated values of the last chunk, one row per non-trivial branch in time order.
    phases: [[f32; CHUNK]; P4],
    peak_lin: f32,
    max_lin: f32,
    overs: u32,
    in_over: bool,
}

impl TruePeakMeter {
    /// A meter at `sample_rate_hz` (Hz); the oversampling factor follows from the rate.
    pub fn new(sample_rate_hz: f32) -> Self {
        Self::with_isa(sample_rate_hz, Isa::detect())
    }

    /// A meter whose kernels run with `isa` (tests compare the instantiations).
    pub(crate) fn with_isa(sample_rate_hz: f32, isa: Isa) -> Self {
        Self {
            isa,
            mode: Oversampling::for_rate(sample_rate_hz),
            coeffs4: branch_coeffs::<P4, T4>(4),
            coeffs2: branch_coeffs::<P2, T2>(2),
            hist: [0.0; HIST + CHUNK],
            unshifted: 0,
            steps: [0.0; CHUNK],
            phases: [[0.0; CHUNK]; P4],
            peak_lin: 0.0,
            max_lin: 0.0,
            overs: 0,
            in_over: false,
        }
    }

    /// Adopts `sample_rate_hz` (Hz) and clears all state and history.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        *self = Self::new(sample_rate_hz);
    }

    /// Oversampling factor in use (4, 2 or 1).
    pub fn oversampling_factor(&self) -> u32 {
        match self.mode {
            Oversampling::X4 => 4,
            Oversampling::X2 => 2,
            Oversampling::Off => 1,
        }
    }

    /// Input samples (count) by which interpolated values lag the input: 6, 12 or 0.
    pub fn latency_samples(&self) -> usize {
        self.mode.delay_samples()
    }

    /// Meters a block of any length.
    pub fn process(&mut self, x: &[f32]) {
        /// The whole block through one instruction-set instantiation.
        struct Pass<'a>(&'a mut TruePeakMeter, &'a [f32]);
        impl Kernel for Pass<'_> {
            type Out = ();
            #[inline(always)]
            fn run<const FMA: bool>(self) {
                for chunk in self.1.chunks(CHUNK) {
                    // Nobody reads the per-sample peaks here, so they are never needed.
                    self.0.process_chunk::<FMA>(chunk, f32::INFINITY);
                }
            }
        }
        dispatch(self.isa, Pass(self, x));
    }

    /// The instruction set this meter's kernels run with (for its channel's other meters).
    pub(crate) fn isa(&self) -> Isa {
        self.isa
    }

    /// Meters up to [`CHUNK`] samples (the rest of a longer `x` is ignored) and returns what
    /// the other meters of the channel need from the same pass. The per-sample peaks
    /// (`steps_lin`) are only computed when the chunk's largest one exceeds `steps_above_lin`;
    /// otherwise their contents are stale and must not be read (the held peak, the only
    /// reader, passes its current value: nothing at or below it can take over).
    #[inline(always)]
    pub(crate) fn process_chunk<const FMA: bool>(
        &mut self,
        x: &[f32],
        steps_above_lin: f32,
    ) -> ChunkPeaks<'_> {
        let n = x.len().min(CHUNK);
        let last = std::mem::replace(&mut self.unshifted, n);
        self.hist.copy_within(last..last + HIST, 0);
        if let Some(current) = self.hist.get_mut(HIST..HIST + n) {
            sanitize_into(current, x);
        }
        // First pass: maxima only, no stores. Per-sample values are needed only when the
        // chunk may hold an over or a new held peak; then a second pass stores them. Both
        // passes do the same arithmetic, so the values are the ones the maxima came from.
        let [sample_max, step_max, interp_max] = self.interpolate_chunk::<FMA, false>(n);
        let delay = self.mode.delay_samples();
        // The overs walk covers the delayed samples: the last `delay` of the previous chunk
        // and all but the last `delay` of this one.
        let carried = self.hist.get(HIST - delay..HIST).unwrap_or_default();
        let over_possible = fmax(fmax(interp_max, sample_max), max_abs_clean(carried)) > OVER_LIN;
        if over_possible || step_max > steps_above_lin {
            self.interpolate_chunk::<FMA, true>(n);
        }

        if over_possible {
            let branches = self.mode.branches();
            let delayed = self
                .hist
                .get(HIST - delay..HIST - delay + n)
                .unwrap_or_default();
            let mut in_over = self.in_over;
            let mut events = 0u32;
            for (i, &d) in delayed.iter().enumerate() {
                let over = d.abs() > OVER_LIN;
                events += u32::from(over && !in_over);
                in_over = over;
                for row in self.phases.iter().take(branches) {
                    let over = row.get(i).is_some_and(|v| v.abs() > OVER_LIN);
                    events += u32::from(over && !in_over);
                    in_over = over;
                }
            }
            self.in_over = in_over;
            self.overs = self.overs.saturating_add(events);
        } else {
            // Nothing is over: any open run ends (an empty chunk changes nothing).
            self.in_over = self.in_over && n == 0;
        }

        self.peak_lin = fmax(self.peak_lin, step_max);
        self.max_lin = fmax(self.max_lin, step_max);
        ChunkPeaks {
            clean: self.hist.get(HIST..HIST + n).unwrap_or_default(),
            steps_lin: self.steps.get(..n).unwrap_or_default(),
            step_max_lin: step_max,
            sample_max_lin: sample_max,
        }
    }

    /// Runs the interpolator over the `n` sanitised samples at `hist[HIST..]`; see
    /// [`interpolate`] for what is stored and returned.
    #[inline(always)]
    fn interpolate_chunk<const FMA: bool, const STORE: bool>(&mut self, n: usize) -> [f32; 3] {
        let Self {
            mode,
            coeffs4,
            coeffs2,
            hist,
            steps,
            phases,
            ..
        } = self;
        let cur = hist.get(HIST..HIST + n).unwrap_or_default();
        match mode {
            Oversampling::X4 => {
                let win = hist.get(HIST + 1 - T4..).unwrap_or_default();
                interpolate::<P4, T4, FMA, STORE>(coeffs4, win, cur, phases, steps)
            }
            Oversampling::X2 => {
                let win = hist.get(HIST + 1 - T2..).unwrap_or_default();
                interpolate::<P2, T2, FMA, STORE>(coeffs2, win, cur, phases, steps)
            }
            Oversampling::Off => {
                if STORE {
                    for (s, &c) in steps.iter_mut().zip(cur) {
                        *s = c.abs();
                    }
                }
                let m = max_abs_clean(cur);
                [m, m, 0.0]
            }
        }
    }

    /// Readings; resets the since-last-read peak.
    pub fn read(&mut self) -> TruePeakReading {
        let r = TruePeakReading {
            peak_lin: self.peak_lin,
            max_lin: self.max_lin,
            overs: self.overs,
        };
        self.peak_lin = 0.0;
        r
    }

    /// Clears the peaks and the overs count; keeps the interpolator history so a reset in
    /// mid-programme cannot create a step (and a false overshoot).
    pub fn reset(&mut self) {
        self.peak_lin = 0.0;
        self.max_lin = 0.0;
        self.overs = 0;
    }
}

/// Interpolates one chunk with `P` branches of `T` taps: output `i` of branch `p` is the dot
/// product of `coeffs[p]` with `win[i..i + T]`; `cur` holds the chunk's (undelayed) samples.
/// With `STORE`, writes branch values to `phases[p][i]` and the per-sample true peak
/// max(|cur[i]|, |branch values|) to `steps`. Returns [largest |cur|, largest per-sample
/// peak, largest |interpolated value|], identical with and without `STORE`.
#[inline(always)]
fn interpolate<const P: usize, const T: usize, const FMA: bool, const STORE: bool>(
    coeffs: &[[f32; T]; P],
    win: &[f32],
    cur: &[f32],
    phases: &mut [[f32; CHUNK]; P4],
    steps: &mut [f32; CHUNK],
) -> [f32; 3] {
    let n = cur.len().min(CHUNK);
    // Whole tiles only where every load stays inside `win` (it always does for a chunk).
    let tiles = n.min((win.len() + 1).saturating_sub(T)) / TILE;
    let (mut sample_max, mut interp_max) = (0.0f32, 0.0f32);
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: `FMA` is only true inside `simd::run_avx2_fma`, which runs only on CPUs
        // with AVX2 and FMA; `tiles` keeps every access in bounds (see `tiles_avx2_fma`).
        (sample_max, interp_max) =
            unsafe { tiles_avx2_fma::<P, T, STORE>(coeffs, win, cur, phases, steps, tiles) };
    }
    let portable_tiles = if cfg!(target_arch = "x86_64") && FMA {
        0
    } else {
        tiles
    };
    let mut sample_lanes = [0.0f32; TILE];
    let mut interp_lanes = [0.0f32; TILE];
    for t in 0..portable_tiles {
        let i = t * TILE;
        // Fixed-size views (first_chunk) let the compiler drop bounds checks, keep the
        // accumulators in registers and vectorise across the tile; every loaded window
        // feeds all branches.
        let (Some(w), Some(c)) = (
            win.get(i..i + T - 1 + TILE),
            cur.get(i..).and_then(|s| s.first_chunk::<TILE>()),
        ) else {
            break;
        };
        let mut acc = [[0.0f32; TILE]; P];
        for k in 0..T {
            let Some(x) = w.get(k..).and_then(|s| s.first_chunk::<TILE>()) else {
                break;
            };
            for (a, cp) in acc.iter_mut().zip(coeffs) {
                let cf = cp[k];
                for j in 0..TILE {
                    a[j] = mac::<FMA>(a[j], cf, x[j]);
                }
            }
        }
        // The per-sample peak is only formed when stored: the largest one is simply
        // max(largest |sample|, largest |interpolated value|).
        for j in 0..TILE {
            sample_lanes[j] = fmax(sample_lanes[j], c[j].abs());
        }
        for a in &acc {
            for j in 0..TILE {
                interp_lanes[j] = fmax(interp_lanes[j], a[j].abs());
            }
        }
        if STORE {
            let mut s = [0.0f32; TILE];
            for j in 0..TILE {
                s[j] = c[j].abs();
            }
            for (a, row) in acc.iter().zip(phases.iter_mut()) {
                for j in 0..TILE {
                    s[j] = fmax(s[j], a[j].abs());
                }
                if let Some(out) = row.get_mut(i..).and_then(|r| r.first_chunk_mut::<TILE>()) {
                    *out = *a;
                }
            }
            if let Some(out) = steps.get_mut(i..).and_then(|r| r.first_chunk_mut::<TILE>()) {
                *out = s;
            }
        }
    }
    if portable_tiles > 0 {
        let fold = |init: f32, lanes: [f32; TILE]| lanes.iter().fold(init, |m, &v| fmax(m, v));
        sample_max = fold(sample_max, sample_lanes);
        interp_max = fold(interp_max, interp_lanes);
    }
    // The tail repeats the tile arithmetic exactly (same start, same tap order, same
    // multiply-add), so a sample gets the same values whichever path meets it.
    for i in tiles * TILE..n {
        let (Some(w), Some(&c)) = (win.get(i..i + T), cur.get(i)) else {
            break;
        };
        let mut s = c.abs();
        sample_max = fmax(sample_max, s);
        for (cp, row) in coeffs.iter().zip(phases.iter_mut()) {
            let mut a = 0.0f32;
            for (&cf, &x) in cp.iter().zip(w) {
                a = mac::<FMA>(a, cf, x);
            }
            s = fmax(s, a.abs());
            interp_max = fmax(interp_max, a.abs());
            if let (true, Some(o)) = (STORE, row.get_mut(i)) {
                *o = a;
            }
        }
        if let (true, Some(o)) = (STORE, steps.get_mut(i)) {
            *o = s;
        }
    }
    [sample_max, fmax(sample_max, interp_max), interp_max]
}

/// The tiles of [`interpolate`] with explicit AVX2 + FMA: the same arithmetic as its
/// portable loop with fused multiply-adds (the tail's `mul_add` gives identical values),
/// sixteen outputs per tile in two registers per branch, every loaded window shared by all
/// branches. Returns (largest |sample|, largest |interpolated value|) over the tiles.
///
/// # Safety
/// The CPU must support AVX2 and FMA, and `tiles * TILE` must not exceed `cur.len()`,
/// `CHUNK`, nor `win.len() + 1 - T`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn tiles_avx2_fma<const P: usize, const T: usize, const STORE: bool>(
    coeffs: &[[f32; T]; P],
    win: &[f32],
    cur: &[f32],
    phases: &mut [[f32; CHUNK]; P4],
    steps: &mut [f32; CHUNK],
    tiles: usize,
) -> (f32, f32) {
    use std::arch::x86_64::*;
    debug_assert!(tiles * TILE <= cur.len().min(CHUNK).min(win.len() + 1 - T));
    let abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff));
    let abs = |v: __m256| _mm256_and_ps(v, abs_mask);
    let (wp, cp) = (win.as_ptr(), cur.as_ptr());
    let mut sample_max = _mm256_setzero_ps();
    let mut interp_max = _mm256_setzero_ps();
    for t in 0..tiles {
        let i = t * TILE;
        let mut acc = [[_mm256_setzero_ps(); 2]; P];
        for k in 0..T {
            // In bounds: i + k + 15 < tiles * TILE + T - 1 <= win.len().
            let x0 = _mm256_loadu_ps(wp.add(i + k));
            let x1 = _mm256_loadu_ps(wp.add(i + k + 8));
            for (a, row) in acc.iter_mut().zip(coeffs) {
                let c = _mm256_set1_ps(row[k]);
                a[0] = _mm256_fmadd_ps(c, x0, a[0]);
                a[1] = _mm256_fmadd_ps(c, x1, a[1]);
            }
        }
        let s0 = abs(_mm256_loadu_ps(cp.add(i)));
        let s1 = abs(_mm256_loadu_ps(cp.add(i + 8)));
        sample_max = _mm256_max_ps(sample_max, _mm256_max_ps(s0, s1));
        let (mut p0, mut p1) = (s0, s1);
        for (a, row) in acc.iter().zip(phases.iter_mut()) {
            let (m0, m1) = (abs(a[0]), abs(a[1]));
            interp_max = _mm256_max_ps(interp_max, _mm256_max_ps(m0, m1));
            if STORE {
                p0 = _mm256_max_ps(p0, m0);
                p1 = _mm256_max_ps(p1, m1);
                _mm256_storeu_ps(row.as_mut_ptr().add(i), a[0]);
                _mm256_storeu_ps(row.as_mut_ptr().add(i + 8), a[1]);
            }
        }
        if STORE {
            _mm256_storeu_ps(steps.as_mut_ptr().add(i), p0);
            _mm256_storeu_ps(steps.as_mut_ptr().add(i + 8), p1);
        }
    }
    let horizontal_max = |v: __m256| {
        let m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)))
    };
    (horizontal_max(sample_max), horizontal_max(interp_max))
}

/// The `P` non-trivial branches of the `factor`× interpolator (branch 0, the identity, is
/// left out), each with `T` taps ordered oldest sample first, normalised to unity DC gain.
fn branch_coeffs<const P: usize, const T: usize>(factor: usize) -> [[f32; T]; P] {
    let mut out = [[0.0f32; T]; P];
    for (b, row) in out.iter_mut().enumerate() {
        let phase = b + 1;
        let mut taps = [0.0f64; T];
        for (k, tap) in taps.iter_mut().enumerate() {
            // Oldest sample first: tap k multiplies x[q - (T - 1 - k)].
            let j = factor * (T - 1 - k) + phase;
            *tap = prototype_tap(j, factor);
        }
        let dc: f64 = taps.iter().sum();
        for (o, t) in row.iter_mut().zip(taps) {
            *o = (t / dc) as f32;
        }
    }
    out
}

/// Tap `j` of the prototype: a Kaiser-windowed sinc with cut-off at the input Nyquist rate.
fn prototype_tap(j: usize, factor: usize) -> f64 {
    use std::f64::consts::PI;
    let m = j as f64 - CENTER as f64;
    let x = m / factor as f64;
    let sinc = if x == 0.0 {
        1.0
    } else {
        (PI * x).sin() / (PI * x)
    };
    let r = m / CENTER as f64;
    let window =
        bessel_i0(TP_KAISER_BETA * (1.0 - r * r).max(0.0).sqrt()) / bessel_i0(TP_KAISER_BETA);
    sinc * window
}

/// Modified Bessel function of the first kind, order 0 (power series; converged for β ≤ 20).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    for k in 1..60 {
        term *= x / (2.0 * k as f64);
        sum += term * term;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branches_have_unity_dc_gain_and_symmetry() {
        let c4 = branch_coeffs::<P4, T4>(4);
        for row in &c4 {
            let s: f32 = row.iter().sum();
            assert!((s - 1.0).abs() < 1e-6);
        }
        // Branch 1 (¼) and branch 3 (¾) are mirror images; branch 2 (½) is symmetric.
        for k in 0..T4 {
            assert!((c4[0][k] - c4[2][T4 - 1 - k]).abs() < 1e-7);
            assert!((c4[1][k] - c4[1][T4 - 1 - k]).abs() < 1e-7);
        }
        let c2 = branch_coeffs::<P2, T2>(2);
        for k in 0..T2 {
            assert!((c2[0][k] - c2[0][T2 - 1 - k]).abs() < 1e-7);
        }
    }

    /// Uniform noise in ±`amp` from a fixed-seed LCG (the crate has no rand dependency).
    fn noise(n: usize, amp: f32, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                amp * ((state >> 8) as f32 / (1u32 << 23) as f32 - 1.0)
            })
            .collect()
    }

    /// The branch values of the chunk at `hist[HIST..HIST + n]` in f64, straight from the
    /// definition: the reference the kernels must match.
    fn reference_branches(m: &TruePeakMeter, n: usize) -> Vec<Vec<f64>> {
        let (rows, taps): (Vec<&[f32]>, usize) = match m.mode {
            Oversampling::X4 => (m.coeffs4.iter().map(|r| &r[..]).collect(), T4),
            Oversampling::X2 => (m.coeffs2.iter().map(|r| &r[..]).collect(), T2),
            Oversampling::Off => (Vec::new(), 0),
        };
        let start = HIST + 1 - taps;
        rows.iter()
            .map(|c| {
                (0..n)
                    .map(|i| {
                        let w = &m.hist[start + i..start + i + taps];
                        c.iter()
                            .zip(w)
                            .map(|(&c, &x)| f64::from(c) * f64::from(x))
                            .sum()
                    })
                    .collect()
            })
            .collect()
    }

    /// Every instantiation of the kernel, stored or maxima-only, matches the f64 reference
    /// to 1e-6 of full scale, and the maxima-only pass returns exactly the stored pass's maxima.
    #[test]
    fn kernels_match_reference_on_random_input() {
        let mut isas = vec![Isa::Portable];
        if Isa::detect() != Isa::Portable {
            isas.push(Isa::detect());
        }
        for rate in [48_000.0, 96_000.0] {
            for &isa in &isas {
                let mut m = TruePeakMeter::with_isa(rate, isa);
                let x = noise(4 * CHUNK + 37, 1.2, 7);
                let mut pos = 0;
                for (k, len) in [CHUNK, 1, 7, 16, 33, CHUNK, 100, CHUNK]
                    .into_iter()
                    .enumerate()
                {
                    let chunk = &x[pos..pos + len];
                    pos += len;
                    m.hist[HIST..HIST + len].copy_from_slice(chunk);
                    struct Both<'a>(&'a mut TruePeakMeter, usize);
                    impl Kernel for Both<'_> {
                        type Out = ([f32; 3], [f32; 3]);
                        #[inline(always)]
                        fn run<const FMA: bool>(self) -> Self::Out {
                            let fast = self.0.interpolate_chunk::<FMA, false>(self.1);
                            (fast, self.0.interpolate_chunk::<FMA, true>(self.1))
                        }
                    }
                    let (fast, stored) = dispatch(isa, Both(&mut m, len));
                    assert_eq!(fast, stored, "{isa:?} chunk {k}");
                    let reference = reference_branches(&m, len);
                    let mut interp_max = 0.0f64;
                    for (row, values) in reference.iter().enumerate() {
                        for (i, &r) in values.iter().enumerate() {
                            let got = f64::from(m.phases[row][i]);
                            assert!(
                                (got - r).abs() < 1e-6,
                                "{isa:?} {rate} {row} {i}: {got} vs {r}"
                            );
                            interp_max = interp_max.max(r.abs());
                        }
                    }
                    assert!((f64::from(stored[2]) - interp_max).abs() < 1e-6);
                    m.hist.copy_within(len..len + HIST, 0);
                }
            }
        }
    }

    /// The meter reads the same through every instantiation: peaks within 1e-6 relative,
    /// identical overs, on a signal with many overs.
    #[test]
    fn instantiations_agree_on_readings() {
        let x = noise(48_000, 1.1, 3);
        let read = |isa: Isa| {
            let mut m = TruePeakMeter::with_isa(48_000.0, isa);
            let mut peaks = Vec::new();
            for block in x.chunks(61) {
                m.process(block);
                peaks.push(m.read());
            }
            peaks
        };
        let portable = read(Isa::Portable);
        let best = read(Isa::detect());
        assert!(portable.last().is_some_and(|r| r.overs > 100));
        for (a, b) in portable.iter().zip(&best) {
            assert!((a.peak_lin - b.peak_lin).abs() <= 1e-6 * a.peak_lin);
            assert!((a.max_lin - b.max_lin).abs() <= 1e-6 * a.max_lin);
            assert_eq!(a.overs, b.overs);
        }
    }

    #[test]
    fn factor_follows_rate() {
        assert_eq!(TruePeakMeter::new(44_100.0).oversampling_factor(), 4);
        assert_eq!(TruePeakMeter::new(95_999.0).oversampling_factor(), 4);
        assert_eq!(TruePeakMeter::new(96_000.0).oversampling_factor(), 2);
        assert_eq!(TruePeakMeter::new(176_400.0).oversampling_factor(), 2);
        assert_eq!(TruePeakMeter::new(192_000.0).oversampling_factor(), 1);
        assert_eq!(TruePeakMeter::new(384_000.0).oversampling_factor(), 1);
    }
}
