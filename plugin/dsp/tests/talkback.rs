//! Talkback: the high-pass against its analytic response, the mix in each destination against
//! programme × dim + talk × level, the crossfade's length and shape, bit-exact untouched
//! outputs, block-size invariance and hostile talk input.

mod common;

use common::reference_high_pass;
use cuewire_dsp::cue::CUE_COUNT;
use cuewire_dsp::meter::ChannelReading;
use cuewire_dsp::talkback::{
    TalkbackSettings, TalkbackStage, TALK_CHUNK_FRAMES, TALK_FADE_MS, TALK_HIGH_PASS_HZ,
};
use cuewire_dsp::units::db_to_lin;
use cuewire_testkit::{amplitude, assert_bits_eq, lcg_noise, sine, spans};

/// The magnitude of a bilinear-transform (prewarped) 2nd-order Butterworth high-pass with
/// corner `fc` at `f`: |H|² = 1 / (1 + (tan(π·fc/fs) / tan(π·f/fs))⁴).
fn butterworth_hp_gain(f: f64, fc: f64, fs: f64) -> f64 {
    let ratio = (std::f64::consts::PI * fc / fs).tan() / (std::f64::consts::PI * f / fs).tan();
    1.0 / (1.0 + ratio.powi(4)).sqrt()
}

/// Every output of one run: the cues and main, each (L, R).
struct Outputs {
    cues: Vec<[Vec<f32>; 2]>,
    main: [Vec<f32>; 2],
    talk_meter: ChannelReading,
}

/// Runs `stage` over `talk` (mono or stereo) with the programme `prog_l`, `prog_r` in every
/// cue and in main, cut into `blocks` (cycled; each at most the stage's chunk), applying
/// `changes` (sample position, settings) at their positions.
fn run(
    stage: &mut TalkbackStage,
    talk: (&[f32], Option<&[f32]>),
    prog: (&[f32], &[f32]),
    blocks: &[usize],
    changes: &[(usize, TalkbackSettings)],
) -> Outputs {
    let n = prog.0.len();
    let mut cues: Vec<[Vec<f32>; 2]> = (0..CUE_COUNT)
        .map(|_| [prog.0.to_vec(), prog.1.to_vec()])
        .collect();
    let mut main = [prog.0.to_vec(), prog.1.to_vec()];
    let cuts: Vec<usize> = changes.iter().map(|(at, _)| *at).collect();
    for (start, end) in spans(n, blocks, TALK_CHUNK_FRAMES, &cuts) {
        for (at, settings) in changes {
            if *at == start {
                stage.set_settings(settings);
            }
        }
        let talk_in = (&talk.0[start..end], talk.1.map(|r| &r[start..end]));
        let done = stage.process(Some(talk_in), end - start);
        assert_eq!(done, end - start);
        for (c, [l, r]) in cues.iter_mut().enumerate() {
            stage.mix_into_cue(c, &mut l[start..end], &mut r[start..end]);
        }
        let [l, r] = &mut main;
        stage.mix_into_main(&mut l[start..end], &mut r[start..end]);
    }
    Outputs {
        cues,
        main,
        talk_meter: stage.read_meter(),
    }
}

fn talking(cues: [bool; CUE_COUNT], to_main: bool) -> TalkbackSettings {
    TalkbackSettings {
        on: true,
        level_db: -6.0,
        dim_db: -15.0,
        cues,
        to_main,
    }
}

#[test]
fn high_pass_is_3_db_down_at_its_corner_and_flat_at_1_khz() {
    for fs in [44_100.0f64, 48_000.0, 96_000.0] {
        let on = TalkbackSettings {
            on: true,
            level_db: 0.0,
            ..TalkbackSettings::default()
        };
        for (f, amp) in [(80.0, 0.5), (1_000.0, 0.5), (20.0, 0.5), (5_000.0, 0.25)] {
            let mut stage = TalkbackStage::new(fs as f32, &on);
            // 1.5 s: the filter settles in the first half second, the last second holds a
            // whole number of periods of every test frequency.
            let n = (fs * 1.5) as usize;
            let x = sine(fs, f, 0.0, amp, n);
            let mut talk = Vec::with_capacity(n);
            for chunk in x.chunks(TALK_CHUNK_FRAMES) {
                stage.process(Some((chunk, None)), chunk.len());
                talk.extend_from_slice(stage.talk());
            }
            let measured = amplitude(&talk[n - fs as usize..], f, fs) / amp;
            let want = butterworth_hp_gain(f, f64::from(TALK_HIGH_PASS_HZ), fs);
            let err_db = 20.0 * (measured / want).log10();
            assert!(
                err_db.abs() < 1e-3,
                "{fs} Hz rate, {f} Hz: {measured} vs analytic {want} ({err_db} dB)"
            );
            if f == 80.0 {
                // The prewarped corner: exactly −3.0103 dB (half power).
                assert!(
                    (20.0 * measured.log10() + 3.0103).abs() < 1e-3,
                    "{fs}: corner"
                );
            }
            if f == 1_000.0 {
                assert!(20.0 * measured.log10() > -0.01, "{fs}: 1 kHz is flat");
            }
        }
    }
}

