//! The editor without a host or a window, for tests and benches: the real UI code drawn into any
//! `egui::Ui`, parameter changes recorded by a [`RecordingGuiContext`], and a live-looking feed
//! of every meter. The plugin itself never uses this module.

use std::f32::consts::TAU;
use std::sync::Arc;

use cuewire_dsp::autofix::AutoFixDecision;
use cuewire_dsp::cue::CUE_COUNT;
use cuewire_dsp::engine::EngineReadings;
use cuewire_dsp::meter::{
    ChannelReading, CommonModeReading, EarReading, LoudnessReading, OutputLoudness, OutputReading,
    StereoReading,
};
use nice_plug::context::gui::GuiContext;

use super::EditorApp;
use crate::param_access::RecordingGuiContext;
use crate::params::CuewireParams;
use crate::shared::Shared;

/// The editor of one plugin instance, drawn on demand.
pub struct HeadlessEditor {
    app: EditorApp,
    gui: GuiContext,
    recorder: Arc<RecordingGuiContext>,
}

impl HeadlessEditor {
    /// The editor over `params` and `shared`; `monitor`: Cuewire Monitor's layout (cues, talk).
    pub fn new(params: Arc<CuewireParams>, shared: Arc<Shared>, monitor: bool) -> Self {
        let recorder = Arc::new(RecordingGuiContext::new(params.clone()));
        Self {
            app: EditorApp::new(params, shared, monitor),
            gui: GuiContext::new(recorder.clone()),
            recorder,
        }
    }

    /// Gives `ctx` the editor's style and fonts, as the plugin does when its window opens.
    pub fn setup(ctx: &egui::Context) {
        super::setup_context(ctx);
    }

    /// Draws one frame of the editor into `ui` (the whole window: call it at the top level).
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let gui = self.gui.clone();
        self.app.draw(ui, &gui.param_setter());
    }

    /// The parameter calls the editor made.
    pub fn recorder(&self) -> &RecordingGuiContext {
        &self.recorder
    }
}

/// Sample rate of the [`LiveFeed`], Hz.
pub const FEED_RATE_HZ: f32 = 48_000.0;

/// Plausible, moving readings for every meter the editor shows (main, input, the four cues,
/// talkback, loudness, ear level, stereo, common mode) and programme-like samples for the
/// spectrum and vectorscope, as the audio thread would publish them.
#[derive(Debug, Default)]
pub struct LiveFeed {
    /// The cue outputs carry signal (Cuewire Monitor with its cues connected).
    cues_active: bool,
    /// Seconds of audio fed so far.
    t_s: f32,
    /// Samples pushed so far, for the phase of the tones.
    n: u64,
}

impl LiveFeed {
    /// A feed from the start; `cues_active`: the four cues carry signal (Cuewire Monitor), else
    /// they are silent and off (the insert).
    pub fn new(cues_active: bool) -> Self {
        Self {
            cues_active,
            ..Self::default()
        }
    }

