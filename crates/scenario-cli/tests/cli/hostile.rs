//! The binary against a scripted server that sends what the fake never does:
//! escape sequences in errors and asset fields, items that do not decode, a
//! listing that fails half-way; and a base URL that would send credentials in
//! clear.

use scenario_testkit::{Reply, ScriptedServer, asset_with_id, listing};

use crate::support::{bare, one_error_line, stderr, stdout};

/// A scripted server on its own runtime, which serves it while the test waits
/// for the binary.
pub(crate) struct Scripted {
    server: ScriptedServer,
    // Dropped after the server.
    _runtime: tokio::runtime::Runtime,
}

impl Scripted {
    pub(crate) fn start(script: Vec<Reply>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the server");
        let server = runtime.block_on(ScriptedServer::start(script));
        Self {
            server,
            _runtime: runtime,
        }
    }

    /// The base URL of the API the server stands for.
    pub(crate) fn url(&self) -> &str {
        self.server.url()
    }

    pub(crate) fn scenario<const N: usize>(&self, args: [&str; N]) -> assert_cmd::Command {
        let mut command = bare(args);
        command
            .env("SCENARIO_BASE_URL", self.server.url())
            .env("SCENARIO_SDK_API_KEY", "key")
            .env("SCENARIO_SDK_API_SECRET", "secret");
        command
    }
}

/// Escape sequences a hostile server could send: a window title (OSC), a
/// screen clear (CSI), the one-byte C1 CSI, a bell, a right-to-left override,
/// and a line break that would fake a line of output.
const NASTY: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202e}boom\r\nfake: line";

fn assert_inert(text: &str) {
    for c in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}', '\r'] {
        assert!(!text.contains(c), "{c:?} reached the terminal: {text:?}");
    }
    assert!(
        !text.lines().any(|line| line.starts_with("fake: line")),
        "a server line break became a line: {text:?}"
    );
}

#[test]
fn escape_sequences_in_an_error_message_never_reach_the_terminal() {
    let body = serde_json::json!({ "message": NASTY }).to_string();
    let scripted = Scripted::start(vec![Reply::new(400, "application/json", body)]);
    let output = scripted.scenario(["assets", "list"]).output().unwrap();
    let line = one_error_line(&output, 1);
    assert_inert(&line);
    assert!(line.contains("boom"), "{line}");
}

#[test]
fn escape_sequences_in_assets_never_reach_the_terminal_in_tables_or_json() {
    let mut asset = asset_with_id(&format!("asset_{NASTY}"));
    asset["mimeType"] = NASTY.into();
    asset["kind"] = NASTY.into();
    let page = listing(vec![asset], serde_json::json!({}));
    let scripted = Scripted::start(vec![Reply::json(page)]);
    for args in [
        ["assets", "list", "--limit", "5"],
        ["assets", "list", "--json", "-q"],
    ] {
        let output = scripted.scenario(args).output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(stdout(&output).contains("boom"), "{}", stdout(&output));
        assert_inert(&stdout(&output));
        assert_inert(&stderr(&output));
    }
}

