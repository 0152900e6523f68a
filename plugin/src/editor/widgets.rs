//! The parameter widgets every control uses, and the meter drawing. Each parameter change goes
//! through the host's begin/set/end gesture so automation records one clean gesture.

use egui::accesskit::Role;
use egui::{
    Align2, Color32, CornerRadius, FontId, Key, Rect, Response, Sense, Stroke, StrokeKind,
    TextEdit, Ui, Vec2, WidgetInfo,
};
use nice_plug::prelude::{Param, ParamSetter};

use super::meter_math::{db_to_fraction, fall_toward, lin_to_fraction, scale_marks};
use super::theme;
use cuewire_dsp::meter::OutputReading;
use cuewire_dsp::units::lin_to_db;

/// A normalised change per pixel of horizontal drag, as a share of the slider's width.
const DRAG_PER_WIDTH: f32 = 1.0;
/// Shift+drag moves this much slower.
const FINE_FACTOR: f32 = 0.1;
/// A normalised change per scroll notch (egui reports about 50 points per notch).
const SCROLL_PER_POINT: f32 = 0.02 / 50.0;
/// How the usage hint reads on every slider's tooltip.
const SLIDER_HINT: &str =
    "Drag to adjust, Shift+drag for fine steps, scroll to nudge, double-click for the default, right-click to type a value (units optional).";

/// Parses a typed value for `param`, accepting "−" for "-" and a unit with or without a space.
pub fn parse_typed<P: Param>(param: &P, text: &str) -> Option<f32> {
    let text = text.trim().replace('−', "-");
    param.string_to_normalized_value(&text).or_else(|| {
        let number = text
            .trim_end_matches(|c: char| c.is_alphabetic() || c.is_whitespace() || c == '%')
            .trim();
        param.string_to_normalized_value(number)
    })
}

/// Selects the whole of `text` in the text field `field_id` (shown from the next frame on).
fn select_all(ui: &Ui, field_id: egui::Id, text: &str) {
    let mut state = egui::text_edit::TextEditState::load(ui.ctx(), field_id).unwrap_or_default();
    state
        .cursor
        .set_char_range(Some(egui::text::CCursorRange::select_all_str(text)));
    state.store(ui.ctx(), field_id);
}

/// Why a typed entry was refused, in words: what the parameter accepts instead.
pub fn rejection_text<P: Param>(param: &P, text: &str) -> String {
    let low = param.normalized_value_to_string(0.0, true);
    let high = param.normalized_value_to_string(1.0, true);
    format!(
        "\u{201c}{}\u{201d} is not a value of {}: type a number from {low} to {high} (the unit is optional). Esc cancels.",
        text.trim(),
        param.name()
    )
}

