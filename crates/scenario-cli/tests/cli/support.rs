//! A fake of the API running in the test process, and the `scenario` binary
//! pointed at it.

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use scenario_mock::MockServer;

/// The path of the binary under test, for tests that drive the process themselves.
pub fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("scenario")
}

/// The variables the binary reads; cleared so that the developer's own never
/// leak in (and `HOME` points where no config file is, see [`bare`]).
const ENV_VARS: [&str; 8] = [
    "SCENARIO_BASE_URL",
    "SCENARIO_SDK_API_KEY",
    "SCENARIO_SDK_API_SECRET",
    "SCENARIO_SDK_JWT",
    "SCENARIO_PROFILE",
    "SCENARIO_CONFIG_FILE",
    "XDG_CONFIG_HOME",
    "RUST_LOG",
];

/// A home directory without a config file, so that the developer's own
/// profiles never reach a test.
fn no_home() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-home")
}

/// A fake of the API on its own runtime (which serves it while the test waits
/// for the binary).
pub struct Fake {
    pub server: MockServer,
    // Dropped after the server.
    _runtime: tokio::runtime::Runtime,
}

impl Fake {
    /// A fake with `assets` seeded assets (seed 0: always the same ones).
    pub fn with_assets(assets: usize) -> Self {
        Self::from_builder(MockServer::builder().assets(assets))
    }

    /// A fake from a configured builder.
    pub fn from_builder(builder: scenario_mock::MockServerBuilder) -> Self {
        Self::with_delay(builder, Duration::from_millis(50))
    }

    /// A fake whose uploads validate and jobs run for `delay`.
    pub fn with_delay(builder: scenario_mock::MockServerBuilder, delay: Duration) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the fake");
        let server = runtime
            .block_on(builder.validation_delay(delay).start())
            .expect("the fake listens on 127.0.0.1");
        Self {
            server,
            _runtime: runtime,
        }
    }

    /// `scenario ARGS...` with the fake's URL and credentials in its environment.
    pub fn scenario<const N: usize>(&self, args: [&str; N]) -> Command {
        let mut command = bare(args);
        command
            .env("SCENARIO_BASE_URL", self.server.base_url())
            .env("SCENARIO_SDK_API_KEY", self.server.api_key())
            .env("SCENARIO_SDK_API_SECRET", self.server.api_secret());
        command
    }

    /// `scenario ARGS...` started in the background with the fake's URL and
    /// credentials, its output piped, for tests that signal or race it.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        use std::process::{Command, Stdio};
        Command::new(bin())
            .args(args)
            .env("SCENARIO_BASE_URL", self.server.base_url())
            .env("SCENARIO_SDK_API_KEY", self.server.api_key())
            .env("SCENARIO_SDK_API_SECRET", self.server.api_secret())
            .env_remove("RUST_LOG")
            .env_remove("SCENARIO_PROFILE")
            .env_remove("SCENARIO_CONFIG_FILE")
            .env_remove("XDG_CONFIG_HOME")
            .env("HOME", no_home())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts")
    }
}

/// `scenario ARGS...` with none of the variables it reads set, and a fixed
/// terminal width for help texts.
pub fn bare<const N: usize>(args: [&str; N]) -> Command {
    let mut command = Command::cargo_bin("scenario").expect("cargo built the scenario binary");
    for var in ENV_VARS {
        command.env_remove(var);
    }
    command
        .env("HOME", no_home())
        .env("COLUMNS", "100")
        .args(args)
        .timeout(Duration::from_secs(60));
    command
}

/// The output's stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

/// The output's stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// Asserts the command failed with `code` and printed exactly one line on
/// stderr, which it returns.
pub fn one_error_line(output: &Output, code: i32) -> String {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(code), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line expected: {err:?}");
    assert!(err.starts_with("error: "), "{err:?}");
    err.trim_end().to_owned()
}

/// Every line of stdout parsed as JSON.
pub fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    stdout(output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}")))
        .collect()
}

/// Polls `done` every 10 ms until it holds, for at most `limit`.
pub fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// insta settings that hide what changes from run to run: upload and asset
/// ids made by the fake, and its clock's dates.
pub fn redacted() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"upload_[0-9A-Za-z]{22}", "upload_[id]");
    settings.add_filter(r"asset_[0-9A-Za-z]{22}", "asset_[id]");
    settings.add_filter(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[date]");
    settings
}

/// Sends `signal` (such as `INT`) to process `pid` with the shell's `kill`
/// builtin (a `kill` binary is not on every machine).
#[cfg(unix)]
pub fn send_signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("sh")
        .args(["-c", &format!("kill -{signal} {pid}")])
        .status()
        .expect("sh runs");
    assert!(status.success(), "kill -{signal} {pid} failed");
}
