//! Channels side by side: the grouped filters (A-weighting, K-weighting) keep one channel
//! per vector lane, so one vector operation advances every channel by one frame. Their input
//! is turned from channels into frames of lanes here, a short span at a time.

use super::ear::{AWeighting, WeightedHops, EAR_HOP_MS};
use super::loudness::{KWeightedSteps, KWeighting};
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

/// Lanes of the narrow weighting: one AVX vector of f32.
pub(crate) const NARROW_LANES: usize = 8;

/// Values that make up one lane's state in [`WeightedLanes`]: K-weighting memory (6) and
/// step sum (1), A-weighting memory (13) and partial sum (1), as f32 bits, then the hop's
/// f64 sum bits.
type LaneState = ([u32; 21], u64);

impl<const L: usize> WeightedLanes<L> {
    /// Lane `j`'s state (bits): equal states with equal input give equal output.
    fn lane_state(&self, j: usize) -> LaneState {
        let (k, a) = (&self.steps.filter, &self.hops.filter);
        let mut v = [0u32; 21];
        let lanes = [
            &k.x[0],
            &k.x[1],
            &k.v[0],
            &k.v[1],
            &k.hp[0],
            &k.hp[1],
            &self.steps.sums,
        ]
        .into_iter()
        .chain(&a.y)
        .chain(&a.hp_x1)
        .chain(&a.lp_x)
        .chain([&self.hops.partial]);
        for (slot, lane) in v.iter_mut().zip(lanes) {
            *slot = lane.get(j).map_or(0, |x| x.to_bits());
        }
        (v, self.hops.sums.get(j).map_or(0, |x| x.to_bits()))
    }

    /// Sets lane `j`'s state (see [`Self::lane_state`]).
    fn set_lane_state(&mut self, j: usize, (v, sum): LaneState) {
        let (k, a) = (&mut self.steps.filter, &mut self.hops.filter);
        let [x0, x1] = &mut k.x;
        let [v0, v1] = &mut k.v;
        let [h0, h1] = &mut k.hp;
        let lanes = [x0, x1, v0, v1, h0, h1, &mut self.steps.sums]
            .into_iter()
            .chain(&mut a.y)
            .chain(&mut a.hp_x1)
            .chain(&mut a.lp_x)
            .chain([&mut self.hops.partial]);
        for (bits, lane) in v.into_iter().zip(lanes) {
            if let Some(x) = lane.get_mut(j) {
                *x = f32::from_bits(bits);
            }
        }
        if let Some(x) = self.hops.sums.get_mut(j) {
            *x = f64::from_bits(sum);
        }
    }

    /// Takes the step and hop positions and the A-weighting's offset sign of `other`.
    fn take_clock<const M: usize>(&mut self, other: &WeightedLanes<M>) {
        self.steps.pos_in_step = other.steps.pos_in_step;
        self.hops.pos_in_hop = other.hops.pos_in_hop;
        self.hops.filter.guard = other.hops.filter.guard;
    }
}

impl WeightedLanes<NARROW_LANES> {
    /// [`WeightedLanes::process`], with both filters in one pass over each span through a
    /// hand-written kernel where the CPU has AVX-512 (same results bit for bit).
    fn process_narrow(
        &mut self,
        x: [Option<&[f32]>; NARROW_LANES],
        n: usize,
        mut on_step: impl FnMut([f64; NARROW_LANES]),
        mut on_hop: impl FnMut([f64; NARROW_LANES]),
    ) {
        #[cfg(target_arch = "x86_64")]
        if self.isa == Isa::Avx512 {
            let mut done = 0;
            while done < n {
                let rest = n - done;
                let take = self
                    .hops
                    .partial_span_of(rest)
                    .min(self.steps.span_of(rest));
                frames_of_lanes(
                    &x.map(|c| c.and_then(|c| c.get(done..))),
                    take,
                    &mut self.frames[..],
                    &mut self.silent,
                );
                let frames = self.frames.get(..take).unwrap_or_default();
                // SAFETY: `Isa::Avx512` is only produced by `Isa::detect` after the CPU
                // reported AVX-512F, AVX-512VL, AVX2 and FMA.
                unsafe {
                    weigh_avx512vl(
                        &mut self.steps.filter,
                        &mut self.steps.sums,
                        &mut self.hops.filter,
                        &mut self.hops.partial,
                        frames,
                    );
                }
                if let Some(sums) = self.steps.advance(take) {
                    on_step(sums);
                }
                if let Some(sums) = self.hops.advance(take) {
                    on_hop(sums);
                }
                done += take;
            }
            return;
        }
        self.process(x, n, on_step, on_hop);
    }
}

