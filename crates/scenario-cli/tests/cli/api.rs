//! `scenario api <operationId>`: every operation of the document, by its id.

use crate::support::{Fake, bare, json_lines, one_error_line, stderr, stdout};

#[test]
fn a_listing_takes_query_flags_and_a_get_a_path_flag() {
    let fake = Fake::with_assets(5);
    let output = fake
        .scenario(["api", "listAssets", "--page-size", "2"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let pages = json_lines(&output);
    assert_eq!(pages.len(), 1, "one body, on one line");
    let assets = pages[0]["assets"].as_array().unwrap();
    assert_eq!(assets.len(), 2);
    let id = assets[0]["id"].as_str().unwrap();

    // The kebab-case form of the id works too.
    let output = fake
        .scenario(["api", "get-asset", "--asset-id", id])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json_lines(&output)[0]["asset"]["id"], id);
}

#[test]
fn a_create_takes_its_body_inline_from_a_file_or_from_stdin() {
    let fake = Fake::with_assets(0);
    let output = fake
        .scenario(["api", "createCollection", "--body", r#"{"name":"Inline"}"#])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json_lines(&output)[0]["collection"]["name"], "Inline");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body.json");
    std::fs::write(&file, r#"{"name": "From a file"}"#).unwrap();
    let at_file = format!("@{}", file.display());
    let output = fake
        .scenario(["api", "createCollection", "--body", &at_file])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json_lines(&output)[0]["collection"]["name"], "From a file");

    let output = fake
        .scenario(["api", "createCollection", "--body", "-"])
        .write_stdin(r#"{"name":"From stdin"}"#)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json_lines(&output)[0]["collection"]["name"], "From stdin");

    let output = fake.scenario(["api", "listCollections"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        json_lines(&output)[0]["collections"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn usage_errors_exit_2() {
    let fake = Fake::with_assets(0);
    // A required flag missing.
    let output = fake.scenario(["api", "getAsset"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--asset-id"),
        "{}",
        stderr(&output)
    );
    // A required body missing.
    let output = fake.scenario(["api", "createCollection"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--body"), "{}", stderr(&output));
    // A value the document does not list.
    let output = fake
        .scenario(["api", "listAssets", "--type", "hologram"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("img2img"), "{}", stderr(&output));
    // A body that is not the operation's, refused before sending, on one line.
    let output = fake
        .scenario(["api", "createCollection", "--body", "{}"])
        .output()
        .unwrap();
    let line = one_error_line(&output, 2);
    assert!(line.contains("missing field `name`"), "{line}");
    // No such operation.
    let output = fake.scenario(["api", "getAssetz"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn a_missing_asset_is_one_line_and_exit_1() {
    let fake = Fake::with_assets(0);
    let output = fake
        .scenario(["api", "getAsset", "--asset-id", "asset_missing"])
        .output()
        .unwrap();
    let line = one_error_line(&output, 1);
    assert!(line.contains("getAsset"), "{line}");
    assert!(stdout(&output).is_empty());
}

#[test]
fn help_lists_the_operations() {
    let output = bare(["api", "--help"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for id in ["listAssets", "getAsset", "createCollection"] {
        assert!(text.contains(id), "{id} missing: {text}");
    }
    let output = bare(["api", "getAsset", "--help"]).output().unwrap();
    let text = stdout(&output);
    assert!(text.contains("GET /assets/{assetId}"), "{text}");
}

#[test]
fn a_body_whose_fields_are_all_optional_may_be_left_out() {
    let fake = Fake::with_assets(0);
    let output = fake
        .scenario(["api", "createCollection", "--body", r#"{"name":"Kept"}"#])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let id = json_lines(&output)[0]["collection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // No --body: `{}` is sent, which changes nothing.
    let output = fake
        .scenario(["api", "updateCollection", "--collection-id", &id])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json_lines(&output)[0]["collection"]["name"], "Kept");
}

#[test]
fn server_text_is_escaped_before_it_reaches_the_terminal() {
    let fake = Fake::with_assets(0);
    let output = fake
        .scenario([
            "api",
            "createCollection",
            "--body",
            r#"{"name":"red\u001b[31m\u009b"}"#,
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{9b}'),
        "{text:?}"
    );
    assert!(text.contains(r"\u001b[31m"), "{text:?}");
    assert_eq!(
        json_lines(&output)[0]["collection"]["name"],
        "red\u{1b}[31m\u{9b}"
    );
}
