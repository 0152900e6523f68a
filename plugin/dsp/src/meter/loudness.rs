//! Loudness of one stereo output per ITU-R BS.1770-4 and EBU R 128: momentary (400 ms),
//! short-term (3 s), integrated (gated), loudness range (EBU Tech 3342) and the maxima of
//! momentary and short-term loudness since reset.
//!
//! Signal path: each channel is K-weighted (BS.1770-4's high-shelf pre-filter, then its RLB
//! high-pass), squared, and the two squares are added (channel weights 1.0). The sums are
//! collected per 10 ms step; a ring of the last 300 step sums gives the momentary (last 40
//! steps) and short-term (all 300) windows, refreshed every 10 ms, so a maximum is found to
//! within 10 ms of where it lies (EBU Tech 3341 cases 10 and 13 place tones on a 20 ms grid).
//! Every 10th step (100 ms) the momentary window is a BS.1770 gating block (400 ms, 75 %
//! overlap) and the short-term window a Tech 3342 loudness-range sample (10 Hz).
//!
//! Integrated loudness and loudness range keep their blocks in fixed memory for any duration:
//! a histogram from the absolute gate (−70 LUFS) to +10 LUFS in 0.01 LU bins, each bin
//! holding its block count and the exact sum of its block energies. Means over the blocks
//! above a gate are therefore exact sums (only the one bin the relative threshold falls in is
//! taken or left whole, by its mean), and a percentile is the mean energy of the bin it falls
//! in (within 0.01 LU of the block it names). Every bin also belongs to a 1 LU group with its
//! own totals, so a query reads at most two groups' bins and the group totals.
//!
//! Precision: the K-weighting runs in f32. The high-pass has a near-double pole at radius
//! 0.995 near DC at 48 kHz (closer at higher rates): its direct-form coefficients (−2p, p²)
//! stored as f32 would move that pole by about 2e-4, a tenth of its distance from DC, and
//! shift the response near 38 Hz by tenths of a dB. So the high-pass runs as two one-pole
//! sections (1 − z⁻¹)/(1 − p·z⁻¹) ([`KWeighting`]), whose one coefficient p = √a2 f32 holds to
//! 6e-8. The published poles are a pair only 2e-4 off the real axis (Q = 0.5003); one double
//! pole at their radius (Q = 0.5) is within 0.011 dB of the published response at 5 Hz,
//! 0.005 dB at 20 Hz and 0.0011 dB from 40 Hz up. Readings match the f64 `ebur128` crate
//! within 2e-4 LU. Channels sit side by side in f32 lanes, so the engine weighs all its
//! outputs with one vector operation per step of the filter. Squares are summed per channel in
//! sample order over each 10 ms step (f32, below 3e-5 relative) and then kept in f64, so any
//! block split gives the same step sums.

use super::lanes::{frames_of_lanes, SPAN_FRAMES};
use crate::sanitise::sanitise_rate_hz;
use crate::simd::{dispatch, mac, Isa, Kernel};
use crate::units::SILENCE_DB;

/// High-shelf prototype centre frequency (Hz) behind the BS.1770-4 48 kHz table (as
/// published with libebur128, which derives every rate from it).
pub const SHELF_F0_HZ: f64 = 1_681.974_450_955_533;
/// High-shelf prototype high-frequency gain (dB).
pub const SHELF_GAIN_DB: f64 = 3.999_843_853_973_347;
/// High-shelf prototype quality factor.
pub const SHELF_Q: f64 = 0.707_175_236_955_419_6;
/// Exponent of the shelf's high-frequency gain that gives its mid-band numerator term
/// (`Vb = Vh^x`), fitted with the other prototype values to the 48 kHz table.
pub const SHELF_VB_EXPONENT: f64 = 0.499_666_774_154_541_6;
/// RLB high-pass prototype corner frequency (Hz).
pub const HIGH_PASS_F0_HZ: f64 = 38.135_470_876_024_44;
/// RLB high-pass prototype quality factor.
pub const HIGH_PASS_Q: f64 = 0.500_327_037_323_877_3;

/// BS.1770 loudness offset (dB): 10·log10 of the channel-weighted mean square, plus this, is
/// the loudness in LUFS.
pub const LOUDNESS_OFFSET_DB: f64 = -0.691;
/// Absolute gate (LUFS) of integrated loudness and loudness range.
pub const ABSOLUTE_GATE_LUFS: f64 = -70.0;
/// Relative gate (LU below the absolute-gated level) of integrated loudness (BS.1770-4).
pub const INTEGRATED_RELATIVE_GATE_LU: f64 = -10.0;
/// Relative gate (LU below the absolute-gated level) of loudness range (EBU Tech 3342).
pub const LRA_RELATIVE_GATE_LU: f64 = -20.0;
/// Lower percentile (%) of the loudness range (EBU Tech 3342).
pub const LRA_LOW_PERCENTILE: f64 = 10.0;
/// Upper percentile (%) of the loudness range (EBU Tech 3342).
pub const LRA_HIGH_PERCENTILE: f64 = 95.0;
/// What a loudness reading (LUFS) shows for silence or "nothing measured yet".
pub const LOUDNESS_FLOOR_LUFS: f32 = SILENCE_DB;

