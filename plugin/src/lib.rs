//! Cuewire, the plugin: formats, IO layouts and the glue that hands the host's buffers to the
//! engine in `cuewire-dsp`. No signal math lives here.

#![deny(unsafe_op_in_unsafe_fn)]

use std::num::NonZeroU32;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use cuewire_dsp::cue::CUE_COUNT;
use cuewire_dsp::engine::{CueOut, Engine, EngineSettings};
use cuewire_dsp::input::InputLayout;
use cuewire_dsp::listen::Listen;
use cuewire_dsp::talkback::TalkIn;
use nice_plug::prelude::*;

#[cfg(feature = "standalone")]
mod demo;
pub mod editor;
pub mod param_access;
pub mod params;
pub mod shared;
pub mod state;

use cuewire_dsp::meter::EAR_OUTPUTS;
use params::CuewireParams;
use shared::{unix_now_s, Shared};

/// Four stereo cue outputs.
const CUE_PORTS: &[NonZeroU32] = &[new_nonzero_u32(2); CUE_COUNT];
/// Names of the cue outputs.
const CUE_PORT_NAMES: &[&str] = &["Cue 1", "Cue 2", "Cue 3", "Cue 4"];

/// Builds a layout; the main ports keep nice-plug's default names because nice-plug reports the
/// main output under the main input's name, so naming the input would mislabel the output.
const fn layout(
    name: &'static str,
    main_in: u32,
    aux_in: &'static [NonZeroU32],
    aux_in_names: &'static [&'static str],
    cues: bool,
) -> AudioIOLayout {
    AudioIOLayout {
        main_input_channels: NonZeroU32::new(main_in),
        main_output_channels: NonZeroU32::new(2),
        aux_input_ports: aux_in,
        aux_output_ports: if cues { CUE_PORTS } else { &[] },
        names: PortNames {
            layout: Some(name),
            main_input: None,
            main_output: None,
            aux_inputs: aux_in_names,
            aux_outputs: if cues { CUE_PORT_NAMES } else { &[] },
        },
    }
}

/// The right balanced pair's port: nice-plug hides main inputs beyond the main output's
/// channel count, so the second pair arrives on an auxiliary input.
const PAIR_R_PORT: &[NonZeroU32] = &[new_nonzero_u32(2)];
/// Name of the right pair's port.
const PAIR_R_NAME: &str = "Hot R / Cold R";
/// Name of the talkback port.
const TALK_NAME: &str = "Talkback";
/// Names of the auxiliary inputs, in port order.
const AUX_IN_NAMES: &[&str] = &[PAIR_R_NAME, TALK_NAME];
/// The right pair's port and a mono talkback port.
const PAIR_R_TALK_PORTS: &[NonZeroU32] = &[new_nonzero_u32(2), new_nonzero_u32(1)];
/// The right pair's port and a stereo talkback port (summed to mono by the engine).
const PAIR_R_TALK_STEREO_PORTS: &[NonZeroU32] = &[new_nonzero_u32(2), new_nonzero_u32(2)];

/// Index among the auxiliary inputs of the right pair's port, in every layout that has it
/// (all but the Monitor's plain "Stereo" and "Mono in, stereo out").
pub const PAIR_R_AUX_INDEX: usize = 0;
/// Index among the auxiliary inputs of the talkback port, in every layout that has it.
pub const TALK_AUX_INDEX: usize = 1;

/// The Monitor's balanced-pairs layout with cues (the engine decodes four channels).
const MONITOR_PAIRS_CUES: AudioIOLayout = layout(
    "Balanced pairs (in: Hot L / Cold L, aux: Hot R / Cold R) + 4 cues",
    2,
    PAIR_R_TALK_PORTS,
    AUX_IN_NAMES,
    true,
);
/// The Monitor's balanced-pairs layout without cues.
const MONITOR_PAIRS: AudioIOLayout = layout(
    "Balanced pairs (in: Hot L / Cold L, aux: Hot R / Cold R)",
    2,
    PAIR_R_PORT,
    AUX_IN_NAMES,
    false,
);

