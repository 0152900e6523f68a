//! Channels side by side: the grouped filters (A-weighting, K-weighting) keep one channel
//! per vector lane, so one vector operation advances every channel by one frame. Their input
//! is turned from channels into frames of lanes here, a short span at a time.

use super::ear::{WeightedHops, EAR_HOP_MS};
use super::loudness::KWeightedSteps;
use crate::sanitise::sanitise_sample;
use crate::simd::{dispatch, Isa, Kernel};

/// Frames turned into lanes at a time (the lane filters' spans are at most this long).
pub(crate) const SPAN_FRAMES: usize = 64;

/// Writes every frame of `frames` from the same frame of each lane's channel, sanitised
/// ([`sanitise_sample`]); a lane without a channel (`None`, or one too short) gets silence.
/// Every lane of every frame is written, so no lane keeps an older span's samples.
#[inline(always)]
pub(crate) fn frames_of_lanes<const L: usize>(x: &[Option<&[f32]>; L], frames: &mut [[f32; L]]) {
    let n = frames.len();
    for (j, ch) in x.iter().enumerate() {
        match ch.and_then(|c| c.get(..n)) {
            Some(ch) => {
                for (f, &v) in frames.iter_mut().zip(ch) {
                    f[j] = sanitise_sample(v);
                }
            }
            None => {
                for f in frames.iter_mut() {
                    f[j] = 0.0;
                }
            }
        }
    }
}

/// The K-weighting (loudness, 10 ms steps) and the A-weighting (ear level, 100 ms hops) of
/// `L` channels side by side, fed from one conversion of their samples into frames of lanes.
#[derive(Clone, Debug)]
pub(crate) struct WeightedLanes<const L: usize> {
    isa: Isa,
    steps: KWeightedSteps<L>,
    hops: WeightedHops<L>,
}

impl<const L: usize> WeightedLanes<L> {
    /// Silent filters at `sample_rate_hz` (Hz), steps and hops starting now.
    pub(crate) fn new(sample_rate_hz: f32) -> Self {
        Self {
            isa: Isa::detect(),
            steps: KWeightedSteps::new(sample_rate_hz),
            hops: WeightedHops::new(sample_rate_hz, EAR_HOP_MS),
        }
    }

    /// Weighs the first `n` frames of every lane's channel (`None`: silence; every slice must
    /// hold `n` frames). Each completed loudness step hands its lanes' sums of squared
    /// K-weighted samples to `on_step`, each completed ear hop its sums of squared
    /// A-weighted samples to `on_hop`.
    pub(crate) fn process(
        &mut self,
        x: [Option<&[f32]>; L],
        n: usize,
        on_step: impl FnMut([f64; L]),
        on_hop: impl FnMut([f64; L]),
    ) {
        /// The whole span through one instruction-set instantiation.
        struct Pass<'a, const L: usize, S, H> {
            w: &'a mut WeightedLanes<L>,
            x: [Option<&'a [f32]>; L],
            n: usize,
            on_step: S,
            on_hop: H,
        }
        impl<const L: usize, S: FnMut([f64; L]), H: FnMut([f64; L])> Kernel for Pass<'_, L, S, H> {
            type Out = ();
            #[inline(always)]
            fn run<const FMA: bool>(self) {
                let Pass {
                    w,
                    x,
                    n,
                    mut on_step,
                    mut on_hop,
                } = self;
                let mut frames = [[0.0f32; L]; SPAN_FRAMES];
                let mut done = 0;
                while done < n {
                    let rest = n - done;
                    let take = w.hops.partial_span_of(rest).min(w.steps.span_of(rest));
                    let frames = &mut frames[..take];
                    frames_of_lanes(&x.map(|c| c.and_then(|c| c.get(done..))), frames);
                    if let Some(sums) = w.steps.feed::<FMA>(frames) {
                        on_step(sums);
                    }
                    if let Some(sums) = w.hops.feed_frames::<FMA>(frames, true) {
                        on_hop(sums);
                    }
                    done += take;
                }
            }
        }
        let isa = self.isa;
        dispatch(
            isa,
            Pass {
                w: self,
                x,
                n,
                on_step,
                on_hop,
            },
        );
    }
}
