//! Engine throughput at 48 kHz in host blocks of 32, 64 and 512 frames (criterion reports
//! time per pass of 8192 frames; ns per frame = time / 8192, or 1e9 / elem/s).
//!
//! Configurations (see `common`): `copy` is the floor, the host's copy of the input into the
//! buffers that every other configuration then processes in place; `passthrough` is the
//! engine at unity in the Stereo layout with its always-on meters, `passthrough_signal_path`
//! the same signal path with no meters (not a product configuration: it shows what metering
//! costs); `full` is 2 in, main plus four cues, every meter on all ten output channels and
//! the input, crossfeed on. `true_peak_10ch_ours` and `true_peak_10ch_ebur128` compare our
//! true-peak meter with the ebur128 crate's on the same ten channels. Engine runs take the
//! meter readings when due (every ~10 ms of audio), as the plugin does. For ratios measured inside one run, use the
//! guard: `cargo bench -p cuewire-dsp --bench guard`.

mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use common::{configurations, Signal, BLOCKS, FRAMES};

fn engine(c: &mut Criterion) {
    for signal in [Signal::Music, Signal::White] {
        for block in BLOCKS {
            let mut g = c.benchmark_group(format!("{signal:?}_48k_block_{block}"));
            g.throughput(Throughput::Elements(FRAMES as u64));
            for mut host in configurations(block, signal) {
                g.bench_function(host.name, |b| b.iter(|| host.run(block)));
            }
            g.finish();
        }
    }
}

criterion_group!(benches, engine);
criterion_main!(benches);