/// Every layout Cuewire (the insert) offers: no cue outputs, so hosts that spread a panner
/// over extra outputs, show only an instrument's extra outputs, or drop them under strict I/O
/// get a plain insert. The first is the default, and it carries every bus (VST3 hosts cannot
/// change the number of buses). The right pair's input may be left inactive; the mono layout
/// has it only so that VST3 hosts find the same buses (it is not read there).
const INSERT_LAYOUTS: &[AudioIOLayout] = &[
    layout("Stereo", 2, PAIR_R_PORT, AUX_IN_NAMES, false),
    layout("Mono in, stereo out", 1, PAIR_R_PORT, AUX_IN_NAMES, false),
];

/// Every layout Cuewire Monitor offers. The first is the default, and it carries every bus
/// (VST3 hosts cannot change the number of buses; there the balanced pairs come from the
/// `in_pairs` parameter). The first six keep the places they had before the insert was split
/// off, so CLAP projects saved with one of them get it back; the variants without cues are for
/// hosts that handle auxiliary outputs badly. The mono layouts carry the right pair's input
/// only so that VST3 hosts find the same buses (it is not read there).
const MONITOR_LAYOUTS: &[AudioIOLayout] = &[
    layout("Stereo + 4 cues", 2, PAIR_R_TALK_PORTS, AUX_IN_NAMES, true),
    layout("Stereo", 2, &[], &[], false),
    layout(
        "Mono in, stereo out + 4 cues",
        1,
        PAIR_R_TALK_PORTS,
        AUX_IN_NAMES,
        true,
    ),
    layout("Mono in, stereo out", 1, &[], &[], false),
    MONITOR_PAIRS_CUES,
    MONITOR_PAIRS,
    layout(
        "Stereo + 4 cues, stereo talkback",
        2,
        PAIR_R_TALK_STEREO_PORTS,
        AUX_IN_NAMES,
        true,
    ),
    layout(
        "Mono in, stereo out + 4 cues, stereo talkback",
        1,
        PAIR_R_TALK_STEREO_PORTS,
        AUX_IN_NAMES,
        true,
    ),
];

/// The engine's input layout for a host layout, or `None` for one neither plugin offers.
/// Only the Monitor's balanced-pairs layouts decode four channels by layout; elsewhere the
/// right pair's input is read when the `in_pairs` parameter asks for it.
pub fn input_layout_of(layout: &AudioIOLayout) -> Option<InputLayout> {
    if !(INSERT_LAYOUTS.contains(layout) || MONITOR_LAYOUTS.contains(layout)) {
        return None;
    }
    if [MONITOR_PAIRS_CUES, MONITOR_PAIRS].contains(layout) {
        return Some(InputLayout::BalancedPairs);
    }
    match layout.main_input_channels.map(NonZeroU32::get) {
        Some(1) => Some(InputLayout::Mono),
        Some(2) => Some(InputLayout::Stereo),
        _ => None,
    }
}

/// A plugin instance: `MONITOR` false is Cuewire (the insert), true is Cuewire Monitor (the
/// insert plus four cue outputs and a talkback input). Both share one engine and one parameter
/// set, so a state saved by either loads into the other.
pub struct Cuewire<const MONITOR: bool> {
    params: Arc<CuewireParams>,
    shared: Arc<Shared>,
    engine: Option<Engine>,
    /// No audio has run since activation or reset: settings arriving now (a flush, the
    /// controller, or the first block's events at offset 0) act from sample 0, unramped.
    awaiting_first_block: bool,
    /// Test-only: allocate in every process() call (see the `alloc_probe` feature).
    #[cfg(feature = "alloc_probe")]
    alloc_probe: bool,
    /// The editor's window state; its `is_open` flag gates the spectrum feed.
    editor_state: Arc<nice_plug_egui::EguiEditorState>,
    /// The standalone build's synthetic programme, when `CUEWIRE_DEMO=1`.
    #[cfg(feature = "standalone")]
    demo: Option<demo::DemoSignal>,
}

/// Cuewire, the insert: main in and out, and the right pair's input.
pub type CuewireInsert = Cuewire<false>;
/// Cuewire Monitor: the insert plus the four cue outputs and the talkback input. It keeps the
/// ids the single plugin had, so projects saved with that load into it.
pub type CuewireMonitor = Cuewire<true>;

