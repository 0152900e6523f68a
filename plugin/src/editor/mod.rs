//! The editor (egui through nice-plug-egui): a thin view over the parameters and `shared.rs`.
//! Everything it shows comes from [`Shared`]'s atomics and everything it changes goes through
//! the host's parameter gestures or [`crate::shared::SharedSettings`], so the audio thread never
//! waits for it and the toolkit stays replaceable.

pub mod headless;
pub mod meter_math;
mod panels;
pub mod repaint;
mod spectrum;
mod theme;
mod vectorscope;
mod widgets;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use cuewire_dsp::cue::CUE_COUNT;
use cuewire_dsp::meter::{
    CommonModeReading, EarReading, OutputLoudness, OutputReading, StereoReading, TruePeakMeter,
};
use egui::{Align, FontId, Layout, RichText, Ui, Vec2};
use nice_plug::context::gui::GuiContext;
use nice_plug::editor::dpi::LogicalSize;
use nice_plug::prelude::{ParamSetter, ResizeHint};
use nice_plug_egui::resizable_window::ResizableWindow;
use nice_plug_egui::{EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier};
use realfft::RealFftPlanner;

use crate::params::CuewireParams;
use crate::shared::{
    SettingsData, Shared, MAX_UI_SCALE, MIN_EDITOR_HEIGHT, MIN_EDITOR_WIDTH, MIN_UI_SCALE,
};
use panels::{column, TalkPress};
use spectrum::Analyser;
use theme::*;
use widgets::PeakBallistics;

/// Index of the talk meter's falling peak among [`EditorApp`]'s ballistics (after the input,
/// main and the cues).
const TALK_BALLISTICS: usize = 2 + CUE_COUNT;

/// How often the numbers the editor writes out change, seconds (10 Hz: a number that changes
/// faster cannot be read, and each new text costs a layout).
const READOUT_PERIOD_S: f64 = 0.1;
/// The talk meter's floor (−60 dBFS, the bars' floor), linear.
const TALK_SILENT_BELOW_LIN: f32 = 1e-3;
/// A spectrum whose bins all changed by less than this since the last frame looks still, dB.
const SPECTRUM_STILL_DB: f32 = 0.5;

/// The UI scales offered, factors.
const UI_SCALES: [f32; 6] = [0.75, 1.0, 1.25, 1.5, 1.75, 2.0];

/// The window state for a plugin instance, seeded from the persisted settings.
pub fn editor_state(settings: &SettingsData) -> Arc<EguiEditorState> {
    EguiEditorState::from_size(
        LogicalSize::new(settings.editor_width as f64, settings.editor_height as f64),
        settings.ui_scale,
    )
}

/// The editor for a plugin instance; `monitor`: Cuewire Monitor (cue strips and talkback),
/// else the insert (neither).
pub fn create(
    params: Arc<CuewireParams>,
    shared: Arc<Shared>,
    state: Arc<EguiEditorState>,
    monitor: bool,
) -> Option<EguiEditor<EditorApp>> {
    let min = LogicalSize::new(
        MIN_EDITOR_WIDTH as f32 * MIN_UI_SCALE,
        MIN_EDITOR_HEIGHT as f32 * MIN_UI_SCALE,
    );
    let settings = EguiNiceSettings::new()
        .with_tile("Cuewire")
        .with_resize_hint(ResizeHint::resizable().with_min_logical_size(min));
    nice_plug_egui::create_egui_editor(
        state,
        RepaintNotifier::new(),
        settings,
        EditorApp::new(params, shared, monitor),
    )
}

