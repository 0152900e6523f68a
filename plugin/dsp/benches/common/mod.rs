//! What the engine benches and the regression guard share: test signals, the configurations
//! of the engine's benchmarks, and one "host run" per configuration (48 kHz, host blocks of a given size).
//!
//! Every run does what a host plus the plugin do per block: copy the input into the in-place
//! buffers, process, and (for engine runs) take the meter readings when they are due (every
//! ~10 ms of audio, `Engine::take_meters_if_due`) as the plugin's `process()` does.

#![allow(dead_code)]

use std::hint::black_box;

use cuewire_dsp::crossfeed::CrossfeedSetting;
use cuewire_dsp::cue::{CueMode, CueSettings, CueSource, CUE_COUNT};
use cuewire_dsp::engine::{CueOut, Engine, EngineSettings};
use cuewire_dsp::input::{InputLayout, InputMode};
use cuewire_dsp::listen::Listen;
use cuewire_dsp::meter::TruePeakMeter;
use cuewire_dsp::output::OutputSettings;
use cuewire_dsp::talkback::TalkbackSettings;
use cuewire_testkit::{sine, uniform};
use ebur128::{EbuR128, Mode};

/// Sample rate of every bench (Hz).
pub const RATE: f32 = 48_000.0;
/// Frames per pass: a multiple of every block size.
pub const FRAMES: usize = 8192;
/// Host block sizes (frames).
pub const BLOCKS: [usize; 3] = [32, 64, 512];
/// Output channels of the full configuration: main plus four cues, stereo each.
pub const OUTPUT_CHANNELS: usize = 2 + 2 * CUE_COUNT;

/// The test kit's music-like programme at half level (about −20 dBFS RMS): a stand-in for
/// programme material whose level moves.
pub fn music(seed: u64) -> (Vec<f32>, Vec<f32>) {
    let (l, r) = cuewire_testkit::music(seed, f64::from(RATE), FRAMES);
    let half = |x: Vec<f32>| x.into_iter().map(|v| 0.5 * v).collect();
    (half(l), half(r))
}

/// Full-band white noise at ±0.5 (the true peak's worst case: every sample near the top).
pub fn white(seed: u64) -> (Vec<f32>, Vec<f32>) {
    (uniform(seed, 0.5, FRAMES), uniform(seed + 1, 0.5, FRAMES))
}

