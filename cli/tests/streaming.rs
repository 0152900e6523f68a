//! The tool streams: on a 20-minute stereo 24-bit file (about 330 MB) `analyze` and `render`
//! stay under 64 MiB of memory, and a unity render writes the file back byte for byte (header
//! included), so nothing is held whole and the streamed header is right. Its own test binary,
//! so the peak memory of the waited-for children is this test's runs alone.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::process::Command;

use nix::sys::resource::{getrusage, UsageWho};

const RATE: u32 = 48_000;
/// Length of the long file, s.
const SECONDS: usize = 20 * 60;
/// The memory a run may take, bytes.
const MAX_PEAK_BYTES: i64 = 64 * 1024 * 1024;

/// Writes `SECONDS` of stereo 24-bit noise (different in each channel, about −10 dBFS RMS)
/// block by block.
fn write_long_file(path: &Path) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: RATE,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let mut state = 0x1234_5678u32;
    for _ in 0..SECONDS * RATE as usize * 2 {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        // A 22-bit value centred on 0: ±0.25 of full scale.
        w.write_sample((state >> 10) as i32 - (1 << 21)).unwrap();
    }
    w.finalize().unwrap();
}

/// The largest resident set (bytes) any waited-for child of this process has had.
fn children_peak_bytes() -> i64 {
    // Linux reports ru_maxrss in KiB.
    getrusage(UsageWho::RUSAGE_CHILDREN).unwrap().max_rss() * 1024
}

/// Runs the tool, which must succeed; returns its stdout.
fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cuewire"))
        .args(args)
        .output()
        .expect("run cuewire");
    assert!(
        out.status.success(),
        "cuewire {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Whether two files hold the same bytes (read in chunks).
fn same_bytes(a: &Path, b: &Path) -> bool {
    let (mut a, mut b) = (
        BufReader::new(File::open(a).unwrap()),
        BufReader::new(File::open(b).unwrap()),
    );
    let (mut x, mut y) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let n = a.read(&mut x).unwrap();
        if n == 0 {
            return b.read(&mut y).unwrap() == 0;
        }
        if b.read_exact(&mut y[..n]).is_err() || x[..n] != y[..n] {
            return false;
        }
    }
}

#[test]
fn a_twenty_minute_file_streams_in_bounded_memory() {
    let dir = std::env::temp_dir().join(format!("cuewire-cli-stream-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("long.wav");
    write_long_file(&input);
    let bytes = std::fs::metadata(&input).unwrap().len();
    assert!(bytes > 330_000_000, "{bytes} bytes");

    let report: serde_json::Value =
        serde_json::from_str(&run(&["analyze", input.to_str().unwrap(), "--json"])).unwrap();
    let analyze_peak = children_peak_bytes();
    assert_eq!(report["seconds"], SECONDS as f64);
    // Uniform noise of ±0.25: RMS 0.25/√3, −16.8 dBFS.
    let rms = report["per_channel"][0]["rms_dbfs"].as_f64().unwrap();
    let want = 20.0 * (0.25f64 / 3f64.sqrt()).log10();
    assert!((rms - want).abs() < 0.05, "{rms} dBFS, want {want}");

    let output = dir.join("out.wav");
    run(&[
        "render",
        input.to_str().unwrap(),
        output.to_str().unwrap(),
        "--format",
        "same",
        "--quiet",
    ]);
    let peak = children_peak_bytes();
    println!(
        "{SECONDS} s, {bytes} bytes: analyze peak RSS ≤ {:.1} MiB, render peak RSS ≤ {:.1} MiB",
        analyze_peak as f64 / 1048576.0,
        peak as f64 / 1048576.0
    );
    assert!(
        analyze_peak < MAX_PEAK_BYTES,
        "analyze: {analyze_peak} bytes"
    );
    assert!(peak < MAX_PEAK_BYTES, "render: {peak} bytes");
    // Unity Stereo is bit-transparent: the streamed 24-bit file is the input, header and all.
    assert!(
        same_bytes(&input, &output),
        "the render differs from its input"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
