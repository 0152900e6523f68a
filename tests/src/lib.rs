//! End-to-end test harness for Cuewire.

use std::path::PathBuf;

/// Path of the plugin's shared library (the cdylib cargo builds next to this test binary,
/// because `cuewire` is a dependency of this package).
pub fn plugin_library_path() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("deps dir");
    let name = format!(
        "{}cuewire{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    [
        deps.join(&name),
        deps.parent().expect("profile dir").join(&name),
    ]
    .into_iter()
    .find(|p| p.exists())
    .unwrap_or_else(|| panic!("{name} not found next to {}", exe.display()))
}
