//! Colours and type sizes of the editor, in one place.

use egui::Color32;

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
