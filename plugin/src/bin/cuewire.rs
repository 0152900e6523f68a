//! `cuewire`: the offline command-line tool (see `cuewire --help`). The logic lives in the
//! `cli` module (plugin/src/cli/), compiled into this binary only, so the plugin library stays
//! free of file I/O and its dependencies.

#[path = "../cli/mod.rs"]
mod cli;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(cli::main_with_args(&args));
}
