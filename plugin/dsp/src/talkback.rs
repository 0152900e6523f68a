//! Talkback: the engineer's microphone into the cues (and, if asked, the main output), the
//! programme in those outputs dimmed while talking.
//!
//! The talk input is mono (a stereo input is summed, (L + R)/2), sanitised, then high-passed
//! by a 2nd-order Butterworth filter with its −3 dB point at [`TALK_HIGH_PASS_HZ`] (bilinear
//! transform, prewarped so the corner lands exactly there) to keep desk thumps and handling
//! rumble out of the performers' ears, and metered after the filter, before the talk level.
//!
//! Every destination (each cue, and main) has its own talk envelope: a linear ramp of
//! [`TALK_FADE_MS`] from 0 (not talking) to 1 (talking), whose target is "talk on and this
//! destination's switch on". A destination carries
//! `programme × (1 − e + e·dim_lin) + talk × level_lin × e`, so at e = 1 it is exactly
//! `programme × dim_lin + talk × level_lin`, and a destination whose envelope rests at 0 is not
//! touched at all (bit for bit). Level and dim changes ramp like a gain ([`Ramp`]).
//!
//! The stage works on chunks of up to [`TALK_CHUNK_FRAMES`]: [`TalkbackStage::process`] makes
//! the chunk's talk signal and envelopes, then [`TalkbackStage::mix_into_cue`] and
//! [`TalkbackStage::mix_into_main`] apply them wherever the engine's signal path wants them.
//! Everything advances per sample, so the result never depends on how the audio is cut up.

use crate::cue::CUE_COUNT;
use crate::engine::CHUNK_FRAMES;
use crate::meter::{ChannelMeter, ChannelReading};
use crate::output::GAIN_RAMP_MS;
use crate::ramp::Ramp;
use crate::sanitise::sanitise_sample;
use crate::units::db_to_lin;

/// Corner (−3 dB) of the talk input's high-pass filter, Hz.
pub const TALK_HIGH_PASS_HZ: f32 = 80.0;
/// Length of the linear talk on/off crossfade of each destination, ms.
pub const TALK_FADE_MS: f32 = 15.0;
/// The lowest talk level, dB.
pub const TALK_LEVEL_MIN_DB: f32 = -40.0;
/// The highest talk level, dB.
pub const TALK_LEVEL_MAX_DB: f32 = 12.0;
/// The deepest programme dim while talking, dB.
pub const TALK_DIM_MIN_DB: f32 = -40.0;
/// The default programme dim while talking, dB.
pub const TALK_DIM_DEFAULT_DB: f32 = -15.0;
/// Frames one [`TalkbackStage::process`] call handles at most (the engine's chunk).
pub const TALK_CHUNK_FRAMES: usize = CHUNK_FRAMES;

/// The talk destinations: the cues (0..[`CUE_COUNT`]), then main.
const DESTINATIONS: usize = CUE_COUNT + 1;
/// Index of main among the destinations.
const MAIN: usize = CUE_COUNT;

/// The talk input of one chunk: the first channel, and the second of a stereo input.
pub type TalkIn<'a> = (&'a [f32], Option<&'a [f32]>);

/// The user settings of talkback.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TalkbackSettings {
    /// Talking (the talk button or a mapped footswitch).
    pub on: bool,
    /// Level of the talk signal in the outputs it reaches, dB ([`TALK_LEVEL_MIN_DB`]..[`TALK_LEVEL_MAX_DB`]).
    pub level_db: f32,
    /// How far the programme drops in those outputs while talking, dB ([`TALK_DIM_MIN_DB`]..0).
    pub dim_db: f32,
    /// Whether each cue hears the talk.
    pub cues: [bool; CUE_COUNT],
    /// Whether the main output hears the talk (and dims) too.
    pub to_main: bool,
}

impl Default for TalkbackSettings {
    fn default() -> Self {
        Self {
            on: false,
            level_db: 0.0,
            dim_db: TALK_DIM_DEFAULT_DB,
            cues: [true; CUE_COUNT],
            to_main: false,
        }
    }
}

impl TalkbackSettings {
    /// The talk level, linear (clamped to its range; non-finite → 0 dB).
    pub fn level_lin(&self) -> f32 {
        db_to_lin(clamp_db(
            self.level_db,
            TALK_LEVEL_MIN_DB,
            TALK_LEVEL_MAX_DB,
            0.0,
        ))
    }

