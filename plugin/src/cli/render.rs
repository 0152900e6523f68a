//! `cuewire render`: a WAV file through the engine with the plugin's parameters.

use std::io::Write;
use std::path::Path;

use cuewire_dsp::cue::CUE_COUNT;
use cuewire_dsp::engine::{CueOut, Engine, EngineReadings, EngineSettings};
use cuewire_dsp::input::{InputLayout, InputMode};
use cuewire_dsp::units::lin_to_db;

use super::progress::Progress;
use super::settings::ParamSet;
use super::wav::{self, Audio, SampleFormat};
use super::CliError;

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

/// Runs `channels` (1, 2 or 4 of equal length) through a fresh engine with `settings`, exactly
/// as the plugin's `process()` hands a host's buffers to it (a mono input's second channel is
/// the silence nice-plug fills it with).
pub fn process(
    settings: &EngineSettings,
    sample_rate_hz: u32,
    channels: &[Vec<f32>],
    progress: &mut Progress,
) -> Result<Rendered, CliError> {
    let layout = layout_for_channels(channels.len())?;
    let frames = channels[0].len();
    let mut engine = Engine::new(sample_rate_hz as f32, layout, settings);
    let silence;
    let (l, r) = match layout {
        InputLayout::Mono => {
            silence = vec![0.0; frames];
            (&channels[0], &silence)
        }
        _ => (&channels[0], &channels[1]),
    };
    let mut main = [l.clone(), r.clone()];
    let mut cues: Vec<[Vec<f32>; 2]> = (0..CUE_COUNT)
        .map(|_| [vec![0.0; frames], vec![0.0; frames]])
        .collect();
    let mut start = 0;
    while start < frames {
        let end = (start + BLOCK_FRAMES).min(frames);
        let aux = (layout == InputLayout::BalancedPairs)
            .then(|| (&channels[2][start..end], &channels[3][start..end]));
        let mut outs: [CueOut<'_>; CUE_COUNT] = [None, None, None, None];
        for (slot, [cl, cr]) in outs.iter_mut().zip(cues.iter_mut()) {
            *slot = Some((&mut cl[start..end], &mut cr[start..end]));
        }
        let [ml, mr] = &mut main;
        engine.process(&mut ml[start..end], &mut mr[start..end], aux, &mut outs);
        start = end;
        progress.update(start);
    }
    progress.finish();
    Ok(Rendered {
        main,
        cues,
        readings: engine.read_meters(),
        autofix_label: (settings.input.mode == InputMode::AutoFix)
            .then(|| engine.input().decision().label()),
    })
}

/// Options of `cuewire render`.
struct Options<'a> {
    input: &'a Path,
    output: &'a Path,
    state: Option<&'a str>,
    save_state: Option<&'a str>,
    cue_pattern: Option<&'a str>,
    same_format: bool,
    quiet: bool,
}

/// The parameters for a render: the state file (if any), then each `--set` in order.
fn build_params(state: Option<&str>, sets: &[&str]) -> Result<ParamSet, CliError> {
    let mut params = ParamSet::default();
    if let Some(path) = state {
        let bytes = std::fs::read(path)
            .map_err(|e| CliError::input(format!("cannot read state '{path}': {e}")))?;
        params
            .load_state(&bytes)
            .map_err(|e| CliError::input(format!("'{path}': {}", e.message)))?;
    }
    for set in sets {
        params.set_assignment(set)?;
    }
    Ok(params)
}

/// `cuewire render IN OUT [options]`.
pub fn run(args: &[String], out: &mut dyn Write) -> Result<(), CliError> {
    let parsed = super::args::parse(
        args,
        &["set", "state", "save-state", "cue-out", "format"],
        &["quiet"],
    )?;
    parsed.expect_positional(2, "render")?;
    let opts = Options {
        input: Path::new(&parsed.positional[0]),
        output: Path::new(&parsed.positional[1]),
        state: parsed.one("state")?,
        save_state: parsed.one("save-state")?,
        cue_pattern: parsed.one("cue-out")?,
        same_format: match parsed.one("format")? {
            None | Some("float") => false,
            Some("same") => true,
            Some(other) => {
                return Err(CliError::usage(format!(
                    "--format must be float or same, not '{other}'"
                )))
            }
        },
        quiet: parsed.flag("quiet"),
    };
    if let Some(pattern) = opts.cue_pattern {
        if !pattern.contains("{n}") {
            return Err(CliError::usage(format!(
                "--cue-out pattern '{pattern}' has no {{n}} for the cue number"
            )));
        }
    }
    // Parameters first: a typo in --set must fail before minutes of reading.
    let params = build_params(opts.state, &parsed.all("set"))?;
    let audio = wav::read(opts.input)?;
    layout_for_channels(audio.channels.len())?;
    let settings = params.engine_settings();
    let cues_on: Vec<usize> = (0..CUE_COUNT).filter(|&i| settings.cues[i].on).collect();
    if opts.cue_pattern.is_some() && cues_on.is_empty() {
        return Err(CliError::usage(
            "--cue-out given but no cue is on (add e.g. --set cue_on_1=On)",
        ));
    }
    let mut progress = Progress::new("render", audio.frames(), audio.sample_rate_hz, opts.quiet);
    let rendered = process(
        &settings,
        audio.sample_rate_hz,
        &audio.channels,
        &mut progress,
    )?;
    let format = if opts.same_format {
        audio.format
    } else {
        SampleFormat::Float32
    };

    let mut pending = vec![wav::write(
        opts.output,
        audio.sample_rate_hz,
        &[&rendered.main[0], &rendered.main[1]],
        format,
    )?];
    if let Some(pattern) = opts.cue_pattern {
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
    if let Some(path) = opts.save_state {
        pending.push(wav::write_bytes(Path::new(path), &params.state_json())?);
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
