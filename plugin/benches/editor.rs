//! One full editor frame, headless: the real UI code run through `egui::Context::run_ui` and
//! tessellated, with every meter fed live-looking, moving values and a full spectrum, at the
//! editor's default size. Feeding the frame's audio (the audio thread's share) is not timed. Detail and Big view, the insert's layout and the Monitor's (cues on).
//!
//! `cargo bench -p cuewire --bench editor`; `-- --quick` for a short run.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use cuewire::editor::headless::{HeadlessEditor, LiveFeed};
use cuewire::params::CuewireParams;
use cuewire::shared::{Shared, DEFAULT_EDITOR_HEIGHT, DEFAULT_EDITOR_WIDTH};

/// Seconds between frames (60 fps).
const FRAME_S: f32 = 1.0 / 60.0;

/// A window with a live feed, ready to draw frame after frame.
struct Scene {
    ctx: egui::Context,
    editor: HeadlessEditor,
    shared: Arc<Shared>,
    feed: LiveFeed,
    time_s: f64,
}

impl Scene {
    fn new(monitor: bool, big: bool) -> Self {
        let params = Arc::new(CuewireParams::default());
        params.settings.set_big_view(big);
        let shared = Arc::new(Shared::default());
        let ctx = egui::Context::default();
        HeadlessEditor::setup(&ctx);
        let mut scene = Self {
            ctx,
            editor: HeadlessEditor::new(params, shared.clone(), monitor),
            shared,
            feed: LiveFeed::new(monitor),
            time_s: 0.0,
        };
        // The first frames lay out the font atlas and settle the window size.
        for _ in 0..30 {
            scene.feed();
            scene.frame();
        }
        scene
    }

    /// Feeds one frame's audio (the audio thread's work, not timed).
    fn feed(&mut self) {
        self.feed.feed(&self.shared, FRAME_S);
    }

    /// Runs the UI and tessellates it; returns the vertex count.
    fn frame(&mut self) -> usize {
        self.time_s += f64::from(FRAME_S);
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(DEFAULT_EDITOR_WIDTH as f32, DEFAULT_EDITOR_HEIGHT as f32),
            )),
            time: Some(self.time_s),
            ..Default::default()
        };
        let editor = &mut self.editor;
        let mut output = self.ctx.run_ui(input, |ui| editor.ui(ui));
        // No renderer takes the font atlas's updates here.
        output.textures_delta.clear();
        let meshes = self.ctx.tessellate(output.shapes, output.pixels_per_point);
        meshes
            .iter()
            .map(|m| match &m.primitive {
                egui::epaint::Primitive::Mesh(mesh) => mesh.vertices.len(),
                egui::epaint::Primitive::Callback(_) => 0,
            })
            .sum()
    }
}

fn editor_frame(c: &mut Criterion) {
    for (name, monitor, big) in [
        ("editor frame: insert, Detail", false, false),
        ("editor frame: insert, Big", false, true),
        ("editor frame: monitor, Detail", true, false),
        ("editor frame: monitor, Big", true, true),
    ] {
        let mut scene = Scene::new(monitor, big);
        scene.feed();
        eprintln!("{name}: {} vertices", scene.frame());
        c.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    scene.feed();
                    let start = Instant::now();
                    black_box(scene.frame());
                    total += start.elapsed();
                }
                total
            })
        });
    }
}

criterion_group!(benches, editor_frame);
criterion_main!(benches);
