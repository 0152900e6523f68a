//! Level at the ear: the IEC 61672-1 A-weighting filter, the A-weighted equivalent level
//! (LAeq) of each ear in dB(A) SPL, and the listener's sound exposure against the weekly
//! allowances of ITU-T H.870 ("Guidelines for safe listening devices/systems").
//!
//! Exposure follows H.870's equal-energy principle: the dose is the time integral of the
//! squared A-weighted sound pressure, in Pa²h. The adult allowance is 80 dB(A) for 40 hours a
//! week, 1.6 Pa²h; the allowance for sensitive listeners is 75 dB(A) for 40 hours, 0.51 Pa²h.
//!
//! Samples are what the interface's converter plays: each is sanitised and clamped to full
//! scale (±1.0), since a DAC cannot play more. A level in dBFS follows AES17 (a full-scale
//! sine is 0 dBFS), so a digital mean square ms plays at
//! `spl_at_0dbfs_db + 10·log10(2·ms)` dB SPL (see [`crate::calibration`]).

use super::lanes::{frames_of_lanes, SPAN_FRAMES};
use crate::sanitise::{sanitise_rate_hz, sanitise_sample};
use crate::simd::{dispatch, mac, Isa, Kernel};

/// Reference sound pressure (Pa) of 0 dB SPL.
pub const P_REF_PA: f64 = 20.0e-6;

/// Nominal frequencies (Hz) of IEC 61672-1 Table 3, 10 Hz to 20 kHz in 1/3 octaves; the
/// exact frequency of entry i is 1000·10^((i − 20)/10) Hz.
pub const IEC_61672_NOMINAL_HZ: [f64; 34] = [
    10.0, 12.5, 16.0, 20.0, 25.0, 31.5, 40.0, 50.0, 63.0, 80.0, 100.0, 125.0, 160.0, 200.0, 250.0,
    315.0, 400.0, 500.0, 630.0, 800.0, 1_000.0, 1_250.0, 1_600.0, 2_000.0, 2_500.0, 3_150.0,
    4_000.0, 5_000.0, 6_300.0, 8_000.0, 10_000.0, 12_500.0, 16_000.0, 20_000.0,
];

/// A-weightings (dB) of IEC 61672-1 Table 3 at [`IEC_61672_NOMINAL_HZ`].
pub const IEC_61672_A_WEIGHTING_DB: [f64; 34] = [
    -70.4, -63.4, -56.7, -50.5, -44.7, -39.4, -34.6, -30.2, -26.2, -22.5, -19.1, -16.1, -13.4,
    -10.9, -8.6, -6.6, -4.8, -3.2, -1.9, -0.8, 0.0, 0.6, 1.0, 1.2, 1.3, 1.2, 1.0, 0.5, -0.1, -1.1,
    -2.5, -4.3, -6.6, -9.3,
];

/// Class 1 acceptance limits (dB, upper and lower) of IEC 61672-1:2013 Table 3 at
/// [`IEC_61672_NOMINAL_HZ`]; `f64::NEG_INFINITY` where the standard sets no lower limit.
pub const IEC_61672_CLASS_1_LIMITS_DB: [(f64, f64); 34] = [
    (3.0, f64::NEG_INFINITY),
    (2.5, f64::NEG_INFINITY),
    (2.0, -4.0),
    (2.0, -2.0),
    (2.0, -1.5),
    (1.5, -1.5),
    (1.0, -1.0),
    (1.0, -1.0),
    (1.0, -1.0),
    (1.0, -1.0),
    (1.0, -1.0),
    (1.0, -1.0),
    (1.0, -1.0),
    (1.0, -1.0),
    (1.0, -1.0),
    (1.0, -1.0),
    (1.0, -1.0),
    (1.0, -1.0),
    (1.0, -1.0),
    (1.0, -1.0),
    (0.7, -0.7),
    (1.0, -1.0),
    (1.0, -1.0),
    (1.0, -1.0),
    (1.0, -1.0),
    (1.0, -1.0),
    (1.0, -1.0),
    (1.5, -1.5),
    (1.5, -2.0),
    (1.5, -2.5),
    (2.0, -3.0),
    (2.0, -5.0),
    (2.5, -16.0),
    (3.0, f64::NEG_INFINITY),
];

