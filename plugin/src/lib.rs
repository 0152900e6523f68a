//! Cuewire, the plugin: formats, IO layouts and the glue that hands the host's buffers to the
//! engine in `cuewire-dsp`. No signal math lives here.

#![deny(unsafe_op_in_unsafe_fn)]

use std::num::NonZeroU32;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use cuewire_dsp::cue::CUE_COUNT;
use cuewire_dsp::engine::{CueOut, Engine};
use cuewire_dsp::input::InputLayout;
use nice_plug::prelude::*;

#[cfg(feature = "standalone")]
mod demo;
mod editor;
pub mod param_access;
pub mod params;
pub mod shared;
pub mod state;

use params::CuewireParams;
use shared::Shared;

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
const PAIR_R_NAMES: &[&str] = &["Hot R / Cold R"];

/// Every layout Cuewire offers. The first is the default, and it carries the cue outputs:
/// VST3 hosts cannot change the number of buses, so only the default's buses exist there.
/// The variants without cues are for hosts that handle auxiliary outputs badly.
const LAYOUTS: &[AudioIOLayout] = &[
    layout("Stereo + 4 cues", 2, &[], &[], true),
    layout("Stereo", 2, &[], &[], false),
    layout("Mono in, stereo out + 4 cues", 1, &[], &[], true),
    layout("Mono in, stereo out", 1, &[], &[], false),
    layout(
        "Balanced pairs (in: Hot L / Cold L, aux: Hot R / Cold R) + 4 cues",
        2,
        PAIR_R_PORT,
        PAIR_R_NAMES,
        true,
    ),
    layout(
        "Balanced pairs (in: Hot L / Cold L, aux: Hot R / Cold R)",
        2,
        PAIR_R_PORT,
        PAIR_R_NAMES,
        false,
    ),
];

/// The engine's input layout for a host layout, or `None` for one Cuewire doesn't offer.
pub fn input_layout_of(layout: &AudioIOLayout) -> Option<InputLayout> {
    let main_in = layout.main_input_channels.map(NonZeroU32::get);
    let main_out = layout.main_output_channels.map(NonZeroU32::get);
    let aux_in = layout.aux_input_ports;
    let cues_ok = layout.aux_output_ports.is_empty() || layout.aux_output_ports == CUE_PORTS;
    if !cues_ok {
        return None;
    }
    match (
        main_in,
        main_out,
        aux_in.len(),
        aux_in.first().map(|c| c.get()),
    ) {
        (Some(2), Some(2), 0, _) => Some(InputLayout::Stereo),
        (Some(1), Some(2), 0, _) => Some(InputLayout::Mono),
        (Some(2), Some(2), 1, Some(2)) => Some(InputLayout::BalancedPairs),
        _ => None,
    }
}

/// The plugin instance.
pub struct Cuewire {
    params: Arc<CuewireParams>,
    shared: Arc<Shared>,
    engine: Option<Engine>,
    /// The editor's window state; its `is_open` flag gates the spectrum feed.
    editor_state: Arc<nice_plug_egui::EguiEditorState>,
    /// The standalone build's synthetic programme, when `CUEWIRE_DEMO=1`.
    #[cfg(feature = "standalone")]
    demo: Option<demo::DemoSignal>,
}

impl Default for Cuewire {
    fn default() -> Self {
        let params = Arc::new(CuewireParams::default());
        #[cfg(feature = "standalone")]
        demo::apply_env_editor_prefs(&params.settings);
        Self {
            editor_state: editor::editor_state(&params.settings.get()),
            params,
            shared: Arc::new(Shared::default()),
            engine: None,
            #[cfg(feature = "standalone")]
            demo: None,
        }
    }
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

impl Plugin for Cuewire {
    const NAME: &'static str = "Cuewire";
    const VENDOR: &'static str = "Cuewire";
    const URL: &'static str = "https://cuewire.invalid";
    const EMAIL: &'static str = "dev@cuewire.invalid";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = LAYOUTS;

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
        let mut engine = Engine::new(sample_rate_hz, layout, &self.params.engine_settings());
        let options = self.params.settings.get();
        engine.set_meter_options(options.hold_ms, options.clip_run_samples);
        self.engine = Some(engine);
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
        if let Some(engine) = self.engine.as_mut() {
            engine.set_settings(&self.params.engine_settings());
            engine.reset();
        }
    }

    fn deactivate(&mut self) {
        self.engine = None;
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        aux: &mut AuxiliaryBuffers,
        _context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let Some(engine) = self.engine.as_mut() else {
            return ProcessStatus::Normal;
        };
        engine.set_settings(&self.params.engine_settings());
        if self.params.settings.take_state_loaded() {
            // A state load sets parameters behind the ramps' back: act from the first sample.
            engine.snap();
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

        let aux_in = match aux.inputs.first() {
            Some(pair) => match pair.as_slice_immutable() {
                [hot, cold, ..] => Some((&hot[..], &cold[..])),
                _ => None,
            },
            None => None,
        };
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
            engine.process(l, r, aux_in, &mut cue_outs);
            if editor_open {
                self.shared
                    .spectrum
                    .main
                    .push_with(l.len().min(r.len()), |i| (l[i] + r[i]) * 0.5);
            }
        }
        // Every ~5 ms of audio (the GUI draws at most every ~16 ms): reading all meters
        // per block would cost as much as metering a small block. Nothing is lost in between.
        if let Some(readings) = engine.take_meters_if_due() {
            self.shared.publish(&readings, engine.input().decision());
        }
        ProcessStatus::Normal
    }
}

impl ClapPlugin for Cuewire {
    const CLAP_ID: &'static str = "audio.cuewire.cuewire";
    const CLAP_DESCRIPTION: Option<&'static str> = Some(
        "Headphone monitoring insert: balanced-pair decoding, one-ear aux fix, ear guard and meters",
    );
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

impl Vst3Plugin for Cuewire {
    const VST3_CLASS_ID: [u8; 16] = *b"CuewireHpMonitr1";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::Tools,
        Vst3SubCategory::Analyzer,
        Vst3SubCategory::Stereo,
    ];
}

nice_export_clap!(Cuewire);
nice_export_vst3!(Cuewire);
