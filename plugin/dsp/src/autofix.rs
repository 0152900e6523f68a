//! Auto fix fault detector: recognises a mono feed that reaches only one ear, or both ears
//! with one leg inverted, from the decoded, polarity-applied L/R.
//!
//! Analysis runs on fixed hops of [`HOP_MS`] counted in samples, so decisions land on the
//! same sample whatever the host's block size. Levels and correlation are measured over the
//! last [`WINDOW_HOPS`] hops, with the meters' hop window and correlation. Everything
//! entering the analysis is sanitised (non-finite → 0, magnitude clamped to
//! [`crate::sanitise::FAULT_LIN`]), so hostile input can never leave NaN or inf in the
//! detector's state.
//!
//! Decisions rest on accumulated evidence. A fault condition (one ear, anti-phase) must hold
//! for [`QUALIFY_MS`] of audio before the decision switches to it; a hop whose window is
//! silent in both channels is no evidence either way, so it pauses that count (it neither
//! advances nor restarts it). Speech into one ear, syllable by syllable with pauses of up
//! to a second or more, is therefore fixed within 300 ms of audible fault signal (the qualify
//! wait, at most one hop, and the 10 ms crossfade), however the pauses fall. A hop with
//! signal that does not show the condition (both channels live) restarts the count.

use crate::meter::correlation;
use crate::meter::HopWindow;
use crate::sanitise::sanitise_rate_hz;
use crate::units::power_to_db;

/// Analysis hop, ms (rounded to whole samples).
pub const HOP_MS: f32 = 5.0;
/// Number of hops in the level/correlation window (8 × 5 ms = 40 ms).
pub const WINDOW_HOPS: usize = 8;
/// How much audio (ms) a fault condition must be seen in, with no hop of contrary evidence,
/// before the decision switches to it; hops silent in both channels pause the count. The
/// condition is first seen at most one hop after signal onset and the routing then crossfades
/// for `input::CROSSFADE_MS` (10 ms), so the fix is complete 250 + 5 + 10 = 265 ms of signal
/// after onset, inside the promised 300 ms.
pub const QUALIFY_MS: f32 = 250.0;
/// How long a decision is held after its condition ends (time of silence in both channels
/// does not count), ms.
pub const HOLD_MS: f32 = 2000.0;
/// A channel that was live at any time within this span is never taken for dead, ms.
pub const LIVE_MEMORY_MS: f32 = 5000.0;
/// A channel at or below this window RMS level is dead, dBFS.
pub const DEAD_DBFS: f32 = -90.0;
/// A channel this many dB or more under the other channel is dead, dB.
pub const DEAD_BELOW_LIVE_DB: f32 = 60.0;
/// Anti-phase mono needs the window correlation below this value (−1..+1).
pub const ANTIPHASE_CORR: f32 = -0.95;
/// Anti-phase mono needs the two window levels within this many dB of each other, dB.
pub const ANTIPHASE_LEVEL_DB: f32 = 1.0;

/// What Auto fix currently does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AutoFixDecision {
    /// Stereo passes unchanged.
    #[default]
    NoFault,
    /// Left is the only live channel: left → both ears.
    LeftOnly,
    /// Right is the only live channel: right → both ears.
    RightOnly,
    /// The channels are equal and opposite: decoded as a balanced pair.
    AntiPhase,
}

impl AutoFixDecision {
    /// Short human-readable text for the GUI lamp.
    pub fn label(self) -> &'static str {
        match self {
            AutoFixDecision::NoFault => "stereo, no fault",
            AutoFixDecision::LeftOnly => "left only → both ears",
            AutoFixDecision::RightOnly => "right only → both ears",
            AutoFixDecision::AntiPhase => "anti-phase → decoded",
        }
    }
}

/// Marker for "never live since reset" in the samples-since-live counters.
const NEVER: u64 = u64::MAX;

/// Auto fix's analysis and decision state machine (analysis only: it never touches audio).
#[derive(Clone, Debug)]
pub struct AutoFixDetector {
    /// Sums of L², R², L·R over the last [`WINDOW_HOPS`] hops of [`HOP_MS`].
    window: HopWindow<3, WINDOW_HOPS>,
    qualify_samples: u64,
    hold_samples: u64,
    live_memory_samples: u64,
    /// Samples since each channel was last live, or `NEVER`.
    since_live_samples: [u64; 2],
    /// The fault condition being qualified and how much audio it has been seen in, samples.
    candidate: AutoFixDecision,
    candidate_samples: u64,
    /// Remaining hold of the current decision once its condition has ended, samples.
    hold_left_samples: u64,
    decision: AutoFixDecision,
    condition: AutoFixDecision,
    level_db: [f32; 2],
    correlation: f32,
}

impl AutoFixDetector {
    /// A detector for `sample_rate_hz`, in its reset state.
    pub fn new(sample_rate_hz: f32) -> Self {
        let rate = f64::from(sanitise_rate_hz(sample_rate_hz));
        let samples = |ms: f32| (ms as f64 * 0.001 * rate).round().max(1.0) as u64;
        let mut detector = Self {
            window: HopWindow::with_hop_ms(sample_rate_hz, HOP_MS),
            qualify_samples: samples(QUALIFY_MS),
            hold_samples: samples(HOLD_MS),
            live_memory_samples: samples(LIVE_MEMORY_MS),
            since_live_samples: [NEVER; 2],
            candidate: AutoFixDecision::NoFault,
            candidate_samples: 0,
            hold_left_samples: 0,
            decision: AutoFixDecision::NoFault,
            condition: AutoFixDecision::NoFault,
            level_db: [crate::units::SILENCE_DB; 2],
            correlation: 0.0,
        };
        detector.reset();
        detector
    }

