//! The stereo panel: the vectorscope beside correlation and balance of the main output.

use crate::editor::widgets::HoverFmt;
use egui::{RichText, Ui, Vec2};

use crate::editor::theme::*;
use crate::editor::{widgets, EditorApp};

/// Balance bar range either side of centre, dB.
const BALANCE_RANGE_DB: f32 = 12.0;

impl EditorApp {
    pub(crate) fn stereo_panel(&mut self, ui: &mut Ui) {
        let stereo = self.readouts.stereo;
        self.scope.update(&self.shared.spectrum.main_stereo);
        super::panel(ui, "STEREO", |ui| {
            let w = ui.available_width();
            let side = SCOPE_SIZE.min(w * 0.5);
            ui.horizontal_top(|ui| {
                let (points, zoom) = self.scope.points();
                widgets::vectorscope(ui, points, Vec2::splat(side))
                    .on_hover_fmt(|| format!(
                        "Vectorscope of the main output (the last 43 ms, older points fainter): mid up, side across. Mono is a vertical line, a wide mix a cloud, one ear alone leans 45° to its side, anti-phase lies flat. Zoomed ×{zoom:.1} to fit."
                    ));
                ui.vertical(|ui| {
                    let bar_w = ui.available_width().max(MIN_SLIDER_WIDTH);
                    ui.label(RichText::new(format!("Correlation {:+.2}", stereo.correlation)).small());
                    widgets::centre_bar(ui, stereo.correlation, 1.0, Vec2::new(bar_w, STEREO_BAR_HEIGHT), STEREO_BAR)
                        .on_hover_text("Correlation of L and R: +1 mono, 0 unrelated, −1 anti-phase (cancels on a mono speaker).");
                    ui.label(RichText::new(format!("Balance {:+.1} dB", stereo.balance_db)).small());
                    widgets::centre_bar(ui, stereo.balance_db, BALANCE_RANGE_DB, Vec2::new(bar_w, STEREO_BAR_HEIGHT), STEREO_BAR)
                        .on_hover_text("R minus L level: right of centre means the right ear is louder (±12 dB shown).");
                });
            });
        });
    }
}
