//! Profiles: `scenario configure` writes the config file owner-only,
//! `scenario auth status` says where each setting comes from, flags and
//! variables win over the profile, and the secret is never shown.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use scenario_mock::OperationId;

use crate::support::{Fake, bare, one_error_line, stderr, stdout};

/// A secret that must never show in any output.
const SECRET_MARK: &str = "s3cr3t-never-shown";

/// A config directory of its own (`XDG_CONFIG_HOME`) for one test.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn xdg(&self) -> PathBuf {
        self.dir.path().join("xdg")
    }

    fn file(&self) -> PathBuf {
        self.xdg().join("scenario").join("config.toml")
    }

    /// `scenario ARGS...` with no credentials in the environment and this
    /// config directory.
    fn scenario<const N: usize>(&self, args: [&str; N]) -> Command {
        let mut command = bare(args);
        command.env("XDG_CONFIG_HOME", self.xdg());
        command
    }

    /// Stores `profile` with the fake's URL, its key and `secret` (from stdin).
    fn configure(&self, fake: &Fake, profile: &str, secret: &str) {
        let url = fake.server.base_url();
        let output = self
            .scenario(["configure", "--profile", profile, "--base-url", &url])
            .args(["--api-key", fake.server.api_key()])
            .write_stdin(format!("{secret}\n"))
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        assert_no_secret(&output, secret);
    }
}

fn assert_no_secret(output: &std::process::Output, secret: &str) {
    assert!(!stdout(output).contains(secret), "{}", stdout(output));
    assert!(!stderr(output).contains(secret), "{}", stderr(output));
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn configure_writes_the_profile_owner_only_and_reads_the_secret_from_stdin() {
    let fake = Fake::with_assets(0);
    let home = Home::new();
    home.configure(&fake, "default", fake.server.api_secret());
    let text = std::fs::read_to_string(home.file()).unwrap();
    let stored: toml::Table = toml::from_str(&text).unwrap();
    let profile = &stored["profiles"]["default"];
    assert_eq!(
        profile["base_url"].as_str(),
        Some(fake.server.base_url().as_str())
    );
    assert_eq!(profile["api_key"].as_str(), Some(fake.server.api_key()));
    assert_eq!(
        profile["api_secret"].as_str(),
        Some(fake.server.api_secret())
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&home.file()), 0o600);
        assert_eq!(mode(home.file().parent().unwrap()), 0o700);
    }
    // A rewrite keeps the file owner-only even if someone opened it up, and
    // keeps what it does not change.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let wide = std::fs::Permissions::from_mode;
        std::fs::set_permissions(home.file(), wide(0o644)).unwrap();
        std::fs::set_permissions(home.file().parent().unwrap(), wide(0o755)).unwrap();
        // Reading a file others can read warns.
        let output = home.scenario(["assets", "list"]).output().unwrap();
        assert!(
            stderr(&output).contains("can be read by other users"),
            "{}",
            stderr(&output)
        );
    }
    let output = home
        .scenario(["configure", "--base-url", "http://127.0.0.1:9/v1"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let stored: toml::Table =
        toml::from_str(&std::fs::read_to_string(home.file()).unwrap()).unwrap();
    let profile = &stored["profiles"]["default"];
    assert_eq!(profile["base_url"].as_str(), Some("http://127.0.0.1:9/v1"));
    assert_eq!(
        profile["api_secret"].as_str(),
        Some(fake.server.api_secret())
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&home.file()), 0o600);
        assert_eq!(mode(home.file().parent().unwrap()), 0o700);
    }
    // Nothing but the file is left in the directory.
    let entries: Vec<_> = std::fs::read_dir(home.file().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, ["config.toml"]);
}

#[test]
fn a_profile_connects_a_command_with_nothing_in_the_environment() {
    let fake = Fake::with_assets(3);
    let home = Home::new();
    home.configure(&fake, "default", fake.server.api_secret());
    let output = home
        .scenario(["assets", "list", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).lines().count(), 3);
}

