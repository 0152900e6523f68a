//! A slow level limit for one stereo output: keeps the A-weighted level at the ear (LAeq over
//! about 3 s, in dB(A) SPL) at or under a set limit with a smooth gain reduction, so a
//! listener cannot turn a feed up past a safe level. Off by default; it sits before the ear
//! guard, which remains the instant protection against peaks.
//!
//! Feed-forward with zero latency: the stage A-weights its own input
//! ([`AWeighting`](crate::meter::AWeighting)), sums the squares per 1 ms control hop and
//! averages them with a one-pole of
//! [`DETECTOR_TIME_S`]; the louder ear's level sets the target gain (limit − level, never
//! above 0 dB). Gain reduction follows the detector at once (the detector's time constant is
//! the attack), and recovers with a time constant of [`RELEASE_TIME_S`] in dB. The gain moves
//! linearly across each hop. Every quantity advances per sample or per hop counted in
//! samples, so any block split gives bit-identical output.
//!
//! Why these times: a 0.5 s detector brings noise 10 dB over the limit to within 0.1 dB of
//! it after 2 s and keeps the output's LAeq,3s within 2 dB of it on the way; an energy
//! average (not a peak detector) does not duck on drum hits, and the 2 s release keeps the
//! gain ripple of 50 ms hits every 500 ms under 0.5 dB. A sudden level far over the limit
//! overshoots more while the detector rises (the ear guard catches its peaks).

use crate::meter::WeightedHops;
use crate::sanitise::sanitise_rate_hz;
use crate::simd::{dispatch, Isa, Kernel};

/// Time constant (s) of the detector's energy average: the attack.
pub const DETECTOR_TIME_S: f64 = 0.5;
/// Time constant (s) of the gain's recovery in dB: the release.
pub const RELEASE_TIME_S: f64 = 2.0;
/// Control hop (ms): the gain is recomputed this often and ramps linearly in between.
const CONTROL_HOP_MS: f64 = 1.0;
/// Settable limit range (dB(A) SPL).
pub const LIMIT_DB_SPL_RANGE: (f32, f32) = (60.0, 100.0);
/// Default limit (dB(A) SPL): the level of ITU-T H.870's adult allowance (80 dB(A) for 40 h a
/// week), so a week of listening at the limit stays within it.
pub const DEFAULT_LIMIT_DB_SPL: f32 = 80.0;
/// A release this close (dB) to its target lands on it, so the gain returns to exactly 1.
const SNAP_DB: f64 = 1.0e-3;

/// The slow level limit of one stereo output.
#[derive(Clone, Debug)]
pub struct LevelLimit {
    isa: Isa,
    enabled: bool,
    /// The A-weighted energy of the input per control hop.
    hops: WeightedHops,
    /// Detector mean square per channel (digital, full scale = 1).
    detector_ms: [f64; 2],
    /// Detector update weight per hop.
    detector_coef: f64,
    /// Release weight per hop.
    release_coef: f64,
    /// Gain (dB, ≤ 0) reached at the end of the current hop.
    gain_db: f64,
    /// Linear gain at the start and at the end of the current hop.
    ramp_lin: (f32, f32),
    limit_db_spl: f32,
    spl_at_0dbfs_db: f32,
    /// The rate the stage was made for (Hz), to start over at.
    sample_rate_hz: f32,
}

impl LevelLimit {
    /// An off stage at `sample_rate_hz` (Hz) for an output whose full-scale sine plays at
    /// `spl_at_0dbfs_db` dB SPL, with the default limit.
    pub fn new(sample_rate_hz: f32, spl_at_0dbfs_db: f32) -> Self {
        let fs = f64::from(sanitise_rate_hz(sample_rate_hz));
        let hops = WeightedHops::new(sample_rate_hz, CONTROL_HOP_MS);
        let hop_s = hops.hop_samples() as f64 / fs;
        let mut s = Self {
            isa: Isa::detect(),
            enabled: false,
            hops,
            detector_ms: [0.0; 2],
            detector_coef: 1.0 - (-hop_s / DETECTOR_TIME_S).exp(),
            release_coef: 1.0 - (-hop_s / RELEASE_TIME_S).exp(),
            gain_db: 0.0,
            ramp_lin: (1.0, 1.0),
            limit_db_spl: DEFAULT_LIMIT_DB_SPL,
            spl_at_0dbfs_db: 100.0,
            sample_rate_hz,
        };
        s.set_spl_at_0dbfs_db(spl_at_0dbfs_db);
        s
    }