/// A horizontal parameter slider with the value written on it.
pub fn slider<P: Param>(
    ui: &mut Ui,
    setter: &ParamSetter,
    param: &P,
    width: f32,
    tooltip: &str,
) -> Response {
    let height = ui.spacing().interact_size.y;
    let (rect, response) =
        ui.allocate_exact_size(Vec2::new(width, height), Sense::click_and_drag());
    response.widget_info(|| {
        let mut info = WidgetInfo::slider(
            true,
            f64::from(param.modulated_normalized_value()),
            param.name(),
        );
        info.current_text_value = Some(param.to_string());
        info
    });
    let id = response.id;
    let edit_id = id.with("typed");
    let editing: Option<String> = ui.data(|d| d.get_temp(edit_id));

    let field_id = edit_id.with("field");
    let rejected_id = edit_id.with("rejected");
    if let Some(mut text) = editing {
        let edit = ui.put(
            rect,
            TextEdit::singleline(&mut text)
                .id(field_id)
                .font(FontId::monospace(theme::BODY_PT)),
        );
        let enter = ui.input(|i| i.key_pressed(Key::Enter));
        let escape = ui.input(|i| i.key_pressed(Key::Escape));
        let mut close = escape || (edit.lost_focus() && !enter);
        if enter {
            match parse_typed(param, &text) {
                Some(normalized) => {
                    setter.begin_set_parameter(param);
                    setter.set_parameter_normalized(param, normalized);
                    setter.end_set_parameter(param);
                    close = true;
                }
                None => {
                    // Keep the field open with the entry selected, and say why.
                    ui.data_mut(|d| d.insert_temp(rejected_id, rejection_text(param, &text)));
                    select_all(ui, field_id, &text);
                    ui.memory_mut(|m| m.request_focus(field_id));
                }
            }
        }
        if close {
            ui.data_mut(|d| {
                d.remove::<String>(edit_id);
                d.remove::<String>(rejected_id);
            });
        } else {
            if let Some(why) = ui.data(|d| d.get_temp::<String>(rejected_id)) {
                edit.show_tooltip_ui(|ui| {
                    ui.colored_label(theme::RED, why);
                });
            }
            ui.data_mut(|d| d.insert_temp(edit_id, text));
        }
        return response;
    }

    let drag_start_id = id.with("drag_start");
    if response.drag_started() {
        setter.begin_set_parameter(param);
        ui.data_mut(|d| d.insert_temp(drag_start_id, param.unmodulated_normalized_value()));
    }
    if response.dragged() {
        let fine = ui.input(|i| i.modifiers.shift);
        let per_point = DRAG_PER_WIDTH / width.max(1.0) * if fine { FINE_FACTOR } else { 1.0 };
        // Accumulate in the unsnapped domain so stepped parameters still move under slow drags.
        let start: f32 = ui.data(|d| d.get_temp(drag_start_id)).unwrap_or(0.5);
        let target = (start + response.drag_delta().x * per_point).clamp(0.0, 1.0);
        ui.data_mut(|d| d.insert_temp(drag_start_id, target));
        setter.set_parameter_normalized(param, target);
    }
    if response.drag_stopped() {
        setter.end_set_parameter(param);
    }
    if response.double_clicked() {
        setter.begin_set_parameter(param);
        setter.set_parameter_normalized(param, param.default_normalized_value());
        setter.end_set_parameter(param);
    }
    if response.secondary_clicked() {
        // The old value opens selected, so typing replaces it.
        let text = param.to_string();
        select_all(ui, field_id, &text);
        ui.data_mut(|d| d.insert_temp(edit_id, text));
        ui.memory_mut(|m| m.request_focus(field_id));
    }
    if response.hovered() {
        // egui turns Shift+wheel into horizontal scrolling, so either axis counts.
        let (delta, fine) = ui.input(|i| (i.smooth_scroll_delta, i.modifiers.shift));
        let scroll = if delta.y != 0.0 { delta.y } else { delta.x };
        if scroll != 0.0 {
            // Consume it, so an enclosing scroll area doesn't scroll as well.
            ui.input_mut(|i| i.smooth_scroll_delta = Vec2::ZERO);
            let step = scroll * SCROLL_PER_POINT * if fine { FINE_FACTOR } else { 1.0 };
            let target = (param.unmodulated_normalized_value() + step).clamp(0.0, 1.0);
            setter.begin_set_parameter(param);
            setter.set_parameter_normalized(param, target);
            setter.end_set_parameter(param);
        }
    }

    if ui.is_rect_visible(rect) {
        let painter = ui.painter();
        let visuals = ui.style().interact(&response);
        painter.rect_filled(rect, CornerRadius::same(3), theme::SLIDER_BG);
        let mut filled = rect;
        filled.set_width(rect.width() * param.modulated_normalized_value());
        painter.rect_filled(filled, CornerRadius::same(3), theme::SLIDER_FILL);
        painter.rect_stroke(
            rect,
            CornerRadius::same(3),
            visuals.bg_stroke,
            StrokeKind::Inside,
        );
        painter.text(
            rect.center(),
            Align2::CENTER_CENTER,
            param.to_string(),
            FontId::proportional(theme::BODY_PT),
            Color32::WHITE,
        );
    }
    hover_text(response, || {
        format!("{}: {tooltip}\n{SLIDER_HINT}", param.name())
    })
}

/// [`hover_text`] as a method of a response.
pub trait HoverFmt {
    /// The tooltip `text()` makes, made only while hovered.
    fn on_hover_fmt(self, text: impl FnOnce() -> String) -> Response;
}

impl HoverFmt for Response {
    fn on_hover_fmt(self, text: impl FnOnce() -> String) -> Response {
        hover_text(self, text)
    }
}

/// Shows the text `text()` makes as the tooltip of `response`; the text is only made while the
/// pointer rests on it, not on every frame.
pub fn hover_text(response: Response, text: impl FnOnce() -> String) -> Response {
    response.on_hover_ui(|ui| {
        ui.label(text());
    })
}