#[test]
fn a_talking_cue_carries_dimmed_programme_plus_talk_and_the_others_are_untouched() {
    let fs = 48_000.0;
    let n = 12_000;
    let prog = (lcg_noise(1, 0.5, n), lcg_noise(2, 0.5, n));
    let talk = lcg_noise(3, 0.4, n);
    let settings = talking([true, false, true, false], false);
    // Talk switches on at sample 1000: the envelope then needs 15 ms.
    let mut stage = TalkbackStage::new(
        fs,
        &TalkbackSettings {
            on: false,
            ..settings
        },
    );
    let out = run(
        &mut stage,
        (&talk, None),
        (&prog.0, &prog.1),
        &[TALK_CHUNK_FRAMES],
        &[(1_000, settings)],
    );
    let fade = (TALK_FADE_MS * 0.001 * fs).round() as usize;
    let talk_ref = reference_high_pass(&talk, f64::from(TALK_HIGH_PASS_HZ), f64::from(fs));
    let (dim, level) = (f64::from(db_to_lin(-15.0)), f64::from(db_to_lin(-6.0)));
    let mut worst = 0.0f64;
    for c in [0, 2] {
        for (ch, p) in [&prog.0, &prog.1].into_iter().enumerate() {
            let got = &out.cues[c][ch];
            assert_bits_eq(&got[..1_000], &p[..1_000], "before talking");
            for i in 1_000 + fade..n {
                let want = f64::from(p[i]) * dim + talk_ref[i] * level;
                worst = worst.max((f64::from(got[i]) - want).abs());
            }
        }
    }
    assert!(worst < 1e-6, "talking cue off by {worst}");
    for c in [1, 3] {
        assert_bits_eq(&out.cues[c][0], &prog.0, "cue without talk, L");
        assert_bits_eq(&out.cues[c][1], &prog.1, "cue without talk, R");
    }
    assert_bits_eq(&out.main[0], &prog.0, "main, L");
    assert_bits_eq(&out.main[1], &prog.1, "main, R");
    println!("talking cue within {worst:.2e} of programme × dim + talk × level");
}

#[test]
fn talk_to_main_mixes_into_main_like_a_cue() {
    let fs = 48_000.0;
    let n = 4_000;
    let prog = (lcg_noise(4, 0.5, n), lcg_noise(5, 0.5, n));
    let talk = lcg_noise(6, 0.4, n);
    let settings = talking([false; CUE_COUNT], true);
    let mut stage = TalkbackStage::new(fs, &settings);
    let out = run(
        &mut stage,
        (&talk, None),
        (&prog.0, &prog.1),
        &[TALK_CHUNK_FRAMES],
        &[],
    );
    let talk_ref = reference_high_pass(&talk, f64::from(TALK_HIGH_PASS_HZ), f64::from(fs));
    let (dim, level) = (f64::from(db_to_lin(-15.0)), f64::from(db_to_lin(-6.0)));
    for (got, p) in [(&out.main[0], &prog.0), (&out.main[1], &prog.1)] {
        for i in 0..n {
            let want = f64::from(p[i]) * dim + talk_ref[i] * level;
            assert!((f64::from(got[i]) - want).abs() < 1e-6, "main sample {i}");
        }
    }
    for [l, r] in &out.cues {
        assert_bits_eq(l, &prog.0, "cue, L");
        assert_bits_eq(r, &prog.1, "cue, R");
    }
}