/// Step length in ms: windows advance, and readings refresh, once per step.
pub const STEP_MS: f64 = 10.0;
/// Steps in the momentary window (400 ms).
pub const MOMENTARY_STEPS: usize = 40;
/// Steps in the short-term window (3 s).
pub const SHORT_TERM_STEPS: usize = 300;
/// Steps between gating blocks and between loudness-range samples (100 ms).
pub const BLOCK_EVERY_STEPS: usize = 10;

/// Histogram bins per LU (bin width 0.01 LU).
const BINS_PER_LU: f64 = 100.0;
/// Top of the histogram (LUFS): louder blocks share the top bin (their energies still sum
/// exactly). A full-scale stereo square wave reads about +3.7 LUFS.
const HISTOGRAM_TOP_LUFS: f64 = 10.0;
/// Histogram bins from the absolute gate to the top.
const BINS: usize = ((HISTOGRAM_TOP_LUFS - ABSOLUTE_GATE_LUFS) * BINS_PER_LU) as usize;
/// Bins per group (1 LU).
const GROUP_BINS: usize = 100;
/// Groups in the histogram.
const GROUPS: usize = BINS / GROUP_BINS;

/// Independent partial sums for the window sums (not one long add chain).
const LANES: usize = 8;

/// Steps per group of the step ring: each group keeps the sum of its steps, so a step
/// re-adds its own group and the group sums rather than the whole ring.
const RING_GROUP_STEPS: usize = 10;
/// Groups in the step ring.
const RING_GROUPS: usize = SHORT_TERM_STEPS / RING_GROUP_STEPS;
const _: () = assert!(SHORT_TERM_STEPS.is_multiple_of(RING_GROUP_STEPS));
const _: () = assert!(MOMENTARY_STEPS.is_multiple_of(RING_GROUP_STEPS));

/// Filter state below this magnitude is flushed to zero at step ends: a decaying recursion
/// would otherwise reach subnormal f32 numbers (slow on x86) within a second of silence.
/// Values this small carry no measurable energy (−300 dBFS; a step's decay keeps the state
/// and its squares normal until the next flush).
const FLUSH_BELOW: f32 = 1.0e-15;

/// One second-order section `(b0 + b1·z⁻¹ + b2·z⁻²) / (a0 + a1·z⁻¹ + a2·z⁻²)`, `a0 = 1`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Biquad {
    /// Numerator coefficients b0, b1, b2.
    pub b: [f64; 3],
    /// Denominator coefficients a0 (= 1), a1, a2.
    pub a: [f64; 3],
}

/// The K-weighting sections at `sample_rate_hz` (Hz): the high-shelf pre-filter, then the RLB
/// high-pass, each the bilinear transform (prewarped at its own f0) of the analog prototype
/// behind the BS.1770-4 48 kHz table, which they reproduce at 48 kHz. As in that table the
/// high-pass numerator stays `[1, −2, 1]`, so its pass-band gain is `1 + K/Q + K²`
/// (`K = tan(π·f0/fs)`): +0.043 dB at 48 kHz, +0.022 dB at 96 kHz. Corner frequencies are kept
/// below 0.45·fs, which only matters below 3.7 kHz, where K-weighting has no meaning anyway.
pub fn k_weighting(sample_rate_hz: f32) -> [Biquad; 2] {
    let fs = f64::from(sanitise_rate_hz(sample_rate_hz));
    let tan_of = |f0: f64| (std::f64::consts::PI * f0.min(0.45 * fs) / fs).tan();

    let k = tan_of(SHELF_F0_HZ);
    let vh = 10f64.powf(SHELF_GAIN_DB / 20.0);
    let vb = vh.powf(SHELF_VB_EXPONENT);
    let kq = k / SHELF_Q;
    let a0 = 1.0 + kq + k * k;
    let shelf = Biquad {
        b: [
            (vh + vb * kq + k * k) / a0,
            2.0 * (k * k - vh) / a0,
            (vh - vb * kq + k * k) / a0,
        ],
        a: [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - kq + k * k) / a0],
    };

    let k = tan_of(HIGH_PASS_F0_HZ);
    let kq = k / HIGH_PASS_Q;
    let a0 = 1.0 + kq + k * k;
    let high_pass = Biquad {
        b: [1.0, -2.0, 1.0],
        a: [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - kq + k * k) / a0],
    };
    [shelf, high_pass]
}