impl<const MONITOR: bool> Default for Cuewire<MONITOR> {
    fn default() -> Self {
        let params = Arc::new(CuewireParams::default());
        #[cfg(feature = "standalone")]
        demo::apply_env_editor_prefs(&params.settings);
        Self {
            editor_state: editor::editor_state(&params.settings.get()),
            params,
            shared: Arc::new(Shared::default()),
            engine: None,
            awaiting_first_block: true,
            #[cfg(feature = "alloc_probe")]
            alloc_probe: false,
            #[cfg(feature = "standalone")]
            demo: None,
        }
    }
}

/// Puts the saved exposure back into the engine (what is a week old or more loads as 0; an
/// output the saved data never recorded keeps the engine's).
fn restore_exposure(params: &CuewireParams, engine: &mut Engine) {
    let saved = params.exposure.get().restorable_pa2h(unix_now_s());
    for (output, pa2h) in saved.into_iter().enumerate() {
        if let Some(pa2h) = pa2h {
            engine.set_exposure_pa2h(output, pa2h);
        }
    }
}

/// Channels 1 and 2 of an input port as a pair, when both carry the whole block of `n` frames
/// (a host that leaves the port inactive or passes no buffer for a channel gives empty ones).
fn input_pair<'a>(channels: &'a [&'a mut [f32]], n: usize) -> Option<(&'a [f32], &'a [f32])> {
    match channels {
        [a, b, ..] if a.len() >= n && b.len() >= n => Some((&a[..n], &b[..n])),
        _ => None,
    }
}

