//! Engine cost on normal versus subnormal input, in one run (ns per frame = time / frames).
//! On x86 without FTZ/DAZ every multiply that touches a subnormal takes a slow microcode path;
//! the engine flushes subnormals at its entrance, so `subnormal` must cost no more than
//! `normal`. Compare each configuration's two lines: their ratio is the figure that matters.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use cuewire_dsp::crossfeed::CrossfeedSetting;
use cuewire_dsp::cue::{CueMode, CueSettings, CueSource, CUE_COUNT};
use cuewire_dsp::engine::{CueOut, Engine, EngineSettings};
use cuewire_dsp::input::{InputLayout, InputMode};
use cuewire_dsp::output::OutputSettings;
use cuewire_testkit::uniform;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const RATE: f32 = 48_000.0;
/// Frames per iteration, processed in host blocks of [`BLOCK`].
const FRAMES: usize = 8192;
const BLOCK: usize = 512;

/// Random subnormal samples of either sign: what a decaying upstream filter leaves behind.
fn subnormal(seed: u64) -> Vec<f32> {
    let mut rng = SmallRng::seed_from_u64(seed);
    (0..FRAMES)
        .map(|_| {
            let x = f32::from_bits(rng.gen_range(1..0x0080_0000));
            if rng.gen() {
                x
            } else {
                -x
            }
        })
        .collect()
}

/// Everything on: Mono sum, −6 dB, Jan Meier crossfeed, four cues pre and post at +6 dB.
fn busy() -> EngineSettings {
    let cue = |source, mode| CueSettings {
        on: true,
        source,
        mode,
        output: OutputSettings {
            gain_db: 6.0,
            ..OutputSettings::default()
        },
    };
    let mut s = EngineSettings::default();
    s.input.mode = InputMode::MonoSum;
    s.main.gain_db = -6.0;
    s.crossfeed = CrossfeedSetting::JanMeier;
    s.cues = [
        cue(CueSource::Pre, CueMode::Stereo),
        cue(CueSource::Post, CueMode::Mono),
        cue(CueSource::Pre, CueMode::LeftToBoth),
        cue(CueSource::Post, CueMode::RightToBoth),
    ];
    s
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("denormal");
    group.throughput(Throughput::Elements(FRAMES as u64));
    for (config, settings) in [("default", EngineSettings::default()), ("busy", busy())] {
        for (kind, in_l, in_r) in [
            ("normal", uniform(1, 0.5, FRAMES), uniform(2, 0.5, FRAMES)),
            ("subnormal", subnormal(1), subnormal(2)),
        ] {
            let mut engine = Engine::new(RATE, InputLayout::Stereo, &settings);
            let (mut l, mut r) = (vec![0.0; FRAMES], vec![0.0; FRAMES]);
            let mut cues: [[Vec<f32>; 2]; CUE_COUNT] =
                std::array::from_fn(|_| [vec![0.0; FRAMES], vec![0.0; FRAMES]]);
            group.bench_function(format!("{config}/{kind}"), |b| {
                b.iter(|| {
                    l.copy_from_slice(&in_l);
                    r.copy_from_slice(&in_r);
                    for start in (0..FRAMES).step_by(BLOCK) {
                        let end = start + BLOCK;
                        let mut outs: [CueOut<'_>; CUE_COUNT] = [None, None, None, None];
                        for (slot, [a, b]) in outs.iter_mut().zip(cues.iter_mut()) {
                            *slot = Some((&mut a[start..end], &mut b[start..end]));
                        }
                        engine.process(&mut l[start..end], &mut r[start..end], None, &mut outs);
                    }
                    black_box((&l, &r, &cues));
                    black_box(engine.read_meters());
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
