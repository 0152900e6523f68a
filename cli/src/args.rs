//! The command line (clap), and clap's errors turned into the tool's one-line errors with exit
//! code 2.

use std::path::PathBuf;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::CliError;

/// The names of the commands, for "unknown command" errors.
const COMMANDS: &str = "render, params, analyze";

/// What follows the options in `cuewire --help`.
const AFTER_HELP: &str = "\
Outputs are written to a temporary file next to the destination and renamed when complete.
Exit codes: 0 ok, 2 bad command line, 3 unusable input, 4 output not written.";

/// `cuewire`'s whole command line.
#[derive(Debug, Parser)]
#[command(
    name = "cuewire",
    version,
    about = "Offline Cuewire: the plugin's engine and meters on WAV files",
    after_help = AFTER_HELP
)]
struct Cli {
    /// The command; none is an error with a hint, not the help.
    #[command(subcommand)]
    command: Option<Command>,
}

/// A command of the tool.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Process IN.wav like the plugin would
    ///
    /// The input's channel count picks the layout: 1 = Mono, 2 = Stereo, 4 = Balanced pairs
    /// (Hot L, Cold L, Hot R, Cold R).
    Render(RenderArgs),
    /// List every parameter: id, name, range or allowed values, default
    Params,
    /// Measure a recording with the plugin's meters
    ///
    /// Per channel: sample peak, true peak, RMS, headroom, clip events; correlation; the input
    /// fault Auto fix detects; for a pair (4 channels, or 2 with --pair) the common-mode level
    /// and the rejection of the decode; the level at the ear as played on the main output
    /// (its calibration from --set) and the loudness.
    Analyze(AnalyzeArgs),
}

/// The sample format of `render`'s outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// 32-bit float WAV
    Float,
    /// The input's sample format (integer output is rounded, not dithered)
    Same,
}

/// Which of the two plugins `render` behaves as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PluginKind {
    /// Cuewire Monitor: four cue outputs and a talkback input
    Monitor,
    /// Cuewire, the insert: no cues, no talkback input, listen off
    Insert,
}

/// Options of `cuewire render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The WAV file to process
    #[arg(value_name = "IN.wav")]
    pub input: PathBuf,
    /// Where the main output goes
    #[arg(value_name = "OUT.wav")]
    pub output: PathBuf,
    /// A parameter by id and value text, as `cuewire params` lists them (e.g. --set
    /// in_mode="Auto fix" --set main_gain=-6); applied after --state, in order
    #[arg(long = "set", value_name = "ID=VALUE")]
    pub sets: Vec<String>,
    /// A plugin state: nice-plug's JSON, a CLAP state blob, or a VST3 preset (.vstpreset)
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Writes the resulting state: a VST3 preset when FILE ends in .vstpreset, else JSON
    /// (both loadable by --state and the plugin)
    #[arg(long, value_name = "FILE")]
    pub save_state: Option<PathBuf>,
    // clap turns the placeholder itself into a line break in help texts, so it is described.
    /// Writes every cue that is on to PATTERN, the letter n in braces replaced by the cue number
    #[arg(long, value_name = "PATTERN")]
    pub cue_out: Option<String>,
    /// The outputs' sample format
    #[arg(long, value_enum, default_value_t = OutputFormat::Float)]
    pub format: OutputFormat,
    /// Machine-readable report
    #[arg(long)]
    pub json: bool,
    /// A 2-channel WAV on the aux input (Hot R, Cold R): the right pair for --set in_pairs=On
    /// with a 2-channel input; shorter than the input is silence past its end
    #[arg(long, value_name = "FILE")]
    pub aux: Option<PathBuf>,
    /// A 1- or 2-channel WAV on the talkback input (Monitor only; 2 channels are summed);
    /// shorter than the input is silence past its end
    #[arg(long, value_name = "FILE")]
    pub talk: Option<PathBuf>,
    /// The plugin to behave as
    #[arg(long, value_enum, default_value_t = PluginKind::Monitor)]
    pub plugin: PluginKind,
    /// No progress bar
    #[arg(long)]
    pub quiet: bool,
}

/// Options of `cuewire analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The WAV file to measure
    #[arg(value_name = "IN.wav")]
    pub input: PathBuf,
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
    /// Treat a 2-channel file as one balanced pair (hot, cold)
    #[arg(long)]
    pub pair: bool,
    /// A parameter by id and value text, as for render: the main output's calibration
    /// (main_fullscale, main_amp, main_sens, ...) and the allowance set the level at the ear
    #[arg(long = "set", value_name = "ID=VALUE")]
    pub sets: Vec<String>,
    /// A plugin state whose main calibration and allowance apply (as for render)
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// No progress bar
    #[arg(long)]
    pub quiet: bool,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Parsed {
    /// Run a command.
    Run(Command),
    /// Print this text (the help or the version) and stop.
    Print(String),
}

