//! Helpers shared by the talkback, listen and monitor tests.

#![allow(dead_code)] // each test binary uses a different subset

/// Deterministic white noise in ±`amp` (a 32-bit LCG seeded by `seed`).
pub fn noise(amp: f32, n: usize, seed: u32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            amp * ((state >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0)
        })
        .collect()
}

/// Asserts that `a` and `b` hold the same samples bit for bit.
pub fn assert_bits_eq(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: length");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(x.to_bits(), y.to_bits(), "{what}: sample {i}: {x} vs {y}");
    }
}

/// The spans (start, end) that cut `n` frames into blocks of the lengths in `blocks` (cycled,
/// each at least 1 and at most `max_block`), also cut at every position in `cuts`, where a
/// test changes a setting.
pub fn spans(n: usize, blocks: &[usize], max_block: usize, cuts: &[usize]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut block = blocks.iter().cycle();
    while start < n {
        let next_cut = cuts.iter().copied().filter(|&at| at > start).min();
        let want = (*block.next().unwrap()).clamp(1, max_block);
        let end = (start + want).min(n).min(next_cut.unwrap_or(n));
        out.push((start, end));
        start = end;
    }
    out
}

/// A sine of `freq_hz` and amplitude `amp` at `rate_hz`, `n` samples, starting at phase 0.
pub fn sine(freq_hz: f64, amp: f64, rate_hz: f64, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (amp * (std::f64::consts::TAU * freq_hz * i as f64 / rate_hz).sin()) as f32)
        .collect()
}

/// Amplitude of the `freq_hz` component of `x`, which spans a whole number of its periods.
pub fn amplitude(x: &[f32], freq_hz: f64, rate_hz: f64) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for (i, &v) in x.iter().enumerate() {
        let w = std::f64::consts::TAU * freq_hz * i as f64 / rate_hz;
        s += f64::from(v) * w.sin();
        c += f64::from(v) * w.cos();
    }
    2.0 * s.hypot(c) / x.len() as f64
}

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