#[test]
fn a_bad_asset_is_a_warning_the_others_are_listed_and_the_exit_status_says_so() {
    let mut bad = asset_with_id(&format!("asset_{NASTY}"));
    bad["properties"]["size"] = serde_json::json!(1.5);
    let page = listing(
        vec![
            asset_with_id("asset_good"),
            bad,
            asset_with_id("asset_fine"),
        ],
        serde_json::json!({}),
    );
    let scripted = Scripted::start(vec![Reply::json(page.clone())]);
    let output = scripted.scenario(["assets", "list"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(
        out.contains("asset_good") && out.contains("asset_fine"),
        "{out}"
    );
    let err = stderr(&output);
    assert_inert(&err);
    assert!(
        err.contains("warning: skipped") && err.contains("properties.size"),
        "{err}"
    );
    assert!(err.contains("1 asset(s) could not be read"), "{err}");

    // --json passes every asset on as sent, reading none: the odd one too,
    // made inert for the terminal.
    let scripted = Scripted::start(vec![Reply::json(page)]);
    let output = scripted
        .scenario(["assets", "list", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert_inert(&out);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[1]["properties"]["size"], 1.5);
    assert_eq!(lines[1]["id"], format!("asset_{NASTY}"));
}

#[test]
fn a_failed_listing_says_how_to_resume() {
    let first = listing(
        vec![asset_with_id("asset_1")],
        serde_json::json!({"nextPaginationToken": "tok 2"}),
    );
    let scripted = Scripted::start(vec![
        Reply::json(first),
        Reply::new(404, "application/json", r#"{"message": "gone"}"#),
    ]);
    let output = scripted
        .scenario(["assets", "list", "--page-size", "1"])
        .output()
        .unwrap();
    let line = one_error_line(&output, 1);
    assert!(line.contains("--pagination-token 'tok 2'"), "{line}");
    assert!(stdout(&output).contains("asset_1"));
}

#[test]
fn plain_http_to_another_host_is_refused_unless_allowed() {
    let output = bare(["assets", "list"])
        .env("SCENARIO_BASE_URL", "http://api.example.invalid/v1")
        .env("SCENARIO_SDK_API_KEY", "key")
        .env("SCENARIO_SDK_API_SECRET", "secret")
        .output()
        .unwrap();
    let line = one_error_line(&output, 1);
    assert!(line.contains("--allow-insecure-http"), "{line}");
    assert!(line.contains("in clear"), "{line}");
    assert!(!line.contains("ClientBuilder"), "{line}");
}

#[test]
fn json_listings_print_each_asset_as_the_server_sent_it() {
    // Fields this CLI does not know, at the top and nested, and integers in
    // fields the SDK reads as floats: a re-serialised asset would drop the
    // first and print `1024.0`.
    let mut first = asset_with_id("asset_raw1");
    first["metadata"]["width"] = 1024.into();
    first["metadata"]["addedLater"] = serde_json::json!({ "depth": [1, 2, { "x": null }] });
    first["comesNext"] = serde_json::json!({ "nested": { "n": 7, "s": "é" } });
    let second = asset_with_id("asset_raw2");
    // serde_json writes the objects with their keys sorted and no spaces:
    // these exact bytes go on the wire.
    let sent = [first.to_string(), second.to_string()];
    let body = format!(r#"{{"assets":[{},{}]}}"#, sent[0], sent[1]);
    let scripted = Scripted::start(vec![Reply::json(body)]);

    let output = scripted
        .scenario(["assets", "list", "--json"])
        .output()
        .unwrap();

    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines, [sent[0].as_str(), sent[1].as_str()], "byte for byte");
    assert!(lines[0].contains(r#""width":1024}"#), "{}", lines[0]);
    assert!(
        lines[0].contains(r#""addedLater":{"depth":[1,2,{"x":null}]}"#),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains(r#""comesNext":{"nested":{"n":7,"s":"é"}}"#),
        "{}",
        lines[0]
    );
}

#[test]
fn json_listings_keep_the_server_s_key_order_on_one_line() {
    let asset = serde_json::to_string_pretty(&asset_with_id("asset_pretty")).unwrap();
    let reordered = asset.replacen('{', "{\n  \"zFirst\": 1.50,", 1);
    let body = format!("{{\"assets\": [\n{reordered}\n]}}");
    let scripted = Scripted::start(vec![Reply::json(body)]);

    let output = scripted
        .scenario(["assets", "list", "--json"])
        .output()
        .unwrap();

    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with(r#"{"zFirst":1.50,"#), "{out}");
    let printed: serde_json::Value = serde_json::from_str(&out).unwrap();
    let sent: serde_json::Value = serde_json::from_str(&reordered).unwrap();
    assert_eq!(printed, sent);
}

#[test]
fn a_listing_the_cli_cannot_read_stops_soon_with_a_few_warnings_and_the_token() {
    // Items that do not decode (numbers for ids), each page with a fresh token.
    let unreadable = |key: &str, i: usize| {
        let items = [
            serde_json::json!({"id": 2 * i}),
            serde_json::json!({"id": 2 * i + 1}),
        ];
        let body = serde_json::json!({key: items, "nextPaginationToken": format!("t{i}")});
        Reply::json(body.to_string())
    };
    for (command, key) in [(["assets", "list"], "assets"), (["jobs", "list"], "jobs")] {
        let scripted = Scripted::start((0..40).map(|i| unreadable(key, i)).collect());
        let output = scripted.scenario(command).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        let err = stderr(&output);
        let lines: Vec<&str> = err.lines().collect();
        // Five warnings, one saying the rest are counted, and the error.
        assert_eq!(lines.len(), 7, "{command:?}: {err}");
        assert!(lines[5].contains("counted, not shown"), "{err}");
        let last = lines[6];
        assert!(last.contains("--pagination-token"), "{last}");
        assert!(
            scripted.server.hits() <= 13,
            "{} requests",
            scripted.server.hits()
        );
    }
}

/// An API that answers the asset `asset_hostile` (of `size` bytes) with its
/// file on `files`.
fn api_of_one_asset(files: &Scripted, size: u64) -> Scripted {
    let mut asset = asset_with_id("asset_hostile");
    asset["url"] = format!("{}/files/asset_hostile.png", files.url()).into();
    asset["mimeType"] = "image/png".into();
    asset["properties"]["size"] = size.into();
    let body = serde_json::json!({ "assets": [asset] }).to_string();
    Scripted::start(vec![Reply::json(body)])
}

#[test]
fn a_file_longer_than_the_asset_is_refused_named_and_not_kept() {
    let files = Scripted::start(vec![Reply::new(200, "image/png", vec![7u8; 5000])]);
    let api = api_of_one_asset(&files, 1000);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let output = api
        .scenario(["assets", "download", "asset_hostile", "--dir", out])
        .output()
        .unwrap();
    let line = one_error_line(&output, 1);
    assert!(line.contains("could not be downloaded"), "{line}");
    let text = format!("{}{}", stdout(&output), stderr(&output));
    assert!(
        text.contains("asset_hostile") && text.contains("5000") && text.contains("1000"),
        "{text}"
    );
    assert!(!dir.path().join("asset_hostile.png").exists());
}

#[test]
fn a_file_another_download_is_writing_is_refused_naming_it() {
    let files = Scripted::start(vec![Reply::new(200, "image/png", vec![7u8; 1000])]);
    let api = api_of_one_asset(&files, 1000);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let partial = dir.path().join("asset_hostile.png.part");
    std::fs::write(&partial, b"being written").unwrap();
    let other = std::fs::OpenOptions::new()
        .write(true)
        .open(&partial)
        .unwrap();
    other.try_lock().unwrap();
    let output = api
        .scenario(["assets", "download", "asset_hostile", "--dir", out])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = format!("{}{}", stdout(&output), stderr(&output));
    assert!(text.contains("another download of the same file"), "{text}");
    assert!(!text.contains("free space"), "{text}");
    assert_eq!(std::fs::read(&partial).unwrap(), b"being written");

    drop(other);
    let output = api
        .scenario(["assets", "download", "asset_hostile", "--dir", out])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        std::fs::read(dir.path().join("asset_hostile.png")).unwrap(),
        vec![7u8; 1000]
    );
}
