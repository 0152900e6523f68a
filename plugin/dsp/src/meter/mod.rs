//! Meters: sample peak, true peak (ITU-R BS.1770-4 Annex 2 style), RMS, held peak, headroom,
//! clip events and true-peak overs per channel, aggregated per stereo output by
//! [`OutputMeter`]; stereo correlation and balance ([`StereoMeter`]) and the common-mode level
//! and rejection ([`CommonModeMeter`]) for the main output; the level at the ear in dB(A) SPL
//! and the listener's sound exposure ([`EarLevelMeter`], with the IEC 61672-1 [`AWeighting`]).
//!
//! Real-time rules every type here keeps: `process` never allocates, locks, logs or panics
//! and accepts blocks of any length (work is done in internal chunks of at most [`CHUNK`]
//! samples); all state is fixed-size and taken in `new()`. Any block split gives bit-identical
//! readings at the same sample position, because every piece of state advances per sample or
//! per hop counted in samples. Input is sanitised on the fly by [`sanitise_sample`]: non-finite
//! samples meter as silence (the ear guard counts them) and huge ones are clamped, so no
//! reading ever sticks at NaN or infinity.
//!
//! Reading model: "since last read" values (sample peak, true peak) are reset by `read()`, so
//! the GUI never misses a peak between two frames; everything else is latched until `reset()`.
//! `reset()` clears readings and counters but keeps signal history (interpolator taps, RMS
//! window), so a reset in mid-programme neither invents a transient nor blanks the RMS.

mod bank;
mod common_mode;
mod ear;
mod lanes;
mod level;
mod loudness;
mod stereo;
mod true_peak;
mod window;

pub use bank::{MeterBank, OutputLoudness, EAR_OUTPUTS, LOUDNESS_OUTPUTS};
pub use common_mode::{CommonModeMeter, CommonModeReading, REJECTION_CAP_DB};
pub(crate) use ear::WeightedHops;
pub use ear::{
    a_weighting_analog_db, a_weighting_poles_hz, AWeighting, EarLevelMeter, EarReading,
    WeeklyAllowance, AUDIBLE_FLOOR_DB_SPL, A_WEIGHTING_LAG_SAMPLES, EAR_SILENCE_DB,
    EXPOSURE_PA2H_MAX, IEC_61672_A_WEIGHTING_DB, IEC_61672_CLASS_1_LIMITS_DB, IEC_61672_NOMINAL_HZ,
    P_REF_PA,
};
pub(crate) use lanes::SharedLanes;
pub use level::{
    ClipCounter, HeldPeak, RmsMeter, SamplePeakMeter, DEFAULT_CLIP_RUN_SAMPLES, DEFAULT_HOLD_MS,
    HOLD_MS_MAX, HOLD_MS_MIN, RELEASE_DB_PER_S,
};
pub use loudness::{
    k_weighting, plr_lu, Biquad, LoudnessMeter, LoudnessReading, ABSOLUTE_GATE_LUFS,
    HIGH_PASS_F0_HZ, HIGH_PASS_Q, LOUDNESS_FLOOR_LUFS, LOUDNESS_OFFSET_DB, SHELF_F0_HZ,
    SHELF_GAIN_DB, SHELF_Q, SHELF_VB_EXPONENT,
};
pub(crate) use stereo::correlation;
pub use stereo::{StereoMeter, StereoReading, BALANCE_LIMIT_DB};
pub use true_peak::{TruePeakMeter, TruePeakReading, TP_KAISER_BETA, TP_PROTOTYPE_TAPS};
pub(crate) use window::HopWindow;

use crate::sanitise::sanitise_sample;
use crate::simd::{dispatch, Kernel};
use crate::units::lin_to_db;

/// Largest internal chunk in samples; every meter processes longer blocks in pieces this long.
pub const CHUNK: usize = 128;

/// Mean square (linear², −140 dBFS RMS) under which a window counts as silent for
/// correlation, balance and the common-mode rejection estimate.
pub const SILENCE_MEAN_SQUARE: f64 = 1.0e-14;

