//! `scenario uploads create | get | import`.

use std::path::Path;
use std::time::Duration;

use scenario_mock::{Fault, FaultRule, OperationId, Route};
use scenario_sdk::types::UploadStatus;
use scenario_testkit::{content, temp_file};

#[cfg(unix)]
use crate::support::send_signal;
use crate::support::{
    Fake, bare, json_lines, one_error_line, redacted, stderr, stdout, wait_until,
};

fn arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temp path")
}

/// The value on the `label` line of the text output.
fn field<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(' ')?;
        (name == label).then(|| value.trim())
    })
}

#[test]
fn create_with_wait_prints_the_upload_its_status_and_the_new_asset() {
    let fake = Fake::with_assets(0);
    let (_dir, path) = temp_file("hero.png", &content(1000));
    let output = fake
        .scenario(["uploads", "create", arg(&path), "--kind", "image", "--wait"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "",
        "no bar and no hint when stderr is a pipe"
    );
    let text = stdout(&output);

    let upload_id = field(&text, "upload").expect("the upload id");
    let asset_id = field(&text, "asset").expect("the asset id");
    assert_eq!(field(&text, "status"), Some("complete"));
    let upload = fake
        .server
        .upload(upload_id)
        .expect("the fake knows the upload");
    assert_eq!(upload.status, UploadStatus::Complete);
    assert_eq!(upload.entity_id.as_deref(), Some(asset_id));
    assert!(fake.server.asset(asset_id).is_some());
    let receipt = fake.server.upload_receipt(upload_id).unwrap();
    assert_eq!(receipt.bytes(), Some(&std::fs::read(&path).unwrap()[..]));

    redacted().bind(|| insta::assert_snapshot!(text));
}

#[test]
fn create_json_prints_the_upload_as_one_object() {
    let fake = Fake::with_assets(0);
    let (_dir, path) = temp_file("walk.mp4", &content(4096));
    let output = fake
        .scenario([
            "uploads",
            "create",
            arg(&path),
            "--kind",
            "video",
            "--wait",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 1);
    let upload = &lines[0];
    assert_eq!(upload["status"], "complete");
    assert_eq!(upload["kind"], "video");
    assert_eq!(upload["fileName"], "walk.mp4");
    assert_eq!(upload["fileSize"], 4096);
    let entity = upload["entityId"].as_str().expect("entityId");
    assert!(fake.server.asset(entity).is_some());
}

#[test]
fn part_size_concurrency_and_asset_options_reach_the_upload() {
    let fake = Fake::with_assets(0);
    let len = 6 * 1024 * 1024 + 123;
    let (_dir, path) = temp_file("big.png", &content(len));
    let output = fake
        .scenario([
            "uploads",
            "create",
            arg(&path),
            "--kind",
            "image",
            "--part-size",
            "5MiB",
            "--concurrency",
            "2",
            "--collection",
            "coll_a",
            "--collection",
            "coll_b",
            "--parent",
            "asset_parent",
            "--hide",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let upload = &json_lines(&output)[0];
    let id = upload["id"].as_str().unwrap();
    let receipt = fake.server.upload_receipt(id).unwrap();
    assert_eq!(receipt.parts_count, Some(2));
    assert_eq!(receipt.part(1).map(|p| p.size), Some(5 * 1024 * 1024));
    assert_eq!(receipt.total_bytes, len as u64);
    let options = &upload["assetOptions"];
    assert_eq!(
        options["collectionIds"],
        serde_json::json!(["coll_a", "coll_b"])
    );
    assert_eq!(options["parentId"], "asset_parent");
    assert_eq!(options["hide"], true);
}

#[test]
fn create_without_wait_says_how_to_follow_the_upload() {
    let fake = Fake::with_assets(0);
    let (_dir, path) = temp_file("hero.png", &content(100));
    let output = fake
        .scenario(["uploads", "create", arg(&path), "--kind", "image"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let id = field(&text, "upload").unwrap();
    assert_eq!(field(&text, "status"), Some("validating"));
    assert!(
        stderr(&output).contains(&format!("`scenario uploads get {id}`")),
        "{}",
        stderr(&output)
    );

    let quiet = fake
        .scenario([
            "uploads",
            "create",
            arg(&path),
            "--kind",
            "image",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert!(quiet.status.success());
    assert_eq!(stderr(&quiet), "");
}

#[test]
fn a_missing_file_fails_in_one_line_naming_it_before_any_request() {
    let fake = Fake::with_assets(0);
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-texture.png");
    let output = fake
        .scenario(["uploads", "create", arg(&missing), "--kind", "image"])
        .output()
        .unwrap();
    let line = one_error_line(&output, 1);
    assert!(
        line.contains(&format!("cannot read {}", missing.display())),
        "{line}"
    );
    assert!(line.ends_with("; check the path"), "{line}");
    assert_eq!(fake.server.request_count(Route::AnyApi), 0);
}

#[test]
fn a_directory_or_an_empty_file_is_refused() {
    let fake = Fake::with_assets(0);
    let (dir, empty) = temp_file("empty.png", b"");
    let output = fake
        .scenario(["uploads", "create", arg(dir.path()), "--kind", "image"])
        .output()
        .unwrap();
    assert!(one_error_line(&output, 1).contains("is a directory"));
    let output = fake
        .scenario(["uploads", "create", arg(&empty), "--kind", "image"])
        .output()
        .unwrap();
    assert!(one_error_line(&output, 1).contains("empty.png is empty"));
    assert_eq!(fake.server.request_count(Route::AnyApi), 0);
}

#[test]
fn missing_credentials_fail_in_one_line_naming_the_variable() {
    let (_dir, path) = temp_file("hero.png", &content(10));
    let output = bare(["uploads", "create", arg(&path), "--kind", "image"])
        .output()
        .unwrap();
    let line = one_error_line(&output, 1);
    assert!(line.contains("SCENARIO_SDK_API_KEY"), "{line}");
    assert!(line.contains("scenario mock serve"), "{line}");
}

#[test]
fn an_unknown_kind_is_a_usage_error_that_lists_the_kinds() {
    let output = bare(["uploads", "create", "hero.png", "--kind", "picture"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("[possible values: 3d, asset, audio, avatar, image, model, text, video]"),
        "{err}"
    );
}

#[test]
fn an_unknown_subcommand_is_a_usage_error() {
    for args in [vec!["frobnicate"], vec!["uploads", "delete", "x"]] {
        let output = bare([]).args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains("unrecognized subcommand"),
            "{args:?}"
        );
    }
}

#[test]
fn get_shows_an_upload_as_text_or_json() {
    let fake = Fake::with_assets(0);
    let (_dir, path) = temp_file("hero.png", &content(500));
    let created = fake
        .scenario([
            "uploads",
            "create",
            arg(&path),
            "--kind",
            "image",
            "--wait",
            "--json",
        ])
        .output()
        .unwrap();
    let created = &json_lines(&created)[0];
    let id = created["id"].as_str().unwrap();

    let json = fake
        .scenario(["uploads", "get", id, "--json"])
        .output()
        .unwrap();
    assert!(json.status.success(), "{}", stderr(&json));
    let got = &json_lines(&json)[0];
    assert_eq!(got["id"], id);
    assert_eq!(got["status"], "complete");
    assert_eq!(got["entityId"], created["entityId"]);

    let text = fake.scenario(["uploads", "get", id]).output().unwrap();
    let text = stdout(&text);
    assert_eq!(field(&text, "upload"), Some(id));
    assert_eq!(field(&text, "status"), Some("complete"));
    assert_eq!(field(&text, "asset"), created["entityId"].as_str());
}

#[test]
fn get_of_an_unknown_upload_says_to_check_the_id() {
    let fake = Fake::with_assets(0);
    let output = fake
        .scenario(["uploads", "get", "upload_doesnotexist"])
        .output()
        .unwrap();
    let line = one_error_line(&output, 1);
    assert!(
        line.starts_with("error: cannot get upload upload_doesnotexist: "),
        "{line}"
    );
    assert!(line.contains("404"), "{line}");
    assert!(line.ends_with("check the id"), "{line}");
}

#[test]
fn import_with_wait_ends_imported_with_an_asset() {
    let fake = Fake::with_assets(0);
    let output = fake
        .scenario([
            "uploads",
            "import",
            "https://example.com/textures/brick.png",
            "--kind",
            "image",
            "--wait",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert_eq!(field(&text, "status"), Some("imported"));
    assert_eq!(field(&text, "file"), Some("brick.png"));
    let asset = field(&text, "asset").expect("the asset id");
    assert!(fake.server.asset(asset).is_some());
    // The fake never fetches the URL: nothing left the machine.
    redacted().bind(|| insta::assert_snapshot!(text));
}

#[test]
fn import_of_a_non_http_url_fails_with_advice() {
    let fake = Fake::with_assets(0);
    let output = fake
        .scenario([
            "uploads",
            "import",
            "ftp://example.com/a.png",
            "--kind",
            "image",
            "--json",
        ])
        .output()
        .unwrap();
    let line = one_error_line(&output, 1);
    assert!(
        line.starts_with("error: cannot import ftp://example.com/a.png: "),
        "{line}"
    );
    assert!(line.contains("http(s)"), "{line}");
}

/// Ctrl-C while parts are in flight: the process says so, exits 130, and the
/// upload is left pending (never completed).
#[cfg(unix)]
#[test]
fn ctrl_c_stops_an_upload_without_completing_it() {
    let fake = Fake::with_assets(0);
    // The part hangs long enough for the signal to find it in flight.
    fake.server.inject(FaultRule::new(
        Route::PartPut,
        Fault::Delay(Duration::from_secs(30)),
    ));
    let (_dir, path) = temp_file("hero.png", &content(1000));
    let mut child = fake.spawn(&["uploads", "create", arg(&path), "--kind", "image", "--wait"]);

    // The fault is picked when the part's request arrives.
    wait_until(Duration::from_secs(20), "the part upload", || {
        !fake.server.faults_injected().is_empty()
    });
    send_signal(child.id(), "INT");
    wait_until(Duration::from_secs(20), "the process to stop", || {
        child.try_wait().unwrap().is_some()
    });
    let output = child.wait_with_output().unwrap();

    assert_eq!(output.status.code(), Some(130));
    let uploads = fake.server.uploads();
    assert_eq!(uploads.len(), 1);
    let upload = &uploads[0];
    assert_eq!(
        stderr(&output),
        format!("upload {} cancelled; nothing was completed\n", upload.id)
    );
    assert_eq!(stdout(&output), "");
    assert_eq!(upload.status, UploadStatus::Pending);
    assert_eq!(
        fake.server.request_count(OperationId::TriggerUploadAction),
        0
    );
}

/// Asserts a usage error: exit status 2, nothing sent, and a message that
/// names the flag and says what to type instead.
fn assert_usage_error(fake: &Fake, args: &[&str], expected: &[&str]) {
    let output = fake.scenario([]).args(args).output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
    for part in expected {
        assert!(err.contains(part), "{args:?}: {part:?} not in {err}");
    }
    for sdk_name in ["wait_timeout", "part_size", "with wait(true)"] {
        assert!(!err.contains(sdk_name), "{args:?} names the SDK: {err}");
    }
    assert_eq!(fake.server.request_count(Route::AnyApi), 0, "{args:?}");
}

#[test]
fn flag_values_the_upload_would_refuse_are_usage_errors_naming_the_flag() {
    let fake = Fake::with_assets(0);
    let (_dir, path) = temp_file("hero.png", &content(100));
    let file = arg(&path);
    let create = ["uploads", "create", file, "--kind", "image"];
    let with = |extra: &[&'static str]| [&create[..], extra].concat();
    assert_usage_error(
        &fake,
        &with(&["--wait", "--wait-timeout", "0s"]),
        &["--wait-timeout", "not above zero", "e.g. 90s"],
    );
    assert_usage_error(
        &fake,
        &with(&["--wait", "--poll-interval", "0s"]),
        &["--poll-interval", "not above zero"],
    );
    assert_usage_error(
        &fake,
        &with(&["--wait-timeout", "5s"]),
        &["only apply with --wait"],
    );
    assert_usage_error(
        &fake,
        &[
            "uploads",
            "import",
            "https://example.com/a.png",
            "--kind",
            "image",
            "--wait",
            "--wait-timeout",
            "0ms",
        ],
        &["--wait-timeout", "not above zero"],
    );
    assert_usage_error(
        &fake,
        &with(&["--part-size", "1MiB"]),
        &[
            "--part-size must be at least 5 MiB (the storage's minimum)",
            "8MiB",
        ],
    );
    assert_usage_error(
        &fake,
        &with(&["--part-size", "0"]),
        &["--part-size must be at least 5 MiB"],
    );
    assert_usage_error(
        &fake,
        &with(&["--part-size", "6GiB"]),
        &["--part-size must be at most 5 GiB (the storage's maximum)"],
    );
    assert_usage_error(
        &fake,
        &with(&["--concurrency", "0"]),
        &["--concurrency must be from 1 to 32"],
    );
    assert_usage_error(
        &fake,
        &with(&["--concurrency", "33"]),
        &["--concurrency must be from 1 to 32"],
    );
    assert_usage_error(&fake, &["uploads", "get", ""], &["<ID>"]);
}

#[test]
fn a_part_size_that_makes_too_many_parts_says_which_size_would_do() {
    let fake = Fake::with_assets(0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.bin");
    // Sparse: one byte more than 10 000 parts of 5 MiB, without writing 50 GB.
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(10_000 * 5 * 1024 * 1024 + 1).unwrap();
    assert_usage_error(
        &fake,
        &[
            "uploads",
            "create",
            arg(&path),
            "--kind",
            "image",
            "--part-size",
            "5MiB",
        ],
        &[
            "--part-size 5 MiB cuts",
            "into 10001 parts, more than the storage's 10000",
            "use --part-size 6MiB or more",
        ],
    );
}