/// The four pole frequencies (Hz) f1, f2, f3, f4 of the A-weighting, from their definitions in
/// IEC 61672-1 (Annex E): f1 ≈ 20.60, f2 ≈ 107.7, f3 ≈ 737.9, f4 ≈ 12194 Hz.
pub fn a_weighting_poles_hz() -> [f64; 4] {
    let (f_r, f_l, f_h) = (1_000.0f64, 10f64.powf(1.5), 10f64.powf(3.9));
    let d = 0.5f64.sqrt();
    let f_a = 10f64.powf(2.45);
    let b =
        (f_r * f_r + f_l * f_l * f_h * f_h / (f_r * f_r) - d * (f_l * f_l + f_h * f_h)) / (1.0 - d);
    let c = f_l * f_l * f_h * f_h;
    let root = (b * b - 4.0 * c).sqrt();
    let f1 = ((-b - root) / 2.0).sqrt();
    let f4 = ((-b + root) / 2.0).sqrt();
    let f2 = (3.0 - 5f64.sqrt()) / 2.0 * f_a;
    let f3 = (3.0 + 5f64.sqrt()) / 2.0 * f_a;
    [f1, f2, f3, f4]
}

/// The analog A-weighting of IEC 61672-1 (dB) at `freq_hz`, normalised to 0 dB at 1 kHz.
pub fn a_weighting_analog_db(freq_hz: f64) -> f64 {
    let [f1, f2, f3, f4] = a_weighting_poles_hz();
    let gain = |f: f64| {
        let q = f * f;
        f4 * f4 * q * q / ((q + f1 * f1) * ((q + f2 * f2) * (q + f3 * f3)).sqrt() * (q + f4 * f4))
    };
    20.0 * (gain(freq_hz) / gain(1_000.0)).log10()
}

/// Frequencies (Hz) where the digital low-pass section matches the analog one exactly (at
/// 44.1 kHz and above; lower rates scale them under Nyquist).
const LP_MATCH_HZ: [f64; 2] = [8_000.0, 16_000.0];

/// Alternating offset (linear, −360 dBFS) added to the filter input so no filter state can
/// decay into subnormal numbers during silence (x86 handles those many times slower). Its
/// square (1e-36) is still a normal f32; a tone at Nyquist this far below anything audible
/// never shows in a reading.
const DENORMAL_GUARD: f32 = 1.0e-18;

/// A sample as the converter plays it: sanitised, then clamped to full scale.
#[inline(always)]
fn dac_sample(x: f32) -> f32 {
    sanitise_sample(x).clamp(-1.0, 1.0)
}

/// |1 − p·e^{−jω}|² for `cos_w` = cos ω.
fn one_pole_mag2(p: f64, cos_w: f64) -> f64 {
    1.0 - 2.0 * p * cos_w + p * p
}

/// The A-weighting coefficients for one sample rate.
#[derive(Clone, Copy, Debug, PartialEq)]
struct AWeightingCoefs {
    /// Poles of the four one-pole high-pass sections (f1, f1, f2, f3), each (1 − z⁻¹)/(1 − p·z⁻¹).
    hp_pole: [f64; 4],
    /// Numerator of the low-pass section (includes the gain that makes 1 kHz exactly 0 dB).
    lp_b: [f64; 3],
    /// Double pole of the low-pass section (f4).
    lp_pole: f64,
    /// Sample rate (Hz).
    fs: f64,
}

impl AWeightingCoefs {
    fn new(fs: f64) -> Self {
        let [f1, f2, f3, f4] = a_weighting_poles_hz();
        let pole = |f: f64| (-2.0 * std::f64::consts::PI * f / fs).exp();
        let lp_pole = pole(f4);
        let mut c = Self {
            hp_pole: [pole(f1), pole(f1), pole(f2), pole(f3)],
            lp_b: lp_numerator(lp_pole, f4, fs),
            lp_pole,
            fs,
        };
        let g = 1.0 / c.magnitude(1_000.0);
        c.lp_b = c.lp_b.map(|b| b * g);
        c
    }

    /// Magnitude (linear) of the digital filter at `freq_hz`.
    fn magnitude(&self, freq_hz: f64) -> f64 {
        let w = 2.0 * std::f64::consts::PI * freq_hz / self.fs;
        let cos_w = w.cos();
        let phi = (0.5 * w).sin().powi(2);
        let hp: f64 = self
            .hp_pole
            .iter()
            .map(|&p| one_pole_mag2(1.0, cos_w) / one_pole_mag2(p, cos_w))
            .product();
        let [b0, b1, b2] = self.lp_b;
        let num = (b0 + b1 + b2).powi(2) * (1.0 - phi) + (b0 - b1 + b2).powi(2) * phi
            - 16.0 * b0 * b2 * phi * (1.0 - phi);
        let den = one_pole_mag2(self.lp_pole, cos_w).powi(2);
        (hp * num.max(0.0) / den).sqrt()
    }
}

