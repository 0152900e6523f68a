//! The rectangular hop window shared by RMS, correlation, balance and the common-mode meter
//! (300 ms: a ring of 30 sums over 10 ms hops) and by Auto fix's detector (40 ms: 8 hops of
//! 5 ms).
//!
//! Why hops and not a per-sample running sum: a running sum that adds the new square and
//! subtracts the old one drifts, and after a huge burst leaves cancellation residue that makes
//! silence read as signal (or as a negative power). Summing whole hops and re-adding the ring's
//! 30 entries at each hop end costs almost nothing and is exact, and every sum is formed in a
//! fixed order tied to the sample position, so any block split gives bit-identical readings.

use crate::sanitise::{sanitise_rate_hz, sanitise_sample};
use crate::simd::{dispatch, Isa, Kernel};

/// Hops in the meters' window: 30 hops of 10 ms make the 300 ms window.
pub(crate) const WINDOW_HOPS: usize = 30;

/// The meters' hop length in milliseconds (their readings refresh once per hop).
const METER_HOP_MS: f32 = 10.0;

/// Independent partial sums per quantity, so the sum is not one long add-latency chain and
/// the compiler can vectorise it. A sample at position `pos` in its hop always lands in lane
/// `pos % LANES`, which keeps the arithmetic independent of how blocks are split. The lanes
/// are f32 (eight samples per instruction, and no conversions per sample): a lane sums one
/// hop's eighth (60 values at 48 kHz, 480 at 384 kHz), a relative error of a few 1e-6 at
/// most (≈ 1e-5 dB); hop sums and the window total are f64.
const LANES: usize = 8;

/// Sums of `K` per-sample quantities over the last `HOPS` complete hops (by default the
/// meters' [`WINDOW_HOPS`] of 10 ms).
#[derive(Clone, Debug)]
pub(crate) struct HopWindow<const K: usize, const HOPS: usize = WINDOW_HOPS> {
    isa: Isa,
    hop_samples: usize,
    pos_in_hop: usize,
    lanes: [[f32; LANES]; K],
    ring: [[f64; K]; HOPS],
    next_slot: usize,
    totals: [f64; K],
}

impl<const K: usize, const HOPS: usize> HopWindow<K, HOPS> {
    /// An empty window of the meters' 10 ms hops for `sample_rate_hz`.
    pub(crate) fn new(sample_rate_hz: f32) -> Self {
        Self::with_hop_ms(sample_rate_hz, METER_HOP_MS)
    }

    /// An empty window of `hop_ms` hops (rounded to whole samples) for `sample_rate_hz`.
    pub(crate) fn with_hop_ms(sample_rate_hz: f32, hop_ms: f32) -> Self {
        let fs = f64::from(sanitise_rate_hz(sample_rate_hz));
        Self {
            isa: Isa::detect(),
            hop_samples: ((fs * f64::from(hop_ms) * 0.001).round() as usize).max(1),
            pos_in_hop: 0,
            lanes: [[0.0; LANES]; K],
            ring: [[0.0; K]; HOPS],
            next_slot: 0,
            totals: [0.0; K],
        }
    }

