//! The editor driven as a person uses it, headless: through egui_kittest's harness (clicks,
//! typing, the widget tree) and through the fonts.

use egui::accesskit::Role;
use egui::{FontId, Key, Modifiers, Rect};
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;

use super::headless::{HeadlessEditor, LiveFeed};
use super::*;
use crate::param_access::{GestureCall, ParamAccess};
use crate::shared::{DEFAULT_EDITOR_HEIGHT, DEFAULT_EDITOR_WIDTH};
use cuewire_dsp::autofix::AutoFixDecision;

/// Every source file of the editor: each string literal it can show is in one of these.
const EDITOR_SOURCES: [&str; 16] = [
    include_str!("mod.rs"),
    include_str!("panels.rs"),
    include_str!("panels/big.rs"),
    include_str!("panels/talk.rs"),
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
    texts.extend(rendered_texts());
    texts
}

/// Every text the editor draws, as drawn, in both views of both plugins (Cuewire Monitor and
/// the insert share one parameter set, so the value texts above cover both) with every meter
/// showing live values: the readouts formed at run time.
fn rendered_texts() -> Vec<String> {
    fn collect(shape: &egui::Shape, texts: &mut Vec<String>) {
        match shape {
            egui::Shape::Text(t) => texts.push(t.galley.text().to_owned()),
            egui::Shape::Vec(shapes) => shapes.iter().for_each(|s| collect(s, texts)),
            _ => {}
        }
    }
    let mut texts = Vec::new();
    for monitor in [false, true] {
        for big in [false, true] {
            let params = Arc::new(CuewireParams::default());
            params.settings.set_big_view(big);
            let shared = Arc::new(Shared::default());
            let mut feed = LiveFeed::new(monitor);
            let mut editor = HeadlessEditor::new(params, shared.clone(), monitor);
            let ctx = egui::Context::default();
            HeadlessEditor::setup(&ctx);
            for frame in 0..3 {
                feed.feed(&shared, 0.25);
                let input = egui::RawInput {
                    screen_rect: Some(Rect::from_min_size(egui::Pos2::ZERO, default_size())),
                    time: Some(f64::from(frame) * 0.25),
                    ..Default::default()
                };
                let mut out = ctx.run_ui(input, |ui| editor.ui(ui));
                out.textures_delta.clear();
                out.shapes
                    .iter()
                    .for_each(|c| collect(&c.shape, &mut texts));
            }
        }
    }
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
    // The drawn readouts are in: the ear level's unit, a cue strip's loudness line.
    assert!(texts.iter().any(|t| t == "dB(A)"));
    assert!(texts
        .iter()
        .any(|t| t.starts_with("S -") && t.ends_with(" LUFS")));
    assert_eq!(missing_glyphs(fonts(), &texts), vec![]);
    // egui's own fonts alone lack the arrow: the check does see a missing glyph.
    let without = missing_glyphs(egui::FontDefinitions::default(), &texts);
    assert!(without.contains(&('→', "proportional")), "{without:?}");
}

/// An open editor in the harness, over its own parameters and a live feed.
struct Open {
    harness: Harness<'static, HeadlessEditor>,
    params: Arc<CuewireParams>,
}

/// The editor's default window size, points.
fn default_size() -> Vec2 {
    Vec2::new(DEFAULT_EDITOR_WIDTH as f32, DEFAULT_EDITOR_HEIGHT as f32)
}

/// The editor's minimum window size, points.
fn min_size() -> Vec2 {
    Vec2::new(MIN_EDITOR_WIDTH as f32, MIN_EDITOR_HEIGHT as f32)
}

/// Opens the editor of Cuewire Monitor (`monitor`) or the insert at `size` points, UI scale
/// `scale`, in the Big view or the Detail view, with every meter showing signal; a few frames
/// run so the window has settled.
fn open(monitor: bool, big: bool, scale: f32, size: Vec2) -> Open {
    let params = Arc::new(CuewireParams::default());
    params
        .settings
        .set_editor_prefs(size.x as u32, size.y as u32, scale);
    params.settings.set_big_view(big);
    let shared = Arc::new(Shared::default());
    LiveFeed::new(monitor).feed(&shared, 0.5);
    let editor = HeadlessEditor::new(params.clone(), shared, monitor);
    let mut harness = Harness::builder()
        .with_size(size)
        .with_theme(egui::Theme::Dark)
        // A host window keeps its size in points when the scale changes (the plugin's window
        // grows in pixels): the harness's fixed size in points with the zoom set up front.
        .with_context_setup(move |ctx| {
            HeadlessEditor::setup(ctx);
            ctx.set_zoom_factor(scale);
        })
        .build_ui_state(|ui, editor: &mut HeadlessEditor| editor.ui(ui), editor);
    harness.run_steps(4);
    Open { harness, params }
}