/// Loudness in LUFS of a channel-weighted mean square (floor for zero or less).
#[inline]
fn energy_to_lufs(energy: f64) -> f64 {
    if energy > 0.0 {
        LOUDNESS_OFFSET_DB + 10.0 * energy.log10()
    } else {
        f64::from(LOUDNESS_FLOOR_LUFS)
    }
}

/// Channel-weighted mean square of a loudness in LUFS.
#[inline]
fn lufs_to_energy(lufs: f64) -> f64 {
    10f64.powf((lufs - LOUDNESS_OFFSET_DB) / 10.0)
}

/// The loudness (LUFS) of a channel-weighted mean square as a reading: f32, never below
/// [`LOUDNESS_FLOOR_LUFS`]. Worked in f32, whose logarithm is several times cheaper than
/// f64's and is exact to about 1e-6 LU here (reads convert up to a dozen values each).
#[inline]
fn reading_lufs(energy: f64) -> f32 {
    let e = energy as f32;
    if e > 0.0 {
        (LOUDNESS_OFFSET_DB as f32 + 10.0 * e.log10()).max(LOUDNESS_FLOOR_LUFS)
    } else {
        LOUDNESS_FLOOR_LUFS
    }
}

/// Readings of one loudness meter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoudnessReading {
    /// Momentary loudness (LUFS): the last 400 ms, ungated.
    pub momentary_lufs: f32,
    /// Short-term loudness (LUFS): the last 3 s, ungated.
    pub short_term_lufs: f32,
    /// Integrated loudness since reset (LUFS), gated; the floor until a block passes the gates.
    pub integrated_lufs: f32,
    /// Loudness range since reset (LU, EBU Tech 3342); 0 until short-term values pass the gates.
    pub loudness_range_lu: f32,
    /// Highest momentary loudness since reset (LUFS).
    pub max_momentary_lufs: f32,
    /// Highest short-term loudness since reset (LUFS).
    pub max_short_term_lufs: f32,
}

impl Default for LoudnessReading {
    fn default() -> Self {
        Self {
            momentary_lufs: LOUDNESS_FLOOR_LUFS,
            short_term_lufs: LOUDNESS_FLOOR_LUFS,
            integrated_lufs: LOUDNESS_FLOOR_LUFS,
            loudness_range_lu: 0.0,
            max_momentary_lufs: LOUDNESS_FLOOR_LUFS,
            max_short_term_lufs: LOUDNESS_FLOOR_LUFS,
        }
    }
}

/// Peak-to-loudness ratio (LU): the highest true peak (dBTP) minus the integrated loudness
/// of `reading`; `None` while either is not measured yet (at the floor or not finite).
pub fn plr_lu(max_true_peak_dbtp: f32, reading: &LoudnessReading) -> Option<f32> {
    let measured = |v: f32| v.is_finite() && v > LOUDNESS_FLOOR_LUFS;
    (measured(max_true_peak_dbtp) && measured(reading.integrated_lufs))
        .then_some(max_true_peak_dbtp - reading.integrated_lufs)
}

/// BS.1770-4's K-weighting (see [`k_weighting`]) of `L` channels side by side, one per f32
/// lane: the shelf is a direct-form-I biquad; the high-pass runs as two one-pole high-passes
/// (1 − z⁻¹)/(1 − p·z⁻¹) with p = √a2. Its published poles are a pair only 2e-4 off the real
/// axis (Q = 0.5003), so one double pole at their radius (Q = 0.5) is within 0.011 dB of the
/// published response at 5 Hz, 0.005 dB at 20 Hz and 0.0011 dB from 40 Hz up (at 48 kHz).
/// One-pole sections keep f32 precise next to DC (their coefficient is p itself, not −2p and p²)
/// and every recursion is a single multiply-add on its own previous output, so the CPU
/// overlaps successive frames and sections.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KWeighting<const L: usize> {
    /// Shelf numerator b0, b1, b2.
    pub(super) shelf_b: [f32; 3],
    /// Shelf recursive coefficients, negated: `[−a1, −a2]`.
    pub(super) shelf_neg_a: [f32; 2],
    /// The high-pass's double pole.
    pub(super) hp_pole: f32,
    /// Input of frames n−1 and n−2.
    pub(super) x: [[f32; L]; 2],
    /// Shelf output of frames n−1 and n−2.
    pub(super) v: [[f32; L]; 2],
    /// Output of the first and the second high-pass section (the K-weighted signal) at
    /// frame n−1.
    pub(super) hp: [[f32; L]; 2],
}

