//! An additive change to the document needs no hand edit anywhere.
//!
//! Copies the workspace, adds an optional field to `Asset` and an optional query
//! parameter to `GET /assets`, regenerates, and checks that every crate and
//! every target still compiles, with an example that uses both through the SDK.
//! The API surface summary shows both; the snapshot is the only test that notices.
//!
//! Slow (a `cargo check` of the whole copy), so ignored by default; CI runs it:
//! `cargo test -p xtask --test additive -- --ignored`.

use std::process::Command;

use xtask::{SPEC_PATH, codegen, surface, workspace_root};

const FIELD: &str = "scenarioRsProbe";

fn add_probe(yaml: &str) -> String {
    let mut doc: serde_yaml::Value = serde_yaml::from_str(yaml).expect("the document is YAML");
    let field: serde_yaml::Value = serde_yaml::from_str(
        "type: string\ndescription: A field added to check that additive changes compile.",
    )
    .unwrap();
    doc["components"]["schemas"]["Asset"]["properties"]
        .as_mapping_mut()
        .expect("Asset has properties")
        .insert(FIELD.into(), field);
    let param: serde_yaml::Value = serde_yaml::from_str(&format!(
        "name: {FIELD}\nin: query\ndescription: A parameter added to check that additive changes compile.\nschema:\n  type: string"
    ))
    .unwrap();
    doc["paths"]["/assets"]["get"]["parameters"]
        .as_sequence_mut()
        .expect("GET /assets has parameters")
        .push(param);
    serde_yaml::to_string(&doc).unwrap()
}

#[test]
#[ignore = "slow: checks a copy of the whole workspace; CI runs it"]
fn an_optional_field_and_parameter_compile_everywhere_untouched() {
    let root = workspace_root();
    let copy = tempfile::tempdir().unwrap();
    xtask::copy_tracked_files(&root, copy.path()).expect("the tree copies");

    let yaml = add_probe(&std::fs::read_to_string(root.join(SPEC_PATH)).unwrap());
    std::fs::write(copy.path().join(SPEC_PATH), &yaml).unwrap();
    let outputs = codegen::render_all_spec(&yaml).expect("the changed document generates");
    for (path, code) in &outputs {
        std::fs::write(copy.path().join(path), code).unwrap();
    }

    // The reviewer's summary shows both additions.
    let summary = surface::render(&outputs[0].1).unwrap();
    assert!(summary.contains("scenario_rs_probe"), "{summary}");

    // The SDK reaches both with no hand edit: the listing's generated setter
    // and the asset's field.
    std::fs::write(
        copy.path()
            .join("crates/scenario-sdk/examples/additive_probe.rs"),
        r#"//! Uses what the additive check adds to the document.
use futures::TryStreamExt;

#[tokio::main]
async fn main() -> scenario_sdk::Result<()> {
    let client = scenario_sdk::Client::from_env()?;
    let assets: Vec<_> = client.assets().list().scenario_rs_probe("x").stream().try_collect().await?;
    for asset in assets {
        println!("{:?}", asset.scenario_rs_probe);
    }
    Ok(())
}
"#,
    )
    .unwrap();

    let target = root.join("target/additive-check");
    let status = Command::new(env!("CARGO"))
        .args(["check", "--workspace", "--all-targets", "--quiet"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(copy.path())
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "after an additive change to the document, the workspace no longer compiles without hand edits"
    );
}
