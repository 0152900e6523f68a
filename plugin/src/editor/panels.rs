//! The editor's panels, one file each, and what they share: the panel frame, aligned rows,
//! columns, and the clip LED and text readouts of a meter.

mod big;
mod cues;
mod input;
mod main_out;
mod settings;
mod spectrum;
mod stereo;
mod talk;

pub(crate) use talk::TalkPress;

use super::widgets::HoverFmt;
use cuewire_dsp::meter::{OutputLoudness, OutputReading, LOUDNESS_FLOOR_LUFS};
use cuewire_dsp::units::lin_to_db;
use egui::{Align, FontId, Layout, RichText, Ui, Vec2};
use nice_plug::prelude::{Param, ParamSetter};

use super::meter_math::{
    ear_band, ear_text, headroom_text, level_text, louder, loudness_text, tighter, time_left_text,
};
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

/// A row of a label `label_width` wide and a slider `slider_width` wide (points) for `param`.
fn slider_row<P: Param>(
    ui: &mut Ui,
    setter: &ParamSetter,
    label: &str,
    label_width: f32,
    param: &P,
    slider_width: f32,
    tooltip: &str,
) {
    ui.horizontal(|ui| {
        row_label(ui, label, label_width);
        widgets::slider(ui, setter, param, slider_width, tooltip);
    });
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
    .on_hover_fmt(|| {
        format!(
            "Held sample peak and the highest true peak since the last reset ({}).",
            true_peak_method(true_peak_factor)
        )
    });
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

/// What the ear readouts' tooltips say about where the numbers come from.
const EAR_ESTIMATE_NOTE: &str = "An estimate from the calibration entered in Settings (interface full scale, amp gain, headphone sensitivity), not a certified dosimeter.";

/// The ear level as a large number in dB(A), coloured by band, the level limit's gain
/// reduction while it acts, and the dose bar with its percentage and time left; clicking the
/// bar resets this output's meters in `bit` (the exposure with them). With `loudness` (the cue
/// strips) the short-term and integrated loudness sit under the dose bar, to save a row.
fn ear_row(
    ui: &mut Ui,
    output: usize,
    readouts: &super::Readouts,
    shared: &Shared,
    bit: u32,
    numeral_pt: f32,
    loudness: Option<&OutputLoudness>,
) {
    let ear = readouts.ear[output];
    let level = ear.louder_laeq_1s_db;
    let gr_db = readouts.limit_gr_db[output];
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(ear_text(level))
                .font(FontId::proportional(numeral_pt))
                .color(EAR_BANDS[ear_band(level)]),
        )
        .on_hover_fmt(|| format!(
            "Level at the ear: A-weighted over the last second, louder ear (max since reset {} dB(A)). Under 80 dB(A) green, 80–85 yellow, 85–94 orange, above 94 red. {EAR_ESTIMATE_NOTE}",
            ear_text(ear.louder_max_laeq_1s_db)
        ));
        ui.vertical(|ui| {
            ui.label(RichText::new("dB(A)").small().color(DIM_TEXT));
            if gr_db > LIMIT_SHOWN_ABOVE_DB {
                ui.label(RichText::new(format!("limit −{gr_db:.1}")).small().color(AMBER))
                    .on_hover_text("The level limit is turning this output down by this many dB to keep the ear level under its limit.");
            }
        });
        let dose = ear.dose_percent.clamp(0.0, 9_999.0);
        // Nothing audible: no time limit to show.
        let caption = match ear.time_left_s {
            Some(_) => format!("{dose:.0} %  ·  {} left", time_left_text(ear.time_left_s)),
            None => format!("{dose:.0} %"),
        };
        ui.vertical(|ui| {
            let width = ui.available_width().max(MIN_CUE_CONTROL_WIDTH);
            if widgets::dose_bar(ui, ear.dose_percent, &caption, Vec2::new(width, DOSE_BAR_HEIGHT))
                .on_hover_fmt(|| format!(
                    "Sound exposure since the last reset as a share of the adult weekly allowance of ITU-T H.870 (80 dB(A) for 40 h, 1.6 Pa²h; now {:.3} Pa²h), and the time at the current level until it is used up. Click to reset this output's exposure and meters. {EAR_ESTIMATE_NOTE}",
                    ear.exposure_pa2h
                ))
                .clicked()
            {
                shared.request_meter_reset(bit);
            }
            if let Some(l) = loudness {
                loudness_compact(ui, l);
            }
        });
    });
}

/// Short-term, integrated, range and PLR of an output, in two labelled rows.
fn loudness_rows(ui: &mut Ui, l: &OutputLoudness) {
    let r = &l.reading;
    let pair = |ui: &mut Ui, name: &str, value: String, unit: &str| {
        ui.label(RichText::new(name).color(DIM_TEXT));
        ui.label(RichText::new(format!("{value} {unit}")).color(BRIGHT_TEXT));
    };
    ui.horizontal(|ui| {
        pair(ui, "Short-term", loudness_text(Some(r.short_term_lufs)), "LUFS");
        pair(ui, "Integrated", loudness_text(Some(r.integrated_lufs)), "LUFS");
    })
    .response
    .on_hover_text("Loudness after ITU-R BS.1770-4 / EBU Tech 3341: short-term over the last 3 s, integrated (gated) since the last reset.");
    ui.horizontal(|ui| {
        let lra = (r.integrated_lufs > LOUDNESS_FLOOR_LUFS).then_some(r.loudness_range_lu);
        pair(ui, "LRA", loudness_text(lra), "LU");
        pair(ui, "PLR", loudness_text(l.plr_lu), "LU");
    })
    .response
    .on_hover_text("Loudness range (EBU Tech 3342) and peak-to-loudness ratio (highest true peak minus integrated loudness) since the last reset.");
}

/// Short-term and integrated loudness in one small line, for the cue strips.
fn loudness_compact(ui: &mut Ui, l: &OutputLoudness) {
    let r = &l.reading;
    ui.label(
        RichText::new(format!(
            "S {}  I {} LUFS",
            loudness_text(Some(r.short_term_lufs)),
            loudness_text(Some(r.integrated_lufs))
        ))
        .small()
        .color(DIM_TEXT),
    )
    .on_hover_text("Short-term loudness (last 3 s) and integrated loudness since the last reset, ITU-R BS.1770-4.");
}
