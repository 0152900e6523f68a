//! Headphone crossfeed after Bauer's stereophonic-to-binaural (bs2b) design: each ear also gets
//! the other channel, low-passed and lowered by the feed level, while its own channel gets a
//! matching high-frequency boost. First-order IIR filters, so there is no latency.

use crate::output::GainRamp;

/// The lowest custom cut frequency, Hz (bs2b's minimum).
pub const CUT_MIN_HZ: f32 = 300.0;
/// The highest custom cut frequency, Hz (bs2b's maximum).
pub const CUT_MAX_HZ: f32 = 2000.0;
/// The lowest custom feed level, dB (bs2b's minimum).
pub const FEED_MIN_DB: f32 = 1.0;
/// The highest custom feed level, dB (bs2b's maximum).
pub const FEED_MAX_DB: f32 = 15.0;
/// Magnitude (linear, +120 dBFS) above which a sample is a fault, not audio: the filters
/// restart from silence rather than carry it (see [`Crossfeed::process`]).
pub const FAULT_LIN: f64 = 1.0e6;

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

/// The crossfeed processor for one stereo pair; on/off switches with a ramp.
#[derive(Clone, Debug)]
pub struct Crossfeed {
    sample_rate_hz: f32,
    setting: CrossfeedSetting,
    coefs: Bs2bCoefs,
    /// Direct path state per ear: previous input, previous output.
    hi_state: [(f64, f64); 2],
    /// Cross path state per ear (the low-passed channel): previous output.
    lo_state: [f64; 2],
    /// 1.0 = crossfeed fully in, 0.0 = out.
    amount: GainRamp,
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
            hi_state: [(0.0, 0.0); 2],
            lo_state: [0.0; 2],
            amount: GainRamp::new(sample_rate_hz, on),
        }
    }

    /// A new setting: turning on or off ramps, a new cut/feed takes new coefficients.
    pub fn set(&mut self, setting: CrossfeedSetting) {
        if setting == self.setting {
            return;
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
        self.hi_state = [(0.0, 0.0); 2];
        self.lo_state = [0.0; 2];
        self.amount.snap();
    }

    /// Ends the on/off ramp at its target.
    pub fn snap(&mut self) {
        self.amount.snap();
    }

    /// True when the crossfeed leaves the signal untouched (off and not fading out).
    pub fn is_bypassed(&self) -> bool {
        !self.amount.is_ramping() && self.amount.current_lin() == 0.0
    }

    /// Processes a stereo pair in place.
    pub fn process(&mut self, l: &mut [f32], r: &mut [f32]) {
        if self.is_bypassed() {
            return;
        }
        let c = self.coefs;
        let n = l.len().min(r.len());
        let fading = self.amount.is_ramping() || self.amount.current_lin() != 1.0;
        let [(mut hl_x1, mut hl_y1), (mut hr_x1, mut hr_y1)] = self.hi_state;
        let [mut lo_l, mut lo_r] = self.lo_state;
        // Flush tiny state to zero per sample (block-size independent): a decaying IIR must
        // not run into subnormals on silence.
        let flush = |v: f64| if v.abs() < 1e-30 { 0.0 } else { v };
        for i in 0..n {
            let (xl, xr) = (f64::from(l[i]), f64::from(r[i]));
            let amount = if fading {
                f64::from(self.amount.next_lin())
            } else {
                1.0
            };
            // NaN fails the comparison too. Garbage (NaN, ±inf, absurd levels) is not audio: it
            // passes unfiltered to the ear guard, which silences or clamps it and counts it, and
            // both ears' filters restart from silence, so it leaves no tail: from the next sample
            // on the output is that of a freshly reset crossfeed.
            if !(xl.abs() <= FAULT_LIN && xr.abs() <= FAULT_LIN) {
                (hl_x1, hl_y1, hr_x1, hr_y1, lo_l, lo_r) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
                continue;
            }
            lo_l = flush(c.a0_lo * xl + c.b1_lo * lo_l);
            lo_r = flush(c.a0_lo * xr + c.b1_lo * lo_r);
            let hi_l = flush(c.a0_hi * xl + c.a1_hi * hl_x1 + c.b1_hi * hl_y1);
            let hi_r = flush(c.a0_hi * xr + c.a1_hi * hr_x1 + c.b1_hi * hr_y1);
            (hl_x1, hl_y1, hr_x1, hr_y1) = (xl, hi_l, xr, hi_r);
            let (wet_l, wet_r) = ((hi_l + lo_r) * c.gain, (hi_r + lo_l) * c.gain);
            if fading {
                // Switching on or off blends dry and crossfed signals so it never clicks.
                l[i] = (xl + amount * (wet_l - xl)) as f32;
                r[i] = (xr + amount * (wet_r - xr)) as f32;
            } else {
                l[i] = wet_l as f32;
                r[i] = wet_r as f32;
            }
        }
        self.hi_state = [(hl_x1, hl_y1), (hr_x1, hr_y1)];
        self.lo_state = [lo_l, lo_r];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
