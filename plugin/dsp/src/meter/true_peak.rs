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
//! every branch is a plain dot product over consecutive samples; a tile of [`TILE`] (16)
//! outputs is computed at once with all branches sharing the loaded samples, a shape the
//! compiler vectorises. Inside the AVX2 instantiation hand-written tiles (AVX2, or AVX-512F
//! where the CPU has it) replace the plain tile loop, which stays as their reference.

use super::{fmax, max_abs_clean, max_of_lanes, CHUNK};
use crate::sanitise::{sanitise_into, sanitise_rate_hz};
use crate::simd::{dispatch, mac, Isa, Kernel};

/// Which code computes the interpolator's tiles (the scalar tail is always plain).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tiles {
    /// The plain tile loop of [`interpolate`], in whatever instantiation runs it.
    Plain,
    /// Hand-written AVX2 + FMA tiles (`Isa::Avx2Fma` only).
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// Hand-written AVX-512F tiles (`Isa::Avx512` only).
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Tiles {
    /// The fastest tiles for `isa`.
    fn for_isa(isa: Isa) -> Self {
        match isa {
            Isa::Portable => Self::Plain,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => Self::Avx2,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => Self::Avx512,
        }
    }
}

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
        let fs = sanitise_rate_hz(sample_rate_hz);
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
    /// The chunk's samples, sanitised (see [`crate::sanitise::sanitise_sample`]).
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
    /// Which tile code runs (all give the same values within one `isa`).
    tiles: Tiles,
    mode: Oversampling,
    tables: &'static Tables,
    /// `hist[..HIST]` = the last HIST samples before the chunk, `hist[HIST..]` = the chunk.
    hist: [f32; HIST + CHUNK],
    /// Length of the chunk still in `hist[HIST..]`: history is shifted at the start of the
    /// next chunk, so the sanitised chunk stays available to the channel's other meters.
    unshifted: usize,
    /// Per-sample true peak of the last chunk: max(|x|, |interpolated values|) (linear).
    steps: [f32; CHUNK],
    /// Interpolated values of the last chunk, one row per non-trivial branch in time order.
    phases: [[f32; CHUNK]; P4],
    /// [sample max, per-sample peak max, interpolated max] of the last chunk (linear).
    last_maxima: [f32; 3],
    /// True when `phases` and `steps` hold the last chunk's values.
    last_stored: bool,
    /// Chunks whose interpolation was taken from a lead (tests check that reuse happens).
    #[cfg(test)]
    pub(crate) adopted_chunks: usize,
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
            tiles: Tiles::for_isa(isa),
            mode: Oversampling::for_rate(sample_rate_hz),
            tables: tables(),
            hist: [0.0; HIST + CHUNK],
            unshifted: 0,
            steps: [0.0; CHUNK],
            phases: [[0.0; CHUNK]; P4],
            last_maxima: [0.0; 3],
            last_stored: false,
            #[cfg(test)]
            adopted_chunks: 0,
            peak_lin: 0.0,
            max_lin: 0.0,
            overs: 0,
            in_over: false,
        }
    }

    /// Adopts `sample_rate_hz` (Hz) and clears all state and history.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        let tiles = self.tiles;
        *self = Self::with_isa(sample_rate_hz, self.isa);
        self.tiles = tiles;
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
                    self.0.process_chunk::<FMA>(chunk, f32::INFINITY, []);
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
    ///
    /// `leads`: other meters that have just metered their chunk of the same span. When one's
    /// chunk and the history before it are bit-identical to this meter's (same rate too), its
    /// interpolation is taken instead of computed again; the readings are exactly those of
    /// computing it.
    #[inline(always)]
    pub(crate) fn process_chunk<'l, const FMA: bool>(
        &mut self,
        x: &[f32],
        steps_above_lin: f32,
        leads: impl IntoIterator<Item = &'l TruePeakMeter>,
    ) -> ChunkPeaks<'_> {
        let n = x.len().min(CHUNK);
        let last = std::mem::replace(&mut self.unshifted, n);
        self.hist.copy_within(last..last + HIST, 0);
        if let Some(current) = self.hist.get_mut(HIST..HIST + n) {
            sanitise_into(current, x);
        }
        let lead = leads.into_iter().find(|l| self.same_chunk_as(l, n));
        #[cfg(test)]
        {
            self.adopted_chunks += usize::from(lead.is_some());
        }
        // First pass: maxima only, no stores. Per-sample values are needed only when the
        // chunk may hold an over or a new held peak; then a second pass stores them. Both
        // passes do the same arithmetic, so the values are the ones the maxima came from.
        let [sample_max, step_max, interp_max] = match lead {
            Some(l) => l.last_maxima,
            None => self.interpolate_chunk::<FMA, false>(n),
        };
        self.last_maxima = [sample_max, step_max, interp_max];
        let delay = self.mode.delay_samples();
        // The overs walk covers the delayed samples: the last `delay` of the previous chunk
        // and all but the last `delay` of this one.
        let carried = self.hist.get(HIST - delay..HIST).unwrap_or_default();
        let over_possible = fmax(fmax(interp_max, sample_max), max_abs_clean(carried)) > OVER_LIN;
        self.last_stored = over_possible || step_max > steps_above_lin;
        if self.last_stored {
            match lead {
                Some(l) if l.last_stored => {
                    for (mine, theirs) in self.phases.iter_mut().zip(&l.phases) {
                        mine[..n].copy_from_slice(&theirs[..n]);
                    }
                    self.steps[..n].copy_from_slice(&l.steps[..n]);
                }
                _ => {
                    self.interpolate_chunk::<FMA, true>(n);
                }
            }
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

    /// True when `lead` has just metered `n` samples that, with the history before them, are
    /// bit-identical to this meter's (already sanitised) chunk, at the same oversampling.
    #[inline(always)]
    fn same_chunk_as(&self, lead: &TruePeakMeter, n: usize) -> bool {
        let (Some(mine), Some(theirs)) = (self.hist.get(..HIST + n), lead.hist.get(..HIST + n))
        else {
            return false;
        };
        // The caller offers only leads whose chunk matched this one's at three probe samples
        // (`OutputMeter::process_group`), so the full compare rarely runs in vain.
        lead.mode == self.mode && lead.unshifted == n && n > 0 && bits_equal(mine, theirs)
    }

    /// Runs the interpolator over the `n` sanitised samples at `hist[HIST..]`; see
    /// [`interpolate`] for what is stored and returned.
    #[inline(always)]
    fn interpolate_chunk<const FMA: bool, const STORE: bool>(&mut self, n: usize) -> [f32; 3] {
        let Self {
            tiles: kind,
            mode,
            tables,
            hist,
            steps,
            phases,
            ..
        } = self;
        let cur = hist.get(HIST..HIST + n).unwrap_or_default();
        match mode {
            Oversampling::X4 => {
                let win = hist.get(HIST + 1 - T4..).unwrap_or_default();
                interpolate::<{ T4 / 2 }, true, FMA, STORE>(
                    *kind,
                    &tables.folded4,
                    win,
                    cur,
                    phases,
                    steps,
                )
            }
            Oversampling::X2 => {
                let win = hist.get(HIST + 1 - T2..).unwrap_or_default();
                interpolate::<{ T2 / 2 }, false, FMA, STORE>(
                    *kind,
                    &tables.folded2,
                    win,
                    cur,
                    phases,
                    steps,
                )
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

/// The interpolator's branches folded by their symmetry, which halves the multiply-adds:
/// the middle branch (½ sample at 4×, the only one at 2×) is symmetric, and at 4× the ¼ and
/// ¾ branches are mirror images, so both come from one sum and one difference:
/// with s_k = w[k] + w[T−1−k] and d_k = w[k] − w[T−1−k] (k < H = T/2),
/// ¼ = Σ sum_k·s_k + Σ diff_k·d_k, ¾ = Σ sum_k·s_k − Σ diff_k·d_k, ½ = Σ mid_k·s_k.
#[derive(Clone, Copy, Debug)]
struct Folded<const H: usize> {
    /// ½(a_k + a_{T−1−k}) of the ¼-sample branch a (4× only).
    sum: [f32; H],
    /// ½(a_k − a_{T−1−k}) of the ¼-sample branch a (4× only).
    diff: [f32; H],
    /// ½(b_k + b_{T−1−k}) of the symmetric middle branch b.
    mid: [f32; H],
}

impl<const H: usize> Folded<H> {
    /// Folds the `factor`× branches (4: three branches of 2H taps; 2: one of 2H taps).
    fn new(factor: usize) -> Self {
        let rows = branch_rows(factor, 2 * H);
        let mut f = Self {
            sum: [0.0; H],
            diff: [0.0; H],
            mid: [0.0; H],
        };
        let (outer, middle) = if factor == 4 {
            (Some(&rows[0]), &rows[1])
        } else {
            (None, &rows[0])
        };
        for k in 0..H {
            let mirror = 2 * H - 1 - k;
            f.mid[k] = (0.5 * (middle[k] + middle[mirror])) as f32;
            if let Some(a) = outer {
                f.sum[k] = (0.5 * (a[k] + a[mirror])) as f32;
                f.diff[k] = (0.5 * (a[k] - a[mirror])) as f32;
            }
        }
        f
    }

    /// Adds tap `k`'s pair of window samples (`a` = w[k], `b` = w[2H−1−k]) to the accumulators
    /// [sum part, difference part, middle branch]; `MIRROR` as in [`interpolate`]. The
    /// portable tiles and the scalar tail both go through here, so they cannot diverge.
    #[inline(always)]
    fn tap<const MIRROR: bool, const FMA: bool>(
        &self,
        k: usize,
        [p, q, m]: [f32; 3],
        a: f32,
        b: f32,
    ) -> [f32; 3] {
        let s = a + b;
        let m = mac::<FMA>(m, self.mid[k], s);
        if MIRROR {
            [
                mac::<FMA>(p, self.sum[k], s),
                mac::<FMA>(q, self.diff[k], a - b),
                m,
            ]
        } else {
            [p, q, m]
        }
    }

    /// The branch values from the accumulators: [¼, ½, ¾] with `MIRROR`, else [½, 0, 0].
    #[inline(always)]
    fn values<const MIRROR: bool>([p, q, m]: [f32; 3]) -> [f32; 3] {
        if MIRROR {
            [p + q, m, p - q]
        } else {
            [m, 0.0, 0.0]
        }
    }
}

/// Rows of [`interpolate`]'s values in use: 3 at 4× (`MIRROR`), 1 at 2×.
const fn rows_used(mirror: bool) -> usize {
    if mirror {
        P4
    } else {
        1
    }
}

/// True when `a` and `b` hold the same bit patterns (same length assumed; extra ignored).
#[inline(always)]
fn bits_equal(a: &[f32], b: &[f32]) -> bool {
    // OR of XORs over fixed lanes: branch-free, so the compiler vectorises it.
    let mut diff = [0u32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .fold(0, |d, (x, y)| d | (x.to_bits() ^ y.to_bits()));
    for (x, y) in ca.zip(cb) {
        for j in 0..8 {
            diff[j] |= x[j].to_bits() ^ y[j].to_bits();
        }
    }
    diff.iter().fold(tail, |d, &v| d | v) == 0
}

/// Interpolates one chunk with the folded branches of `f` over windows of 2H samples: the
/// branch values of output `i` come from `win[i..i + 2H]`; `cur` holds the chunk's
/// (undelayed) samples. `MIRROR`: the 4× set (rows ¼, ½, ¾), else the 2× one (row ½).
/// With `STORE`, writes branch values to `phases[row][i]` and the per-sample true peak
/// max(|cur[i]|, |branch values|) to `steps`. Returns [largest |cur|, largest per-sample
/// peak, largest |interpolated value|], identical with and without `STORE`. Every path
/// (the plain tiles, the AVX2 and AVX-512 tiles `kind` may pick inside the AVX2
/// instantiation, the scalar tail) does the same operations in the same order, so a sample
/// gets the same values whichever path meets it.
#[inline(always)]
fn interpolate<const H: usize, const MIRROR: bool, const FMA: bool, const STORE: bool>(
    kind: Tiles,
    f: &Folded<H>,
    win: &[f32],
    cur: &[f32],
    phases: &mut [[f32; CHUNK]; P4],
    steps: &mut [f32; CHUNK],
) -> [f32; 3] {
    let t = 2 * H;
    let n = cur.len().min(CHUNK);
    // Whole tiles only where every load stays inside `win` (it always does for a chunk).
    let tiles = n.min((win.len() + 1).saturating_sub(t)) / TILE;
    let (mut sample_max, mut interp_max) = (0.0f32, 0.0f32);
    let mut plain_tiles = tiles;
    #[cfg(target_arch = "x86_64")]
    if FMA && kind != Tiles::Plain {
        // SAFETY: `FMA` is only true inside the AVX2 + FMA and AVX-512 instantiations of
        // `simd::dispatch`, which run only on CPUs with AVX2 and FMA; `Tiles::Avx512` is only
        // chosen for `Isa::Avx512`, which `Isa::detect` produces only when the CPU also has
        // AVX-512F. The kernels assert that `tiles` keeps every access in bounds.
        (sample_max, interp_max) = unsafe {
            if kind == Tiles::Avx512 {
                tiles_avx512::<H, MIRROR, STORE>(f, win, cur, phases, steps, tiles)
            } else {
                tiles_avx2_fma::<H, MIRROR, STORE>(f, win, cur, phases, steps, tiles)
            }
        };
        plain_tiles = 0;
    }
    let mut sample_lanes = [0.0f32; TILE];
    let mut interp_lanes = [0.0f32; TILE];
    for tile in 0..plain_tiles {
        let i = tile * TILE;
        // Fixed-size views (first_chunk) let the compiler drop bounds checks, keep the
        // accumulators in registers and vectorise across the tile.
        let (Some(w), Some(c)) = (
            win.get(i..i + t - 1 + TILE),
            cur.get(i..).and_then(|s| s.first_chunk::<TILE>()),
        ) else {
            break;
        };
        let (mut p, mut q, mut m) = ([0.0f32; TILE], [0.0f32; TILE], [0.0f32; TILE]);
        for k in 0..H {
            let (Some(a), Some(b)) = (
                w.get(k..).and_then(|s| s.first_chunk::<TILE>()),
                w.get(t - 1 - k..).and_then(|s| s.first_chunk::<TILE>()),
            ) else {
                break;
            };
            for j in 0..TILE {
                [p[j], q[j], m[j]] = f.tap::<MIRROR, FMA>(k, [p[j], q[j], m[j]], a[j], b[j]);
            }
        }
        let mut rows = [[0.0f32; TILE]; P4];
        for j in 0..TILE {
            let v = Folded::<H>::values::<MIRROR>([p[j], q[j], m[j]]);
            for (row, v) in rows.iter_mut().zip(v) {
                row[j] = v;
            }
        }
        let used = rows_used(MIRROR);
        // The per-sample peak is only formed when stored: the largest one is simply
        // max(largest |sample|, largest |interpolated value|).
        for j in 0..TILE {
            sample_lanes[j] = fmax(sample_lanes[j], c[j].abs());
        }
        for r in rows.iter().take(used) {
            for j in 0..TILE {
                interp_lanes[j] = fmax(interp_lanes[j], r[j].abs());
            }
        }
        if STORE {
            let mut s = [0.0f32; TILE];
            for j in 0..TILE {
                s[j] = c[j].abs();
            }
            for (r, row) in rows.iter().zip(phases.iter_mut()).take(used) {
                for j in 0..TILE {
                    s[j] = fmax(s[j], r[j].abs());
                }
                if let Some(out) = row.get_mut(i..).and_then(|r| r.first_chunk_mut::<TILE>()) {
                    *out = *r;
                }
            }
            if let Some(out) = steps.get_mut(i..).and_then(|r| r.first_chunk_mut::<TILE>()) {
                *out = s;
            }
        }
    }
    if plain_tiles > 0 {
        sample_max = max_of_lanes(sample_max, sample_lanes);
        interp_max = max_of_lanes(interp_max, interp_lanes);
    }
    for i in tiles * TILE..n {
        let (Some(w), Some(&c)) = (win.get(i..i + t), cur.get(i)) else {
            break;
        };
        let mut acc = [0.0f32; 3];
        for k in 0..H {
            acc = f.tap::<MIRROR, FMA>(k, acc, w[k], w[t - 1 - k]);
        }
        let values = Folded::<H>::values::<MIRROR>(acc);
        let used = rows_used(MIRROR);
        let mut s = c.abs();
        sample_max = fmax(sample_max, s);
        for (&v, row) in values.iter().zip(phases.iter_mut()).take(used) {
            s = fmax(s, v.abs());
            interp_max = fmax(interp_max, v.abs());
            if let (true, Some(o)) = (STORE, row.get_mut(i)) {
                *o = v;
            }
        }
        if let (true, Some(o)) = (STORE, steps.get_mut(i)) {
            *o = s;
        }
    }
    [sample_max, fmax(sample_max, interp_max), interp_max]
}

/// Generates the explicit-SIMD tile kernels of [`interpolate`] for one register width: the
/// same operations in the same order as its plain tile loop in the AVX2 instantiation (fused
/// multiply-adds, as [`mac`] with FMA), so every width gives bit-identical values. Coefficients are broadcast
/// once per call; each tile loads the two mirrored windows per fold step.
macro_rules! tile_kernel {
    ($name:ident, $features:literal, $doc:literal, $lanes:literal, $v:ty,
     $load:ident, $store:ident, $set1:ident, $zero:ident, $add:ident, $sub:ident,
     $fmadd:ident, $max:ident, $abs:expr, $hmax:expr) => {
        #[doc = $doc]
        ///
        /// Returns (largest |sample|, largest |interpolated value|) over the tiles.
        ///
        /// # Safety
        /// The CPU must support the enabled features. (Bounds are asserted: `tiles * TILE`
        /// must not exceed `cur.len()`, `CHUNK`, nor `win.len() + 1 - 2H`.)
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        unsafe fn $name<const H: usize, const MIRROR: bool, const STORE: bool>(
            f: &Folded<H>,
            win: &[f32],
            cur: &[f32],
            phases: &mut [[f32; CHUNK]; P4],
            steps: &mut [f32; CHUNK],
            tiles: usize,
        ) -> (f32, f32) {
            use std::arch::x86_64::*;
            let t = 2 * H;
            // Every load and store below is in bounds because of this.
            assert!(tiles * TILE <= cur.len().min(CHUNK).min((win.len() + 1).saturating_sub(t)));
            let mut sum = [$zero(); H];
            let mut diff = [$zero(); H];
            let mut mid = [$zero(); H];
            for k in 0..H {
                sum[k] = $set1(f.sum[k]);
                diff[k] = $set1(f.diff[k]);
                mid[k] = $set1(f.mid[k]);
            }
            let (wp, cp) = (win.as_ptr(), cur.as_ptr());
            let mut sample_max = $zero();
            let mut interp_max = $zero();
            for i in (0..tiles * TILE).step_by($lanes) {
                let (mut p, mut q, mut m) = ($zero(), $zero(), $zero());
                for k in 0..H {
                    // SAFETY: i + t - 1 + lanes - 1 < tiles * TILE + t - 1 <= win.len()
                    // (asserted above); the loads are unaligned.
                    let (a, b): ($v, $v) =
                        unsafe { ($load(wp.add(i + k)), $load(wp.add(i + t - 1 - k))) };
                    let s = $add(a, b);
                    m = $fmadd(mid[k], s, m);
                    if MIRROR {
                        p = $fmadd(sum[k], s, p);
                        q = $fmadd(diff[k], $sub(a, b), q);
                    }
                }
                let rows = if MIRROR {
                    [$add(p, q), m, $sub(p, q)]
                } else {
                    [m, m, m]
                };
                let used = rows_used(MIRROR);
                // SAFETY: i + lanes <= tiles * TILE <= cur.len() (asserted above).
                let sample = $abs(unsafe { $load(cp.add(i)) });
                sample_max = $max(sample_max, sample);
                let mut step = sample;
                for (r, row) in rows.iter().zip(phases.iter_mut()).take(used) {
                    let a = $abs(*r);
                    interp_max = $max(interp_max, a);
                    if STORE {
                        step = $max(step, a);
                        // SAFETY: i + lanes <= tiles * TILE <= CHUNK = row.len() (asserted).
                        unsafe { $store(row.as_mut_ptr().add(i), *r) };
                    }
                }
                if STORE {
                    // SAFETY: i + lanes <= tiles * TILE <= CHUNK = steps.len() (asserted).
                    unsafe { $store(steps.as_mut_ptr().add(i), step) };
                }
            }
            ($hmax(sample_max), $hmax(interp_max))
        }
    };
}

tile_kernel!(
    tiles_avx2_fma,
    "avx2,fma",
    "The tiles of [`interpolate`] with AVX2 + FMA, eight outputs per register.",
    8,
    __m256,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_set1_ps,
    _mm256_setzero_ps,
    _mm256_add_ps,
    _mm256_sub_ps,
    _mm256_fmadd_ps,
    _mm256_max_ps,
    |v: __m256| _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff))),
    |v: __m256| {
        let m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)))
    }
);

