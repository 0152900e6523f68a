//! Meter throughput on 2 channels of noise at 48 kHz in blocks of 512, against the ebur128
//! crate's true peak on the same signal (ns per frame = time / frames).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use cuewire_dsp::meter::{CommonModeMeter, OutputMeter, StereoMeter, TruePeakMeter};
use cuewire_dsp::units::lin_to_db;
use cuewire_testkit::uniform;
use ebur128::{EbuR128, Mode};

const FS: u32 = 48_000;
const BLOCK: usize = 512;
const FRAMES: usize = 48_000;

fn ebur128_state() -> EbuR128 {
    EbuR128::new(2, FS, Mode::TRUE_PEAK).expect("ebur128 state")
}

fn accuracy(l: &[f32], r: &[f32]) {
    let mut ours = OutputMeter::new(FS as f32);
    let mut theirs = ebur128_state();
    for (cl, cr) in l.chunks(BLOCK).zip(r.chunks(BLOCK)) {
        ours.process(cl, cr);
        theirs.add_frames_planar_f32(&[cl, cr]).expect("frames");
    }
    let reading = ours.read();
    for c in 0..2 {
        let o = lin_to_db(reading.max_true_peak_lin[c]) as f64;
        let t = 20.0 * theirs.true_peak(c as u32).expect("tp").log10();
        println!(
            "accuracy ch{c}: ours {o:.4} dBTP, ebur128 {t:.4} dBTP, diff {:+.4} dB",
            o - t
        );
    }
}

fn meters(c: &mut Criterion) {
    let l = uniform(1, 0.5, FRAMES);
    let r = uniform(2, 0.5, FRAMES);
    accuracy(&l, &r);

    let mut g = c.benchmark_group("meters_48k_stereo_noise_512");
    g.throughput(Throughput::Elements(FRAMES as u64));

    g.bench_function("OutputMeter (all meters, 2 ch)", |b| {
        let mut m = OutputMeter::new(FS as f32);
        b.iter(|| {
            for (cl, cr) in l.chunks(BLOCK).zip(r.chunks(BLOCK)) {
                m.process(black_box(cl), black_box(cr));
            }
            black_box(m.read())
        })
    });

    g.bench_function("TruePeakMeter (ours, 2 ch)", |b| {
        let mut ml = TruePeakMeter::new(FS as f32);
        let mut mr = TruePeakMeter::new(FS as f32);
        b.iter(|| {
            for (cl, cr) in l.chunks(BLOCK).zip(r.chunks(BLOCK)) {
                ml.process(black_box(cl));
                mr.process(black_box(cr));
            }
            black_box((ml.read(), mr.read()))
        })
    });

    g.bench_function("ebur128 TRUE_PEAK (2 ch)", |b| {
        let mut e = ebur128_state();
        b.iter(|| {
            for (cl, cr) in l.chunks(BLOCK).zip(r.chunks(BLOCK)) {
                e.add_frames_planar_f32(&[black_box(cl), black_box(cr)])
                    .expect("frames");
            }
            black_box(e.true_peak(0).expect("tp"))
        })
    });

    g.bench_function("StereoMeter + CommonModeMeter x2 (main extras)", |b| {
        let mut st = StereoMeter::new(FS as f32);
        let mut cm = [
            CommonModeMeter::new(FS as f32),
            CommonModeMeter::new(FS as f32),
        ];
        b.iter(|| {
            for (cl, cr) in l.chunks(BLOCK).zip(r.chunks(BLOCK)) {
                st.process(black_box(cl), black_box(cr));
                cm[0].process(black_box(cr), black_box(cl));
                cm[1].process(black_box(cr), black_box(cr));
            }
            black_box((st.read(), cm[0].read(), cm[1].read()))
        })
    });
    g.finish();
}

criterion_group!(benches, meters);
criterion_main!(benches);