/// Numerator (b0, b1, b2) of the low-pass section 1/(1 + s/ω4)² whose denominator is the
/// double pole `p` = e^{−ω4·T}: chosen so the digital magnitude equals the analog one at DC
/// and at the two [`LP_MATCH_HZ`] frequencies, after "Matched Second Order Digital Filters"
/// (M. Vicanek): the squared magnitude of a biquad numerator is linear in its three
/// parameters B0, B1, B2 with weights depending only on sin²(ω/2), so matching three points
/// is a 2×2 linear solve plus a quadratic for the factorisation.
fn lp_numerator(p: f64, f4: f64, fs: f64) -> [f64; 3] {
    let all_pole = [(1.0 - p) * (1.0 - p), 0.0, 0.0];
    // Squared-magnitude parameters of the denominator (1 − p·z⁻¹)².
    let a0 = (1.0 - p).powi(4);
    let a1 = (1.0 + p).powi(4);
    let a2 = -4.0 * p * p;
    let target = |f: f64| 1.0 / (1.0 + (f / f4).powi(2)).powi(2);
    // Match under Nyquist at any rate: at 44.1 kHz and up the frequencies are 8 and 16 kHz.
    let scale = (0.37 * fs / LP_MATCH_HZ[1]).min(1.0);
    let mut rows = [[0.0f64; 3]; 2];
    for (row, f) in rows.iter_mut().zip(LP_MATCH_HZ.map(|f| f * scale)) {
        let phi = (std::f64::consts::PI * f / fs).sin().powi(2);
        let (phi0, phi2) = (1.0 - phi, 4.0 * (1.0 - phi) * phi);
        // B1·φ + B2·φ2 = T·A(φ) − B0·φ0, with B0 = A0 (unit gain at DC).
        *row = [
            phi,
            phi2,
            target(f) * (a0 * phi0 + a1 * phi + a2 * phi2) - a0 * phi0,
        ];
    }
    let [[m00, m01, v0], [m10, m11, v1]] = rows;
    let det = m00 * m11 - m01 * m10;
    let big_b1 = (v0 * m11 - m01 * v1) / det;
    let big_b2 = (m00 * v1 - m10 * v0) / det;
    let s = a0.sqrt();
    let d = big_b1.max(0.0).sqrt();
    let w = 0.5 * (s + d);
    let disc = w * w + big_b2;
    if !(det.is_finite() && big_b1 >= 0.0 && disc >= 0.0 && big_b2.is_finite()) {
        // Only far below 44.1 kHz: keep a plain all-pole low-pass rather than a bad fit.
        return all_pole;
    }
    let b0 = 0.5 * (w + disc.sqrt());
    [b0, 0.5 * (s - d), -big_b2 / (4.0 * b0)]
}

/// The IEC 61672-1 A-weighting for `L` channels side by side (default: a stereo pair),
/// designed for any sample rate.
///
/// Design: the analog weighting is four high-pass poles (f1 twice, f2, f3) over four zeros at
/// DC, and a double low-pass pole at f4 ≈ 12.2 kHz. The high-pass part is mapped by the
/// matched-z transform (zeros at z = 1, poles at e^{−ωT}), which is accurate to a few
/// thousandths of a dB because its poles sit far below Nyquist. The bilinear transform
/// cannot map the low-pass part near Nyquist at 44.1/48 kHz (it forces a zero at Nyquist:
/// −6 dB at 16 kHz at 48 kHz); here its poles are matched-z too, and its numerator is fitted
/// to the analog magnitude at DC, 8 kHz and 16 kHz after "Matched Second Order Digital
/// Filters" (M. Vicanek). The result, normalised to exactly 0 dB at 1 kHz, is within
/// 0.05 dB of the analog weighting from 10 Hz to 16 kHz at 44.1 kHz (0.03 dB at 48 kHz,
/// 0.0003 dB at 96 kHz); at 20 kHz it reads 0.63 dB high at 44.1 kHz (0.34 at 48 kHz),
/// inside the class 1 limit of +3 dB.
///
/// Structure: seven first-order steps (four one-pole high-passes, the low-pass numerator,
/// its two one-pole recursions), each channel in one f32 lane, so one vector operation serves
/// many channels (the engine weighs every output in one group). The steps are pipelined:
/// step k works on the frame its predecessor finished one sample earlier, so all seven update
/// at once each frame with no dependency between them, and the output lags the input by
/// [`A_WEIGHTING_LAG_SAMPLES`] (0.125 ms at 48 kHz; no level reading can notice). Every
/// pole is a single f32 one-pole (well conditioned even at f1 ≈ 20.6 Hz), so f32 lanes keep
/// the response within 0.01 dB of the f64 design.
#[derive(Clone, Copy, Debug)]
pub struct AWeighting<const L: usize = 2> {
    c: AWeightingCoefs,
    /// High-pass poles in f32.
    pub(super) hp_pole: [f32; 4],
    /// Low-pass numerator in f32.
    pub(super) lp_b: [f32; 3],
    /// Low-pass double pole in f32.
    pub(super) lp_pole: f32,
    /// Each step's last output: four high-passes, the low-pass numerator, its two recursions.
    pub(super) y: [[f32; L]; 7],
    /// Each high-pass's previous input.
    pub(super) hp_x1: [[f32; L]; 4],
    /// The low-pass numerator's inputs one and two samples back.
    pub(super) lp_x: [[f32; L]; 2],
    /// The [`DENORMAL_GUARD`] offset for the next sample (its sign alternates).
    pub(super) guard: f32,
}

