//! The `cuewire` command-line tool end to end: generated WAV files in every input mode, output
//! checked numerically, and every error case's message and exit code.

use cuewire_testkit::{amplitude, lcg_noise, quantised, rms, sine};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const RATE: u32 = 48_000;

/// A scratch directory per test.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cuewire-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the tool.
fn cuewire(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cuewire"))
        .args(args)
        .output()
        .expect("run cuewire")
}

/// stdout of a run that must succeed.
fn ok(args: &[&str]) -> String {
    let out = cuewire(args);
    assert!(
        out.status.success(),
        "cuewire {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// (exit code, stderr) of a run that must fail.
fn fails(args: &[&str]) -> (i32, String) {
    let out = cuewire(args);
    assert!(!out.status.success(), "cuewire {args:?} should fail");
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Writes channels as a float or `bits`-bit integer WAV (values must be exact in 16 bits when
/// `bits` is 16, so round trips are exact).
fn write_wav(path: &Path, channels: &[Vec<f32>], bits: Option<u16>) {
    write_wav_at(path, channels, bits, RATE);
}

/// [`write_wav`] at any sample rate.
fn write_wav_at(path: &Path, channels: &[Vec<f32>], bits: Option<u16>, rate_hz: u32) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: rate_hz,
        bits_per_sample: bits.unwrap_or(32),
        sample_format: if bits.is_some() {
            hound::SampleFormat::Int
        } else {
            hound::SampleFormat::Float
        },
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..channels[0].len() {
        for ch in channels {
            match bits {
                Some(b) => w
                    .write_sample((ch[i] * (1u32 << (b - 1)) as f32).round() as i32)
                    .unwrap(),
                None => w.write_sample(ch[i]).unwrap(),
            }
        }
    }
    w.finalize().unwrap();
}

/// Reads a WAV as float channels (integers scaled to ±1) and its spec.
fn read_wav(path: &Path) -> (Vec<Vec<f32>>, hound::WavSpec) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let n = spec.channels as usize;
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().map(Result::unwrap).collect(),
        hound::SampleFormat::Int => {
            let scale = (1u32 << (spec.bits_per_sample - 1)) as f32;
            r.samples::<i32>()
                .map(|s| s.unwrap() as f32 / scale)
                .collect()
        }
    };
    let mut chans = vec![Vec::new(); n];
    for (i, s) in samples.into_iter().enumerate() {
        chans[i % n].push(s);
    }
    (chans, spec)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn params_lists_every_parameter() {
    let out = ok(&["params"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 88, "{out}");
    let line = |id: &str| {
        *lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    let gain = line("main_gain");
    assert!(
        gain.contains("Main gain")
            && gain.contains("-60.0 dB … 24.0 dB")
            && gain.ends_with("(default 0.0 dB)"),
        "{gain}"
    );
    let mode = line("in_mode");
    assert!(
        mode.contains(
            "Stereo | Auto fix | Left → both | Right → both | Mono sum | Swap | Balanced pair"
        ),
        "{mode}"
    );
    assert!(line("main_guard").ends_with("(default On)"));
    assert!(line("cue_ceiling_4").contains("-20.0 dB … 0.0 dB"));
    assert!(line("listen").contains("Off | Cue 1 | Cue 2 | Cue 3 | Cue 4  (default Off)"));
    assert!(line("talk_dim_db").contains("-40.0 dB … 0.0 dB  (default -15.0 dB)"));
    assert!(line("cue_talk_2").ends_with("(default On)"));
    // Each listener's calibration, level limit and the allowance.
    assert!(line("main_fullscale").contains("-20.0 dBu … 30.0 dBu  (default 10.0 dBu)"));
    assert!(line("cue_sens_unit_3").contains("dB SPL/V | dB SPL/mW  (default dB SPL/V)"));
    assert!(line("cue_cal_main_1").ends_with("(default On)"));
    assert!(line("main_limit_db").contains("60.0 dB(A) … 100.0 dB(A)  (default 80.0 dB(A))"));
    assert!(line("allowance").contains("Adult | Sensitive  (default Adult)"));
}

#[test]
fn unity_render_is_bit_transparent_in_every_format() {
    let dir = scratch("unity");
    let n = 9_600;
    let stereo = vec![
        quantised(&lcg_noise(1, 0.9, n), 16),
        quantised(&sine(f64::from(RATE), 997.0, 0.0, 0.5, n), 16),
    ];
    // Each format at another rate: the rate passes through to the output.
    for (bits, name, rate) in [
        (Some(16), "i16", 44_100),
        (Some(24), "i24", 96_000),
        (None, "f32", 192_000),
    ] {
        let input = dir.join(format!("in_{name}.wav"));
        write_wav_at(&input, &stereo, bits, rate);
        let (source, _) = read_wav(&input);
        // Float output (default): every sample exactly the input's value.
        let out = dir.join(format!("out_{name}.wav"));
        ok(&["render", s(&input), s(&out), "--quiet"]);
        let (got, spec) = read_wav(&out);
        assert_eq!(spec.sample_format, hound::SampleFormat::Float);
        assert_eq!(spec.sample_rate, rate);
        assert_eq!(got, source, "{name} → float");
        // Same format: the integers come back unchanged.
        let same = dir.join(format!("same_{name}.wav"));
        ok(&["render", s(&input), s(&same), "--format", "same"]);
        assert_eq!(
            std::fs::read(&same).unwrap().len(),
            std::fs::read(&input).unwrap().len()
        );
        let (got, spec) = read_wav(&same);
        assert_eq!(spec.bits_per_sample, bits.unwrap_or(32), "{name}");
        assert_eq!(got, source, "{name} → same format");
    }
    // Mono in, stereo out: the one channel in both ears, untouched.
    let mono = dir.join("mono.wav");
    write_wav(&mono, &stereo[..1], Some(16));
    let out = dir.join("mono_out.wav");
    ok(&["render", s(&mono), s(&out)]);
    let (got, _) = read_wav(&out);
    assert_eq!(got, vec![stereo[0].clone(), stereo[0].clone()]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn one_ear_recording_reaches_both_ears() {
    let dir = scratch("one-ear");
    let n = RATE as usize;
    let left = sine(f64::from(RATE), 440.0, 0.0, 0.5, n);
    let input = dir.join("aux.wav");
    write_wav(&input, &[left.clone(), vec![0.0; n]], None);
    let report = ok(&["analyze", s(&input)]);
    assert!(
        report.contains("input fault (ch 1/2): one ear: only channel 1 is live"),
        "{report}"
    );
    let out = dir.join("fixed.wav");
    let summary = ok(&["render", s(&input), s(&out), "--set", "in_mode=Auto fix"]);
    assert!(
        summary.contains("auto fix: left only → both ears"),
        "{summary}"
    );
    let (got, _) = read_wav(&out);
    // Once Auto fix has switched (250 ms + 10 ms crossfade), both ears carry the left channel.
    let tail = n / 2..n;
    assert_eq!(got[0][tail.clone()], got[1][tail.clone()]);
    assert_eq!(got[0][tail.clone()], left[tail.clone()]);
    assert!((rms(&got[1][tail]) - 0.5 / 2f64.sqrt()).abs() < 1e-3);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn balanced_pairs_reject_hum_and_analyze_reports_it() {
    let dir = scratch("pairs");
    let n = RATE as usize;
    let sig_l = sine(f64::from(RATE), 1_000.0, 0.0, 0.3, n);
    let sig_r = sine(f64::from(RATE), 1_500.0, 0.0, 0.3, n);
    let hum = sine(f64::from(RATE), 50.0, 0.0, 0.3, n);
    let leg = |sig: &[f32], sign: f32, g: f32| -> Vec<f32> {
        sig.iter()
            .zip(&hum)
            .map(|(s, h)| g * (sign * s + h))
            .collect()
    };
    // Right pair's cold leg 1 % low: the decode lets some hum through.
    let g = 0.99f32;
    let chans = vec![
        leg(&sig_l, 1.0, 1.0),
        leg(&sig_l, -1.0, 1.0),
        leg(&sig_r, 1.0, 1.0),
        leg(&sig_r, -1.0, g),
    ];
    let input = dir.join("pairs.wav");
    write_wav(&input, &chans, None);
    let out = dir.join("decoded.wav");
    ok(&["render", s(&input), s(&out)]);
    let (got, spec) = read_wav(&out);
    assert_eq!(spec.channels, 2);
    // Perfect pair: (hot − cold)/2 is the signal; the hum is gone (> 100 dB down).
    let residual: Vec<f32> = got[0].iter().zip(&sig_l).map(|(o, s)| o - s).collect();
    let rejection_l = 20.0 * (rms(&hum) / rms(&residual).max(1e-12)).log10();
    assert!(rejection_l > 100.0, "left pair rejects {rejection_l:.1} dB");

    // analyze measures the rejection with the engine's common-mode meter. With legs
    // s + h and g(−s + h): out = s(1+g)/2 + h(1−g)/2, cm = s(1−g)/2 + h(1+g)/2, so for equal
    // signal and hum power rejection = 20·log10(((1−g)² + (1+g)²) / (2(1 − g²))) = 39.96 dB.
    let json = ok(&["analyze", s(&input), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let pairs = v["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 2);
    assert_eq!(
        pairs[0]["rejection_min_db"].as_f64(),
        Some(120.0),
        "perfect pair reads the cap"
    );
    let g = f64::from(g);
    let want = 20.0 * (((1.0 - g).powi(2) + (1.0 + g).powi(2)) / (2.0 * (1.0 - g * g))).log10();
    let got_r = pairs[1]["rejection_min_db"].as_f64().unwrap();
    assert!(
        (got_r - want).abs() < 0.5,
        "right pair rejection {got_r} dB, expected {want:.2} dB"
    );
    // Common mode: h(1+g)/2 → the hum's RMS, −13.5 dBFS for a 0.3 sine, on the left pair.
    let cm_l = pairs[0]["common_mode_rms_max_dbfs"].as_f64().unwrap();
    let want_cm = 20.0 * (0.3 / 2f64.sqrt()).log10();
    assert!((cm_l - want_cm).abs() < 0.1, "cm {cm_l} vs {want_cm:.2}");

    // A 2-channel file with --pair: the same numbers for one pair.
    let two = dir.join("pair.wav");
    write_wav(&two, &chans[2..], None);
    let v: serde_json::Value =
        serde_json::from_str(&ok(&["analyze", s(&two), "--json", "--pair"])).unwrap();
    let got_pair = v["pairs"][0]["rejection_min_db"].as_f64().unwrap();
    assert!((got_pair - want).abs() < 0.5, "{got_pair}");
    // Without --pair the detector flags nothing odd here (hum keeps the legs correlated)…
    // …but a pure anti-phase pair is reported as a balanced pair on two channels.
    let anti = dir.join("anti.wav");
    write_wav(
        &anti,
        &[sig_l.clone(), sig_l.iter().map(|x| -x).collect()],
        None,
    );
    let report = ok(&["analyze", s(&anti)]);
    assert!(
        report.contains("anti-phase: looks like one balanced pair"),
        "{report}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn headroom_peaks_and_clips_are_reported() {
    let dir = scratch("headroom");
    let n = RATE as usize;
    // Left: a −6.02 dBFS sine (0.5); right: full-scale square bursts → clip events.
    let left = sine(f64::from(RATE), 1_000.0, 0.0, 0.5, n);
    let mut right = vec![0.0f32; n];
    for burst in 0..3 {
        for x in &mut right[burst * 10_000..burst * 10_000 + 50] {
            *x = 1.0;
        }
    }
    let input = dir.join("take.wav");
    write_wav(&input, &[left, right], None);
    let v: serde_json::Value =
        serde_json::from_str(&ok(&["analyze", s(&input), "--json"])).unwrap();
    let ch = &v["per_channel"];
    let l_peak = ch[0]["sample_peak_dbfs"].as_f64().unwrap();
    assert!((l_peak - -6.02).abs() < 0.02, "{l_peak}");
    // RMS of a sine is its peak − 3.01 dB.
    assert!((ch[0]["rms_dbfs"].as_f64().unwrap() - -9.03).abs() < 0.02);
    // True peak of a 1 kHz sine at 48 kHz equals its sample peak within 0.1 dB…
    let l_tp = ch[0]["true_peak_dbtp"].as_f64().unwrap();
    assert!((l_tp - l_peak).abs() < 0.1, "{l_tp}");
    assert!((ch[0]["headroom_db"].as_f64().unwrap() + l_tp).abs() < 0.01);
    assert_eq!(ch[0]["clip_events"], 0);
    // …and the three full-scale bursts are three clip events.
    assert_eq!(ch[1]["clip_events"], 3);
    assert_eq!(ch[1]["sample_peak_dbfs"].as_f64(), Some(0.0));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn state_and_cue_outputs_round_trip() {
    let dir = scratch("state");
    let n = 4_800;
    let input = dir.join("in.wav");
    write_wav(
        &input,
        &[
            sine(f64::from(RATE), 300.0, 0.0, 0.5, n),
            sine(f64::from(RATE), 500.0, 0.0, 0.25, n),
        ],
        None,
    );
    let state = dir.join("s.json");
    let out1 = dir.join("a.wav");
    let pattern = dir.join("cue{n}.wav");
    ok(&[
        "render",
        s(&input),
        s(&out1),
        "--set",
        "main_gain=-6",
        "--set",
        "cue_on_2=On",
        "--set",
        "cue_mode_2=Right → both",
        "--set",
        "cue_gain_2=-20 dB",
        "--save-state",
        s(&state),
        "--cue-out",
        s(&pattern),
    ]);
    // Only the cue that is on is written.
    assert!(dir.join("cue2.wav").exists());
    assert!(!dir.join("cue1.wav").exists());
    let (cue2, _) = read_wav(&dir.join("cue2.wav"));
    let (src, _) = read_wav(&input);
    // Pre-fader cue at −20 dB fed from the right channel: 0.1 × R, both sides.
    let want: Vec<f32> = src[1]
        .iter()
        .map(|x| x * 10f32.powf(-20.0 / 20.0))
        .collect();
    for side in &cue2 {
        let err = side
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(err < 1e-6, "cue 2 differs by {err}");
    }
    // The saved state reproduces the render exactly.
    let out2 = dir.join("b.wav");
    ok(&["render", s(&input), s(&out2), "--state", s(&state)]);
    assert_eq!(std::fs::read(&out1).unwrap(), std::fs::read(&out2).unwrap());
    // The JSON is nice-plug's PluginState: plain values by id.
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(v["params"]["main_gain"]["f32"].as_f64(), Some(-6.0));
    assert_eq!(v["params"]["cue_mode_2"]["string"], "right");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn errors_are_one_line_with_exit_codes() {
    let dir = scratch("errors");
    let good = dir.join("good.wav");
    write_wav(&good, &[vec![0.0; 100], vec![0.0; 100]], None);
    let three = dir.join("three.wav");
    write_wav(&three, &[vec![0.0; 10], vec![0.0; 10], vec![0.0; 10]], None);
    let text = dir.join("text.wav");
    std::fs::write(&text, "definitely not RIFF").unwrap();
    let out = dir.join("out.wav");
    let missing = dir.join("missing.wav");
    let unwritable = dir.join("no/such/dir/out.wav");
    let cases: Vec<(Vec<&str>, i32, String)> = vec![
        (vec![], 2, "no command given (try `cuewire --help`)".into()),
        (vec!["mix"], 2, "unknown command 'mix' (commands: render, params, analyze)".into()),
        (vec!["render", s(&good)], 2, "render needs 2 file arguments (got 1; see `cuewire --help`)".into()),
        (vec!["render", s(&missing), s(&out)], 3, format!("cannot open '{}': no such file", s(&missing))),
        (vec!["analyze", s(&text)], 3, format!("'{}' is not a usable WAV file (Ill-formed WAVE file: no RIFF tag found)", s(&text))),
        (vec!["render", s(&three), s(&out)], 3, "unsupported channel count 3 (1 = mono, 2 = stereo, 4 = balanced pairs Hot L, Cold L, Hot R, Cold R)".into()),
        (vec!["render", s(&good), s(&out), "--set", "main_gian=-6"], 2, "unknown parameter id 'main_gian' (run `cuewire params` for the list)".into()),
        (vec!["render", s(&good), s(&out), "--set", "in_mode=Sideways"], 2, "invalid value 'Sideways' for parameter 'in_mode' (allowed: Stereo | Auto fix | Left → both | Right → both | Mono sum | Swap | Balanced pair)".into()),
        (vec!["render", s(&good), s(&out), "--set", "main_gain"], 2, "--set expects ID=VALUE, got 'main_gain'".into()),
        (vec!["render", s(&good), s(&out), "--frobnicate"], 2, "unknown option '--frobnicate'".into()),
        (vec!["render", s(&good), s(&out), "--cue-out", "cue.wav", "--set", "cue_on_1=On"], 2, "--cue-out pattern 'cue.wav' has no {n} for the cue number".into()),
        (vec!["render", s(&good), s(&out), "--state", s(&text)], 3, format!("'{}': not a Cuewire state file: expected value at line 1 column 1", s(&text))),
        (vec!["render", s(&good), s(&unwritable)], 4, format!("cannot write '{}': No such file or directory (os error 2)", s(&unwritable))),
    ];
    for (args, code, message) in cases {
        let (got_code, stderr) = fails(&args);
        assert_eq!(stderr, format!("cuewire: error: {message}\n"), "{args:?}");
        assert_eq!(got_code, code, "{args:?}");
    }
    // Nothing was written, not even a temporary file.
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["good.wav", "text.wav", "three.wav"]);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Cuewire's VST3 class id as a preset stores it: the 16 bytes of `VST3_CLASS_ID`
/// (b"CuewireHpMonitr1") as 32 upper-case hex digits.
const CUEWIRE_CLASS_ID: &str = "4375657769726548704D6F6E69747231";

/// A VST3 preset built by hand (independently of the tool's writer): the header, the chunks'
/// data in the order given, then the chunk list with its entries in `list_order`.
fn vst3_preset(class_id: &str, chunks: &[(&[u8; 4], &[u8])], list_order: &[usize]) -> Vec<u8> {
    let mut data = Vec::new();
    let mut entries = Vec::new();
    for (id, bytes) in chunks {
        entries.push((**id, 48 + data.len() as i64, bytes.len() as i64));
        data.extend_from_slice(bytes);
    }
    let mut out = b"VST3".to_vec();
    out.extend_from_slice(&1i32.to_le_bytes());
    out.extend_from_slice(class_id.as_bytes());
    out.extend_from_slice(&(48 + data.len() as i64).to_le_bytes());
    out.extend_from_slice(&data);
    out.extend_from_slice(b"List");
    out.extend_from_slice(&(list_order.len() as i32).to_le_bytes());
    for &i in list_order {
        let (id, offset, size) = entries[i];
        out.extend_from_slice(&id);
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
    }
    out
}

#[test]
fn vst3_presets_save_and_load() {
    let dir = scratch("vstpreset");
    let input = dir.join("in.wav");
    write_wav(
        &input,
        &[
            sine(f64::from(RATE), 300.0, 0.0, 0.9, 4_800),
            sine(f64::from(RATE), 500.0, 0.0, 0.6, 4_800),
        ],
        None,
    );
    let settings = [
        "--set",
        "main_gain=-7.5",
        "--set",
        "in_mode=Swap",
        "--set",
        "main_xfeed=Chu Moy",
    ];
    let reference = dir.join("reference.wav");
    let json = dir.join("state.json");
    let mut args = vec!["render", s(&input), s(&reference), "--save-state", s(&json)];
    args.extend(settings);
    ok(&args);
    let preset = dir.join("state.vstpreset");
    let mut args = vec![
        "render",
        s(&input),
        s(&reference),
        "--save-state",
        s(&preset),
    ];
    args.extend(settings);
    ok(&args);

    // The written preset: header, Cuewire's class id, the JSON as the component state.
    let bytes = std::fs::read(&preset).unwrap();
    let json_bytes = std::fs::read(&json).unwrap();
    assert_eq!(&bytes[..4], b"VST3");
    assert_eq!(i32::from_le_bytes(bytes[4..8].try_into().unwrap()), 1);
    assert_eq!(&bytes[8..40], CUEWIRE_CLASS_ID.as_bytes());
    assert_eq!(
        bytes,
        vst3_preset(CUEWIRE_CLASS_ID, &[(b"Comp", &json_bytes)], &[0])
    );
    // It reproduces the render exactly.
    let from_preset = dir.join("from_preset.wav");
    ok(&["render", s(&input), s(&from_preset), "--state", s(&preset)]);
    assert_eq!(
        std::fs::read(&from_preset).unwrap(),
        std::fs::read(&reference).unwrap()
    );

    // A host's preset: metadata and controller chunks around the component state, listed in
    // another order than stored.
    let info = br#"<?xml version="1.0" encoding="utf-8"?><MetaInfo></MetaInfo>"#;
    let host = dir.join("host.vstpreset");
    std::fs::write(
        &host,
        vst3_preset(
            &CUEWIRE_CLASS_ID.to_lowercase(),
            &[
                (b"Cont", b"\x00\x01\x02"),
                (b"Comp", &json_bytes),
                (b"Info", info),
            ],
            &[2, 0, 1],
        ),
    )
    .unwrap();
    let from_host = dir.join("from_host.wav");
    ok(&["render", s(&input), s(&from_host), "--state", s(&host)]);
    assert_eq!(
        std::fs::read(&from_host).unwrap(),
        std::fs::read(&reference).unwrap()
    );

    // Cut short, garbage, without a component state, or another plugin's: exit 3, one line.
    let out = dir.join("never.wav");
    let bad = dir.join("bad.vstpreset");
    let other_id = "ABCDEF0123456789ABCDEF0123456789";
    let cases: Vec<(Vec<u8>, String)> = vec![
        (
            bytes[..bytes.len() - 9].to_vec(),
            "VST3 preset cut short or corrupt: the chunk list names 1 chunks, the file holds 0"
                .into(),
        ),
        (
            bytes[..30].to_vec(),
            "not a VST3 preset: 30 bytes, shorter than the 48-byte header".into(),
        ),
        (
            [&bytes[..48], b"garbage garbage garbage".as_slice()].concat(),
            "VST3 preset cut short or corrupt: no chunk list where the header points (71 bytes)"
                .into(),
        ),
        (
            vst3_preset(CUEWIRE_CLASS_ID, &[(b"Info", info)], &[0]),
            "the VST3 preset has no component state ('Comp' chunk)".into(),
        ),
        (
            vst3_preset(other_id, &[(b"Comp", &json_bytes)], &[0]),
            format!(
                "the VST3 preset is for another plugin (class id {other_id}, Cuewire's is {CUEWIRE_CLASS_ID})"
            ),
        ),
        (
            vst3_preset(CUEWIRE_CLASS_ID, &[(b"Comp", b"{not json")], &[0]),
            "not a Cuewire state file: key must be a string at line 1 column 2".into(),
        ),
    ];
    for (bytes, message) in cases {
        std::fs::write(&bad, bytes).unwrap();
        let (code, stderr) = fails(&["render", s(&input), s(&out), "--state", s(&bad)]);
        assert_eq!(
            stderr,
            format!("cuewire: error: '{}': {message}\n", s(&bad)),
            "{message}"
        );
        assert_eq!(code, 3, "{message}");
    }
    assert!(!out.exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn help_and_version_print_and_succeed() {
    let version = ok(&["--version"]);
    assert_eq!(version, format!("cuewire {}\n", env!("CARGO_PKG_VERSION")));
    let help = ok(&["--help"]);
    for command in ["render", "params", "analyze"] {
        assert!(help.contains(command), "{help}");
    }
    assert!(
        help.contains("Exit codes: 0 ok, 2 bad command line"),
        "{help}"
    );
    let render_help = ok(&["render", "--help"]);
    for option in [
        "--set <ID=VALUE>",
        "--state <FILE>",
        "--cue-out <PATTERN>",
        ".vstpreset",
    ] {
        assert!(render_help.contains(option), "{render_help}");
    }
    assert!(ok(&["help", "analyze"]).contains("--pair"));
    // clap's own usage errors keep exit code 2 and one line.
    let (code, stderr) = fails(&["render", "a.wav", "b.wav", "--format", "double"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "cuewire: error: invalid value 'double' for '--format <FORMAT>' [possible values: float, same]\n"
    );
}

/// The JSON report of a run that must succeed.
fn json_of(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(args)).unwrap()
}

/// `v` (a JSON number) is within `tolerance` of `want`.
fn near(v: &serde_json::Value, want: f64, tolerance: f64) -> bool {
    v.as_f64()
        .is_some_and(|got| (got - want).abs() <= tolerance)
}

/// Exposure (Pa²h) of `seconds` at `db_spl` dB(A): p² = (20 µPa)²·10^(L/10).
fn exposure_pa2h(db_spl: f64, seconds: f64) -> f64 {
    (20e-6f64).powi(2) * 10f64.powf(db_spl / 10.0) * seconds / 3600.0
}

#[test]
fn level_at_the_ear_and_loudness_match_their_definitions() {
    let dir = scratch("level");
    // A −20 dBFS (AES17: peak 0.1) 1 kHz sine for 60 s in both ears. Full scale 1 V RMS, no
    // amp, 114 dB SPL/V: a full-scale sine plays at 114 dB SPL, this one at 94.0 dB(A)
    // (A-weighting is 0 dB at 1 kHz), and 60 s of it is 1.005/60 Pa²h.
    let n = 60 * RATE as usize;
    let tone = sine(f64::from(RATE), 1000.0, 0.0, 0.1, n);
    let input = dir.join("tone.wav");
    write_wav(&input, &[tone.clone(), tone], None);
    let cal = ["--set", "main_fullscale=1 V", "--set", "main_sens=114"];
    let mut args = vec!["analyze", s(&input), "--json"];
    args.extend(cal);
    let report = json_of(&args);
    let level = &report["input"];
    let exposure = exposure_pa2h(94.0, 60.0);
    assert!(near(&level["laeq_db_spl"], 94.0, 0.05), "{level}");
    assert!(near(&level["laeq_1s_max_db_spl"], 94.0, 0.05), "{level}");
    assert!(
        near(&level["exposure_pa2h"], exposure, exposure * 0.005),
        "{level}"
    );
    // Adult allowance 1.6 Pa²h.
    let dose = 100.0 * exposure / 1.6;
    assert!(near(&level["dose_percent"], dose, dose * 0.005), "{level}");
    // BS.1770: a 1 kHz sine in both channels reads its level in dBFS as LUFS.
    assert!(near(&level["integrated_lufs"], -20.0, 0.05), "{level}");
    assert!(near(&level["momentary_max_lufs"], -20.0, 0.05), "{level}");
    assert!(near(&level["short_term_max_lufs"], -20.0, 0.05), "{level}");
    assert!(near(&level["lra_lu"], 0.0, 0.05), "{level}");
    // True peak −20 dBTP over −20 LUFS.
    assert!(near(&level["plr_db"], 0.0, 0.05), "{level}");
    // Without a calibration the default chain (+10 dBu, 0 dB, 100 dB SPL/V: 107.8 dB SPL at
    // 0 dBFS) applies; a sensitive listener's allowance (0.51 Pa²h) raises the dose.
    let report = json_of(&[
        "analyze",
        s(&input),
        "--json",
        "--set",
        "allowance=Sensitive",
    ]);
    let level = &report["input"];
    let default_spl = 100.0 + 10.0 + 20.0 * 0.6f64.sqrt().log10() - 20.0;
    assert!(near(&level["laeq_db_spl"], default_spl, 0.05), "{level}");
    let exposure = exposure_pa2h(default_spl, 60.0);
    assert!(
        near(&level["dose_percent"], 100.0 * exposure / 0.51, 0.005),
        "{level}"
    );

    // Render: the engine's readings of main and of each written cue (cue 1 at −10 dB).
    let out = dir.join("out.wav");
    let cue = dir.join("cue{n}.wav");
    let mut args = vec![
        "render",
        s(&input),
        s(&out),
        "--json",
        "--quiet",
        "--set",
        "cue_on_1=On",
        "--set",
        "cue_gain_1=-10",
        "--cue-out",
        s(&cue),
    ];
    args.extend(cal);
    let report = json_of(&args);
    let main = &report["main"];
    let exposure = exposure_pa2h(94.0, 60.0);
    assert!(near(&main["laeq_db_spl"], 94.0, 0.05), "{main}");
    assert!(
        near(&main["exposure_pa2h"], exposure, exposure * 0.005),
        "{main}"
    );
    assert!(near(&main["integrated_lufs"], -20.0, 0.05), "{main}");
    assert!(near(&main["plr_db"], 0.0, 0.05), "{main}");
    let cue1 = &report["cues"][0];
    assert_eq!(cue1["cue"], 1);
    assert!(near(&cue1["laeq_db_spl"], 84.0, 0.05), "{cue1}");
    let exposure = exposure_pa2h(84.0, 60.0);
    assert!(
        near(&cue1["exposure_pa2h"], exposure, exposure * 0.005),
        "{cue1}"
    );
    assert!(near(&cue1["integrated_lufs"], -30.0, 0.05), "{cue1}");
    assert_eq!(report["cues"].as_array().unwrap().len(), 1);
    // The text report says the same.
    let mut args = vec!["render", s(&input), s(&out), "--quiet"];
    args.extend(cal);
    let text = ok(&args);
    assert!(
        text.contains("main out at the ear: LAeq 94.0 dB(A) SPL (loudest 1 s 94.0), exposure 0.0167 Pa²h = 1.05% of the adult weekly allowance"),
        "{text}"
    );
    assert!(
        text.contains("main out loudness: integrated -20.0 LUFS, LRA 0.0 LU, max momentary -20.0 LUFS, max short-term -20.0 LUFS, PLR 0.0 dB"),
        "{text}"
    );

    // EBU Tech 3341's first case: a −23 dBFS 1 kHz stereo sine reads −23.0 LUFS.
    let quiet = sine(
        f64::from(RATE),
        1000.0,
        0.0,
        10f64.powf(-23.0 / 20.0),
        20 * RATE as usize,
    );
    let quiet_path = dir.join("minus23.wav");
    write_wav(&quiet_path, &[quiet.clone(), quiet.clone()], Some(24));
    let quiet_tone = quiet;
    let level = json_of(&["analyze", s(&quiet_path), "--json"])["input"].clone();
    assert!(near(&level["integrated_lufs"], -23.0, 0.05), "{level}");
    assert!(near(&level["short_term_max_lufs"], -23.0, 0.05), "{level}");
    // A mono file plays in both ears: the same loudness as the stereo pair.
    let mono = quiet_path.with_file_name("mono.wav");
    write_wav(&mono, &[quiet_tone], None);
    let mono_path = mono;
    let level = json_of(&["analyze", s(&mono_path), "--json"])["input"].clone();
    assert!(near(&level["integrated_lufs"], -23.0, 0.05), "{level}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn aux_pair_and_talk_files_feed_their_inputs_and_end_in_silence() {
    let dir = scratch("side");
    let n = RATE as usize;
    let half = n / 2;
    let (sig_l, sig_r, hum) = (
        sine(f64::from(RATE), 1_000.0, 0.0, 0.3, n),
        sine(f64::from(RATE), 1_500.0, 0.0, 0.2, n),
        sine(f64::from(RATE), 50.0, 0.0, 0.3, n),
    );
    let legs = |sig: &[f32], len: usize| -> Vec<Vec<f32>> {
        let hot = (0..len).map(|i| hum[i] + sig[i]).collect();
        let cold = (0..len).map(|i| hum[i] - sig[i]).collect();
        vec![hot, cold]
    };
    let input = dir.join("pair_l.wav");
    write_wav(&input, &legs(&sig_l, n), None);
    // The right pair's file ends half way: silence after that.
    let aux = dir.join("pair_r.wav");
    write_wav(&aux, &legs(&sig_r, half), None);
    let out = dir.join("out.wav");
    ok(&[
        "render",
        s(&input),
        s(&out),
        "--aux",
        s(&aux),
        "--set",
        "in_pairs=On",
        "--quiet",
    ]);
    let (got, _) = read_wav(&out);
    let err = |x: &[f32], want: &[f32]| {
        x.iter()
            .zip(want)
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()))
    };
    assert!(err(&got[0], &sig_l) < 1e-6, "left ear");
    assert!(
        err(&got[1][..half], &sig_r[..half]) < 1e-6,
        "right ear while the aux file lasts"
    );
    assert!(
        got[1][half..].iter().all(|&x| x == 0.0),
        "right ear past the aux file's end"
    );

    // Talk: a 1 kHz tone on the talkback input, 0.25 s long, into cue 1 at 0 dB over a silent
    // programme. The 80 Hz high-pass is flat at 1 kHz (−0.0002 dB).
    let silence = dir.join("silence.wav");
    write_wav(&silence, &[vec![0.0; n], vec![0.0; n]], None);
    let talk = dir.join("talk.wav");
    let quarter = n / 4;
    write_wav(
        &talk,
        &[sine(f64::from(RATE), 1_000.0, 0.0, 0.5, quarter)],
        None,
    );
    let pattern = dir.join("cue{n}.wav");
    ok(&[
        "render",
        s(&silence),
        s(&out),
        "--talk",
        s(&talk),
        "--set",
        "talk=On",
        "--set",
        "cue_on_1=On",
        "--cue-out",
        s(&pattern),
        "--quiet",
    ]);
    let (cue, _) = read_wav(&dir.join("cue1.wav"));
    // After the 15 ms fade in, over a whole number of periods (0.05 to 0.2 s).
    let from = RATE as usize / 20;
    let level_db =
        20.0 * (amplitude(&cue[0][from..4 * from], 1_000.0, f64::from(RATE)) / 0.5).log10();
    assert!(level_db.abs() < 0.01, "talk in cue 1 at {level_db} dB");
    // Past the talk file's end the filter's ring-down has died away within 0.25 s.
    let tail = &cue[0][n / 2..];
    assert!(
        tail.iter().all(|x| x.abs() < 1e-6),
        "talk past its file's end"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_insert_and_side_input_mistakes() {
    let dir = scratch("plugin");
    let n = 4_800;
    let input = dir.join("in.wav");
    write_wav(
        &input,
        &[
            sine(f64::from(RATE), 440.0, 0.0, 0.4, n),
            sine(f64::from(RATE), 660.0, 0.0, 0.3, n),
        ],
        None,
    );
    let out = dir.join("out.wav");
    // The insert: listen stays off and talk reaches main only (it dims by 20 dB here).
    let settings = [
        "--set",
        "listen=Cue 1",
        "--set",
        "cue_on_1=On",
        "--set",
        "cue_gain_1=-6",
        "--set",
        "talk=On",
        "--set",
        "talk_main=On",
        "--set",
        "talk_dim_db=-20",
        "--quiet",
    ];
    let mut args = vec!["render", s(&input), s(&out), "--plugin", "insert"];
    args.extend(settings);
    ok(&args);
    let (insert, _) = read_wav(&out);
    let dim = 10f32.powf(-20.0 / 20.0);
    // After the 20 ms dim ramp and the 15 ms talk fade.
    let from = 2_000;
    let (want_l, want_r) = (
        sine(f64::from(RATE), 440.0, 0.0, 0.4, n),
        sine(f64::from(RATE), 660.0, 0.0, 0.3, n),
    );
    for (got, want) in [(&insert[0], &want_l), (&insert[1], &want_r)] {
        let err = got[from..]
            .iter()
            .zip(&want[from..])
            .fold(0.0f32, |m, (a, b)| m.max((a - b * dim).abs()));
        assert!(err < 1e-6, "insert main off by {err}");
    }
    // The Monitor listens to cue 1: the programme at −6 dB, dimmed (its talk is silent).
    let mut args = vec!["render", s(&input), s(&out)];
    args.extend(settings);
    ok(&args);
    let (monitor, _) = read_wav(&out);
    let cue_lin = 10f32.powf(-6.0 / 20.0);
    for (got, want) in [(&monitor[0], &want_l), (&monitor[1], &want_r)] {
        let err = got[from..]
            .iter()
            .zip(&want[from..])
            .fold(0.0f32, |m, (a, b)| m.max((a - b * dim * cue_lin).abs()));
        assert!(err < 1e-6, "monitor main (listening to cue 1) off by {err}");
    }

    let talk = dir.join("talk.wav");
    write_wav(&talk, &[vec![0.0; 10]], None);
    let slow = dir.join("slow.wav");
    write_wav_at(&slow, &[vec![0.0; 10], vec![0.0; 10]], None, 44_100);
    let three = dir.join("three.wav");
    write_wav(&three, &[vec![0.0; 10], vec![0.0; 10], vec![0.0; 10]], None);
    let four = dir.join("four.wav");
    write_wav(
        &four,
        &[vec![0.0; 10], vec![0.0; 10], vec![0.0; 10], vec![0.0; 10]],
        None,
    );
    let cases: Vec<(Vec<&str>, i32, String)> = vec![
        (vec!["render", s(&input), s(&out), "--plugin", "insert", "--talk", s(&talk)], 2,
            "--talk given with --plugin insert, which has no talkback input".into()),
        (vec!["render", s(&input), s(&out), "--plugin", "insert", "--cue-out", "c{n}.wav"], 2,
            "--cue-out given with --plugin insert, which has no cue outputs".into()),
        (vec!["render", s(&input), s(&out), "--aux", s(&slow)], 3,
            format!("aux input '{}' is at 44100 Hz, the input at 48000 Hz (resample it to the input's rate)", s(&slow))),
        (vec!["render", s(&input), s(&out), "--talk", s(&slow)], 3,
            format!("talkback input '{}' is at 44100 Hz, the input at 48000 Hz (resample it to the input's rate)", s(&slow))),
        (vec!["render", s(&input), s(&out), "--talk", s(&three)], 3,
            format!("talkback input '{}' has 3 channels (it takes 1 to 2)", s(&three))),
        (vec!["render", s(&input), s(&out), "--aux", s(&talk)], 3,
            format!("aux input '{}' has 1 channels (it takes 2 to 2)", s(&talk))),
        (vec!["render", s(&four), s(&out), "--aux", s(&input)], 2,
            "--aux given with a 4-channel input, which already carries the right pair".into()),
        (vec!["render", s(&input), s(&out), "--plugin", "both"], 2,
            "invalid value 'both' for '--plugin <PLUGIN>' [possible values: monitor, insert]".into()),
    ];
    for (args, code, message) in cases {
        let (got_code, stderr) = fails(&args);
        assert_eq!(stderr, format!("cuewire: error: {message}\n"), "{args:?}");
        assert_eq!(got_code, code, "{args:?}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}
