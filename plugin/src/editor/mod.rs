//! The editor (egui through nice-plug-egui): a thin view over the parameters and `shared.rs`.
//! Everything it shows comes from [`Shared`]'s atomics and everything it changes goes through
//! the host's parameter gestures or [`crate::shared::SharedSettings`], so the audio thread never
//! waits for it and the toolkit stays replaceable.

pub mod meter_math;
mod spectrum;
mod theme;
mod widgets;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use cuewire_dsp::autofix::AutoFixDecision;
use cuewire_dsp::engine::meter_bits;
use cuewire_dsp::meter::OutputReading;
use cuewire_dsp::units::{amp_max_gain_factor, dbfs_to_dbu, dbu_to_v_rms, lin_to_db};
use egui::{Align, Color32, FontId, Layout, RichText, Ui, Vec2};
use nice_plug::context::gui::GuiContext;
use nice_plug::editor::dpi::LogicalSize;
use nice_plug::prelude::{ParamSetter, ResizeHint};
use nice_plug_egui::resizable_window::ResizableWindow;
use nice_plug_egui::{EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier};
use realfft::RealFftPlanner;

use crate::params::{CueParams, CuewireParams, InputModeParam};
use crate::shared::{
    SettingsData, Shared, MAX_UI_SCALE, MIN_EDITOR_HEIGHT, MIN_EDITOR_WIDTH, MIN_UI_SCALE,
};
use meter_math::{headroom_text, level_text};
use spectrum::Analyser;
use theme::*;
use widgets::PeakBallistics;

/// Frame interval while the editor is open (60 fps meters).
const FRAME: Duration = Duration::from_micros(16_667);
/// The UI scales offered, factors.
const UI_SCALES: [f32; 6] = [0.75, 1.0, 1.25, 1.5, 1.75, 2.0];
/// Balance bar range either side of centre, dB.
const BALANCE_RANGE_DB: f32 = 12.0;

/// The window state for a plugin instance, seeded from the persisted settings.
pub fn editor_state(settings: &SettingsData) -> Arc<EguiEditorState> {
    EguiEditorState::from_size(
        LogicalSize::new(settings.editor_width as f64, settings.editor_height as f64),
        settings.ui_scale,
    )
}

/// The editor for a plugin instance.
pub fn create(
    params: Arc<CuewireParams>,
    shared: Arc<Shared>,
    state: Arc<EguiEditorState>,
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
        EditorApp::new(params, shared),
    )
}

/// The editor's GUI-thread state.
pub struct EditorApp {
    params: Arc<CuewireParams>,
    shared: Arc<Shared>,
    gui: Option<GuiContext>,
    main_fft: Analyser,
    cm_fft: Analyser,
    /// Falling peak bars: input, main, then the cues.
    ballistics: [PeakBallistics; 6],
    /// Set on open: the first frame applies the persisted size and scale (a state may have been
    /// loaded after the window state was created).
    restore_pending: bool,
}

impl EditorApp {
    fn new(params: Arc<CuewireParams>, shared: Arc<Shared>) -> Self {
        let mut planner = RealFftPlanner::new();
        Self {
            params,
            shared,
            gui: None,
            main_fft: Analyser::new(&mut planner),
            cm_fft: Analyser::new(&mut planner),
            ballistics: [PeakBallistics::default(); 6],
            restore_pending: true,
        }
    }
}

