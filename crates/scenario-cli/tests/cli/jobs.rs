//! `scenario jobs list | get | wait | cancel`.

use std::time::Duration;

use scenario_mock::MockServer;

use crate::support::{Fake, json_lines, one_error_line, stderr, stdout};

/// Starts a run of a model without waiting and answers its job id.
fn start(fake: &Fake, extra: &[&str]) -> String {
    let mut command = fake.scenario(["generate", "model_test", "--prompt", "a fox", "--json"]);
    command.args(extra);
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let job = &json_lines(&output)[0];
    job["jobId"].as_str().unwrap().to_owned()
}

fn long_jobs() -> Fake {
    Fake::with_delay(MockServer::builder().assets(0), Duration::from_secs(60))
}

#[test]
fn list_prints_a_table_or_json_lines_filtered_by_the_documents_flags() {
    let fake = long_jobs();
    let first = start(&fake, &[]);
    let second = start(&fake, &[]);
    let output = fake.scenario(["jobs", "list", "--json"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let ids: Vec<_> = json_lines(&output)
        .iter()
        .map(|job| job["jobId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, vec![second.clone(), first]);

    let output = fake
        .scenario(["jobs", "list", "--limit", "1"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("ID"), "{text}");
    assert!(lines[1].starts_with(&second), "{text}");
    assert!(lines[1].contains("queued"), "{text}");

    let output = fake
        .scenario(["jobs", "list", "--status", "success"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    assert_eq!(stderr(&output).trim(), "no jobs match");

    let output = fake
        .scenario(["jobs", "list", "--status", "sleeping"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn wait_prints_the_finished_job_with_its_assets() {
    let fake = Fake::with_assets(0);
    let id = start(&fake, &["--param", "numOutputs=2"]);
    let output = fake
        .scenario(["jobs", "wait", &id, "--poll-interval", "10ms"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stderr(&output), "", "no bar when stderr is a pipe");
    let text = stdout(&output);
    assert!(
        text.lines().any(|l| l == format!("job       {id}")),
        "{text}"
    );
    assert!(text.lines().any(|l| l == "status    success"), "{text}");
    assert!(text.lines().any(|l| l == "progress  100%"), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("asset ")).count(),
        2,
        "{text}"
    );

    let output = fake
        .scenario(["jobs", "get", &id, "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let job = &json_lines(&output)[0];
    assert_eq!(job["status"], "success");
}

#[test]
fn a_failed_job_exits_1_with_the_services_message() {
    let fake = Fake::with_assets(0);
    let id = start(&fake, &["--param", "image=asset_missing"]);
    let output = fake
        .scenario(["jobs", "wait", &id, "--poll-interval", "10ms"])
        .output()
        .unwrap();
    let line = one_error_line(&output, 1);
    assert!(line.contains(&id), "{line}");
    assert!(line.contains("ended failure"), "{line}");
    assert!(line.contains("asset_missing"), "{line}");
}

#[test]
fn cancel_stops_the_job_and_a_wait_then_says_it_was_canceled() {
    let fake = long_jobs();
    let id = start(&fake, &[]);
    let output = fake.scenario(["jobs", "cancel", &id]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).lines().any(|l| l == "status    canceled"));
    let output = fake.scenario(["jobs", "wait", &id]).output().unwrap();
    let line = one_error_line(&output, 1);
    assert!(line.contains("ended canceled"), "{line}");

    let output = fake.scenario(["jobs", "cancel", &id]).output().unwrap();
    one_error_line(&output, 1);
}

#[test]
fn the_deadline_names_the_job_and_its_status() {
    let fake = long_jobs();
    let id = start(&fake, &[]);
    let output = fake
        .scenario([
            "jobs",
            "wait",
            &id,
            "--wait-timeout",
            "200ms",
            "--poll-interval",
            "20ms",
        ])
        .output()
        .unwrap();
    let line = one_error_line(&output, 1);
    assert!(
        line.contains(&format!("job {id} is still queued")),
        "{line}"
    );
    assert!(line.contains("--wait-timeout"), "{line}");
}

#[test]
fn an_unknown_job_is_an_error() {
    let fake = Fake::with_assets(0);
    let output = fake.scenario(["jobs", "get", "job_nope"]).output().unwrap();
    let line = one_error_line(&output, 1);
    assert!(line.contains("job_nope"), "{line}");
}