    /// Forgets everything: window, live memory, qualification, hold; decision back to `NoFault`.
    pub fn reset(&mut self) {
        self.window.clear();
        self.since_live_samples = [NEVER; 2];
        self.candidate = AutoFixDecision::NoFault;
        self.candidate_samples = 0;
        self.hold_left_samples = 0;
        self.decision = AutoFixDecision::NoFault;
        self.condition = AutoFixDecision::NoFault;
        self.level_db = [crate::units::SILENCE_DB; 2];
        self.correlation = 0.0;
    }

    /// Analyses one block of L/R (the minimum of the two lengths); the decision may change at
    /// any hop boundary inside the block.
    pub fn process(&mut self, l: &[f32], r: &[f32]) {
        self.process_with_polarity(l, r, [false, false]);
    }

    /// Like [`Self::process`], but analyses L and R with the given polarity inversions applied.
    pub fn process_with_polarity(&mut self, l: &[f32], r: &[f32], invert: [bool; 2]) {
        // Inverting one channel flips the sign of L·R only; the squares do not change.
        let sign = if invert[0] != invert[1] { -1.0 } else { 1.0 };
        let n = l.len().min(r.len());
        let mut pos = 0;
        while pos < n {
            let end = pos + (n - pos).min(self.window.samples_to_hop_end());
            self.window
                .feed_dispatched(&l[pos..end], &r[pos..end], move |a, b| {
                    [a * a, b * b, sign * (a * b)]
                });
            pos = end;
            if self.window.at_hop_start() {
                self.end_hop();
            }
        }
    }

    /// Samples left until the current hop ends (where the decision may change), ≥ 1.
    pub fn samples_to_hop_end(&self) -> usize {
        self.window.samples_to_hop_end()
    }

    /// Analysis hop length, samples.
    pub fn hop_len(&self) -> usize {
        self.window.hop_samples()
    }

    /// The current decision.
    pub fn decision(&self) -> AutoFixDecision {
        self.decision
    }

    /// The fault condition seen in the last window (before qualification and hold).
    pub fn condition(&self) -> AutoFixDecision {
        self.condition
    }

    /// Window RMS level of L and R at the last hop, dBFS (floored at `units::SILENCE_DB`).
    pub fn levels_db(&self) -> [f32; 2] {
        self.level_db
    }

    /// Window correlation of L and R at the last hop, −1..+1 (0 when either is silent).
    pub fn correlation(&self) -> f32 {
        self.correlation
    }

    fn end_hop(&mut self) {
        let [ll, rr, lr] = self.window.means();
        let level_db = [power_to_db(ll as f32), power_to_db(rr as f32)];
        let correlation = correlation(ll, rr, lr);
        self.level_db = level_db;
        self.correlation = correlation;

        let hop = self.window.hop_samples() as u64;
        let silent_abs = level_db.map(|db| db <= DEAD_DBFS);
        let dead = [
            silent_abs[0] || level_db[0] <= level_db[1] - DEAD_BELOW_LIVE_DB,
            silent_abs[1] || level_db[1] <= level_db[0] - DEAD_BELOW_LIVE_DB,
        ];
        for (since, &d) in self.since_live_samples.iter_mut().zip(&dead) {
            *since = if d { since.saturating_add(hop) } else { 0 };
        }
        let recently_live = self
            .since_live_samples
            .map(|since| since < self.live_memory_samples);

        let condition = if !dead[0] && dead[1] && !recently_live[1] {
            AutoFixDecision::LeftOnly
        } else if !dead[1] && dead[0] && !recently_live[0] {
            AutoFixDecision::RightOnly
        } else if !silent_abs[0]
            && !silent_abs[1]
            && correlation < ANTIPHASE_CORR
            && (level_db[0] - level_db[1]).abs() <= ANTIPHASE_LEVEL_DB
        {
            AutoFixDecision::AntiPhase
        } else {
            AutoFixDecision::NoFault
        };
        self.condition = condition;

        let both_silent = silent_abs[0] && silent_abs[1];
        if both_silent {
            // No evidence either way: the count pauses where it is.
        } else if condition == AutoFixDecision::NoFault {
            self.candidate = AutoFixDecision::NoFault;
            self.candidate_samples = 0;
        } else if condition == self.candidate {
            self.candidate_samples = self.candidate_samples.saturating_add(hop);
        } else {
            self.candidate = condition;
            self.candidate_samples = hop;
        }
        let qualified = self.candidate != AutoFixDecision::NoFault
            && self.candidate_samples >= self.qualify_samples;

        if self.decision == AutoFixDecision::NoFault {
            if qualified {
                self.decision = self.candidate;
                self.hold_left_samples = self.hold_samples;
            }
        } else if condition == self.decision {
            self.hold_left_samples = self.hold_samples;
        } else if both_silent {
            // Silence in both channels is no evidence either way: a one-ear wiring fault does not
            // heal while the transport is stopped, and releasing here would put the first
            // QUALIFY_MS of every song after a pause into one ear only.
        } else {
            self.hold_left_samples = self.hold_left_samples.saturating_sub(hop);
            if self.hold_left_samples == 0 {
                self.decision = if qualified {
                    self.candidate
                } else {
                    AutoFixDecision::NoFault
                };
                self.hold_left_samples = self.hold_samples;
            }
        }
    }
}