/// The readings the editor writes out as numbers, taken every [`READOUT_PERIOD_S`]; bars,
/// LEDs' light, the spectrum and the scope follow every frame.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Readouts {
    /// The decoded input's meter.
    pub input: OutputReading,
    /// The main output's meter.
    pub main: OutputReading,
    /// Each cue's meter.
    pub cues: [OutputReading; CUE_COUNT],
    /// The main output's loudness.
    pub main_loudness: OutputLoudness,
    /// Each cue's loudness.
    pub cue_loudness: [OutputLoudness; CUE_COUNT],
    /// Level at the ear: main, then each cue.
    pub ear: [EarReading; 1 + CUE_COUNT],
    /// The level limit's gain reduction, dB: main, then each cue.
    pub limit_gr_db: [f32; 1 + CUE_COUNT],
    /// Correlation and balance of the main output.
    pub stereo: StereoReading,
    /// Common mode and rejection per ear.
    pub common_mode: [CommonModeReading; 2],
}

/// The editor's GUI-thread state.
pub struct EditorApp {
    params: Arc<CuewireParams>,
    shared: Arc<Shared>,
    gui: Option<GuiContext>,
    main_fft: Analyser,
    cm_fft: Analyser,
    scope: vectorscope::Vectorscope,
    /// Falling peak bars: input, main, the cues, then the talk input.
    ballistics: [PeakBallistics; TALK_BALLISTICS + 1],
    /// Cuewire Monitor: the cue strips and the talkback panel are shown.
    monitor: bool,
    /// The TALK button's press in progress.
    talk_press: TalkPress,
    /// Set on open: the first frame applies the persisted size and scale (a state may have been
    /// loaded after the window state was created).
    restore_pending: bool,
    /// The sample rate (Hz) the true-peak factor was found for, and the factor (4, 2 or 1).
    true_peak_rate: (f32, u32),
    /// egui's clock (s) at the last frame that brought input.
    last_input_s: f64,
    /// The numeric readouts as last drawn, at their display resolution, to see them move.
    readout_tenths: Vec<i64>,
    /// The numbers on screen, and egui's clock (s) when they were taken.
    readouts: Readouts,
    readouts_at_s: f64,
}

impl EditorApp {
    fn new(params: Arc<CuewireParams>, shared: Arc<Shared>, monitor: bool) -> Self {
        let mut planner = RealFftPlanner::new();
        Self {
            params,
            shared,
            gui: None,
            main_fft: Analyser::new(&mut planner, spectrum::FFT_LEN),
            cm_fft: Analyser::new(&mut planner, spectrum::HUM_FFT_LEN),
            scope: vectorscope::Vectorscope::default(),
            ballistics: [PeakBallistics::default(); TALK_BALLISTICS + 1],
            monitor,
            talk_press: TalkPress::Up,
            restore_pending: true,
            true_peak_rate: (0.0, 0),
            last_input_s: f64::NEG_INFINITY,
            readout_tenths: Vec::new(),
            readouts: Readouts::default(),
            readouts_at_s: f64::NEG_INFINITY,
        }
    }

    /// How many times the true-peak meters oversample at the current sample rate (4, 2 or 1),
    /// as the engine's own meter decides it.
    fn true_peak_factor(&mut self) -> u32 {
        let rate = self.shared.spectrum.sample_rate_hz.load(Ordering::Relaxed);
        if self.true_peak_rate.0 != rate || self.true_peak_rate.1 == 0 {
            let factor = TruePeakMeter::new(rate).oversampling_factor();
            self.true_peak_rate = (rate, factor);
        }
        self.true_peak_rate.1
    }
}

impl NiceEguiApp for EditorApp {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        setup_context(&egui_ctx);
        self.gui = Some(nice_gui_ctx);
        self.restore_pending = true;
        Ok(())
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut nice_plug_egui::Frame) {
        let Some(gui) = self.gui.clone() else {
            return;
        };
        self.draw(ui, &gui.param_setter());
    }
}

