//! The main output panel: gain, ceiling, dim, mute, ear guard, meter, headroom and level.

use crate::editor::widgets::HoverFmt;
use cuewire_dsp::engine::meter_bits;
use cuewire_dsp::meter::OutputReading;
use cuewire_dsp::units::{dbfs_to_dbu, dbu_to_v_rms, lin_to_db};
use egui::{Align, FontId, Layout, RichText, Ui, Vec2};
use nice_plug::prelude::ParamSetter;

use super::{clip_led, ear_row, loudness_rows, panel, row_label, slider_row};
use crate::editor::meter_math::{self, headroom_text, level_text, louder, tighter};
use crate::editor::theme::*;
use crate::editor::{widgets, EditorApp};

impl EditorApp {
    pub(crate) fn main_panel(
        &mut self,
        ui: &mut Ui,
        setter: &ParamSetter,
        main: &OutputReading,
        peak_db: [f32; 2],
    ) {
        let p = &self.params.main;
        let full_scale_dbu = p.ear.full_scale_dbu.value();
        let text = self.readouts.main;
        panel(ui, "MAIN", |ui| {
            let w = ui.available_width();
            let label_w = MAIN_LABEL_WIDTH;
            let slider_w = (w - label_w - LABEL_GAP).max(MIN_SLIDER_WIDTH);
            slider_row(
                ui,
                setter,
                "Gain",
                label_w,
                &p.gain_db,
                slider_w,
                "Main output gain (−60..+24 dB).",
            );
            slider_row(ui, setter, "Ceiling", label_w, &p.ceiling_db, slider_w, "Ear guard ceiling: while the guard is on, no sample of the main output exceeds this level (samples above it are clamped; the true peak between samples can read slightly higher).");
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
            if widgets::meter(
                ui,
                main,
                peak_db,
                Vec2::new(w, MAIN_METER_HEIGHT),
                true,
                "Main output.",
            )
            .clicked()
            {
                self.shared.request_meter_reset(meter_bits::MAIN);
            }
            ui.horizontal(|ui| {
                clip_led(ui, &text, &self.shared, meter_bits::MAIN, "Clip events on the main output (runs of full-scale samples). Click to reset.");
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    let headroom = tighter(text.headroom_db);
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
            let rms_db = lin_to_db(louder(text.rms_lin));
            let (dbu, v) = if rms_db > meter_math::SILENT_BELOW_DB {
                let dbu = dbfs_to_dbu(rms_db, full_scale_dbu);
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
            .on_hover_fmt(|| format!(
                "Main output RMS level (louder channel), digital and at the interface's analog output ({:.1} dBu at 0 dBFS; change in Settings).",
                full_scale_dbu
            ));
            ear_row(
                ui,
                0,
                &self.readouts,
                &self.shared,
                meter_bits::MAIN,
                EAR_PT,
                None,
            );
            loudness_rows(ui, &self.readouts.main_loudness);
        });
    }
}
