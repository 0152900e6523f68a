//! Listen: after its crossfade main is the chosen cue's pre-guard signal bit for bit at any
//! block size; off leaves main untouched; the crossfade is linear over 10 ms, and a switch in
//! the middle of one never jumps.

use cuewire_dsp::cue::CUE_COUNT;
use cuewire_dsp::listen::{Listen, ListenStage, LISTEN_FADE_MS};
use cuewire_testkit::{assert_bits_eq, lcg_noise, spans};

/// Main and four cues, each (L, R), `n` frames.
struct Signals {
    main: [Vec<f32>; 2],
    cues: Vec<[Vec<f32>; 2]>,
}

fn signals(n: usize) -> Signals {
    Signals {
        main: [lcg_noise(1, 0.5, n), lcg_noise(2, 0.5, n)],
        cues: (0..CUE_COUNT as u32)
            .map(|c| [lcg_noise(10 + 2 * c, 0.5, n), lcg_noise(11 + 2 * c, 0.5, n)])
            .collect(),
    }
}

/// Main after listening, cut into `blocks` (cycled), with `changes` (sample position,
/// selection) applied at their positions; `live`: which cues carry signal.
fn run(
    fs: f32,
    s: &Signals,
    live: [bool; CUE_COUNT],
    blocks: &[usize],
    changes: &[(usize, Listen)],
) -> [Vec<f32>; 2] {
    let n = s.main[0].len();
    let mut stage = ListenStage::new(fs, Listen::Off);
    let [mut l, mut r] = s.main.clone();
    let cuts: Vec<usize> = changes.iter().map(|(at, _)| *at).collect();
    for (start, end) in spans(n, blocks, usize::MAX, &cuts) {
        for (at, listen) in changes {
            if *at == start {
                stage.set(*listen);
            }
        }
        let cues = std::array::from_fn(|c| {
            live[c].then(|| (&s.cues[c][0][start..end], &s.cues[c][1][start..end]))
        });
        stage.process((&mut l[start..end], &mut r[start..end]), cues);
    }
    [l, r]
}

#[test]
fn after_the_crossfade_main_is_the_chosen_cue_bit_for_bit_at_any_block_size() {
    let fs = 48_000.0;
    let fade = (LISTEN_FADE_MS * 0.001 * fs).round() as usize;
    let n = 8_000;
    let s = signals(n);
    let changes = [(1_000, Listen::Cue(2)), (3_000, Listen::Cue(0))];
    let reference = run(fs, &s, [true; CUE_COUNT], &[n], &changes);
    for blocks in [&[1usize][..], &[64], &[7, 300, 1, 4096]] {
        let got = run(fs, &s, [true; CUE_COUNT], blocks, &changes);
        assert_bits_eq(&got[0], &reference[0], "L vs one block");
        assert_bits_eq(&got[1], &reference[1], "R vs one block");
    }
    for (ch, got) in reference.iter().enumerate() {
        assert_bits_eq(&got[..1_000], &s.main[ch][..1_000], "off");
        let (a, b) = (1_000 + fade, 3_000);
        assert_bits_eq(&got[a..b], &s.cues[2][ch][a..b], "cue 3");
        let a = 3_000 + fade;
        assert_bits_eq(&got[a..], &s.cues[0][ch][a..], "cue 1");
    }
}

#[test]
fn listen_off_leaves_main_untouched() {
    let fs = 48_000.0;
    let n = 2_000;
    let mut s = signals(n);
    // Even samples a guard would change are not touched by listen.
    s.main[0][5] = f32::NAN;
    s.main[1][6] = -0.0;
    s.main[1][7] = 1.0e-40;
    let got = run(fs, &s, [true; CUE_COUNT], &[100], &[]);
    assert_bits_eq(&got[0], &s.main[0], "L");
    assert_bits_eq(&got[1], &s.main[1], "R");
    // Back to off after listening: untouched again once the crossfade has ended.
    let fade = (LISTEN_FADE_MS * 0.001 * fs).round() as usize;
    let got = run(
        fs,
        &s,
        [true; CUE_COUNT],
        &[100],
        &[(100, Listen::Cue(1)), (600, Listen::Off)],
    );
    assert_bits_eq(&got[0][600 + fade..], &s.main[0][600 + fade..], "L after");
}

#[test]
fn the_crossfade_is_linear_over_10_ms_and_a_switch_midway_never_jumps() {
    for fs in [44_100.0f32, 48_000.0, 96_000.0] {
        let fade = (LISTEN_FADE_MS * 0.001 * fs).round() as usize;
        let n = 6 * fade;
        // Constant sources: main 0, cue 1 at 1, cue 2 at −1.
        let mut s = signals(n);
        s.main = [vec![0.0; n], vec![0.0; n]];
        s.cues[0] = [vec![1.0; n], vec![1.0; n]];
        s.cues[1] = [vec![-1.0; n], vec![-1.0; n]];
        let half = fade / 2;
        let got = run(
            fs,
            &s,
            [true; CUE_COUNT],
            &[33, 1, 250],
            &[(fade, Listen::Cue(0)), (3 * fade, Listen::Cue(1))],
        );
        let l = &got[0];
        assert!(l[..fade].iter().all(|&x| x == 0.0));
        for (k, &x) in l.iter().enumerate().take(2 * fade).skip(fade) {
            let want = (k - fade + 1) as f32 / fade as f32;
            assert!((x - want).abs() < 1e-5, "{fs}: sample {k}: {x} vs {want}");
        }
        assert!(l[2 * fade..3 * fade].iter().all(|&x| x == 1.0));
        assert!(
            l[4 * fade..].iter().all(|&x| x == -1.0),
            "{fs}: lands on cue 2"
        );
        // A switch half-way through the next crossfade: every step stays below the steepest
        // a crossfade between ±1 can take, 2 / fade.
        let got = run(
            fs,
            &s,
            [true; CUE_COUNT],
            &[64],
            &[
                (fade, Listen::Cue(0)),
                (fade + half, Listen::Cue(1)),
                (fade + 2 * half, Listen::Off),
            ],
        );
        let max_step = got[0]
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0f32, f32::max);
        assert!(
            max_step <= 2.0 / fade as f32 + 1e-5,
            "{fs}: step {max_step}"
        );
        assert!(
            got[0][n - fade..].iter().all(|&x| x == 0.0),
            "{fs}: back to main"
        );
    }
}

#[test]
fn a_cue_that_carries_nothing_is_heard_as_silence() {
    let fs = 48_000.0;
    let n = 2_000;
    let s = signals(n);
    let fade = (LISTEN_FADE_MS * 0.001 * fs).round() as usize;
    let mut live = [true; CUE_COUNT];
    live[3] = false;
    let got = run(fs, &s, live, &[128], &[(0, Listen::Cue(3))]);
    assert!(got[0][fade..]
        .iter()
        .chain(&got[1][fade..])
        .all(|&x| x == 0.0));
    // An index past the last cue acts as off.
    let got = run(fs, &s, live, &[128], &[(0, Listen::Cue(CUE_COUNT))]);
    assert_bits_eq(&got[0], &s.main[0], "out-of-range cue");
}