/// Samples by which [`AWeighting`]'s output lags its input (one per pipelined step after
/// the first).
pub const A_WEIGHTING_LAG_SAMPLES: usize = 6;

impl AWeighting {
    /// A silent stereo filter for `sample_rate_hz` (Hz; exact to class 1 from 44.1 kHz up).
    pub fn new(sample_rate_hz: f32) -> Self {
        Self::with_lanes(sample_rate_hz)
    }

    /// Weighs one stereo sample (left, right; clamped to full scale like the converter);
    /// returns the weighted sample of [`A_WEIGHTING_LAG_SAMPLES`] frames earlier.
    pub fn process_sample(&mut self, l: f32, r: f32) -> [f64; 2] {
        let g = self.guard;
        self.guard = -g;
        self.step::<false>([dac_sample(l) + g, dac_sample(r) + g], &mut [0.0; 2])
            .map(f64::from)
    }
}

impl<const L: usize> AWeighting<L> {
    /// A silent filter for `L` channels at `sample_rate_hz` (Hz).
    pub fn with_lanes(sample_rate_hz: f32) -> Self {
        let c = AWeightingCoefs::new(f64::from(sanitise_rate_hz(sample_rate_hz)));
        Self {
            c,
            hp_pole: c.hp_pole.map(|p| p as f32),
            lp_b: c.lp_b.map(|b| b as f32),
            lp_pole: c.lp_pole as f32,
            y: [[0.0; L]; 7],
            hp_x1: [[0.0; L]; 4],
            lp_x: [[0.0; L]; 2],
            guard: DENORMAL_GUARD,
        }
    }

    /// Forgets the signal history.
    pub fn reset(&mut self) {
        self.y = [[0.0; L]; 7];
        self.hp_x1 = [[0.0; L]; 4];
        self.lp_x = [[0.0; L]; 2];
        self.guard = DENORMAL_GUARD;
    }

    /// The designed filter's response (dB) at `freq_hz` (Hz).
    pub fn response_db(&self, freq_hz: f64) -> f64 {
        20.0 * self.c.magnitude(freq_hz).log10()
    }

    /// Adds the squared weighted samples of `frames` (frames of lanes, sanitised; clamped
    /// to full scale here like the converter) to `sums` (f32 partial sums: callers keep
    /// spans short and move them into f64 at fixed sample positions).
    #[inline(always)]
    pub(crate) fn accumulate_squares<const FMA: bool>(
        &mut self,
        frames: &[[f32; L]],
        sums: &mut [f32; L],
    ) {
        let mut g = self.guard;
        if frames.len() % 2 == 1 {
            self.guard = -self.guard;
        }
        // A local copy keeps the state in registers (no stores per sample).
        let mut f = *self;
        let mut acc = *sums;
        for fr in frames {
            f.step::<FMA>(fr.map(|v| v.clamp(-1.0, 1.0) + g), &mut acc);
            g = -g;
        }
        f.guard = self.guard;
        *self = f;
        *sums = acc;
    }

    /// One frame (guard already added) into the pipeline; returns the last step's new output
    /// and adds its square to `squares`.
    #[inline(always)]
    fn step<const FMA: bool>(&mut self, x: [f32; L], squares: &mut [f32; L]) -> [f32; L] {
        let [p0, p1, p2, p3] = self.hp_pole;
        let [b0, b1, b2] = self.lp_b;
        let p = self.lp_pole;
        let (y, hp_x1, [lp_x1, lp_x2]) = (&mut self.y, &mut self.hp_x1, &mut self.lp_x);
        let mut out = [0.0f32; L];
        // Every step of one lane in one loop body: the compiler turns the body into whole
        // vectors (separate loops per step were split into odd vector widths).
        for j in 0..L {
            let [y0, y1, y2, y3, y4, y5, y6] = [0, 1, 2, 3, 4, 5, 6].map(|k| y[k][j]);
            // Step k reads step k − 1's output of the previous frame (the input for step 0).
            let inputs = [x[j], y0, y1, y2];
            let poles = [p0, p1, p2, p3];
            let prev = [y0, y1, y2, y3];
            for k in 0..4 {
                y[k][j] = mac::<FMA>(inputs[k] - hp_x1[k][j], poles[k], prev[k]);
                hp_x1[k][j] = inputs[k];
            }
            y[4][j] = mac::<FMA>(mac::<FMA>(b0 * y3, b1, lp_x1[j]), b2, lp_x2[j]);
            (lp_x2[j], lp_x1[j]) = (lp_x1[j], y3);
            y[5][j] = mac::<FMA>(y4, p, y5);
            y[6][j] = mac::<FMA>(y5, p, y6);
            out[j] = y[6][j];
            squares[j] = mac::<FMA>(squares[j], out[j], out[j]);
        }
        out
    }
}

