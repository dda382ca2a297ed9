//! `scenario assets download | get | delete | restore | tags`, and `generate
//! --wait --download DIR`.

use crate::support::{Fake, json_lines, one_error_line, stderr, stdout};

/// Runs a model that makes `outputs` images, waiting, and answers their ids.
fn generate(fake: &Fake, outputs: &str) -> Vec<String> {
    let param = format!("numOutputs={outputs}");
    let mut command = fake.scenario([
        "generate",
        "model_test",
        "--prompt",
        "a fox",
        "--wait",
        "--json",
    ]);
    command.args(["--param", &param, "--poll-interval", "10ms"]);
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    json_lines(&output)[0]["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

fn digest(path: &std::path::Path) -> String {
    scenario_testkit::sha256_hex(&std::fs::read(path).unwrap())
}

#[test]
fn download_writes_the_files_then_skips_them_and_says_so() {
    let fake = Fake::with_assets(0);
    let ids = generate(&fake, "2");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let mut command = fake.scenario(["assets", "download", "--dir", out]);
    command.args(&ids);
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("wrote 2 file(s)"),
        "{}",
        stdout(&output)
    );
    for id in &ids {
        let path = dir.path().join(format!("{id}.png"));
        assert_eq!(digest(&path), fake.server.asset_sha256(id).unwrap());
    }

    let mut command = fake.scenario(["assets", "download", "--json", "--dir", out]);
    command.args(&ids);
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let states: Vec<_> = json_lines(&output)
        .iter()
        .map(|line| line["state"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(states, vec!["skipped", "skipped"]);
}

#[test]
fn download_without_ids_takes_the_listing_flags_and_a_failure_exits_1() {
    let fake = Fake::with_assets(5);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let output = fake
        .scenario(["assets", "download", "--limit", "3", "--dir", out])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);

    let output = fake
        .scenario(["assets", "download", "asset_nope", "--dir", out])
        .output()
        .unwrap();
    let line = one_error_line(&output, 1);
    assert!(line.contains("could not be downloaded"), "{line}");
    assert!(
        stdout(&output).contains("asset_nope"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn download_refuses_ids_with_query_flags_and_unknown_formats() {
    let fake = Fake::with_assets(1);
    let output = fake
        .scenario(["assets", "download", "asset_a", "--page-size", "3"])
        .output()
        .unwrap();
    let line = one_error_line(&output, 2);
    assert!(line.contains("not both"), "{line}");
    let output = fake
        .scenario(["assets", "download", "asset_a", "--format", "bmp-ish"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("webp"), "{}", stderr(&output));
}

#[test]
fn generate_with_download_puts_the_made_files_in_the_directory() {
    let fake = Fake::with_assets(0);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let output = fake
        .scenario([
            "generate",
            "model_test",
            "--prompt",
            "a bridge",
            "--wait",
            "--poll-interval",
            "10ms",
            "--param",
            "numOutputs=2",
            "--download",
            out,
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().all(|n| n.ends_with(".png")), "{names:?}");
}

#[test]
fn archive_downloads_one_file_made_by_the_service() {
    let fake = Fake::with_assets(0);
    let ids = generate(&fake, "2");
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("all.zip");
    let mut command = fake.scenario(["assets", "download", "--archive", zip.to_str().unwrap()]);
    command.args(&ids);
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(zip.is_file());
    assert!(stdout(&output).contains("wrote"), "{}", stdout(&output));
}

#[test]
fn get_delete_restore_and_tags_act_on_assets() {
    let fake = Fake::with_assets(0);
    let ids = generate(&fake, "1");
    let id = ids[0].as_str();

    let output = fake
        .scenario(["assets", "get", id, "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json_lines(&output)[0]["id"], id);

    let output = fake
        .scenario(["assets", "tags", id, "--add", "hero", "--add", "blue"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("hero, blue"),
        "{}",
        stdout(&output)
    );
    let output = fake.scenario(["assets", "tags", id]).output().unwrap();
    one_error_line(&output, 2);

    let output = fake.scenario(["assets", "delete", id]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let output = fake.scenario(["assets", "get", id]).output().unwrap();
    one_error_line(&output, 1);

    let output = fake
        .scenario(["assets", "restore", id, "asset_never"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains(&format!("restored  {id}")), "{text}");
    assert!(text.contains("skipped   asset_never"), "{text}");
    let output = fake.scenario(["assets", "get", id]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
}