impl Open {
    /// Parameter calls since the last look, by id.
    fn calls(&self) -> Vec<GestureCall> {
        self.harness.state().recorder().take_calls()
    }

    /// Clicks the `nth` widget labelled `label` (in reading order of the widget tree) and lets
    /// the frames run.
    fn click(&mut self, label: &str, nth: usize) {
        self.harness
            .get_all_by_label(label)
            .nth(nth)
            .unwrap_or_else(|| panic!("no {nth}th widget labelled {label}"))
            .click();
        self.harness.run_steps(4);
    }
}

/// The calls of one complete gesture setting `id` to `normalized`.
fn gesture(id: &str, normalized: f32) -> Vec<GestureCall> {
    vec![
        GestureCall::Begin(id.to_owned()),
        GestureCall::Set(id.to_owned(), normalized),
        GestureCall::End(id.to_owned()),
    ]
}

#[test]
fn clicking_mute_dim_a_cues_on_talk_and_listen_changes_the_parameter() {
    let mut ed = open(true, false, 1.0, default_size());
    let p = ed.params.clone();
    assert_eq!(ed.calls(), vec![]);

    // Main's Mute and Dim come before the cues' in the widget tree.
    assert!(!p.main.mute.value());
    ed.click("Mute", 0);
    assert!(p.main.mute.value());
    assert_eq!(ed.calls(), gesture("main_mute", 1.0));
    ed.click("Mute", 0);
    assert!(!p.main.mute.value());
    assert_eq!(ed.calls(), gesture("main_mute", 0.0));

    assert!(!p.main.dim.value());
    ed.click("Dim", 0);
    assert!(p.main.dim.value());
    assert_eq!(ed.calls(), gesture("main_dim", 1.0));

    // Cue 3's On (the third On of the grid), and nothing else.
    assert!(p.cues.iter().all(|c| !c.on.value()));
    ed.click("On", 2);
    assert_eq!(
        p.cues.iter().map(|c| c.on.value()).collect::<Vec<_>>(),
        [false, false, true, false]
    );
    assert_eq!(ed.calls(), gesture("cue_on_3", 1.0));

    // A cue's Talk switch: on by default, a click turns it off.
    assert!(p.cues[1].talk.value());
    ed.click("Talk", 1);
    assert!(!p.cues[1].talk.value());
    assert_eq!(ed.calls(), gesture("cue_talk_2", 0.0));

    // TALK: press and hold talks while held; a plain click is a press and a release.
    assert!(!p.talk.on.value());
    let talk = ed.harness.get_by_label("TALK").rect().center();
    ed.harness.hover_at(talk);
    ed.harness.step();
    let primary = |pressed| egui::Event::PointerButton {
        pos: talk,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: Modifiers::NONE,
    };
    ed.harness.event(primary(true));
    ed.harness.run_steps(3);
    assert!(p.talk.on.value(), "held: talking");
    ed.harness.event(primary(false));
    ed.harness.run_steps(3);
    assert!(!p.talk.on.value(), "released: not talking");
    assert_eq!(
        ed.calls(),
        vec![
            GestureCall::Begin("talk".into()),
            GestureCall::Set("talk".into(), 1.0),
            GestureCall::Set("talk".into(), 0.0),
            GestureCall::End("talk".into()),
        ]
    );
    // Shift-click latches it on; a click while latched switches it off.
    ed.harness
        .get_by_label("TALK")
        .click_modifiers(Modifiers::SHIFT);
    ed.harness.run_steps(4);
    assert!(p.talk.on.value(), "latched");
    assert_eq!(ed.calls(), gesture("talk", 1.0));
    ed.click("TALK", 0);
    assert!(!p.talk.on.value());
    assert_eq!(ed.calls(), gesture("talk", 0.0));

    // Listen on cue 2, then on cue 4 (exclusive), then off again.
    let listen = |p: &CuewireParams| p.main.listen.value();
    assert_eq!(listen(&p), crate::params::ListenParam::Off);
    ed.click("Listen", 1);
    assert_eq!(listen(&p), crate::params::ListenParam::Cue2);
    ed.click("Listen", 3);
    assert_eq!(listen(&p), crate::params::ListenParam::Cue4);
    ed.click("Listen", 3);
    assert_eq!(listen(&p), crate::params::ListenParam::Off);
    let listen_sets: Vec<_> = ed
        .calls()
        .into_iter()
        .filter(|c| matches!(c, GestureCall::Set(..)))
        .collect();
    assert_eq!(listen_sets.len(), 3);
    assert!(listen_sets
        .iter()
        .all(|c| matches!(c, GestureCall::Set(id, _) if id == "listen")));

    assert_eq!(
        ed.harness.state().recorder().gesture_errors(),
        Vec::<String>::new()
    );
}