/// The K-weighting and the A-weighting of eight lanes over `frames` in one pass, their
/// squares added to `k_sums` and `a_sums`: the same operations in the same order as
/// [`KWeighting::accumulate_squares`] and [`AWeighting::accumulate_squares`] with FMA, so
/// bit-identical to them. One pass keeps both recursions in flight at once, and the 32
/// AVX-512 registers hold all of their state (with 16, state spills every frame).
///
/// # Safety
/// The CPU must support AVX-512F, AVX-512VL, AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
unsafe fn weigh_avx512vl(
    k: &mut KWeighting<NARROW_LANES>,
    k_sums: &mut [f32; NARROW_LANES],
    a: &mut AWeighting<NARROW_LANES>,
    a_sums: &mut [f32; NARROW_LANES],
    frames: &[[f32; NARROW_LANES]],
) {
    use std::arch::x86_64::{
        __m256, _mm256_add_ps, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_max_ps, _mm256_min_ps,
        _mm256_mul_ps, _mm256_set1_ps, _mm256_storeu_ps, _mm256_sub_ps, _mm256_xor_ps,
    };
    type Lanes = [f32; NARROW_LANES];
    // SAFETY (both): a lane array is exactly one vector of eight f32.
    let ld = |x: &Lanes| unsafe { _mm256_loadu_ps(x.as_ptr()) };
    let st = |x: &mut Lanes, v: __m256| unsafe { _mm256_storeu_ps(x.as_mut_ptr(), v) };
    let all = |c: f32| _mm256_set1_ps(c);
    // acc + c·x, fused, as `mac::<true>`.
    let mac = |acc: __m256, c: __m256, x: __m256| _mm256_fmadd_ps(c, x, acc);

    let [b0, b1, b2] = k.shelf_b.map(all);
    let [s1, s2] = k.shelf_neg_a.map(all);
    let kp = all(k.hp_pole);
    let [mut x1, mut x2] = k.x.each_ref().map(ld);
    let [mut v1, mut v2] = k.v.each_ref().map(ld);
    let [mut h1, mut ky] = k.hp.each_ref().map(ld);
    let mut k_acc = ld(k_sums);

    let [p0, p1, p2, p3] = a.hp_pole.map(all);
    let [l0, l1, l2] = a.lp_b.map(all);
    let lp = all(a.lp_pole);
    let mut y = a.y.each_ref().map(ld);
    let mut h = a.hp_x1.each_ref().map(ld);
    let [mut lx1, mut lx2] = a.lp_x.each_ref().map(ld);
    let mut a_acc = ld(a_sums);
    let mut guard = all(a.guard);
    if frames.len() % 2 == 1 {
        a.guard = -a.guard;
    }
    let (sign, one, minus_one) = (all(-0.0), all(1.0), all(-1.0));

    for frame in frames {
        let x0 = ld(frame);
        // K-weighting (see `KWeighting::accumulate_squares`).
        let u = mac(mac(_mm256_mul_ps(b0, x0), b1, x1), b2, x2);
        let v0 = mac(mac(u, s2, v2), s1, v1);
        let h0 = mac(_mm256_sub_ps(v0, v1), kp, h1);
        let y0 = mac(_mm256_sub_ps(h0, h1), kp, ky);
        k_acc = mac(k_acc, y0, y0);
        (x2, x1, v2, v1, h1, ky) = (x1, x0, v1, v0, h0, y0);

        // A-weighting (see `AWeighting::step`): the input clamped to full scale, plus the
        // alternating offset.
        let xa = _mm256_add_ps(_mm256_max_ps(_mm256_min_ps(x0, one), minus_one), guard);
        let next = [
            mac(_mm256_sub_ps(xa, h[0]), p0, y[0]),
            mac(_mm256_sub_ps(y[0], h[1]), p1, y[1]),
            mac(_mm256_sub_ps(y[1], h[2]), p2, y[2]),
            mac(_mm256_sub_ps(y[2], h[3]), p3, y[3]),
            mac(mac(_mm256_mul_ps(l0, y[3]), l1, lx1), l2, lx2),
            mac(y[4], lp, y[5]),
            mac(y[5], lp, y[6]),
        ];
        a_acc = mac(a_acc, next[6], next[6]);
        h = [xa, y[0], y[1], y[2]];
        (lx2, lx1) = (lx1, y[3]);
        y = next;
        guard = _mm256_xor_ps(guard, sign);
    }

    let [kx0, kx1] = &mut k.x;
    let [kv0, kv1] = &mut k.v;
    let [kh0, kh1] = &mut k.hp;
    for (dst, v) in [
        (kx0, x1),
        (kx1, x2),
        (kv0, v1),
        (kv1, v2),
        (kh0, h1),
        (kh1, ky),
    ] {
        st(dst, v);
    }
    st(k_sums, k_acc);
    for (dst, v) in a.y.iter_mut().zip(y) {
        st(dst, v);
    }
    for (dst, v) in a.hp_x1.iter_mut().zip(h) {
        st(dst, v);
    }
    let [ax1, ax2] = &mut a.lp_x;
    st(ax1, lx1);
    st(ax2, lx2);
    st(a_sums, a_acc);
}

