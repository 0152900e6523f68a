//! Colours and type sizes of the editor, in one place.

use egui::{Color32, FontData, FontDefinitions, FontFamily, Vec2};

/// Body text size, points.
pub const BODY_PT: f32 = 13.0;
/// Scale labels and secondary readouts, points.
pub const SMALL_PT: f32 = 10.5;
/// Section headings, points.
pub const HEADING_PT: f32 = 12.0;
/// The main headroom numerals, points.
pub const BIG_PT: f32 = 30.0;

/// Window background.
pub const BG: Color32 = Color32::from_rgb(24, 26, 30);
/// Panel background.
pub const PANEL: Color32 = Color32::from_rgb(33, 36, 42);
/// Ordinary text.
pub const TEXT: Color32 = Color32::from_rgb(222, 226, 232);
/// Secondary text.
pub const DIM_TEXT: Color32 = Color32::from_rgb(140, 147, 158);
/// Slider track.
pub const SLIDER_BG: Color32 = Color32::from_rgb(48, 52, 60);
/// Slider fill.
pub const SLIDER_FILL: Color32 = Color32::from_rgb(52, 108, 160);
/// Meter background.
pub const METER_BG: Color32 = Color32::from_rgb(16, 17, 20);
/// Meter: below −6 dBFS; also "on" for neutral switches.
pub const GREEN: Color32 = Color32::from_rgb(70, 200, 110);
/// Meter: −6..0 dBFS; also warning lamps.
pub const AMBER: Color32 = Color32::from_rgb(240, 180, 50);
/// Meter: over 0 dBFS; clip LEDs; mute.
pub const RED: Color32 = Color32::from_rgb(235, 70, 60);
/// Held-peak marker.
pub const HOLD: Color32 = Color32::from_rgb(255, 240, 160);
/// An unlit LED.
pub const LED_OFF: Color32 = Color32::from_rgb(60, 40, 40);
/// Spectrum: the main output.
pub const SPECTRUM_MAIN: Color32 = Color32::from_rgb(110, 190, 255);
/// Spectrum: the common-mode (rejected) signal.
pub const SPECTRUM_CM: Color32 = Color32::from_rgb(255, 120, 90);
/// Correlation and balance bars.
pub const STEREO_BAR: Color32 = Color32::from_rgb(120, 170, 230);
/// Ear level by band (see `meter_math::ear_band`): under 80, 80–85, 85–94, over 94 dB(A).
pub const EAR_BANDS: [Color32; 4] = [
    Color32::from_rgb(110, 205, 140),
    Color32::from_rgb(215, 210, 90),
    Color32::from_rgb(245, 150, 55),
    Color32::from_rgb(240, 75, 65),
];
/// The level limit's gain reduction is shown above this, dB.
pub const LIMIT_SHOWN_ABOVE_DB: f32 = 0.05;
/// The dose bar's fill.
pub const DOSE_FILL: Color32 = Color32::from_rgb(150, 120, 210);
/// The ear-level numerals on the main strip, points.
pub const EAR_PT: f32 = 24.0;
/// The ear-level numerals on a cue strip, points.
pub const CUE_EAR_PT: f32 = 17.0;
/// Height of a dose bar, points.
pub const DOSE_BAR_HEIGHT: f32 = 16.0;
/// The Big view's headroom and loudness numerals, points.
pub const BIG_VIEW_PT: f32 = 44.0;
/// The Big view's meters, share of the window's height.
pub const BIG_METER_SHARE: f32 = 0.62;
/// Diameter of the Big view's clip LEDs, points.
pub const BIG_LED: f32 = 26.0;
/// Widest Big-view meter, points.
pub const BIG_METER_MAX_WIDTH: f32 = 90.0;
/// Held-peak and headroom numerals that must stand out.
pub const BRIGHT_TEXT: Color32 = Color32::WHITE;
/// The TALK button and Talk switches while on.
pub const TALK_LIT: Color32 = Color32::from_rgb(255, 140, 40);
/// A cue's LISTEN button while main carries that cue.
pub const LISTEN_LIT: Color32 = Color32::from_rgb(110, 190, 255);

