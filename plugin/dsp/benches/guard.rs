//! Regression guard (run on demand, not part of `cargo test`):
//! `cargo bench -p cuewire-dsp --bench guard`.
//!
//! Times every configuration and the plain copy of the same buffers in interleaved rounds
//! within one run, keeps each one's fastest round (the least disturbed by other load), and
//! checks each configuration's cost as a multiple of the copy against a generous bound, plus
//! our true peak against the ebur128 crate's on the same channels. Prints a table and exits
//! with status 1 if any bound is exceeded. Ratios inside one run survive a noisy machine far
//! better than absolute times; the bounds leave room for about 3× noise on top of that.

mod common;

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use common::{configurations, Signal, BLOCKS, FRAMES};

/// Rounds per block size; each round runs every configuration once.
const ROUNDS: usize = 15;

/// Largest allowed cost of a configuration as a multiple of the plain copy: about four
/// times the largest ratio measured in the meter speed pass (BENCHMARKS.md), so only a real
/// regression (a kernel that stopped vectorising, a meter that went per-sample) trips it.
const BOUNDS_X_COPY: [(&str, f64); 12] = [
    ("passthrough", 180.0),
    ("passthrough_signal_path", 20.0),
    ("crossfeed_signal_path", 90.0),
    ("balanced_pair", 280.0),
    ("balanced_pairs_4ch", 360.0),
    ("auto_fix", 280.0),
    ("cues_off", 220.0),
    ("full", 650.0),
    ("full_distinct", 700.0),
    ("full_signal_path", 180.0),
    ("monitor", 1600.0),
    ("true_peak_10ch_ours", 650.0),
];

/// Largest allowed ratio of our true peak's time to ebur128's on the same channels: the
/// target of at least 2× faster (measured: 3.6–8.4×).
const BOUND_TP_VS_EBUR128: f64 = 0.5;

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then only check that
    // every configuration runs, because timing is not a test.
    if !std::env::args().any(|a| a == "--bench") {
        for block in BLOCKS {
            for mut host in configurations(block, Signal::Music) {
                host.run(block);
            }
        }
        println!("guard: test mode (no --bench): every configuration ran; nothing was timed");
        return ExitCode::SUCCESS;
    }
    let mut failures = 0;
    for signal in [Signal::Music, Signal::White] {
        for block in BLOCKS {
            failures += check(signal, block);
        }
    }
    if failures == 0 {
        println!("guard: every ratio within its bound");
        ExitCode::SUCCESS
    } else {
        println!("guard: {failures} bound(s) exceeded");
        ExitCode::FAILURE
    }
}

/// Times every configuration at one block size and returns the number of failed bounds.
fn check(signal: Signal, block: usize) -> usize {
    let mut hosts = configurations(block, signal);
    let mut best = vec![Duration::MAX; hosts.len()];
    for round in 0..=ROUNDS {
        for (host, best) in hosts.iter_mut().zip(&mut best) {
            let t = Instant::now();
            host.run(block);
            let dt = black_box(t.elapsed());
            // Round 0 warms caches and branch predictors and is not counted.
            if round > 0 {
                *best = (*best).min(dt);
            }
        }
    }
    let ns_per_frame = |d: Duration| d.as_secs_f64() * 1e9 / FRAMES as f64;
    let copy = ns_per_frame(best[0]);
    let by_name = |name: &str| {
        hosts
            .iter()
            .position(|h| h.name == name)
            .map(|i| ns_per_frame(best[i]))
    };
    println!("{signal:?}, block {block}: copy {copy:.3} ns/frame");
    let mut failures = 0;
    for (host, &d) in hosts.iter().zip(&best).skip(1) {
        let ns = ns_per_frame(d);
        let ratio = ns / copy;
        let bound = BOUNDS_X_COPY
            .iter()
            .find(|(n, _)| *n == host.name)
            .map(|&(_, b)| b);
        let verdict = match bound {
            Some(b) if ratio > b => {
                failures += 1;
                format!("EXCEEDS {b:.0}x")
            }
            Some(b) => format!("ok (bound {b:.0}x)"),
            None => "-".to_string(),
        };
        println!(
            "  {:<26} {ns:>8.2} ns/frame {ratio:>8.1}x copy  {verdict}",
            host.name
        );
    }
    if let (Some(ours), Some(theirs)) = (
        by_name("true_peak_10ch_ours"),
        by_name("true_peak_10ch_ebur128"),
    ) {
        let r = ours / theirs;
        let ok = r <= BOUND_TP_VS_EBUR128;
        failures += usize::from(!ok);
        println!(
            "  true peak ours / ebur128: {r:.3} ({:.1}x faster) {}",
            theirs / ours,
            if ok {
                "ok".to_string()
            } else {
                format!("EXCEEDS bound {BOUND_TP_VS_EBUR128}")
            }
        );
    }
    failures
}