/// A latching button for a boolean parameter.
pub fn toggle<P: Param<Plain = bool>>(
    ui: &mut Ui,
    setter: &ParamSetter,
    param: &P,
    label: &str,
    on_color: Color32,
    tooltip: &str,
) -> Response {
    let on = param.modulated_plain_value();
    let button = egui::Button::new(egui::RichText::new(label).color(if on {
        Color32::BLACK
    } else {
        theme::TEXT
    }))
    .fill(if on { on_color } else { theme::SLIDER_BG })
    .min_size(Vec2::new(0.0, ui.spacing().interact_size.y));
    let response = ui.add(button);
    if response.clicked() {
        setter.begin_set_parameter(param);
        setter.set_parameter(param, !on);
        setter.end_set_parameter(param);
    }
    hover_text(response, || {
        format!(
            "{}: {tooltip}\nClick to switch {}.",
            param.name(),
            if on { "off" } else { "on" }
        )
    })
}

/// A drop-down for any stepped parameter (an enum): lists every value by its name.
pub fn choice<P: Param>(
    ui: &mut Ui,
    setter: &ParamSetter,
    param: &P,
    width: f32,
    tooltip: &str,
) -> Response {
    let steps = param.step_count().unwrap_or(1).max(1);
    let current = param.unmodulated_normalized_value();
    let response = egui::ComboBox::from_id_salt(param.name())
        .width(width)
        .selected_text(param.to_string())
        .show_ui(ui, |ui| {
            for step in 0..=steps {
                let normalized = step as f32 / steps as f32;
                let selected = (normalized - current).abs() < 0.5 / steps as f32;
                let name = param.normalized_value_to_string(normalized, false);
                if ui.selectable_label(selected, name).clicked() && !selected {
                    setter.begin_set_parameter(param);
                    setter.set_parameter_normalized(param, normalized);
                    setter.end_set_parameter(param);
                }
            }
        })
        .response;
    response.widget_info(|| WidgetInfo::labeled(Role::ComboBox, true, param.name()));
    hover_text(response, || format!("{}: {tooltip}", param.name()))
}

/// A round LED with a caption; returns the response so a click can reset what it shows.
pub fn led(ui: &mut Ui, lit: bool, color: Color32, caption: &str, tooltip: &str) -> Response {
    let font = FontId::proportional(theme::BODY_PT);
    let text_w = ui
        .painter()
        .layout_no_wrap(caption.to_owned(), font.clone(), theme::TEXT)
        .size()
        .x;
    let d = ui.spacing().interact_size.y * 0.6;
    let (rect, response) =
        ui.allocate_exact_size(Vec2::new(d + 4.0 + text_w, d.max(14.0)), Sense::click());
    response.widget_info(|| WidgetInfo::labeled(Role::Button, true, caption));
    let center = egui::pos2(rect.left() + d / 2.0, rect.center().y);
    let painter = ui.painter();
    painter.circle(
        center,
        d / 2.0,
        if lit { color } else { theme::LED_OFF },
        Stroke::new(1.0, Color32::from_gray(20)),
    );
    painter.text(
        egui::pos2(rect.left() + d + 4.0, rect.center().y),
        Align2::LEFT_CENTER,
        caption,
        font,
        theme::TEXT,
    );
    response.on_hover_text(tooltip)
}

/// The peak bar each meter keeps between frames: the falling display per channel, dBFS.
#[derive(Clone, Copy, Debug)]
pub struct PeakBallistics {
    shown_db: [f32; 2],
}

impl Default for PeakBallistics {
    fn default() -> Self {
        Self {
            shown_db: [f32::NEG_INFINITY; 2],
        }
    }
}

impl PeakBallistics {
    /// The displayed peak per channel, dBFS (the bar's floor or below when empty).
    pub fn shown_db(&self) -> [f32; 2] {
        self.shown_db
    }

    /// Folds this frame's block peaks in; returns the displayed peak per channel, dBFS.
    pub fn update(&mut self, reading: &OutputReading, dt_s: f32) -> [f32; 2] {
        for (ch, shown) in self.shown_db.iter_mut().enumerate() {
            *shown = fall_toward(*shown, lin_to_db(reading.sample_peak_lin[ch]), dt_s);
        }
        self.shown_db
    }
}