/// Larger of two values, for already sanitised (never NaN) inputs. `f32::max` lowers to a
/// vector max (plus a NaN fix-up that never fires here); a hand-written compare-and-select
/// was turned into per-lane branches by the compiler inside the true-peak kernel, which cost
/// more than the whole FIR on noisy input.
#[inline(always)]
pub(crate) fn fmax(a: f32, b: f32) -> f32 {
    a.max(b)
}

/// Lanes for max reductions: independent maxima the compiler can keep in one or two vectors.
const MAX_LANES: usize = 8;

/// The largest of `init` and `lanes` (magnitudes: never NaN, never −0; `N` a power of two),
/// halving the lanes each step so the compiler keeps them in vectors (a left fold is one long
/// chain of scalar maxima). Any order gives the same maximum of such values.
#[inline(always)]
pub(crate) fn max_of_lanes<const N: usize>(init: f32, lanes: [f32; N]) -> f32 {
    const { assert!(N.is_power_of_two()) };
    let mut v = lanes;
    let mut width = N / 2;
    while width > 0 {
        for j in 0..width {
            v[j] = fmax(v[j], v[j + width]);
        }
        width /= 2;
    }
    fmax(init, v[0])
}

/// Largest sanitised magnitude in raw input `x` (0 for an empty slice).
#[inline]
pub(crate) fn max_abs(x: &[f32]) -> f32 {
    let mut lanes = [0.0f32; MAX_LANES];
    let mut chunks = x.chunks_exact(MAX_LANES);
    for c in &mut chunks {
        let Some(c) = c.first_chunk::<MAX_LANES>() else {
            break;
        };
        let mut s = [0.0f32; MAX_LANES];
        for j in 0..MAX_LANES {
            s[j] = sanitise_sample(c[j]);
        }
        for j in 0..MAX_LANES {
            lanes[j] = fmax(lanes[j], s[j].abs());
        }
    }
    let m = chunks
        .remainder()
        .iter()
        .fold(0.0f32, |m, &v| fmax(m, sanitise_sample(v).abs()));
    max_of_lanes(m, lanes)
}

/// Largest magnitude in already sanitised `x` (0 for an empty slice).
#[inline(always)]
pub(crate) fn max_abs_clean(x: &[f32]) -> f32 {
    let mut lanes = [0.0f32; MAX_LANES];
    let mut chunks = x.chunks_exact(MAX_LANES);
    for c in &mut chunks {
        let Some(c) = c.first_chunk::<MAX_LANES>() else {
            break;
        };
        for j in 0..MAX_LANES {
            lanes[j] = fmax(lanes[j], c[j].abs());
        }
    }
    let m = chunks
        .remainder()
        .iter()
        .fold(0.0f32, |m, &v| fmax(m, v.abs()));
    max_of_lanes(m, lanes)
}

/// One channel's readings (see [`ChannelMeter::read`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ChannelReading {
    /// Largest |sample| since the last read (linear, full scale = 1.0).
    pub sample_peak_lin: f32,
    /// Largest true peak since the last read (linear).
    pub true_peak_lin: f32,
    /// RMS over the last 300 ms (linear).
    pub rms_lin: f32,
    /// Held true peak now (linear): holds, then falls at [`RELEASE_DB_PER_S`].
    pub held_peak_lin: f32,
    /// Highest true peak since reset (linear).
    pub max_true_peak_lin: f32,
    /// Ceiling minus highest true peak since reset (dB; ceiling + 200 while silent).
    pub headroom_db: f32,
    /// Clip events since reset (runs of at least N samples with |x| ≥ 1.0).
    pub clip_events: u32,
    /// True-peak overs since reset (runs of interpolated values above 1.0).
    pub tp_overs: u32,
}

/// Every per-channel meter on one channel: sample peak, true peak, RMS, held peak, clip events.
#[derive(Clone, Debug)]
pub struct ChannelMeter {
    sample_peak: SamplePeakMeter,
    true_peak: TruePeakMeter,
    rms: RmsMeter,
    held: HeldPeak,
    clips: ClipCounter,
    ceiling_db: f32,
    /// (highest true peak, its level in dB) from the last read: the highest peak rarely
    /// changes, so reads mostly skip the logarithm. NaN = none yet.
    max_db_memo: (f32, f32),
}