tile_kernel!(
    tiles_avx512,
    "avx512f,avx2,fma",
    "The tiles of [`interpolate`] with AVX-512F, sixteen outputs per register.",
    16,
    __m512,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_set1_ps,
    _mm512_setzero_ps,
    _mm512_add_ps,
    _mm512_sub_ps,
    _mm512_fmadd_ps,
    _mm512_max_ps,
    |v: __m512| _mm512_abs_ps(v),
    |v: __m512| _mm512_reduce_max_ps(v)
);

/// The `P` non-trivial branches of the `factor`× interpolator as f64 rows of `taps` taps
/// (branch 0, the identity, is left out), oldest sample first, each with unity DC gain.
/// Rows past `factor − 1` and taps past `taps` are zero.
fn branch_rows(factor: usize, taps: usize) -> [[f64; T2]; P4] {
    let mut rows = [[0.0f64; T2]; P4];
    for (b, row) in rows.iter_mut().enumerate().take(factor - 1) {
        let phase = b + 1;
        for (k, tap) in row.iter_mut().enumerate().take(taps) {
            // Oldest sample first: tap k multiplies x[q - (taps - 1 - k)].
            *tap = prototype_tap(factor * (taps - 1 - k) + phase, factor);
        }
        let dc: f64 = row.iter().sum();
        row.iter_mut().for_each(|t| *t /= dc);
    }
    rows
}

