//! Talk-filter references shared by the talkback and monitor tests.

#![allow(dead_code)] // each test binary uses a different subset

/// A reference high-pass in f64, direct form I, from the same analog prototype
/// s² / (s² + √2·s + 1) as the talk filter, by the prewarped bilinear transform.
pub fn reference_high_pass(x: &[f32], fc: f64, fs: f64) -> Vec<f64> {
    let k = (std::f64::consts::PI * fc / fs).tan();
    let a0 = k * k + std::f64::consts::SQRT_2 * k + 1.0;
    let b = [1.0 / a0, -2.0 / a0, 1.0 / a0];
    let a = [
        2.0 * (k * k - 1.0) / a0,
        (k * k - std::f64::consts::SQRT_2 * k + 1.0) / a0,
    ];
    let (mut x1, mut x2, mut y1, mut y2) = (0.0, 0.0, 0.0, 0.0);
    x.iter()
        .map(|&v| {
            let v = f64::from(v);
            let y = b[0] * v + b[1] * x1 + b[2] * x2 - a[0] * y1 - a[1] * y2;
            (x2, x1, y2, y1) = (x1, v, y1, y);
            y
        })
        .collect()
}