impl ChannelMeter {
    /// A meter for one channel at `sample_rate_hz` (Hz), default hold, clip run and a 0 dBFS ceiling.
    pub fn new(sample_rate_hz: f32) -> Self {
        Self {
            sample_peak: SamplePeakMeter::new(),
            true_peak: TruePeakMeter::new(sample_rate_hz),
            rms: RmsMeter::new(sample_rate_hz),
            held: HeldPeak::new(sample_rate_hz),
            clips: ClipCounter::new(DEFAULT_CLIP_RUN_SAMPLES),
            ceiling_db: 0.0,
            max_db_memo: (f32::NAN, 0.0),
        }
    }

    /// Adopts `sample_rate_hz` (Hz) and clears all state and history; settings are kept.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        self.sample_peak.reset();
        self.true_peak.set_sample_rate(sample_rate_hz);
        self.rms.set_sample_rate(sample_rate_hz);
        self.held.set_sample_rate(sample_rate_hz);
        self.clips.clear();
    }

    /// Peak hold time in ms (clamped to [`HOLD_MS_MIN`]..[`HOLD_MS_MAX`]).
    pub fn set_hold_ms(&mut self, hold_ms: f32) {
        self.held.set_hold_ms(hold_ms);
    }

    /// Consecutive full-scale samples that make a clip event (clamped to 1..10).
    pub fn set_clip_run_samples(&mut self, run_samples: u32) {
        self.clips.set_run_samples(run_samples);
    }

    /// Ceiling in dBFS that headroom is measured against.
    pub fn set_ceiling_db(&mut self, ceiling_db: f32) {
        if ceiling_db.is_finite() {
            self.ceiling_db = ceiling_db;
        }
    }

    /// Meters a block of any length.
    pub fn process(&mut self, x: &[f32]) {
        /// The whole block through one instruction-set instantiation.
        struct Pass<'a>(&'a mut ChannelMeter, &'a [f32]);
        impl Kernel for Pass<'_> {
            type Out = ();
            #[inline(always)]
            fn run<const FMA: bool>(self) {
                for chunk in self.1.chunks(CHUNK) {
                    self.0.process_chunk::<FMA>(chunk, []);
                }
            }
        }
        dispatch(self.true_peak.isa(), Pass(self, x));
    }

    /// Meters up to [`CHUNK`] samples; `leads`: channels that have just metered their own
    /// chunk of the same span, whose true-peak interpolation is reused if one's signal is
    /// identical to this one's.
    #[inline(always)]
    fn process_chunk<'l, const FMA: bool>(
        &mut self,
        chunk: &[f32],
        leads: impl IntoIterator<Item = &'l ChannelMeter>,
    ) {
        // One pass of the true-peak kernel also yields the chunk's sample peak and (when the
        // held peak can change) the per-sample peaks, so the other meters need no extra pass.
        let held_floor = self.held.floor_for_chunk(chunk.len());
        let peaks = self.true_peak.process_chunk::<FMA>(
            chunk,
            held_floor,
            leads.into_iter().map(|l| &l.true_peak),
        );
        self.sample_peak.add_peak(peaks.sample_max_lin);
        self.held
            .process_chunk_above(peaks.steps_lin, peaks.step_max_lin, held_floor);
        self.clips.process_chunk(chunk, peaks.sample_max_lin);
        self.rms.process_clean(peaks.clean);
    }

    /// Current readings; resets the since-last-read peaks.
    pub fn read(&mut self) -> ChannelReading {
        let sample_peak_lin = self.sample_peak.read();
        let tp = self.true_peak.read();
        if self.max_db_memo.0 != tp.max_lin {
            self.max_db_memo = (tp.max_lin, lin_to_db(tp.max_lin));
        }
        ChannelReading {
            sample_peak_lin,
            true_peak_lin: tp.peak_lin,
            rms_lin: self.rms.read_lin(),
            held_peak_lin: self.held.read_lin(),
            max_true_peak_lin: tp.max_lin,
            headroom_db: self.ceiling_db - self.max_db_memo.1,
            clip_events: self.clips.events(),
            tp_overs: tp.overs,
        }
    }

    /// Clears every latched value and counter (peaks, held peak, maximum, events, overs).
    pub fn reset(&mut self) {
        self.sample_peak.reset();
        self.true_peak.reset();
        self.held.reset();
        self.clips.reset();
    }
}

