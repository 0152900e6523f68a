//! `cuewire analyze`: a recording measured with the plugin's own meters (sample and true peak,
//! RMS, headroom, clip events, correlation, Auto fix's fault detector, the engine's
//! common-mode meter for balanced pairs, and the level at the ear and loudness).

use std::io::Write;
use std::path::Path;

use cuewire_dsp::autofix::{AutoFixDecision, AutoFixDetector};
use cuewire_dsp::engine::{EarSettings, Engine, EngineSettings};
use cuewire_dsp::input::{InputLayout, InputMode};
use cuewire_dsp::meter::{plr_lu, ChannelMeter, EarLevelMeter, LoudnessMeter, StereoMeter};
use cuewire_dsp::units::{lin_to_db, power_to_db};
use serde_json::json;

use crate::args::AnalyzeArgs;
use crate::level::{num, ListenerReport};
use crate::params::ParamSet;
use crate::progress::Progress;
use crate::wav::{WavInfo, WavInput};
use crate::CliError;

/// Readings are taken every this many milliseconds of audio (a third of the 300 ms windows,
/// so no window's extreme is missed by more than a hop).
const HOP_MS: f64 = 100.0;
/// Correlation windows before this time are skipped: the 300 ms window is still filling.
const SETTLE_MS: f64 = 300.0;

/// One channel's results.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelReport {
    /// Largest |sample|, dBFS.
    pub sample_peak_db: f32,
    /// Largest true peak, dBTP.
    pub true_peak_db: f32,
    /// RMS over the whole file, dBFS.
    pub rms_db: f32,
    /// Loudest 300 ms RMS window, dBFS.
    pub rms_max_db: f32,
    /// 0 dBFS minus the true peak, dB.
    pub headroom_db: f32,
    /// Runs of full-scale samples (the meter's clip events).
    pub clip_events: u32,
}

/// A balanced pair's common-mode results.
#[derive(Debug, Clone, PartialEq)]
pub struct PairReport {
    /// Which channels (1-based hot, cold).
    pub channels: (usize, usize),
    /// Loudest 300 ms common-mode RMS, dBFS (−200 when none).
    pub cm_rms_max_db: f32,
    /// Worst 300 ms rejection of the decode, dB (capped at 120; `None` without common mode).
    pub rejection_min_db: Option<f32>,
}

/// The whole analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The file as read.
    pub info: WavInfo,
    /// Per channel, in file order.
    pub channels: Vec<ChannelReport>,
    /// Mean and lowest 300 ms correlation of the stereo pair (2 channels: 1/2; 4 channels: the
    /// decoded L/R), when there is one.
    pub correlation: Option<(f32, f32)>,
    /// Auto fix's decision for most of the file, and the share of the file it held (0..1).
    pub fault: Option<(AutoFixDecision, f32)>,
    /// Balanced pairs.
    pub pairs: Vec<PairReport>,
    /// Level at the ear and loudness of the file played on the main output (1, 2 and 4
    /// channels: the mono channel in both ears, the pair, the decoded pairs).
    pub listener: Option<ListenerReport>,
}