impl NiceEguiApp for EditorApp {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        let mut style = (*egui_ctx.global_style()).clone();
        style.visuals = egui::Visuals::dark();
        style.visuals.panel_fill = BG;
        style.visuals.override_text_color = Some(TEXT);
        style.spacing.item_spacing = Vec2::new(6.0, 5.0);
        style.spacing.interact_size.y = 20.0;
        for (text_style, font) in style.text_styles.iter_mut() {
            font.size = match text_style {
                egui::TextStyle::Small => SMALL_PT,
                egui::TextStyle::Heading => 18.0,
                _ => BODY_PT,
            };
        }
        egui_ctx.set_global_style(style);
        self.gui = Some(nice_gui_ctx);
        self.restore_pending = true;
        Ok(())
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut nice_plug_egui::Frame) {
        let Some(gui) = self.gui.clone() else {
            return;
        };
        let setter = gui.param_setter();
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

        let min = Vec2::new(MIN_EDITOR_WIDTH as f32, MIN_EDITOR_HEIGHT as f32);
        ResizableWindow::new("cuewire-window")
            .min_size(min)
            .show(ui, |ui| {
                egui::ScrollArea::both()
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        egui::Frame::new().inner_margin(6).show(ui, |ui| {
                            ui.set_min_size(min - Vec2::splat(28.0));
                            self.top_bar(ui, &setter);
                            ui.add_space(4.0);
                            self.body(ui, &setter);
                        });
                    });
            });
        ctx.request_repaint_after(FRAME);
    }
}

/// A titled panel; `add` draws its contents.
fn panel<R>(ui: &mut Ui, title: &str, add: impl FnOnce(&mut Ui) -> R) -> R {
    egui::Frame::new()
        .fill(PANEL)
        .corner_radius(4)
        .inner_margin(6)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            if !title.is_empty() {
                ui.label(heading(title));
            }
            add(ui)
        })
        .inner
}

/// A panel heading's text.
fn heading(title: &str) -> RichText {
    RichText::new(title)
        .font(FontId::proportional(HEADING_PT))
        .color(DIM_TEXT)
        .strong()
}

/// A label of fixed width, so the sliders in a panel line up.
fn row_label(ui: &mut Ui, text: &str, width: f32) {
    ui.allocate_ui_with_layout(
        Vec2::new(width, ui.spacing().interact_size.y),
        Layout::left_to_right(Align::Center),
        |ui| {
            ui.set_width(width);
            ui.label(text);
        },
    );
}

/// The larger of two channels' values.
fn louder(values: [f32; 2]) -> f32 {
    values[0].max(values[1])
}

/// The smaller of two channels' values.
fn tighter(values: [f32; 2]) -> f32 {
    values[0].min(values[1])
}