/// The text field of a value being typed, if one is open.
fn typed_field(ed: &Open) -> Option<String> {
    ed.harness
        .query_by_role(Role::TextInput)
        .map(|field| field.value().unwrap_or_default())
}

/// Right-clicks the main gain and checks that the field opens focused with the old value.
fn open_gain_field(ed: &mut Open, old: &str) {
    ed.harness.get_by_label("Main gain").click_secondary();
    ed.harness.run_steps(3);
    let field = ed.harness.get_by_role(Role::TextInput);
    assert!(field.is_focused(), "the field takes the keyboard at once");
    assert_eq!(field.value().as_deref(), Some(old));
}

#[test]
fn right_click_type_enter_sets_the_value_and_a_rejected_entry_says_why() {
    let mut ed = open(true, false, 1.0, default_size());
    open_gain_field(&mut ed, "0.0 dB");
    // The old text is selected: typing replaces it rather than adding to it.
    ed.harness.get_by_role(Role::TextInput).type_text("-6");
    ed.harness.run_steps(2);
    assert_eq!(typed_field(&ed).as_deref(), Some("-6"));
    assert_eq!(
        ed.params.main.gain_db.value(),
        0.0,
        "nothing set before Enter"
    );
    ed.harness.key_press(Key::Enter);
    ed.harness.run_steps(3);
    assert_eq!(ed.params.main.gain_db.value(), -6.0);
    let calls = ed.calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert!(matches!(&calls[1], GestureCall::Set(id, _) if id == "main_gain"));
    assert_eq!(typed_field(&ed), None, "the field closes");

    // An entry that is not a value: the field stays open, says why, and the value stays.
    open_gain_field(&mut ed, "-6.0 dB");
    ed.harness.get_by_role(Role::TextInput).type_text("abc");
    ed.harness.key_press(Key::Enter);
    ed.harness.run_steps(3);
    assert_eq!(ed.params.main.gain_db.value(), -6.0);
    assert_eq!(ed.calls(), vec![]);
    let why = widgets::rejection_text(&ed.params.main.gain_db, "abc");
    assert!(why.contains("is not a value of Main gain"), "{why}");
    assert!(
        ed.harness.query_by_label(&why).is_some(),
        "the reason is on screen: {why}"
    );
    let field = ed.harness.get_by_role(Role::TextInput);
    assert_eq!(field.value().as_deref(), Some("abc"));
    assert!(
        field.is_focused(),
        "the field keeps the keyboard for a correction"
    );
    // The rejected entry is selected too: typing a correction replaces it.
    field.type_text("-12 dB");
    ed.harness.run_steps(2);
    assert_eq!(typed_field(&ed).as_deref(), Some("-12 dB"));
    ed.harness.key_press(Key::Enter);
    ed.harness.run_steps(3);
    assert_eq!(ed.params.main.gain_db.value(), -12.0);
    assert_eq!(typed_field(&ed), None);
    assert!(
        ed.harness.query_by_label(&why).is_none(),
        "the message goes with the field"
    );

    // Esc cancels an entry.
    open_gain_field(&mut ed, "-12.0 dB");
    ed.harness.get_by_role(Role::TextInput).type_text("3");
    ed.harness.key_press(Key::Escape);
    ed.harness.run_steps(3);
    assert_eq!(ed.params.main.gain_db.value(), -12.0);
    assert_eq!(typed_field(&ed), None);
    assert_eq!(
        ed.harness.state().recorder().gesture_errors(),
        Vec::<String>::new()
    );
}

