//! `scenario workflows list | get | run`, against workflows made in the fake
//! with `scenario api`.

use scenario_mock::OperationId;
use serde_json::json;

use crate::support::{Fake, json_lines, one_error_line, stderr, stdout};

/// Makes a workflow named `name` whose flow is `steps` (id and type each) and
/// whose one input, `prompt`, is required; returns its id.
fn workflow(fake: &Fake, name: &str, steps: &[(&str, &str)]) -> String {
    let create = json!({"name": name, "description": "Makes foxes"}).to_string();
    let output = fake
        .scenario(["api", "createWorkflow", "--body", &create])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let id = json_lines(&output)[0]["workflow"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let flow: Vec<_> = steps
        .iter()
        .map(|(id, kind)| json!({"id": id, "type": kind}))
        .collect();
    let update = json!({
        "flow": flow,
        "inputs": [{"name": "prompt", "type": "string", "required": {"always": true}}],
    })
    .to_string();
    let output = fake
        .scenario([
            "api",
            "updateWorkflow",
            "--workflow-id",
            &id,
            "--body",
            &update,
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    id
}

#[test]
fn list_shows_every_workflow_as_a_table_or_json_lines() {
    let fake = Fake::with_assets(0);
    let fox = workflow(&fake, "Fox maker", &[("a", "model")]);
    let owl = workflow(&fake, "Owl maker", &[("a", "model")]);

    let output = fake
        .scenario(["workflows", "list", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let ids: Vec<_> = json_lines(&output)
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_owned())
        .collect();
    // Most recently updated first.
    assert_eq!(ids, [owl.clone(), fox.clone()]);

    let output = fake.scenario(["workflows", "list"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("ID") && lines[0].ends_with("NAME"),
        "{text}"
    );
    assert!(
        lines[1].starts_with(&owl) && lines[1].ends_with("Owl maker"),
        "{text}"
    );
    assert!(
        lines[2].starts_with(&fox) && lines[2].ends_with("Fox maker"),
        "{text}"
    );

    let output = fake
        .scenario(["workflows", "list", "--limit", "1", "--json"])
        .output()
        .unwrap();
    assert_eq!(json_lines(&output).len(), 1);
}

#[test]
fn an_empty_listing_says_so_on_stderr() {
    let fake = Fake::with_assets(0);
    let output = fake.scenario(["workflows", "list"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    assert_eq!(stderr(&output), "no workflows match\n");
}

#[test]
fn get_shows_the_inputs_a_run_sets_and_the_steps() {
    let fake = Fake::with_assets(0);
    let id = workflow(
        &fake,
        "Fox maker",
        &[("a", "model"), ("ok", "user-approval")],
    );
    let output = fake.scenario(["workflows", "get", &id]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.lines().any(|l| l == format!("workflow  {id}")),
        "{text}"
    );
    assert!(text.lines().any(|l| l == "name      Fox maker"), "{text}");
    assert!(
        text.lines()
            .any(|l| l == "input     prompt (string), required"),
        "{text}"
    );
    assert!(text.lines().any(|l| l == "step      a (model)"), "{text}");
    assert!(
        text.lines().any(|l| l == "step      ok (user-approval)"),
        "{text}"
    );

    let output = fake
        .scenario(["workflows", "get", &id, "--json"])
        .output()
        .unwrap();
    assert_eq!(json_lines(&output)[0]["id"], id.as_str());

    let output = fake
        .scenario(["workflows", "get", "workflow_missing"])
        .output()
        .unwrap();
    let line = one_error_line(&output, 1);
    assert!(
        line.contains("cannot get workflow workflow_missing"),
        "{line}"
    );
}

#[test]
fn run_with_wait_prints_the_job_and_its_assets_fetched_in_one_request() {
    let fake = Fake::with_assets(0);
    let id = workflow(&fake, "Fox maker", &[("a", "model"), ("b", "custom-model")]);
    let output = fake
        .scenario(["workflows", "run", &id, "--input", "prompt=a red fox"])
        .args(["--wait", "--poll-interval", "10ms", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let answer = &json_lines(&output)[0];
    assert_eq!(answer["job"]["status"], "success");
    assert_eq!(answer["job"]["jobType"], "workflow");
    assert_eq!(answer["job"]["metadata"]["workflowId"], id.as_str());
    assert_eq!(answer["job"]["metadata"]["input"]["prompt"], "a red fox");
    let assets = answer["assets"].as_array().unwrap();
    assert_eq!(assets.len(), 2);
    assert_eq!(
        assets.iter().map(|a| a["id"].clone()).collect::<Vec<_>>(),
        *answer["job"]["metadata"]["assetIds"].as_array().unwrap()
    );
    assert_eq!(fake.server.request_count(OperationId::RunWorkflow), 1);
    assert_eq!(fake.server.request_count(OperationId::GetAssetsBulk), 1);

    // As text: the job, then a table of the assets.
    let output = fake
        .scenario(["workflows", "run", &id, "--input", "prompt=an owl"])
        .args(["--wait", "--poll-interval", "10ms"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.lines().any(|l| l == "status    success"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("ID")), "{text}");
}

#[test]
fn run_with_wait_and_download_writes_the_files_it_made() {
    let fake = Fake::with_assets(0);
    let id = workflow(&fake, "Fox maker", &[("a", "model"), ("b", "model")]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = fake
        .scenario(["workflows", "run", &id, "--input", "prompt=a fox", "--wait"])
        .args([
            "--poll-interval",
            "10ms",
            "--download",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let files: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert_eq!(files.len(), 2, "{files:?}");
}

#[test]
fn run_without_wait_prints_the_started_job_and_how_to_wait() {
    let fake = Fake::from_builder(
        scenario_mock::MockServer::builder().validation_delay(std::time::Duration::from_secs(5)),
    );
    let id = workflow(&fake, "Fox maker", &[("a", "model")]);
    let output = fake
        .scenario(["workflows", "run", &id, "--input", "prompt=x", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let job = &json_lines(&output)[0];
    assert_eq!(job["status"], "queued");
    let output = fake
        .scenario(["workflows", "run", &id, "--input", "prompt=x"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("`scenario jobs wait job_"),
        "{}",
        stderr(&output)
    );
    assert_eq!(fake.server.request_count(OperationId::GetJob), 0);
}

#[test]
fn a_dry_run_prints_the_cost_and_starts_no_job() {
    let fake = Fake::with_assets(0);
    let id = workflow(&fake, "Fox maker", &[("a", "model"), ("b", "model")]);
    let output = fake
        .scenario([
            "workflows",
            "run",
            &id,
            "--input",
            "prompt=x",
            "--dry-run",
            "true",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with("cost      10 creative units"),
        "{}",
        stdout(&output)
    );
    let output = fake.scenario(["jobs", "list", "--json"]).output().unwrap();
    assert_eq!(stdout(&output), "");
}

#[test]
fn usage_errors_are_refused_before_any_request() {
    let fake = Fake::with_assets(0);
    for args in [
        vec![
            "workflows",
            "run",
            "workflow_1",
            "--dry-run",
            "true",
            "--wait",
        ],
        vec!["workflows", "run", "workflow_1", "--wait-timeout", "1m"],
        vec!["workflows", "run", "workflow_1", "--input", "novalue"],
        vec!["workflows", "run", "workflow_1", "--download", "out"],
        vec!["workflows", "list", "--page-size", "0"],
    ] {
        let output = fake.scenario([]).args(&args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    assert!(
        fake.server.requests().is_empty(),
        "{:?}",
        fake.server.requests()
    );
}

#[test]
fn a_run_the_service_refuses_is_one_error_line() {
    let fake = Fake::with_assets(0);
    let id = workflow(&fake, "Fox maker", &[("a", "model")]);
    // The required input is left out.
    let output = fake
        .scenario(["workflows", "run", &id, "--wait"])
        .output()
        .unwrap();
    let line = one_error_line(&output, 1);
    assert!(
        line.contains(&format!("cannot run workflow {id}")),
        "{line}"
    );
    assert!(line.contains("prompt"), "{line}");
}
