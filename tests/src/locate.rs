//! Finds the plugin library cargo built for this test run.

use std::path::PathBuf;

/// File name of the cdylib cargo emits for the `cuewire` package on this OS.
const CUEWIRE_FILE: &str = if cfg!(target_os = "windows") {
    "cuewire.dll"
} else if cfg!(target_os = "macos") {
    "libcuewire.dylib"
} else {
    "libcuewire.so"
};

/// The path of the `libcuewire` cdylib built alongside the running test binary.
///
/// `cuewire-tests` depends on the `cuewire` package, so `cargo test` builds its cdylib into
/// `target/<profile>/deps/` (the directory holding the test binaries themselves) and, for a
/// workspace-member build, also copies it to `target/<profile>/`. `CUEWIRE_CLAP_LIB` overrides the
/// search (e.g. to test a release bundle's `Cuewire.clap`).
pub fn cuewire_library_path() -> Result<PathBuf, crate::Error> {
    if let Some(path) = std::env::var_os("CUEWIRE_CLAP_LIB") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut tried = Vec::new();
    for dir in exe.ancestors().skip(1).take(3) {
        for candidate in [dir.join(CUEWIRE_FILE), dir.join("deps").join(CUEWIRE_FILE)] {
            if candidate.is_file() {
                return Ok(candidate);
            }
            tried.push(candidate.display().to_string());
        }
    }
    Err(format!(
        "{CUEWIRE_FILE} not found (tried {}); build it with `cargo test -p cuewire-tests`",
        tried.join(", ")
    ))
}
