//! Engine throughput at 48 kHz in host blocks of 32, 64 and 512 frames (ns per frame =
//! time / frames). `copy` is the floor: it only copies the input into the buffers that every
//! other configuration then processes in place. `cues_off` (four cue buffers connected, every
//! cue off) must stay within 5 % of `no_cues` (`process_main`).

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use cuewire_dsp::crossfeed::CrossfeedSetting;
use cuewire_dsp::cue::{CueMode, CueSettings, CueSource, CUE_COUNT};
use cuewire_dsp::engine::{CueOut, Engine, EngineSettings};
use cuewire_dsp::input::{InputLayout, InputMode};
use cuewire_dsp::output::OutputSettings;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const RATE: f32 = 48_000.0;
/// Frames per iteration: a multiple of every block size.
const FRAMES: usize = 8192;
const BLOCKS: [usize; 3] = [32, 64, 512];

/// Low-passed, partly correlated stereo noise with two partials, about −12 dBFS.
fn music(seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let (mut a, mut b, mut c) = (0.0f32, 0.0f32, 0.0f32);
    (0..FRAMES)
        .map(|i| {
            let t = i as f32 / RATE;
            a = 0.97 * a + 0.03 * rng.gen_range(-1.0..1.0);
            b = 0.9 * b + 0.1 * rng.gen_range(-1.0..1.0);
            c = 0.9 * c + 0.1 * rng.gen_range(-1.0..1.0);
            let tone = 0.1 * (std::f32::consts::TAU * 220.0 * t).sin();
            (a + 0.3 * b + tone, a + 0.3 * c + 0.7 * tone)
        })
        .unzip()
}

fn hum() -> Vec<f32> {
    (0..FRAMES)
        .map(|i| 0.05 * (std::f32::consts::TAU * 50.0 * i as f32 / RATE).sin())
        .collect()
}

/// Hot and cold legs carrying `x` with hum on both.
fn legs(x: &[f32], hum: &[f32]) -> (Vec<f32>, Vec<f32>) {
    x.iter().zip(hum).map(|(s, h)| (s + h, h - s)).unzip()
}

fn cue(source: CueSource, mode: CueMode, gain_db: f32) -> CueSettings {
    CueSettings {
        on: true,
        source,
        mode,
        output: OutputSettings {
            gain_db,
            ..OutputSettings::default()
        },
    }
}

/// The host's buffers for one configuration.
struct Host {
    in_l: Vec<f32>,
    in_r: Vec<f32>,
    aux: Option<(Vec<f32>, Vec<f32>)>,
    l: Vec<f32>,
    r: Vec<f32>,
    cues: [[Vec<f32>; 2]; CUE_COUNT],
}

impl Host {
    fn new(
        in_l: Vec<f32>,
        in_r: Vec<f32>,
        aux: Option<(Vec<f32>, Vec<f32>)>,
        block: usize,
    ) -> Self {
        Self {
            in_l,
            in_r,
            aux,
            l: vec![0.0; block],
            r: vec![0.0; block],
            cues: std::array::from_fn(|_| [vec![0.0; block], vec![0.0; block]]),
        }
    }

    /// One pass over the signal in host blocks of `block`: the host copies its input into
    /// the in-place buffers, then (with an engine) the engine processes them.
    fn run(&mut self, block: usize, mut engine: Option<&mut Engine>, cues: bool) {
        for start in (0..FRAMES).step_by(block) {
            let end = start + block;
            self.l.copy_from_slice(&self.in_l[start..end]);
            self.r.copy_from_slice(&self.in_r[start..end]);
            let Some(engine) = engine.as_deref_mut() else {
                black_box((&mut self.l, &mut self.r));
                continue;
            };
            let aux = self
                .aux
                .as_ref()
                .map(|(a, b)| (&a[start..end], &b[start..end]));
            if cues {
                let mut outs: [CueOut<'_>; CUE_COUNT] = [None, None, None, None];
                for (slot, [a, b]) in outs.iter_mut().zip(self.cues.iter_mut()) {
                    *slot = Some((a.as_mut_slice(), b.as_mut_slice()));
                }
                engine.process(&mut self.l, &mut self.r, aux, &mut outs);
            } else {
                engine.process_main(&mut self.l, &mut self.r, aux);
            }
            black_box((&mut self.l, &mut self.r, &mut self.cues));
        }
    }
}

fn bench(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    block: usize,
    host: &mut Host,
    engine: Option<(InputLayout, EngineSettings)>,
    cues: bool,
) {
    let mut engine = engine.map(|(layout, s)| Engine::new(RATE, layout, &s));
    g.bench_function(name, |b| b.iter(|| host.run(block, engine.as_mut(), cues)));
}

fn engine(c: &mut Criterion) {
    let (l, r) = music(1);
    let hum = hum();
    let (hot_l, cold_l) = legs(&l, &hum);
    let (hot_r, cold_r) = legs(&r, &hum);
    // Stereo layout in Balanced pair mode: ch 1 hot, ch 2 cold of one mono signal.
    let (bal_hot, bal_cold) = (hot_l.clone(), cold_l.clone());

    let unity = EngineSettings::default();
    let mut minus6 = unity;
    minus6.main.gain_db = -6.0;
    let mut balanced = minus6;
    balanced.input.mode = InputMode::BalancedPair;
    let mut autofix = minus6;
    autofix.input.mode = InputMode::AutoFix;
    let mut full = minus6;
    full.crossfeed = CrossfeedSetting::Bs2bDefault;
    full.cues = [
        cue(CueSource::Pre, CueMode::Stereo, 0.0),
        cue(CueSource::Post, CueMode::Mono, -3.0),
        cue(CueSource::Pre, CueMode::LeftToBoth, 3.0),
        cue(CueSource::Post, CueMode::RightToBoth, -6.0),
    ];

    for block in BLOCKS {
        let mut g = c.benchmark_group(format!("engine_48k_block_{block}"));
        g.throughput(Throughput::Elements(FRAMES as u64));
        let stereo = |b: usize| Host::new(l.clone(), r.clone(), None, b);
        let st = InputLayout::Stereo;

        bench(&mut g, "copy", block, &mut stereo(block), None, false);
        bench(
            &mut g,
            "passthrough",
            block,
            &mut stereo(block),
            Some((st, unity)),
            false,
        );
        let mut h = Host::new(bal_hot.clone(), bal_cold.clone(), None, block);
        bench(
            &mut g,
            "balanced_pair",
            block,
            &mut h,
            Some((st, balanced)),
            false,
        );
        let mut h = Host::new(
            hot_l.clone(),
            cold_l.clone(),
            Some((hot_r.clone(), cold_r.clone())),
            block,
        );
        let pairs = (InputLayout::BalancedPairs, minus6);
        bench(
            &mut g,
            "balanced_pairs_4ch",
            block,
            &mut h,
            Some(pairs),
            false,
        );
        bench(
            &mut g,
            "auto_fix",
            block,
            &mut stereo(block),
            Some((st, autofix)),
            false,
        );
        bench(
            &mut g,
            "no_cues",
            block,
            &mut stereo(block),
            Some((st, minus6)),
            false,
        );
        bench(
            &mut g,
            "cues_off",
            block,
            &mut stereo(block),
            Some((st, minus6)),
            true,
        );
        bench(
            &mut g,
            "full",
            block,
            &mut stereo(block),
            Some((st, full)),
            true,
        );
        g.finish();
    }
}

criterion_group!(benches, engine);
criterion_main!(benches);