/// The talkback port's input: its first channel, and its second when it has one that carries
/// the block (a stereo talk input is summed to mono). `None` when the first channel is empty.
fn talk_input<'a>(channels: &'a [&'a mut [f32]], n: usize) -> Option<TalkIn<'a>> {
    let (first, rest) = channels.split_first()?;
    if first.len() < n {
        return None;
    }
    let second = rest.first().filter(|b| b.len() >= n).map(|b| &b[..n]);
    Some((&first[..n], second))
}

/// Spectrum feed, before the engine processes in place: the common mode (hot + cold)/2 of the
/// balanced input, averaged over both pairs when the right pair arrives on `aux_in`.
fn feed_common_mode(shared: &Shared, l: &[f32], r: &[f32], aux_in: Option<(&[f32], &[f32])>) {
    let spectrum = &shared.spectrum;
    let balanced = shared.status.balanced_active.load(Ordering::Relaxed);
    spectrum.common_mode_live.store(balanced, Ordering::Relaxed);
    if !balanced {
        return;
    }
    let n = l.len().min(r.len());
    match aux_in {
        Some((hot_r, cold_r)) if hot_r.len() >= n && cold_r.len() >= n => {
            spectrum
                .common_mode
                .push_with(n, |i| (l[i] + r[i] + hot_r[i] + cold_r[i]) * 0.25);
        }
        _ => spectrum.common_mode.push_with(n, |i| (l[i] + r[i]) * 0.5),
    }
}

/// `settings` as one of the two plugins acts on them (`monitor`: Cuewire Monitor, else the
/// insert). The insert has neither cue outputs nor a talkback input: listen stays Off, and
/// talk reaches main only (Talk with Talk to main dims its output while the engineer talks on
/// a microphone routed elsewhere; no talk signal arrives).
pub fn plugin_engine_settings(monitor: bool, mut settings: EngineSettings) -> EngineSettings {
    if !monitor {
        settings.listen = Listen::Off;
        settings.talkback.cues = [false; CUE_COUNT];
    }
    settings
}

impl<const MONITOR: bool> Cuewire<MONITOR> {
    /// The engine settings the parameters ask for, in this plugin.
    fn engine_settings(&self) -> EngineSettings {
        plugin_engine_settings(MONITOR, self.params.engine_settings())
    }
}

impl<const MONITOR: bool> Plugin for Cuewire<MONITOR> {
    const NAME: &'static str = if MONITOR {
        "Cuewire Monitor"
    } else {
        "Cuewire"
    };
    const VENDOR: &'static str = "Cuewire";
    const URL: &'static str = "https://cuewire.invalid";
    const EMAIL: &'static str = "dev@cuewire.invalid";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = if MONITOR {
        MONITOR_LAYOUTS
    } else {
        INSERT_LAYOUTS
    };

    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type SysExMessage = ();
    type BackgroundTask = ();
    type Editor = nice_plug_egui::EguiEditor<editor::EditorApp>;

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(
            self.params.clone(),
            self.shared.clone(),
            self.editor_state.clone(),
            MONITOR,
        )
    }

    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let Some(layout) = input_layout_of(audio_io_layout) else {
            nice_error!(
                "Cuewire: unsupported channel layout ({} in, {} out, aux in {:?}); refusing to activate",
                audio_io_layout.main_input_channels.map_or(0, NonZeroU32::get),
                audio_io_layout.main_output_channels.map_or(0, NonZeroU32::get),
                audio_io_layout.aux_input_ports,
            );
            return false;
        };
        let sample_rate_hz = buffer_config.sample_rate;
        if !(sample_rate_hz.is_finite() && sample_rate_hz >= 1000.0) {
            nice_error!("Cuewire: unusable sample rate {sample_rate_hz} Hz; refusing to activate");
            return false;
        }
        context.set_latency_samples(0);
        let mut engine = Engine::new(sample_rate_hz, layout, &self.engine_settings());
        let options = self.params.settings.get();
        engine.set_meter_options(options.hold_ms, options.clip_run_samples);
        // The listeners' exposure carries over from the saved project or the last activation.
        self.params.exposure.take_loaded();
        restore_exposure(&self.params, &mut engine);
        self.engine = Some(engine);
        self.awaiting_first_block = true;
        #[cfg(feature = "alloc_probe")]
        {
            self.alloc_probe = std::env::var_os("CUEWIRE_ALLOC_PROBE").is_some();
        }
        self.shared
            .spectrum
            .sample_rate_hz
            .store(sample_rate_hz, Ordering::Relaxed);
        #[cfg(feature = "standalone")]
        {
            self.demo = demo::DemoSignal::from_env(sample_rate_hz);
        }
        true
    }

    fn filter_state(state: &mut PluginState) {
        state::complete(state);
    }

    fn reset(&mut self) {
        let settings = self.engine_settings();
        if let Some(engine) = self.engine.as_mut() {
            engine.set_settings(&settings);
            engine.reset();
        }
        self.awaiting_first_block = true;
    }

    fn deactivate(&mut self) {
        if let Some(mut engine) = self.engine.take() {
            let exposure = std::array::from_fn(|output| engine.exposure_pa2h(output));
            self.params.exposure.record(exposure, unix_now_s);
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        aux: &mut AuxiliaryBuffers,
        _context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let settings = self.engine_settings();
        let Some(engine) = self.engine.as_mut() else {
            return ProcessStatus::Normal;
        };
        #[cfg(feature = "alloc_probe")]
        if self.alloc_probe {
            std::hint::black_box(Vec::<u8>::with_capacity(64));
        }
        engine.set_settings(&settings);
        // A state load sets parameters behind the ramps' back, and a host that sets up the
        // plugin before playback starts expects those settings from the first sample: neither
        // is a change during playback, so neither ramps. The wrapper applies the first block's
        // offset-0 events before this call and splits the block at later ones.
        let first_block = self.awaiting_first_block;
        if buffer.samples() > 0 {
            self.awaiting_first_block = false;
        }
        if self.params.settings.take_state_loaded() || first_block {
            engine.snap();
        }
        if self.params.exposure.take_loaded() {
            restore_exposure(&self.params, engine);
        }
        let reset_mask = self.shared.reset_meters.swap(0, Ordering::AcqRel);
        if reset_mask != 0 {
            engine.reset_meters_masked(reset_mask);
        }
        if self.params.settings.take_changed() {
            let options = self.params.settings.get();
            engine.set_meter_options(options.hold_ms, options.clip_run_samples);
        }

        #[cfg(feature = "standalone")]
        if let (Some(demo), [l, r, ..]) = (self.demo.as_mut(), buffer.as_slice()) {
            let aux_pair = match aux.inputs.first_mut().map(|b| b.as_slice()) {
                Some([hot, cold, ..]) => Some((&mut **hot, &mut **cold)),
                _ => None,
            };
            demo.fill(l, r, aux_pair);
        }

        let n = buffer.samples();
        // The right pair's port is read only when a pair is decoded from it (the balanced-pairs
        // layouts, or pairs on aux); elsewhere it may carry anything, or nothing. An inactive
        // port, or one with a channel the host gave no buffer for, counts as absent: the
        // engine then reports the right pair missing and plays the left pair in both ears.
        let reads_pair = engine.layout() == InputLayout::BalancedPairs || settings.pairs_on_aux;
        let aux_in = match aux.inputs.get(PAIR_R_AUX_INDEX) {
            Some(port) if reads_pair => input_pair(port.as_slice_immutable(), n),
            _ => None,
        };
        // Only the Monitor has the talkback port; absent or empty, talk is silence.
        let talk_in = aux
            .inputs
            .get(TALK_AUX_INDEX)
            .and_then(|port| talk_input(port.as_slice_immutable(), n));
        // A cue port counts only with two non-empty channels: a host that switched the bus
        // off may hand over no channels or empty ones, and those must never be written.
        let mut cue_outs: [CueOut<'_>; CUE_COUNT] = [None, None, None, None];
        for (slot, port) in cue_outs.iter_mut().zip(aux.outputs.iter_mut()) {
            if let [a, b, ..] = port.as_slice() {
                if !a.is_empty() && !b.is_empty() {
                    *slot = Some((&mut **a, &mut **b));
                }
            }
        }
        // A plain atomic load: the window's open flag, cleared when the editor closes.
        let editor_open = self.editor_state.is_open();
        if let [l, r, ..] = buffer.as_slice() {
            if editor_open {
                feed_common_mode(&self.shared, l, r, aux_in);
            }
            engine.process_with_talk(l, r, aux_in, talk_in, &mut cue_outs);
            if editor_open {
                let n = l.len().min(r.len());
                let feed = &self.shared.spectrum;
                feed.main.push_with(n, |i| (l[i] + r[i]) * 0.5);
                feed.main_stereo
                    .push_with(2 * n, |i| if i % 2 == 0 { l[i / 2] } else { r[i / 2] });
            }
        }
        // Every ~10 ms of audio (the GUI draws at most every ~16 ms): reading all meters
        // per block would cost as much as metering a small block. Nothing is lost in between.
        if let Some(readings) = engine.take_meters_if_due() {
            self.shared.publish(&readings, engine.input().decision());
            // Saved with the project; the clock is read only when an exposure grew.
            let exposure: [f64; EAR_OUTPUTS] = std::array::from_fn(|output| match output {
                0 => readings.main_ear.exposure_pa2h,
                n => readings.cue_ear[n - 1].exposure_pa2h,
            });
            self.params.exposure.record(exposure, unix_now_s);
            let limit_gr_db = std::array::from_fn(|o| engine.limit_gain_reduction_db(o));
            self.shared
                .monitor
                .publish_meters(&engine.read_talk_meter(), limit_gr_db);
        }
        self.shared
            .monitor
            .publish_right_pair_missing(engine.right_pair_missing());
        ProcessStatus::Normal
    }
}

impl<const MONITOR: bool> ClapPlugin for Cuewire<MONITOR> {
    const CLAP_ID: &'static str = if MONITOR {
        "audio.cuewire.cuewire"
    } else {
        "audio.cuewire.insert"
    };
    const CLAP_DESCRIPTION: Option<&'static str> = Some(if MONITOR {
        "Headphone monitor with four cue outputs and talkback: balanced-pair decoding, one-ear aux fix, ear guard and meters"
    } else {
        "Headphone monitoring insert: balanced-pair decoding, one-ear aux fix, ear guard and meters"
    });
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Utility,
        ClapFeature::Analyzer,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
}

