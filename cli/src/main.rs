//! `cuewire`: the offline command-line tool. Renders WAV files through the same engine and
//! parameters as the plugin, lists the parameters, and analyses a recording with the plugin's
//! own meters (see `cuewire --help`).

#![forbid(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

mod analyze;
mod args;
mod level;
mod params;
mod progress;
mod render;
mod vstpreset;
mod wav;

use std::io::Write;

use args::Command;

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

/// Runs the tool with `args` (without the program name), writing reports, help and version to
/// `out` and progress to stderr.
fn run(args: &[String], out: &mut dyn Write) -> Result<(), CliError> {
    let command = match args::parse(args)? {
        args::Parsed::Run(command) => command,
        args::Parsed::Print(text) => return write!(out, "{text}").map_err(CliError::report),
    };
    match command {
        Command::Render(render_args) => render::run(&render_args, out),
        Command::Params => params::write_listing(out),
        Command::Analyze(analyze_args) => analyze::run(&analyze_args, out),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let code = match run(&args, &mut out) {
        Ok(()) => 0,
        // A reader that stopped early (`| head`): nothing to say, not a failure.
        Err(e) if e.code == 0 => 0,
        Err(e) => {
            let _ = out.flush();
            eprintln!("cuewire: error: {}", e.message);
            e.code
        }
    };
    std::process::exit(code);
}
