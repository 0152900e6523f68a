//! Deterministic test signals.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::f64::consts::TAU;

/// `frames` samples of `amp_lin · sin(2π · freq_hz · i / fs_hz + phase_deg)`, computed in f64.
pub fn sine_f64(fs_hz: f64, freq_hz: f64, phase_deg: f64, amp_lin: f64, frames: usize) -> Vec<f64> {
    let phase_rad = phase_deg.to_radians();
    (0..frames)
        .map(|i| amp_lin * (TAU * freq_hz * i as f64 / fs_hz + phase_rad).sin())
        .collect()
}

/// [`sine_f64`] rounded to f32 samples (amplitude `amp_lin`, phase `phase_deg` in degrees).
pub fn sine(fs_hz: f64, freq_hz: f64, phase_deg: f64, amp_lin: f64, frames: usize) -> Vec<f32> {
    sine_f64(fs_hz, freq_hz, phase_deg, amp_lin, frames)
        .into_iter()
        .map(|v| v as f32)
        .collect()
}

/// `frames` samples of Gaussian white noise with an RMS of `rms_lin` (Box–Muller on a
/// `SmallRng` seeded by `seed`).
pub fn noise(seed: u64, rms_lin: f64, frames: usize) -> Vec<f32> {
    let mut rng = SmallRng::seed_from_u64(seed);
    (0..frames)
        .map(|_| {
            // The lower bound keeps ln() finite.
            let u1: f64 = rng.gen_range(1e-12..1.0);
            let u2: f64 = rng.gen();
            (rms_lin * (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()) as f32
        })
        .collect()
}

/// `frames` samples uniform in ±`peak_lin` from a `SmallRng` seeded by `seed`.
pub fn uniform(seed: u64, peak_lin: f32, frames: usize) -> Vec<f32> {
    uniform_from(&mut SmallRng::seed_from_u64(seed), peak_lin, frames)
}

/// [`uniform`] drawn from `rng`, for tests that take several signals from one stream.
pub fn uniform_from(rng: &mut SmallRng, peak_lin: f32, frames: usize) -> Vec<f32> {
    (0..frames)
        .map(|_| rng.gen_range(-peak_lin..peak_lin))
        .collect()
}

/// [`uniform`] drawn in f64 (a different sequence from the f32 one), for reference maths.
pub fn uniform_f64(seed: u64, peak_lin: f64, frames: usize) -> Vec<f64> {
    let mut rng = SmallRng::seed_from_u64(seed);
    (0..frames)
        .map(|_| rng.gen_range(-peak_lin..peak_lin))
        .collect()
}

/// `frames` samples uniform in ±`peak_lin` from a 32-bit linear congruential generator seeded
/// by `seed`: a different sequence from [`uniform`], which the tests whose expected levels were
/// measured on it keep using.
pub fn lcg_noise(seed: u32, peak_lin: f32, frames: usize) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..frames)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            // The top 24 bits: exactly representable in f32.
            peak_lin * ((state >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0)
        })
        .collect()
}

/// A stereo stand-in for programme material at `fs_hz` (about −14 dBFS RMS per channel, peaks
/// below 0 dBFS): low-passed noise shared by both channels (a correlated centre), independent
/// brighter noise per channel, and partials at 220 Hz and 331 Hz, louder on the left.
pub fn music(seed: u64, fs_hz: f64, frames: usize) -> (Vec<f32>, Vec<f32>) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let (mut centre, mut side_l, mut side_r) = (0.0f64, 0.0f64, 0.0f64);
    (0..frames)
        .map(|i| {
            let t = i as f64 / fs_hz;
            centre = 0.97 * centre + 0.03 * rng.gen_range(-1.0..1.0);
            side_l = 0.9 * side_l + 0.1 * rng.gen_range(-1.0..1.0);
            side_r = 0.9 * side_r + 0.1 * rng.gen_range(-1.0..1.0);
            let tone = 0.15 * (TAU * 220.0 * t).sin() + 0.08 * (TAU * 331.0 * t + 0.4).sin();
            (
                (2.0 * centre + 0.6 * side_l + tone) as f32,
                (2.0 * centre + 0.6 * side_r + 0.7 * tone) as f32,
            )
        })
        .unzip()
}

