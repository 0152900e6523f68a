//! No allocation on the audio thread under any event load: 10,000 parameter events in one block
//! through CLAP and VST3, in the debug library the tests load, which aborts on any allocation
//! inside `process()` (`assert_process_allocs`). The test first proves that: with the test-only
//! `alloc_probe` feature, `CUEWIRE_ALLOC_PROBE` makes `process()` allocate on purpose, and a
//! child run of this test binary must die of SIGABRT there, in each format. The floods run in a
//! child too, so the test can also read what the wrapper logged: upstream nice-plug grew its
//! event queue under a `permit_alloc` (invisible to the abort) and logged "This will cause an
//! allocation"; nothing may mention an allocation now.

mod common;

use std::process::Command;

use common::{cuewire, pid};
use cuewire_tests::{AudioPort, ParamEvent, ProcessBuffers, Vst3Instance};
use vst3::Steinberg::kResultOk;

const RATE: f64 = 48_000.0;
const FRAMES: u32 = 2048;
/// Events per block.
const EVENTS: usize = 10_000;
/// Set (to "clap" or "vst3") in the child run: the plugin allocates inside process.
const PROBE_ENV: &str = "CUEWIRE_ALLOC_PROBE";
/// Set in the child run that processes the floods.
const FLOOD_ENV: &str = "CUEWIRE_FLOOD_CHILD";
/// This test's name, for the child run.
const TEST_NAME: &str = "the_loaded_library_aborts_on_allocation_and_event_floods_do_not_allocate";

/// Parameters the floods automate: (id, lowest and highest normalized value used).
const FLOODED: [&str; 5] = [
    "main_gain",
    "in_trim_l",
    "in_trim_r",
    "main_xf_cut",
    "cue_gain_1",
];

/// `EVENTS` events spread over `FLOODED` and every offset of the block, several at the same
/// offset, in time order; values sweep 0.2..0.8 so each parameter's last value is known.
fn flood() -> Vec<ParamEvent> {
    (0..EVENTS)
        .map(|i| {
            let time = (i * FRAMES as usize / EVENTS) as u32;
            let value = 0.2 + 0.6 * (i as f64 / EVENTS as f64);
            ParamEvent::new(time, pid(FLOODED[i % FLOODED.len()]), value)
        })
        .collect()
}

/// The last value `events` gives each parameter of `FLOODED`, as the parameter holds it (snapped
/// to its step size): what a fresh instance reports after being set to it once.
fn last_values(events: &[ParamEvent]) -> Vec<(u32, f64)> {
    let mut fresh = cuewire();
    let vst3 = Vst3Instance::cuewire().expect("VST3 instance");
    FLOODED
        .iter()
        .map(|id| {
            let id = pid(id);
            let last = *events.iter().rev().find(|e| e.param_id == id).unwrap();
            fresh
                .flush_params(&[ParamEvent::new(0, id, last.value)])
                .expect("flush");
            let clap = fresh.param_value(id).expect("param value");
            assert_eq!(vst3.set_normalized(id, last.value), kResultOk);
            assert!(
                (vst3.normalized(id) - clap).abs() < 1e-6,
                "CLAP and VST3 snap alike"
            );
            (id, clap)
        })
        .collect()
}

fn stereo_buffers(cues: bool) -> ProcessBuffers {
    let n = FRAMES as usize;
    let sine: Vec<f32> = (0..n).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
    let mut buffers = ProcessBuffers::new(FRAMES)
        .with_input(AudioPort::from_channels(vec![sine.clone(), sine]))
        .with_output(AudioPort::from_channels(vec![vec![9.0; n]; 2]));
    if cues {
        for _ in 0..4 {
            buffers = buffers.with_output(AudioPort::silent(2, n));
        }
    }
    buffers
}

/// One CLAP block carrying `events`; returns the output buffers.
fn clap_block(events: &[ParamEvent]) -> (cuewire_tests::PluginInstance, ProcessBuffers) {
    let mut plugin = cuewire();
    plugin
        .select_audio_ports_config_named(common::LAYOUT_STEREO)
        .expect("layout");
    plugin.activate_and_start(RATE, FRAMES);
    let mut buffers = stereo_buffers(false);
    plugin.process(&mut buffers, events).expect("process");
    (plugin, buffers)
}