fn hum() -> Vec<f32> {
    sine(f64::from(RATE), 50.0, 0.0, 0.05, FRAMES)
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

/// What one configuration runs per host block.
pub enum Work {
    /// Only the host's copy into the in-place buffers: the floor.
    Copy,
    /// The engine (`cues`: four cue buffers connected), meters read when due.
    Engine { engine: Box<Engine>, cues: bool },
    /// The engine with its meters off (`Engine::set_metering(false)`): its signal path alone
    /// (subnormal flushes, input stage, gain, crossfeed, ear guard), what it would cost if
    /// metering were free. Not a product configuration.
    SignalPath(Box<Engine>),
    /// Our true-peak meter alone on `OUTPUT_CHANNELS` channels (main and cue signals).
    OurTruePeak(Vec<TruePeakMeter>),
    /// The ebur128 crate's true peak on the same channels.
    Ebur128TruePeak(Box<EbuR128>),
}

/// One configuration with the host's buffers.
pub struct Host {
    /// Short name used in tables.
    pub name: &'static str,
    in_l: Vec<f32>,
    in_r: Vec<f32>,
    aux: Option<(Vec<f32>, Vec<f32>)>,
    /// The talkback input, if any.
    talk: Option<Vec<f32>>,
    l: Vec<f32>,
    r: Vec<f32>,
    cues: [[Vec<f32>; 2]; CUE_COUNT],
    work: Work,
}

impl Host {
    fn new(
        name: &'static str,
        (in_l, in_r): (Vec<f32>, Vec<f32>),
        aux: Option<(Vec<f32>, Vec<f32>)>,
        block: usize,
        work: Work,
    ) -> Self {
        Self {
            name,
            in_l,
            in_r,
            aux,
            talk: None,
            l: vec![0.0; block],
            r: vec![0.0; block],
            cues: std::array::from_fn(|_| [vec![0.0; block], vec![0.0; block]]),
            work,
        }
    }

    /// The same host with `talk` on its talkback input.
    fn with_talk(mut self, talk: Vec<f32>) -> Self {
        self.talk = Some(talk);
        self
    }

    /// One pass over the signal (`FRAMES` frames) in host blocks of `block` frames.
    pub fn run(&mut self, block: usize) {
        for start in (0..FRAMES).step_by(block) {
            let end = start + block;
            self.l.copy_from_slice(&self.in_l[start..end]);
            self.r.copy_from_slice(&self.in_r[start..end]);
            let aux = self
                .aux
                .as_ref()
                .map(|(a, b)| (&a[start..end], &b[start..end]));
            let talk = self.talk.as_ref().map(|t| (&t[start..end], None));
            match &mut self.work {
                Work::Copy => {}
                Work::Engine { engine, cues } => {
                    if *cues {
                        let mut outs: [CueOut<'_>; CUE_COUNT] = [None, None, None, None];
                        for (slot, [a, b]) in outs.iter_mut().zip(self.cues.iter_mut()) {
                            *slot = Some((a.as_mut_slice(), b.as_mut_slice()));
                        }
                        engine.process_with_talk(&mut self.l, &mut self.r, aux, talk, &mut outs);
                    } else {
                        engine.process_main(&mut self.l, &mut self.r, aux);
                    }
                    black_box(engine.take_meters_if_due());
                }
                Work::SignalPath(engine) => engine.process_main(&mut self.l, &mut self.r, aux),
                Work::OurTruePeak(meters) => {
                    for pair in meters.chunks_exact_mut(2) {
                        pair[0].process(&self.l);
                        pair[1].process(&self.r);
                    }
                    black_box(meters[0].read());
                }
                Work::Ebur128TruePeak(state) => {
                    let planes: [&[f32]; OUTPUT_CHANNELS] =
                        std::array::from_fn(|c| if c % 2 == 0 { &self.l[..] } else { &self.r[..] });
                    state.add_frames_planar_f32(&planes).expect("frames");
                    black_box(state.true_peak(0).expect("true peak"));
                }
            }
            black_box((&mut self.l, &mut self.r, &mut self.cues));
        }
    }
}

/// Which test signal the stereo configurations get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// [`music`].
    Music,
    /// [`white`].
    White,
}

/// Every benchmark configuration at one block size, the floor (`copy`) first.
pub fn configurations(block: usize, signal: Signal) -> Vec<Host> {
    let stereo = match signal {
        Signal::Music => music(1),
        Signal::White => white(1),
    };
    let hum = hum();
    let (hot_l, cold_l) = legs(&stereo.0, &hum);
    let (hot_r, cold_r) = legs(&stereo.1, &hum);

    let unity = EngineSettings::default();
    let mut unity_xfeed = unity;
    unity_xfeed.crossfeed = CrossfeedSetting::Bs2bDefault;
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

    // The same with every output channel different from every other (no mono or one-sided
    // cue, no cue equal to the input), so no true-peak interpolation can be shared: the
    // worst case for the meters.
    let mut full_distinct = full;
    full_distinct.cues = [
        cue(CueSource::Pre, CueMode::Stereo, -1.0),
        cue(CueSource::Post, CueMode::Stereo, -3.0),
        cue(CueSource::Pre, CueMode::Stereo, 2.0),
        cue(CueSource::Post, CueMode::Stereo, -9.0),
    ];

    // The full engine of the monitor: talk to cues 1 and 3 and to main, listening to cue 2,
    // the level limit on every output (a 110 dB SPL chain, 85 dB(A) limit).
    let mut monitor = full;
    monitor.talkback = TalkbackSettings {
        on: true,
        cues: [true, false, true, false],
        to_main: true,
        ..TalkbackSettings::default()
    };
    monitor.listen = Listen::Cue(1);
    monitor.ear.spl_at_0dbfs_db = [110.0; 1 + CUE_COUNT];
    for output in
        std::iter::once(&mut monitor.main).chain(monitor.cues.iter_mut().map(|c| &mut c.output))
    {
        output.limit_on = true;
        output.limit_db_spl = 85.0;
    }
    let talk = white(2).0;

    let st = InputLayout::Stereo;
    let engine = |layout, s: EngineSettings, cues| Work::Engine {
        engine: Box::new(Engine::new(RATE, layout, &s)),
        cues,
    };
    let signal_path = |layout, s: EngineSettings| {
        let mut engine = Engine::new(RATE, layout, &s);
        engine.set_metering(false);
        Work::SignalPath(Box::new(engine))
    };
    let ours = Work::OurTruePeak(
        (0..OUTPUT_CHANNELS)
            .map(|_| TruePeakMeter::new(RATE))
            .collect(),
    );
    let ebur = Work::Ebur128TruePeak(Box::new(
        EbuR128::new(OUTPUT_CHANNELS as u32, RATE as u32, Mode::TRUE_PEAK).expect("ebur128"),
    ));
    let pair = (hot_l.clone(), cold_l.clone());
    let pairs_aux = Some((hot_r, cold_r));
    vec![
        Host::new("copy", stereo.clone(), None, block, Work::Copy),
        Host::new(
            "passthrough",
            stereo.clone(),
            None,
            block,
            engine(st, unity, false),
        ),
        Host::new(
            "passthrough_signal_path",
            stereo.clone(),
            None,
            block,
            signal_path(st, unity),
        ),
        Host::new(
            "crossfeed_signal_path",
            stereo.clone(),
            None,
            block,
            signal_path(st, unity_xfeed),
        ),
        Host::new(
            "balanced_pair",
            pair.clone(),
            None,
            block,
            engine(st, balanced, false),
        ),
        Host::new(
            "balanced_pairs_4ch",
            (hot_l, cold_l),
            pairs_aux,
            block,
            engine(InputLayout::BalancedPairs, minus6, false),
        ),
        Host::new(
            "auto_fix",
            stereo.clone(),
            None,
            block,
            engine(st, autofix, false),
        ),
        Host::new(
            "cues_off",
            stereo.clone(),
            None,
            block,
            engine(st, minus6, true),
        ),
        Host::new("full", stereo.clone(), None, block, engine(st, full, true)),
        Host::new(
            "full_distinct",
            stereo.clone(),
            None,
            block,
            engine(st, full_distinct, true),
        ),
        Host::new(
            "full_signal_path",
            stereo.clone(),
            None,
            block,
            Work::Engine {
                engine: {
                    // The full configuration's signal path with the meters off.
                    let mut e = Box::new(Engine::new(RATE, st, &full));
                    e.set_metering(false);
                    e
                },
                cues: true,
            },
        ),
        Host::new(
            "monitor",
            stereo.clone(),
            None,
            block,
            engine(st, monitor, true),
        )
        .with_talk(talk),
        Host::new("true_peak_10ch_ours", stereo.clone(), None, block, ours),
        Host::new("true_peak_10ch_ebur128", stereo, None, block, ebur),
    ]
}