/// Draws a two-channel horizontal meter (peak bar, RMS bar, true-peak tick, held-peak marker)
/// with its dB scale beneath when `scale` is set; returns the click response (latch reset).
pub fn meter(
    ui: &mut Ui,
    reading: &OutputReading,
    shown_peak_db: [f32; 2],
    size: Vec2,
    scale: bool,
    tooltip: &str,
) -> Response {
    let scale_h = if scale { theme::SMALL_PT + 4.0 } else { 0.0 };
    let (rect, response) = ui.allocate_exact_size(size + Vec2::new(0.0, scale_h), Sense::click());
    response.widget_info(|| WidgetInfo::labeled(Role::Meter, true, tooltip));
    let bars = Rect::from_min_size(rect.min, size);
    let painter = ui.painter_at(rect.expand(1.0));
    painter.rect_filled(bars, CornerRadius::same(2), theme::METER_BG);
    let gap = 2.0;
    let bar_h = (size.y - gap) / 2.0;
    let x_at = |fraction: f32| bars.left() + fraction * bars.width();
    for (ch, &peak_db) in shown_peak_db.iter().enumerate() {
        let top = bars.top() + ch as f32 * (bar_h + gap);
        let row = Rect::from_min_size(egui::pos2(bars.left(), top), Vec2::new(size.x, bar_h));
        // Peak as a dimmed bar, RMS as a bright inner bar, both coloured by zone.
        fill_zones(&painter, row, db_to_fraction(peak_db), 0.5, false);
        fill_zones(
            &painter,
            row.shrink2(Vec2::new(0.0, bar_h * 0.25)),
            lin_to_fraction(reading.rms_lin[ch]),
            1.0,
            false,
        );
        let tick = |fraction: f32, color: Color32, width: f32| {
            if fraction > 0.0 {
                let x = x_at(fraction);
                painter.line_segment(
                    [egui::pos2(x, row.top()), egui::pos2(x, row.bottom())],
                    Stroke::new(width, color),
                );
            }
        };
        tick(lin_to_fraction(reading.true_peak_lin[ch]), theme::TEXT, 1.0);
        tick(lin_to_fraction(reading.held_peak_lin[ch]), theme::HOLD, 2.0);
    }
    // Full scale, so the eye finds 0 dBFS on every meter.
    let zero = x_at(db_to_fraction(0.0));
    painter.line_segment(
        [
            egui::pos2(zero, bars.top()),
            egui::pos2(zero, bars.bottom()),
        ],
        Stroke::new(1.0, theme::RED.gamma_multiply(0.7)),
    );
    if scale {
        let font = FontId::proportional(theme::SMALL_PT);
        let mut last_right = f32::NEG_INFINITY;
        for (db, fraction) in scale_marks() {
            let x = x_at(fraction);
            painter.line_segment(
                [
                    egui::pos2(x, bars.bottom()),
                    egui::pos2(x, bars.bottom() + 3.0),
                ],
                Stroke::new(1.0, theme::DIM_TEXT),
            );
            let label = format!("{db:.0}");
            let galley = painter.layout_no_wrap(label, font.clone(), theme::DIM_TEXT);
            let left =
                (x - galley.size().x / 2.0).clamp(bars.left(), bars.right() - galley.size().x);
            // Skip labels that would touch the previous one on narrow meters.
            if left > last_right + 3.0 {
                painter.galley(
                    egui::pos2(left, bars.bottom() + 3.0),
                    galley.clone(),
                    theme::DIM_TEXT,
                );
                last_right = left + galley.size().x;
            }
        }
    }
    hover_text(response, || {
        format!(
        "{tooltip}\nBar: peak (falls 20 dB/s); inner bar: RMS (300 ms); thin tick: true peak; thick tick: held peak. Click to reset the held peak, headroom and clip count."
    )
    })
}