impl<const L: usize> KWeighting<L> {
    /// A silent filter at `sample_rate_hz` (Hz).
    pub(crate) fn new(sample_rate_hz: f32) -> Self {
        let [shelf, high_pass] = k_weighting(sample_rate_hz);
        Self {
            shelf_b: shelf.b.map(|b| b as f32),
            shelf_neg_a: [-shelf.a[1] as f32, -shelf.a[2] as f32],
            hp_pole: high_pass.a[2].max(0.0).sqrt() as f32,
            x: [[0.0; L]; 2],
            v: [[0.0; L]; 2],
            hp: [[0.0; L]; 2],
        }
    }

    /// Adds the squared K-weighted samples of `frames` (frames of lanes, sanitised) to
    /// `sums`, lane by lane in sample order.
    #[inline(always)]
    pub(crate) fn accumulate_squares<const FMA: bool>(
        &mut self,
        frames: &[[f32; L]],
        sums: &mut [f32; L],
    ) {
        let [b0, b1, b2] = self.shelf_b;
        let [s1, s2] = self.shelf_neg_a;
        let p = self.hp_pole;
        // Local copies keep the state in registers (no stores per frame).
        let ([mut x1, mut x2], [mut v1, mut v2], [mut h1, mut y1]) = (self.x, self.v, self.hp);
        let mut acc = *sums;
        for x0 in frames {
            let mut v0 = [0.0f32; L];
            let mut h0 = [0.0f32; L];
            let mut y0 = [0.0f32; L];
            for j in 0..L {
                let u = mac::<FMA>(mac::<FMA>(b0 * x0[j], b1, x1[j]), b2, x2[j]);
                v0[j] = mac::<FMA>(mac::<FMA>(u, s2, v2[j]), s1, v1[j]);
                h0[j] = mac::<FMA>(v0[j] - v1[j], p, h1[j]);
                y0[j] = mac::<FMA>(h0[j] - h1[j], p, y1[j]);
                acc[j] = mac::<FMA>(acc[j], y0[j], y0[j]);
            }
            (x2, x1, v2, v1, h1, y1) = (x1, *x0, v1, v0, h0, y0);
        }
        (self.x, self.v, self.hp) = ([x1, x2], [v1, v2], [h1, y1]);
        *sums = acc;
    }

    /// Zeroes recursion state too small to matter before it turns subnormal.
    fn flush_tiny(&mut self) {
        for s in self.v.iter_mut().chain(&mut self.hp).flatten() {
            if s.abs() < FLUSH_BELOW {
                *s = 0.0;
            }
        }
    }
}

/// The K-weighted energy of `L` channels in 10 ms steps: the input of the loudness meters.
/// Steps are counted in samples from the start, so any block split closes them at the same
/// positions with bit-identical sums.
#[derive(Clone, Debug)]
pub(crate) struct KWeightedSteps<const L: usize> {
    pub(super) filter: KWeighting<L>,
    pub(super) step_samples: usize,
    pub(super) pos_in_step: usize,
    /// Sums of squared K-weighted samples in the current step, in sample order (f32: the
    /// relative error over a step's 480 squares stays below 3e-5, a thousandth of a dB).
    pub(super) sums: [f32; L],
}

impl<const L: usize> KWeightedSteps<L> {
    /// Steps of [`STEP_MS`] (rounded to whole samples, at least one) at `sample_rate_hz`.
    pub(crate) fn new(sample_rate_hz: f32) -> Self {
        let fs = sanitise_rate_hz(sample_rate_hz);
        Self {
            filter: KWeighting::new(fs),
            step_samples: ((f64::from(fs) * STEP_MS * 0.001).round() as usize).max(1),
            pos_in_step: 0,
            sums: [0.0; L],
        }
    }

    /// Frames of an `n`-frame block that fit in the current step.
    pub(crate) fn span_of(&self, n: usize) -> usize {
        (self.step_samples - self.pos_in_step).min(n)
    }

    /// Takes `frames` (frames of lanes, sanitised; at most [`Self::span_of`] of them);
    /// returns the step's sums when they complete it.
    #[inline(always)]
    pub(crate) fn feed<const FMA: bool>(&mut self, frames: &[[f32; L]]) -> Option<[f64; L]> {
        self.filter
            .accumulate_squares::<FMA>(frames, &mut self.sums);
        self.advance(frames.len())
    }

