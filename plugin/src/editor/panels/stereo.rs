//! The stereo panel: correlation and balance of the main output.

use egui::{Ui, Vec2};

use super::{panel, row_label};
use crate::editor::theme::*;
use crate::editor::{widgets, EditorApp};

/// Balance bar range either side of centre, dB.
const BALANCE_RANGE_DB: f32 = 12.0;

impl EditorApp {
    pub(crate) fn stereo_panel(&mut self, ui: &mut Ui) {
        let stereo = self.shared.main_extras.stereo();
        panel(ui, "STEREO", |ui| {
            let w = ui.available_width();
            let bar_w = (w - STEREO_BAR_RESERVE).max(MIN_SLIDER_WIDTH);
            ui.horizontal(|ui| {
                row_label(ui, "Correlation", STEREO_LABEL_WIDTH);
                widgets::centre_bar(ui, stereo.correlation, 1.0, Vec2::new(bar_w, STEREO_BAR_HEIGHT), STEREO_BAR)
                    .on_hover_text("Correlation of L and R: +1 mono, 0 unrelated, −1 anti-phase (cancels on a mono speaker).");
                ui.label(format!("{:+.2}", stereo.correlation));
            });
            ui.horizontal(|ui| {
                row_label(ui, "Balance", STEREO_LABEL_WIDTH);
                widgets::centre_bar(ui, stereo.balance_db, BALANCE_RANGE_DB, Vec2::new(bar_w, STEREO_BAR_HEIGHT), STEREO_BAR)
                    .on_hover_text("R minus L level: right of centre means the right ear is louder (±12 dB shown).");
                ui.label(format!("{:+.1} dB", stereo.balance_db));
            });
        });
    }
}
