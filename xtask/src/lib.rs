//! The pieces of `cargo xtask`, as a library so that tests can drive them.

pub mod areas;
pub mod codegen;
pub mod constructors;
pub mod feature_gates;
pub mod lenient;
pub mod open_enums;
pub mod operations;
pub mod optional_schemas;
pub mod readme;
pub mod surface;

use std::path::{Path, PathBuf};

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// The OpenAPI document, relative to the workspace root.
pub const SPEC_PATH: &str = "openapi/scenario.yaml";

/// The generated raw client, relative to the workspace root.
pub const GENERATED_PATH: &str = "crates/scenario-api/src/generated.rs";

/// The generated operation types (parameters, limits, listings), relative to the workspace root.
pub const OPERATIONS_PATH: &str = "crates/scenario-api/src/operations.rs";

/// The generated setters of the SDK's requests, relative to the workspace root.
pub const SETTERS_PATH: &str = "crates/scenario-sdk/src/request_setters.rs";

/// The tracked (and new, not ignored) files of the tree at `root`, copied under `to`
/// with their mtimes: what a fresh clone of the work tree would hold.
pub fn copy_tracked_files(root: &std::path::Path, to: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let listed = std::process::Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root)
        .output()
        .context("running git ls-files")?;
    anyhow::ensure!(listed.status.success(), "git ls-files failed");
    for name in listed.stdout.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let relative = std::path::PathBuf::from(String::from_utf8_lossy(name).into_owned());
        let from = root.join(&relative);
        // Deleted in the work tree but still in the index: a fresh clone of this tree has not.
        let Ok(metadata) = std::fs::metadata(&from) else {
            continue;
        };
        let dest = to.join(&relative);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(&from, &dest).with_context(|| format!("copying {}", from.display()))?;
        std::fs::File::options()
            .write(true)
            .open(&dest)?
            .set_modified(metadata.modified()?)?;
    }
    Ok(())
}