/// The interpolators' coefficients, computed once per process (Bessel functions and sines are
/// too slow for a `reset()` on the audio thread).
#[derive(Debug)]
struct Tables {
    /// 4× branches folded (what the kernels use).
    folded4: Folded<{ T4 / 2 }>,
    /// 2× branch folded.
    folded2: Folded<{ T2 / 2 }>,
}

/// The shared [`Tables`]; the first call (from a constructor) computes them.
fn tables() -> &'static Tables {
    static TABLES: std::sync::OnceLock<Tables> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| Tables {
        folded4: Folded::new(4),
        folded2: Folded::new(2),
    })
}

/// The `P` non-trivial branches of the `factor`× interpolator (branch 0, the identity, is
/// left out), each with `T` taps ordered oldest sample first, normalised to unity DC gain:
/// the unfolded reference the tests check the kernels against.
#[cfg(test)]
fn branch_coeffs<const P: usize, const T: usize>(factor: usize) -> [[f32; T]; P] {
    let rows = branch_rows(factor, T);
    std::array::from_fn(|b| std::array::from_fn(|k| rows[b][k] as f32))
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
        let (rows, taps): (Vec<Vec<f32>>, usize) = match m.mode {
            Oversampling::X4 => (
                branch_coeffs::<P4, T4>(4)
                    .iter()
                    .map(|r| r.to_vec())
                    .collect(),
                T4,
            ),
            Oversampling::X2 => (
                branch_coeffs::<P2, T2>(2)
                    .iter()
                    .map(|r| r.to_vec())
                    .collect(),
                T2,
            ),
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
        for rate in [48_000.0, 96_000.0] {
            for isa in Isa::all_supported() {
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

    /// The hand-written tiles of `isa`'s instantiation give the plain tile loop's branch
    /// values, per-sample peaks and maxima bit for bit in that instantiation, at 4× and 2×
    /// (chunks of every tile count and tail length).
    fn hand_tiles_equal_plain_tiles(isa: Isa) {
        assert!(isa.supported(), "built for {isa:?} but the CPU lacks it");
        let kind = Tiles::for_isa(isa);
        assert_ne!(kind, Tiles::Plain);
        for rate in [48_000.0, 96_000.0] {
            let x = noise(4 * CHUNK, 1.3, 11);
            let mut pos = 0;
            let (mut hand, mut plain) = (
                TruePeakMeter::with_isa(rate, isa),
                TruePeakMeter::with_isa(rate, isa),
            );
            (hand.tiles, plain.tiles) = (kind, Tiles::Plain);
            for len in [CHUNK, 17, 1, 64, 95, CHUNK, 48] {
                let chunk = &x[pos..pos + len];
                pos += len;
                struct Stored<'a>(&'a mut TruePeakMeter, &'a [f32]);
                impl Kernel for Stored<'_> {
                    type Out = (f32, f32, Vec<u32>);
                    #[inline(always)]
                    fn run<const FMA: bool>(self) -> Self::Out {
                        let p = self.0.process_chunk::<FMA>(self.1, 0.0, []);
                        let steps = p.steps_lin.iter().map(|v| v.to_bits()).collect();
                        (p.step_max_lin, p.sample_max_lin, steps)
                    }
                }
                let a = dispatch(isa, Stored(&mut hand, chunk));
                let b = dispatch(isa, Stored(&mut plain, chunk));
                assert_eq!(a.0.to_bits(), b.0.to_bits(), "{rate} Hz, chunk of {len}");
                assert_eq!(a.1.to_bits(), b.1.to_bits());
                assert_eq!(a.2, b.2);
                let bits = |m: &TruePeakMeter| -> Vec<u32> {
                    m.phases
                        .iter()
                        .flat_map(|r| r[..len].iter().map(|v| v.to_bits()))
                        .collect()
                };
                assert_eq!(bits(&hand), bits(&plain));
            }
            assert_eq!(hand.read(), plain.read());
        }
    }

    #[test]
    #[cfg_attr(not(cuewire_has_avx2), ignore = "CPU lacks AVX2 + FMA")]
    fn avx2_kernel_tiles_equal_plain_tiles_bit_for_bit() {
        #[cfg(target_arch = "x86_64")]
        hand_tiles_equal_plain_tiles(Isa::Avx2Fma);
    }

    #[test]
    #[cfg_attr(not(cuewire_has_avx512), ignore = "CPU lacks AVX-512F")]
    fn avx512_kernel_tiles_equal_plain_tiles_bit_for_bit() {
        #[cfg(target_arch = "x86_64")]
        hand_tiles_equal_plain_tiles(Isa::Avx512);
    }

    /// The meter reads the same through the portable and the widest instantiation this CPU
    /// has (whatever the environment forces): peaks within 1e-6 relative, identical overs, on
    /// a signal with many overs.
    #[test]
    #[cfg_attr(not(cuewire_has_avx2), ignore = "CPU lacks AVX2 + FMA")]
    fn kernel_instantiations_agree_on_readings() {
        let widest = Isa::widest();
        assert_ne!(
            widest,
            Isa::Portable,
            "nothing to compare: the widest is the portable"
        );
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
        let best = read(widest);
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