    /// Moves the step on by `n` frames whose squares are already in `sums` (at most
    /// [`Self::span_of`] of them); returns the step's sums when they complete it.
    pub(super) fn advance(&mut self, n: usize) -> Option<[f64; L]> {
        self.pos_in_step += n;
        (self.pos_in_step >= self.step_samples).then(|| {
            self.pos_in_step = 0;
            self.filter.flush_tiny();
            std::mem::replace(&mut self.sums, [0.0; L]).map(f64::from)
        })
    }
}

/// Block energies above the absolute gate, binned by loudness, with exact energy sums.
#[derive(Clone, Debug)]
struct BlockHistogram {
    counts: Box<[u32]>,
    energies: Box<[f64]>,
    group_counts: [u32; GROUPS],
    group_energies: [f64; GROUPS],
    total_count: u64,
    total_energy: f64,
}

impl BlockHistogram {
    /// An empty histogram (allocates its bins).
    fn new() -> Self {
        Self {
            counts: vec![0; BINS].into_boxed_slice(),
            energies: vec![0.0; BINS].into_boxed_slice(),
            group_counts: [0; GROUPS],
            group_energies: [0.0; GROUPS],
            total_count: 0,
            total_energy: 0.0,
        }
    }

    /// Forgets every block (no allocation).
    fn clear(&mut self) {
        self.counts.fill(0);
        self.energies.fill(0.0);
        self.group_counts = [0; GROUPS];
        self.group_energies = [0.0; GROUPS];
        self.total_count = 0;
        self.total_energy = 0.0;
    }

    /// The bin of an energy at or above the absolute gate (clamped into the histogram).
    fn bin_of(energy: f64) -> usize {
        let pos = (energy_to_lufs(energy) - ABSOLUTE_GATE_LUFS) * BINS_PER_LU;
        // `as` saturates: negative positions (rounding at the gate itself) land in bin 0.
        (pos.floor() as usize).min(BINS - 1)
    }

    /// Adds a block; blocks below the absolute gate are not kept.
    fn add(&mut self, energy: f64) {
        if energy.is_nan() || energy < lufs_to_energy(ABSOLUTE_GATE_LUFS) {
            return;
        }
        let bin = Self::bin_of(energy);
        let (Some(c), Some(e)) = (self.counts.get_mut(bin), self.energies.get_mut(bin)) else {
            return;
        };
        *c = c.saturating_add(1);
        *e += energy;
        let g = bin / GROUP_BINS;
        if let (Some(c), Some(e)) = (self.group_counts.get_mut(g), self.group_energies.get_mut(g)) {
            *c = c.saturating_add(1);
            *e += energy;
        }
        self.total_count += 1;
        self.total_energy += energy;
    }

    /// Mean energy of bin `bin` (0 when empty).
    fn bin_mean(&self, bin: usize) -> f64 {
        match (self.counts.get(bin), self.energies.get(bin)) {
            (Some(&c), Some(&e)) if c > 0 => e / f64::from(c),
            _ => 0.0,
        }
    }

    /// First bin counted as at or above `threshold` (energy): the bin the threshold falls in
    /// counts whole if its mean is at or above the threshold.
    fn first_bin_from(&self, threshold: f64) -> usize {
        let bin = Self::bin_of(threshold.max(lufs_to_energy(ABSOLUTE_GATE_LUFS)));
        if self.bin_mean(bin) >= threshold {
            bin
        } else {
            bin + 1
        }
    }

    /// Block count and energy sum of the bins from `start` up.
    fn totals_from(&self, start: usize) -> (u64, f64) {
        let group = start / GROUP_BINS;
        let group_end = ((group + 1) * GROUP_BINS).min(BINS);
        let (mut count, mut energy) = (0u64, 0.0f64);
        if let (Some(c), Some(e)) = (
            self.counts.get(start..group_end),
            self.energies.get(start..group_end),
        ) {
            count += c.iter().map(|&c| u64::from(c)).sum::<u64>();
            energy += e.iter().sum::<f64>();
        }
        if let (Some(c), Some(e)) = (
            self.group_counts.get(group + 1..),
            self.group_energies.get(group + 1..),
        ) {
            count += c.iter().map(|&c| u64::from(c)).sum::<u64>();
            energy += e.iter().sum::<f64>();
        }
        (count, energy)
    }

    /// The bin holding the block of rank `rank` (0 = quietest) among the bins from `start`
    /// (the top bin if there are not that many).
    fn bin_of_rank(&self, start: usize, rank: u64) -> usize {
        let count = |bin: usize| u64::from(self.counts.get(bin).copied().unwrap_or(0));
        let mut left = rank;
        // The rest of the start bin's group bin by bin, then whole groups, then the bins of
        // the group the rank falls in.
        let group_end = ((start / GROUP_BINS + 1) * GROUP_BINS).min(BINS);
        for bin in start..group_end {
            if left < count(bin) {
                return bin;
            }
            left -= count(bin);
        }
        let mut group = group_end / GROUP_BINS;
        while let Some(&c) = self.group_counts.get(group) {
            if left < u64::from(c) {
                break;
            }
            left -= u64::from(c);
            group += 1;
        }
        for bin in group * GROUP_BINS..BINS {
            if left < count(bin) {
                return bin;
            }
            left -= count(bin);
        }
        BINS - 1
    }