/// Frames between two moves of the f32 partial sums into the f64 hop sums, counted from the
/// hop start: short enough that f32 rounding stays below 1e-5 relative.
const PARTIAL_FRAMES: usize = SPAN_FRAMES;

/// The A-weighted energy of `L` channels in hops of a fixed number of samples: what the ear
/// meters and the level limit measure. Hops are counted in samples from the start, and the
/// f32 partial sums move into f64 at fixed positions in the hop, so any block split closes
/// them at the same positions with bit-identical sums.
#[derive(Clone, Debug)]
pub(crate) struct WeightedHops<const L: usize = 2> {
    pub(super) filter: AWeighting<L>,
    hop_samples: usize,
    pub(super) pos_in_hop: usize,
    /// Sums of squared weighted samples since the last move into `sums`.
    pub(super) partial: [f32; L],
    /// Sums of squared weighted samples in the current hop (digital, full scale = 1).
    pub(super) sums: [f64; L],
}

impl<const L: usize> WeightedHops<L> {
    /// Hops of `hop_ms` (ms, rounded to whole samples, at least one) at `sample_rate_hz`.
    pub(crate) fn new(sample_rate_hz: f32, hop_ms: f64) -> Self {
        let fs = f64::from(sanitise_rate_hz(sample_rate_hz));
        Self {
            filter: AWeighting::with_lanes(sample_rate_hz),
            hop_samples: ((fs * hop_ms * 0.001).round() as usize).max(1),
            pos_in_hop: 0,
            partial: [0.0; L],
            sums: [0.0; L],
        }
    }

    /// Hop length (samples).
    pub(crate) fn hop_samples(&self) -> usize {
        self.hop_samples
    }

    /// Position (samples) in the current hop.
    pub(crate) fn pos_in_hop(&self) -> usize {
        self.pos_in_hop
    }

    /// Frames of an `n`-frame block that fit in the current hop.
    pub(crate) fn span_of(&self, n: usize) -> usize {
        (self.hop_samples - self.pos_in_hop).min(n)
    }

    /// Frames of `l`, `r` that fit in the current hop.
    pub(crate) fn span(&self, l: &[f32], r: &[f32]) -> usize {
        self.span_of(l.len().min(r.len()))
    }

    /// Frames of an `n`-frame block up to the next move of the partial sums (at most
    /// [`SPAN_FRAMES`]; never past the hop's end).
    pub(crate) fn partial_span_of(&self, n: usize) -> usize {
        (PARTIAL_FRAMES - self.pos_in_hop % PARTIAL_FRAMES).min(self.span_of(n))
    }

    /// Takes `frames` (frames of lanes, sanitised; at most [`Self::partial_span_of`] of them),
    /// weighed only if `weigh`; returns the hop's sums (zero when not weighed) when they
    /// complete it.
    #[inline(always)]
    pub(crate) fn feed_frames<const FMA: bool>(
        &mut self,
        frames: &[[f32; L]],
        weigh: bool,
    ) -> Option<[f64; L]> {
        if weigh {
            self.filter
                .accumulate_squares::<FMA>(frames, &mut self.partial);
        }
        self.advance(frames.len())
    }

    /// Moves the hop on by `n` frames whose squares are already in `partial` (at most
    /// [`Self::partial_span_of`] of them); returns the hop's sums when they complete it.
    pub(super) fn advance(&mut self, n: usize) -> Option<[f64; L]> {
        self.pos_in_hop += n;
        if self.pos_in_hop.is_multiple_of(PARTIAL_FRAMES) || self.pos_in_hop >= self.hop_samples {
            for (s, p) in self.sums.iter_mut().zip(&mut self.partial) {
                *s += f64::from(std::mem::take(p));
            }
        }
        (self.pos_in_hop >= self.hop_samples).then(|| {
            self.pos_in_hop = 0;
            std::mem::replace(&mut self.sums, [0.0; L])
        })
    }

    /// Forgets the signal history and the current hop's sums (the hop position is kept).
    pub(crate) fn clear_signal(&mut self) {
        self.filter.reset();
        self.partial = [0.0; L];
        self.sums = [0.0; L];
    }
}

