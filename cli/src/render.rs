//! `cuewire render`: a WAV file through the engine with the plugin's parameters, streamed.

use std::io::Write;
use std::path::Path;

use cuewire_dsp::cue::CUE_COUNT;
use cuewire_dsp::engine::{CueOut, Engine, EngineReadings, EngineSettings};
use cuewire_dsp::input::{InputLayout, InputMode};
use cuewire_dsp::meter::{OutputLoudness, WeeklyAllowance};
use cuewire_dsp::units::lin_to_db;
use serde_json::json;

use crate::args::{OutputFormat, PluginKind, RenderArgs};
use crate::level::{num, ListenerReport};
use crate::params::{ParamSet, StateFormat};
use crate::progress::Progress;
use crate::wav::{self, SampleFormat, WavInfo, WavInput, WavOutput};
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

/// An input besides the main file (the aux input's right pair, the talkback input), read
/// block by block alongside it: silence past its end, and nothing of it past the main file's.
struct SideInput {
    input: WavInput,
    /// This block's channels, as long as the main file's block.
    block: Vec<Vec<f32>>,
}

impl SideInput {
    /// Opens the side input `path` (`what` names it in errors): its channel count must be in
    /// `channels`, its sample rate `sample_rate_hz`.
    fn open(
        path: &Path,
        what: &str,
        channels: std::ops::RangeInclusive<usize>,
        sample_rate_hz: u32,
    ) -> Result<Self, CliError> {
        let input = WavInput::open(path)?;
        let info = input.info();
        let name = path.display();
        if info.sample_rate_hz != sample_rate_hz {
            return Err(CliError::input(format!(
                "{what} '{name}' is at {} Hz, the input at {sample_rate_hz} Hz (resample it to the input's rate)",
                info.sample_rate_hz
            )));
        }
        if !channels.contains(&info.channels) {
            return Err(CliError::input(format!(
                "{what} '{name}' has {} channels (it takes {} to {})",
                info.channels,
                channels.start(),
                channels.end()
            )));
        }
        Ok(Self {
            input,
            block: vec![Vec::with_capacity(BLOCK_FRAMES); info.channels],
        })
    }

    /// Reads the next `frames` frames, silence where the file has ended.
    fn read(&mut self, frames: usize) -> Result<(), CliError> {
        self.input.read_block(&mut self.block, frames)?;
        for ch in &mut self.block {
            ch.resize(frames, 0.0);
        }
        Ok(())
    }

    /// This block's channels.
    fn channels(&self) -> Vec<&[f32]> {
        self.block.iter().map(Vec::as_slice).collect()
    }
}

/// The aux and talkback files of `args`, for a main input with `channels` channels at
/// `sample_rate_hz`.
fn side_inputs(
    args: &RenderArgs,
    channels: usize,
    sample_rate_hz: u32,
) -> Result<(Option<SideInput>, Option<SideInput>), CliError> {
    let aux = match &args.aux {
        Some(_) if channels == 4 => {
            return Err(CliError::usage(
                "--aux given with a 4-channel input, which already carries the right pair",
            ))
        }
        Some(path) => Some(SideInput::open(path, "aux input", 2..=2, sample_rate_hz)?),
        None => None,
    };
    let talk = args
        .talk
        .as_ref()
        .map(|path| SideInput::open(path, "talkback input", 1..=2, sample_rate_hz))
        .transpose()?;
    Ok((aux, talk))
}

/// The outputs being written: main, and each cue asked for by `--cue-out` (by cue index).
struct Outputs {
    main: WavOutput,
    cues: Vec<(usize, WavOutput)>,
}