    /// The programme's gain while talking, linear (clamped to its range; non-finite → default).
    pub fn dim_lin(&self) -> f32 {
        db_to_lin(clamp_db(
            self.dim_db,
            TALK_DIM_MIN_DB,
            0.0,
            TALK_DIM_DEFAULT_DB,
        ))
    }

    /// Envelope targets per destination (cues, then main): 1 where the talk is heard.
    fn targets(&self) -> [f32; DESTINATIONS] {
        std::array::from_fn(|d| {
            let switch = if d == MAIN {
                self.to_main
            } else {
                self.cues[d]
            };
            if self.on && switch {
                1.0
            } else {
                0.0
            }
        })
    }
}

/// `db` clamped to `min..=max`, or `fallback` when it is not finite.
fn clamp_db(db: f32, min: f32, max: f32, fallback: f32) -> f32 {
    if db.is_finite() {
        db.clamp(min, max)
    } else {
        fallback
    }
}

/// A 2nd-order Butterworth high-pass (transposed direct form II). Coefficients and state are
/// f64: the corner is a tiny fraction of the sample rate, where f32 coefficients would move it.
#[derive(Clone, Debug)]
pub struct HighPass {
    b0: f64,
    b1: f64,
    b2: f64,
    a1: f64,
    a2: f64,
    s1: f64,
    s2: f64,
}

impl HighPass {
    /// A high-pass at `sample_rate_hz` with its −3 dB point at `corner_hz` (kept below 0.45 of
    /// the sample rate).
    pub fn new(sample_rate_hz: f32, corner_hz: f32) -> Self {
        let fs = f64::from(sample_rate_hz.max(1.0));
        let fc = f64::from(corner_hz).clamp(1.0, 0.45 * fs);
        // Bilinear transform of s² / (s² + √2·s + 1), prewarped: K = tan(π·fc/fs).
        let k = (std::f64::consts::PI * fc / fs).tan();
        let k2 = k * k;
        let sqrt2_k = std::f64::consts::SQRT_2 * k;
        let norm = 1.0 / (1.0 + sqrt2_k + k2);
        Self {
            b0: norm,
            b1: -2.0 * norm,
            b2: norm,
            a1: 2.0 * (k2 - 1.0) * norm,
            a2: (1.0 - sqrt2_k + k2) * norm,
            s1: 0.0,
            s2: 0.0,
        }
    }

    /// Forgets the signal history.
    pub fn reset(&mut self) {
        self.s1 = 0.0;
        self.s2 = 0.0;
    }

    /// Filters one sample.
    #[inline]
    pub fn process_sample(&mut self, x: f32) -> f32 {
        let x = f64::from(x);
        let y = self.b0 * x + self.s1;
        self.s1 = self.b1 * x - self.a1 * y + self.s2;
        self.s2 = self.b2 * x - self.a2 * y;
        y as f32
    }

    /// True when the filter's state is zero: silence in gives exact zeros out.
    fn is_at_rest(&self) -> bool {
        self.s1 == 0.0 && self.s2 == 0.0
    }

    /// Ends a decay that has fallen below anything audible, so the state never becomes
    /// subnormal (slow on x86) after the input stops.
    fn flush_tail(&mut self) {
        const TINY: f64 = 1.0e-30;
        if self.s1.abs() < TINY && self.s2.abs() < TINY {
            self.reset();
        }
    }
}

/// Talkback for one engine: the filtered talk signal, each destination's envelope and the
/// talk meter.
#[derive(Clone, Debug)]
pub struct TalkbackStage {
    settings: TalkbackSettings,
    high_pass: HighPass,
    level: Ramp,
    dim: Ramp,
    envelopes: [Ramp; DESTINATIONS],
    /// Frames of the last processed chunk.
    frames: usize,
    /// The last chunk's talk after the filter and the level ramp (before any envelope).
    talk: Vec<f32>,
    /// The last chunk's programme gain while fully talking (the dim ramp), linear.
    dim_lin: Vec<f32>,
    /// The last chunk's envelope per destination.
    envelope: [Vec<f32>; DESTINATIONS],
    /// Per destination: whether its envelope was 0 over the whole last chunk.
    silent: [bool; DESTINATIONS],
    /// Whether `talk` holds only zeros (no input, filter at rest), so silence needs no refill.
    talk_zero: bool,
    meter: ChannelMeter,
    /// Whether the talk meter runs (see [`TalkbackStage::set_metering`]).
    metering: bool,
    /// Whether the meter has been fed since it last started over.
    meter_fed: bool,
    sample_rate_hz: f32,
}

