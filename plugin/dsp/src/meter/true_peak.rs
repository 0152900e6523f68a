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

/// Length of the interpolator's prototype low-pass (taps at the oversampled rate).
pub const TP_PROTOTYPE_TAPS: usize = 49;

/// Kaiser window β of the interpolator's prototype (sets its ripple and transition width).
pub const TP_KAISER_BETA: f64 = 5.5;

/// Index of the prototype's centre tap.
const CENTER: usize = (TP_PROTOTYPE_TAPS - 1) / 2;

/// Past input samples kept before each chunk: the longest branch (24 taps at 2×) minus one.
const HIST: usize = 23;

/// Outputs computed together in the vectorised kernel.
const TILE: usize = 8;

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
}

/// What one chunk of the true-peak pass hands to the channel's other meters.
pub(crate) struct ChunkPeaks<'a> {
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
    mode: Oversampling,
    coeffs4: [[f32; T4]; P4],
    coeffs2: [[f32; T2]; P2],
    /// `hist[..HIST]` = the last HIST samples before the chunk, `hist[HIST..]` = the chunk.
    hist: [f32; HIST + CHUNK],
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
        Self {
            mode: Oversampling::for_rate(sample_rate_hz),
            coeffs4: branch_coeffs::<P4, T4>(4),
            coeffs2: branch_coeffs::<P2, T2>(2),
            hist: [0.0; HIST + CHUNK],
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
        for chunk in x.chunks(CHUNK) {
            self.process_chunk(chunk);
        }
    }

    /// Meters up to [`CHUNK`] samples (the rest of a longer `x` is ignored) and returns what
    /// the other meters of the channel need from the same pass.
    pub(crate) fn process_chunk(&mut self, x: &[f32]) -> ChunkPeaks<'_> {
        let n = x.len().min(CHUNK);
        let Self {
            mode,
            coeffs4,
            coeffs2,
            hist,
            steps,
            phases,
            ..
        } = self;
        if let Some(current) = hist.get_mut(HIST..HIST + n) {
            sanitize_into(current, x);
        }
        let cur = hist.get(HIST..HIST + n).unwrap_or_default();
        let (branches, maxima) = match mode {
            Oversampling::X4 => {
                let win = hist.get(HIST + 1 - T4..).unwrap_or_default();
                (P4, interpolate::<P4, T4>(coeffs4, win, cur, phases, steps))
            }
            Oversampling::X2 => {
                let win = hist.get(HIST + 1 - T2..).unwrap_or_default();
                (P2, interpolate::<P2, T2>(coeffs2, win, cur, phases, steps))
            }
            Oversampling::Off => {
                for (s, &c) in steps.iter_mut().zip(cur) {
                    *s = c.abs();
                }
                let m = max_abs_clean(cur);
                (0, [m, m, 0.0])
            }
        };
        let [sample_max, step_max, interp_max] = maxima;

        // The overs pass walks every value in time order, so it only runs when something in
        // this chunk is over: a branch per chunk, not per sample. Otherwise any open run ends.
        let delay = mode.delay_samples();
        let delayed = hist.get(HIST - delay..HIST - delay + n).unwrap_or_default();
        if fmax(interp_max, max_abs_clean(delayed)) <= OVER_LIN {
            self.in_over = self.in_over && n == 0;
        } else {
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
        }

        self.peak_lin = fmax(self.peak_lin, step_max);
        self.max_lin = fmax(self.max_lin, step_max);
        self.hist.copy_within(n..n + HIST, 0);
        ChunkPeaks {
            steps_lin: self.steps.get(..n).unwrap_or_default(),
            step_max_lin: step_max,
            sample_max_lin: sample_max,
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
/// product of `coeffs[p]` with `win[i..i + T]`, stored in `phases[p][i]`; `cur` holds the
/// chunk's (undelayed) samples. Writes the per-sample true peak max(|cur[i]|, |branch values|)
/// to `steps` and returns [largest |cur|, largest per-sample peak, largest |interpolated value|].
#[inline(always)]
fn interpolate<const P: usize, const T: usize>(
    coeffs: &[[f32; T]; P],
    win: &[f32],
    cur: &[f32],
    phases: &mut [[f32; CHUNK]; P4],
    steps: &mut [f32; CHUNK],
) -> [f32; 3] {
    let n = cur.len().min(CHUNK);
    let tiles = n / TILE;
    let mut sample_lanes = [0.0f32; TILE];
    let mut step_lanes = [0.0f32; TILE];
    let mut interp_lanes = [0.0f32; TILE];
    for t in 0..tiles {
        let i = t * TILE;
        // Fixed-size views (first_chunk) let the compiler drop bounds checks, keep the
        // accumulators in registers and vectorise across the tile.
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
                    a[j] += cf * x[j];
                }
            }
        }
        let mut s = [0.0f32; TILE];
        for j in 0..TILE {
            s[j] = c[j].abs();
            sample_lanes[j] = fmax(sample_lanes[j], s[j]);
        }
        for (a, row) in acc.iter().zip(phases.iter_mut()) {
            let mut m = [0.0f32; TILE];
            for j in 0..TILE {
                m[j] = a[j].abs();
            }
            for j in 0..TILE {
                s[j] = fmax(s[j], m[j]);
                interp_lanes[j] = fmax(interp_lanes[j], m[j]);
            }
            if let Some(out) = row.get_mut(i..).and_then(|r| r.first_chunk_mut::<TILE>()) {
                *out = *a;
            }
        }
        for j in 0..TILE {
            step_lanes[j] = fmax(step_lanes[j], s[j]);
        }
        if let Some(out) = steps.get_mut(i..).and_then(|r| r.first_chunk_mut::<TILE>()) {
            *out = s;
        }
    }
    // The tail repeats the tile arithmetic exactly (same start, same tap order, no fused
    // multiply-add), so a sample gets the same values whichever path meets it.
    let mut sample_max = 0.0f32;
    let mut step_max = 0.0f32;
    let mut interp_max = 0.0f32;
    for i in tiles * TILE..n {
        let (Some(w), Some(&c)) = (win.get(i..i + T), cur.get(i)) else {
            break;
        };
        let mut s = c.abs();
        sample_max = fmax(sample_max, s);
        for (cp, row) in coeffs.iter().zip(phases.iter_mut()) {
            let mut a = 0.0f32;
            for (&cf, &x) in cp.iter().zip(w) {
                a += cf * x;
            }
            s = fmax(s, a.abs());
            interp_max = fmax(interp_max, a.abs());
            if let Some(o) = row.get_mut(i) {
                *o = a;
            }
        }
        if let Some(o) = steps.get_mut(i) {
            *o = s;
        }
        step_max = fmax(step_max, s);
    }
    let fold = |init: f32, lanes: [f32; TILE]| lanes.iter().fold(init, |m, &v| fmax(m, v));
    [
        fold(sample_max, sample_lanes),
        fold(step_max, step_lanes),
        fold(interp_max, interp_lanes),
    ]
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
