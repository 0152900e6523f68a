//! The talkback panel (Cuewire Monitor only): the TALK button, talk level, dim, talk to main
//! and the talk input's meter.

use cuewire_dsp::engine::meter_bits;
use cuewire_dsp::meter::OutputReading;
use egui::{FontId, RichText, Sense, Ui, Vec2};
use nice_plug::prelude::{Param, ParamSetter};

use super::{panel, row_label, slider_row};
use crate::editor::theme::*;
use crate::editor::{widgets, EditorApp, TALK_BALLISTICS};

/// What the TALK button is doing with the pointer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum TalkPress {
    /// Not pressed.
    #[default]
    Up,
    /// Held down from off: talk is on until release (momentary).
    Momentary,
    /// Held down after a click that switched talk (latched on or off): release does nothing.
    Switched,
}

impl EditorApp {
    /// The TALK panel. Press and hold TALK to talk while held; Ctrl/Cmd-click or Shift-click
    /// latches it on (and a click while latched switches it off).
    pub(crate) fn talk_panel(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        let p = &self.params.talk;
        let talk_peak_lin = self.shared.monitor.take_talk_peak_lin();
        let talk_rms_lin = self.shared.monitor.talk_rms_lin();
        // The meter widget draws a stereo pair: the mono talk input in both rows.
        let reading = OutputReading {
            sample_peak_lin: [talk_peak_lin; 2],
            true_peak_lin: [talk_peak_lin; 2],
            rms_lin: [talk_rms_lin; 2],
            ..OutputReading::default()
        };
        let dt_s = ui.input(|i| i.stable_dt).min(0.1);
        let shown_peak_db = self.ballistics[TALK_BALLISTICS].update(&reading, dt_s);
        panel(ui, "TALKBACK", |ui| {
            let w = ui.available_width();
            let on = p.on.modulated_plain_value();
            let button = egui::Button::new(
                RichText::new("TALK")
                    .font(FontId::proportional(TALK_BUTTON_PT))
                    .strong()
                    .color(if on { BG } else { TEXT }),
            )
            .fill(if on { TALK_LIT } else { SLIDER_BG })
            .min_size(Vec2::new(w, TALK_BUTTON_HEIGHT))
            .sense(Sense::click_and_drag());
            let response = ui.add(button).on_hover_text(
                "Talk: press and hold to talk to the cues whose Talk switch is on (and to main with Talk to main); release to stop. Ctrl-click (Cmd-click on macOS) or Shift-click latches it on; a click while latched switches it off.",
            );
            let down = response.is_pointer_button_down_on();
            let latch = ui.input(|i| i.modifiers.command || i.modifiers.shift);
            match (self.talk_press, down) {
                (TalkPress::Up, true) if on || latch => {
                    setter.begin_set_parameter(&p.on);
                    setter.set_parameter(&p.on, !on);
                    setter.end_set_parameter(&p.on);
                    self.talk_press = TalkPress::Switched;
                }
                (TalkPress::Up, true) => {
                    setter.begin_set_parameter(&p.on);
                    setter.set_parameter(&p.on, true);
                    self.talk_press = TalkPress::Momentary;
                }
                (TalkPress::Momentary, false) => {
                    setter.set_parameter(&p.on, false);
                    setter.end_set_parameter(&p.on);
                    self.talk_press = TalkPress::Up;
                }
                (TalkPress::Switched, false) => self.talk_press = TalkPress::Up,
                _ => {}
            }
            let label_w = MAIN_LABEL_WIDTH;
            let slider_w = (w - label_w - LABEL_GAP).max(MIN_SLIDER_WIDTH);
            slider_row(
                ui,
                setter,
                "Level",
                label_w,
                &p.level_db,
                slider_w,
                "Level of the talk signal in the outputs it reaches (−40..+12 dB).",
            );
            slider_row(
                ui,
                setter,
                "Dim",
                label_w,
                &p.dim_db,
                slider_w,
                "How far the programme drops in those outputs while you talk (−40..0 dB).",
            );
            ui.horizontal(|ui| {
                row_label(ui, "", label_w);
                widgets::toggle(
                    ui,
                    setter,
                    &p.to_main,
                    "Talk to main",
                    TALK_LIT,
                    "The main output hears the talk (and dims) too.",
                );
            });
            if widgets::meter(
                ui,
                &reading,
                shown_peak_db,
                Vec2::new(w, TALK_METER_HEIGHT),
                false,
                "The talk input after its 80 Hz high-pass, before the talk level (silent while no talk input is connected).",
            )
            .clicked()
            {
                self.shared.request_meter_reset(meter_bits::TALK);
            }
        });
    }
}
