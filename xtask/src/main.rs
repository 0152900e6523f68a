//! `cargo xtask bundle cuewire --release`: builds the CLAP and VST3 bundles
//! (`target/bundled/Cuewire.clap`, `target/bundled/Cuewire.vst3`) and a copy of the offline tool
//! named for what it is, `target/bundled/cuewire-cli`. Other commands go to nice-plug's xtask.

#![forbid(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// The package of the offline tool.
const CLI_PACKAGE: &str = "cuewire-cli";
/// The offline tool's binary. nice-plug's bundler takes a binary named like the plugin's package
/// for a standalone app and copies it into the bundle directory under the plugin's display name,
/// so this one is kept out of its sight while it bundles.
const CLI_BIN: &str = "cuewire";
/// The name of the tool's copy in the bundle directory.
const CLI_COPY: &str = "cuewire-cli";
/// Where earlier bundle runs left the tool under the plugin's name; removed as stale.
const STALE_CLI_COPY: &str = "Cuewire";

fn main() -> nice_plug_xtask::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((command, rest)) if command == "bundle" => bundle(rest),
        _ => nice_plug_xtask::main_with_args("cargo xtask", args),
    }
}

/// `bundle PACKAGE [cargo options]` or `bundle -p PACKAGE... [cargo options]`.
fn bundle(args: &[String]) -> anyhow::Result<()> {
    nice_plug_xtask::chdir_workspace_root()?;
    let (packages, cargo_args) = split_packages(args)?;
    let mut built = packages.clone();
    built.push(CLI_PACKAGE.to_owned());
    nice_plug_xtask::build(&built, &cargo_args)?;

    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let cli = output_dir(&target_dir, &cargo_args).join(executable(CLI_BIN, &cargo_args));
    let hidden = cli.with_extension("xtask-hidden");
    fs::rename(&cli, &hidden).with_context(|| format!("cannot move '{}' aside", cli.display()))?;
    let bundled = packages
        .iter()
        .try_for_each(|package| nice_plug_xtask::bundle(&target_dir, package, &cargo_args, false));
    fs::rename(&hidden, &cli).with_context(|| format!("cannot move '{}' back", cli.display()))?;
    bundled?;

    let bundle_dir = target_dir.join("bundled");
    let stale = bundle_dir.join(STALE_CLI_COPY);
    if stale.is_file() {
        fs::remove_file(&stale).with_context(|| format!("cannot remove '{}'", stale.display()))?;
    }
    let copy = bundle_dir.join(executable(CLI_COPY, &cargo_args));
    fs::copy(&cli, &copy)
        .with_context(|| format!("cannot copy the tool to '{}'", copy.display()))?;
    eprintln!("Copied the command-line tool to '{}'", copy.display());
    Ok(())
}

/// The packages to bundle and the options for cargo, as nice-plug's xtask splits them.
fn split_packages(args: &[String]) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let mut rest = args;
    let mut packages = Vec::new();
    while let [flag, package, tail @ ..] = rest {
        if flag != "-p" {
            break;
        }
        packages.push(package.clone());
        rest = tail;
    }
    if packages.is_empty() {
        let (package, tail) = rest
            .split_first()
            .context("usage: cargo xtask bundle <package> [--release] [cargo build options]")?;
        packages.push(package.clone());
        rest = tail;
    }
    Ok((packages, rest.to_vec()))
}

/// The value of cargo option `name` (`--name VALUE` or `--name=VALUE`), the last one given.
fn option<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    let mut found = None;
    for (i, arg) in args.iter().enumerate() {
        if arg == name {
            found = args.get(i + 1).map(String::as_str);
        } else if let Some(value) = arg.strip_prefix(name).and_then(|v| v.strip_prefix('=')) {
            found = Some(value);
        }
    }
    found
}

/// Where cargo writes the build's binaries: `target/[TRIPLE/]PROFILE`.
fn output_dir(target_dir: &Path, cargo_args: &[String]) -> PathBuf {
    let profile = match option(cargo_args, "--profile") {
        Some("dev" | "test") => "debug",
        Some("release" | "bench") => "release",
        Some(profile) => profile,
        None if cargo_args.iter().any(|a| a == "--release") => "release",
        None => "debug",
    };
    match option(cargo_args, "--target") {
        Some(triple) => target_dir.join(triple).join(profile),
        None => target_dir.join(profile),
    }
}

/// A binary's file name on the platform built for.
fn executable(name: &str, cargo_args: &[String]) -> String {
    let windows = match option(cargo_args, "--target") {
        Some(triple) => triple.contains("windows"),
        None => cfg!(windows),
    };
    if windows {
        format!("{name}.exe")
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn packages_and_cargo_options_split_like_nice_plugs_xtask() {
        let (p, rest) = split_packages(&strings(&["cuewire", "--release"])).unwrap();
        assert_eq!((p, rest), (strings(&["cuewire"]), strings(&["--release"])));
        let (p, rest) =
            split_packages(&strings(&["-p", "a", "-p", "b", "--profile", "x"])).unwrap();
        assert_eq!(
            (p, rest),
            (strings(&["a", "b"]), strings(&["--profile", "x"]))
        );
        assert!(split_packages(&[]).is_err());
    }

    #[test]
    fn output_dir_follows_profile_and_target() {
        let dir = |args: &[&str]| output_dir(Path::new("t"), &strings(args));
        assert_eq!(dir(&[]), Path::new("t/debug"));
        assert_eq!(dir(&["--release"]), Path::new("t/release"));
        assert_eq!(dir(&["--profile", "profiling"]), Path::new("t/profiling"));
        assert_eq!(dir(&["--profile=dev"]), Path::new("t/debug"));
        assert_eq!(
            dir(&["--release", "--target", "x86_64-pc-windows-gnu"]),
            Path::new("t/x86_64-pc-windows-gnu/release")
        );
        assert_eq!(
            executable("cuewire", &strings(&["--target=x86_64-pc-windows-msvc"])),
            "cuewire.exe"
        );
    }
}
