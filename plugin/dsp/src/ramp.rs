//! The one linear ramp every fade in the engine uses: output gains, the bypass and crossfeed
//! blends, the input's trim and routing crossfades, and the cues' routing fades.
//!
//! The value at each sample is computed from a sample counter, not accumulated step by step:
//! `target + (start − target) · (remaining / len)`. So it is the same however the host cuts
//! the audio into blocks, a block can evaluate any of its samples independently (loops stay
//! vectorisable), and the last sample lands exactly on the target (unity stays 1.0, not
//! 0.99999994).

use crate::sanitise::sanitise_rate_hz;

/// A linear ramp from its value at the last change to `target`, over a fixed number of samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ramp {
    start: f32,
    target: f32,
    /// Samples of the ramp still to come (0: resting at `target`).
    remaining: usize,
    /// Samples a ramp takes.
    len: usize,
    /// 1 / `len`.
    inv_len: f32,
}

impl Ramp {
    /// A ramp resting at `value` that takes `len_samples` (at least 1) per change.
    pub fn new(len_samples: usize, value: f32) -> Self {
        let len = len_samples.max(1);
        Self {
            start: value,
            target: value,
            remaining: 0,
            len,
            inv_len: 1.0 / len as f32,
        }
    }

    /// A ramp resting at `value` that takes `ms` milliseconds at `sample_rate_hz` per change
    /// (rounded to whole samples, at least 1).
    pub fn for_ms(sample_rate_hz: f32, ms: f32, value: f32) -> Self {
        let rate = sanitise_rate_hz(sample_rate_hz);
        Self::new((ms * 0.001 * rate).round() as usize, value)
    }

    /// Starts a ramp from the current value towards `target`, unless that is already the target.
    pub fn set_target(&mut self, target: f32) {
        if target != self.target {
            self.start = self.current();
            self.target = target;
            self.remaining = self.len;
        }
    }

    /// Starts a whole ramp from `start` to the unchanged target (a crossfade restarting from
    /// its far end).
    pub fn restart_from(&mut self, start: f32) {
        self.start = start;
        self.remaining = self.len;
    }

    /// Jumps to the target: after activation or a state load the settings act from the first sample.
    pub fn snap(&mut self) {
        self.start = self.target;
        self.remaining = 0;
    }

    /// The value the ramp is heading to (or resting at).
    pub fn target(&self) -> f32 {
        self.target
    }

    /// The value at the last processed sample (the target once the ramp has ended).
    pub fn current(&self) -> f32 {
        self.value_after(self.remaining)
    }

    /// True while a ramp is running.
    pub fn is_ramping(&self) -> bool {
        self.remaining > 0
    }

    /// Samples of the running ramp still to come (0 when resting).
    pub fn remaining(&self) -> usize {
        self.remaining
    }

    /// The value at sample `k` of the next block (k = 0: the next sample), before advancing.
    #[inline(always)]
    pub fn value_at(&self, k: usize) -> f32 {
        self.value_after(self.remaining.saturating_sub(k + 1))
    }

    /// The value with `rem` samples of the ramp still to come.
    #[inline(always)]
    fn value_after(&self, rem: usize) -> f32 {
        self.target + (self.start - self.target) * (rem as f32 * self.inv_len)
    }

    /// Moves the ramp on by `samples`.
    #[inline(always)]
    pub fn advance(&mut self, samples: usize) {
        self.remaining = self.remaining.saturating_sub(samples);
    }

    /// The next sample's value, advancing one sample.
    #[inline(always)]
    pub fn next_value(&mut self) -> f32 {
        let v = self.value_at(0);
        self.advance(1);
        v
    }

    /// Multiplies both channels by the ramp, the same value per frame for both. A steady
    /// unity is skipped, so a transparent setting is bit-exact and free.
    pub fn apply(&mut self, l: &mut [f32], r: &mut [f32]) {
        let n = l.len().min(r.len());
        let (l, r) = (&mut l[..n], &mut r[..n]);
        let ramp_len = n.min(self.remaining);
        for (k, (x_l, x_r)) in l[..ramp_len].iter_mut().zip(&mut r[..ramp_len]).enumerate() {
            let g = self.value_at(k);
            *x_l *= g;
            *x_r *= g;
        }
        self.advance(ramp_len);
        let gain = self.current();
        if gain != 1.0 {
            // One plain loop per channel: a chained iterator defeats vectorisation.
            for ch in [&mut l[ramp_len..], &mut r[ramp_len..]] {
                for x in ch.iter_mut() {
                    *x *= gain;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_is_linear_lands_exactly_and_ignores_block_splits() {
        let len = 960;
        let mut g = Ramp::new(len, 1.0);
        g.set_target(0.5);
        let mut l = vec![1.0f32; len + 10];
        let mut r = l.clone();
        g.apply(&mut l, &mut r);
        // Sample k (0-based) of the ramp is 0.5 + 0.5·(len − 1 − k)/len.
        for k in [0, len / 2 - 1, len - 2] {
            let want = 0.5 + 0.5 * (len - 1 - k) as f32 / len as f32;
            assert!((l[k] - want).abs() <= 1e-7, "{k}: {} vs {want}", l[k]);
        }
        assert_eq!(l[len - 1], 0.5);
        assert_eq!(l[len + 9], 0.5);
        assert_eq!(l, r);

        // Back to unity: the last sample is exactly 1.0, and a ramp cut into blocks of 1 to 7
        // samples gives the same values as one block.
        let mut whole = g;
        whole.set_target(1.0);
        let mut split = whole;
        let (mut a, mut b) = (vec![0.25f32; 2 * len], vec![0.25f32; 2 * len]);
        whole.apply(&mut a, &mut b.clone());
        let mut start = 0;
        while start < b.len() {
            let end = (start + 1 + start % 7).min(b.len());
            let mut other = b[start..end].to_vec();
            split.apply(&mut b[start..end], &mut other);
            start = end;
        }
        assert_eq!(whole.current(), 1.0);
        assert_eq!(a[2 * len - 1], 0.25);
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    }

    #[test]
    fn a_change_in_mid_ramp_continues_from_the_current_value() {
        let mut g = Ramp::new(100, 0.0);
        g.set_target(1.0);
        g.advance(40);
        let here = g.current();
        assert!((here - 0.4).abs() < 1e-6);
        g.set_target(0.0);
        // The first sample of the new ramp is one step (of 100) below where it was.
        assert!((g.value_at(0) - here * 0.99).abs() < 1e-6);
        let mut x = 0.0;
        for _ in 0..100 {
            x = g.next_value();
        }
        assert_eq!(x, 0.0);
        assert!(!g.is_ramping());
    }
}