    /// Gated mean energy (BS.1770-4): the mean of the blocks at or above
    /// `relative_gate_lu` below the mean of all kept blocks; `None` without blocks.
    fn gated_mean(&self, relative_gate_lu: f64) -> Option<f64> {
        if self.total_count == 0 {
            return None;
        }
        let mean = self.total_energy / self.total_count as f64;
        let (count, energy) =
            self.totals_from(self.first_bin_from(mean * 10f64.powf(relative_gate_lu / 10.0)));
        (count > 0).then(|| energy / count as f64)
    }

    /// Loudness range (LU, EBU Tech 3342) of the kept short-term values: the spread between
    /// the low and high percentiles of those at or above the relative gate (0 without any).
    fn loudness_range_lu(&self) -> f64 {
        if self.total_count == 0 {
            return 0.0;
        }
        let mean = self.total_energy / self.total_count as f64;
        let start = self.first_bin_from(mean * 10f64.powf(LRA_RELATIVE_GATE_LU / 10.0));
        let (count, _) = self.totals_from(start);
        let Some(last) = count.checked_sub(1) else {
            return 0.0;
        };
        // Tech 3342: the sorted values' element round((n − 1)·p/100) (counting from 0).
        let at = |percent: f64| {
            let rank = (last as f64 * percent / 100.0).round() as u64;
            energy_to_lufs(self.bin_mean(self.bin_of_rank(start, rank)))
        };
        at(LRA_HIGH_PERCENTILE) - at(LRA_LOW_PERCENTILE)
    }
}

/// Loudness meter for one stereo output (see the module documentation).
#[derive(Clone, Debug)]
pub struct LoudnessMeter {
    isa: Isa,
    sample_rate_hz: f32,
    /// The K-weighting and step sums when the meter runs alone (a group feeds
    /// [`Self::end_step`] from its own).
    steps: KWeightedSteps<2>,
    /// Energy sums of the last [`SHORT_TERM_STEPS`] steps; `next_slot` is the oldest.
    ring: [f64; SHORT_TERM_STEPS],
    /// Sum of each group of [`RING_GROUP_STEPS`] ring slots, in slot order.
    group_sums: [f64; RING_GROUPS],
    next_slot: usize,
    /// Steps completed since reset (or since the stream started).
    steps_since_reset: u64,
    momentary_energy: f64,
    short_term_energy: f64,
    max_momentary_energy: f64,
    max_short_term_energy: f64,
    blocks: BlockHistogram,
    short_term_values: BlockHistogram,
    /// Integrated loudness (LUFS) and loudness range (LU) as of the last read; `None` when
    /// blocks were added since (they change only every 100 ms, reads come more often).
    gated_memo: Option<(f32, f32)>,
    /// The momentary, short-term and maximum energies (bits) with their readings (LUFS), each
    /// as of the last read that computed it: each is converted again only when it changed
    /// (the windows move every 10 ms step, the maxima seldom).
    level_memo: [Option<(u64, f32)>; 4],
}

impl LoudnessMeter {
    /// A meter at `sample_rate_hz` (Hz) that has measured nothing (allocates its histograms).
    pub fn new(sample_rate_hz: f32) -> Self {
        let mut m = Self {
            isa: Isa::detect(),
            sample_rate_hz: 48_000.0,
            steps: KWeightedSteps::new(sample_rate_hz),
            ring: [0.0; SHORT_TERM_STEPS],
            group_sums: [0.0; RING_GROUPS],
            next_slot: 0,
            steps_since_reset: 0,
            momentary_energy: 0.0,
            short_term_energy: 0.0,
            max_momentary_energy: 0.0,
            max_short_term_energy: 0.0,
            blocks: BlockHistogram::new(),
            short_term_values: BlockHistogram::new(),
            gated_memo: None,
            level_memo: [None; 4],
        };
        m.set_sample_rate(sample_rate_hz);
        m
    }