impl TalkbackStage {
    /// A talkback stage at `sample_rate_hz` resting at `settings` from the first sample.
    pub fn new(sample_rate_hz: f32, settings: &TalkbackSettings) -> Self {
        let targets = settings.targets();
        let scratch = || vec![0.0; TALK_CHUNK_FRAMES];
        Self {
            settings: *settings,
            high_pass: HighPass::new(sample_rate_hz, TALK_HIGH_PASS_HZ),
            level: Ramp::for_ms(sample_rate_hz, GAIN_RAMP_MS, settings.level_lin()),
            dim: Ramp::for_ms(sample_rate_hz, GAIN_RAMP_MS, settings.dim_lin()),
            envelopes: targets.map(|target| Ramp::for_ms(sample_rate_hz, TALK_FADE_MS, target)),
            frames: 0,
            talk: scratch(),
            dim_lin: scratch(),
            envelope: std::array::from_fn(|_| scratch()),
            silent: [true; DESTINATIONS],
            talk_zero: true,
            meter: ChannelMeter::new(sample_rate_hz),
            metering: true,
            meter_fed: false,
            sample_rate_hz,
        }
    }

    /// New settings: talk on/off and the switches crossfade, level and dim ramp.
    pub fn set_settings(&mut self, settings: &TalkbackSettings) {
        self.level.set_target(settings.level_lin());
        self.dim.set_target(settings.dim_lin());
        for (envelope, target) in self.envelopes.iter_mut().zip(settings.targets()) {
            envelope.set_target(target);
        }
        self.settings = *settings;
    }

    /// The settings in force.
    pub fn settings(&self) -> &TalkbackSettings {
        &self.settings
    }

    /// Ends every ramp at its target (after a state load).
    pub fn snap(&mut self) {
        self.level.snap();
        self.dim.snap();
        self.envelopes.iter_mut().for_each(Ramp::snap);
    }

    /// Clears the filter's history and ends every ramp (a new stream).
    pub fn reset(&mut self) {
        self.high_pass.reset();
        self.snap();
        self.frames = 0;
        self.silent = [true; DESTINATIONS];
    }

    /// Turns the talk meter on or off (on by default): off, its readings stand still. For
    /// benchmarks of the signal path alone.
    pub fn set_metering(&mut self, on: bool) {
        self.metering = on;
    }

    /// True when the last chunk's talk reached main (its envelope was not 0 throughout):
    /// [`TalkbackStage::mix_into_main`] then changes main.
    pub fn reaches_main(&self) -> bool {
        !self.silent[MAIN]
    }

    /// True when no destination hears talk now or in the last chunk: every envelope rests at
    /// 0 (the engine may then skip the mixing, not the metering).
    pub fn is_silent(&self) -> bool {
        self.silent.iter().all(|&s| s)
            && self
                .envelopes
                .iter()
                .all(|e| !e.is_ramping() && e.current() == 0.0)
    }