/// Whether two lanes' channels carry the same first `n` samples, bit for bit (two absent
/// channels do: both play silence), compared through the instruction set `isa`.
fn same_samples(isa: Isa, a: Option<&[f32]>, b: Option<&[f32]>, n: usize) -> bool {
    /// The comparison through one instruction-set instantiation.
    struct Same<'a>(&'a [f32], &'a [f32]);
    impl Kernel for Same<'_> {
        type Out = bool;
        #[inline(always)]
        fn run<const FMA: bool>(self) -> bool {
            // Whole chunks without an early exit, so the comparison vectorises.
            self.0.chunks(64).zip(self.1.chunks(64)).all(|(a, b)| {
                a.iter()
                    .zip(b)
                    .fold(0u32, |diff, (x, y)| diff | (x.to_bits() ^ y.to_bits()))
                    == 0
            })
        }
    }
    match (a.and_then(|a| a.get(..n)), b.and_then(|b| b.get(..n))) {
        (None, None) => a.is_none() && b.is_none(),
        (Some(a), Some(b)) => dispatch(isa, Same(a, b)),
        _ => false,
    }
}

/// The K- and A-weighting of `L` channels where channels that carry the same samples with
/// the same filter state share a lane: when they fit in [`NARROW_LANES`] lanes (a cue fed the
/// input at 0 dB, the two sides of a mono cue, silent lanes), one narrow pass weighs them all
/// and each shared lane's sums go to every channel in it. A shared lane computes exactly what
/// each of its channels would alone, so every sum is bit-identical to the wide pass.
#[derive(Clone, Debug)]
pub(crate) struct SharedLanes<const L: usize> {
    wide: WeightedLanes<L>,
    narrow: WeightedLanes<NARROW_LANES>,
    /// While the narrow pass holds the state: the narrow lane of each channel. Otherwise the
    /// wide pass holds it.
    narrow_of: Option<[usize; L]>,
    /// Calls of the wide pass left before trying to share again (sharing later changes no
    /// sum, it only saves work, so channels that cannot share are not regrouped every call).
    retry_in: u32,
}

/// Calls of the wide pass between two attempts to share (about 40 ms of 256-frame batches).
const SHARE_RETRY_CALLS: u32 = 8;

impl<const L: usize> SharedLanes<L> {
    /// Silent filters at `sample_rate_hz` (Hz), steps and hops starting now.
    pub(crate) fn new(sample_rate_hz: f32) -> Self {
        Self {
            wide: WeightedLanes::new(sample_rate_hz),
            narrow: WeightedLanes::new(sample_rate_hz),
            narrow_of: None,
            retry_in: 0,
        }
    }

    /// [`WeightedLanes::restart`].
    pub(crate) fn restart(&mut self, sample_rate_hz: f32) {
        self.wide.restart(sample_rate_hz);
        self.narrow.restart(sample_rate_hz);
        self.narrow_of = None;
        self.retry_in = 0;
    }