/// Analyses the rest of `input`; `pair` treats a 2-channel file as one balanced pair (hot,
/// cold); `ear` sets the level at the ear (main's calibration and the allowance). Reads in
/// blocks of one 100 ms hop, so memory does not grow with the file's length.
pub fn analyze(
    input: &mut WavInput,
    pair: bool,
    ear: &EarSettings,
    progress: &mut Progress,
) -> Result<Report, CliError> {
    let info = input.info();
    let n_ch = info.channels;
    if pair && n_ch != 2 {
        return Err(CliError::usage(format!(
            "--pair needs a 2-channel file (this one has {n_ch}; 4-channel files are pairs already)"
        )));
    }
    let rate = info.sample_rate_hz as f32;
    let hop = ((f64::from(info.sample_rate_hz) * HOP_MS / 1000.0) as usize).max(1);
    let settle = (f64::from(info.sample_rate_hz) * SETTLE_MS / 1000.0) as usize;

    let mut meters: Vec<ChannelMeter> = (0..n_ch).map(|_| ChannelMeter::new(rate)).collect();
    let mut peaks = vec![(0.0f32, 0.0f32, 0.0f32); n_ch]; // sample peak, true peak, RMS max
    let mut last = vec![None; n_ch];
    // Sums of squares per channel, in sample order (as one sum over the file would add them).
    let mut squares = vec![-0.0f64; n_ch];

    // The engine decodes pairs and meters their common mode, exactly as in the plugin.
    let pair_layout = match (n_ch, pair) {
        (4, _) => Some(InputLayout::BalancedPairs),
        (2, true) => Some(InputLayout::Stereo),
        _ => None,
    };
    let mut engine = pair_layout.map(|layout| {
        let mut settings = EngineSettings::default();
        // The 4-channel layout decodes both pairs itself (its Stereo mode passes the decoded
        // L/R); on two channels the Balanced pair mode decodes channel 1 hot, 2 cold.
        if layout == InputLayout::Stereo {
            settings.input.mode = InputMode::BalancedPair;
        }
        settings.main.guard = false;
        Engine::new(rate, layout, &settings)
    });
    let mut decoded = [vec![0.0f32; hop], vec![0.0f32; hop]];
    let mut cm_max = [f32::NEG_INFINITY; 2];
    let mut rejection_min: [Option<f32>; 2] = [None; 2];
    // The highest true peak of the decoded pair (the engine's input meter).
    let mut decoded_true_peak_lin = 0.0f32;

    // Correlation and the fault detector look at channels 1/2, or at the decoded pairs.
    let stereo_source = n_ch == 2 || n_ch == 4;
    let mut stereo = StereoMeter::new(rate);
    let mut detector = AutoFixDetector::new(rate);
    // Sum (from −0, as a sum over all windows starts), count and lowest of the windows.
    let mut corr = (-0.0f32, 0usize, f32::INFINITY);
    let mut decision_frames = [0usize; 4];
    // The listener's ears: the stereo pair (or the decoded one), a mono file in both ears.
    let ears = stereo_source || n_ch == 1;
    let mut loudness = LoudnessMeter::new(rate);
    let mut ear_meter = EarLevelMeter::new(rate, ear.spl_at_0dbfs_db[0]);
    ear_meter.set_allowance(ear.allowance);

    let mut block: Vec<Vec<f32>> = vec![Vec::with_capacity(hop); n_ch];
    let mut start = 0;
    loop {
        let len = input.read_block(&mut block, hop)?;
        if len == 0 {
            break;
        }
        let end = start + len;
        for (i, ch) in block.iter().enumerate() {
            let meter = &mut meters[i];
            meter.process(ch);
            let r = meter.read();
            let peak = &mut peaks[i];
            peak.0 = peak.0.max(r.sample_peak_lin);
            peak.1 = peak.1.max(r.true_peak_lin);
            peak.2 = peak.2.max(r.rms_lin);
            last[i] = Some(r);
            squares[i] = ch
                .iter()
                .fold(squares[i], |sum, &x| sum + f64::from(x) * f64::from(x));
        }
        let (l, r): (&[f32], &[f32]) = match engine.as_mut() {
            Some(engine) => {
                let [dl, dr] = &mut decoded;
                dl[..len].copy_from_slice(&block[0]);
                dr[..len].copy_from_slice(&block[1]);
                let aux = (n_ch == 4).then(|| (&block[2][..], &block[3][..]));
                engine.process_main(&mut dl[..len], &mut dr[..len], aux);
                let readings = engine.read_meters();
                let used_pairs = if n_ch == 4 { 2 } else { 1 };
                for (i, cm) in readings.common_mode.iter().take(used_pairs).enumerate() {
                    cm_max[i] = cm_max[i].max(cm.cm_rms_db);
                    if cm.cm_present && end >= settle {
                        let worst =
                            rejection_min[i].map_or(cm.rejection_db, |w| w.min(cm.rejection_db));
                        rejection_min[i] = Some(worst);
                    }
                }
                let [tp_l, tp_r] = readings.input.max_true_peak_lin;
                decoded_true_peak_lin = tp_l.max(tp_r);
                (&decoded[0][..len], &decoded[1][..len])
            }
            None if stereo_source => (&block[0], &block[1]),
            None if n_ch == 1 => (&block[0], &block[0]),
            None => (&[], &[]),
        };
        if ears {
            loudness.process(l, r);
            ear_meter.process(l, r);
        }
        if stereo_source {
            stereo.process(l, r);
            detector.process(l, r);
            if end >= settle {
                let c = stereo.read().correlation;
                corr = (corr.0 + c, corr.1 + 1, corr.2.min(c));
            }
            let idx = match detector.decision() {
                AutoFixDecision::NoFault => 0,
                AutoFixDecision::LeftOnly => 1,
                AutoFixDecision::RightOnly => 2,
                AutoFixDecision::AntiPhase => 3,
            };
            decision_frames[idx] += len;
        }
        start = end;
        progress.update(start);
    }
    progress.finish();
    let frames = start;

    let channels = squares
        .iter()
        .zip(peaks.iter().zip(&last))
        .map(|(&sum, (peak, last))| {
            let mean_square = sum / frames.max(1) as f64;
            let last = last.unwrap_or_default();
            ChannelReport {
                sample_peak_db: lin_to_db(peak.0),
                true_peak_db: lin_to_db(peak.1),
                rms_db: power_to_db(mean_square as f32),
                rms_max_db: lin_to_db(peak.2),
                headroom_db: last.headroom_db,
                clip_events: last.clip_events,
            }
        })
        .collect();
    let correlation = (corr.1 > 0).then(|| (corr.0 / corr.1 as f32, corr.2));
    let fault = stereo_source.then(|| {
        let (idx, &count) = decision_frames
            .iter()
            .enumerate()
            .max_by_key(|(_, &c)| c)
            .unwrap_or((0, &0));
        let decision = [
            AutoFixDecision::NoFault,
            AutoFixDecision::LeftOnly,
            AutoFixDecision::RightOnly,
            AutoFixDecision::AntiPhase,
        ][idx];
        (decision, count as f32 / frames.max(1) as f32)
    });
    let pairs = match pair_layout {
        Some(_) => (0..if n_ch == 4 { 2 } else { 1 })
            .map(|i| PairReport {
                channels: (2 * i + 1, 2 * i + 2),
                cm_rms_max_db: cm_max[i],
                rejection_min_db: rejection_min[i],
            })
            .collect(),
        None => Vec::new(),
    };
    let listener = ears.then(|| {
        let true_peak_lin = match engine {
            Some(_) => decoded_true_peak_lin,
            None => peaks[0].1.max(peaks[n_ch.min(2) - 1].1),
        };
        let reading = loudness.read();
        let plr_db = plr_lu(lin_to_db(true_peak_lin), &reading);
        ListenerReport::new(&ear_meter.read(), &reading, plr_db, ear.allowance)
    });
    Ok(Report {
        info: WavInfo { frames, ..info },
        channels,
        correlation,
        fault,
        pairs,
        listener,
    })
}