/// The title in the top bar and egui's heading style, points.
pub const TITLE_PT: f32 = 18.0;
/// Space between items, points (horizontal, vertical).
pub const ITEM_SPACING: Vec2 = Vec2::new(6.0, 5.0);
/// Height of buttons, sliders and other controls, points.
pub const CONTROL_HEIGHT: f32 = 20.0;
/// Corner radius of a panel, points.
pub const PANEL_RADIUS: u8 = 4;
/// Margin inside a panel and around the window's contents, points.
pub const PANEL_MARGIN: i8 = 6;
/// What the window's frame, margins and scroll bars take from its minimum size, points.
pub const WINDOW_CHROME: Vec2 = Vec2::splat(28.0);
/// What the top bar and margins take from the minimum size before the columns, points.
pub const BODY_CHROME: Vec2 = Vec2::new(16.0, 48.0);
/// Width of the left (input) and middle (main) columns, shares of the window.
pub const LEFT_COLUMN_SHARE: f32 = 0.27;
/// See [`LEFT_COLUMN_SHARE`].
pub const MIDDLE_COLUMN_SHARE: f32 = 0.32;
/// Width of the UI-scale menu, points.
pub const SCALE_MENU_WIDTH: f32 = 64.0;

/// Gap between a row's label and its control, points.
pub const LABEL_GAP: f32 = 8.0;
/// Narrowest slider, points.
pub const MIN_SLIDER_WIDTH: f32 = 60.0;
/// Label column of the input panel, points.
pub const INPUT_LABEL_WIDTH: f32 = 74.0;
/// Label column of the main panel, points.
pub const MAIN_LABEL_WIDTH: f32 = 58.0;
/// Side of the vectorscope square, points (at most half the panel).
pub const SCOPE_SIZE: f32 = 120.0;
/// Vectorscope points, at full opacity for the newest.
pub const SCOPE_DOT: Color32 = Color32::from_rgb(120, 220, 170);
/// Height of the correlation and balance bars, points.
pub const STEREO_BAR_HEIGHT: f32 = 12.0;
/// Height of the input meter, points.
pub const INPUT_METER_HEIGHT: f32 = 34.0;
/// Height of the main meter, points.
pub const MAIN_METER_HEIGHT: f32 = 64.0;

/// Height the cue grid takes below the spectrum, points.
pub const CUE_GRID_HEIGHT: f32 = 398.0;
/// Height of the TALK button, points.
pub const TALK_BUTTON_HEIGHT: f32 = 44.0;
/// The TALK button's caption, points.
pub const TALK_BUTTON_PT: f32 = 20.0;
/// Height of the talk meter, points.
pub const TALK_METER_HEIGHT: f32 = 14.0;
/// The spectrum panel's smallest height, points: at the minimum window size Cuewire Monitor's
/// spectrum gets this much above the cue grid.
pub const MIN_SPECTRUM_PANEL_HEIGHT: f32 = 150.0;
/// What the spectrum panel's title, legend and margins take, points.
pub const SPECTRUM_CHROME_HEIGHT: f32 = 60.0;
/// The spectrum plot's smallest height, points.
pub const MIN_SPECTRUM_PLOT_HEIGHT: f32 = 80.0;
/// Width of a spectrum curve, points.
pub const CURVE_WIDTH: f32 = 1.5;
/// Width of a grid line, points.
pub const GRID_WIDTH: f32 = 1.0;

/// Label column of a cue strip, points.
pub const CUE_LABEL_WIDTH: f32 = 34.0;
/// Narrowest control in a cue strip, points.
pub const MIN_CUE_CONTROL_WIDTH: f32 = 40.0;
/// Room left beside a menu that fills its panel or half of it, points.
pub const MENU_INSET: f32 = 10.0;
/// Height of a cue meter, points.
pub const CUE_METER_HEIGHT: f32 = 14.0;
/// Space between the settings grid's columns and rows, points.
pub const GRID_SPACING: [f32; 2] = [12.0, 6.0];

/// Name of the fallback font in the editor's font definitions.
const FALLBACK_FONT: &str = "DejaVuSans";

/// The editor's fonts: egui's defaults, then DejaVu Sans for every glyph they lack (egui's
/// Ubuntu Light has no arrows, so "Left → both" would draw an empty box).
pub fn fonts() -> FontDefinitions {
    let mut fonts = FontDefinitions::default();
    fonts.font_data.insert(
        FALLBACK_FONT.to_owned(),
        std::sync::Arc::new(FontData::from_static(dejavu::sans::regular())),
    );
    for family in [FontFamily::Proportional, FontFamily::Monospace] {
        let list = fonts.families.entry(family).or_default();
        // After the family's own first font, before the emoji fonts.
        list.insert(1.min(list.len()), FALLBACK_FONT.to_owned());
    }
    fonts
}
