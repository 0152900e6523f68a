//! VST3 hosts built on JUCE switch unused output buses off and then hand the plugin null channel
//! pointers for them. Drives the built plugin's VST3 entry point the way such a host does: the
//! cue buses deactivated, with every shape of "no buffer" seen in the wild, and checks that the
//! plugin keeps running with the main output intact and the cues inactive.

use std::ptr;

use cuewire_testkit::peak;
use cuewire_tests::Vst3Instance;
use vst3::Steinberg::kResultOk;
use vst3::Steinberg::Vst::{
    AudioBusBuffers, AudioBusBuffers__type0, IAudioProcessorTrait, IComponentTrait, ProcessData,
};

const SAMPLE_RATE_HZ: f64 = 48_000.0;
const BLOCK_FRAMES: usize = 512;
const CUE_BUSES: usize = 4;
const K_AUDIO: i32 = 0;
const K_OUTPUT: i32 = 1;
const K_REALTIME: i32 = 0;
const K_SAMPLE32: i32 = 0;

/// The plugin as a JUCE-style VST3 host holds it.
struct Vst3Plugin {
    inner: Vst3Instance,
}

impl Vst3Plugin {
    fn load() -> Self {
        Self {
            inner: Vst3Instance::cuewire().expect("VST3 instance"),
        }
    }

    /// Sets the parameter titled `title` to `plain` (its own unit), converted by the plugin.
    fn set_plain(&self, title: &str, plain: f64) {
        let id = self.inner.param_id(title).expect("parameter");
        let normalized = self.inner.normalized_of(id, plain);
        assert_eq!(self.inner.set_normalized(id, normalized), kResultOk);
    }

    fn activate(&self, cue_buses_on: bool) {
        for bus in 1..=CUE_BUSES as i32 {
            let state = u8::from(cue_buses_on);
            // SAFETY: live component.
            let result = unsafe {
                self.inner
                    .component()
                    .activateBus(K_AUDIO, K_OUTPUT, bus, state)
            };
            assert_eq!(result, kResultOk);
        }
        self.inner
            .activate(SAMPLE_RATE_HZ, BLOCK_FRAMES as u32)
            .expect("activate");
        assert_eq!(self.inner.set_processing(true), kResultOk);
    }

    fn deactivate(&self) {
        self.inner.deactivate();
    }
}

/// How the host presents one deactivated cue bus.
#[derive(Clone, Copy, Debug)]
enum OffBus {
    /// Two channels announced, both channel pointers null (what crashed the probe).
    NullChannels,
    /// Zero channels and a null pointer array.
    NoChannels,
    /// Two channels announced, the first valid and the second null.
    HalfNull,
    /// One channel of a stereo bus.
    OneChannel,
}

/// Output of one processed block: main channels and every cue channel the host provided.
struct Rendered {
    main: [Vec<f32>; 2],
    cues: Vec<[Vec<f32>; 2]>,
}

/// Processes one block of a 1 kHz sine at −6 dBFS, with `off` describing cue buses 1..4 (`None`
/// = a real stereo buffer) and `num_outputs` buses announced in total.
fn render(plugin: &Vst3Plugin, off: [Option<OffBus>; CUE_BUSES], num_outputs: usize) -> Rendered {
    let sine: Vec<f32> = (0..BLOCK_FRAMES)
        .map(|n| 0.5 * (2.0 * std::f32::consts::PI * 1000.0 * n as f32 / 48_000.0).sin())
        .collect();
    let mut in_l = sine.clone();
    let mut in_r = sine.clone();
    let mut in_ptrs = [in_l.as_mut_ptr(), in_r.as_mut_ptr()];
    let mut out_main = [vec![9.0f32; BLOCK_FRAMES], vec![9.0f32; BLOCK_FRAMES]];
    let mut out_cues: Vec<[Vec<f32>; 2]> = (0..CUE_BUSES)
        .map(|_| [vec![9.0f32; BLOCK_FRAMES], vec![9.0f32; BLOCK_FRAMES]])
        .collect();
    let mut main_ptrs = [out_main[0].as_mut_ptr(), out_main[1].as_mut_ptr()];
    let mut cue_ptrs: Vec<[*mut f32; 2]> = out_cues
        .iter_mut()
        .zip(off)
        .map(|(bus, off)| match off {
            None | Some(OffBus::OneChannel) => [bus[0].as_mut_ptr(), bus[1].as_mut_ptr()],
            Some(OffBus::NullChannels) => [ptr::null_mut(); 2],
            Some(OffBus::NoChannels) => [ptr::null_mut(); 2],
            Some(OffBus::HalfNull) => [bus[0].as_mut_ptr(), ptr::null_mut()],
        })
        .collect();

    let bus = |channels: i32, ptrs: *mut *mut f32| AudioBusBuffers {
        numChannels: channels,
        silenceFlags: 0,
        __field0: AudioBusBuffers__type0 {
            channelBuffers32: ptrs,
        },
    };
    let mut inputs = [bus(2, in_ptrs.as_mut_ptr())];
    let mut outputs = vec![bus(2, main_ptrs.as_mut_ptr())];
    for (ptrs, off) in cue_ptrs.iter_mut().zip(off) {
        outputs.push(match off {
            None | Some(OffBus::NullChannels) | Some(OffBus::HalfNull) => bus(2, ptrs.as_mut_ptr()),
            Some(OffBus::NoChannels) => bus(0, ptr::null_mut()),
            Some(OffBus::OneChannel) => bus(1, ptrs.as_mut_ptr()),
        });
    }
    let mut data = ProcessData {
        processMode: K_REALTIME,
        symbolicSampleSize: K_SAMPLE32,
        numSamples: BLOCK_FRAMES as i32,
        numInputs: 1,
        numOutputs: num_outputs as i32,
        inputs: inputs.as_mut_ptr(),
        outputs: outputs.as_mut_ptr(),
        inputParameterChanges: ptr::null_mut(),
        outputParameterChanges: ptr::null_mut(),
        inputEvents: ptr::null_mut(),
        outputEvents: ptr::null_mut(),
        processContext: ptr::null_mut(),
    };
    let result = unsafe { plugin.inner.processor().process(&mut data) };
    assert_eq!(result, kResultOk, "process");
    drop(cue_ptrs);
    Rendered {
        main: out_main,
        cues: out_cues,
    }
}