/// What a fault means for the user.
fn fault_text(decision: AutoFixDecision, pair_file: bool) -> &'static str {
    match decision {
        AutoFixDecision::NoFault => "none (both channels live, not anti-phase)",
        AutoFixDecision::LeftOnly => "one ear: only channel 1 is live (fix: in_mode=\"Auto fix\" or \"Left → both\")",
        AutoFixDecision::RightOnly => "one ear: only channel 2 is live (fix: in_mode=\"Auto fix\" or \"Right → both\")",
        AutoFixDecision::AntiPhase if pair_file => "anti-phase: the decoded pairs cancel (check the legs' wiring)",
        AutoFixDecision::AntiPhase => "anti-phase: looks like one balanced pair (hot, cold); try --pair, or in_mode=\"Balanced pair\"",
    }
}

/// `cuewire analyze IN [--json] [--pair] [--set ID=VALUE]... [--state FILE] [--quiet]`.
pub fn run(args: &AnalyzeArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let params = ParamSet::build(args.state.as_deref(), &args.sets)?;
    let path = args.input.as_path();
    let mut input = WavInput::open(path)?;
    let info = input.info();
    let mut progress = Progress::new("analyze", info.frames, info.sample_rate_hz, args.quiet);
    let ear = params.engine_settings().ear;
    let report = analyze(&mut input, args.pair, &ear, &mut progress)?;
    if args.json {
        let value = to_json(path, &report);
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        )
        .map_err(CliError::report)
    } else {
        write_text(out, path, &report).map_err(CliError::report)
    }
}

