//! The editor driven as a person uses it, headless.

use egui::FontId;

use super::*;
use crate::param_access::ParamAccess;
use cuewire_dsp::autofix::AutoFixDecision;

/// Every source file of the editor: each string literal it can show is in one of these.
const EDITOR_SOURCES: [&str; 14] = [
    include_str!("mod.rs"),
    include_str!("panels.rs"),
    include_str!("panels/cues.rs"),
    include_str!("panels/input.rs"),
    include_str!("panels/main_out.rs"),
    include_str!("panels/settings.rs"),
    include_str!("panels/spectrum.rs"),
    include_str!("panels/stereo.rs"),
    include_str!("meter_math.rs"),
    include_str!("spectrum.rs"),
    include_str!("theme.rs"),
    include_str!("widgets.rs"),
    include_str!("../params.rs"),
    include_str!("../../dsp/src/autofix.rs"),
];

/// Every text the editor can show: parameter names and value texts (every step of a stepped
/// parameter, 101 points across a continuous one), the code lines of the editor's sources
/// (so every literal), and the texts formed at run time from other crates.
fn every_editor_text() -> Vec<String> {
    let params = CuewireParams::default();
    let mut texts = Vec::new();
    for (_, p) in ParamAccess::new(&params).iter() {
        texts.push(p.name());
        match p.step_texts() {
            Some(steps) => texts.extend(steps),
            None => texts.extend((0..=100).map(|i| p.text_of(i as f32 / 100.0))),
        }
    }
    for source in EDITOR_SOURCES {
        texts.extend(
            source
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .map(str::to_owned),
        );
    }
    for decision in [
        AutoFixDecision::NoFault,
        AutoFixDecision::LeftOnly,
        AutoFixDecision::RightOnly,
        AutoFixDecision::AntiPhase,
    ] {
        texts.push(decision.label().to_owned());
    }
    texts.push(widgets::rejection_text(&params.main.gain_db, "abc"));
    texts
}

/// The characters of `texts` that the fonts `defs` draw as an empty box, per family.
fn missing_glyphs(defs: egui::FontDefinitions, texts: &[String]) -> Vec<(char, &'static str)> {
    let ctx = egui::Context::default();
    ctx.set_fonts(defs);
    ctx.run_ui(egui::RawInput::default(), |_| {})
        .textures_delta
        .clear();
    let mut missing = Vec::new();
    ctx.fonts_mut(|fonts| {
        for (family, font) in [
            ("proportional", FontId::proportional(BODY_PT)),
            ("monospace", FontId::monospace(BODY_PT)),
        ] {
            for c in texts.iter().flat_map(|t| t.chars()) {
                if !c.is_control() && !fonts.has_glyph(&font, c) && !missing.contains(&(c, family))
                {
                    missing.push((c, family));
                }
            }
        }
    });
    missing
}

#[test]
fn every_string_the_editor_can_show_has_its_glyphs_in_its_fonts() {
    let texts = every_editor_text();
    assert!(texts.iter().any(|t| t.contains('→')));
    assert_eq!(missing_glyphs(fonts(), &texts), vec![]);
    // egui's own fonts alone lack the arrow: the check does see a missing glyph.
    let without = missing_glyphs(egui::FontDefinitions::default(), &texts);
    assert!(without.contains(&('→', "proportional")), "{without:?}");
}
