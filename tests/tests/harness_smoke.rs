//! The harness itself: load, create, process one block, destroy.

mod common;

use common::{cuewire, LAYOUT_STEREO};
use cuewire_tests::{AudioPort, ProcessBuffers, ProcessStatus};

#[test]
fn loads_creates_processes_and_destroys() {
    let mut plugin = cuewire();
    plugin
        .select_audio_ports_config_named(LAYOUT_STEREO)
        .unwrap();
    plugin.activate_and_start(48_000.0, 64);
    let input = vec![vec![0.25f32; 64], vec![-0.5f32; 64]];
    let mut buffers = ProcessBuffers::new(64)
        .with_input(AudioPort::from_channels(input.clone()))
        .with_output(AudioPort::silent(2, 64));
    assert_eq!(
        plugin.process(&mut buffers, &[]).unwrap(),
        ProcessStatus::ContinueIfNotQuiet
    );
    // Default settings are bit-transparent (Stereo mode, 0 dB, no crossfeed).
    assert_eq!(buffers.outputs[0].channels, input);
}
