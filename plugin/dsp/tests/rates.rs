//! Every sample rate from 8 kHz to 384 kHz (fractional ones included) and every host block size
//! from 1 to 16384 frames: no panic, output bit-identical to one long block, and meter readings
//! that match analytic values after a rate change (a new engine, as on reactivation) and after
//! a reset. Run with `--nocapture` to see the measured numbers.

use cuewire_dsp::crossfeed::CrossfeedSetting;
use cuewire_dsp::cue::{CueMode, CueSettings, CueSource, CUE_COUNT};
use cuewire_dsp::engine::{CueOut, Engine, EngineReadings, EngineSettings};
use cuewire_dsp::input::{InputLayout, InputMode};
use cuewire_dsp::output::OutputSettings;
use cuewire_dsp::units::lin_to_db;
use cuewire_testkit::{sine, uniform_from};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::f64::consts::FRAC_1_SQRT_2;

/// Telephone to 8× DXD, with the oddities hosts really report (44100.5 from a drifting clock).
const RATES_HZ: [f32; 15] = [
    8_000.0, 11_025.0, 16_000.0, 22_050.0, 32_000.0, 44_100.0, 44_100.5, 47_999.9, 48_000.0,
    88_200.0, 96_000.0, 176_400.0, 192_000.0, 352_800.0, 384_000.0,
];

const LAYOUTS: [InputLayout; 3] = [
    InputLayout::Stereo,
    InputLayout::Mono,
    InputLayout::BalancedPairs,
];

/// Busy settings drawn from `rng`: any input mode, gain, crossfeed, and four cues on.
fn busy(rng: &mut SmallRng) -> EngineSettings {
    let modes = [
        InputMode::Stereo,
        InputMode::AutoFix,
        InputMode::MonoSum,
        InputMode::Swap,
        InputMode::BalancedPair,
    ];
    let cue_modes = [
        CueMode::Stereo,
        CueMode::Mono,
        CueMode::LeftToBoth,
        CueMode::RightToBoth,
    ];
    let mut s = EngineSettings::default();
    s.input.mode = modes[rng.gen_range(0..modes.len())];
    s.input.cold_trim_db = [rng.gen_range(-3.0..3.0), rng.gen_range(-3.0..3.0)];
    s.main.gain_db = rng.gen_range(-20.0..12.0);
    s.main.ceiling_db = rng.gen_range(-6.0..0.0);
    s.crossfeed = [
        CrossfeedSetting::Off,
        CrossfeedSetting::Bs2bDefault,
        CrossfeedSetting::JanMeier,
    ][rng.gen_range(0..3)];
    for (c, cue) in s.cues.iter_mut().enumerate() {
        *cue = CueSettings {
            on: true,
            source: if c % 2 == 0 {
                CueSource::Pre
            } else {
                CueSource::Post
            },
            mode: cue_modes[c],
            output: OutputSettings {
                gain_db: rng.gen_range(-12.0..12.0),
                ..OutputSettings::default()
            },
        };
    }
    // A different calibration per output, so each ear meter's conversion is exercised.
    s.ear.spl_at_0dbfs_db = std::array::from_fn(|_| rng.gen_range(90.0..125.0));
    s
}

struct Bus {
    main: [Vec<f32>; 2],
    aux: Option<[Vec<f32>; 2]>,
}

struct Run {
    main: [Vec<f32>; 2],
    cues: [[Vec<f32>; 2]; CUE_COUNT],
    readings: EngineReadings,
}