    /// Adopts `sample_rate_hz` (Hz) and clears all state, history and readings.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        let fs = sanitise_rate_hz(sample_rate_hz);
        self.sample_rate_hz = fs;
        self.steps = KWeightedSteps::new(fs);
        self.ring = [0.0; SHORT_TERM_STEPS];
        self.group_sums = [0.0; RING_GROUPS];
        self.next_slot = 0;
        self.momentary_energy = 0.0;
        self.short_term_energy = 0.0;
        self.reset();
    }

    /// Sample rate in use (Hz).
    pub fn sample_rate_hz(&self) -> f32 {
        self.sample_rate_hz
    }

    /// Samples per 10 ms step (the momentary window is 40 steps, the short-term one 300).
    pub fn step_samples(&self) -> usize {
        self.steps.step_samples
    }

    /// Clears integrated loudness, loudness range and the maxima. The filters and windows
    /// keep their history, so momentary and short-term loudness go on undisturbed; gating
    /// blocks and range samples restart on the step grid (the first block ends 40 steps on,
    /// its first step may hold up to 10 ms from before the reset).
    pub fn reset(&mut self) {
        self.steps_since_reset = 0;
        self.max_momentary_energy = 0.0;
        self.max_short_term_energy = 0.0;
        self.blocks.clear();
        self.short_term_values.clear();
        self.gated_memo = None;
    }

    /// Meters one block; only the first `min(l.len(), r.len())` frames are used.
    pub fn process(&mut self, l: &[f32], r: &[f32]) {
        /// The whole block through one instruction-set instantiation.
        struct Pass<'a>(&'a mut LoudnessMeter, &'a [f32], &'a [f32]);
        impl Kernel for Pass<'_> {
            type Out = ();
            #[inline(always)]
            fn run<const FMA: bool>(self) {
                let Pass(m, l, r) = self;
                let n = l.len().min(r.len());
                let mut frames = [[0.0f32; 2]; SPAN_FRAMES];
                let mut done = 0;
                while done < n {
                    let take = m.steps.span_of(n - done).min(SPAN_FRAMES);
                    let lanes = [l.get(done..), r.get(done..)];
                    frames_of_lanes(&lanes, take, &mut frames, &mut [false; 2]);
                    if let Some(sums) = m.steps.feed::<FMA>(frames.get(..take).unwrap_or_default())
                    {
                        m.end_step(sums);
                    }
                    done += take;
                }
            }
        }
        dispatch(self.isa, Pass(self, l, r));
    }

    /// Closes a step whose channels' squared K-weighted samples summed to `sums` (left,
    /// right): stores its energy, refreshes the windows, the maxima, and on the 100 ms grid
    /// adds a gating block and a loudness-range sample.
    pub(crate) fn end_step(&mut self, [l, r]: [f64; 2]) {
        // Channel weights 1.0 (BS.1770-4 for left and right).
        let step_energy = l + r;
        let newest = self.next_slot;
        if let Some(slot) = self.ring.get_mut(newest) {
            *slot = step_energy;
        }
        self.next_slot = (newest + 1) % SHORT_TERM_STEPS;

        // Re-adding stored step sums (in a fixed order) rather than adding the new step and
        // subtracting the oldest keeps the sums exact: no drift, no residue after a burst.
        // Only the newest step's group is re-added in full; the windows add group sums.
        let (group, offset) = (newest / RING_GROUP_STEPS, newest % RING_GROUP_STEPS);
        let slots = |g: usize| {
            let g = g % RING_GROUPS;
            self.ring
                .get(g * RING_GROUP_STEPS..(g + 1) * RING_GROUP_STEPS)
                .unwrap_or_default()
        };
        if let Some(sum) = self.group_sums.get_mut(group) {
            *sum = sum_f64(slots(group));
        }
        // The momentary window: the newest group up to the newest step, the whole groups
        // before it, and the tail of the group that many groups back.
        let whole = MOMENTARY_STEPS / RING_GROUP_STEPS - 1;
        let back = group + RING_GROUPS - whole - 1;
        let recent = sum_f64(slots(group).get(..=offset).unwrap_or_default())
            + (1..=whole)
                .map(|k| self.group_sums[(group + RING_GROUPS - k) % RING_GROUPS])
                .sum::<f64>()
            + sum_f64(slots(back).get(offset + 1..).unwrap_or_default());
        let all = sum_f64(&self.group_sums);
        let step = self.steps.step_samples as f64;
        self.momentary_energy = recent / (step * MOMENTARY_STEPS as f64);
        self.short_term_energy = all / (step * SHORT_TERM_STEPS as f64);
        self.max_momentary_energy = self.max_momentary_energy.max(self.momentary_energy);
        self.max_short_term_energy = self.max_short_term_energy.max(self.short_term_energy);

        self.steps_since_reset += 1;
        let every = BLOCK_EVERY_STEPS as u64;
        let due = |steps: usize| {
            let steps = steps as u64;
            self.steps_since_reset >= steps
                && (self.steps_since_reset - steps).is_multiple_of(every)
        };
        if due(MOMENTARY_STEPS) {
            self.blocks.add(self.momentary_energy);
            self.gated_memo = None;
        }
        if due(SHORT_TERM_STEPS) {
            self.short_term_values.add(self.short_term_energy);
            self.gated_memo = None;
        }
    }

    /// Current readings (integrated loudness and range are recomputed only when new blocks
    /// have arrived).
    pub fn read(&mut self) -> LoudnessReading {
        let (integrated_lufs, loudness_range_lu) = match self.gated_memo {
            Some(memo) => memo,
            None => {
                let integrated = self
                    .blocks
                    .gated_mean(INTEGRATED_RELATIVE_GATE_LU)
                    .map_or(LOUDNESS_FLOOR_LUFS, reading_lufs);
                let range = self.short_term_values.loudness_range_lu() as f32;
                let memo = (integrated, range.max(0.0));
                self.gated_memo = Some(memo);
                memo
            }
        };
        let energies = [
            self.momentary_energy,
            self.short_term_energy,
            self.max_momentary_energy,
            self.max_short_term_energy,
        ];
        let mut lufs = [0.0f32; 4];
        for ((memo, e), lufs) in self.level_memo.iter_mut().zip(energies).zip(&mut lufs) {
            let key = e.to_bits();
            *lufs = match *memo {
                Some((k, v)) if k == key => v,
                _ => {
                    let v = reading_lufs(e);
                    *memo = Some((key, v));
                    v
                }
            };
        }
        let [momentary_lufs, short_term_lufs, max_momentary_lufs, max_short_term_lufs] = lufs;
        LoudnessReading {
            momentary_lufs,
            short_term_lufs,
            integrated_lufs,
            loudness_range_lu,
            max_momentary_lufs,
            max_short_term_lufs,
        }
    }
}

