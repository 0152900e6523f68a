//! The engine's loudness and ear-level meters: analytic levels on main and a cue (ITU-T
//! H.870 calibration chain, EBU Tech 3341 case 1 style loudness), peak-to-loudness ratio,
//! exposure save/restore and reset, hostile input, and no allocation while processing.
//! Block-size invariance of these readings is covered by `rates.rs`.

use cuewire_dsp::cue::{CueSource, CUE_COUNT};
use cuewire_dsp::engine::{meter_bits, CueOut, Engine, EngineReadings, EngineSettings};
use cuewire_dsp::input::InputLayout;
use cuewire_dsp::meter::P_REF_PA;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::f64::consts::TAU;

const RATE: f32 = 48_000.0;

// Allocation counter: counts allocations made by the current thread while armed.
struct Counting;
thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ARMED.with(|a| a.get()) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}
#[global_allocator]
static GLOBAL: Counting = Counting;

fn sine(freq_hz: f64, amp: f64, n: usize) -> Vec<f32> {
    let fs = f64::from(RATE);
    (0..n)
        .map(|i| (amp * (TAU * freq_hz * i as f64 / fs).sin()) as f32)
        .collect()
}

/// Runs `x` on both main channels through `engine` in blocks of `block`, all cues connected.
fn run(engine: &mut Engine, x: &[f32], block: usize) -> EngineReadings {
    let n = x.len();
    let (mut l, mut r) = (x.to_vec(), x.to_vec());
    let mut cues: [[Vec<f32>; 2]; CUE_COUNT] =
        std::array::from_fn(|_| [vec![0.0; n], vec![0.0; n]]);
    let mut pos = 0;
    while pos < n {
        let end = (pos + block).min(n);
        let mut outs: [CueOut<'_>; CUE_COUNT] = [None, None, None, None];
        for (slot, [a, b]) in outs.iter_mut().zip(cues.iter_mut()) {
            *slot = Some((&mut a[pos..end], &mut b[pos..end]));
        }
        engine.process(&mut l[pos..end], &mut r[pos..end], None, &mut outs);
        pos = end;
    }
    engine.read_meters()
}

/// Main at 114 dB SPL for 0 dBFS, cue 0 on (pre, −10 dB) at the same calibration.
fn calibrated() -> EngineSettings {
    let mut s = EngineSettings::default();
    s.ear.spl_at_0dbfs_db = [114.0; 1 + CUE_COUNT];
    s.cues[0].on = true;
    s.cues[0].source = CueSource::Pre;
    s.cues[0].output.gain_db = -10.0;
    s
}

/// AES17: a 1 kHz sine of peak 0.1 is −20 dBFS; at 114 dB SPL for 0 dBFS it plays at 94.0 dB
/// SPL, and A-weighting is 0 dB at 1 kHz: 94.0 dB(A) on main, 84.0 on the cue at −10 dB.
#[test]
fn ear_level_of_a_minus_20_dbfs_tone_reads_94_db_a_and_a_cue_10_db_less() {
    for block in [64, 512, 4096] {
        let mut engine = Engine::new(RATE, InputLayout::Stereo, &calibrated());
        let got = run(&mut engine, &sine(1_000.0, 0.1, 3 * 48_000), block);
        let main = got.main_ear;
        let cue = got.cue_ear[0];
        println!(
            "block {block}: main {:.3} dB(A), cue {:.3} dB(A)",
            main.louder_laeq_1s_db, cue.louder_laeq_1s_db
        );
        assert!((main.louder_laeq_1s_db - 94.0).abs() <= 0.1, "{main:?}");
        for ear in main.laeq_1s_db {
            assert!((ear - 94.0).abs() <= 0.1, "{main:?}");
        }
        assert!((cue.louder_laeq_1s_db - 84.0).abs() <= 0.1, "{cue:?}");
        let diff = main.louder_laeq_1s_db - cue.louder_laeq_1s_db;
        assert!((diff - 10.0).abs() <= 0.01, "difference {diff}");
        // Exposure of 3 s at 94 dB(A): p² = p_ref²·10^9.4 Pa² for 3 s, within 0.1 dB.
        let want_pa2h = P_REF_PA * P_REF_PA * 10f64.powf(9.4) * 3.0 / 3_600.0;
        let ratio_db = 10.0 * (main.exposure_pa2h / want_pa2h).log10();
        assert!(
            ratio_db.abs() <= 0.1,
            "exposure {} vs {want_pa2h}",
            main.exposure_pa2h
        );
        // An unconnected-signal cue (off) plays silence: no exposure.
        assert!(got.cue_ear[1].exposure_pa2h < 1e-12);
    }
}

/// EBU Tech 3341 case 1 style: a 1 kHz sine at −23 dBFS on both channels reads −23.0 LUFS
/// (momentary, short-term, integrated) on the input and on main at unity; its peak equals its
/// level (−23 dBTP), so the peak-to-loudness ratio is 0 LU.
#[test]
fn minus_23_dbfs_stereo_sine_reads_minus_23_lufs_and_zero_plr() {
    let amp = 10f64.powf(-23.0 / 20.0);
    let mut engine = Engine::new(RATE, InputLayout::Stereo, &EngineSettings::default());
    let got = run(&mut engine, &sine(1_000.0, amp, 20 * 48_000), 512);
    for (what, o) in [("input", got.input_loudness), ("main", got.main_loudness)] {
        let r = o.reading;
        println!("{what}: {r:?}, PLR {:?}", o.plr_lu);
        for v in [r.momentary_lufs, r.short_term_lufs, r.integrated_lufs] {
            assert!((v + 23.0).abs() <= 0.1, "{what}: {r:?}");
        }
        let plr = o.plr_lu.expect("PLR measured");
        assert!(plr.abs() <= 0.1, "{what}: PLR {plr}");
    }
    // Cue 0 is off: nothing was measured, so no PLR.
    assert_eq!(got.cue_loudness[0].plr_lu, None);
    // A masked reset clears the main output's loudness and ear level only.
    engine.reset_meters_masked(meter_bits::MAIN);
    let after = engine.read_meters();
    assert!(after.main_loudness.reading.integrated_lufs < -100.0);
    assert_eq!(after.main_loudness.plr_lu, None);
    assert!((after.input_loudness.reading.integrated_lufs + 23.0).abs() <= 0.1);
}

/// A saved exposure loads per output, survives an engine reset (a new stream, same ears),
/// grows while audio runs and is cleared by the meter mask of its output only.
#[test]
fn exposure_restores_survives_reset_and_clears_by_mask() {
    let mut engine = Engine::new(RATE, InputLayout::Stereo, &calibrated());
    engine.set_exposure_pa2h(0, 0.5);
    engine.set_exposure_pa2h(1, 0.25);
    engine.set_exposure_pa2h(99, 1.0);
    assert_eq!(engine.exposure_pa2h(0), 0.5);
    assert_eq!(engine.exposure_pa2h(1), 0.25);
    assert_eq!(engine.exposure_pa2h(99), 0.0);
    engine.reset();
    assert_eq!(engine.exposure_pa2h(0), 0.5);
    let got = run(&mut engine, &sine(1_000.0, 0.1, 48_000), 256);
    let grown = engine.exposure_pa2h(0);
    assert!(grown > 0.5 && grown == got.main_ear.exposure_pa2h);
    engine.reset_meters_masked(meter_bits::CUE_0);
    assert_eq!(engine.exposure_pa2h(1), 0.0);
    assert_eq!(engine.exposure_pa2h(0), grown);
    engine.reset_meters_masked(meter_bits::MAIN);
    assert_eq!(engine.exposure_pa2h(0), 0.0);
}

/// NaN, infinities and huge samples: every loudness and ear reading stays finite, and the
/// exposure stays under what full scale (clamped, as a converter plays it) could give.
#[test]
fn hostile_input_keeps_readings_finite_and_exposure_bounded() {
    let mut s = calibrated();
    s.cues[0].output.gain_db = 12.0;
    let mut engine = Engine::new(RATE, InputLayout::Stereo, &s);
    let evil = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        1e30,
        -1e30,
        3.0,
        f32::MIN,
    ];
    let x: Vec<f32> = (0..2 * 48_000).map(|i| evil[i % evil.len()]).collect();
    let got = run(&mut engine, &x, 333);
    // Full scale played at 114 dB SPL peak for 2 s: a square wave at full scale is 117 dB SPL,
    // and A-weighting adds at most 1.3 dB: 120 dB SPL bounds every ear.
    let bound_pa2h = P_REF_PA * P_REF_PA * 10f64.powf(12.0) * 2.0 / 3_600.0;
    for e in std::iter::once(&got.main_ear).chain(&got.cue_ear) {
        assert!(
            e.exposure_pa2h.is_finite() && e.exposure_pa2h <= bound_pa2h,
            "{e:?}"
        );
        assert!(e.dose_percent.is_finite());
        for v in e.laeq_1s_db.iter().chain(&e.max_laeq_1s_db) {
            assert!(v.is_finite() && *v <= 120.0, "{e:?}");
        }
    }
    for o in [got.input_loudness, got.main_loudness]
        .iter()
        .chain(&got.cue_loudness)
    {
        let r = o.reading;
        for v in [
            r.momentary_lufs,
            r.short_term_lufs,
            r.integrated_lufs,
            r.loudness_range_lu,
            r.max_momentary_lufs,
        ] {
            assert!(v.is_finite(), "{r:?}");
        }
        assert!(o.plr_lu.is_none_or(f32::is_finite));
    }
}