/// Runs `bus` in host blocks drawn from `next_block`, applying `events` (sample, settings)
/// before their sample; the final meter readings are part of the result.
fn run(
    rate_hz: f32,
    layout: InputLayout,
    start: &EngineSettings,
    events: &[(usize, EngineSettings)],
    bus: &Bus,
    mut next_block: impl FnMut() -> usize,
) -> Run {
    let mut engine = Engine::new(rate_hz, layout, start);
    let n = bus.main[0].len();
    let mut main = bus.main.clone();
    let mut cues: [[Vec<f32>; 2]; CUE_COUNT] =
        std::array::from_fn(|_| [vec![0.0; n], vec![0.0; n]]);
    let (mut pos, mut ev) = (0, 0);
    while pos < n {
        while ev < events.len() && events[ev].0 <= pos {
            engine.set_settings(&events[ev].1);
            ev += 1;
        }
        let mut end = (pos + next_block()).min(n);
        if ev < events.len() {
            end = end.min(events[ev].0);
        }
        let [l, r] = &mut main;
        let aux = bus.aux.as_ref().map(|[a, b]| (&a[pos..end], &b[pos..end]));
        let mut outs: [CueOut<'_>; CUE_COUNT] = [None, None, None, None];
        for (slot, [a, b]) in outs.iter_mut().zip(cues.iter_mut()) {
            *slot = Some((&mut a[pos..end], &mut b[pos..end]));
        }
        engine.process(&mut l[pos..end], &mut r[pos..end], aux, &mut outs);
        pos = end;
    }
    Run {
        main,
        cues,
        readings: engine.read_meters(),
    }
}

fn assert_same(got: &Run, want: &Run, what: &str) {
    let pairs = got
        .main
        .iter()
        .zip(&want.main)
        .chain(got.cues.iter().flatten().zip(want.cues.iter().flatten()));
    for (i, (a, b)) in pairs.enumerate() {
        let diff = a
            .iter()
            .zip(b)
            .position(|(x, y)| x.to_bits() != y.to_bits());
        assert!(diff.is_none(), "{what}: output {i} differs at {diff:?}");
    }
    assert_eq!(got.readings, want.readings, "{what}: meter readings");
}

#[test]
fn every_rate_and_block_size_gives_the_same_result_as_one_long_block() {
    let mut rng = SmallRng::seed_from_u64(8);
    let mut runs = 0;
    for (k, &rate) in RATES_HZ.iter().enumerate() {
        let layout = LAYOUTS[k % LAYOUTS.len()];
        let n = 24_000;
        let fs = f64::from(rate);
        let music: Vec<f32> = sine(fs, 220.0, 0.0, 0.3, n)
            .iter()
            .zip(uniform_from(&mut rng, 0.3, n))
            .map(|(a, b)| a + b)
            .collect();
        let other = uniform_from(&mut rng, 0.5, n);
        let bus = Bus {
            main: [music.clone(), other.clone()],
            aux: (layout == InputLayout::BalancedPairs)
                .then(|| [other.iter().map(|x| -x).collect(), music.clone()]),
        };
        let start = busy(&mut rng);
        // Automation inside the run: new settings, then bypass on, then off again.
        let mut second = busy(&mut rng);
        second.main.dim = true;
        let mut third = second;
        third.bypass = true;
        let events = [(5_003, second), (11_111, third), (17_000, second)];
        let reference = run(rate, layout, &start, &events, &bus, || n);
        // The comparison covers loudness and ear level: both have measured something.
        let r = &reference.readings;
        assert!(r.main_loudness.reading.momentary_lufs > -100.0, "{rate} Hz");
        assert!(
            r.input_loudness.reading.short_term_lufs > -100.0,
            "{rate} Hz"
        );
        // Ear levels refresh every 100 ms: only the rates where the run lasts that long.
        if n as f64 / fs >= 0.1 {
            assert!(r.main_ear.louder_laeq_1s_db > 0.0, "{rate} Hz");
            assert!(r.cue_ear.iter().all(|e| e.exposure_pa2h > 0.0), "{rate} Hz");
        }
        for max_block in [1, 2, 3, 31, 256, 257, 1000, 4096, 16_384] {
            let mut blocks = SmallRng::seed_from_u64(max_block as u64);
            let got = run(rate, layout, &start, &events, &bus, || {
                blocks.gen_range(1..=max_block)
            });
            assert_same(
                &got,
                &reference,
                &format!("{rate} Hz, {layout:?}, max block {max_block}"),
            );
            runs += 1;
        }
        let got = run(rate, layout, &start, &events, &bus, || 16_384);
        assert_same(
            &got,
            &reference,
            &format!("{rate} Hz, {layout:?}, blocks of 16384"),
        );
        runs += 1;
    }
    println!(
        "{runs} runs over {} rates (8000..384000 Hz incl. 44100.5, 47999.9), random block sizes \
         up to 1..16384: bit-identical to one long block, meter readings equal",
        RATES_HZ.len()
    );
}

fn db(x: f32) -> f64 {
    f64::from(lin_to_db(x))
}

/// Feeds `x` to both channels of `engine` in blocks of `block`, then takes the readings.
fn meter(engine: &mut Engine, x: &[f32], block: usize) -> EngineReadings {
    let (mut l, mut r) = (x.to_vec(), x.to_vec());
    for (a, b) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
        engine.process_main(a, b, None);
    }
    engine.read_meters()
}

