//! `scenario collections list | get | create | update | delete | add | remove`.

use crate::support::{Fake, json_lines, one_error_line, stderr, stdout};

/// The ids of the first `n` assets of the fake.
fn asset_ids(fake: &Fake, n: usize) -> Vec<String> {
    let output = fake
        .scenario(["assets", "list", "--json", "--limit", &n.to_string()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    json_lines(&output)
        .iter()
        .map(|asset| asset["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_collection_from_creation_to_deletion() {
    let fake = Fake::with_assets(3);
    let assets = asset_ids(&fake, 2);

    let output = fake
        .scenario(["collections", "create", "--name", "Heroes", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let created = &json_lines(&output)[0];
    assert_eq!(created["name"], "Heroes");
    let id = created["id"].as_str().unwrap().to_owned();

    let output = fake
        .scenario(["collections", "add", &id, "--asset", &assets[0], &assets[1]])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("assets      2"), "{text}");

    // The table shows the collection with its two assets...
    let output = fake.scenario(["collections", "list"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("ASSETS"),
        "{text}"
    );
    let cells: Vec<_> = lines[1].split_whitespace().collect();
    assert_eq!(cells[0], id, "{text}");
    assert_eq!(cells[1], "2", "{text}");
    assert_eq!(cells.last(), Some(&"Heroes"), "{text}");
    // ...and the assets listing filtered by it, those assets.
    let output = fake
        .scenario(["assets", "list", "--json", "--collection-id", &id])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let mut listed: Vec<String> = json_lines(&output)
        .iter()
        .map(|asset| asset["id"].as_str().unwrap().to_owned())
        .collect();
    listed.sort();
    let mut expected = assets.clone();
    expected.sort();
    assert_eq!(listed, expected);

    let output = fake
        .scenario(["collections", "update", &id, "--name", "Villains", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json_lines(&output)[0]["name"], "Villains");

    let output = fake
        .scenario([
            "collections",
            "remove",
            &id,
            "--asset",
            &assets[0],
            "--json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json_lines(&output)[0]["assetCount"].as_f64(), Some(1.0));

    let output = fake.scenario(["collections", "get", &id]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with(&format!("collection  {id}\n")), "{text}");
    assert!(text.contains("name        Villains"), "{text}");
    assert!(text.contains("assets      1"), "{text}");

    let output = fake
        .scenario(["collections", "delete", &id])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("deleted collection"),
        "{}",
        stdout(&output)
    );

    let output = fake.scenario(["collections", "get", &id]).output().unwrap();
    let line = one_error_line(&output, 1);
    assert!(line.contains(&id) && line.contains("404"), "{line}");

    let output = fake.scenario(["collections", "list"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    assert_eq!(stderr(&output).trim(), "no collections match");
}

#[test]
fn list_prints_json_lines_and_stops_at_the_limit() {
    let fake = Fake::with_assets(0);
    for name in ["One", "Two", "Three"] {
        let output = fake
            .scenario(["collections", "create", "--name", name])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
    }
    // Pages of one collection: the listing follows the tokens, and stops at the limit.
    let output = fake
        .scenario([
            "collections",
            "list",
            "--json",
            "--page-size",
            "1",
            "--limit",
            "2",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let names: Vec<_> = json_lines(&output)
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Three", "Two"]);
}

#[test]
fn mistakes_are_usage_errors_and_missing_items_api_errors() {
    let fake = Fake::with_assets(1);
    // Nothing to add: clap's usage error.
    let output = fake
        .scenario(["collections", "add", "coll_x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--asset"), "{}", stderr(&output));
    // No name: a usage error.
    let output = fake.scenario(["collections", "create"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let output = fake
        .scenario(["collections", "update", "coll_x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));

    let output = fake
        .scenario(["collections", "create", "--name", "Props", "--json"])
        .output()
        .unwrap();
    let id = json_lines(&output)[0]["id"].as_str().unwrap().to_owned();
    let output = fake
        .scenario(["collections", "add", &id, "--asset", "asset_nope"])
        .output()
        .unwrap();
    let line = one_error_line(&output, 1);
    assert!(line.contains("asset_nope"), "{line}");
}