/// Sum of `x` in a fixed order with independent partial sums (not one long add chain).
#[inline]
fn sum_f64(x: &[f64]) -> f64 {
    let mut acc = [0.0f64; LANES];
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += v;
        }
    }
    let tail: f64 = chunks.remainder().iter().sum();
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The windows' grouped sums equal plain sums of the last 40 and 300 step energies at
    /// every position of the ring (to the last few bits: only the order of additions differs).
    #[test]
    fn window_sums_match_plain_sums_at_every_ring_position() {
        let mut m = LoudnessMeter::new(48_000.0);
        let step = m.step_samples() as f64;
        let mut history = Vec::new();
        let mut seed = 7u32;
        for _ in 0..(2 * SHORT_TERM_STEPS + 17) {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            // Energies over twelve decades, so a window mixes loud and quiet steps.
            let e = 10f64.powf(f64::from(seed >> 8) / f64::from(1u32 << 24) * 12.0 - 6.0);
            history.push(e);
            m.end_step([0.25 * e, 0.75 * e]);
            let last = |k: usize| {
                let from = history.len().saturating_sub(k);
                history[from..].iter().sum::<f64>() / (step * k as f64)
            };
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
            assert!(
                close(m.momentary_energy, last(MOMENTARY_STEPS)),
                "momentary at step {}",
                history.len()
            );
            assert!(
                close(m.short_term_energy, last(SHORT_TERM_STEPS)),
                "short-term at step {}",
                history.len()
            );
        }
    }

    /// Ranks walk bins, groups and the top bin consistently with the counts.
    #[test]
    fn histogram_rank_and_totals_agree() {
        let mut h = BlockHistogram::new();
        // Blocks at −69.995, −40.004 (×3), −40.0, −20.5, +30 (clamped into the top bin).
        for lufs in [-69.995, -40.004, -40.004, -40.004, -40.0, -20.5, 30.0] {
            h.add(lufs_to_energy(lufs));
        }
        h.add(lufs_to_energy(-70.5));
        assert_eq!(h.total_count, 7);
        let (n, _) = h.totals_from(0);
        assert_eq!(n, 7);
        let lufs_of_rank = |r| energy_to_lufs(h.bin_mean(h.bin_of_rank(0, r)));
        let expect = [-69.995, -40.004, -40.004, -40.004, -40.0, -20.5, 30.0];
        for (r, e) in expect.iter().enumerate() {
            assert!((lufs_of_rank(r as u64) - e).abs() < 1e-9, "rank {r}");
        }
        let start = h.first_bin_from(lufs_to_energy(-40.002));
        assert_eq!(h.totals_from(start).0, 3);
        assert!((energy_to_lufs(h.bin_mean(h.bin_of_rank(start, 0))) - -40.0).abs() < 1e-9);
    }
}
