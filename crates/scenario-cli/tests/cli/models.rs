//! `scenario models train | list | get | cancel`.

use std::time::Duration;

use scenario_mock::MockServer;

use crate::support::{Fake, json_lines, one_error_line, stderr, stdout};

fn images(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let bytes: Vec<u8> = (0..1500).map(|b| ((b * 7 + i * 13) % 251) as u8).collect();
        std::fs::write(dir.path().join(format!("hero-{i}.png")), bytes).unwrap();
    }
    dir
}

#[test]
fn train_waits_for_the_model_and_a_second_run_answers_it_at_once() {
    let fake = Fake::with_delay(MockServer::builder().assets(0), Duration::from_millis(50));
    let dir = images(12);
    let folder = dir.path().to_str().unwrap();
    let train = |extra: &[&str]| {
        let mut command = fake.scenario([
            "models",
            "train",
            folder,
            "--type",
            "flux.1-lora",
            "--name",
            "Hero",
            "--poll-interval",
            "20ms",
            "--json",
        ]);
        command.args(extra);
        command.output().unwrap()
    };

    let output = train(&["--dry-run"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let estimate = &json_lines(&output)[0];
    assert!(estimate["creativeUnitsCost"].is_number(), "{estimate}");
    assert!(
        stderr(&output).contains("would cost"),
        "{}",
        stderr(&output)
    );

    let output = train(&["--wait"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let model = &json_lines(&output)[0];
    assert_eq!(model["status"], "trained");
    assert_eq!(model["name"], "Hero");
    assert_eq!(model["trainingImagesNumber"].as_f64(), Some(12.0));
    let id = model["id"].as_str().unwrap().to_owned();

    let again = train(&[]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(json_lines(&again)[0]["id"], id.as_str());

    let output = fake.scenario(["models", "list"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(table.starts_with("ID"), "{table}");
    assert!(table.contains(&id) && table.contains("trained"), "{table}");

    let output = fake.scenario(["models", "get", &id]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("images   12"),
        "{}",
        stdout(&output)
    );

    // A trained model has no training to cancel: the service's refusal, exit 1.
    let output = fake.scenario(["models", "cancel", &id]).output().unwrap();
    let line = one_error_line(&output, 1);
    assert!(line.contains(&id), "{line}");
}

#[test]
fn a_folder_trained_on_another_server_says_to_start_over_with_fresh() {
    let dir = images(2);
    let folder = dir.path().to_str().unwrap();
    let train = |fake: &Fake, extra: &[&str]| {
        let mut command = fake.scenario([
            "models",
            "train",
            folder,
            "--type",
            "flux.1-lora",
            "--poll-interval",
            "20ms",
        ]);
        command.args(extra);
        command.output().unwrap()
    };
    let first = Fake::with_delay(MockServer::builder().assets(0), Duration::from_millis(20));
    let output = train(&first, &["--wait"]);
    assert!(output.status.success(), "{}", stderr(&output));
    drop(first);

    // Another fake knows nothing of what the folder's state names.
    let second = Fake::with_delay(MockServer::builder().assets(0), Duration::from_millis(20));
    let output = train(&second, &["--wait"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("start over with --fresh"), "{err}");
    assert!(!err.contains("run the same command again"), "{err}");
    let output = train(&second, &["--wait", "--fresh"]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn train_refuses_a_folder_without_images_and_an_unknown_type() {
    let fake = Fake::with_assets(0);
    let empty = tempfile::tempdir().unwrap();
    let folder = empty.path().to_str().unwrap();
    let output = fake
        .scenario(["models", "train", folder, "--type", "flux.1-lora"])
        .output()
        .unwrap();
    let line = one_error_line(&output, 2);
    assert!(line.contains("no image files"), "{line}");

    let output = fake
        .scenario(["models", "train", folder, "--type", "flux-9000"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("flux.1-lora"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn train_on_a_missing_folder_says_what_is_wrong_locally() {
    let fake = Fake::with_assets(0);
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder");
    let output = fake
        .scenario([
            "models",
            "train",
            missing.to_str().unwrap(),
            "--type",
            "flux.1-lora",
        ])
        .output()
        .unwrap();
    let line = one_error_line(&output, 1);
    assert!(line.contains("cannot read"), "{line}");
    assert!(line.contains("check the path"), "{line}");
    // Running it again would fail the same way: no advice to.
    assert!(!line.contains("again"), "{line}");
    assert!(!line.contains("free space"), "{line}");
    assert!(fake.server.requests().is_empty());
}

/// `scenario models train DIR --wait` as a child process of the test.
#[cfg(unix)]
fn spawn_train(fake: &Fake, folder: &str) -> std::process::Child {
    fake.spawn(&[
        "models",
        "train",
        folder,
        "--type",
        "flux.1-lora",
        "--wait",
        "--poll-interval",
        "20ms",
        "--json",
    ])
}

#[cfg(unix)]
#[test]
fn a_train_killed_while_its_uploads_are_validated_is_finished_without_uploading_again() {
    use scenario_mock::OperationId;

    use crate::support::{send_signal, wait_until};

    // Validation is slow enough for the kill to find every upload completed
    // and none validated.
    let fake = Fake::with_delay(MockServer::builder().assets(0), Duration::from_secs(2));
    let count = 4;
    let dir = images(count);
    let folder = dir.path().to_str().unwrap();
    let mut child = spawn_train(&fake, folder);
    wait_until(Duration::from_secs(30), "every upload completed", || {
        fake.server.request_count(OperationId::TriggerUploadAction) == count
    });
    send_signal(child.id(), "KILL");
    child.wait().unwrap();
    assert!(
        fake.server.uploads().iter().all(|u| u.entity_id.is_none()),
        "the kill came before any upload was validated"
    );

    let output = fake
        .scenario(["models", "train", folder, "--type", "flux.1-lora", "--wait"])
        .args(["--poll-interval", "20ms", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json_lines(&output)[0]["status"], "trained");
    assert_eq!(fake.server.request_count(OperationId::CreateUpload), count);
    assert_eq!(fake.server.request_count(OperationId::CreateModel), 1);
}

#[cfg(unix)]
#[test]
fn a_second_train_on_the_same_folder_is_refused_naming_the_first() {
    use scenario_mock::OperationId;

    use crate::support::wait_until;

    let fake = Fake::with_delay(MockServer::builder().assets(0), Duration::from_millis(500));
    let dir = images(3);
    let folder = dir.path().to_str().unwrap();
    let first = spawn_train(&fake, folder);
    wait_until(Duration::from_secs(30), "the first run's uploads", || {
        fake.server.request_count(OperationId::CreateUpload) > 0
    });

    let output = fake
        .scenario(["models", "train", folder, "--type", "flux.1-lora"])
        .output()
        .unwrap();
    let line = one_error_line(&output, 1);
    assert!(line.contains("in use by another run"), "{line}");
    assert!(line.contains(&format!("process {}", first.id())), "{line}");

    let first = first.wait_with_output().unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(fake.server.request_count(OperationId::CreateUpload), 3);
    assert_eq!(fake.server.request_count(OperationId::CreateModel), 1);
}
