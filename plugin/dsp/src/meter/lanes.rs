//! Channels side by side: the grouped filters (A-weighting, K-weighting) keep one channel
//! per vector lane, so one vector operation advances every channel by one frame. Their input
//! is turned from channels into frames of lanes here, a short span at a time.

use super::ear::{WeightedHops, EAR_HOP_MS};
use super::loudness::KWeightedSteps;
use crate::sanitise::sanitise_sample;
use crate::simd::{dispatch, Isa, Kernel};

/// Frames turned into lanes at a time (the lane filters' spans are at most this long).
pub(crate) const SPAN_FRAMES: usize = 64;

/// Writes the first `n` frames of `frames` from the same frames of each lane's channel,
/// sanitised ([`sanitise_sample`]). A lane without a channel (`None`, or one too short)
/// plays silence: it is zeroed in every frame of `frames`, unless `silent[j]` says it already
/// is (writing silence costs as much as writing samples, the strided stores, so a lane that
/// stays silent is written once). `silent` is kept up to date.
#[inline(always)]
pub(crate) fn frames_of_lanes<const L: usize>(
    x: &[Option<&[f32]>; L],
    n: usize,
    frames: &mut [[f32; L]],
    silent: &mut [bool; L],
) {
    let n = n.min(frames.len());
    for ((j, ch), silent) in x.iter().enumerate().zip(silent) {
        match ch.and_then(|c| c.get(..n)) {
            Some(ch) => {
                for (f, &v) in frames.iter_mut().zip(ch) {
                    f[j] = sanitise_sample(v);
                }
                *silent = false;
            }
            None if !*silent => {
                for f in frames.iter_mut() {
                    f[j] = 0.0;
                }
                *silent = true;
            }
            None => {}
        }
    }
}

/// The K-weighting (loudness, 10 ms steps) and the A-weighting (ear level, 100 ms hops) of
/// `L` channels side by side, fed from one conversion of their samples into frames of lanes.
#[derive(Clone, Debug)]
pub(crate) struct WeightedLanes<const L: usize> {
    isa: Isa,
    /// Frames of lanes of the span being weighed.
    frames: Box<[[f32; L]; SPAN_FRAMES]>,
    /// Lanes that hold silence in every frame of `frames`.
    silent: [bool; L],
    steps: KWeightedSteps<L>,
    hops: WeightedHops<L>,
}

impl<const L: usize> WeightedLanes<L> {
    /// Silent filters at `sample_rate_hz` (Hz), steps and hops starting now.
    pub(crate) fn new(sample_rate_hz: f32) -> Self {
        Self {
            isa: Isa::detect(),
            frames: Box::new([[0.0; L]; SPAN_FRAMES]),
            silent: [true; L],
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
                let mut done = 0;
                while done < n {
                    let rest = n - done;
                    let take = w.hops.partial_span_of(rest).min(w.steps.span_of(rest));
                    frames_of_lanes(
                        &x.map(|c| c.and_then(|c| c.get(done..))),
                        take,
                        &mut w.frames[..],
                        &mut w.silent,
                    );
                    let frames = w.frames.get(..take).unwrap_or_default();
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
