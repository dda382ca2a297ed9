//! What every published crate carries for crates.io and docs.rs: both license
//! files (the root's text, as `cargo package` copies them), the license
//! expression, and docs.rs' `--cfg docsrs` with `doc_cfg` turned on in each
//! library, so that an item gated by a Cargo feature shows its badge.

use std::path::{Path, PathBuf};

use xtask::workspace_root;

const LICENSES: [&str; 2] = ["LICENSE-MIT", "LICENSE-APACHE"];

/// The crates under `crates/` whose manifest does not say `publish = false`.
fn published_crates() -> Vec<PathBuf> {
    let mut crates: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("crates"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|dir| {
            let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
            !manifest
                .lines()
                .any(|line| line.trim() == "publish = false")
        })
        .collect();
    crates.sort();
    crates
}

fn name(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn the_published_crates_are_the_four_we_publish() {
    let names: Vec<String> = published_crates().iter().map(|d| name(d)).collect();
    assert_eq!(
        names,
        [
            "scenario-api",
            "scenario-cli",
            "scenario-mock",
            "scenario-sdk"
        ]
    );
}

#[test]
fn every_published_crate_carries_both_licenses() {
    let root = workspace_root();
    let workspace = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(
        workspace
            .lines()
            .any(|line| line.trim() == r#"license = "MIT OR Apache-2.0""#),
        "the workspace's license expression"
    );
    for license in LICENSES {
        let text = std::fs::read_to_string(root.join(license)).unwrap();
        assert!(text.len() > 1000, "{license} at the root holds the license");
        for dir in published_crates() {
            let copy = std::fs::read_to_string(dir.join(license))
                .unwrap_or_else(|e| panic!("{}/{license}: {e}", name(&dir)));
            assert_eq!(copy, text, "{}/{license} is the root's", name(&dir));
        }
    }
    for dir in published_crates() {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains("license.workspace = true"),
            "{} takes the workspace's license",
            name(&dir)
        );
    }
}

#[test]
fn every_published_library_shows_feature_badges_on_docs_rs() {
    for dir in published_crates() {
        let lib = dir.join("src/lib.rs");
        if !lib.exists() {
            continue; // a binary: docs.rs documents libraries only
        }
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let metadata = manifest
            .split("[package.metadata.docs.rs]")
            .nth(1)
            .unwrap_or_else(|| panic!("{} has [package.metadata.docs.rs]", name(&dir)));
        let metadata = metadata.split("\n[").next().unwrap();
        assert!(metadata.contains("all-features = true"), "{}", name(&dir));
        assert!(
            metadata.contains(r#"rustdoc-args = ["--cfg", "docsrs"]"#),
            "{}",
            name(&dir)
        );
        let source = std::fs::read_to_string(&lib).unwrap();
        assert!(
            source.contains("#![cfg_attr(docsrs, feature(doc_cfg))]"),
            "{}/src/lib.rs turns on doc_cfg under docsrs",
            name(&dir)
        );
    }
}