    /// Adopts `sample_rate_hz` (Hz) and starts over at unity gain; settings are kept.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        let mut fresh = Self::new(sample_rate_hz, self.spl_at_0dbfs_db);
        fresh.enabled = self.enabled;
        fresh.limit_db_spl = self.limit_db_spl;
        *self = fresh;
    }

    /// Starts over at unity gain, as a new stage would (a new stream); settings are kept.
    pub fn restart(&mut self) {
        self.set_sample_rate(self.sample_rate_hz);
    }

    /// True when the stage is off and fully recovered: [`LevelLimit::process`] then leaves
    /// the audio bit for bit and advances nothing.
    pub fn is_idle(&self) -> bool {
        !self.enabled && self.ramp_lin == (1.0, 1.0)
    }

    /// Turns the stage on or off. Turning on starts the detector from silence; turning off
    /// lets a reduction recover at the release speed, then passes audio untouched.
    pub fn set_enabled(&mut self, enabled: bool) {
        if enabled && !self.enabled {
            self.hops.clear_signal();
            self.detector_ms = [0.0; 2];
        }
        self.enabled = enabled;
    }

    /// Sets the limit (dB(A) SPL), clamped to [`LIMIT_DB_SPL_RANGE`]; non-finite is ignored.
    pub fn set_limit_db_spl(&mut self, limit_db_spl: f32) {
        if limit_db_spl.is_finite() {
            self.limit_db_spl = limit_db_spl.clamp(LIMIT_DB_SPL_RANGE.0, LIMIT_DB_SPL_RANGE.1);
        }
    }

    /// Sets the calibration: the SPL (dB) of a full-scale sine at the ear (clamped to
    /// 0..200 dB SPL; non-finite is ignored).
    pub fn set_spl_at_0dbfs_db(&mut self, spl_at_0dbfs_db: f32) {
        if spl_at_0dbfs_db.is_finite() {
            self.spl_at_0dbfs_db = spl_at_0dbfs_db.clamp(0.0, 200.0);
        }
    }

    /// Current gain reduction (dB, ≥ 0; 0 = the audio passes untouched).
    pub fn gain_reduction_db(&self) -> f32 {
        -(self.gain_db as f32)
    }

    /// Processes one block in place: the first `min(l.len(), r.len())` frames.
    pub fn process(&mut self, l: &mut [f32], r: &mut [f32]) {
        /// The whole block through one instruction-set instantiation.
        struct Pass<'a>(&'a mut LevelLimit, &'a mut [f32], &'a mut [f32]);
        impl Kernel for Pass<'_> {
            type Out = ();
            #[inline(always)]
            fn run<const FMA: bool>(self) {
                let Pass(s, mut l, mut r) = self;
                while !l.is_empty() && !r.is_empty() {
                    let take = s.hops.span(l, r);
                    let (hl, tl) = l.split_at_mut(take);
                    let (hr, tr) = r.split_at_mut(take);
                    // The detector weighs the input before the gain: feed-forward.
                    let pos = s.hops.pos_in_hop();
                    let done = s.hops.feed::<FMA>(hl, hr, s.enabled);
                    s.apply_ramp(hl, hr, pos);
                    if let Some(sums) = done {
                        s.end_hop(sums);
                    }
                    (l, r) = (tl, tr);
                }
            }
        }
        if self.is_idle() {
            // Off and fully recovered: nothing to do (and no state to advance).
            return;
        }
        dispatch(self.isa, Pass(self, l, r));
    }

    /// Multiplies samples of the current hop, from `pos_in_hop` on, by the gain ramp
    /// (nothing at unity gain, so audio under the limit passes bit for bit).
    #[inline(always)]
    fn apply_ramp(&self, l: &mut [f32], r: &mut [f32], pos_in_hop: usize) {
        let (from, to) = self.ramp_lin;
        if from == 1.0 && to == 1.0 {
            return;
        }
        let step = (to - from) / self.hops.hop_samples() as f32;
        for (i, (a, b)) in l.iter_mut().zip(r.iter_mut()).enumerate() {
            let g = from + step * (pos_in_hop + i + 1) as f32;
            *a *= g;
            *b *= g;
        }
    }

    fn end_hop(&mut self, sums: [f64; 2]) {
        let mut target_db = 0.0f64;
        if self.enabled {
            let inv = 1.0 / self.hops.hop_samples() as f64;
            for (d, s) in self.detector_ms.iter_mut().zip(sums) {
                *d += self.detector_coef * (s * inv - *d);
            }
            let louder_ms = self.detector_ms[0].max(self.detector_ms[1]);
            if louder_ms > 0.0 {
                // AES17: a digital mean square ms plays at SPL₀ + 10·log10(2·ms).
                let level_db = f64::from(self.spl_at_0dbfs_db) + 10.0 * (2.0 * louder_ms).log10();
                target_db = (f64::from(self.limit_db_spl) - level_db).min(0.0);
            }
        }
        if target_db < self.gain_db {
            self.gain_db = target_db;
        } else {
            self.gain_db += self.release_coef * (target_db - self.gain_db);
            if target_db - self.gain_db < SNAP_DB {
                self.gain_db = target_db;
            }
        }
        let to = if self.gain_db == 0.0 {
            1.0
        } else {
            10f64.powf(self.gain_db / 20.0) as f32
        };
        self.ramp_lin = (self.ramp_lin.1, to);
    }
}