/// `cuewire render IN OUT [options]`: reads, processes and writes block by block, so memory
/// stays the same for any file length.
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
    let params = ParamSet::build(args.state.as_deref(), &args.sets)?;
    let mut input = WavInput::open(&args.input)?;
    let info = input.info();
    layout_for_channels(info.channels)?;
    let (mut aux, mut talk) = side_inputs(args, info.channels, info.sample_rate_hz)?;
    let settings = cuewire::plugin_engine_settings(monitor, params.engine_settings());
    let mut renderer = Renderer::new(&settings, info.sample_rate_hz, info.channels)?;
    let cues_on: Vec<usize> = (0..CUE_COUNT).filter(|&i| settings.cues[i].on).collect();
    if args.cue_out.is_some() && cues_on.is_empty() {
        return Err(CliError::usage(
            "--cue-out given but no cue is on (add e.g. --set cue_on_1=On)",
        ));
    }
    let format = match args.format {
        OutputFormat::Same => info.format,
        OutputFormat::Float => SampleFormat::Float32,
    };
    let rate = info.sample_rate_hz;
    let mut outputs = Outputs {
        main: WavOutput::create(&args.output, rate, 2, format)?,
        cues: Vec::new(),
    };
    if let Some(pattern) = &args.cue_out {
        for &i in &cues_on {
            let path = pattern.replace("{n}", &(i + 1).to_string());
            outputs
                .cues
                .push((i, WavOutput::create(Path::new(&path), rate, 2, format)?));
        }
    }

    let mut progress = Progress::new("render", info.frames, rate, args.quiet);
    let mut block: Vec<Vec<f32>> = vec![Vec::with_capacity(BLOCK_FRAMES); info.channels];
    let mut main = [vec![0.0; BLOCK_FRAMES], vec![0.0; BLOCK_FRAMES]];
    // Every cue is processed (as the plugin's are when connected); only those asked for are
    // written.
    let mut cues: [[Vec<f32>; 2]; CUE_COUNT] =
        std::array::from_fn(|_| [vec![0.0; BLOCK_FRAMES], vec![0.0; BLOCK_FRAMES]]);
    let mut done = 0;
    loop {
        let n = input.read_block(&mut block, BLOCK_FRAMES)?;
        if n == 0 {
            break;
        }
        let channels: Vec<&[f32]> = block.iter().map(|ch| &ch[..n]).collect();
        for side in [&mut aux, &mut talk].into_iter().flatten() {
            side.read(n)?;
        }
        let aux_block = aux.as_ref().map(SideInput::channels);
        let talk_block = talk.as_ref().map(SideInput::channels);
        let mut cue_outs: [CueOut<'_>; CUE_COUNT] = [None, None, None, None];
        for (slot, [cl, cr]) in cue_outs.iter_mut().zip(cues.iter_mut()) {
            *slot = Some((&mut cl[..n], &mut cr[..n]));
        }
        let [ml, mr] = &mut main;
        renderer.process_block(
            &channels,
            aux_block.as_ref().map(|pair| (pair[0], pair[1])),
            talk_block.as_deref(),
            [&mut ml[..n], &mut mr[..n]],
            &mut cue_outs,
        );
        outputs.main.write_block(&[&ml[..n], &mr[..n]])?;
        for (i, writer) in &mut outputs.cues {
            let [cl, cr] = &cues[*i];
            writer.write_block(&[&cl[..n], &cr[..n]])?;
        }
        done += n;
        progress.update(done);
    }
    progress.finish();

    let mut pending = vec![outputs.main.finish()?];
    let mut written_cues = Vec::new();
    for (i, writer) in outputs.cues {
        pending.push(writer.finish()?);
        written_cues.push(i);
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
    let summary = Summary {
        info: WavInfo {
            frames: done,
            ..info
        },
        format,
        written,
        readings: renderer.readings(),
        autofix_label: renderer.autofix_label(),
        allowance: settings.ear.allowance,
        written_cues,
    };
    if args.json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&summary.to_json()).unwrap_or_default()
        )
        .map_err(CliError::report)
    } else {
        summary.write_text(out).map_err(CliError::report)
    }
}

/// What a render did, for its report.
struct Summary {
    /// The input as read.
    info: WavInfo,
    /// The outputs' format.
    format: SampleFormat,
    /// Every file written, main first.
    written: Vec<String>,
    /// The meters after the last block.
    readings: EngineReadings,
    /// Auto fix's decision at the end, when the input mode is Auto fix.
    autofix_label: Option<&'static str>,
    /// The weekly allowance the doses refer to.
    allowance: WeeklyAllowance,
    /// The cues written (0-based).
    written_cues: Vec<usize>,
}

impl Summary {
    /// Main's and each written cue's listener report, labelled.
    fn listeners(&self) -> Vec<(String, Option<usize>, ListenerReport)> {
        let r = &self.readings;
        let report = |ear, loudness: &OutputLoudness| {
            ListenerReport::new(ear, &loudness.reading, loudness.plr_lu, self.allowance)
        };
        let mut all = vec![(
            "main out".to_owned(),
            None,
            report(&r.main_ear, &r.main_loudness),
        )];
        for &i in &self.written_cues {
            all.push((
                format!("cue {} out", i + 1),
                Some(i + 1),
                report(&r.cue_ear[i], &r.cue_loudness[i]),
            ));
        }
        all
    }

    /// The summary as text.
    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let main = &self.readings.main;
        writeln!(
            out,
            "rendered {} ch, {} Hz, {:.2} s ({}) → {}",
            self.info.channels,
            self.info.sample_rate_hz,
            self.info.seconds(),
            self.format.describe(),
            self.written.join(", ")
        )?;
        let autofix = self
            .autofix_label
            .map_or(String::new(), |label| format!("; auto fix: {label}"));
        writeln!(
            out,
            "main out: true peak L {:.1} dBTP, R {:.1} dBTP; clip events {} / {}{autofix}",
            lin_to_db(main.max_true_peak_lin[0]),
            lin_to_db(main.max_true_peak_lin[1]),
            main.clip_events[0],
            main.clip_events[1],
        )?;
        for (label, _, report) in self.listeners() {
            report.write_text(out, &label)?;
        }
        Ok(())
    }

    /// The summary as JSON.
    fn to_json(&self) -> serde_json::Value {
        let main = &self.readings.main;
        let listeners = self.listeners();
        let mut main_json = listeners[0].2.to_json();
        main_json["true_peak_dbtp"] =
            json!([0, 1].map(|c| num(lin_to_db(main.max_true_peak_lin[c]))));
        main_json["clip_events"] = json!(main.clip_events);
        main_json["auto_fix"] = json!(self.autofix_label);
        json!({
            "channels": self.info.channels,
            "sample_rate_hz": self.info.sample_rate_hz,
            "seconds": (self.info.seconds() * 1000.0).round() / 1000.0,
            "format": self.format.describe(),
            "written": self.written,
            "main": main_json,
            "cues": listeners[1..].iter().map(|(_, cue, report)| {
                let mut cue_json = report.to_json();
                cue_json["cue"] = json!(cue);
                cue_json
            }).collect::<Vec<_>>(),
        })
    }
}