impl WeightedHops {
    /// Takes the first `min(l.len(), r.len())` frames of a stereo pair `l`, `r` (at most
    /// [`Self::span`] frames), weighed only if `weigh`; returns the hop's sums (zero when
    /// not weighed) when they complete it.
    #[inline(always)]
    pub(crate) fn feed<const FMA: bool>(
        &mut self,
        l: &[f32],
        r: &[f32],
        weigh: bool,
    ) -> Option<[f64; 2]> {
        let n = l.len().min(r.len());
        let mut frames = [[0.0f32; 2]; SPAN_FRAMES];
        let mut done = 0;
        let mut sums = None;
        while done < n {
            let take = self.partial_span_of(n - done);
            if weigh {
                frames_of_lanes(
                    &[l.get(done..), r.get(done..)],
                    take,
                    &mut frames,
                    &mut [false; 2],
                );
            }
            sums = self.feed_frames::<FMA>(frames.get(..take).unwrap_or_default(), weigh);
            done += take;
        }
        sums
    }
}

/// Weekly sound allowance of ITU-T H.870 that the exposure is measured against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WeeklyAllowance {
    /// Adults: 80 dB(A) for 40 h a week, 1.6 Pa²h.
    #[default]
    Adult,
    /// Sensitive listeners (and children): 75 dB(A) for 40 h a week, 0.51 Pa²h.
    Sensitive,
}

impl WeeklyAllowance {
    /// The allowance in Pa²h.
    pub fn pa2h(self) -> f64 {
        match self {
            Self::Adult => 1.6,
            Self::Sensitive => 0.51,
        }
    }
}

/// Hops in the 1 s window.
const EAR_WINDOW_HOPS: usize = 10;
/// Hop length (ms): the LAeq,1s refreshes this often and exposure grows in these steps.
pub(crate) const EAR_HOP_MS: f64 = 100.0;
/// Levels under this (dB(A) SPL, the threshold of hearing) count as silence: no time limit.
pub const AUDIBLE_FLOOR_DB_SPL: f32 = 0.0;
/// Largest exposure (Pa²h) a restore accepts: 625 adult weeks, far beyond any real dose.
pub const EXPOSURE_PA2H_MAX: f64 = 1_000.0;
/// The floor (dB SPL) readings show for silence.
pub const EAR_SILENCE_DB: f32 = crate::units::SILENCE_DB;

/// Level (dB SPL) of a squared sound pressure (Pa²), floored at [`EAR_SILENCE_DB`].
fn pa2_to_db_spl(pa2: f64) -> f32 {
    if pa2 > 0.0 {
        ((10.0 * (pa2 / (P_REF_PA * P_REF_PA)).log10()) as f32).max(EAR_SILENCE_DB)
    } else {
        EAR_SILENCE_DB
    }
}

/// Readings of an [`EarLevelMeter`] (index 0 = left ear, 1 = right ear).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EarReading {
    /// A-weighted level over the last second per ear (dB(A) SPL), refreshed every 100 ms.
    pub laeq_1s_db: [f32; 2],
    /// Highest LAeq,1s since reset per ear (dB(A) SPL).
    pub max_laeq_1s_db: [f32; 2],
    /// A-weighted level since reset per ear (dB(A) SPL).
    pub laeq_since_reset_db: [f32; 2],
    /// The louder ear's LAeq,1s (dB(A) SPL): the headline level.
    pub louder_laeq_1s_db: f32,
    /// The louder ear's highest LAeq,1s since reset (dB(A) SPL).
    pub louder_max_laeq_1s_db: f32,
    /// The louder ear's LAeq since reset (dB(A) SPL).
    pub louder_laeq_since_reset_db: f32,
    /// Sound exposure since reset (Pa²h), of the louder ear hop by hop.
    pub exposure_pa2h: f64,
    /// Exposure as a percentage of the weekly allowance (%).
    pub dose_percent: f64,
    /// Time (s) at the current LAeq,1s until the dose reaches 100 % (0 once it has); `None`
    /// while the level is under [`AUDIBLE_FLOOR_DB_SPL`].
    pub time_left_s: Option<f64>,
}

/// Silence: what an output that has played nothing reads.
impl Default for EarReading {
    fn default() -> Self {
        Self {
            laeq_1s_db: [EAR_SILENCE_DB; 2],
            max_laeq_1s_db: [EAR_SILENCE_DB; 2],
            laeq_since_reset_db: [EAR_SILENCE_DB; 2],
            louder_laeq_1s_db: EAR_SILENCE_DB,
            louder_max_laeq_1s_db: EAR_SILENCE_DB,
            louder_laeq_since_reset_db: EAR_SILENCE_DB,
            exposure_pa2h: 0.0,
            dose_percent: 0.0,
            time_left_s: None,
        }
    }
}

