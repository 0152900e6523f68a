//! The vectorscope: the main output's newest samples as a Lissajous figure turned 45° (mid up,
//! side across), so mono stands as a vertical line, a wide mix fills a cloud, one ear alone
//! leans 45° to its side and anti-phase lies flat.

use crate::shared::SampleRing;

/// Frames drawn per view: 42.7 ms at 48 kHz, a little more than two 60 Hz frames.
pub const SCOPE_FRAMES: usize = 2048;
/// Smallest level the view zooms in to (linear peak, −40 dBFS): quieter signals stay small.
const MIN_SCALE_LIN: f32 = 0.01;

/// Where one frame lands: (x, y) with x = (R − L)/2 (right ear to the right) and y = (L + R)/2,
/// both in full-scale units.
pub fn ms_point(l: f32, r: f32) -> (f32, f32) {
    (0.5 * (r - l), 0.5 * (l + r))
}

/// The GUI side of the vectorscope: the newest frames, and the zoom that fits them.
pub struct Vectorscope {
    /// Interleaved L, R of the newest [`SCOPE_FRAMES`] frames, oldest first.
    interleaved: Vec<f32>,
}

impl Default for Vectorscope {
    fn default() -> Self {
        Self {
            interleaved: vec![0.0; 2 * SCOPE_FRAMES],
        }
    }
}

impl Vectorscope {
    /// Copies the newest frames from the ring (interleaved L, R).
    pub fn update(&mut self, ring: &SampleRing) {
        ring.read_latest(&mut self.interleaved);
    }

    /// The frames as (x, y) points (see [`ms_point`]) scaled so the largest fills ±1 (never
    /// zoomed in beyond [`MIN_SCALE_LIN`]), oldest first, with the zoom factor used.
    pub fn points(&self) -> (impl ExactSizeIterator<Item = (f32, f32)> + '_, f32) {
        let peak = self
            .interleaved
            .chunks_exact(2)
            .map(|f| {
                let (x, y) = ms_point(f[0], f[1]);
                x.abs().max(y.abs())
            })
            .fold(0.0f32, |a, b| if b.is_finite() { a.max(b) } else { a });
        let zoom = 1.0 / peak.max(MIN_SCALE_LIN);
        let points = self.interleaved.chunks_exact(2).map(move |f| {
            let (x, y) = ms_point(f[0], f[1]);
            ((x * zoom).clamp(-1.0, 1.0), (y * zoom).clamp(-1.0, 1.0))
        });
        (points, zoom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mono_stands_one_ear_leans_and_anti_phase_lies_flat() {
        assert_eq!(ms_point(0.5, 0.5), (0.0, 0.5));
        assert_eq!(ms_point(0.5, -0.5), (-0.5, 0.0));
        // One ear alone: 45° towards its side.
        assert_eq!(ms_point(0.8, 0.0), (-0.4, 0.4));
        assert_eq!(ms_point(0.0, 0.8), (0.4, 0.4));
    }

    #[test]
    fn the_view_zooms_so_the_largest_frame_fills_it_from_any_write_split() {
        let frames: Vec<(f32, f32)> = (0..SCOPE_FRAMES)
            .map(|k| {
                let p = std::f32::consts::TAU * k as f32 / 64.0;
                (0.25 * p.sin(), 0.25 * p.cos())
            })
            .collect();
        let read = |block: usize| {
            let ring = SampleRing::default();
            for chunk in frames.chunks(block) {
                ring.push_with(2 * chunk.len(), |i| {
                    let f = chunk[i / 2];
                    if i % 2 == 0 {
                        f.0
                    } else {
                        f.1
                    }
                });
            }
            let mut scope = Vectorscope::default();
            scope.update(&ring);
            let (points, zoom) = scope.points();
            (points.collect::<Vec<_>>(), zoom)
        };
        let (whole, zoom) = read(SCOPE_FRAMES);
        // L, R a quarter-amplitude circle: mid and side peak at 0.25·√2/2.
        let expected_zoom = 1.0 / (0.25 * std::f32::consts::FRAC_1_SQRT_2);
        assert!(
            (zoom - expected_zoom).abs() < 1e-2 * expected_zoom,
            "{zoom}"
        );
        let largest = whole
            .iter()
            .map(|p| p.0.abs().max(p.1.abs()))
            .fold(0.0, f32::max);
        assert!((largest - 1.0).abs() < 1e-3, "{largest}");
        for block in [1, 7, 64, 500] {
            assert_eq!(read(block), (whole.clone(), zoom), "block {block}");
        }
    }
}