    /// Makes the next `frames` frames (at most [`TALK_CHUNK_FRAMES`]; returns how many it
    /// took) of talk signal and envelopes from `talk_in`. Missing input (`None`, or channels
    /// shorter than `frames`) is silence; non-finite samples become silence and huge ones are
    /// clamped (as the meters do) before the filter, so nothing non-finite ever leaves.
    pub fn process(&mut self, talk_in: Option<TalkIn<'_>>, frames: usize) -> usize {
        let n = frames.min(TALK_CHUNK_FRAMES);
        self.frames = n;
        let sample = |x: &[f32], i: usize| x.get(i).copied().map_or(0.0, sanitise_sample);
        // No input into a filter at rest gives exact zeros: the usual case (talk port absent
        // or unconnected) costs next to nothing.
        let quiet = talk_in.is_none() && self.high_pass.is_at_rest();
        if quiet && self.meter_fed {
            // The input went away: its meter reads silence from now on (not the last input's
            // frozen levels), without metering zeros for as long as there is no input.
            self.meter.set_sample_rate(self.sample_rate_hz);
            self.meter.reset();
            self.meter_fed = false;
        }
        if quiet
            && self.talk_zero
            && self.is_silent()
            && !self.level.is_ramping()
            && !self.dim.is_ramping()
        {
            // Nothing to make, mix or move on: every ramp rests and nobody hears the talk.
            return n;
        }
        let talk = &mut self.talk[..n];
        if quiet {
            if !self.talk_zero {
                self.talk.fill(0.0);
                self.talk_zero = true;
            }
        } else {
            self.talk_zero = false;
            match talk_in {
                Some((a, Some(b))) => {
                    for (i, t) in talk.iter_mut().enumerate() {
                        *t = (sample(a, i) + sample(b, i)) * 0.5;
                    }
                }
                Some((a, None)) => {
                    for (i, t) in talk.iter_mut().enumerate() {
                        *t = sample(a, i);
                    }
                }
                None => talk.fill(0.0),
            }
            for t in talk.iter_mut() {
                *t = self.high_pass.process_sample(*t);
            }
            self.high_pass.flush_tail();
        }
        let talk = &mut self.talk[..n];
        if self.metering && !quiet {
            // The meter reads the talk input as it arrives after the filter, whatever its level.
            self.meter.process(talk);
            self.meter_fed = true;
        }
        for ((ramp, envelope), silent) in self
            .envelopes
            .iter_mut()
            .zip(&mut self.envelope)
            .zip(&mut self.silent)
        {
            *silent = !ramp.is_ramping() && ramp.current() == 0.0;
            if ramp.is_ramping() {
                for e in &mut envelope[..n] {
                    *e = ramp.next_value();
                }
            } else if !*silent {
                envelope[..n].fill(ramp.current());
            }
        }
        if self.talk_zero {
            // Zeros at any level stay zeros; the level ramp (evaluated from a counter) only
            // moves on.
            self.level.advance(n);
        } else {
            for (k, t) in talk.iter_mut().enumerate() {
                *t *= self.level.value_at(k);
            }
            self.level.advance(n);
        }
        if self.silent.iter().all(|&s| s) {
            // Nobody hears this chunk: the dim is not read.
            self.dim.advance(n);
        } else {
            for (k, d) in self.dim_lin[..n].iter_mut().enumerate() {
                *d = self.dim.value_at(k);
            }
            self.dim.advance(n);
        }
        n
    }

    /// The last chunk's talk signal: filtered and at the talk level, before any envelope.
    pub fn talk(&self) -> &[f32] {
        &self.talk[..self.frames]
    }

    /// Mixes the last chunk's talk into cue `cue`'s signal `l`, `r` (the chunk's length) and
    /// dims its programme; a cue that hears no talk is left bit for bit.
    pub fn mix_into_cue(&self, cue: usize, l: &mut [f32], r: &mut [f32]) -> bool {
        cue < CUE_COUNT && self.mix_into(cue, l, r)
    }

    /// Mixes the last chunk's talk into the main signal `l`, `r` when talk-to-main is on (or
    /// fading); otherwise main is left bit for bit.
    pub fn mix_into_main(&self, l: &mut [f32], r: &mut [f32]) {
        self.mix_into(MAIN, l, r);
    }

    /// Mixes into `destination`; false when it hears no talk (the signal is left as it is).
    fn mix_into(&self, destination: usize, l: &mut [f32], r: &mut [f32]) -> bool {
        if self.silent[destination] {
            return false;
        }
        let n = self.frames.min(l.len()).min(r.len());
        let talk = &self.talk[..n];
        let dim = &self.dim_lin[..n];
        let envelope = &self.envelope[destination][..n];
        for x in [&mut l[..n], &mut r[..n]] {
            for i in 0..n {
                let e = envelope[i];
                // At e = 1 this is exactly x·dim + talk.
                x[i] = x[i] * (dim[i] * e + (1.0 - e)) + talk[i] * e;
            }
        }
        true
    }

    /// The talk meter's readings (after the filter, before the talk level; silence while
    /// there is no talk input); resets its since-last-read peaks.
    pub fn read_meter(&mut self) -> ChannelReading {
        self.meter.read()
    }

    /// Clears the talk meter's latched values.
    pub fn reset_meter(&mut self) {
        self.meter.reset();
    }

    /// Meter options: peak hold (ms) and the clip run length (samples).
    pub fn set_meter_options(&mut self, hold_ms: f32, clip_run_samples: u32) {
        self.meter.set_hold_ms(hold_ms);
        self.meter.set_clip_run_samples(clip_run_samples);
    }
}
