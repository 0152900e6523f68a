//! Helpers shared by the talkback and listen tests.

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