#[test]
fn flags_and_variables_win_over_the_profile() {
    let fake = Fake::with_assets(1);
    let home = Home::new();
    home.configure(&fake, "default", SECRET_MARK);
    // The profile's secret is wrong: the service refuses it.
    let output = home.scenario(["assets", "list"]).output().unwrap();
    let line = one_error_line(&output, 1);
    assert!(line.contains("401"), "{line}");
    assert_no_secret(&output, SECRET_MARK);
    // The variable wins over the profile.
    let output = home
        .scenario(["assets", "list"])
        .env("SCENARIO_SDK_API_SECRET", fake.server.api_secret())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    // The flag wins over the variable.
    let output = home
        .scenario(["assets", "list", "--api-secret", fake.server.api_secret()])
        .env("SCENARIO_SDK_API_SECRET", "wrong")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    // The base URL too: a variable pointing nowhere wins over the profile's.
    let output = home
        .scenario(["assets", "list", "--api-secret", fake.server.api_secret()])
        .env("SCENARIO_BASE_URL", "http://127.0.0.1:9/v1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    // A bearer token in the environment wins over the profile's key and secret.
    let status = home
        .scenario(["auth", "status"])
        .env("SCENARIO_SDK_JWT", "a-token")
        .output()
        .unwrap();
    assert!(
        stdout(&status).contains("bearer token  set (from $SCENARIO_SDK_JWT)"),
        "{}",
        stdout(&status)
    );
}

#[test]
fn the_profile_is_chosen_by_flag_then_variable_then_default() {
    let fake = Fake::with_assets(1);
    let home = Home::new();
    home.configure(&fake, "default", SECRET_MARK);
    home.configure(&fake, "work", fake.server.api_secret());
    let works = |command: &mut Command| command.output().unwrap().status.success();
    assert!(!works(&mut home.scenario(["assets", "list"])));
    assert!(works(&mut home.scenario([
        "assets",
        "list",
        "--profile",
        "work"
    ])));
    assert!(works(
        home.scenario(["assets", "list"])
            .env("SCENARIO_PROFILE", "work")
    ));
    assert!(!works(
        home.scenario(["assets", "list", "--profile", "default"])
            .env("SCENARIO_PROFILE", "work")
    ));
    // A profile named but absent is an error, before any request.
    let before = fake.server.requests().len();
    let output = home
        .scenario(["assets", "list", "--profile", "nope"])
        .output()
        .unwrap();
    let line = one_error_line(&output, 1);
    assert!(line.contains("no profile nope"), "{line}");
    assert!(line.contains("scenario configure --profile nope"), "{line}");
    assert_eq!(fake.server.requests().len(), before);
}

#[test]
fn auth_status_says_where_each_setting_comes_from_and_checks_the_credentials() {
    let fake = Fake::with_assets(1);
    let home = Home::new();
    home.configure(&fake, "work", fake.server.api_secret());
    let before = fake.server.request_count(OperationId::ListAssets);
    let output = home
        .scenario(["auth", "status"])
        .env("SCENARIO_PROFILE", "work")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_no_secret(&output, fake.server.api_secret());
    let text = stdout(&output);
    let file = home.file().display().to_string();
    for line in [
        "profile      work (from $SCENARIO_PROFILE)".to_owned(),
        format!("config file  {file}"),
        format!(
            "base URL     {} (from profile work)",
            fake.server.base_url()
        ),
        "API key      ********-key (from profile work)".to_owned(),
        "API secret   set (from profile work)".to_owned(),
        "credentials  accepted (GET /assets answered)".to_owned(),
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} not in\n{text}");
    }
    assert_eq!(
        fake.server.request_count(OperationId::ListAssets),
        before + 1,
        "one request"
    );

    // Flags and variables are named as such.
    let output = home
        .scenario([
            "auth",
            "status",
            "--profile",
            "work",
            "--api-secret",
            SECRET_MARK,
        ])
        .env("SCENARIO_SDK_API_KEY", fake.server.api_key())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_no_secret(&output, SECRET_MARK);
    let text = stdout(&output);
    assert!(
        text.contains("profile      work (from --profile)"),
        "{text}"
    );
    assert!(
        text.contains("API key      ********-key (from $SCENARIO_SDK_API_KEY)"),
        "{text}"
    );
    assert!(
        text.contains("API secret   set (from --api-secret)"),
        "{text}"
    );
    let err = stderr(&output);
    assert!(
        err.starts_with("error: the credentials were not accepted (GET /assets)"),
        "{err}"
    );
}

#[test]
fn auth_status_without_a_config_file_says_what_to_do() {
    let home = Home::new();
    let output = home.scenario(["auth", "status"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains("default (the default; not in the file"),
        "{text}"
    );
    assert!(text.contains("API key      not set"), "{text}");
    let line = one_error_line(&output, 1);
    assert!(line.contains("scenario configure"), "{line}");
}

#[test]
fn the_secret_never_shows_in_logs_or_errors() {
    let fake = Fake::with_assets(1);
    let home = Home::new();
    home.configure(&fake, "default", SECRET_MARK);
    let output = home.scenario(["assets", "list", "-vv"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_no_secret(&output, SECRET_MARK);
    // A config file that is not TOML: its place is named, not its text.
    std::fs::write(home.file(), format!("api_secret = {SECRET_MARK}\n")).unwrap();
    let output = home.scenario(["auth", "status"]).output().unwrap();
    let line = one_error_line(&output, 1);
    assert!(line.contains("is not valid TOML (line 1)"), "{line}");
    assert_no_secret(&output, SECRET_MARK);
}

#[test]
fn configure_refuses_an_empty_secret_and_nothing_to_store() {
    let home = Home::new();
    let output = home
        .scenario(["configure", "--api-key", "k"])
        .write_stdin("\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let output = home.scenario(["configure"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(!home.file().exists());
}

#[test]
fn configure_remove_drops_the_profile_only() {
    let fake = Fake::with_assets(0);
    let home = Home::new();
    home.configure(&fake, "default", "first-secret-value");
    home.configure(&fake, "work", "second-secret-value");
    let output = home
        .scenario(["configure", "--profile", "work", "--remove"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let stored: toml::Table =
        toml::from_str(&std::fs::read_to_string(home.file()).unwrap()).unwrap();
    let names: Vec<&String> = stored["profiles"].as_table().unwrap().keys().collect();
    assert_eq!(names, ["default"]);
}

#[test]
fn the_config_file_variable_names_the_file() {
    let fake = Fake::with_assets(1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("elsewhere.toml");
    let output = bare(["configure", "--api-key", fake.server.api_key()])
        .args(["--base-url", &fake.server.base_url()])
        .env("SCENARIO_CONFIG_FILE", &file)
        .write_stdin(fake.server.api_secret())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);
    let output = bare(["assets", "list"])
        .env("SCENARIO_CONFIG_FILE", &file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
}