#[test]
fn the_talk_crossfade_is_a_linear_15_ms_ramp_both_ways() {
    for fs in [44_100.0f32, 48_000.0, 96_000.0] {
        let fade = (TALK_FADE_MS * 0.001 * fs).round() as usize;
        let n = 4 * fade;
        // A constant programme and no talk: the output is 1 − e + e·dim, so e is readable.
        let ones = vec![1.0f32; n];
        let silence = vec![0.0f32; n];
        let on = talking([true; CUE_COUNT], false);
        let off = TalkbackSettings { on: false, ..on };
        let mut stage = TalkbackStage::new(fs, &off);
        let out = run(
            &mut stage,
            (&silence, None),
            (&ones, &ones),
            &[37, 256, 1, 100],
            &[(fade, on), (3 * fade, off)],
        );
        let dim = f64::from(db_to_lin(-15.0));
        let envelope: Vec<f64> = out.cues[0][0]
            .iter()
            .map(|&y| (1.0 - f64::from(y)) / (1.0 - dim))
            .collect();
        for (k, e) in envelope.iter().enumerate() {
            let want = if k < fade {
                0.0
            } else if k < 2 * fade {
                (k - fade + 1) as f64 / fade as f64
            } else if k < 3 * fade {
                1.0
            } else {
                1.0 - ((k - 3 * fade + 1) as f64 / fade as f64).min(1.0)
            };
            // The ramp adds its step in f32: up to ~1e-5 of drift over 1440 steps.
            assert!(
                (e - want).abs() < 5e-5,
                "{fs} Hz: sample {k}: {e} vs {want}"
            );
        }
        // Steps of the envelope never exceed one ramp step: no click.
        let max_step = envelope
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f64::max);
        assert!(
            max_step <= 1.0 / fade as f64 + 5e-5,
            "{fs}: step {max_step}"
        );
        // Faded out, the cue is the programme again, bit for bit.
        assert_bits_eq(
            &out.cues[0][0][4 * fade - 1..],
            &ones[4 * fade - 1..],
            "off",
        );
    }
}

#[test]
fn any_block_split_gives_the_same_outputs_and_meter() {
    let fs = 48_000.0;
    let n = 20_000;
    let prog = (lcg_noise(7, 0.5, n), lcg_noise(8, 0.5, n));
    let talk_l = lcg_noise(9, 0.6, n);
    let talk_r = lcg_noise(10, 0.6, n);
    let a = talking([true, false, true, true], true);
    let b = TalkbackSettings {
        level_db: 6.0,
        dim_db: -30.0,
        cues: [false, true, true, false],
        ..a
    };
    let off = TalkbackSettings { on: false, ..b };
    let changes = [(500, a), (4_321, b), (9_000, off), (12_345, a)];
    let reference = run(
        &mut TalkbackStage::new(fs, &TalkbackSettings::default()),
        (&talk_l, Some(&talk_r)),
        (&prog.0, &prog.1),
        &[TALK_CHUNK_FRAMES],
        &changes,
    );
    for blocks in [&[1usize][..], &[7, 64, 255, 3], &[256, 100, 13]] {
        let got = run(
            &mut TalkbackStage::new(fs, &TalkbackSettings::default()),
            (&talk_l, Some(&talk_r)),
            (&prog.0, &prog.1),
            blocks,
            &changes,
        );
        for c in 0..CUE_COUNT {
            for ch in 0..2 {
                assert_bits_eq(&got.cues[c][ch], &reference.cues[c][ch], "cue");
            }
        }
        assert_bits_eq(&got.main[0], &reference.main[0], "main L");
        assert_bits_eq(&got.main[1], &reference.main[1], "main R");
        assert_eq!(got.talk_meter, reference.talk_meter, "talk meter");
    }
}

#[test]
fn a_stereo_talk_input_is_summed_to_mono() {
    let fs = 48_000.0;
    let n = 3_000;
    let (a, b) = (lcg_noise(11, 0.5, n), lcg_noise(12, 0.5, n));
    let mono: Vec<f32> = a.iter().zip(&b).map(|(x, y)| (x + y) * 0.5).collect();
    let settings = talking([true; CUE_COUNT], true);
    let prog = vec![0.0f32; n];
    let stereo = run(
        &mut TalkbackStage::new(fs, &settings),
        (&a, Some(&b)),
        (&prog, &prog),
        &[TALK_CHUNK_FRAMES],
        &[],
    );
    let summed = run(
        &mut TalkbackStage::new(fs, &settings),
        (&mono, None),
        (&prog, &prog),
        &[TALK_CHUNK_FRAMES],
        &[],
    );
    assert_bits_eq(&stereo.cues[0][0], &summed.cues[0][0], "stereo vs mono sum");
    assert_bits_eq(&stereo.main[1], &summed.main[1], "stereo vs mono sum, main");
}