/// The editor's style and fonts on `ctx`, once when the window opens.
pub(crate) fn setup_context(ctx: &egui::Context) {
    let mut style = (*ctx.global_style()).clone();
    style.visuals = egui::Visuals::dark();
    style.visuals.panel_fill = BG;
    style.visuals.override_text_color = Some(TEXT);
    style.spacing.item_spacing = ITEM_SPACING;
    style.spacing.interact_size.y = CONTROL_HEIGHT;
    for (text_style, font) in style.text_styles.iter_mut() {
        font.size = match text_style {
            egui::TextStyle::Small => SMALL_PT,
            egui::TextStyle::Heading => TITLE_PT,
            _ => BODY_PT,
        };
    }
    ctx.set_global_style(style);
    ctx.set_fonts(fonts());
}

impl EditorApp {
    /// One frame of the whole editor into `ui`, parameter changes going through `setter`.
    pub(crate) fn draw(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        let ctx = ui.ctx().clone();
        let prefs = self.params.settings.get();
        if self.restore_pending {
            self.restore_pending = false;
            if (ctx.zoom_factor() - prefs.ui_scale).abs() > 1e-3 {
                ctx.set_zoom_factor(prefs.ui_scale);
            }
            let want = Vec2::new(prefs.editor_width as f32, prefs.editor_height as f32);
            if (ctx.content_rect().size() - want).length() > 1.0 {
                ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(want));
            }
        } else {
            let size = ctx.content_rect().size();
            let (w, h) = (size.x.round() as u32, size.y.round() as u32);
            if (w, h) != (prefs.editor_width, prefs.editor_height) && w > 0 && h > 0 {
                self.params
                    .settings
                    .set_editor_prefs(w, h, ctx.zoom_factor());
            }
        }

        let (input_now, since_input_s) = self.input_activity(&ctx);
        let mut activity = repaint::FrameActivity {
            meters_silent: false,
            moving: true,
            input_now,
            since_input_s,
        };
        let min = Vec2::new(MIN_EDITOR_WIDTH as f32, MIN_EDITOR_HEIGHT as f32);
        ResizableWindow::new("cuewire-window")
            .min_size(min)
            .show(ui, |ui| {
                egui::ScrollArea::both()
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        egui::Frame::new()
                            .inner_margin(PANEL_MARGIN)
                            .show(ui, |ui| {
                                ui.set_min_size(min - WINDOW_CHROME);
                                self.top_bar(ui, setter);
                                ui.add_space(4.0);
                                let shown = self.body(ui, setter);
                                activity.meters_silent = shown.meters_silent;
                                activity.moving = shown.moving;
                            });
                    });
            });
        ctx.request_repaint_after(repaint::repaint_interval(activity));
    }

    /// Whether this frame brought input, and how long ago (s) the last input came.
    fn input_activity(&mut self, ctx: &egui::Context) -> (bool, f64) {
        let (now_s, input_now) = ctx.input(|i| {
            let input = !i.events.is_empty()
                || i.pointer.any_down()
                || !i.raw.dropped_files.is_empty()
                || !i.raw.hovered_files.is_empty();
            (i.time, input)
        });
        // A field holding the keyboard is being used even between keystrokes.
        let input_now = input_now || ctx.memory(|m| m.focused().is_some());
        if input_now {
            self.last_input_s = now_s;
        }
        (input_now, now_s - self.last_input_s)
    }

    /// Whether any numeric readout (loudness, ear level, dose, correlation, balance) shows
    /// another value than last frame; remembers this frame's.
    fn readouts_moved(&mut self) -> bool {
        let tenths = |v: f64| {
            if v.is_finite() {
                (v * 10.0).round() as i64
            } else {
                i64::MIN
            }
        };
        let mut now = Vec::with_capacity(self.readout_tenths.len());
        let outputs = std::iter::once(&self.shared.main).chain(self.shared.cues.iter());
        for meter in std::iter::once(&self.shared.input).chain(outputs) {
            let l = meter.loudness.get().reading;
            let ear = meter.ear.get();
            now.extend([
                tenths(f64::from(l.momentary_lufs)),
                tenths(f64::from(l.short_term_lufs)),
                tenths(f64::from(l.integrated_lufs)),
                tenths(f64::from(ear.louder_laeq_1s_db)),
                tenths(ear.dose_percent),
                tenths(ear.time_left_s.unwrap_or(f64::NAN) / 60.0),
            ]);
        }
        let stereo = self.shared.main_extras.stereo();
        now.extend([
            tenths(f64::from(stereo.correlation) * 10.0),
            tenths(f64::from(stereo.balance_db)),
        ]);
        let moved = now != self.readout_tenths;
        self.readout_tenths = now;
        moved
    }
}

