//! `cuewire render`: a WAV file through the engine with the plugin's parameters.

use std::io::Write;
use std::path::Path;

use cuewire_dsp::cue::CUE_COUNT;
use cuewire_dsp::engine::{CueOut, Engine, EngineReadings, EngineSettings};
use cuewire_dsp::input::{InputLayout, InputMode};
use cuewire_dsp::units::lin_to_db;

use crate::args::{OutputFormat, RenderArgs};
use crate::params::{ParamSet, StateFormat};
use crate::progress::Progress;
use crate::wav::{self, Audio, SampleFormat};
use crate::CliError;

/// Frames handed to the engine per call (its result does not depend on this).
const BLOCK_FRAMES: usize = 4096;

/// The engine layout for a file's channel count, as the plugin's host layouts map them.
pub fn layout_for_channels(channels: usize) -> Result<InputLayout, CliError> {
    match channels {
        1 => Ok(InputLayout::Mono),
        2 => Ok(InputLayout::Stereo),
        4 => Ok(InputLayout::BalancedPairs),
        n => Err(CliError::input(format!(
            "unsupported channel count {n} (1 = mono, 2 = stereo, 4 = balanced pairs Hot L, Cold L, Hot R, Cold R)"
        ))),
    }
}

/// The engine's output for a whole file.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// Main output, left and right.
    pub main: [Vec<f32>; 2],
    /// Each cue output, left and right (silent when the cue is off).
    pub cues: Vec<[Vec<f32>; 2]>,
    /// The meters after the last block.
    pub readings: EngineReadings,
    /// Auto fix's decision at the end, when the input mode is Auto fix.
    pub autofix_label: Option<&'static str>,
}

/// The engine set up for one file, fed block by block exactly as the plugin's `process()`
/// hands a host's buffers to it.
pub struct Renderer {
    /// The engine, fresh for this file.
    engine: Engine,
    /// The layout the file's channel count picked.
    layout: InputLayout,
    /// Whether Auto fix is on (its decision is reported).
    auto_fix: bool,
}

impl Renderer {
    /// A renderer for files with `channels` channels at `sample_rate_hz`.
    pub fn new(
        settings: &EngineSettings,
        sample_rate_hz: u32,
        channels: usize,
    ) -> Result<Self, CliError> {
        let layout = layout_for_channels(channels)?;
        Ok(Self {
            engine: Engine::new(sample_rate_hz as f32, layout, settings),
            layout,
            auto_fix: settings.input.mode == InputMode::AutoFix,
        })
    }

    /// Processes one block: `input` holds the file's channels (equal lengths), `main` receives
    /// the main output and each cue slot that is `Some` its cue output, all as long as the input.
    /// A mono input's second channel is the silence nice-plug fills it with.
    pub fn process_block(
        &mut self,
        input: &[&[f32]],
        main: [&mut [f32]; 2],
        cues: &mut [CueOut<'_>; CUE_COUNT],
    ) {
        let [l, r] = main;
        l.copy_from_slice(input[0]);
        match self.layout {
            InputLayout::Mono => r.fill(0.0),
            _ => r.copy_from_slice(input[1]),
        }
        let aux = (self.layout == InputLayout::BalancedPairs).then(|| (input[2], input[3]));
        self.engine.process(l, r, aux, cues);
    }

    /// The meters so far.
    pub fn readings(&mut self) -> EngineReadings {
        self.engine.read_meters()
    }

    /// Auto fix's current decision, when the input mode is Auto fix.
    pub fn autofix_label(&self) -> Option<&'static str> {
        self.auto_fix
            .then(|| self.engine.input().decision().label())
    }
}