    /// Forgets all history and adopts `sample_rate_hz` (10 ms hops).
    pub(crate) fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        *self = Self::new(sample_rate_hz);
    }

    /// Forgets all history; keeps the hop length.
    pub(crate) fn clear(&mut self) {
        *self = Self {
            hop_samples: self.hop_samples,
            ..Self::new(48_000.0)
        };
    }

    /// Hop length in samples.
    pub(crate) fn hop_samples(&self) -> usize {
        self.hop_samples
    }

    /// Samples left until the current hop ends (≥ 1): feeding exactly that many ends it.
    pub(crate) fn samples_to_hop_end(&self) -> usize {
        self.hop_samples - self.pos_in_hop
    }

    /// True when the last sample fed ended a hop (and no sample of the next one came since):
    /// the sums have just moved on.
    pub(crate) fn at_hop_start(&self) -> bool {
        self.pos_in_hop == 0
    }

    /// Window length in samples (`HOPS` whole hops of whole samples).
    pub(crate) fn window_samples(&self) -> usize {
        self.hop_samples * HOPS
    }

    /// Means (sum / window length) of the `K` quantities over the window; samples before the
    /// first one count as zeros, so a fresh window ramps up over its length.
    pub(crate) fn means(&self) -> [f64; K] {
        let inv = 1.0 / self.window_samples() as f64;
        self.totals.map(|t| t * inv)
    }

    /// [`Self::feed`] compiled for the best instruction set of this CPU, for callers that are
    /// not already inside a dispatched kernel.
    pub(crate) fn feed_dispatched<F>(&mut self, a: &[f32], b: &[f32], f: F)
    where
        F: Fn(f32, f32) -> [f32; K] + Copy,
    {
        /// One feed through one instruction-set instantiation.
        struct Feed<'a, const K: usize, const HOPS: usize, F>(
            &'a mut HopWindow<K, HOPS>,
            &'a [f32],
            &'a [f32],
            F,
        );
        impl<const K: usize, const HOPS: usize, F: Fn(f32, f32) -> [f32; K] + Copy> Kernel
            for Feed<'_, K, HOPS, F>
        {
            type Out = ();
            #[inline(always)]
            fn run<const FMA: bool>(self) {
                self.0.feed(self.1, self.2, self.3);
            }
        }
        dispatch(self.isa, Feed(self, a, b, f));
    }

    /// Accumulates `f(a[i], b[i])` for the first `min(a.len(), b.len())` samples; `f` gets
    /// sanitised samples.
    #[inline(always)]
    pub(crate) fn feed<F>(&mut self, a: &[f32], b: &[f32], f: F)
    where
        F: Fn(f32, f32) -> [f32; K] + Copy,
    {
        self.feed_impl::<true, F>(a, b, f);
    }

    /// [`Self::feed`] for samples that are already sanitised (bit-identical result).
    #[inline(always)]
    pub(crate) fn feed_clean<F>(&mut self, a: &[f32], b: &[f32], f: F)
    where
        F: Fn(f32, f32) -> [f32; K] + Copy,
    {
        self.feed_impl::<false, F>(a, b, f);
    }

    #[inline(always)]
    fn feed_impl<const SANITISE: bool, F>(&mut self, a: &[f32], b: &[f32], f: F)
    where
        F: Fn(f32, f32) -> [f32; K] + Copy,
    {
        let n = a.len().min(b.len());
        let (mut a, mut b) = (
            a.get(..n).unwrap_or_default(),
            b.get(..n).unwrap_or_default(),
        );
        while let (Some(_), Some(_)) = (a.first(), b.first()) {
            let take = self
                .hop_samples
                .saturating_sub(self.pos_in_hop)
                .clamp(1, a.len());
            let (Some((head_a, rest_a)), Some((head_b, rest_b))) =
                (a.split_at_checked(take), b.split_at_checked(take))
            else {
                return;
            };
            self.accumulate::<SANITISE, F>(head_a, head_b, f);
            if self.pos_in_hop >= self.hop_samples {
                self.end_hop();
            }
            a = rest_a;
            b = rest_b;
        }
    }

    #[inline(always)]
    fn accumulate<const SANITISE: bool, F>(&mut self, a: &[f32], b: &[f32], f: F)
    where
        F: Fn(f32, f32) -> [f32; K] + Copy,
    {
        let clean = |x: f32| if SANITISE { sanitise_sample(x) } else { x };
        let n = a.len().min(b.len());
        // Head: single samples until the hop position is lane-aligned.
        let head = ((LANES - self.pos_in_hop % LANES) % LANES).min(n);
        let (Some((head_a, body_a)), Some((head_b, body_b))) =
            (a.split_at_checked(head), b.split_at_checked(head))
        else {
            return;
        };
        for (&x, &y) in head_a.iter().zip(head_b) {
            self.add_one(f(clean(x), clean(y)));
        }
        let mut ca = body_a.chunks_exact(LANES);
        let mut cb = body_b.chunks_exact(LANES);
        // Local copy of the lanes so they stay in registers; fixed-size views and a separate
        // sanitising step keep the loop in a shape the compiler vectorises.
        let mut lanes = self.lanes;
        let mut done = 0;
        for (xa, xb) in (&mut ca).zip(&mut cb) {
            let (Some(xa), Some(xb)) = (xa.first_chunk::<LANES>(), xb.first_chunk::<LANES>())
            else {
                break;
            };
            let mut sa = [0.0f32; LANES];
            let mut sb = [0.0f32; LANES];
            for j in 0..LANES {
                sa[j] = clean(xa[j]);
                sb[j] = clean(xb[j]);
            }
            for j in 0..LANES {
                let q = f(sa[j], sb[j]);
                for (lane, v) in lanes.iter_mut().zip(q) {
                    lane[j] += v;
                }
            }
            done += LANES;
        }
        self.lanes = lanes;
        self.pos_in_hop += done;
        for (&x, &y) in ca.remainder().iter().zip(cb.remainder()) {
            self.add_one(f(clean(x), clean(y)));
        }
    }

    #[inline(always)]
    fn add_one(&mut self, q: [f32; K]) {
        let j = self.pos_in_hop % LANES;
        for (lane, v) in self.lanes.iter_mut().zip(q) {
            lane[j] += v;
        }
        self.pos_in_hop += 1;
    }

    fn end_hop(&mut self) {
        let slot = self.next_slot % HOPS;
        for (k, lanes) in self.lanes.iter_mut().enumerate() {
            let lane = *lanes;
            *lanes = [0.0; LANES];
            // Fixed pairwise order: the result must not depend on block boundaries.
            let lane = lane.map(f64::from);
            let s = ((lane[0] + lane[1]) + (lane[2] + lane[3]))
                + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
            self.ring[slot][k] = s;
        }
        self.next_slot = (slot + 1) % HOPS;
        // Re-adding the ring instead of add-new/subtract-old keeps the total exact: no drift,
        // and no residue once a burst has left the window.
        let mut totals = [0.0; K];
        for hop in &self.ring {
            for (t, v) in totals.iter_mut().zip(hop) {
                *t += v;
            }
        }
        self.totals = totals;
        self.pos_in_hop = 0;
    }
}