/// Runs of `lengths[k]` samples held at `level_lin`, alternating in sign, each followed by a
/// three-sample wiggle and the whole led by five samples of 0.1: flat tops whose inter-sample
/// peaks a true-peak meter must not overshoot.
pub fn runs(lengths: &[usize], level_lin: f32) -> Vec<f32> {
    let mut x = vec![0.1f32; 5];
    for (i, &len) in lengths.iter().enumerate() {
        let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
        x.extend(std::iter::repeat_n(sign * level_lin, len));
        x.extend([0.5, -0.3, 0.2]);
    }
    x
}

/// `x` rounded to the grid of `bits`-bit PCM (steps of 2^(1 − bits) of full scale), as a
/// fixed-point WAV stores it; no clipping.
pub fn quantised(x: &[f32], bits: u32) -> Vec<f32> {
    let steps = f64::from(1u32 << (bits - 1));
    x.iter()
        .map(|&v| ((f64::from(v) * steps).round() / steps) as f32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_has_its_amplitude_phase_and_period() {
        let x = sine_f64(48_000.0, 1_000.0, 90.0, 0.5, 96);
        // 90° starts at the crest; 48 samples is one period of 1 kHz at 48 kHz.
        assert!((x[0] - 0.5).abs() < 1e-15);
        assert!((x[24] + 0.5).abs() < 1e-12);
        assert!((x[48] - 0.5).abs() < 1e-12);
        let rms = crate::rms(&x);
        assert!((rms - 0.5 / 2f64.sqrt()).abs() < 1e-12, "{rms}");
    }

    #[test]
    fn noise_generators_have_their_level_and_repeat_for_a_seed() {
        let n = 200_000;
        let g = noise(3, 0.25, n);
        assert_eq!(g, noise(3, 0.25, n));
        assert_ne!(g, noise(4, 0.25, n));
        assert!((crate::rms(&g) - 0.25).abs() < 0.25 * 0.01);
        // Uniform in ±a has an RMS of a/√3.
        for u in [uniform(5, 0.5, n), lcg_noise(5, 0.5, n)] {
            assert!(u.iter().all(|v| v.abs() <= 0.5));
            assert!((crate::rms(&u) - 0.5 / 3f64.sqrt()).abs() < 0.5 * 0.01);
        }
        let w = uniform_f64(5, 1.0, n);
        assert!((crate::rms(&w) - 1.0 / 3f64.sqrt()).abs() < 0.01);
    }

    #[test]
    fn music_level_is_as_documented() {
        let (l, r) = music(1, 48_000.0, 10 * 48_000);
        for x in [&l, &r] {
            let rms_db = crate::db(crate::rms(x));
            assert!((-16.0..-12.0).contains(&rms_db), "{rms_db}");
            assert!(crate::peak(x) < 1.0);
        }
    }

    #[test]
    fn runs_hold_their_level_for_their_lengths() {
        let x = runs(&[3, 2], 0.9);
        assert_eq!(
            x,
            [0.1, 0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.5, -0.3, 0.2, -0.9, -0.9, 0.5, -0.3, 0.2]
        );
    }

    #[test]
    fn quantised_lands_on_the_pcm_grid() {
        let step_16 = 1.0 / 32_768.0;
        let x = [0.3f32, -0.7, 1.0 / 3.0];
        for (q, v) in quantised(&x, 16).iter().zip(x) {
            assert_eq!((q / step_16).fract(), 0.0);
            assert!((q - v).abs() <= step_16 / 2.0);
        }
        let step_24 = 1.0 / 8_388_608.0;
        for (q, v) in quantised(&x, 24).iter().zip(x) {
            assert!((q - v).abs() <= step_24 / 2.0);
        }
    }
}