impl EditorApp {
    fn top_bar(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        ui.horizontal(|ui| {
            ui.label(RichText::new("CUEWIRE").font(FontId::proportional(18.0)).strong());
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
                let zoom = ui.ctx().zoom_factor();
                egui::ComboBox::from_id_salt("ui-scale")
                    .width(64.0)
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

    fn body(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        let dt_s = ui.input(|i| i.stable_dt).min(0.1);
        let input = self.shared.input.take();
        let main = self.shared.main.take();
        let cues: [OutputReading; 4] = std::array::from_fn(|i| self.shared.cues[i].take());
        let input_peak = self.ballistics[0].update(&input, dt_s);
        let main_peak = self.ballistics[1].update(&main, dt_s);
        let cue_peaks: [[f32; 2]; 4] =
            std::array::from_fn(|i| self.ballistics[2 + i].update(&cues[i], dt_s));

        // Below the minimum size the scroll area scrolls instead of squeezing the layout.
        let avail = ui.available_size().max(
            Vec2::new(MIN_EDITOR_WIDTH as f32, MIN_EDITOR_HEIGHT as f32) - Vec2::new(16.0, 48.0),
        );
        let gap = ui.spacing().item_spacing.x;
        let left_w = (avail.x * 0.27).floor();
        let mid_w = (avail.x * 0.32).floor();
        let right_w = avail.x - left_w - mid_w - 2.0 * gap;
        let height = avail.y;
        ui.horizontal_top(|ui| {
            column(ui, left_w, height, |ui| {
                self.input_panel(ui, setter);
                self.input_meter_panel(ui, &input, input_peak);
                self.stereo_panel(ui);
            });
            column(ui, mid_w, height, |ui| {
                self.main_panel(ui, setter, &main, main_peak);
                self.settings_panel(ui);
            });
            column(ui, right_w, height, |ui| {
                // The cue grid below takes about 300 points; the spectrum gets the rest.
                self.spectrum_panel(ui, (height - 310.0).max(190.0));
                self.cue_grid(ui, setter, &cues, &cue_peaks);
            });
        });
    }

    fn input_panel(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        let p = &self.params.input;
        panel(ui, "INPUT", |ui| {
            let w = ui.available_width();
            widgets::choice(
                ui,
                setter,
                &p.mode,
                w - 10.0,
                "How the two input channels become the monitored stereo pair: pass, Auto fix a one-ear or anti-phase feed, pick one side, mono sum, swap, or decode a balanced pair (ch 1 hot, ch 2 cold; on the 4-channel and mono layouts, which have no undecoded pair, it acts as Stereo).",
            );
            let decision = self.shared.status.decision();
            let auto = p.mode.value() == InputModeParam::AutoFix;
            let fixing = auto && decision != AutoFixDecision::NoFault;
            let caption = if auto {
                format!("Auto fix: {}", decision.label())
            } else {
                "Auto fix: off (mode)".to_owned()
            };
            widgets::led(
                ui,
                fixing,
                AMBER,
                &caption,
                "Auto fix's decision: lit while it is correcting a one-ear (left or right only) or anti-phase feed.",
            );
            let label_w = 74.0;
            let slider_w = (w - label_w - 8.0).max(60.0);
            for (name, param) in [
                ("Cold trim L", &p.cold_trim_l_db),
                ("Cold trim R", &p.cold_trim_r_db),
            ] {
                ui.horizontal(|ui| {
                    row_label(ui, name, label_w);
                    widgets::slider(
                        ui,
                        setter,
                        param,
                        slider_w,
                        "Trims the cold leg's level to null the common mode of a balanced pair (±3 dB).",
                    );
                });
            }
            ui.horizontal(|ui| {
                row_label(ui, "Polarity", label_w);
                widgets::toggle(
                    ui,
                    setter,
                    &p.invert_l,
                    "Ø L",
                    AMBER,
                    "Inverts the polarity of channel 1 (the left pair after decoding).",
                );
                widgets::toggle(
                    ui,
                    setter,
                    &p.invert_r,
                    "Ø R",
                    AMBER,
                    "Inverts the polarity of channel 2 (the right pair after decoding).",
                );
            });
            if self.shared.status.balanced_active.load(Ordering::Relaxed) {
                for (ear, cm) in ["L", "R"].iter().zip(self.shared.main_extras.common_mode()) {
                    let text = if cm.cm_present {
                        format!(
                            "CM {ear}: {}   rejection {}",
                            level_text(cm.cm_rms_db, "dBFS"),
                            level_text(cm.rejection_db, "dB")
                        )
                    } else {
                        format!("CM {ear}: no common mode")
                    };
                    ui.label(RichText::new(text).small())
                        .on_hover_text("Common-mode level (hum and noise the balanced decode cancels) and how far below it the decoded signal's residue sits.");
                }
            } else {
                ui.label(
                    RichText::new("Common mode: balanced modes only")
                        .small()
                        .color(DIM_TEXT),
                );
            }
        });
    }

    fn input_meter_panel(&mut self, ui: &mut Ui, input: &OutputReading, peak_db: [f32; 2]) {
        panel(ui, "INPUT METER (before gain)", |ui| {
            let w = ui.available_width();
            if widgets::meter(
                ui,
                input,
                peak_db,
                Vec2::new(w, 34.0),
                true,
                "Decoded input before any gain.",
            )
            .clicked()
            {
                self.shared.request_meter_reset(meter_bits::INPUT);
            }
            readout_rows(ui, input, &self.shared, meter_bits::INPUT, "Input");
        });
    }

    fn main_panel(
        &mut self,
        ui: &mut Ui,
        setter: &ParamSetter,
        main: &OutputReading,
        peak_db: [f32; 2],
    ) {
        let p = &self.params.main;
        let settings = self.params.settings.get();
        panel(ui, "MAIN", |ui| {
            let w = ui.available_width();
            let label_w = 58.0;
            let slider_w = (w - label_w - 8.0).max(60.0);
            ui.horizontal(|ui| {
                row_label(ui, "Gain", label_w);
                widgets::slider(
                    ui,
                    setter,
                    &p.gain_db,
                    slider_w,
                    "Main output gain (−60..+24 dB).",
                );
            });
            ui.horizontal(|ui| {
                row_label(ui, "Ceiling", label_w);
                widgets::slider(ui, setter, &p.ceiling_db, slider_w, "Ear guard ceiling: the main output never exceeds this true-peak level while the guard is on.");
            });
            ui.horizontal(|ui| {
                row_label(ui, "", label_w);
                widgets::toggle(
                    ui,
                    setter,
                    &p.dim,
                    "Dim",
                    AMBER,
                    "Drops the main output by 20 dB.",
                );
                widgets::toggle(
                    ui,
                    setter,
                    &p.mute,
                    "Mute",
                    RED,
                    "Silences the main output (cues fed pre keep running).",
                );
                widgets::toggle(
                    ui,
                    setter,
                    &p.guard,
                    "Ear guard",
                    GREEN,
                    "Limits the main output to the ceiling so a sudden peak can't hurt your ears.",
                );
            });
            if widgets::meter(ui, main, peak_db, Vec2::new(w, 64.0), true, "Main output.").clicked()
            {
                self.shared.request_meter_reset(meter_bits::MAIN);
            }
            ui.horizontal(|ui| {
                clip_led(ui, main, &self.shared, meter_bits::MAIN, "Clip events on the main output (runs of full-scale samples). Click to reset.");
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    let headroom = tighter(main.headroom_db);
                    let color = if headroom.is_finite() && headroom < 0.0 { RED } else { TEXT };
                    if ui
                        .add(egui::Label::new(RichText::new(headroom_text(headroom)).font(FontId::proportional(BIG_PT)).color(color)).sense(egui::Sense::click()))
                        .on_hover_text("Headroom: ceiling minus the highest true peak since the last reset. Click to reset.")
                        .clicked()
                    {
                        self.shared.request_meter_reset(meter_bits::MAIN);
                    }
                    ui.label(RichText::new("headroom").color(DIM_TEXT));
                });
            });
            let rms_db = lin_to_db(louder(main.rms_lin));
            let (dbu, v) = if rms_db > meter_math::SILENT_BELOW_DB {
                let dbu = dbfs_to_dbu(rms_db, settings.full_scale_dbu);
                (
                    level_text(dbu, "dBu"),
                    format!("{:.3} V RMS", dbu_to_v_rms(dbu)),
                )
            } else {
                ("—".to_owned(), "—".to_owned())
            };
            ui.horizontal(|ui| {
                ui.label(RichText::new("Level (RMS)").color(DIM_TEXT));
                ui.label(level_text(rms_db, "dBFS"));
                ui.label(dbu);
                ui.label(v);
            })
            .response
            .on_hover_text(format!(
                "Main output RMS level (louder channel), digital and at the interface's analog output ({:.1} dBu at 0 dBFS; change in Settings).",
                settings.full_scale_dbu
            ));
        });
    }

    fn stereo_panel(&mut self, ui: &mut Ui) {
        let stereo = self.shared.main_extras.stereo();
        panel(ui, "STEREO", |ui| {
            let w = ui.available_width();
            let bar_w = (w - 150.0).max(60.0);
            ui.horizontal(|ui| {
                row_label(ui, "Correlation", 76.0);
                widgets::centre_bar(ui, stereo.correlation, 1.0, Vec2::new(bar_w, 12.0), STEREO_BAR)
                    .on_hover_text("Correlation of L and R: +1 mono, 0 unrelated, −1 anti-phase (cancels on a mono speaker).");
                ui.label(format!("{:+.2}", stereo.correlation));
            });
            ui.horizontal(|ui| {
                row_label(ui, "Balance", 76.0);
                widgets::centre_bar(ui, stereo.balance_db, BALANCE_RANGE_DB, Vec2::new(bar_w, 12.0), STEREO_BAR)
                    .on_hover_text("R minus L level: right of centre means the right ear is louder (±12 dB shown).");
                ui.label(format!("{:+.1} dB", stereo.balance_db));
            });
        });
    }

    fn spectrum_panel(&mut self, ui: &mut Ui, height: f32) {
        let feed = &self.shared.spectrum;
        let rate = feed.sample_rate_hz.load(Ordering::Relaxed);
        let cm_live = feed.common_mode_live.load(Ordering::Relaxed);
        let main_bins = self.main_fft.update(&feed.main);
        let cm_bins = if cm_live {
            Some(self.cm_fft.update(&feed.common_mode))
        } else {
            None
        };
        panel(ui, "SPECTRUM (main output)", |ui| {
            let w = ui.available_width();
            // Title, legend and margins take about 60 points of the panel.
            let h = (height - 60.0).max(80.0);
            let (rect, response) = ui.allocate_exact_size(Vec2::new(w, h), egui::Sense::hover());
            let painter = ui.painter_at(rect);
            painter.rect_filled(rect, 2, METER_BG);
            let font = FontId::proportional(SMALL_PT);
            for db in [-20.0, -40.0, -60.0, -80.0, -100.0] {
                let y = rect.bottom() - spectrum::db_to_height(db) * rect.height();
                painter.hline(rect.x_range(), y, egui::Stroke::new(1.0, PANEL));
                painter.text(
                    egui::pos2(rect.left() + 2.0, y),
                    egui::Align2::LEFT_BOTTOM,
                    format!("{db:.0} dB"),
                    font.clone(),
                    DIM_TEXT,
                );
            }
            for hz in spectrum::FREQ_MARKS_HZ {
                let x = rect.left() + spectrum::freq_to_fraction(hz) * rect.width();
                painter.vline(x, rect.y_range(), egui::Stroke::new(1.0, PANEL));
                let label = if hz >= 1000.0 {
                    format!("{:.0}k", hz / 1000.0)
                } else {
                    format!("{hz:.0}")
                };
                // The end marks sit on the plot's edges: align them inwards so they stay whole.
                let align = if hz >= spectrum::VIEW_MAX_HZ {
                    egui::Align2::RIGHT_BOTTOM
                } else if hz <= spectrum::VIEW_MIN_HZ {
                    egui::Align2::LEFT_BOTTOM
                } else {
                    egui::Align2::CENTER_BOTTOM
                };
                painter.text(
                    egui::pos2(x, rect.bottom() - 1.0),
                    align,
                    label,
                    font.clone(),
                    DIM_TEXT,
                );
            }
            let curve = |bins: &[f32]| -> Vec<egui::Pos2> {
                let columns = rect.width().max(2.0) as usize;
                (0..columns)
                    .map(|c| {
                        let lo = spectrum::fraction_to_freq(c as f32 / columns as f32);
                        let hi = spectrum::fraction_to_freq((c + 1) as f32 / columns as f32);
                        let db = spectrum::column_level_db(bins, rate, lo, hi);
                        egui::pos2(
                            rect.left() + c as f32,
                            rect.bottom() - spectrum::db_to_height(db) * rect.height(),
                        )
                    })
                    .collect()
            };
            if let Some(bins) = cm_bins {
                painter.add(egui::Shape::line(
                    curve(bins),
                    egui::Stroke::new(1.5, SPECTRUM_CM),
                ));
            }
            painter.add(egui::Shape::line(
                curve(main_bins),
                egui::Stroke::new(1.5, SPECTRUM_MAIN),
            ));
            response.on_hover_text("Spectrum of the main output, (L+R)/2, 20 Hz–20 kHz on a log axis, dBFS of a sine. In balanced modes the orange curve is the common mode the decode rejects (hum shows as lines at 50/60 Hz and harmonics).");
            ui.horizontal(|ui| {
                ui.label(RichText::new("— main output").color(SPECTRUM_MAIN).small());
                if cm_live {
                    ui.label(
                        RichText::new("— common mode (rejected by the decode)")
                            .color(SPECTRUM_CM)
                            .small(),
                    );
                }
            });
        });
    }

    fn settings_panel(&mut self, ui: &mut Ui) {
        let settings = &self.params.settings;
        let mut data = settings.get();
        let before = data;
        panel(ui, "SETTINGS", |ui| {
            egui::Grid::new("settings-grid").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
                ui.label("Full scale");
                ui.add(egui::DragValue::new(&mut data.full_scale_dbu).range(-20.0..=40.0).speed(0.1).suffix(" dBu"))
                    .on_hover_text("Analog calibration: the dBu your interface's output produces at 0 dBFS (e.g. +10 dBu for a Scarlett 2i2 line out). Drag, or click to type.");
                ui.end_row();
                ui.label("Amp K");
                ui.add(egui::DragValue::new(&mut data.amp_k_v).range(0.1..=100.0).speed(0.1).suffix(" V"))
                    .on_hover_text("Headphone amp constant K in volts (14 V for an Objective2): the gain helper divides it by the interface's full-scale voltage.");
                ui.end_row();
                let v_fs = dbu_to_v_rms(data.full_scale_dbu);
                let gain = amp_max_gain_factor(data.amp_k_v, v_fs);
                ui.label("Full scale =");
                ui.label(format!("{v_fs:.3} V RMS"))
                    .on_hover_text("The interface's output voltage at 0 dBFS, from the full-scale dBu.");
                ui.end_row();
                ui.label("Amp gain ≤");
                ui.label(RichText::new(format!("{gain:.2}×  ({:.1} dB)", lin_to_db(gain))).strong())
                    .on_hover_text("Gain helper: the most gain your headphone amp should have, so the interface at full scale just drives it to its limit: K ÷ V(full scale).");
                ui.end_row();
                ui.label("Peak hold");
                ui.add(egui::DragValue::new(&mut data.hold_ms).range(500.0..=10_000.0).speed(10.0).suffix(" ms"))
                    .on_hover_text("How long the held-peak marker stays before it falls (500–10000 ms).");
                ui.end_row();
                ui.label("Clip run");
                ui.add(egui::DragValue::new(&mut data.clip_run_samples).range(1..=10).suffix(" samples"))
                    .on_hover_text("Consecutive full-scale samples that count as one clip event (1–10).");
                ui.end_row();
            });
        });
        if data != before {
            settings.set(data);
        }
    }

    fn cue_grid(
        &mut self,
        ui: &mut Ui,
        setter: &ParamSetter,
        cues: &[OutputReading; 4],
        peaks: &[[f32; 2]; 4],
    ) {
        let w = ui.available_width();
        let gap = ui.spacing().item_spacing.x;
        let cell_w = ((w - gap) / 2.0).floor();
        for row in 0..2 {
            ui.horizontal_top(|ui| {
                for col in 0..2 {
                    let i = row * 2 + col;
                    column(ui, cell_w, 0.0, |ui| {
                        self.cue_strip(ui, setter, i, &cues[i], peaks[i]);
                    });
                }
            });
        }
    }

    fn cue_strip(
        &mut self,
        ui: &mut Ui,
        setter: &ParamSetter,
        index: usize,
        reading: &OutputReading,
        peak_db: [f32; 2],
    ) {
        let p: &CueParams = &self.params.cues[index];
        let bit = meter_bits::CUE_0 << index;
        let active = self.shared.cues[index].active.load(Ordering::Relaxed);
        panel(ui, "", |ui| {
            let w = ui.available_width();
            ui.horizontal(|ui| {
                ui.label(heading(&format!("CUE {}", index + 1)));
                widgets::toggle(
                    ui,
                    setter,
                    &p.on,
                    "On",
                    GREEN,
                    "Sends this cue output (a separate headphone feed).",
                );
                widgets::toggle(ui, setter, &p.mute, "Mute", RED, "Silences this cue.");
            });
            let half = ((w - ui.spacing().item_spacing.x) / 2.0 - 10.0).max(40.0);
            ui.horizontal(|ui| {
                widgets::choice(ui, setter, &p.source, half, "Pre: the input before the main gain (a foldback mix unaffected by your volume). Post: after main gain, dim, mute and crossfeed.");
                widgets::choice(ui, setter, &p.mode, half, "How this cue folds the stereo pair: stereo, mono, or one side to both ears.");
            });
            ui.horizontal(|ui| {
                row_label(ui, "Gain", 34.0);
                widgets::slider(
                    ui,
                    setter,
                    &p.gain_db,
                    (w - 42.0).max(40.0),
                    "This cue's gain.",
                );
            });
            if widgets::meter(
                ui,
                reading,
                peak_db,
                Vec2::new(w, 14.0),
                false,
                "This cue's output.",
            )
            .clicked()
            {
                self.shared.request_meter_reset(bit);
            }
            ui.horizontal(|ui| {
                clip_led(
                    ui,
                    reading,
                    &self.shared,
                    bit,
                    "Clip events on this cue. Click to reset.",
                );
                let text = if active {
                    format!("headroom {}", headroom_text(tighter(reading.headroom_db)))
                } else {
                    "off / not connected".to_owned()
                };
                ui.label(RichText::new(text).small().color(DIM_TEXT))
                    .on_hover_text("Headroom: ceiling minus the highest true peak since the last reset. A cue that is off or whose output the host left unconnected carries no signal.");
            });
        });
    }
}