/// The main output is the −6 dBFS input sine lowered by the −6 dB main gain.
fn assert_main_at_minus_6_db(out: &Rendered) {
    let expected_lin = 0.5 * 10f32.powf(-6.0 / 20.0);
    for ch in &out.main {
        assert!(
            (peak(ch) - expected_lin).abs() < 1e-3,
            "main peak {} vs {expected_lin}",
            peak(ch)
        );
    }
}

/// Main gain −6 dB and cue 1 on (0 dB, pre-fader), set as a host's controller would.
fn configured_plugin() -> Vst3Plugin {
    let plugin = Vst3Plugin::load();
    plugin.set_plain("Main gain", -6.0);
    plugin.set_plain("Cue 1 on", 1.0);
    plugin
}

#[test]
fn deactivated_cue_buses_with_null_channel_pointers_keep_the_plugin_running() {
    let plugin = configured_plugin();
    plugin.activate(false);
    let shapes = [
        OffBus::NullChannels,
        OffBus::NoChannels,
        OffBus::HalfNull,
        OffBus::OneChannel,
    ];
    for shape in shapes {
        let out = render(&plugin, [Some(shape); CUE_BUSES], 1 + CUE_BUSES);
        assert_main_at_minus_6_db(&out);
        if matches!(shape, OffBus::HalfNull | OffBus::OneChannel) {
            for cue in &out.cues {
                assert_eq!(
                    peak(&cue[0]),
                    0.0,
                    "{shape:?}: an inactive cue must be silent"
                );
            }
        }
    }
    // A host that announces only the main bus.
    let out = render(&plugin, [Some(OffBus::NoChannels); CUE_BUSES], 1);
    assert_main_at_minus_6_db(&out);
    plugin.deactivate();
}

#[test]
fn a_mix_of_live_and_switched_off_cue_buses_feeds_only_the_live_ones() {
    let plugin = configured_plugin();
    plugin.set_plain("Cue 2 on", 1.0);
    plugin.activate(true);
    let off = [
        None,
        Some(OffBus::NullChannels),
        Some(OffBus::HalfNull),
        Some(OffBus::OneChannel),
    ];
    for _ in 0..4 {
        let out = render(&plugin, off, 1 + CUE_BUSES);
        assert_main_at_minus_6_db(&out);
        // Cue 1 is live at its default 0 dB, pre-fader: the input sine.
        assert!(
            (peak(&out.cues[0][0]) - 0.5).abs() < 1e-3,
            "cue 1 {}",
            peak(&out.cues[0][0])
        );
        assert!((peak(&out.cues[0][1]) - 0.5).abs() < 1e-3);
        assert_eq!(peak(&out.cues[2][0]), 0.0, "half-null cue bus stays silent");
        assert_eq!(
            peak(&out.cues[3][0]),
            0.0,
            "one-channel cue bus stays silent"
        );
    }
    plugin.deactivate();
    // Reactivation with the buses back on.
    plugin.activate(true);
    let out = render(&plugin, [None; CUE_BUSES], 1 + CUE_BUSES);
    assert_main_at_minus_6_db(&out);
    assert!(
        (peak(&out.cues[1][0]) - 0.5).abs() < 1e-3,
        "cue 2 {}",
        peak(&out.cues[1][0])
    );
    plugin.deactivate();
}
