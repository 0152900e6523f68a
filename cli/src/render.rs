//! `cuewire render`: a WAV file through the engine with the plugin's parameters.

use std::io::Write;
use std::path::Path;

use cuewire_dsp::cue::CUE_COUNT;
use cuewire_dsp::engine::{CueOut, Engine, EngineReadings, EngineSettings};
use cuewire_dsp::input::{InputLayout, InputMode};
use cuewire_dsp::units::lin_to_db;

use crate::args::{OutputFormat, PluginKind, RenderArgs};
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

/// The inputs besides the main file, each as long as it: the right pair on the aux input
/// (Hot R, Cold R) and the talkback input (one channel, or two summed by the engine).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SideInputs {
    /// The aux input's two channels.
    pub aux: Option<[Vec<f32>; 2]>,
    /// The talkback input's channels (one or two).
    pub talk: Option<Vec<Vec<f32>>>,
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

    /// Processes one block: `input` holds the file's channels (equal lengths), `aux` the aux
    /// input's and `talk` the talkback input's (as long as the input), `main` receives the main
    /// output and each cue slot that is `Some` its cue output. A mono input's second channel is
    /// the silence nice-plug fills it with.
    pub fn process_block(
        &mut self,
        input: &[&[f32]],
        aux: Option<(&[f32], &[f32])>,
        talk: Option<&[&[f32]]>,
        main: [&mut [f32]; 2],
        cues: &mut [CueOut<'_>; CUE_COUNT],
    ) {
        let [l, r] = main;
        l.copy_from_slice(input[0]);
        match self.layout {
            InputLayout::Mono => r.fill(0.0),
            _ => r.copy_from_slice(input[1]),
        }
        let aux = match self.layout {
            InputLayout::BalancedPairs => Some((input[2], input[3])),
            _ => aux,
        };
        let talk = talk.map(|t| (t[0], t.get(1).copied()));
        self.engine.process_with_talk(l, r, aux, talk, cues);
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

/// Runs `channels` (1, 2 or 4 of equal length) and the `side` inputs through a fresh engine
/// with `settings`, in blocks of [`BLOCK_FRAMES`].
pub fn process(
    settings: &EngineSettings,
    sample_rate_hz: u32,
    channels: &[Vec<f32>],
    side: &SideInputs,
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
        let aux = side
            .aux
            .as_ref()
            .map(|[hot, cold]| (&hot[start..end], &cold[start..end]));
        let talk: Option<Vec<&[f32]>> = side
            .talk
            .as_ref()
            .map(|t| t.iter().map(|ch| &ch[start..end]).collect());
        let mut outs: [CueOut<'_>; CUE_COUNT] = [None, None, None, None];
        for (slot, [cl, cr]) in outs.iter_mut().zip(cues.iter_mut()) {
            *slot = Some((&mut cl[start..end], &mut cr[start..end]));
        }
        let [ml, mr] = &mut main;
        renderer.process_block(
            &input,
            aux,
            talk.as_deref(),
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

/// Reads the side input `path` (`what` names it in errors) for a main input of `frames` frames
/// at `sample_rate_hz`: its channel count must be in `channels`, its rate the input's; it is
/// cut or padded with silence to `frames`.
fn read_side_input(
    path: &Path,
    what: &str,
    channels: std::ops::RangeInclusive<usize>,
    sample_rate_hz: u32,
    frames: usize,
) -> Result<Vec<Vec<f32>>, CliError> {
    let audio = wav::read(path)?;
    let name = path.display();
    if audio.sample_rate_hz != sample_rate_hz {
        return Err(CliError::input(format!(
            "{what} '{name}' is at {} Hz, the input at {sample_rate_hz} Hz (resample it to the input's rate)",
            audio.sample_rate_hz
        )));
    }
    let n = audio.channels.len();
    if !channels.contains(&n) {
        return Err(CliError::input(format!(
            "{what} '{name}' has {n} channels (it takes {} to {})",
            channels.start(),
            channels.end()
        )));
    }
    Ok(audio
        .channels
        .into_iter()
        .map(|mut ch| {
            ch.resize(frames, 0.0);
            ch
        })
        .collect())
}

/// The aux and talk files of `args` for a main input of `frames` frames at `sample_rate_hz`
/// with `channels` channels.
fn side_inputs(
    args: &RenderArgs,
    channels: usize,
    sample_rate_hz: u32,
    frames: usize,
) -> Result<SideInputs, CliError> {
    let aux = match &args.aux {
        Some(_) if channels == 4 => {
            return Err(CliError::usage(
                "--aux given with a 4-channel input, which already carries the right pair",
            ))
        }
        Some(path) => {
            let [hot, cold]: [Vec<f32>; 2] =
                read_side_input(path, "aux input", 2..=2, sample_rate_hz, frames)?
                    .try_into()
                    .map_err(|_| CliError::input("aux input: not two channels"))?;
            Some([hot, cold])
        }
        None => None,
    };
    let talk = args
        .talk
        .as_ref()
        .map(|path| read_side_input(path, "talkback input", 1..=2, sample_rate_hz, frames))
        .transpose()?;
    Ok(SideInputs { aux, talk })
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
    let monitor = args.plugin == PluginKind::Monitor;
    if !monitor && args.talk.is_some() {
        return Err(CliError::usage(
            "--talk given with --plugin insert, which has no talkback input",
        ));
    }
    if !monitor && args.cue_out.is_some() {
        return Err(CliError::usage(
            "--cue-out given with --plugin insert, which has no cue outputs",
        ));
    }
    // Parameters first: a typo in --set must fail before minutes of reading.
    let params = build_params(args.state.as_deref(), &args.sets)?;
    let audio = wav::read(&args.input)?;
    layout_for_channels(audio.channels.len())?;
    let side = side_inputs(
        args,
        audio.channels.len(),
        audio.sample_rate_hz,
        audio.frames(),
    )?;
    let settings = cuewire::plugin_engine_settings(monitor, params.engine_settings());
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
        &side,
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
        let bytes = params.state_file(StateFormat::for_path(path), monitor);
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