/// The report as JSON.
fn to_json(path: &Path, report: &Report) -> serde_json::Value {
    let info = &report.info;
    json!({
        "file": path.display().to_string(),
        "channels": info.channels,
        "sample_rate_hz": info.sample_rate_hz,
        "format": info.format.describe(),
        "seconds": (info.seconds() * 1000.0).round() / 1000.0,
        "per_channel": report.channels.iter().enumerate().map(|(i, c)| json!({
            "channel": i + 1,
            "sample_peak_dbfs": num(c.sample_peak_db),
            "true_peak_dbtp": num(c.true_peak_db),
            "rms_dbfs": num(c.rms_db),
            "rms_max_300ms_dbfs": num(c.rms_max_db),
            "headroom_db": num(c.headroom_db),
            "clip_events": c.clip_events,
        })).collect::<Vec<_>>(),
        "correlation": report.correlation.map(|(mean, min)| json!({"mean": num(mean), "min": num(min)})),
        "fault": report.fault.map(|(d, share)| json!({
            "decision": format!("{d:?}"),
            "label": d.label(),
            "share": num(share),
        })),
        "pairs": report.pairs.iter().map(|p| json!({
            "hot": p.channels.0,
            "cold": p.channels.1,
            "common_mode_rms_max_dbfs": num(p.cm_rms_max_db),
            "rejection_min_db": p.rejection_min_db.map(num),
        })).collect::<Vec<_>>(),
        "input": report.listener.map(|l| l.to_json()),
    })
}

/// The report as text.
fn write_text(out: &mut dyn Write, path: &Path, report: &Report) -> std::io::Result<()> {
    let info = &report.info;
    writeln!(
        out,
        "{}: {} ch, {} Hz, {}, {:.2} s",
        path.display(),
        info.channels,
        info.sample_rate_hz,
        info.format.describe(),
        info.seconds()
    )?;
    writeln!(
        out,
        "ch  sample peak   true peak    RMS (file)   RMS (max 300 ms)  headroom  clip events"
    )?;
    for (i, c) in report.channels.iter().enumerate() {
        writeln!(
            out,
            "{:<3} {:>6.1} dBFS  {:>6.1} dBTP  {:>6.1} dBFS  {:>6.1} dBFS       {:>5.1} dB  {}",
            i + 1,
            c.sample_peak_db,
            c.true_peak_db,
            c.rms_db,
            c.rms_max_db,
            c.headroom_db,
            c.clip_events
        )?;
    }
    let pair_file = info.channels == 4;
    let which = if pair_file { "decoded L/R" } else { "ch 1/2" };
    if let Some((mean, min)) = report.correlation {
        writeln!(
            out,
            "correlation ({which}): mean {mean:+.2}, lowest {min:+.2} (300 ms windows)"
        )?;
    }
    if let Some((decision, share)) = report.fault {
        writeln!(
            out,
            "input fault ({which}): {} — {:.0}% of the file",
            fault_text(decision, pair_file),
            share * 100.0
        )?;
    }
    for p in &report.pairs {
        let rejection = p
            .rejection_min_db
            .map_or("no common mode to reject".to_string(), |r| {
                format!("rejection {r:.1} dB (worst 300 ms)")
            });
        writeln!(
            out,
            "pair ch {}/{} (hot/cold): common mode {:.1} dBFS RMS (loudest 300 ms), {rejection}",
            p.channels.0, p.channels.1, p.cm_rms_max_db
        )?;
    }
    if let Some(listener) = &report.listener {
        listener.write_text(out, "input")?;
    }
    Ok(())
}