/// One VST3 block carrying `events` (normalized values); returns the output buffers.
fn vst3_block(events: &[ParamEvent]) -> (Vst3Instance, ProcessBuffers) {
    let plugin = Vst3Instance::cuewire().expect("VST3 instance");
    plugin.activate(RATE, FRAMES).expect("activate");
    assert_eq!(plugin.set_processing(true), kResultOk);
    let mut buffers = stereo_buffers(true);
    assert_eq!(plugin.process(&mut buffers, events), kResultOk);
    (plugin, buffers)
}

/// The child run: process one block with the probe on. Reaching the end means the library did
/// not abort on an allocation inside process.
fn probe_child(format: &str) -> ! {
    match format {
        "clap" => drop(clap_block(&[])),
        "vst3" => drop(vst3_block(&[])),
        other => panic!("unknown format {other:?}"),
    }
    panic!("{format}: process() allocated and the library did not abort");
}

/// This test in a child process, with `env` set.
fn child(env: (&str, &str)) -> std::process::Output {
    let exe = std::env::current_exe().expect("test binary");
    Command::new(exe)
        .args([TEST_NAME, "--exact", "--test-threads=1", "--nocapture"])
        .env(env.0, env.1)
        .output()
        .expect("run the child")
}

/// Runs this test in a child process with the probe on for `format`; it must die of SIGABRT.
fn assert_probe_aborts(format: &str) {
    let output = child((PROBE_ENV, format));
    let stderr = String::from_utf8_lossy(&output.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            output.status.signal(),
            Some(6),
            "{format}: the child should abort (SIGABRT) on the probe's allocation, got {:?}; \
             stderr:\n{stderr}",
            output.status
        );
    }
    #[cfg(not(unix))]
    assert!(
        !output.status.success(),
        "{format}: the child survived the probe's allocation; stderr:\n{stderr}"
    );
}

#[test]
fn the_loaded_library_aborts_on_allocation_and_event_floods_do_not_allocate() {
    if let Some(format) = std::env::var_os(PROBE_ENV) {
        probe_child(&format.to_string_lossy());
    }
    if std::env::var_os(FLOOD_ENV).is_some() {
        floods();
        return;
    }
    assert_probe_aborts("clap");
    assert_probe_aborts("vst3");

    // The same library, without the probe: floods must neither abort nor log an allocation.
    let output = child((FLOOD_ENV, "1"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "flood child failed ({:?}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        !stderr.to_lowercase().contains("allocation"),
        "the wrapper reported an allocation under the flood:\n{stderr}"
    );
}

/// The output of a flooded block is finite and every flooded parameter (read by `value_of`)
/// ends at its last value.
fn assert_flood_result(
    format: &str,
    buffers: &ProcessBuffers,
    events: &[ParamEvent],
    value_of: impl Fn(u32) -> f64,
) {
    assert!(buffers.outputs[0]
        .channels
        .iter()
        .flatten()
        .all(|x| x.is_finite()));
    for (id, value) in last_values(events) {
        let got = value_of(id);
        assert!(
            (got - value).abs() < 1e-6,
            "{format} parameter {id}: {got} after the flood, last event {value}"
        );
    }
}

/// 10,000 events in one block through each format; every parameter ends at its last value.
fn floods() {
    let events = flood();
    let (plugin, buffers) = clap_block(&events);
    assert_flood_result("CLAP", &buffers, &events, |id| {
        plugin.param_value(id).expect("param value")
    });

    // VST3: the same flood as one queue per parameter, plus one queue of 10,000 points alone.
    let (plugin, buffers) = vst3_block(&events);
    assert_flood_result("VST3", &buffers, &events, |id| plugin.normalized(id));
    let single: Vec<ParamEvent> = (0..EVENTS)
        .map(|i| {
            let time = (i * FRAMES as usize / EVENTS) as u32;
            ParamEvent::new(time, pid("main_gain"), 0.3 + 0.4 * (i % 2) as f64)
        })
        .collect();
    let (plugin, buffers) = vst3_block(&single);
    assert!(buffers.outputs[0]
        .channels
        .iter()
        .flatten()
        .all(|x| x.is_finite()));
    let got = plugin.normalized(pid("main_gain"));
    assert!(
        (got - 0.7).abs() < 1e-6,
        "VST3 main gain {got}, last point 0.7"
    );
}
