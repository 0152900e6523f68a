//! Bit-exact comparisons and the block splits tests run a signal through.

/// Index of the first sample where `a` and `b` differ in their bits (`-0.0` differs from `0.0`,
/// equal NaNs match); `None` if they are identical. Panics if the lengths differ.
pub fn first_bit_diff(a: &[f32], b: &[f32]) -> Option<usize> {
    assert_eq!(a.len(), b.len(), "lengths differ");
    a.iter()
        .zip(b)
        .position(|(x, y)| x.to_bits() != y.to_bits())
}

/// Asserts that `got` and `want` hold the same samples bit for bit, naming `what`, how many
/// samples differ and the first of them.
pub fn assert_bits_eq(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(i) = first_bit_diff(got, want) {
        let diffs = got
            .iter()
            .zip(want)
            .filter(|(x, y)| x.to_bits() != y.to_bits())
            .count();
        panic!(
            "{what}: {diffs} samples differ, first at {i}: got {:e} ({:#010x}), want {:e} ({:#010x})",
            got[i],
            got[i].to_bits(),
            want[i],
            want[i].to_bits()
        );
    }
}

/// The spans (start, end) that cut `frames` into blocks of the lengths in `blocks` (cycled,
/// each at least 1 and at most `max_block` frames), also cut at every frame in `cuts`, where a
/// test changes a setting.
pub fn spans(
    frames: usize,
    blocks: &[usize],
    max_block: usize,
    cuts: &[usize],
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut block = blocks.iter().cycle();
    while start < frames {
        let next_cut = cuts.iter().copied().filter(|&at| at > start).min();
        let want = (*block.next().expect("at least one block length")).clamp(1, max_block);
        let end = (start + want).min(frames).min(next_cut.unwrap_or(frames));
        out.push((start, end));
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_the_signal_and_cut_where_asked() {
        assert_eq!(
            spans(10, &[4, 0, 100], 5, &[6]),
            [(0, 4), (4, 5), (5, 6), (6, 10)]
        );
    }

    #[test]
    fn bit_comparison_tells_signed_zeros_apart() {
        assert_eq!(first_bit_diff(&[1.0, 0.0], &[1.0, -0.0]), Some(1));
        assert_eq!(first_bit_diff(&[f32::NAN], &[f32::NAN]), None);
        assert_bits_eq(&[0.5, -2.0], &[0.5, -2.0], "same");
        let differ = std::panic::catch_unwind(|| assert_bits_eq(&[0.5], &[0.25], "differ"));
        assert!(differ.is_err());
    }
}
