//! Helpers shared by the end-to-end tests: instances, test signals, and a reference run of the
//! engine with the same settings.

#![allow(dead_code)] // each test binary uses a different subset

use cuewire_dsp::cue::CUE_COUNT;
use cuewire_dsp::engine::{CueOut, Engine, EngineSettings};
use cuewire_dsp::input::InputLayout;
use cuewire_tests::{
    clap_param_id, AudioPort, Host, ParamEvent, PluginInstance, ProcessBuffers, ProcessStatus,
    CUEWIRE_CLAP_ID,
};

/// Layout names in the order the plugin offers them (plugin/src/lib.rs `LAYOUTS`).
pub const LAYOUT_STEREO_CUES: &str = "Stereo + 4 cues";
pub const LAYOUT_STEREO: &str = "Stereo";
pub const LAYOUT_MONO_CUES: &str = "Mono in, stereo out + 4 cues";
pub const LAYOUT_MONO: &str = "Mono in, stereo out";
pub const LAYOUT_PAIRS_CUES: &str =
    "Balanced pairs (in: Hot L / Cold L, aux: Hot R / Cold R) + 4 cues";
pub const LAYOUT_PAIRS: &str = "Balanced pairs (in: Hot L / Cold L, aux: Hot R / Cold R)";

/// A fresh, initialised Cuewire instance loaded through `clap_entry`.
pub fn cuewire() -> PluginInstance {
    Host::cuewire()
        .expect("load libcuewire")
        .create_plugin(CUEWIRE_CLAP_ID)
        .expect("create Cuewire")
}

/// The CLAP id of a Cuewire parameter id such as `"main_gain"`.
pub fn pid(id: &str) -> u32 {
    clap_param_id(id)
}

/// A sine of `freq_hz` at `amp` (linear), `n` samples at `rate_hz`, starting at `phase`.
pub fn sine(freq_hz: f64, amp: f64, rate_hz: f64, n: usize, phase: f64) -> Vec<f32> {
    (0..n)
        .map(|i| {
            (amp * (std::f64::consts::TAU * freq_hz * i as f64 / rate_hz + phase).sin()) as f32
        })
        .collect()
}

/// Deterministic white noise in ±`amp` (a 32-bit LCG seeded by `seed`).
pub fn noise(amp: f32, n: usize, seed: u32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            amp * ((state >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0)
        })
        .collect()
}

/// Element-wise sum.
pub fn add(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

/// Element-wise negation.
pub fn neg(a: &[f32]) -> Vec<f32> {
    a.iter().map(|x| -x).collect()
}

/// RMS of a slice.
pub fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

/// A block-size pattern that exercises odd lengths, single samples and the maximum.
pub fn block_pattern(max_frames: usize) -> Vec<usize> {
    [
        max_frames,
        1,
        37,
        max_frames / 2 + 3,
        255,
        256,
        257,
        2,
        max_frames,
    ]
    .into_iter()
    .map(|b| b.clamp(1, max_frames))
    .collect()
}

/// Output of a run: main L, main R, then each cue's L and R (empty when the layout has none).
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    /// Main output channels.
    pub main: [Vec<f32>; 2],
    /// Cue outputs (both channels each); empty without cue ports.
    pub cues: Vec<[Vec<f32>; 2]>,
}

/// Runs `input` (the layout's input channels: 1, 2, or 4 = main pair + aux pair; any further
/// input port, such as the talkback, gets silence) through an
/// active, processing instance in blocks cycling through `blocks`, with `events` at absolute
/// sample positions. The output ports follow the current configuration.
pub fn run_plugin(
    plugin: &mut PluginInstance,
    input: &[Vec<f32>],
    blocks: &[usize],
    events: &[(usize, u32, f64)],
) -> RunOutput {
    let total = input[0].len();
    let in_ports = plugin.audio_ports(true);
    let out_ports = plugin.audio_ports(false);
    let mut out_channels: Vec<Vec<Vec<f32>>> = out_ports
        .iter()
        .map(|p| vec![Vec::with_capacity(total); p.channel_count as usize])
        .collect();
    let mut pos = 0;
    let mut block_idx = 0;
    while pos < total {
        let len = blocks[block_idx % blocks.len()].min(total - pos);
        block_idx += 1;
        let mut buffers = ProcessBuffers::new(len as u32);
        let mut channel = 0;
        for port in &in_ports {
            let chans = (0..port.channel_count as usize)
                .map(|_| {
                    // Ports past the given channels (the talkback input) get silence.
                    let c = input
                        .get(channel)
                        .map_or_else(|| vec![0.0; len], |c| c[pos..pos + len].to_vec());
                    channel += 1;
                    c
                })
                .collect();
            buffers.inputs.push(AudioPort::from_channels(chans));
        }
        for port in &out_ports {
            // Garbage, not zeros, so a plugin that fails to write a port is caught.
            buffers.outputs.push(AudioPort::from_channels(vec![
                vec![9.0; len];
                port.channel_count as usize
            ]));
        }
        let block_events: Vec<ParamEvent> = events
            .iter()
            .filter(|(at, _, _)| (pos..pos + len).contains(at))
            .map(|&(at, id, v)| ParamEvent::new((at - pos) as u32, id, v))
            .collect();
        let status = plugin
            .process(&mut buffers, &block_events)
            .expect("process");
        // nice-plug reports `ProcessStatus::Normal` as CLAP_PROCESS_CONTINUE_IF_NOT_QUIET.
        assert_eq!(status, ProcessStatus::ContinueIfNotQuiet, "process status");
        for (port, out) in buffers.outputs.iter().zip(out_channels.iter_mut()) {
            for (src, dst) in port.channels.iter().zip(out.iter_mut()) {
                dst.extend_from_slice(src);
            }
        }
        pos += len;
    }
    let mut ports = out_channels.into_iter();
    let pair = |p: Vec<Vec<f32>>| -> [Vec<f32>; 2] {
        let mut it = p.into_iter();
        [it.next().unwrap(), it.next().unwrap()]
    };
    let main = pair(ports.next().expect("main output"));
    let cues = ports.map(pair).collect();
    RunOutput { main, cues }
}