/// What a person would see as broken in the laid-out widget tree: two sibling widgets or
/// labels that overlap (by more than half a point each way), or one reaching outside the
/// window `window`.
fn layout_problems(harness: &Harness<'_, HeadlessEditor>, window: Rect) -> Vec<String> {
    type Node<'t> = egui_kittest::kittest::AccessKitNode<'t>;
    // In points: egui's root node scales the tree to pixels, the nodes' own bounds are points.
    let rect_of = |n: &Node<'_>| {
        n.raw_bounds().map(|b| {
            Rect::from_min_max(
                egui::pos2(b.x0 as f32, b.y0 as f32),
                egui::pos2(b.x1 as f32, b.y1 as f32),
            )
        })
    };
    let shown = |n: &Node<'_>| is_shown(n);
    let name = |n: &Node<'_>| {
        let text = n.label().or_else(|| n.children().find_map(|c| c.value()));
        format!("{:?} {:?}", n.role(), text.unwrap_or_default())
    };
    let mut problems = Vec::new();
    let root = harness.root().accesskit_node();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        let kids: Vec<_> = node.children().filter(|k| shown(k)).collect();
        for (i, a) in kids.iter().enumerate() {
            let Some(ra) = rect_of(a) else { continue };
            if !window.expand(0.5).contains_rect(ra) {
                problems.push(format!(
                    "{} at {ra:?} outside the window {window:?}",
                    name(a)
                ));
            }
            for b in &kids[i + 1..] {
                let Some(rb) = rect_of(b) else { continue };
                let overlap = ra.intersect(rb);
                if overlap.width() > 0.5 && overlap.height() > 0.5 {
                    problems.push(format!(
                        "{} at {ra:?} overlaps {} at {rb:?}",
                        name(a),
                        name(b)
                    ));
                }
            }
        }
        stack.extend(node.children());
    }
    problems
}

/// How many named widgets and labels the window shows.
fn shown_count(harness: &Harness<'_, HeadlessEditor>) -> usize {
    harness
        .root()
        .accesskit_node()
        .children()
        .flat_map(|c| std::iter::once(c).chain(descendants(c)))
        .filter(is_shown)
        .count()
}

/// Whether a node of the tree is a widget or a label a person sees: a label, or a named node
/// that is not a container or a run of a label's text (the window's resize grip has no name and sits over the corner
/// on purpose).
fn is_shown(n: &egui_kittest::kittest::AccessKitNode<'_>) -> bool {
    !matches!(
        n.role(),
        Role::GenericContainer
            | Role::Window
            | Role::ScrollView
            | Role::Pane
            | Role::Group
            | Role::TextRun
            | Role::Unknown
    ) && (n.role() == Role::Label || n.label().is_some_and(|l| !l.is_empty()))
}

/// Every node below `node`.
fn descendants(
    node: egui_kittest::kittest::AccessKitNode<'_>,
) -> Vec<egui_kittest::kittest::AccessKitNode<'_>> {
    let mut all = Vec::new();
    let mut stack: Vec<_> = node.children().collect();
    while let Some(n) = stack.pop() {
        stack.extend(n.children());
        all.push(n);
    }
    all
}