    /// Publishes `dt_s` seconds of audio's readings and samples into `shared`.
    pub fn feed(&mut self, shared: &Shared, dt_s: f32) {
        self.t_s += dt_s;
        let t = self.t_s;
        // Slow swells, different per output, so every bar and readout moves.
        let swell = |phase: f32| 0.5 + 0.5 * (TAU * (0.7 * t + phase)).sin();
        let output = |phase: f32| {
            let peak = 0.05 + 0.85 * swell(phase);
            OutputReading {
                sample_peak_lin: [peak, 0.9 * peak],
                true_peak_lin: [1.05 * peak, 0.95 * peak],
                rms_lin: [0.3 * peak, 0.27 * peak],
                held_peak_lin: [0.9, 0.85],
                max_true_peak_lin: [1.02, 0.97],
                headroom_db: [-0.2 + phase, 0.3 + phase],
                clip_events: [(t as u32) % 5, 0],
                tp_overs: [1, 0],
            }
        };
        let loudness = |phase: f32| OutputLoudness {
            reading: LoudnessReading {
                momentary_lufs: -18.0 + 6.0 * swell(phase),
                short_term_lufs: -20.0 + 4.0 * swell(phase + 0.1),
                integrated_lufs: -19.3 + phase,
                loudness_range_lu: 6.4,
                max_momentary_lufs: -11.2,
                max_short_term_lufs: -14.9,
            },
            plr_lu: Some(11.8 + phase),
        };
        let ear = |phase: f32| {
            let now = 78.0 + 18.0 * swell(phase);
            EarReading {
                laeq_1s_db: [now, now - 1.5],
                max_laeq_1s_db: [97.2, 95.0],
                laeq_since_reset_db: [85.1, 83.9],
                louder_laeq_1s_db: now,
                louder_max_laeq_1s_db: 97.2,
                louder_laeq_since_reset_db: 85.1,
                exposure_pa2h: 0.21 + f64::from(t) * 1e-4,
                dose_percent: 13.1 + f64::from(t) * 0.01,
                time_left_s: Some(6_900.0 - f64::from(t)),
            }
        };
        let readings = EngineReadings {
            input: output(0.0),
            main: output(0.15),
            stereo: StereoReading {
                correlation: 0.6 + 0.3 * (TAU * 0.3 * t).sin(),
                balance_db: 1.5 * (TAU * 0.2 * t).sin(),
            },
            common_mode: [0.0, 0.5].map(|phase| CommonModeReading {
                cm_rms_db: -42.0 + 3.0 * swell(phase),
                rejection_db: 61.0 + phase,
                cm_present: true,
            }),
            cues: std::array::from_fn(|i| {
                if self.cues_active {
                    output(0.3 + 0.1 * i as f32)
                } else {
                    OutputReading::default()
                }
            }),
            cue_active: [self.cues_active; CUE_COUNT],
            balanced_active: true,
            non_finite_count: 0,
            input_loudness: loudness(0.0),
            main_loudness: loudness(0.15),
            cue_loudness: std::array::from_fn(|i| loudness(0.3 + 0.1 * i as f32)),
            main_ear: ear(0.15),
            cue_ear: std::array::from_fn(|i| ear(0.3 + 0.1 * i as f32)),
        };
        shared.publish(&readings, AutoFixDecision::NoFault);
        let talk = swell(0.8) * 0.3;
        shared.monitor.publish_meters(
            &ChannelReading {
                sample_peak_lin: talk,
                rms_lin: 0.3 * talk,
                ..ChannelReading::default()
            },
            [1.5 * swell(0.2), 0.0, 2.0, 0.0, 0.0],
        );
        self.push_samples(shared, dt_s);
    }

    /// Publishes `dt_s` seconds of digital silence, as the audio thread does for a stopped
    /// session: every meter at its floor and zeros into the rings.
    pub fn feed_silence(&mut self, shared: &Shared, dt_s: f32) {
        self.t_s += dt_s;
        let readings = EngineReadings {
            cue_active: [self.cues_active; CUE_COUNT],
            ..EngineReadings::default()
        };
        shared.publish(&readings, AutoFixDecision::NoFault);
        shared
            .monitor
            .publish_meters(&ChannelReading::default(), [0.0; 1 + CUE_COUNT]);
        let len = (dt_s * FEED_RATE_HZ).round() as usize;
        let feed = &shared.spectrum;
        feed.main.push_with(len, |_| 0.0);
        feed.main_stereo.push_with(2 * len, |_| 0.0);
        feed.common_mode.push_with(len, |_| 0.0);
        self.n += len as u64;
    }

    /// Pushes `dt_s` seconds of a programme (tones, noise, hum on the common mode) into the
    /// spectrum and vectorscope rings.
    fn push_samples(&mut self, shared: &Shared, dt_s: f32) {
        let feed = &shared.spectrum;
        feed.sample_rate_hz
            .store(FEED_RATE_HZ, std::sync::atomic::Ordering::Relaxed);
        feed.common_mode_live
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let len = (dt_s * FEED_RATE_HZ).round() as usize;
        let start = self.n;
        let phase = |i: usize, hz: f32| {
            // Reduced per second of samples so f32 keeps the phase exact over long runs.
            let k = (start + i as u64) % FEED_RATE_HZ as u64;
            TAU * hz * k as f32 / FEED_RATE_HZ
        };
        let noise = |i: usize| {
            let x = (start + i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
            (x as f32 / (1u64 << 24) as f32 - 0.5) * 0.02
        };
        let left = |i: usize| {
            0.3 * phase(i, 110.0).sin()
                + 0.1 * phase(i, 660.0).sin()
                + 0.03 * phase(i, 3_200.0).sin()
                + noise(i)
        };
        let right = |i: usize| 0.25 * phase(i, 220.0).sin() + 0.1 * phase(i, 1_000.0).sin();
        feed.main.push_with(len, |i| 0.5 * (left(i) + right(i)));
        feed.main_stereo.push_with(2 * len, |j| {
            if j % 2 == 0 {
                left(j / 2)
            } else {
                right(j / 2)
            }
        });
        feed.common_mode.push_with(len, |i| {
            0.05 * phase(i, 50.0).sin() + 0.02 * phase(i, 150.0).sin() + 0.2 * noise(i)
        });
        self.n += len as u64;
    }
}
