//! The offline command-line tool `cuewire`: renders WAV files through the same engine and
//! parameters as the plugin, lists the parameters, and analyses a recording with the plugin's
//! own meters. Compiled into the `cuewire` binary (src/bin/cuewire.rs), whose `main` only calls
//! [`main_with_args`].

pub mod analyze;
pub mod args;
pub mod progress;
pub mod render;
pub mod settings;
pub mod wav;

use std::io::Write;

/// Exit code for a bad command line (unknown command or option, unknown parameter id or value).
pub const EXIT_USAGE: i32 = 2;
/// Exit code for an unusable input (missing file, not a WAV, unsupported channel count, bad
/// state file).
pub const EXIT_INPUT: i32 = 3;
/// Exit code for an output that could not be written.
pub const EXIT_OUTPUT: i32 = 4;

/// A one-line error and the process exit code that goes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// The message, one line, no trailing period.
    pub message: String,
    /// Process exit code ([`EXIT_USAGE`], [`EXIT_INPUT`] or [`EXIT_OUTPUT`]).
    pub code: i32,
}

impl CliError {
    /// A command-line mistake.
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: EXIT_USAGE,
        }
    }

    /// An unusable input.
    pub fn input(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: EXIT_INPUT,
        }
    }

    /// An output that could not be written.
    pub fn output(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: EXIT_OUTPUT,
        }
    }

    /// A failed write of the report to stdout; a closed pipe (`| head`) stops the tool quietly
    /// with exit code 0.
    pub fn report(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Self {
                message: String::new(),
                code: 0,
            }
        } else {
            Self::output(format!("cannot write report: {e}"))
        }
    }
}

/// The help text.
pub const USAGE: &str = "\
cuewire — offline Cuewire: the plugin's engine and meters on WAV files

USAGE:
  cuewire render IN.wav OUT.wav [--set ID=VALUE]... [--state FILE] [--save-state FILE]
                                [--cue-out PATTERN] [--format float|same] [--quiet]
  cuewire params
  cuewire analyze IN.wav [--json] [--pair] [--quiet]

render   Processes IN.wav like the plugin would. The input's channel count picks the layout:
         1 = Mono, 2 = Stereo, 4 = Balanced pairs (Hot L, Cold L, Hot R, Cold R).
         --set ID=VALUE   a parameter by id and value text, as `cuewire params` lists them
                          (e.g. --set in_mode=\"Auto fix\" --set main_gain=-6); applied after --state
         --state FILE     a plugin state: nice-plug's JSON, or a CLAP state blob
         --save-state F   writes the resulting state as JSON (loadable by --state and the plugin)
         --cue-out PAT    writes every cue that is on to PAT with {n} replaced by the cue number
         --format         float (default): 32-bit float WAV; same: the input's sample format
                          (integer output is rounded, not dithered)
params   Lists every parameter: id, name, range or allowed values, default.
analyze  Per channel: sample peak, true peak, RMS, headroom, clip events; correlation; the
         input fault Auto fix detects; for a pair (4 channels, or 2 with --pair) the
         common-mode level and the rejection of the decode. --json for machine-readable output.

Outputs are written to a temporary file next to the destination and renamed when complete.
Exit codes: 0 ok, 2 bad command line, 3 unusable input, 4 output not written.";

/// Runs the tool with `args` (without the program name), writing reports to `out` and
/// progress to stderr.
pub fn run(args: &[String], out: &mut dyn Write) -> Result<(), CliError> {
    let Some((command, rest)) = args.split_first() else {
        return Err(CliError::usage("no command given (try `cuewire --help`)"));
    };
    match command.as_str() {
        "render" => render::run(rest, out),
        "params" => {
            args::parse(rest, &[], &[])?.expect_positional(0, "params")?;
            let listing = settings::ParamSet::default().listing();
            let width = listing.iter().map(|p| p.id.len()).max().unwrap_or(0);
            let name_width = listing.iter().map(|p| p.name.len()).max().unwrap_or(0);
            for p in &listing {
                writeln!(
                    out,
                    "{:width$}  {:name_width$}  {}  (default {})",
                    p.id, p.name, p.range, p.default
                )
                .map_err(CliError::report)?;
            }
            Ok(())
        }
        "analyze" => analyze::run(rest, out),
        "-h" | "--help" | "help" => writeln!(out, "{USAGE}").map_err(CliError::report),
        other => Err(CliError::usage(format!(
            "unknown command '{other}' (commands: render, params, analyze)"
        ))),
    }
}

/// The binary's whole `main`: runs and turns an error into `cuewire: error: …` on stderr and
/// its exit code.
pub fn main_with_args(args: &[String]) -> i32 {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match run(args, &mut out) {
        Ok(()) => 0,
        // A reader that stopped early (`| head`): nothing to say, not a failure.
        Err(e) if e.code == 0 => 0,
        Err(e) => {
            let _ = out.flush();
            eprintln!("cuewire: error: {}", e.message);
            e.code
        }
    }
}