#[test]
fn both_views_of_both_plugins_lay_out_without_overlap_at_every_scale() {
    let mut problems = Vec::new();
    for (size, size_name) in [(default_size(), "default"), (min_size(), "minimum")] {
        for monitor in [false, true] {
            for big in [false, true] {
                for scale in [0.75, 1.0, 2.0] {
                    let ed = open(monitor, big, scale, size);
                    let what = format!(
                        "{} {} view at {:.0} %, {size_name} size",
                        if monitor { "Monitor" } else { "insert" },
                        if big { "Big" } else { "Detail" },
                        scale * 100.0
                    );
                    let ctx = &ed.harness.ctx;
                    assert!((ctx.zoom_factor() - scale).abs() < 1e-6, "{what}");
                    let window = ctx.content_rect();
                    assert!((window.size() - size).length() < 1.0, "{what}: {window:?}");
                    // The walk sees the real layout: dozens of widgets and labels.
                    let count = shown_count(&ed.harness);
                    assert!(count > if big { 8 } else { 60 }, "{what}: {count} widgets");
                    problems.extend(
                        layout_problems(&ed.harness, window)
                            .into_iter()
                            .map(|p| format!("{what}: {p}")),
                    );
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The editor in a simulated host loop: each frame is drawn when the previous one asked for
/// it, but never before the display's next refresh (60 Hz here), as baseview paces every draw
/// (on the X Present extension's vblank notification) whatever requested it; on a simulated
/// clock, with the audio thread publishing as time passes.
struct Loop {
    ctx: egui::Context,
    editor: HeadlessEditor,
    shared: Arc<Shared>,
    feed: LiveFeed,
    time_s: f64,
}

/// The simulated display's refresh period, seconds (60 Hz).
const DISPLAY_PERIOD_S: f64 = 1.0 / 60.0;

impl Loop {
    fn new() -> Self {
        let params = Arc::new(CuewireParams::default());
        let shared = Arc::new(Shared::default());
        let ctx = egui::Context::default();
        HeadlessEditor::setup(&ctx);
        Self {
            ctx,
            editor: HeadlessEditor::new(params, shared.clone(), true),
            shared,
            feed: LiveFeed::new(true),
            time_s: 0.0,
        }
    }

    /// Runs `seconds` of simulated time with the audio playing or silent and the pointer moving
    /// over the window each frame or not; returns the frame rate the editor asked for, fps.
    fn run(&mut self, seconds: f64, playing: bool, pointer_moving: bool) -> f64 {
        let end_s = self.time_s + seconds;
        let mut frames = 0;
        let mut delay_s: f64 = 1.0 / 60.0;
        while self.time_s < end_s {
            let dt_s = delay_s.clamp(DISPLAY_PERIOD_S, 1.0);
            self.time_s += dt_s;
            if playing {
                self.feed.feed(&self.shared, dt_s as f32);
            } else {
                self.feed.feed_silence(&self.shared, dt_s as f32);
            }
            let x = 100.0 + (frames % 50) as f32;
            let input = egui::RawInput {
                screen_rect: Some(Rect::from_min_size(egui::Pos2::ZERO, default_size())),
                time: Some(self.time_s),
                events: if pointer_moving {
                    vec![egui::Event::PointerMoved(egui::pos2(x, 300.0))]
                } else {
                    vec![]
                },
                ..Default::default()
            };
            let editor = &mut self.editor;
            let mut out = self.ctx.run_ui(input, |ui| editor.ui(ui));
            out.textures_delta.clear();
            delay_s = out.viewport_output[&egui::ViewportId::ROOT]
                .repaint_delay
                .as_secs_f64();
            frames += 1;
        }
        f64::from(frames) / seconds
    }
}

#[test]
fn the_editor_repaints_at_sixty_fps_while_anything_moves_and_ten_while_silent_and_untouched() {
    let mut l = Loop::new();
    l.run(2.0, false, false);
    let idle = l.run(5.0, false, false);
    assert!((idle - 10.0).abs() < 0.5, "silent, untouched: {idle} fps");
    let playing = l.run(3.0, true, false);
    assert!((playing - 60.0).abs() < 1.5, "playing: {playing} fps");
    // The audio stops: peak bars fall, held peaks and readouts settle, then the rate drops.
    let settling = l.run(1.0, false, false);
    assert!((settling - 60.0).abs() < 1.5, "settling: {settling} fps");
    l.run(5.0, false, false);
    let idle_again = l.run(5.0, false, false);
    assert!(
        (idle_again - 10.0).abs() < 0.5,
        "silent again: {idle_again} fps"
    );
    // Someone moves the pointer over the silent editor: full rate, and a second after the
    // last movement back to the trickle.
    let touched = l.run(2.0, false, true);
    assert!(
        (touched - 60.0).abs() < 1.5,
        "pointer moving: {touched} fps"
    );
    let grace = l.run(0.5, false, false);
    assert!((grace - 60.0).abs() < 2.5, "just after input: {grace} fps");
    l.run(1.0, false, false);
    let after = l.run(5.0, false, false);
    assert!((after - 10.0).abs() < 0.5, "untouched again: {after} fps");
}