/// A sine of amplitude `amp` at fs/4 with its peaks midway between samples (45° phase): its
/// samples are ±amp/√2, its true peak is amp. The meters' RMS over a whole window is amp/√2.
fn check_sine_readings(engine: &mut Engine, rate: f32, amp: f64, block: usize) -> (f64, f64, f64) {
    let fs = f64::from(rate);
    // 0.5 s: longer than the 300 ms RMS window at every rate.
    let x = sine(fs, fs / 4.0, 45.0, amp, (fs * 0.5) as usize);
    // The abrupt onset rings in the interpolator (Gibbs, ≈ +0.1 dB): read the steady state
    // after the first 0.1 s, whose readings are taken and dropped.
    let onset = (fs * 0.1) as usize;
    meter(engine, &x[..onset], block);
    let r = meter(engine, &x[onset..], block);
    let (sp, tp, rms) = (
        db(r.main.sample_peak_lin[0]),
        db(r.main.true_peak_lin[0]),
        db(r.main.rms_lin[0]),
    );
    let amp_db = 20.0 * amp.log10();
    let half_db = amp_db + 20.0 * FRAC_1_SQRT_2.log10();
    // BS.1770: 4× below 96 kHz, 2× below 192 kHz — both land on the crest; none above.
    let want_tp = if rate < 192_000.0 { amp_db } else { half_db };
    assert!(
        (sp - half_db).abs() < 1e-4,
        "{rate} Hz: sample peak {sp} dB, want {half_db}"
    );
    assert!(
        (tp - want_tp).abs() < 0.02,
        "{rate} Hz: true peak {tp} dB, want {want_tp}"
    );
    // RMS of the fs/4 sine is exactly amp/√2 over any whole number of periods.
    assert!(
        (rms - half_db).abs() < 0.01,
        "{rate} Hz: RMS {rms} dB, want {half_db}"
    );
    for ch in 0..2 {
        assert!(r.main.sample_peak_lin[ch].is_finite() && r.input.rms_lin[ch].is_finite());
    }
    (sp, tp, rms)
}

#[test]
fn meters_read_analytic_values_across_rate_changes_and_resets() {
    let settings = EngineSettings::default();
    // The order changes rate in both directions and crosses the oversampling boundaries.
    let order = [
        44_100.0, 192_000.0, 8_000.0, 44_100.5, 384_000.0, 96_000.0, 47_999.9, 176_400.0, 11_025.0,
        352_800.0, 48_000.0,
    ];
    for (k, &rate) in order.iter().enumerate() {
        // Reactivation at a new rate builds a new engine, as the plugin's activate() does.
        let mut engine = Engine::new(rate, InputLayout::Stereo, &settings);
        let block = [64, 1, 4096, 333][k % 4];
        let (sp, tp, rms) = check_sine_readings(&mut engine, rate, 0.5, block);
        println!(
            "{rate} Hz: fs/4 sine at 45°, amplitude 0.5 (−6.021 dB): sample peak {sp:.4} dB, \
             true peak {tp:.4} dBTP, RMS {rms:.4} dB (analytic −9.031)"
        );
        // After a reset (as on a host's reset or a transport jump) the latched values start
        // over and a quieter sine reads its own level.
        engine.reset();
        let cleared = engine.read_meters();
        assert_eq!(
            cleared.main.max_true_peak_lin, [0.0; 2],
            "{rate} Hz after reset"
        );
        let (_, tp2, rms2) = check_sine_readings(&mut engine, rate, 0.125, block);
        // The maximum since the reset is the quiet sine's (onset ringing included), not the
        // −6 dB sine's from before the reset.
        let max_tp = db(engine.read_meters().main.max_true_peak_lin[0]);
        assert!(
            (tp2..tp2 + 0.3).contains(&max_tp),
            "{rate} Hz: max true peak {max_tp} after reset, quiet sine {tp2}"
        );
        println!(
            "{rate} Hz after reset: amplitude 0.125: true peak {tp2:.4} dBTP, RMS {rms2:.4} dB"
        );
    }
}