/// Fills `row` from its left edge (its bottom edge when `vertical`) to `fraction` of its
/// length: green below −6 dBFS, amber up to 0 dBFS, red above, each at `alpha` opacity.
fn fill_zones(painter: &egui::Painter, row: Rect, fraction: f32, alpha: f32, vertical: bool) {
    let zones = [
        (0.0, db_to_fraction(-6.0), theme::GREEN),
        (db_to_fraction(-6.0), db_to_fraction(0.0), theme::AMBER),
        (db_to_fraction(0.0), 1.0, theme::RED),
    ];
    for (from, to, color) in zones {
        let to = to.min(fraction);
        if to > from {
            let zone = if vertical {
                let y = |f: f32| row.bottom() - f * row.height();
                Rect::from_x_y_ranges(row.x_range(), y(to)..=y(from))
            } else {
                let x = |f: f32| row.left() + f * row.width();
                Rect::from_x_y_ranges(x(from)..=x(to), row.y_range())
            };
            painter.rect_filled(zone, CornerRadius::ZERO, color.gamma_multiply(alpha));
        }
    }
}

/// A two-channel vertical meter for the Big view (peak bar, RMS bar, true-peak and held-peak
/// ticks, 0 dBFS line, scale marks on the left); returns the click response (latch reset).
pub fn vertical_meter(
    ui: &mut Ui,
    reading: &OutputReading,
    shown_peak_db: [f32; 2],
    size: Vec2,
) -> Response {
    let (rect, response) = ui.allocate_exact_size(size, Sense::click());
    response.widget_info(|| WidgetInfo::labeled(Role::Meter, true, "meter"));
    let painter = ui.painter_at(rect.expand(1.0));
    let font = FontId::proportional(theme::SMALL_PT);
    let scale_w = 2.5 * theme::SMALL_PT;
    // Half a label's height above and below, so the end marks' labels stay whole.
    let pad = 0.5 * theme::SMALL_PT + 1.0;
    let bars = Rect::from_min_max(
        egui::pos2(rect.left() + scale_w, rect.top() + pad),
        egui::pos2(rect.right(), rect.bottom() - pad),
    );
    painter.rect_filled(bars, CornerRadius::same(2), theme::METER_BG);
    let y_at = |fraction: f32| bars.bottom() - fraction * bars.height();
    for (db, fraction) in scale_marks() {
        painter.text(
            egui::pos2(bars.left() - 3.0, y_at(fraction)),
            Align2::RIGHT_CENTER,
            format!("{db:.0}"),
            font.clone(),
            theme::DIM_TEXT,
        );
    }
    let gap = 3.0;
    let bar_w = (bars.width() - gap) / 2.0;
    for (ch, &peak_db) in shown_peak_db.iter().enumerate() {
        let left = bars.left() + ch as f32 * (bar_w + gap);
        let col = Rect::from_min_size(
            egui::pos2(left, bars.top()),
            Vec2::new(bar_w, bars.height()),
        );
        fill_zones(&painter, col, db_to_fraction(peak_db), 0.5, true);
        fill_zones(
            &painter,
            col.shrink2(Vec2::new(bar_w * 0.25, 0.0)),
            lin_to_fraction(reading.rms_lin[ch]),
            1.0,
            true,
        );
        let tick = |fraction: f32, color: Color32, width: f32| {
            if fraction > 0.0 {
                let y = y_at(fraction);
                painter.line_segment(
                    [egui::pos2(col.left(), y), egui::pos2(col.right(), y)],
                    Stroke::new(width, color),
                );
            }
        };
        tick(lin_to_fraction(reading.true_peak_lin[ch]), theme::TEXT, 1.0);
        tick(lin_to_fraction(reading.held_peak_lin[ch]), theme::HOLD, 2.0);
    }
    let zero = y_at(db_to_fraction(0.0));
    painter.line_segment(
        [
            egui::pos2(bars.left(), zero),
            egui::pos2(bars.right(), zero),
        ],
        Stroke::new(1.0, theme::RED.gamma_multiply(0.7)),
    );
    response.on_hover_text("Bars: peak (falls 20 dB/s); inner bars: RMS (300 ms); thin tick: true peak; thick tick: held peak. Click to reset the held peak, headroom and clip count.")
}

/// A large clip LED with its caption under the Big view's meters.
pub fn big_led(ui: &mut Ui, lit: bool, caption: &str) -> Response {
    let font = FontId::proportional(theme::HEADING_PT);
    let galley = ui
        .painter()
        .layout_no_wrap(caption.to_owned(), font, theme::TEXT);
    let d = theme::BIG_LED;
    let size = Vec2::new(d + 6.0 + galley.size().x, d);
    let (rect, response) = ui.allocate_exact_size(size, Sense::click());
    response.widget_info(|| WidgetInfo::labeled(Role::Button, true, caption));
    let painter = ui.painter();
    painter.circle(
        egui::pos2(rect.left() + d / 2.0, rect.center().y),
        d / 2.0,
        if lit { theme::RED } else { theme::LED_OFF },
        Stroke::new(1.0, Color32::from_gray(20)),
    );
    painter.galley(
        egui::pos2(
            rect.left() + d + 6.0,
            rect.center().y - galley.size().y / 2.0,
        ),
        galley,
        theme::TEXT,
    );
    response
}