impl EditorApp {
    fn top_bar(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        ui.horizontal(|ui| {
            ui.label(RichText::new("CUEWIRE").font(FontId::proportional(TITLE_PT)).strong());
            ui.label(RichText::new("headphone monitor").color(DIM_TEXT));
            widgets::toggle(
                ui,
                setter,
                &self.params.bypass,
                "Bypass",
                AMBER,
                "Passes the input straight through; meters keep running.",
            );
            let bad = self
                .shared
                .status
                .non_finite_count
                .load(Ordering::Relaxed);
            if bad > 0 {
                ui.label(RichText::new(format!("{bad} bad samples muted")).color(RED))
                    .on_hover_text("Non-finite input samples (NaN/∞) replaced by silence since the last reset of the main meter.");
            }
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                self.view_switch(ui);
                let zoom = ui.ctx().zoom_factor();
                egui::ComboBox::from_id_salt("ui-scale")
                    .width(SCALE_MENU_WIDTH)
                    .selected_text(format!("{:.0} %", zoom * 100.0))
                    .show_ui(ui, |ui| {
                        for scale in UI_SCALES {
                            let on = (scale - zoom).abs() < 1e-3;
                            if ui
                                .selectable_label(on, format!("{:.0} %", scale * 100.0))
                                .clicked()
                                && !on
                            {
                                let scale = scale.clamp(MIN_UI_SCALE, MAX_UI_SCALE);
                                ui.ctx().set_zoom_factor(scale);
                                let p = self.params.settings.get();
                                self.params.settings.set_editor_prefs(
                                    p.editor_width,
                                    p.editor_height,
                                    scale,
                                );
                            }
                        }
                    })
                    .response
                    .on_hover_text("UI scale: makes the whole window larger or smaller (saved with the project).");
                ui.label("Scale");
            });
        });
    }

    /// The Detail / Big switch; the choice is saved with the project.
    fn view_switch(&mut self, ui: &mut Ui) {
        let big = self.params.settings.get().big_view;
        // Right to left: Big is drawn first so Detail reads first.
        for (label, wants_big, tip) in [
            ("Big", true, "Big view: tall meters and large numerals, to read from across the room (saved with the project)."),
            ("Detail", false, "Detail view: every control and readout (saved with the project)."),
        ] {
            if ui
                .selectable_label(big == wants_big, label)
                .on_hover_text(tip)
                .clicked()
            {
                self.params.settings.set_big_view(wants_big);
            }
        }
        ui.separator();
    }

    /// The panels of the chosen view; returns what moves on screen (input left unset).
    fn body(&mut self, ui: &mut Ui, setter: &ParamSetter) -> repaint::FrameActivity {
        let dt_s = ui.input(|i| i.stable_dt).min(0.1);
        let input = self.shared.input.take();
        let main = self.shared.main.take();
        let cues: [OutputReading; CUE_COUNT] = std::array::from_fn(|i| self.shared.cues[i].take());
        let input_peak = self.ballistics[0].update(&input, dt_s);
        let main_peak = self.ballistics[1].update(&main, dt_s);
        let cue_peaks: [[f32; 2]; CUE_COUNT] =
            std::array::from_fn(|i| self.ballistics[2 + i].update(&cues[i], dt_s));
        let now_s = ui.input(|i| i.time);
        if !(now_s - self.readouts_at_s < READOUT_PERIOD_S && now_s >= self.readouts_at_s) {
            self.readouts_at_s = now_s;
            let s = &self.shared;
            self.readouts = Readouts {
                input,
                main,
                cues,
                main_loudness: s.main.loudness.get(),
                cue_loudness: std::array::from_fn(|i| s.cues[i].loudness.get()),
                ear: std::array::from_fn(|o| match o {
                    0 => s.main.ear.get(),
                    _ => s.cues[o - 1].ear.get(),
                }),
                limit_gr_db: std::array::from_fn(|o| s.monitor.limit_gr_db(o)),
                stereo: s.main_extras.stereo(),
                common_mode: s.main_extras.common_mode(),
            };
        }
        let talk_rms_lin = self.shared.monitor.talk_rms_lin();
        let talk_silent = talk_rms_lin < TALK_SILENT_BELOW_LIN || talk_rms_lin.is_nan();
        let meters_silent = meter_math::reading_silent(&input)
            && meter_math::reading_silent(&main)
            && cues.iter().all(meter_math::reading_silent)
            && talk_silent;
        let readouts_moved = self.readouts_moved();

        // Below the minimum size the scroll area scrolls instead of squeezing the layout.
        let avail = ui
            .available_size()
            .max(Vec2::new(MIN_EDITOR_WIDTH as f32, MIN_EDITOR_HEIGHT as f32) - BODY_CHROME);
        let gap = ui.spacing().item_spacing.x;
        let left_w = (avail.x * LEFT_COLUMN_SHARE).floor();
        let mid_w = (avail.x * MIDDLE_COLUMN_SHARE).floor();
        let right_w = avail.x - left_w - mid_w - 2.0 * gap;
        let height = avail.y;
        if self.params.settings.get().big_view {
            let meter_h = ui.ctx().content_rect().height() * BIG_METER_SHARE;
            self.big_view(ui, (&main, main_peak), (&cues, &cue_peaks), meter_h);
            return self.activity(meters_silent, readouts_moved, false);
        }
        ui.horizontal_top(|ui| {
            column(ui, left_w, height, |ui| {
                self.input_panel(ui, setter);
                self.input_meter_panel(ui, &input, input_peak);
                self.stereo_panel(ui);
            });
            column(ui, mid_w, height, |ui| {
                self.main_panel(ui, setter, &main, main_peak);
                if self.monitor {
                    self.talk_panel(ui, setter);
                }
                self.settings_panel(ui, setter);
            });
            column(ui, right_w, height, |ui| {
                if self.monitor {
                    // The spectrum gets what the cue grid below leaves.
                    self.spectrum_panel(
                        ui,
                        (height - CUE_GRID_HEIGHT).max(MIN_SPECTRUM_PANEL_HEIGHT),
                    );
                    self.cue_grid(ui, setter, &cues, &cue_peaks);
                } else {
                    // The insert has no cues: the spectrum takes the whole column.
                    self.spectrum_panel(ui, height);
                }
            });
        });
        let spectrum_moved = self
            .main_fft
            .last_change_db()
            .max(self.cm_fft.last_change_db())
            > SPECTRUM_STILL_DB;
        self.activity(meters_silent, readouts_moved, spectrum_moved)
    }

    /// What moves on screen this frame: a falling or held peak bar, a readout, the spectrum.
    fn activity(
        &self,
        meters_silent: bool,
        readouts_moved: bool,
        spectrum_moved: bool,
    ) -> repaint::FrameActivity {
        let bars_moving = self
            .ballistics
            .iter()
            .any(|b| b.shown_db().iter().any(|&db| db > meter_math::METER_MIN_DB));
        repaint::FrameActivity {
            meters_silent,
            moving: bars_moving || readouts_moved || spectrum_moved,
            input_now: false,
            since_input_s: f64::INFINITY,
        }
    }
}

#[cfg(test)]
mod tests;
