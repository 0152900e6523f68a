//! Loudness meter throughput: one stereo `LoudnessMeter` on the music-like test signal at
//! 48 kHz in host blocks of 64 and 512 frames, against the ebur128 crate measuring the same
//! quantities (momentary, short-term, integrated, loudness range) on the same signal
//! (ns per frame = time / frames).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use cuewire_dsp::meter::LoudnessMeter;
use ebur128::{EbuR128, Mode};

mod common;

use common::{music, FRAMES, RATE};

fn ebur128_state() -> EbuR128 {
    EbuR128::new(2, RATE as u32, Mode::M | Mode::S | Mode::I | Mode::LRA).expect("ebur128 state")
}

/// Prints both meters' readings after ten seconds of the signal (repeated), as a sanity
/// check that the two measure the same thing.
fn accuracy(l: &[f32], r: &[f32]) {
    let ten_s = 10 * RATE as usize;
    let l: Vec<f32> = l.iter().copied().cycle().take(ten_s).collect();
    let r: Vec<f32> = r.iter().copied().cycle().take(ten_s).collect();
    let mut ours = LoudnessMeter::new(RATE);
    let mut theirs = ebur128_state();
    ours.process(&l, &r);
    theirs.add_frames_planar_f32(&[&l, &r]).expect("frames");
    let o = ours.read();
    println!(
        "accuracy: ours M {:.4} S {:.4} I {:.4}; ebur128 M {:.4} S {:.4} I {:.4}",
        o.momentary_lufs,
        o.short_term_lufs,
        o.integrated_lufs,
        theirs.loudness_momentary().expect("M"),
        theirs.loudness_shortterm().expect("S"),
        theirs.loudness_global().expect("I"),
    );
}

fn loudness(c: &mut Criterion) {
    let (l, r) = music(1);
    accuracy(&l, &r);

    for block in [64, 512] {
        let mut g = c.benchmark_group(format!("loudness_48k_stereo_music_{block}"));
        g.throughput(Throughput::Elements(FRAMES as u64));
        g.bench_function("LoudnessMeter (ours)", |b| {
            let mut m = LoudnessMeter::new(RATE);
            b.iter(|| {
                for (cl, cr) in l.chunks(block).zip(r.chunks(block)) {
                    m.process(black_box(cl), black_box(cr));
                }
                black_box(m.read())
            })
        });
        g.bench_function("ebur128 M+S+I+LRA", |b| {
            let mut e = ebur128_state();
            b.iter(|| {
                for (cl, cr) in l.chunks(block).zip(r.chunks(block)) {
                    e.add_frames_planar_f32(&[black_box(cl), black_box(cr)])
                        .expect("frames");
                }
                black_box(e.loudness_shortterm().expect("S"))
            })
        });
        g.finish();
    }
}

criterion_group!(benches, loudness);
criterion_main!(benches);