/// The dose bar: `dose_percent` (0..100 %, fuller beyond) filled, `caption` written on it;
/// returns the click response (the caller resets the exposure).
pub fn dose_bar(ui: &mut Ui, dose_percent: f64, caption: &str, size: Vec2) -> Response {
    let (rect, response) = ui.allocate_exact_size(size, Sense::click());
    response.widget_info(|| WidgetInfo::labeled(Role::Meter, true, caption));
    let painter = ui.painter();
    painter.rect_filled(rect, CornerRadius::same(2), theme::METER_BG);
    let share = if dose_percent.is_finite() {
        (dose_percent / 100.0).clamp(0.0, 1.0) as f32
    } else {
        0.0
    };
    let mut filled = rect;
    filled.set_width(rect.width() * share);
    let fill = if share >= 1.0 {
        theme::RED
    } else {
        theme::DOSE_FILL
    };
    painter.rect_filled(filled, CornerRadius::same(2), fill);
    painter.text(
        rect.center(),
        Align2::CENTER_CENTER,
        caption,
        FontId::proportional(theme::SMALL_PT),
        theme::BRIGHT_TEXT,
    );
    response
}

/// The vectorscope square: `points` (x, y in −1..1, oldest first) as dots fading with age,
/// over the mono and one-ear axes.
pub fn vectorscope(
    ui: &mut Ui,
    points: impl ExactSizeIterator<Item = (f32, f32)>,
    size: Vec2,
) -> Response {
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    response.widget_info(|| WidgetInfo::labeled(Role::Image, true, "vectorscope"));
    if !ui.is_rect_visible(rect) {
        return response;
    }
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, CornerRadius::same(2), theme::METER_BG);
    let c = rect.center();
    let r = 0.5 * rect.width().min(rect.height()) - 2.0;
    let axis = Stroke::new(1.0, theme::PANEL);
    painter.line_segment([c - Vec2::new(0.0, r), c + Vec2::new(0.0, r)], axis);
    painter.line_segment([c - Vec2::new(r, 0.0), c + Vec2::new(r, 0.0)], axis);
    painter.line_segment([c + Vec2::new(-r, -r), c + Vec2::new(r, r)], axis);
    painter.line_segment([c + Vec2::new(r, -r), c + Vec2::new(-r, r)], axis);
    let n = points.len().max(1);
    let mut mesh = egui::Mesh::default();
    mesh.reserve_triangles(2 * n);
    mesh.reserve_vertices(4 * n);
    let dot = Vec2::splat(0.75);
    for (i, (x, y)) in points.enumerate() {
        // Decay: the newest point is opaque, the oldest nearly gone.
        let alpha = (i + 1) as f32 / n as f32;
        let p = c + Vec2::new(x * r, -y * r);
        mesh.add_colored_rect(
            Rect::from_center_size(p, 2.0 * dot),
            theme::SCOPE_DOT.gamma_multiply(alpha),
        );
    }
    painter.add(mesh);
    response
}

/// A horizontal bar centred on zero for a value in `range` (correlation, balance).
pub fn centre_bar(ui: &mut Ui, value: f32, range: f32, size: Vec2, color: Color32) -> Response {
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    response.widget_info(|| WidgetInfo::labeled(Role::Meter, true, "centre bar"));
    let painter = ui.painter();
    painter.rect_filled(rect, CornerRadius::same(2), theme::METER_BG);
    let mid = rect.center().x;
    let v = if value.is_finite() {
        (value / range).clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let x = mid + v * rect.width() / 2.0;
    let bar = Rect::from_x_y_ranges(mid.min(x)..=mid.max(x), rect.y_range());
    painter.rect_filled(bar, CornerRadius::ZERO, color);
    painter.line_segment(
        [egui::pos2(mid, rect.top()), egui::pos2(mid, rect.bottom())],
        Stroke::new(1.0, theme::DIM_TEXT),
    );
    response
}
