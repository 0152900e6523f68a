//! Level measures of test signals.

/// Root mean square of `x` (linear, in the samples' unit); 0 for an empty slice.
pub fn rms<T: Copy + Into<f64>>(x: &[T]) -> f64 {
    let sum_sq: f64 = x
        .iter()
        .map(|&v| {
            let v: f64 = v.into();
            v * v
        })
        .sum();
    (sum_sq / x.len().max(1) as f64).sqrt()
}

/// An amplitude ratio in dB (20·log10), floored at −6000 dB so silence stays finite.
pub fn db(ratio_lin: f64) -> f64 {
    20.0 * ratio_lin.max(1e-300).log10()
}

/// Largest absolute sample of `x` (linear); NaNs are ignored.
pub fn peak(x: &[f32]) -> f32 {
    x.iter().map(|v| v.abs()).fold(0.0, f32::max)
}

/// Largest step between neighbouring samples of `x` (linear): what a click shows as.
pub fn max_step(x: &[f32]) -> f64 {
    x.windows(2)
        .map(|w| (f64::from(w[1]) - f64::from(w[0])).abs())
        .fold(0.0, f64::max)
}

/// Amplitude (linear) of the `freq_hz` component of `x` sampled at `rate_hz`, by a single-bin
/// DFT; exact when `x` spans a whole number of the component's periods.
pub fn amplitude(x: &[f32], freq_hz: f64, rate_hz: f64) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for (i, &v) in x.iter().enumerate() {
        let w = std::f64::consts::TAU * freq_hz * i as f64 / rate_hz;
        s += f64::from(v) * w.sin();
        c += f64::from(v) * w.cos();
    }
    2.0 * s.hypot(c) / x.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_of_known_signals() {
        assert_eq!(rms(&[3.0f32, -3.0, 3.0, -3.0]), 3.0);
        assert_eq!(rms::<f64>(&[]), 0.0);
        assert!((db(0.5) + 6.020_599_913_279_624).abs() < 1e-12);
        assert_eq!(db(0.0), -6000.0);
        assert_eq!(peak(&[0.2, -0.7, f32::NAN, 0.5]), 0.7);
        assert_eq!(max_step(&[0.0, 0.25, -0.5, -0.25]), 0.75);
        // 0.3 at 1 kHz plus 0.1 at 3 kHz, 48 whole periods at 48 kHz: each bin reads its own
        // component alone, and an absent one reads 0 (to f32 rounding of the samples).
        let x: Vec<f32> = (0..48_000 / 1_000 * 48)
            .map(|i| {
                let t = std::f64::consts::TAU * i as f64 / 48_000.0;
                (0.3 * (1_000.0 * t).sin() + 0.1 * (3_000.0 * t + 0.5).cos()) as f32
            })
            .collect();
        assert!((amplitude(&x, 1_000.0, 48_000.0) - 0.3).abs() < 1e-7);
        assert!((amplitude(&x, 3_000.0, 48_000.0) - 0.1).abs() < 1e-7);
        assert!(amplitude(&x, 2_000.0, 48_000.0) < 1e-7);
    }
}