/// Readings of one stereo output, per channel (index 0 = left, 1 = right).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OutputReading {
    /// Largest |sample| since the last read (linear).
    pub sample_peak_lin: [f32; 2],
    /// Largest true peak since the last read (linear).
    pub true_peak_lin: [f32; 2],
    /// RMS over the last 300 ms (linear).
    pub rms_lin: [f32; 2],
    /// Held true peak now (linear).
    pub held_peak_lin: [f32; 2],
    /// Highest true peak since reset (linear).
    pub max_true_peak_lin: [f32; 2],
    /// Ceiling minus highest true peak since reset (dB).
    pub headroom_db: [f32; 2],
    /// Clip events since reset (count).
    pub clip_events: [u32; 2],
    /// True-peak overs since reset (count).
    pub tp_overs: [u32; 2],
}

/// Channels of a group that can lead others (later ones are metered, but never reused).
const MAX_GROUP_CHANNELS: usize = 16;

/// First, middle and last sample of a chunk as bits (all ones for an empty chunk).
#[inline(always)]
fn probe(x: &[f32]) -> [u32; 3] {
    match (x.first(), x.get(x.len() / 2), x.last()) {
        (Some(a), Some(b), Some(c)) => [a.to_bits(), b.to_bits(), c.to_bits()],
        _ => [u32::MAX; 3],
    }
}

/// One output of a group metered together (see [`OutputMeter::process_group`]): the meter,
/// then the left and right samples.
pub type GroupMember<'a> = (&'a mut OutputMeter, &'a [f32], &'a [f32]);

/// All per-channel meters of one stereo output (main or a cue).
#[derive(Clone, Debug)]
pub struct OutputMeter {
    channels: [ChannelMeter; 2],
    /// What `read()` returns until the meter changes again: set by a read (with the
    /// since-last-read peaks at zero, as the read left them), cleared by anything that
    /// changes the meter. A port that is not processed (a cue that is off) then costs no
    /// logarithms per host block.
    unchanged_reading: Option<OutputReading>,
}

impl OutputMeter {
    /// Meters for a stereo output at `sample_rate_hz` (Hz).
    pub fn new(sample_rate_hz: f32) -> Self {
        Self {
            channels: [
                ChannelMeter::new(sample_rate_hz),
                ChannelMeter::new(sample_rate_hz),
            ],
            unchanged_reading: None,
        }
    }

