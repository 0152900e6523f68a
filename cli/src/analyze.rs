//! `cuewire analyze`: a recording measured with the plugin's own meters (sample and true peak,
//! RMS, headroom, clip events, correlation, Auto fix's fault detector, and the engine's
//! common-mode meter for balanced pairs).

use std::io::Write;
use std::path::Path;

use cuewire_dsp::autofix::{AutoFixDecision, AutoFixDetector};
use cuewire_dsp::engine::{Engine, EngineSettings};
use cuewire_dsp::input::{InputLayout, InputMode};
use cuewire_dsp::meter::{ChannelMeter, StereoMeter};
use cuewire_dsp::units::{lin_to_db, power_to_db};
use serde_json::json;

use crate::args::AnalyzeArgs;
use crate::progress::Progress;
use crate::wav::{self, Audio};
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
    /// Per channel, in file order.
    pub channels: Vec<ChannelReport>,
    /// Mean and lowest 300 ms correlation of the stereo pair (2 channels: 1/2; 4 channels: the
    /// decoded L/R), when there is one.
    pub correlation: Option<(f32, f32)>,
    /// Auto fix's decision for most of the file, and the share of the file it held (0..1).
    pub fault: Option<(AutoFixDecision, f32)>,
    /// Balanced pairs.
    pub pairs: Vec<PairReport>,
}

/// Analyses `audio`; `pair` treats a 2-channel file as one balanced pair (hot, cold).
pub fn analyze(audio: &Audio, pair: bool, progress: &mut Progress) -> Result<Report, CliError> {
    let n_ch = audio.channels.len();
    if pair && n_ch != 2 {
        return Err(CliError::usage(format!(
            "--pair needs a 2-channel file (this one has {n_ch}; 4-channel files are pairs already)"
        )));
    }
    let rate = audio.sample_rate_hz as f32;
    let frames = audio.frames();
    let hop = ((f64::from(audio.sample_rate_hz) * HOP_MS / 1000.0) as usize).max(1);
    let settle = (f64::from(audio.sample_rate_hz) * SETTLE_MS / 1000.0) as usize;

    let mut meters: Vec<ChannelMeter> = (0..n_ch).map(|_| ChannelMeter::new(rate)).collect();
    let mut peaks = vec![(0.0f32, 0.0f32, 0.0f32); n_ch]; // sample peak, true peak, RMS max
    let mut last = vec![None; n_ch];

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

    // Correlation and the fault detector look at channels 1/2, or at the decoded pairs.
    let stereo_source = n_ch == 2 || n_ch == 4;
    let mut stereo = StereoMeter::new(rate);
    let mut detector = AutoFixDetector::new(rate);
    let mut corr = Vec::new();
    let mut decision_frames = [0usize; 4];

    let mut start = 0;
    while start < frames {
        let end = (start + hop).min(frames);
        for ((meter, ch), (peak, last)) in meters
            .iter_mut()
            .zip(&audio.channels)
            .zip(peaks.iter_mut().zip(last.iter_mut()))
        {
            meter.process(&ch[start..end]);
            let r = meter.read();
            peak.0 = peak.0.max(r.sample_peak_lin);
            peak.1 = peak.1.max(r.true_peak_lin);
            peak.2 = peak.2.max(r.rms_lin);
            *last = Some(r);
        }
        let (l, r): (&[f32], &[f32]) = match engine.as_mut() {
            Some(engine) => {
                let len = end - start;
                let [dl, dr] = &mut decoded;
                dl[..len].copy_from_slice(&audio.channels[0][start..end]);
                dr[..len].copy_from_slice(&audio.channels[1][start..end]);
                let aux = (n_ch == 4).then(|| {
                    (
                        &audio.channels[2][start..end],
                        &audio.channels[3][start..end],
                    )
                });
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
                (&decoded[0][..len], &decoded[1][..len])
            }
            None if stereo_source => (
                &audio.channels[0][start..end],
                &audio.channels[1][start..end],
            ),
            None => (&[], &[]),
        };
        if stereo_source {
            stereo.process(l, r);
            detector.process(l, r);
            if end >= settle {
                corr.push(stereo.read().correlation);
            }
            let idx = match detector.decision() {
                AutoFixDecision::NoFault => 0,
                AutoFixDecision::LeftOnly => 1,
                AutoFixDecision::RightOnly => 2,
                AutoFixDecision::AntiPhase => 3,
            };
            decision_frames[idx] += end - start;
        }
        start = end;
        progress.update(start);
    }
    progress.finish();

    let channels = audio
        .channels
        .iter()
        .zip(peaks.iter().zip(&last))
        .map(|(ch, (peak, last))| {
            let mean_square = ch.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>()
                / ch.len().max(1) as f64;
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
    let correlation = (!corr.is_empty()).then(|| {
        let mean = corr.iter().sum::<f32>() / corr.len() as f32;
        let min = corr.iter().copied().fold(f32::INFINITY, f32::min);
        (mean, min)
    });
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
    Ok(Report {
        channels,
        correlation,
        fault,
        pairs,
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

/// `cuewire analyze IN [--json] [--pair] [--quiet]`.
pub fn run(args: &AnalyzeArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let path = args.input.as_path();
    let audio = wav::read(path)?;
    let mut progress = Progress::new("analyze", audio.frames(), audio.sample_rate_hz, args.quiet);
    let report = analyze(&audio, args.pair, &mut progress)?;
    if args.json {
        let value = to_json(path, &audio, &report);
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        )
        .map_err(CliError::report)
    } else {
        write_text(out, path, &audio, &report).map_err(CliError::report)
    }
}

/// A finite number for JSON (silence reads −200 dB, never −inf, so this only guards).
fn num(x: f32) -> serde_json::Value {
    if x.is_finite() {
        json!((f64::from(x) * 100.0).round() / 100.0)
    } else {
        serde_json::Value::Null
    }
}

/// The report as JSON.
fn to_json(path: &Path, audio: &Audio, report: &Report) -> serde_json::Value {
    json!({
        "file": path.display().to_string(),
        "channels": audio.channels.len(),
        "sample_rate_hz": audio.sample_rate_hz,
        "format": audio.format.describe(),
        "seconds": (audio.seconds() * 1000.0).round() / 1000.0,
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
    })
}

/// The report as text.
fn write_text(
    out: &mut dyn Write,
    path: &Path,
    audio: &Audio,
    report: &Report,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{}: {} ch, {} Hz, {}, {:.2} s",
        path.display(),
        audio.channels.len(),
        audio.sample_rate_hz,
        audio.format.describe(),
        audio.seconds()
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
    let pair_file = audio.channels.len() == 4;
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
    Ok(())
}
