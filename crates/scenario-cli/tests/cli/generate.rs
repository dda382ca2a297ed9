//! `scenario generate MODEL ...`.

use scenario_mock::{OperationId, Route};

use crate::support::{Fake, json_lines, one_error_line, stderr, stdout};

#[test]
fn generate_with_wait_prints_the_job_and_its_assets_fetched_in_one_request() {
    let fake = Fake::with_assets(0);
    let output = fake
        .scenario([
            "generate",
            "model_test",
            "--prompt",
            "a red fox",
            "--param",
            "numOutputs=3",
            "--wait",
            "--poll-interval",
            "10ms",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let answer = &json_lines(&output)[0];
    assert_eq!(answer["job"]["status"], "success");
    let assets = answer["assets"].as_array().unwrap();
    assert_eq!(assets.len(), 3);
    assert_eq!(
        assets.iter().map(|a| a["id"].clone()).collect::<Vec<_>>(),
        *answer["job"]["metadata"]["assetIds"].as_array().unwrap()
    );
    assert_eq!(fake.server.request_count(OperationId::GetAssetsBulk), 1);
    assert_eq!(fake.server.request_count(OperationId::GetAsset), 0);
}

#[test]
fn generate_with_wait_prints_a_table_of_the_assets() {
    let fake = Fake::with_assets(0);
    let output = fake
        .scenario([
            "generate",
            "model_test",
            "--prompt",
            "a red fox",
            "--wait",
            "--poll-interval",
            "10ms",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.lines().any(|l| l == "status    success"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("ID")), "{text}");
}

#[test]
fn a_dry_run_prints_the_cost_and_starts_no_job() {
    let fake = Fake::with_assets(0);
    let output = fake
        .scenario([
            "generate",
            "model_test",
            "--prompt",
            "a red fox",
            "--param",
            "numOutputs=2",
            "--dry-run",
            "true",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("cost      10 creative units"), "{text}");
    let statuses: Vec<_> = fake
        .server
        .requests()
        .iter()
        .filter(|r| r.route == Some(Route::Api(OperationId::RunModel)))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, vec![Some(269)]);
    let output = fake.scenario(["jobs", "list", "--json"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
}

#[test]
fn a_dry_run_cannot_wait() {
    let fake = Fake::with_assets(0);
    let output = fake
        .scenario(["generate", "model_test", "--dry-run", "true", "--wait"])
        .output()
        .unwrap();
    one_error_line(&output, 2);
    let output = fake
        .scenario(["generate", "model_test", "--param", "novalue"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(fake.server.request_count(OperationId::RunModel), 0);
}

#[test]
fn a_zero_wait_or_interval_is_a_usage_error_before_the_paid_generation() {
    let fake = Fake::with_assets(0);
    for (flag, value) in [
        ("--wait-timeout", "0s"),
        ("--wait-timeout", "0ms"),
        ("--poll-interval", "0s"),
    ] {
        let output = fake
            .scenario(["generate", "model_test", "--prompt", "a fox", "--wait"])
            .args([flag, value])
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{flag} {value}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("above zero"),
            "{}",
            stderr(&output)
        );
    }
    // The same flags of the other waits.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.png"), b"png").unwrap();
    let folder = dir.path().to_str().unwrap();
    for args in [
        vec!["jobs", "wait", "job_1", "--wait-timeout", "0s"],
        vec![
            "models",
            "train",
            folder,
            "--type",
            "flux.1-lora",
            "--poll-interval",
            "0s",
        ],
    ] {
        let output = fake.scenario([]).args(&args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("above zero"),
            "{}",
            stderr(&output)
        );
    }
    // Nothing was sent: no paid work started, nothing polled.
    assert!(
        fake.server.requests().is_empty(),
        "{:?}",
        fake.server.requests()
    );
}