/// Runs `channels` (1, 2 or 4 of equal length) through a fresh engine with `settings`, in
/// blocks of [`BLOCK_FRAMES`].
pub fn process(
    settings: &EngineSettings,
    sample_rate_hz: u32,
    channels: &[Vec<f32>],
    progress: &mut Progress,
) -> Result<Rendered, CliError> {
    let mut renderer = Renderer::new(settings, sample_rate_hz, channels.len())?;
    let frames = channels[0].len();
    let mut main = [vec![0.0; frames], vec![0.0; frames]];
    let mut cues: Vec<[Vec<f32>; 2]> = (0..CUE_COUNT)
        .map(|_| [vec![0.0; frames], vec![0.0; frames]])
        .collect();
    let mut start = 0;
    while start < frames {
        let end = (start + BLOCK_FRAMES).min(frames);
        let input: Vec<&[f32]> = channels.iter().map(|ch| &ch[start..end]).collect();
        let mut outs: [CueOut<'_>; CUE_COUNT] = [None, None, None, None];
        for (slot, [cl, cr]) in outs.iter_mut().zip(cues.iter_mut()) {
            *slot = Some((&mut cl[start..end], &mut cr[start..end]));
        }
        let [ml, mr] = &mut main;
        renderer.process_block(
            &input,
            [&mut ml[start..end], &mut mr[start..end]],
            &mut outs,
        );
        start = end;
        progress.update(start);
    }
    progress.finish();
    Ok(Rendered {
        main,
        cues,
        readings: renderer.readings(),
        autofix_label: renderer.autofix_label(),
    })
}

/// The parameters for a render: the state file (if any), then each `--set` in order.
fn build_params(state: Option<&Path>, sets: &[String]) -> Result<ParamSet, CliError> {
    let mut params = ParamSet::default();
    if let Some(path) = state {
        let name = path.display();
        let bytes = std::fs::read(path)
            .map_err(|e| CliError::input(format!("cannot read state '{name}': {e}")))?;
        params
            .load_state(&bytes)
            .map_err(|e| CliError::input(format!("'{name}': {}", e.message)))?;
    }
    for set in sets {
        params.set_assignment(set)?;
    }
    Ok(params)
}

/// `cuewire render IN OUT [options]`.
pub fn run(args: &RenderArgs, out: &mut dyn Write) -> Result<(), CliError> {
    if let Some(pattern) = &args.cue_out {
        if !pattern.contains("{n}") {
            return Err(CliError::usage(format!(
                "--cue-out pattern '{pattern}' has no {{n}} for the cue number"
            )));
        }
    }
    // Parameters first: a typo in --set must fail before minutes of reading.
    let params = build_params(args.state.as_deref(), &args.sets)?;
    let audio = wav::read(&args.input)?;
    layout_for_channels(audio.channels.len())?;
    let settings = params.engine_settings();
    let cues_on: Vec<usize> = (0..CUE_COUNT).filter(|&i| settings.cues[i].on).collect();
    if args.cue_out.is_some() && cues_on.is_empty() {
        return Err(CliError::usage(
            "--cue-out given but no cue is on (add e.g. --set cue_on_1=On)",
        ));
    }
    let mut progress = Progress::new("render", audio.frames(), audio.sample_rate_hz, args.quiet);
    let rendered = process(
        &settings,
        audio.sample_rate_hz,
        &audio.channels,
        &mut progress,
    )?;
    let format = match args.format {
        OutputFormat::Same => audio.format,
        OutputFormat::Float => SampleFormat::Float32,
    };

    let mut pending = vec![wav::write(
        &args.output,
        audio.sample_rate_hz,
        &[&rendered.main[0], &rendered.main[1]],
        format,
    )?];
    if let Some(pattern) = &args.cue_out {
        for &i in &cues_on {
            let path = pattern.replace("{n}", &(i + 1).to_string());
            let [cl, cr] = &rendered.cues[i];
            pending.push(wav::write(
                Path::new(&path),
                audio.sample_rate_hz,
                &[cl, cr],
                format,
            )?);
        }
    }
    if let Some(path) = &args.save_state {
        let bytes = params.state_file(StateFormat::for_path(path));
        pending.push(wav::write_bytes(path, &bytes)?);
    }
    let written: Vec<String> = pending
        .iter()
        .map(|p| p.dest().display().to_string())
        .collect();
    wav::commit_all(pending)?;
    report(out, &audio, &rendered, format, &written)
}

/// The summary printed after a render.
fn report(
    out: &mut dyn Write,
    audio: &Audio,
    rendered: &Rendered,
    format: SampleFormat,
    written: &[String],
) -> Result<(), CliError> {
    let main = &rendered.readings.main;
    writeln!(
        out,
        "rendered {} ch, {} Hz, {:.2} s ({}) → {}",
        audio.channels.len(),
        audio.sample_rate_hz,
        audio.seconds(),
        format.describe(),
        written.join(", ")
    )
    .map_err(CliError::report)?;
    let autofix = rendered
        .autofix_label
        .map_or(String::new(), |label| format!("; auto fix: {label}"));
    writeln!(
        out,
        "main out: true peak L {:.1} dBTP, R {:.1} dBTP; clip events {} / {}{autofix}",
        lin_to_db(main.max_true_peak_lin[0]),
        lin_to_db(main.max_true_peak_lin[1]),
        main.clip_events[0],
        main.clip_events[1],
    )
    .map_err(CliError::report)
}