impl<const MONITOR: bool> Vst3Plugin for Cuewire<MONITOR> {
    const VST3_CLASS_ID: [u8; 16] = if MONITOR {
        *b"CuewireHpMonitr1"
    } else {
        *b"CuewireInsert000"
    };
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::Tools,
        Vst3SubCategory::Analyzer,
        Vst3SubCategory::Stereo,
    ];
}

nice_export_clap!(CuewireInsert, CuewireMonitor);
nice_export_vst3!(CuewireInsert, CuewireMonitor);

#[cfg(test)]
mod tests {
    use super::*;

    /// Number of ports of a layout: (inputs, outputs), main ports included.
    fn port_counts(layout: &AudioIOLayout) -> (usize, usize) {
        (
            usize::from(layout.main_input_channels.is_some()) + layout.aux_input_ports.len(),
            usize::from(layout.main_output_channels.is_some()) + layout.aux_output_ports.len(),
        )
    }

    #[test]
    fn each_default_layout_carries_every_bus_its_plugin_has() {
        for layouts in [INSERT_LAYOUTS, MONITOR_LAYOUTS] {
            let default = port_counts(&layouts[0]);
            for layout in layouts {
                let (ins, outs) = port_counts(layout);
                assert!(ins <= default.0 && outs <= default.1, "{:?}", layout.names);
            }
        }
        assert_eq!(port_counts(&INSERT_LAYOUTS[0]), (2, 1));
        assert_eq!(port_counts(&MONITOR_LAYOUTS[0]), (3, 1 + CUE_COUNT));
    }

