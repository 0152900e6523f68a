//! Cost of the level at the ear, per stereo output: the ear-level meter (A-weighting, LAeq,
//! exposure) and the level limit (its own A-weighting plus the gain), on noise at 48 kHz in
//! host blocks of 64 and 512 frames (ns per frame = time / frames):
//! `cargo bench -p cuewire-dsp --bench ear`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use cuewire_dsp::level_limit::LevelLimit;
use cuewire_dsp::meter::EarLevelMeter;
use cuewire_testkit::uniform;

const FS: f32 = 48_000.0;
const FRAMES: usize = 48_000;
/// Calibration: a full-scale sine plays at this SPL (dB), so the noise is over the limit.
const SPL_AT_0DBFS_DB: f32 = 110.0;

fn ear(c: &mut Criterion) {
    let l = uniform(1, 0.5, FRAMES);
    let r = uniform(2, 0.5, FRAMES);
    let mut g = c.benchmark_group("ear_48k_stereo_noise");
    g.throughput(Throughput::Elements(FRAMES as u64));
    for block in [64, 512] {
        g.bench_with_input(BenchmarkId::new("EarLevelMeter", block), &block, |b, &n| {
            let mut m = EarLevelMeter::new(FS, SPL_AT_0DBFS_DB);
            b.iter(|| {
                for (cl, cr) in l.chunks(n).zip(r.chunks(n)) {
                    m.process(black_box(cl), black_box(cr));
                }
                black_box(m.read())
            })
        });
        g.bench_with_input(BenchmarkId::new("LevelLimit", block), &block, |b, &n| {
            let mut lim = LevelLimit::new(FS, SPL_AT_0DBFS_DB);
            lim.set_enabled(true);
            let (mut bl, mut br) = (l.clone(), r.clone());
            b.iter(|| {
                bl.copy_from_slice(&l);
                br.copy_from_slice(&r);
                for (cl, cr) in bl.chunks_mut(n).zip(br.chunks_mut(n)) {
                    lim.process(black_box(cl), black_box(cr));
                }
                black_box(lim.gain_reduction_db())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, ear);
criterion_main!(benches);
