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
///
/// Never inlined, so it is compiled for the baseline instruction set even when called from an
/// AVX-512 kernel: there the compiler turns the strided stores into scatters, which made this
/// loop about 40 % of the whole weighting pass.
#[inline(never)]
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

    /// Silent filters at `sample_rate_hz` (Hz), steps and hops starting now, keeping the frame
    /// buffer: a restart runs on the audio thread (an engine reset), where nothing may allocate.
    pub(crate) fn restart(&mut self, sample_rate_hz: f32) {
        self.frames.fill([0.0; L]);
        self.silent = [true; L];
        self.steps = KWeightedSteps::new(sample_rate_hz);
        self.hops = WeightedHops::new(sample_rate_hz, EAR_HOP_MS);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::{EarLevelMeter, LoudnessMeter};

    /// Eight stereo signals that differ in level, spectrum and correlation, some with
    /// non-finite and out-of-range samples, `n` frames each.
    fn signals(n: usize) -> Vec<(Vec<f32>, Vec<f32>)> {
        (0..8)
            .map(|k| {
                let mut seed = 0x9e37_79b9u32.wrapping_mul(k + 1);
                let mut lp = 0.0f32;
                (0..n)
                    .map(|i| {
                        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                        let noise = (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
                        lp += (noise - lp) * (0.05 + 0.1 * k as f32);
                        let t = i as f32 / 48_000.0;
                        let tone = (std::f32::consts::TAU * 40.0 * (k + 1) as f32 * t).sin();
                        let l = 0.3 * tone + lp * (1.0 + k as f32);
                        let r = if i % 9_001 == 17 {
                            f32::NAN
                        } else {
                            0.2 * tone - lp
                        };
                        (l, r)
                    })
                    .unzip()
            })
            .collect()
    }

    /// Every lane of the grouped weighting measures its channels exactly as a stand-alone
    /// meter does (the same filter and sums, lane by lane): loudness and ear readings of each
    /// output are bit-identical, whichever lanes are silent and however blocks are split.
    #[test]
    fn grouped_lanes_read_as_stand_alone_meters() {
        const OUTPUTS: usize = 6;
        let rate = 48_000.0;
        let n = 30_000;
        let sig = signals(n);
        let mut group = WeightedLanes::<16>::new(rate);
        let mut loud_grouped: Vec<LoudnessMeter> =
            (0..OUTPUTS).map(|_| LoudnessMeter::new(rate)).collect();
        let mut ear_grouped: Vec<EarLevelMeter> = (0..OUTPUTS)
            .map(|_| EarLevelMeter::new(rate, 100.0))
            .collect();
        let mut loud_alone = loud_grouped.clone();
        let mut ear_alone = ear_grouped.clone();
        let silent_zeros = vec![0.0f32; n];
        let mut pos = 0;
        for (b, len) in [1usize, 63, 64, 65, 256, 480, 1000, 7]
            .iter()
            .cycle()
            .enumerate()
        {
            if pos >= n {
                break;
            }
            let len = (*len).min(n - pos);
            // Output 3 goes silent now and then (a cue switched off).
            let playing = |k: usize| k != 3 || b % 4 < 2;
            let lanes: [Option<&[f32]>; 16] = std::array::from_fn(|j| {
                let k = j / 2;
                let (l, r) = sig.get(k).filter(|_| k < OUTPUTS && playing(k))?;
                Some(if j % 2 == 0 { &l[pos..] } else { &r[pos..] })
            });
            group.process(
                lanes,
                len,
                |sums| {
                    for (k, m) in loud_grouped.iter_mut().enumerate() {
                        m.end_step([sums[2 * k], sums[2 * k + 1]]);
                    }
                },
                |sums| {
                    for (k, m) in ear_grouped.iter_mut().enumerate() {
                        m.end_hop([sums[2 * k], sums[2 * k + 1]]);
                    }
                },
            );
            for k in 0..OUTPUTS {
                let (l, r) = if playing(k) {
                    (&sig[k].0[pos..pos + len], &sig[k].1[pos..pos + len])
                } else {
                    (&silent_zeros[..len], &silent_zeros[..len])
                };
                loud_alone[k].process(l, r);
                ear_alone[k].process(l, r);
            }
            pos += len;
        }
        for k in 0..OUTPUTS {
            let (a, b) = (loud_grouped[k].read(), loud_alone[k].read());
            assert_eq!(a, b, "loudness of output {k}");
            assert!(a.momentary_lufs > -60.0, "output {k} measured nothing");
            assert_eq!(
                ear_grouped[k].read(),
                ear_alone[k].read(),
                "ear of output {k}"
            );
        }
    }
}