/// A fixed-width column (and at most `height` tall when non-zero), top to bottom.
fn column(ui: &mut Ui, width: f32, height: f32, add: impl FnOnce(&mut Ui)) {
    let size = Vec2::new(
        width,
        if height > 0.0 {
            height
        } else {
            ui.available_height()
        },
    );
    ui.allocate_ui_with_layout(size, Layout::top_down(Align::Min), |ui| {
        ui.set_width(width);
        add(ui);
    });
}

/// The clip LED of a meter with its count (both channels); clicking it resets the meters in
/// `bit` (an `engine::meter_bits` mask).
fn clip_led(ui: &mut Ui, reading: &OutputReading, shared: &Shared, bit: u32, tooltip: &str) {
    let clips = reading.clip_events[0] + reading.clip_events[1];
    if widgets::led(ui, clips > 0, RED, &format!("Clip {clips}"), tooltip).clicked() {
        shared.request_meter_reset(bit);
    }
}

/// Peak, true peak, headroom and the clip LED of a meter, as text rows.
fn readout_rows(ui: &mut Ui, reading: &OutputReading, shared: &Shared, bit: u32, name: &str) {
    let max_tp = lin_to_db(louder(reading.max_true_peak_lin));
    let held = lin_to_db(louder(reading.held_peak_lin));
    ui.horizontal(|ui| {
        ui.label(RichText::new("Peak").color(DIM_TEXT));
        ui.label(level_text(held, "dBFS"));
        ui.label(RichText::new("True peak").color(DIM_TEXT));
        ui.label(level_text(max_tp, "dBTP"));
    })
    .response
    .on_hover_text("Held sample peak and the highest true peak (inter-sample, 4× oversampled) since the last reset.");
    ui.horizontal(|ui| {
        clip_led(
            ui,
            reading,
            shared,
            bit,
            &format!("{name} clip events (runs of full-scale samples). Click to reset."),
        );
        ui.label(RichText::new("Headroom").color(DIM_TEXT));
        ui.label(RichText::new(headroom_text(tighter(reading.headroom_db))).color(Color32::WHITE));
    });
}