#[test]
fn the_talk_meter_reads_peak_and_rms_after_the_filter() {
    let fs = 48_000.0f64;
    let n = 48_000;
    let amp = 0.5;
    let x = sine(fs, 1_000.0, 0.0, amp, n);
    let settings = TalkbackSettings {
        level_db: -20.0,
        ..TalkbackSettings::default()
    };
    let mut stage = TalkbackStage::new(fs as f32, &settings);
    let mut last = ChannelReading::default();
    for chunk in x.chunks(TALK_CHUNK_FRAMES) {
        stage.process(Some((chunk, None)), chunk.len());
        last = stage.read_meter();
    }
    let gain = butterworth_hp_gain(1_000.0, f64::from(TALK_HIGH_PASS_HZ), fs);
    // The talk level (−20 dB) does not move the meter: it reads the microphone.
    let rms_want = amp * gain / std::f64::consts::SQRT_2;
    assert!(
        (f64::from(last.rms_lin) - rms_want).abs() < 1e-3 * rms_want,
        "RMS {} vs {rms_want}",
        last.rms_lin
    );
    // 48 samples per period: the sample peak of the last chunk is within 0.3 % of the crest.
    let peak_want = amp * gain;
    assert!(
        f64::from(last.sample_peak_lin) <= peak_want * 1.000_01
            && f64::from(last.sample_peak_lin) > peak_want * 0.997,
        "peak {} vs {peak_want}",
        last.sample_peak_lin
    );
    assert!((f64::from(last.true_peak_lin) - peak_want).abs() < 2e-3 * peak_want);
}

#[test]
fn hostile_talk_input_never_reaches_an_output_as_non_finite() {
    let fs = 48_000.0;
    let n = 6_000;
    let hostile = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        1.0e30,
        -1.0e30,
        f32::MAX,
        1.0e-40,
        -1.0e-45,
    ];
    let talk_l: Vec<f32> = (0..n).map(|i| hostile[i % hostile.len()]).collect();
    let talk_r: Vec<f32> = (0..n).map(|i| hostile[(i / 3) % hostile.len()]).collect();
    let prog = lcg_noise(13, 0.5, n);
    let settings = TalkbackSettings {
        level_db: 12.0,
        ..talking([true; CUE_COUNT], true)
    };
    for talk in [(&talk_l[..], None), (&talk_l[..], Some(&talk_r[..]))] {
        let out = run(
            &mut TalkbackStage::new(fs, &settings),
            talk,
            (&prog, &prog),
            &[TALK_CHUNK_FRAMES, 5],
            &[],
        );
        for x in out.cues.iter().flatten().chain(&out.main) {
            assert!(x.iter().all(|s| s.is_finite()), "non-finite output");
        }
        let m = out.talk_meter;
        for v in [m.sample_peak_lin, m.true_peak_lin, m.rms_lin, m.headroom_db] {
            assert!(v.is_finite(), "non-finite meter reading {m:?}");
        }
    }
    // After the hostile burst, silence brings the talk back to silence: the filter recovers.
    let mut stage = TalkbackStage::new(fs, &settings);
    stage.process(Some((&talk_l[..256], None)), 256);
    let zeros = vec![0.0f32; TALK_CHUNK_FRAMES];
    for _ in 0..2_000 {
        stage.process(Some((&zeros, None)), TALK_CHUNK_FRAMES);
    }
    assert!(
        stage.talk().iter().all(|&t| t == 0.0),
        "the filter rings on"
    );
}

#[test]
fn missing_talk_input_is_silence() {
    let fs = 48_000.0;
    let settings = talking([true; CUE_COUNT], true);
    let mut stage = TalkbackStage::new(fs, &settings);
    let done = stage.process(None, 100);
    assert_eq!(done, 100);
    assert!(stage.talk().iter().all(|&t| t == 0.0));
    // A chunk longer than the stage takes is cut to its chunk length.
    assert_eq!(stage.process(None, 10_000), TALK_CHUNK_FRAMES);
    // Short channels read as silence past their end.
    let short = [0.5f32; 10];
    stage.process(Some((&short, None)), 40);
    assert_eq!(stage.talk().len(), 40);
    let mut l = vec![1.0f32; 40];
    let mut r = vec![1.0f32; 40];
    stage.mix_into_cue(0, &mut l, &mut r);
    assert!(l.iter().chain(&r).all(|x| x.is_finite()));
}
