//! `scenario search assets | models | workflows`.

use scenario_testkit::Reply;

use crate::hostile::Scripted;
use crate::support::{Fake, json_lines, one_error_line, stderr, stdout};

#[test]
fn search_finds_assets_by_text_and_stops_at_the_limit() {
    let fake = Fake::with_assets(30);
    // A word of the prompt of one of the fake's assets.
    let output = fake
        .scenario(["assets", "list", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let assets = json_lines(&output);
    let (id, prompt) = assets
        .iter()
        .find_map(|a| Some((a["id"].as_str()?, a["metadata"]["prompt"].as_str()?)))
        .expect("a seeded asset with a prompt");
    let word = prompt.split_whitespace().last().unwrap();

    let output = fake
        .scenario(["search", "assets", word, "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let hits = json_lines(&output);
    assert!(!hits.is_empty());
    assert!(hits.iter().any(|hit| hit["id"] == id), "{hits:?}");
    assert!(
        hits.len() < assets.len(),
        "the text filters: {}",
        hits.len()
    );

    // Everything, in pages of 4, stopped after 6.
    let output = fake
        .scenario(["search", "assets", "--page-size", "4", "--limit", "6"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines.len(), 7, "{text}");
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("KIND"),
        "{text}"
    );
    assert!(lines[1].starts_with("asset_"), "{text}");

    let output = fake
        .scenario(["search", "assets", "no such thing anywhere"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    assert_eq!(stderr(&output).trim(), "no assets match");
}

#[test]
fn search_finds_models_by_name() {
    let fake = Fake::with_assets(0);
    let dir = tempfile::tempdir().unwrap();
    for i in 0..2 {
        let bytes: Vec<u8> = (0..1500).map(|b| ((b * 7 + i * 13) % 251) as u8).collect();
        std::fs::write(dir.path().join(format!("hero-{i}.png")), bytes).unwrap();
    }
    let folder = dir.path().to_str().unwrap();
    let output = fake
        .scenario([
            "models",
            "train",
            folder,
            "--type",
            "flux.1-lora",
            "--name",
            "Dragon Knight",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let model = json_lines(&output)[0]["id"].as_str().unwrap().to_owned();

    let output = fake
        .scenario(["search", "models", "dragon", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let hits = json_lines(&output);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["id"], model.as_str());
    assert_eq!(hits[0]["name"], "Dragon Knight");

    let output = fake
        .scenario(["search", "models", "knight"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("ID"), "{text}");
    assert!(
        text.contains(&model) && text.contains("Dragon Knight"),
        "{text}"
    );

    let output = fake
        .scenario(["search", "workflows", "dragon"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stderr(&output).trim(), "no workflows match");
}

#[test]
fn search_mistakes_exit_2_and_refusals_exit_1() {
    let fake = Fake::with_assets(1);
    let output = fake
        .scenario(["search", "assets", "--limit", "0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let output = fake.scenario(["search", "things"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));

    // The fake refuses pages of more than it serves: the service's 400, exit 1.
    let output = fake
        .scenario(["search", "assets", "--page-size", "100000"])
        .output()
        .unwrap();
    let line = one_error_line(&output, 1);
    assert!(line.starts_with("error: cannot search assets"), "{line}");
}

fn workflow_hit(id: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "name": "Upscale \u{1b}[2Jtwice",
        "description": "d",
        "authorId": "user_1",
        "ownerId": "proj_1",
        "teamId": "team_1",
        "collectionIds": [],
        "tags": [],
        "privacy": "private",
        "status": "ready",
        "createdAt": "2024-01-02T03:04:05.678Z",
        "updatedAt": "2024-01-02T03:04:05.678Z",
    })
}

#[test]
fn a_hit_that_does_not_decode_is_a_warning_and_the_exit_status_says_so() {
    let page = serde_json::json!({
        "hits": [
            workflow_hit("wf_good".into()),
            workflow_hit(7.into()),
            workflow_hit("wf_fine".into()),
        ],
    });
    let scripted = Scripted::start(vec![
        Reply::json(page.to_string()),
        Reply::json(r#"{"hits": []}"#),
    ]);
    let output = scripted
        .scenario(["search", "workflows", "upscale"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.contains("wf_good") && out.contains("wf_fine"), "{out}");
    assert!(
        out.contains("Upscale ?[2Jtwice"),
        "server text is made printable: {out}"
    );
    let err = stderr(&output);
    assert!(
        err.contains("warning: skipped a workflow the service sent"),
        "{err}"
    );
    assert!(err.contains("1 workflow(s) could not be read"), "{err}");
}

#[test]
fn repeated_search_hits_are_printed_once_before_the_listing_stops() {
    // A server that answers the same hits whatever the offset.
    let page = serde_json::json!({
        "hits": [workflow_hit("wf_one".into()), workflow_hit("wf_two".into())],
    });
    let scripted = Scripted::start(vec![Reply::json(page.to_string())]);
    let output = scripted
        .scenario(["search", "workflows", "upscale"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let out = stdout(&output);
    assert_eq!(out.matches("wf_one").count(), 1, "{out}");
    assert_eq!(out.matches("wf_two").count(), 1, "{out}");
    assert!(
        stderr(&output).contains("same items"),
        "{}",
        stderr(&output)
    );
}
