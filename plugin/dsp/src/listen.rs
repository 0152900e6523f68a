//! Listen: the engineer hears one cue on the main output, as that cue's listener hears it
//! (after the cue's gain, mode and talk, before the cue's ear guard; main's own ear guard
//! follows). Switching crossfades linearly over [`LISTEN_FADE_MS`]; a switch in the middle of
//! a crossfade starts the next one from the mix of that moment, so nothing ever jumps.

use crate::cue::CUE_COUNT;
use crate::ramp::Ramp;

/// Length of the crossfade between two listen sources, ms.
pub const LISTEN_FADE_MS: f32 = 10.0;

/// What the main output carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Listen {
    /// Main's own signal.
    #[default]
    Off,
    /// Cue n (0-based, below [`CUE_COUNT`]; others act as `Off`).
    Cue(usize),
}

/// Sources of the main output: main itself, then the cues.
const SOURCES: usize = CUE_COUNT + 1;

impl Listen {
    /// The source index: 0 = main, 1 + n = cue n.
    fn source(self) -> usize {
        match self {
            Listen::Cue(n) if n < CUE_COUNT => 1 + n,
            _ => 0,
        }
    }
}

/// A stereo signal's two channels, read-only.
pub type Pair<'a> = (&'a [f32], &'a [f32]);

/// The listen selection and its crossfade.
#[derive(Clone, Debug)]
pub struct ListenStage {
    /// Source being faded to (or resting on).
    target: usize,
    /// Each source's weight where the running crossfade started.
    from: [f32; SOURCES],
    /// Crossfade position, 0 = `from`, 1 = `target` alone.
    fade: Ramp,
    sample_rate_hz: f32,
}

impl ListenStage {
    /// A listen stage at `sample_rate_hz` resting on `listen`.
    pub fn new(sample_rate_hz: f32, listen: Listen) -> Self {
        let target = listen.source();
        let mut from = [0.0; SOURCES];
        from[target] = 1.0;
        Self {
            target,
            from,
            fade: Ramp::for_ms(sample_rate_hz, LISTEN_FADE_MS, 1.0),
            sample_rate_hz,
        }
    }

    /// Selects `listen`; a change crossfades from what main carries now.
    pub fn set(&mut self, listen: Listen) {
        let target = listen.source();
        if target == self.target {
            return;
        }
        self.from = self.weights(self.fade.current());
        self.target = target;
        self.fade = Ramp::for_ms(self.sample_rate_hz, LISTEN_FADE_MS, 0.0);
        self.fade.set_target(1.0);
    }

    /// The selection in force (the target of a running crossfade).
    pub fn listen(&self) -> Listen {
        match self.target {
            0 => Listen::Off,
            s => Listen::Cue(s - 1),
        }
    }

    /// Ends a running crossfade.
    pub fn snap(&mut self) {
        self.fade.snap();
        self.from = self.weights(1.0);
    }

    /// True when main carries its own signal and no crossfade runs: [`ListenStage::process`]
    /// leaves it untouched, and the cues need not be kept for it.
    pub fn is_off(&self) -> bool {
        self.target == 0 && !self.fade.is_ramping()
    }

    /// True when main carries (or is fading to or from) cue `cue` (0-based): that cue must be
    /// rendered, connected or not, for the engineer to hear it.
    pub fn hears_cue(&self, cue: usize) -> bool {
        cue < CUE_COUNT
            && (self.target == 1 + cue || (self.fade.is_ramping() && self.from[1 + cue] != 0.0))
    }

    /// Each source's weight at crossfade position `x`.
    fn weights(&self, x: f32) -> [f32; SOURCES] {
        std::array::from_fn(|s| {
            let to = if s == self.target { x } else { 0.0 };
            self.from[s] * (1.0 - x) + to
        })
    }

    /// Replaces `main` (in place) by the selected source. `cues`: each cue's signal before its
    /// ear guard, `None` for a cue that carries nothing (heard as silence). All of one length;
    /// a shorter cue reads as silence past its end. Once the crossfade has ended, main is the
    /// chosen cue bit for bit (or is left untouched when listen is off).
    pub fn process(&mut self, main: (&mut [f32], &mut [f32]), cues: [Option<Pair<'_>>; CUE_COUNT]) {
        let (l, r) = main;
        let n = l.len().min(r.len());
        let (l, r) = (&mut l[..n], &mut r[..n]);
        let mut start = 0;
        while start < n && self.fade.is_ramping() {
            let x = self.fade.next_value();
            let w = self.weights(x);
            let i = start;
            let mut mix = [l[i] * w[0], r[i] * w[0]];
            for (k, cue) in cues.iter().enumerate() {
                if let Some((a, b)) = cue {
                    let weight = w[1 + k];
                    mix[0] += a.get(i).copied().unwrap_or(0.0) * weight;
                    mix[1] += b.get(i).copied().unwrap_or(0.0) * weight;
                }
            }
            [l[i], r[i]] = mix;
            start += 1;
        }
        if self.target == 0 {
            return;
        }
        match cues[self.target - 1] {
            Some((a, b)) => {
                for (dst, src) in [(&mut l[start..], a), (&mut r[start..], b)] {
                    let m = src.len().clamp(start, n);
                    dst[..m - start].copy_from_slice(&src[start..m]);
                    dst[m - start..].fill(0.0);
                }
            }
            None => {
                l[start..].fill(0.0);
                r[start..].fill(0.0);
            }
        }
    }
}