/// Ear level and sound exposure of one stereo output (each channel is one ear).
///
/// Fed the samples the output plays and the output's calibration (dB SPL of a full-scale
/// sine). Squared A-weighted samples are summed per 100 ms hop (f64); each hop end refreshes
/// the 1 s window, the maxima, the levels since reset and the exposure, all from sums formed
/// in sample order at fixed sample positions, so any block split gives bit-identical
/// readings. Exposure grows only while audio is processed, by the louder ear's energy of
/// each complete hop, converted with the calibration in force at that hop's end.
#[derive(Clone, Debug)]
pub struct EarLevelMeter {
    isa: Isa,
    hops: WeightedHops,
    fs: f64,
    /// Sums of the last complete hops.
    ring: [[f64; 2]; EAR_WINDOW_HOPS],
    next_slot: usize,
    /// Mean square (digital) over the 1 s window.
    window_ms: [f64; 2],
    /// Squared pressure (Pa²) a digital mean square of 1 plays at: 2·p_ref²·10^(SPL₀/10).
    pa2_per_ms: f64,
    spl_at_0dbfs_db: f32,
    /// Highest LAeq,1s since reset (Pa²).
    max_pa2: [f64; 2],
    /// ∫p² dt since reset per ear (Pa²s).
    energy_pa2s: [f64; 2],
    /// Audio time metered since reset (s, complete hops).
    elapsed_s: f64,
    /// Exposure (Pa²s).
    exposure_pa2s: f64,
    allowance: WeeklyAllowance,
    /// The last reading and the bits of the values it came from: readings come every few
    /// milliseconds, the values change once a hop (100 ms), and a reading takes nine logarithms.
    memo: Option<([u64; 10], EarReading)>,
}

impl EarLevelMeter {
    /// A meter at `sample_rate_hz` (Hz) for an output whose full-scale sine plays at
    /// `spl_at_0dbfs_db` dB SPL; adult allowance, no exposure yet.
    pub fn new(sample_rate_hz: f32, spl_at_0dbfs_db: f32) -> Self {
        let fs = f64::from(sanitise_rate_hz(sample_rate_hz));
        let mut m = Self {
            isa: Isa::detect(),
            hops: WeightedHops::new(sample_rate_hz, EAR_HOP_MS),
            fs,
            ring: [[0.0; 2]; EAR_WINDOW_HOPS],
            next_slot: 0,
            window_ms: [0.0; 2],
            pa2_per_ms: 0.0,
            spl_at_0dbfs_db: 0.0,
            max_pa2: [0.0; 2],
            energy_pa2s: [0.0; 2],
            elapsed_s: 0.0,
            exposure_pa2s: 0.0,
            allowance: WeeklyAllowance::default(),
            memo: None,
        };
        m.set_spl_at_0dbfs_db(spl_at_0dbfs_db);
        m
    }