    /// Adopts `sample_rate_hz` (Hz) and clears all state and history; settings are kept.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        self.unchanged_reading = None;
        for c in &mut self.channels {
            c.set_sample_rate(sample_rate_hz);
        }
    }

    /// Peak hold time in ms (500..10000, default 2000).
    pub fn set_hold_ms(&mut self, hold_ms: f32) {
        self.unchanged_reading = None;
        for c in &mut self.channels {
            c.set_hold_ms(hold_ms);
        }
    }

    /// Consecutive samples at or over full scale that make one clip event (1..10, default 3).
    pub fn set_clip_run_samples(&mut self, run_samples: u32) {
        self.unchanged_reading = None;
        for c in &mut self.channels {
            c.set_clip_run_samples(run_samples);
        }
    }

    /// Ceiling in dBFS for headroom (the ear guard's ceiling; 0 dBFS for an input meter).
    pub fn set_ceiling_db(&mut self, ceiling_db: f32) {
        self.unchanged_reading = None;
        for c in &mut self.channels {
            c.set_ceiling_db(ceiling_db);
        }
    }

    /// Meters one block; only the first `min(l.len(), r.len())` frames are used so the two
    /// channels stay aligned.
    pub fn process(&mut self, l: &[f32], r: &[f32]) {
        self.unchanged_reading = None;
        let n = l.len().min(r.len());
        let [ml, mr] = &mut self.channels;
        ml.process(l.get(..n).unwrap_or_default());
        mr.process(r.get(..n).unwrap_or_default());
    }

    /// Meters several outputs (`None` entries are skipped) over the same span: the first `n`
    /// frames of every buffer, `n` the shortest of them. Equivalent to calling [`OutputMeter::process`] on each, reading
    /// for reading, but a channel whose samples (and recent history) are bit-identical to an
    /// earlier channel's in `group` reuses that channel's true-peak interpolation, the costly
    /// part: an output that copies another (a cue fed the main mix at 0 dB, a mono cue's two
    /// sides, the main output of a transparent insert and its input) costs little more than
    /// its sample-peak and RMS meters.
    pub fn process_group(group: &mut [Option<GroupMember<'_>>]) {
        /// The whole group through one instruction-set instantiation.
        struct Pass<'a, 'c>(&'a mut [Option<GroupMember<'c>>], usize);
        impl Kernel for Pass<'_, '_> {
            type Out = ();
            #[inline(always)]
            fn run<const FMA: bool>(self) {
                let Pass(group, n) = self;
                // Per channel of the chunk, three of its samples: a channel is only offered as
                // a lead to a later one with the same probe (the true peak then checks the
                // whole chunk and history), so unrelated channels cost one compare each.
                let mut probes = [[u32::MAX; 3]; MAX_GROUP_CHANNELS];
                for start in (0..n).step_by(CHUNK) {
                    let end = (start + CHUNK).min(n);
                    for g in 0..group.len() {
                        let (before, rest) = group.split_at_mut(g);
                        let Some(Some((meter, l, r))) = rest.first_mut() else {
                            continue;
                        };
                        let (Some(xl), Some(xr)) = (l.get(start..end), r.get(start..end)) else {
                            continue;
                        };
                        let [ml, mr] = &mut meter.channels;
                        let [pl, pr] = [probe(xl), probe(xr)];
                        let earlier = |p: [u32; 3]| {
                            let e = probes.iter().take(2 * g).position(|&q| q == p)?;
                            let (m, _, _) = before.get(e / 2)?.as_ref()?;
                            m.channels.get(e % 2)
                        };
                        ml.process_chunk::<FMA>(xl, earlier(pl));
                        let lead = earlier(pr).or((pr == pl).then_some(&*ml));
                        mr.process_chunk::<FMA>(xr, lead);
                        if let Some(slots) = probes.get_mut(2 * g..2 * g + 2) {
                            slots.copy_from_slice(&[pl, pr]);
                        }
                    }
                }
            }
        }
        let n = group
            .iter()
            .flatten()
            .map(|(_, l, r)| l.len().min(r.len()))
            .min()
            .unwrap_or(0);
        let Some(isa) = group
            .iter()
            .flatten()
            .next()
            .map(|(m, _, _)| m.channels[0].true_peak.isa())
        else {
            return;
        };
        for (meter, _, _) in group.iter_mut().flatten() {
            meter.unchanged_reading = None;
        }
        dispatch(isa, Pass(group, n));
    }

    /// Current readings; resets the since-last-read peaks.
    pub fn read(&mut self) -> OutputReading {
        if let Some(reading) = self.unchanged_reading {
            return reading;
        }
        let [l, r] = [self.channels[0].read(), self.channels[1].read()];
        let reading = OutputReading {
            sample_peak_lin: [l.sample_peak_lin, r.sample_peak_lin],
            true_peak_lin: [l.true_peak_lin, r.true_peak_lin],
            rms_lin: [l.rms_lin, r.rms_lin],
            held_peak_lin: [l.held_peak_lin, r.held_peak_lin],
            max_true_peak_lin: [l.max_true_peak_lin, r.max_true_peak_lin],
            headroom_db: [l.headroom_db, r.headroom_db],
            clip_events: [l.clip_events, r.clip_events],
            tp_overs: [l.tp_overs, r.tp_overs],
        };
        self.unchanged_reading = Some(OutputReading {
            sample_peak_lin: [0.0; 2],
            true_peak_lin: [0.0; 2],
            ..reading
        });
        reading
    }

    /// Clears every latched value and counter on both channels.
    pub fn reset(&mut self) {
        self.unchanged_reading = None;
        for c in &mut self.channels {
            c.reset();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Metering a group gives exactly the readings of metering each output alone, whether
    /// channels are identical (reused), identical only in the current chunk but not in their
    /// history (not reused), or different; with overs, clips and non-finite samples.
    #[test]
    fn group_readings_equal_separate_readings() {
        let n = 9_000;
        let mut state = 5u32;
        let mut noise = move || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0
        };
        let a: Vec<f32> = (0..n)
            .map(|i| match i {
                1000 => f32::NAN,
                2000..=2010 => 1.3,
                _ => 1.1 * (i as f32 * 0.31).sin() + 0.05 * noise(),
            })
            .collect();
        let b: Vec<f32> = (0..n).map(|_| 0.7 * noise()).collect();
        // Equal to `a` except for one stretch: identical chunks after it still differ in
        // history for a while, then the two become interchangeable again.
        let mut c = a.clone();
        for v in &mut c[3_000..3_100] {
            *v *= 0.5;
        }
        let signals: [(&[f32], &[f32]); 4] = [(&a, &b), (&a, &b), (&a, &a), (&b, &c)];
        let spans: [(usize, usize); 5] =
            [(0, 1), (1, 300), (301, 4_096), (4_397, 129), (4_526, 4_474)];
        let chunks: usize = spans.iter().map(|&(_, len)| len.div_ceil(CHUNK)).sum();
        for rate in [48_000.0, 96_000.0, 192_000.0] {
            let mut grouped: Vec<OutputMeter> = (0..4).map(|_| OutputMeter::new(rate)).collect();
            let mut alone = grouped.clone();
            for (start, len) in spans {
                let span = start..start + len;
                let mut group: Vec<Option<GroupMember<'_>>> = grouped
                    .iter_mut()
                    .zip(&signals)
                    .map(|(m, (l, r))| Some((m, &l[span.clone()], &r[span.clone()])))
                    .collect();
                OutputMeter::process_group(&mut group);
                for (m, (l, r)) in alone.iter_mut().zip(&signals) {
                    m.process(&l[span.clone()], &r[span.clone()]);
                }
                for (g, s) in grouped.iter_mut().zip(&mut alone) {
                    assert_eq!(g.read(), s.read(), "{rate} Hz at {start}");
                }
            }
            assert!(alone[0].read().tp_overs[0] > 0 && alone[0].read().clip_events[0] > 0);
            // Reuse happened where the signals allow it, and only there: output 1 copies
            // output 0, output 2's sides and output 3's left copy output 0's channels; output
            // 3's right equals output 0's left except around the altered stretch (samples
            // 3000..3100 and the history after them: two or three chunks).
            let adopted = |o: usize, ch: usize| grouped[o].channels[ch].true_peak.adopted_chunks;
            assert_eq!([adopted(0, 0), adopted(0, 1)], [0, 0]);
            for (o, ch) in [(1, 0), (1, 1), (2, 0), (2, 1), (3, 0)] {
                assert_eq!(adopted(o, ch), chunks, "output {o} channel {ch}");
            }
            let missed = chunks - adopted(3, 1);
            assert!((2..=3).contains(&missed), "{missed} of {chunks} not reused");
        }
    }

    /// A read of a meter that has not changed since the last read returns that read's
    /// values with the since-last-read peaks at zero, exactly what a full read computes.
    #[test]
    fn unchanged_reading_equals_a_full_read() {
        let x: Vec<f32> = (0..4_800)
            .map(|i| 1.2 * (i as f32 * 0.05).sin() * (i as f32 / 4_800.0))
            .collect();
        let mut cached = OutputMeter::new(48_000.0);
        let mut fresh = OutputMeter::new(48_000.0);
        for block in x.chunks(100) {
            cached.process(block, block);
            fresh.process(block, block);
            let a = cached.read();
            assert_eq!(a, fresh.read());
            // No processing in between: the cached meter answers from its cache, the other
            // one computes again; both must agree, peaks since the last read being zero.
            fresh.unchanged_reading = None;
            let (b, c) = (cached.read(), fresh.read());
            assert_eq!(b, c);
            assert_eq!(b.true_peak_lin, [0.0; 2]);
            assert_eq!(b.max_true_peak_lin, a.max_true_peak_lin);
        }
        assert!(cached.read().tp_overs[0] > 0);
        cached.reset();
        fresh.reset();
        fresh.unchanged_reading = None;
        assert_eq!(cached.read(), fresh.read());
        assert_eq!(cached.read().tp_overs, [0, 0]);
    }
}