    /// Groups the channels by samples and then by state into at most [`NARROW_LANES`]
    /// lanes and moves their state into the narrow pass; `None` (the wide pass keeps the
    /// state) when they do not fit.
    fn share(&mut self, x: &[Option<&[f32]>; L], n: usize) -> Option<[usize; L]> {
        let isa = self.wide.isa;
        // By samples first (a probe of three samples, then all of them): most batches that
        // cannot share are told apart here, without reading any state.
        let probe = |c: Option<&[f32]>| {
            c.and_then(|c| c.get(..n))
                .map(|c| [0, n / 2, n.saturating_sub(1)].map(|k| c.get(k).map(|v| v.to_bits())))
        };
        let probes = x.map(probe);
        // The first channel with the same samples as each (bit-for-bit equality is transitive).
        let mut same_as = [0usize; L];
        for j in 0..L {
            same_as[j] = (0..j)
                .find(|&f| probes[f] == probes[j] && same_samples(isa, x[f], x[j], n))
                .unwrap_or(j);
        }
        if (0..L).filter(|&j| same_as[j] == j).count() > NARROW_LANES {
            return None;
        }
        let states: [LaneState; L] = std::array::from_fn(|j| self.wide.lane_state(j));
        let mut map = [0usize; L];
        let mut firsts = [0usize; NARROW_LANES];
        let mut lanes = 0;
        for j in 0..L {
            let shared = firsts[..lanes]
                .iter()
                .position(|&f| same_as[f] == same_as[j] && states[f] == states[j]);
            match shared {
                Some(i) => map[j] = i,
                None if lanes < NARROW_LANES => {
                    firsts[lanes] = j;
                    map[j] = lanes;
                    lanes += 1;
                }
                None => return None,
            }
        }
        self.narrow.take_clock(&self.wide);
        for (i, &f) in firsts[..lanes].iter().enumerate() {
            self.narrow.set_lane_state(i, states[f]);
        }
        Some(map)
    }

