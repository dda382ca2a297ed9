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