/// Processing and reading with every meter running allocates nothing.
#[test]
fn no_allocation_while_processing_and_reading() {
    let mut s = calibrated();
    for cue in &mut s.cues {
        cue.on = true;
    }
    let mut engine = Engine::new(RATE, InputLayout::Stereo, &s);
    let x = sine(440.0, 0.3, 48_000);
    let n = x.len();
    let (mut l, mut r) = (x.clone(), x.clone());
    let mut cues: [[Vec<f32>; 2]; CUE_COUNT] =
        std::array::from_fn(|_| [vec![0.0; n], vec![0.0; n]]);
    ARMED.with(|a| a.set(true));
    let mut pos = 0;
    for block in [1usize, 31, 64, 300, 512, 4096].iter().cycle() {
        if pos >= n {
            break;
        }
        let end = (pos + block).min(n);
        let mut outs: [CueOut<'_>; CUE_COUNT] = [None, None, None, None];
        for (slot, [a, b]) in outs.iter_mut().zip(cues.iter_mut()) {
            *slot = Some((&mut a[pos..end], &mut b[pos..end]));
        }
        engine.process(&mut l[pos..end], &mut r[pos..end], None, &mut outs);
        let _ = engine.take_meters_if_due();
        pos = end;
    }
    let readings = engine.read_meters();
    let _ = engine.exposure_pa2h(0);
    // Hosts reset a plugin on the audio thread (CLAP `reset`, a transport jump): an engine
    // reset and a masked meter reset must not allocate either.
    engine.reset();
    engine.reset_meters();
    ARMED.with(|a| a.set(false));
    assert_eq!(
        COUNT.with(|c| c.get()),
        0,
        "allocations in process or reset"
    );
    assert!(readings.main_ear.louder_laeq_1s_db > 0.0);
}
