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

#[test]
fn each_wait_shows_the_defaults_of_what_it_waits_for() {
    // The SDK's defaults, as the help text spells durations.
    // Spelled by hand, not by the humantime the CLI uses, so that a change
    // of how the CLI writes durations shows here.
    fn spelled(duration: std::time::Duration) -> String {
        let (secs, ms) = (duration.as_secs(), duration.subsec_millis());
        match secs {
            0 => format!("{ms}ms"),
            s if ms != 0 => format!("{s}s {ms}ms"),
            s if s % 3600 == 0 => format!("{}h", s / 3600),
            s if s % 60 == 0 => format!("{}m", s / 60),
            s => format!("{s}s"),
        }
    }
    let cases = [
        (
            help(["models", "train", "--help"]),
            scenario_sdk::DEFAULT_TRAINING_TIMEOUT,
            scenario_sdk::DEFAULT_TRAINING_INTERVAL,
            scenario_sdk::DEFAULT_TRAINING_MAX_INTERVAL,
        ),
        (
            help(["jobs", "wait", "--help"]),
            scenario_sdk::DEFAULT_JOB_TIMEOUT,
            scenario_sdk::DEFAULT_JOB_INTERVAL,
            scenario_sdk::DEFAULT_JOB_MAX_INTERVAL,
        ),
        (
            help(["uploads", "import", "--help"]),
            scenario_sdk::DEFAULT_UPLOAD_WAIT_TIMEOUT,
            scenario_sdk::DEFAULT_UPLOAD_WAIT_INTERVAL,
            scenario_sdk::DEFAULT_UPLOAD_WAIT_MAX_INTERVAL,
        ),
    ];
    for (text, timeout, interval, max_interval) in cases {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for expected in [
            format!("e.g. 90s or 10m [default: {}]", spelled(timeout)),
            format!(
                "growing up to {} [default: {}]",
                spelled(max_interval),
                spelled(interval)
            ),
        ] {
            assert!(text.contains(&expected), "{expected:?} not in {text}");
        }
    }
}