/// Runs the engine directly on the same input with the same block cuts: `settings` from the
/// start, `changes` (absolute sample position, new settings) applied at their positions, as
/// the plugin's sample-accurate automation splits the host's blocks at each event. `input`
/// is laid out as for [`run_plugin`]: the main channels, then the right pair's two channels
/// and the talkback channel when given.
pub fn run_engine(
    rate_hz: f32,
    layout: InputLayout,
    settings: &EngineSettings,
    input: &[Vec<f32>],
    blocks: &[usize],
    changes: &[(usize, EngineSettings)],
    cues: bool,
) -> RunOutput {
    let total = input[0].len();
    let mut engine = Engine::new(rate_hz, layout, settings);
    let zeros = vec![0.0f32; total];
    let (l_in, r_in, main_channels) = match layout {
        InputLayout::Mono => (&input[0], &zeros, 1),
        InputLayout::Stereo | InputLayout::BalancedPairs => (&input[0], &input[1], 2),
    };
    let aux = match &input[main_channels..] {
        [hot, cold, ..] => Some((hot, cold)),
        _ => None,
    };
    let talk = input.get(main_channels + 2);
    let mut main = [l_in.clone(), r_in.clone()];
    let mut cue_bufs: Vec<[Vec<f32>; 2]> = (0..CUE_COUNT)
        .map(|_| [vec![0.0; total], vec![0.0; total]])
        .collect();
    // Cut points: the host blocks, then every change inside them.
    let mut cuts = Vec::new();
    let mut pos = 0;
    let mut block_idx = 0;
    while pos < total {
        let len = blocks[block_idx % blocks.len()].min(total - pos);
        block_idx += 1;
        cuts.push(pos);
        cuts.extend(
            changes
                .iter()
                .map(|c| c.0)
                .filter(|&c| c > pos && c < pos + len),
        );
        pos += len;
    }
    cuts.push(total);
    cuts.dedup();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        for (at, s) in changes {
            if *at == a {
                engine.set_settings(s);
            }
        }
        let [ml, mr] = &mut main;
        let aux_slice = aux.map(|(h, c)| (&h[a..b], &c[a..b]));
        let mut outs: [CueOut<'_>; CUE_COUNT] = [None, None, None, None];
        if cues {
            for (slot, [cl, cr]) in outs.iter_mut().zip(cue_bufs.iter_mut()) {
                *slot = Some((&mut cl[a..b], &mut cr[a..b]));
            }
        }
        let talk_slice = talk.map(|t| (&t[a..b], None));
        engine.process_with_talk(
            &mut ml[a..b],
            &mut mr[a..b],
            aux_slice,
            talk_slice,
            &mut outs,
        );
    }
    RunOutput {
        main,
        cues: if cues { cue_bufs } else { Vec::new() },
    }
}

/// Largest absolute difference between two equally long signals.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Asserts two runs are bit-identical, naming the first differing channel and sample.
pub fn assert_bit_identical(got: &RunOutput, want: &RunOutput) {
    let chans = |r: &RunOutput| -> Vec<(String, Vec<f32>)> {
        let mut v = vec![
            ("main L".to_string(), r.main[0].clone()),
            ("main R".to_string(), r.main[1].clone()),
        ];
        for (i, [l, rr]) in r.cues.iter().enumerate() {
            v.push((format!("cue {} L", i + 1), l.clone()));
            v.push((format!("cue {} R", i + 1), rr.clone()));
        }
        v
    };
    let (g, w) = (chans(got), chans(want));
    assert_eq!(g.len(), w.len(), "channel count");
    for ((name, a), (_, b)) in g.iter().zip(&w) {
        assert_eq!(a.len(), b.len(), "{name}: length");
        if let Some(i) = a
            .iter()
            .zip(b)
            .position(|(x, y)| x.to_bits() != y.to_bits())
        {
            panic!(
                "{name}: sample {i} differs: plugin {} vs engine {} (max |diff| {})",
                a[i],
                b[i],
                max_abs_diff(a, b)
            );
        }
    }
}

/// The CLAP value of parameter `id` for a display text, as a host's text entry gets it.
pub fn clap_value(plugin: &PluginInstance, id: &str, text: &str) -> f64 {
    plugin
        .text_to_value(pid(id), text)
        .unwrap_or_else(|| panic!("{id}: text {text:?} refused"))
}

/// Sets parameters by display text through `params.flush` (outside process).
pub fn set_by_flush(plugin: &mut PluginInstance, settings: &[(&str, &str)]) {
    let events: Vec<ParamEvent> = settings
        .iter()
        .map(|(id, text)| ParamEvent::new(0, pid(id), clap_value(plugin, id, text)))
        .collect();
    plugin.flush_params(&events).expect("flush");
}
