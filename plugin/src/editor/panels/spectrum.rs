//! The spectrum panel: the main output's spectrum, and the rejected common mode in balanced
//! modes.

use std::sync::atomic::Ordering;

use egui::{FontId, RichText, Ui, Vec2};

use super::panel;
use crate::editor::spectrum;
use crate::editor::theme::*;
use crate::editor::EditorApp;

impl EditorApp {
    pub(crate) fn spectrum_panel(&mut self, ui: &mut Ui, height: f32) {
        let feed = &self.shared.spectrum;
        let rate = feed.sample_rate_hz.load(Ordering::Relaxed);
        let cm_live = feed.common_mode_live.load(Ordering::Relaxed);
        let main_bins = self.main_fft.update(&feed.main, rate);
        let cm_bins = if cm_live {
            Some(self.cm_fft.update(&feed.common_mode, rate))
        } else {
            None
        };
        panel(ui, "SPECTRUM (main output)", |ui| {
            let w = ui.available_width();
            let h = (height - SPECTRUM_CHROME_HEIGHT).max(MIN_SPECTRUM_PLOT_HEIGHT);
            let (rect, response) = ui.allocate_exact_size(Vec2::new(w, h), egui::Sense::hover());
            let painter = ui.painter_at(rect);
            painter.rect_filled(rect, 2, METER_BG);
            let font = FontId::proportional(SMALL_PT);
            for db in [-20.0, -40.0, -60.0, -80.0, -100.0] {
                let y = rect.bottom() - spectrum::db_to_height(db) * rect.height();
                painter.hline(rect.x_range(), y, egui::Stroke::new(GRID_WIDTH, PANEL));
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
                painter.vline(x, rect.y_range(), egui::Stroke::new(GRID_WIDTH, PANEL));
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
                    egui::Stroke::new(CURVE_WIDTH, SPECTRUM_CM),
                ));
            }
            painter.add(egui::Shape::line(
                curve(main_bins),
                egui::Stroke::new(CURVE_WIDTH, SPECTRUM_MAIN),
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
}