    /// [`WeightedLanes::process`].
    pub(crate) fn process(
        &mut self,
        x: [Option<&[f32]>; L],
        n: usize,
        mut on_step: impl FnMut([f64; L]),
        mut on_hop: impl FnMut([f64; L]),
    ) {
        let isa = self.wide.isa;
        if let Some(map) = self.narrow_of {
            // Still shared only if every channel carries its lane's first channel's samples.
            let agree = (0..L).all(|j| {
                let first = map.iter().position(|&i| i == map[j]).unwrap_or(j);
                first == j || same_samples(isa, x[first], x[j], n)
            });
            if !agree {
                self.wide.take_clock(&self.narrow);
                for (j, &i) in map.iter().enumerate() {
                    self.wide.set_lane_state(j, self.narrow.lane_state(i));
                }
                self.narrow_of = None;
            }
        }
        if self.narrow_of.is_none() {
            if self.retry_in == 0 {
                self.narrow_of = self.share(&x, n);
                self.retry_in = SHARE_RETRY_CALLS;
            }
            self.retry_in -= 1;
        }
        match self.narrow_of {
            Some(map) => {
                let mut narrow_x: [Option<&[f32]>; NARROW_LANES] = [None; NARROW_LANES];
                for (j, &i) in map.iter().enumerate().rev() {
                    narrow_x[i] = x[j];
                }
                let wide = |s: [f64; NARROW_LANES]| map.map(|i| s[i]);
                self.narrow
                    .process_narrow(narrow_x, n, |s| on_step(wide(s)), |s| on_hop(wide(s)));
            }
            None => self.wide.process(x, n, on_step, on_hop),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::{EarLevelMeter, LoudnessMeter};

    /// The hand-written narrow kernel computes exactly what the plain loops compute with FMA
    /// (both filters' state and sums, bit for bit), also over full scale, on tiny values and
    /// for spans of odd length (the A-weighting's offset alternates per frame).
    #[cfg(target_arch = "x86_64")]
    #[test]
    #[cfg_attr(not(cuewire_has_avx512), ignore = "CPU lacks AVX-512F")]
    fn narrow_kernel_matches_the_plain_loops() {
        assert!(
            Isa::Avx512.supported(),
            "built for AVX-512 but the CPU lacks it"
        );
        let frames: Vec<[f32; NARROW_LANES]> = (0..5_000)
            .map(|i| {
                std::array::from_fn(|j| match (i + 7 * j) % 997 {
                    0 => 3.0e4,
                    1 => -1.5,
                    2 => 1.0e-17,
                    _ => ((i * (j + 3)) as f32 * 0.0137).sin() * 0.4 * (j + 1) as f32,
                })
            })
            .collect();
        let mut plain = WeightedLanes::<NARROW_LANES>::new(44_100.0);
        let mut fast = plain.clone();
        let (mut k_plain, mut a_plain) = ([0.0f32; NARROW_LANES], [0.0f32; NARROW_LANES]);
        let (mut k_fast, mut a_fast) = (k_plain, a_plain);
        for span in frames.chunks(37) {
            plain
                .steps
                .filter
                .accumulate_squares::<true>(span, &mut k_plain);
            plain
                .hops
                .filter
                .accumulate_squares::<true>(span, &mut a_plain);
            // SAFETY: checked above that the CPU has AVX-512 (F, VL), AVX2 and FMA.
            unsafe {
                weigh_avx512vl(
                    &mut fast.steps.filter,
                    &mut k_fast,
                    &mut fast.hops.filter,
                    &mut a_fast,
                    span,
                );
            }
        }
        let bits = |x: [f32; NARROW_LANES]| x.map(f32::to_bits);
        assert_eq!(bits(k_fast), bits(k_plain));
        assert_eq!(bits(a_fast), bits(a_plain));
        for j in 0..NARROW_LANES {
            assert_eq!(fast.lane_state(j), plain.lane_state(j), "lane {j}");
        }
        assert_eq!(
            fast.hops.filter.guard.to_bits(),
            plain.hops.filter.guard.to_bits()
        );
    }

    /// Sharing lanes changes no sum: channels that copy one another (a cue fed the input,
    /// the two sides of a mono cue, silent cues), that part and meet again, or carry
    /// non-finite samples give every step and hop sum bit for bit as the wide pass, however
    /// blocks are split; and the narrow pass is really used and really left.
    #[test]
    fn shared_lanes_sum_as_the_wide_pass() {
        let rate = 48_000.0;
        let n = 40_000;
        let sig = signals(n);
        let (input, main, other) = (&sig[0], &sig[1], &sig[2]);
        // A mono cue (both sides the same), and one that leaves the main mix for a stretch.
        let mono: Vec<f32> = input
            .0
            .iter()
            .zip(&input.1)
            .map(|(a, b)| 0.5 * (a + b))
            .collect();
        let parting: Vec<f32> = (0..n)
            .map(|i| {
                if (9_000..9_300).contains(&i) {
                    0.5 * main.0[i]
                } else {
                    main.0[i]
                }
            })
            .collect();
        let mut shared = SharedLanes::<16>::new(rate);
        let mut wide = WeightedLanes::<16>::new(rate);
        let (mut got_steps, mut got_hops, mut want_steps, mut want_hops) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut used_narrow, mut used_wide) = (0, 0);
        let blocks = cuewire_testkit::spans(n, &[1, 63, 64, 65, 256, 480, 1000, 7, 300], n, &[]);
        for (b, &(pos, end)) in blocks.iter().enumerate() {
            let len = end - pos;
            // Cue 3 plays the other signal now and then, else it is off (silent).
            let cue3 = b % 5 < 2;
            let lanes: [Option<&[f32]>; 16] = std::array::from_fn(|j| {
                let ch: &[f32] = match j {
                    0 | 4 => &input.0,
                    1 | 5 => &input.1,
                    2 => &main.0,
                    3 => &main.1,
                    6 | 7 => &mono,
                    8 => &parting,
                    9 => &main.1,
                    10 if cue3 => &other.0,
                    11 if cue3 => &other.1,
                    _ => return None,
                };
                Some(&ch[pos..])
            });
            shared.process(lanes, len, |s| got_steps.push(s), |s| got_hops.push(s));
            wide.process(lanes, len, |s| want_steps.push(s), |s| want_hops.push(s));
            if shared.narrow_of.is_some() {
                used_narrow += 1;
            } else {
                used_wide += 1;
            }
        }
        for (what, got, want) in [
            ("step", &got_steps, &want_steps),
            ("hop", &got_hops, &want_hops),
        ] {
            assert_eq!(got.len(), want.len(), "{what}s");
            for (k, (g, w)) in got.iter().zip(want).enumerate() {
                assert_eq!(g.map(f64::to_bits), w.map(f64::to_bits), "{what} {k}");
            }
            assert!(
                got.iter().any(|s| s[8] > 0.0 && s[10] > 0.0),
                "{what}: nothing measured"
            );
        }
        assert!(
            used_narrow > 0 && used_wide > 0,
            "narrow {used_narrow}, wide {used_wide}"
        );
    }

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
        let blocks = cuewire_testkit::spans(n, &[1, 63, 64, 65, 256, 480, 1000, 7], n, &[]);
        for (b, &(pos, end)) in blocks.iter().enumerate() {
            let len = end - pos;
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
