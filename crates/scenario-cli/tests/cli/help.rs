//! The help texts people read first.

use crate::support::{bare, stderr, stdout};

fn help<const N: usize>(args: [&str; N]) -> String {
    let output = bare(args).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
}

#[test]
fn top_level_help() {
    insta::assert_snapshot!(help(["--help"]));
}

#[test]
fn assets_list_help() {
    insta::assert_snapshot!(help(["assets", "list", "--help"]));
}

#[test]
fn uploads_create_help() {
    insta::assert_snapshot!(help(["uploads", "create", "--help"]));
}

#[test]
fn help_never_shows_credentials_from_the_environment() {
    let output = bare(["assets", "list", "--help"])
        .env("SCENARIO_SDK_API_KEY", "env-key-value")
        .env("SCENARIO_SDK_API_SECRET", "env-secret-value")
        .output()
        .unwrap();
    let text = stdout(&output);
    assert!(!text.contains("env-key-value"));
    assert!(!text.contains("env-secret-value"));
}

#[test]
fn version_names_the_binary() {
    let output = bare(["--version"]).output().unwrap();
    assert_eq!(
        stdout(&output),
        format!("scenario {}\n", env!("CARGO_PKG_VERSION"))
    );
}
