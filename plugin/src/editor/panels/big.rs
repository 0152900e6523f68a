//! The Big view: main and each connected cue as tall meters with large headroom and loudness
//! numerals and large clip LEDs, to read from across the room.

use std::sync::atomic::Ordering;

use cuewire_dsp::cue::CUE_COUNT;
use cuewire_dsp::engine::meter_bits;
use cuewire_dsp::meter::{OutputLoudness, OutputReading};
use egui::{Align, FontId, Layout, RichText, Ui, Vec2};

use super::{column, heading, panel};
use crate::editor::meter_math::{headroom_text, loudness_text, tighter};
use crate::editor::theme::*;
use crate::editor::{widgets, EditorApp};

/// One strip of the Big view.
struct Strip<'a> {
    title: String,
    reading: &'a OutputReading,
    peak_db: [f32; 2],
    /// The reading the numbers are written from (refreshed at the readout rate).
    text: OutputReading,
    loudness: OutputLoudness,
    bit: u32,
}

impl EditorApp {
    /// The Big view's strips side by side; `meter_h` is the meters' height, points.
    pub(crate) fn big_view(
        &mut self,
        ui: &mut Ui,
        main: (&OutputReading, [f32; 2]),
        cues: (&[OutputReading; CUE_COUNT], &[[f32; 2]; CUE_COUNT]),
        meter_h: f32,
    ) {
        let mut strips = vec![Strip {
            title: "MAIN".to_owned(),
            reading: main.0,
            peak_db: main.1,
            text: self.readouts.main,
            loudness: self.readouts.main_loudness,
            bit: meter_bits::MAIN,
        }];
        for i in 0..CUE_COUNT {
            if self.shared.cues[i].active.load(Ordering::Relaxed) {
                strips.push(Strip {
                    title: format!("CUE {}", i + 1),
                    reading: &cues.0[i],
                    peak_db: cues.1[i],
                    text: self.readouts.cues[i],
                    loudness: self.readouts.cue_loudness[i],
                    bit: meter_bits::CUE_0 << i,
                });
            }
        }
        let gap = ui.spacing().item_spacing.x;
        let n = strips.len() as f32;
        let w = ((ui.available_width() - gap * (n - 1.0)) / n).floor();
        ui.horizontal_top(|ui| {
            for strip in &strips {
                column(ui, w, 0.0, |ui| self.big_strip(ui, strip, meter_h));
            }
        });
    }

    fn big_strip(&self, ui: &mut Ui, s: &Strip<'_>, meter_h: f32) {
        panel(ui, "", |ui| {
            ui.with_layout(Layout::top_down(Align::Center), |ui| {
                ui.horizontal(|ui| {
                    ui.label(heading(&s.title));
                    let clips = s.text.clip_events[0] + s.text.clip_events[1];
                    if widgets::big_led(ui, clips > 0, &format!("Clip {clips}"))
                        .on_hover_text("Clip events (runs of full-scale samples). Click to reset this output's meters.")
                        .clicked()
                    {
                        self.shared.request_meter_reset(s.bit);
                    }
                });
                let w = ui.available_width().min(BIG_METER_MAX_WIDTH);
                if widgets::vertical_meter(ui, s.reading, s.peak_db, Vec2::new(w, meter_h))
                    .clicked()
                {
                    self.shared.request_meter_reset(s.bit);
                }
                let headroom = tighter(s.text.headroom_db);
                let color = if headroom.is_finite() && headroom < 0.0 {
                    RED
                } else {
                    BRIGHT_TEXT
                };
                ui.label(
                    RichText::new(headroom_text(headroom).replace(" dB", ""))
                        .font(FontId::proportional(BIG_VIEW_PT))
                        .color(color),
                )
                .on_hover_text("Headroom (dB): ceiling minus the highest true peak since the last reset.");
                ui.label(RichText::new("headroom dB").small().color(DIM_TEXT));
                ui.label(
                    RichText::new(loudness_text(Some(s.loudness.reading.short_term_lufs)))
                        .font(FontId::proportional(BIG_VIEW_PT))
                        .color(BRIGHT_TEXT),
                )
                .on_hover_text("Short-term loudness (LUFS): the last 3 s, ITU-R BS.1770-4.");
                ui.label(RichText::new("short-term LUFS").small().color(DIM_TEXT));
            });
        });
    }
}
