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
    }
}