    /// Adopts `sample_rate_hz` (Hz): clears the filter and the 1 s window; keeps the maxima,
    /// the levels since reset and the exposure.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        let fresh = Self::new(sample_rate_hz, self.spl_at_0dbfs_db);
        *self = Self {
            max_pa2: self.max_pa2,
            energy_pa2s: self.energy_pa2s,
            elapsed_s: self.elapsed_s,
            exposure_pa2s: self.exposure_pa2s,
            allowance: self.allowance,
            ..fresh
        };
    }

    /// Sets the calibration: the SPL (dB) of a full-scale sine at the ear (non-finite values
    /// are ignored; clamped to 0..200 dB SPL). Applies to hops ending from now on and to the
    /// live level at once.
    pub fn set_spl_at_0dbfs_db(&mut self, spl_at_0dbfs_db: f32) {
        if spl_at_0dbfs_db.is_finite() {
            self.spl_at_0dbfs_db = spl_at_0dbfs_db.clamp(0.0, 200.0);
            self.pa2_per_ms =
                2.0 * P_REF_PA * P_REF_PA * 10f64.powf(0.1 * f64::from(self.spl_at_0dbfs_db));
        }
    }

    /// Chooses the weekly allowance the dose and time left refer to.
    pub fn set_allowance(&mut self, allowance: WeeklyAllowance) {
        self.allowance = allowance;
    }

    /// Exposure since reset (Pa²h).
    pub fn exposure_pa2h(&self) -> f64 {
        self.exposure_pa2s / 3_600.0
    }

    /// Loads a saved exposure (Pa²h); non-finite or negative values load as 0, larger ones
    /// than [`EXPOSURE_PA2H_MAX`] as that.
    pub fn set_exposure_pa2h(&mut self, exposure_pa2h: f64) {
        let e = if exposure_pa2h.is_finite() {
            exposure_pa2h.clamp(0.0, EXPOSURE_PA2H_MAX)
        } else {
            0.0
        };
        self.exposure_pa2s = e * 3_600.0;
    }

    /// Clears the maxima, the levels since reset and the exposure; keeps the signal history
    /// (the live 1 s level carries on).
    pub fn reset(&mut self) {
        self.max_pa2 = [0.0; 2];
        self.energy_pa2s = [0.0; 2];
        self.elapsed_s = 0.0;
        self.exposure_pa2s = 0.0;
    }

    /// Meters one block: the first `min(l.len(), r.len())` frames.
    pub fn process(&mut self, l: &[f32], r: &[f32]) {
        /// The whole block through one instruction-set instantiation.
        struct Pass<'a>(&'a mut EarLevelMeter, &'a [f32], &'a [f32]);
        impl Kernel for Pass<'_> {
            type Out = ();
            #[inline(always)]
            fn run<const FMA: bool>(self) {
                let Pass(m, mut l, mut r) = self;
                while !l.is_empty() && !r.is_empty() {
                    let take = m.hops.span(l, r);
                    let ((hl, tl), (hr, tr)) = (l.split_at(take), r.split_at(take));
                    if let Some(sums) = m.hops.feed::<FMA>(hl, hr, true) {
                        m.end_hop(sums);
                    }
                    (l, r) = (tl, tr);
                }
            }
        }
        dispatch(self.isa, Pass(self, l, r));
    }

    /// Closes a hop whose squared weighted samples summed to `sums` (left, right).
    pub(crate) fn end_hop(&mut self, sums: [f64; 2]) {
        self.ring[self.next_slot] = sums;
        self.next_slot = (self.next_slot + 1) % EAR_WINDOW_HOPS;
        // Re-adding the ring keeps the window exact (no running-sum drift).
        let mut total = [0.0f64; 2];
        for hop in &self.ring {
            total[0] += hop[0];
            total[1] += hop[1];
        }
        let window_samples = (self.hops.hop_samples() * EAR_WINDOW_HOPS) as f64;
        self.window_ms = total.map(|t| t / window_samples);
        let mut louder_pa2s = 0.0f64;
        let ears = self
            .max_pa2
            .iter_mut()
            .zip(&mut self.energy_pa2s)
            .zip(self.window_ms.iter().zip(sums));
        for ((max_pa2, energy_pa2s), (&window_ms, hop_sum)) in ears {
            *max_pa2 = max_pa2.max(window_ms * self.pa2_per_ms);
            let hop_pa2s = hop_sum * self.pa2_per_ms / self.fs;
            *energy_pa2s += hop_pa2s;
            louder_pa2s = louder_pa2s.max(hop_pa2s);
        }
        self.exposure_pa2s += louder_pa2s;
        self.elapsed_s += self.hops.hop_samples() as f64 / self.fs;
    }

    /// Current readings.
    pub fn read(&mut self) -> EarReading {
        let key = [
            self.window_ms[0],
            self.window_ms[1],
            self.max_pa2[0],
            self.max_pa2[1],
            self.energy_pa2s[0],
            self.energy_pa2s[1],
            self.elapsed_s,
            self.exposure_pa2s,
            self.pa2_per_ms,
            self.allowance.pa2h(),
        ]
        .map(f64::to_bits);
        match self.memo {
            Some((k, reading)) if k == key => reading,
            _ => {
                let reading = self.compute_reading();
                self.memo = Some((key, reading));
                reading
            }
        }
    }

    /// The readings of the current values.
    fn compute_reading(&self) -> EarReading {
        let now_pa2 = self.window_ms.map(|ms| ms * self.pa2_per_ms);
        let since = self.energy_pa2s.map(|e| {
            if self.elapsed_s > 0.0 {
                e / self.elapsed_s
            } else {
                0.0
            }
        });
        let louder = |v: [f64; 2]| v[0].max(v[1]);
        let allowance_pa2s = self.allowance.pa2h() * 3_600.0;
        let louder_now_db = pa2_to_db_spl(louder(now_pa2));
        let time_left_s = (louder_now_db >= AUDIBLE_FLOOR_DB_SPL)
            .then(|| (allowance_pa2s - self.exposure_pa2s).max(0.0) / louder(now_pa2));
        EarReading {
            laeq_1s_db: now_pa2.map(pa2_to_db_spl),
            max_laeq_1s_db: self.max_pa2.map(pa2_to_db_spl),
            laeq_since_reset_db: since.map(pa2_to_db_spl),
            louder_laeq_1s_db: louder_now_db,
            louder_max_laeq_1s_db: pa2_to_db_spl(louder(self.max_pa2)),
            louder_laeq_since_reset_db: pa2_to_db_spl(louder(since)),
            exposure_pa2h: self.exposure_pa2h(),
            dose_percent: 100.0 * self.exposure_pa2s / allowance_pa2s,
            time_left_s,
        }
    }
}
