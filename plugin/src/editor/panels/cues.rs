//! The four cue strips in a 2 × 2 grid: on, mute, talk, listen, source, fold, gain, meter and
//! headroom.

use crate::editor::widgets::HoverFmt;
use std::sync::atomic::Ordering;

use cuewire_dsp::cue::CUE_COUNT;
use cuewire_dsp::engine::meter_bits;
use cuewire_dsp::listen::Listen;
use cuewire_dsp::meter::OutputReading;
use egui::{RichText, Ui, Vec2};
use nice_plug::prelude::ParamSetter;

use super::{clip_led, column, ear_row, heading, panel, slider_row};
use crate::editor::meter_math::{headroom_text, tighter};
use crate::editor::theme::*;
use crate::editor::{widgets, EditorApp};
use crate::params::{CueParams, ListenParam};

impl EditorApp {
    pub(crate) fn cue_grid(
        &mut self,
        ui: &mut Ui,
        setter: &ParamSetter,
        cues: &[OutputReading; CUE_COUNT],
        peaks: &[[f32; 2]; CUE_COUNT],
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

    pub(crate) fn cue_strip(
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
            ui.horizontal(|ui| {
                widgets::toggle(
                    ui,
                    setter,
                    &p.talk,
                    "Talk",
                    TALK_LIT,
                    "This cue hears the talkback while TALK is on (its programme dims).",
                );
                self.listen_button(ui, setter, index);
            });
            let half =
                ((w - ui.spacing().item_spacing.x) / 2.0 - MENU_INSET).max(MIN_CUE_CONTROL_WIDTH);
            ui.horizontal(|ui| {
                widgets::choice(ui, setter, &p.source, half, "Pre: the input before the main gain (a foldback mix unaffected by your volume). Post: after main gain, dim, mute and crossfeed.");
                widgets::choice(ui, setter, &p.mode, half, "How this cue folds the stereo pair: stereo, mono, or one side to both ears.");
            });
            slider_row(
                ui,
                setter,
                "Gain",
                CUE_LABEL_WIDTH,
                &p.gain_db,
                (w - CUE_LABEL_WIDTH - LABEL_GAP).max(MIN_CUE_CONTROL_WIDTH),
                "This cue's gain.",
            );
            if widgets::meter(
                ui,
                reading,
                peak_db,
                Vec2::new(w, CUE_METER_HEIGHT),
                false,
                "This cue's output.",
            )
            .clicked()
            {
                self.shared.request_meter_reset(bit);
            }
            let text = self.readouts.cues[index];
            let loudness = self.readouts.cue_loudness[index];
            ear_row(
                ui,
                1 + index,
                &self.readouts,
                &self.shared,
                bit,
                CUE_EAR_PT,
                Some(&loudness),
            );
            ui.horizontal(|ui| {
                clip_led(
                    ui,
                    &text,
                    &self.shared,
                    bit,
                    "Clip events on this cue. Click to reset.",
                );
                let text = if active {
                    format!("headroom {}", headroom_text(tighter(text.headroom_db)))
                } else {
                    "off / not connected".to_owned()
                };
                ui.label(RichText::new(text).small().color(DIM_TEXT))
                    .on_hover_text("Headroom: ceiling minus the highest true peak since the last reset. A cue that is off or whose output the host left unconnected carries no signal.");
            });
        });
    }

    /// LISTEN for cue `index`: main carries this cue (as its listener hears it, before its ear
    /// guard) while lit. Exclusive: listening to one cue stops listening to another; a click
    /// while lit returns main to its own signal.
    fn listen_button(&self, ui: &mut Ui, setter: &ParamSetter, index: usize) {
        let param = &self.params.main.listen;
        let on = Listen::from(param.value()) == Listen::Cue(index);
        let button = egui::Button::new(RichText::new("Listen").color(if on { BG } else { TEXT }))
            .fill(if on { LISTEN_LIT } else { SLIDER_BG })
            .min_size(Vec2::new(0.0, ui.spacing().interact_size.y));
        let response = ui.add(button).on_hover_fmt(|| format!(
            "Listen: main carries cue {} as its listener hears it (gain, fold and talk; main's ear guard applies). Only one cue at a time; click again to return main to its own signal.",
            index + 1
        ));
        if response.clicked() {
            let target = if on {
                ListenParam::Off
            } else {
                [
                    ListenParam::Cue1,
                    ListenParam::Cue2,
                    ListenParam::Cue3,
                    ListenParam::Cue4,
                ][index]
            };
            setter.begin_set_parameter(param);
            setter.set_parameter(param, target);
            setter.end_set_parameter(param);
        }
    }
}
