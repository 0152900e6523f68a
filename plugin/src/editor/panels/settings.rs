//! The settings panel: analog calibration, the headphone-amp gain helper, peak hold and clip run.

use cuewire_dsp::units::{amp_max_gain_factor, dbu_to_v_rms, lin_to_db};
use egui::{RichText, Ui};
use nice_plug::prelude::ParamSetter;

use super::{heading, panel};
use crate::editor::theme::{DIM_TEXT, GRID_SPACING};
use crate::editor::{widgets, EditorApp};

impl EditorApp {
    pub(crate) fn settings_panel(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        let full_scale = &self.params.main.ear.full_scale_dbu;
        let settings = &self.params.settings;
        let mut data = settings.get();
        let before = data;
        // Folded by default: set once per setup, and the window has no room to spare.
        panel(ui, "", |ui| {
            egui::CollapsingHeader::new(heading("SETTINGS"))
                .id_salt("settings-panel")
                .show(ui, |ui| {
            egui::Grid::new("settings-grid").num_columns(2).spacing(GRID_SPACING).show(ui, |ui| {
                ui.label("Full scale");
                widgets::slider(ui, setter, full_scale, crate::editor::theme::MIN_SLIDER_WIDTH, "Analog calibration of the main output: the dBu your interface's output produces at 0 dBFS (e.g. +10 dBu for a Scarlett 2i2 line out; typing volts, e.g. 2.45 V, works too).");
                ui.end_row();
                ui.label("Amp K");
                ui.add(egui::DragValue::new(&mut data.amp_k_v).range(0.1..=100.0).speed(0.1).suffix(" V"))
                    .on_hover_text("Headphone amp constant K in volts (14 V for an Objective2): the gain helper divides it by the interface's full-scale voltage.");
                ui.end_row();
                let v_fs = dbu_to_v_rms(full_scale.value());
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
                let spl = self.params.engine_settings().ear.spl_at_0dbfs_db;
                ui.label("SPL at 0 dBFS");
                ui.label(spl_text(&spl))
                    .on_hover_text("The sound pressure level a full-scale sine plays at in the headphones of each output, from the interface's full scale, the amp gain and the headphone sensitivity. The ear levels and doses are measured against it.");
                ui.end_row();
            });
            ui.label(
                RichText::new("Ear levels and doses are an estimate from the entered headphone sensitivity, not a certified dosimeter.")
                    .small()
                    .color(DIM_TEXT),
            );
                });
        });
        if data != before {
            settings.set(data);
        }
    }
}

/// The SPL (dB) of a full-scale sine per output (main, then each cue), as one line: a single
/// value when every output shares it.
fn spl_text(spl_db: &[f32]) -> String {
    match spl_db {
        [first, rest @ ..] if rest.iter().all(|v| (v - first).abs() < 0.05) => {
            format!("{first:.1} dB SPL (every output)")
        }
        [main, cues @ ..] => {
            let cues: Vec<String> = cues.iter().map(|v| format!("{v:.1}")).collect();
            format!("main {main:.1}, cues {} dB SPL", cues.join(" / "))
        }
        [] => "—".to_owned(),
    }
}
