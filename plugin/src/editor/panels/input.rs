//! The input panel (mode, Auto fix, cold trims, polarity, common mode) and the input meter.

use std::sync::atomic::Ordering;

use cuewire_dsp::autofix::AutoFixDecision;
use cuewire_dsp::engine::meter_bits;
use cuewire_dsp::meter::OutputReading;
use egui::{RichText, Ui, Vec2};
use nice_plug::prelude::ParamSetter;

use super::{panel, readout_rows, row_label, slider_row};
use crate::editor::meter_math::level_text;
use crate::editor::theme::*;
use crate::editor::{widgets, EditorApp};
use crate::params::InputModeParam;

impl EditorApp {
    pub(crate) fn input_panel(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        let p = &self.params.input;
        panel(ui, "INPUT", |ui| {
            let w = ui.available_width();
            widgets::choice(
                ui,
                setter,
                &p.mode,
                w - MENU_INSET,
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
            ui.horizontal(|ui| {
                widgets::toggle(
                    ui,
                    setter,
                    &p.pairs_on_aux,
                    "Right pair on aux",
                    GREEN,
                    "Balanced pairs on a stereo input: the main input carries Hot L / Cold L, the auxiliary (sidechain) input Hot R / Cold R. Without a right pair on the aux input, the left pair plays in both ears.",
                );
                let missing = self.shared.monitor.right_pair_missing();
                widgets::led(
                    ui,
                    missing,
                    RED,
                    if missing { "right pair missing" } else { "" },
                    "Lit while Right pair on aux is on and the host gives the auxiliary input no signal path (inactive, or unconnected): the left pair then plays in both ears.",
                );
            });
            let label_w = INPUT_LABEL_WIDTH;
            let slider_w = (w - label_w - LABEL_GAP).max(MIN_SLIDER_WIDTH);
            for (name, param) in [
                ("Cold trim L", &p.cold_trim_l_db),
                ("Cold trim R", &p.cold_trim_r_db),
            ] {
                slider_row(ui, setter, name, label_w, param, slider_w, "Trims the cold leg's level to null the common mode of a balanced pair (±3 dB).");
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
                for (ear, cm) in ["L", "R"].iter().zip(self.readouts.common_mode) {
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

    pub(crate) fn input_meter_panel(
        &mut self,
        ui: &mut Ui,
        input: &OutputReading,
        peak_db: [f32; 2],
    ) {
        let true_peak_factor = self.true_peak_factor();
        panel(ui, "INPUT METER (before gain)", |ui| {
            let w = ui.available_width();
            if widgets::meter(
                ui,
                input,
                peak_db,
                Vec2::new(w, INPUT_METER_HEIGHT),
                true,
                "Decoded input before any gain.",
            )
            .clicked()
            {
                self.shared.request_meter_reset(meter_bits::INPUT);
            }
            let text = self.readouts.input;
            readout_rows(
                ui,
                &text,
                &self.shared,
                meter_bits::INPUT,
                "Input",
                true_peak_factor,
            );
        });
    }
}
