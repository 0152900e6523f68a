//! The editor's panels, one file each, and what they share: the panel frame, aligned rows,
//! columns, and the clip LED and text readouts of a meter.

mod cues;
mod input;
mod main_out;
mod settings;
mod spectrum;
mod stereo;
mod talk;

pub(crate) use talk::TalkPress;

use cuewire_dsp::meter::OutputReading;
use cuewire_dsp::units::lin_to_db;
use egui::{Align, FontId, Layout, RichText, Ui, Vec2};

use super::meter_math::{headroom_text, level_text, louder, tighter};
use super::theme::*;
use super::widgets;
use crate::shared::Shared;

/// A titled panel; `add` draws its contents.
fn panel<R>(ui: &mut Ui, title: &str, add: impl FnOnce(&mut Ui) -> R) -> R {
    egui::Frame::new()
        .fill(PANEL)
        .corner_radius(PANEL_RADIUS)
        .inner_margin(PANEL_MARGIN)
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

/// A fixed-width column (and at most `height` tall when non-zero), top to bottom.
pub(super) fn column(ui: &mut Ui, width: f32, height: f32, add: impl FnOnce(&mut Ui)) {
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

/// How the true peak is measured at an oversampling factor (4, 2 or 1), for tooltips.
fn true_peak_method(factor: u32) -> String {
    if factor > 1 {
        format!("inter-sample peaks found by {factor}× oversampling")
    } else {
        "at this sample rate the samples themselves, not oversampled".to_owned()
    }
}

/// Peak, true peak, headroom and the clip LED of a meter, as text rows; the true peak is
/// measured `true_peak_factor` times oversampled (1: not oversampled).
fn readout_rows(
    ui: &mut Ui,
    reading: &OutputReading,
    shared: &Shared,
    bit: u32,
    name: &str,
    true_peak_factor: u32,
) {
    let max_tp = lin_to_db(louder(reading.max_true_peak_lin));
    let held = lin_to_db(louder(reading.held_peak_lin));
    ui.horizontal(|ui| {
        ui.label(RichText::new("Peak").color(DIM_TEXT));
        ui.label(level_text(held, "dBFS"));
        ui.label(RichText::new("True peak").color(DIM_TEXT));
        ui.label(level_text(max_tp, "dBTP"));
    })
    .response
    .on_hover_text(format!(
        "Held sample peak and the highest true peak since the last reset ({}).",
        true_peak_method(true_peak_factor)
    ));
    ui.horizontal(|ui| {
        clip_led(
            ui,
            reading,
            shared,
            bit,
            &format!("{name} clip events (runs of full-scale samples). Click to reset."),
        );
        ui.label(RichText::new("Headroom").color(DIM_TEXT));
        ui.label(RichText::new(headroom_text(tighter(reading.headroom_db))).color(BRIGHT_TEXT));
    });
}