    #[test]
    fn every_offered_layout_has_an_engine_layout_and_others_are_refused() {
        let expected = [
            (
                INSERT_LAYOUTS,
                &[InputLayout::Stereo, InputLayout::Mono][..],
            ),
            (
                MONITOR_LAYOUTS,
                &[
                    InputLayout::Stereo,
                    InputLayout::Stereo,
                    InputLayout::Mono,
                    InputLayout::Mono,
                    InputLayout::BalancedPairs,
                    InputLayout::BalancedPairs,
                    InputLayout::Stereo,
                    InputLayout::Mono,
                ][..],
            ),
        ];
        for (layouts, want) in expected {
            assert_eq!(layouts.len(), want.len());
            for (layout, want) in layouts.iter().zip(want) {
                assert_eq!(input_layout_of(layout), Some(*want), "{:?}", layout.names);
            }
        }
        // Same ports, unknown name: refused (the port shapes alone are ambiguous).
        let stranger = AudioIOLayout {
            names: PortNames {
                layout: Some("Stranger"),
                ..MONITOR_LAYOUTS[0].names
            },
            ..MONITOR_LAYOUTS[0]
        };
        assert_eq!(input_layout_of(&stranger), None);
    }

    #[test]
    fn aux_inputs_sit_at_their_fixed_indices_in_every_layout() {
        for layout in INSERT_LAYOUTS.iter().chain(MONITOR_LAYOUTS) {
            let ports = layout.aux_input_ports;
            if let Some(pair) = ports.get(PAIR_R_AUX_INDEX) {
                assert_eq!(pair.get(), 2);
                assert_eq!(
                    layout.aux_input_name(PAIR_R_AUX_INDEX).unwrap(),
                    PAIR_R_NAME
                );
            }
            if let Some(talk) = ports.get(TALK_AUX_INDEX) {
                assert!((1..=2).contains(&talk.get()));
                assert_eq!(layout.aux_input_name(TALK_AUX_INDEX).unwrap(), TALK_NAME);
            }
            assert!(ports.len() <= 2);
        }
        // The insert has neither cues nor talkback.
        for layout in INSERT_LAYOUTS {
            assert!(layout.aux_output_ports.is_empty());
            assert_eq!(layout.aux_input_ports.len(), 1);
        }
    }

    #[test]
    fn the_monitor_keeps_the_single_plugins_layouts_in_their_places() {
        let names: Vec<_> = MONITOR_LAYOUTS.iter().map(|l| l.names.layout).collect();
        assert_eq!(
            &names[..6],
            [
                Some("Stereo + 4 cues"),
                Some("Stereo"),
                Some("Mono in, stereo out + 4 cues"),
                Some("Mono in, stereo out"),
                Some("Balanced pairs (in: Hot L / Cold L, aux: Hot R / Cold R) + 4 cues"),
                Some("Balanced pairs (in: Hot L / Cold L, aux: Hot R / Cold R)"),
            ]
        );
        for (i, layout) in MONITOR_LAYOUTS.iter().enumerate() {
            let cues = layout.aux_output_ports.len() == CUE_COUNT;
            assert_eq!(cues, i % 2 == 0 || i >= 6, "{i}");
        }
    }
}