/// Parses `args` (without the program name).
pub fn parse(args: &[String]) -> Result<Parsed, CliError> {
    let argv = std::iter::once("cuewire").chain(args.iter().map(String::as_str));
    match Cli::try_parse_from(argv) {
        Ok(Cli {
            command: Some(command),
        }) => Ok(Parsed::Run(command)),
        Ok(Cli { command: None }) => {
            Err(CliError::usage("no command given (try `cuewire --help`)"))
        }
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            Ok(Parsed::Print(e.render().to_string()))
        }
        Err(e) => Err(CliError::usage(usage_message(&e, args))),
    }
}

/// The number of file arguments `command` takes.
fn file_count(command: &str) -> usize {
    match command {
        "render" => 2,
        "analyze" => 1,
        _ => 0,
    }
}

/// One line for a clap error: the tool's own wording for the common mistakes, clap's first
/// paragraph for the rest.
fn usage_message(e: &clap::Error, args: &[String]) -> String {
    let context = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => vec![s.clone()],
        Some(ContextValue::Strings(v)) => v.clone(),
        _ => Vec::new(),
    };
    // Commands take no options before them, so the first word is the command.
    let command = args.first().map_or("", String::as_str);
    match e.kind() {
        ErrorKind::InvalidSubcommand => {
            let name = context(ContextKind::InvalidSubcommand).concat();
            format!("unknown command '{name}' (commands: {COMMANDS})")
        }
        ErrorKind::MissingRequiredArgument => {
            let n = file_count(command);
            let missing = context(ContextKind::InvalidArg).len();
            format!(
                "{command} needs {n} file argument{} (got {}; see `cuewire --help`)",
                if n == 1 { "" } else { "s" },
                n.saturating_sub(missing)
            )
        }
        ErrorKind::UnknownArgument => {
            let arg = context(ContextKind::InvalidArg).concat();
            if arg.starts_with('-') {
                format!("unknown option '{arg}'")
            } else if file_count(command) == 0 {
                format!("{command} takes no file arguments")
            } else {
                format!("{command}: unexpected argument '{arg}'")
            }
        }
        _ => {
            let text = e.render().to_string();
            let paragraph: Vec<&str> = text
                .lines()
                .take_while(|line| !line.trim().is_empty())
                .map(str::trim)
                .collect();
            paragraph.join(" ").trim_start_matches("error: ").to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Parsed, CliError> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse(&args)
    }

    fn error(args: &[&str]) -> String {
        let e = parse_strs(args).unwrap_err();
        assert_eq!(e.code, crate::EXIT_USAGE, "{args:?}");
        e.message
    }

    #[test]
    fn options_in_any_form_and_order() {
        let Ok(Parsed::Run(Command::Render(r))) = parse_strs(&[
            "render",
            "--set",
            "x=1",
            "a.wav",
            "--set=y=2",
            "--format",
            "same",
            "b.wav",
            "--quiet",
        ]) else {
            panic!("not a render");
        };
        assert_eq!(r.input, PathBuf::from("a.wav"));
        assert_eq!(r.output, PathBuf::from("b.wav"));
        assert_eq!(r.sets, ["x=1", "y=2"]);
        assert_eq!(r.format, OutputFormat::Same);
        assert!(r.quiet && r.state.is_none());
        assert_eq!(r.plugin, PluginKind::Monitor);
        let Ok(Parsed::Run(Command::Render(r))) = parse_strs(&[
            "render",
            "a.wav",
            "b.wav",
            "--plugin",
            "insert",
            "--aux",
            "r.wav",
            "--talk=t.wav",
        ]) else {
            panic!("not a render");
        };
        assert_eq!(r.plugin, PluginKind::Insert);
        assert_eq!(r.aux, Some(PathBuf::from("r.wav")));
        assert_eq!(r.talk, Some(PathBuf::from("t.wav")));
    }

    #[test]
    fn help_and_version_are_printed_not_errors() {
        let Ok(Parsed::Print(help)) = parse_strs(&["render", "--help"]) else {
            panic!("render --help is not help");
        };
        assert!(help.contains("--save-state <FILE>"), "{help}");
        let Ok(Parsed::Print(version)) = parse_strs(&["--version"]) else {
            panic!("--version is not a version");
        };
        assert_eq!(version, format!("cuewire {}\n", env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn mistakes_are_one_line_usage_errors() {
        assert_eq!(
            error(&["analyze"]),
            "analyze needs 1 file argument (got 0; see `cuewire --help`)"
        );
        assert_eq!(
            error(&["render", "a", "b", "c"]),
            "render: unexpected argument 'c'"
        );
        assert_eq!(error(&["params", "x"]), "params takes no file arguments");
        assert_eq!(
            error(&["render", "a", "b", "--format", "double"]),
            "invalid value 'double' for '--format <FORMAT>' [possible values: float, same]"
        );
        assert!(error(&["render", "a", "b", "--state", "x", "--state", "y"])
            .contains("cannot be used multiple times"));
    }
}
