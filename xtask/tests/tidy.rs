//! Keeps the tree honest, like rust-analyzer's tidy tests: rules a reviewer
//! would otherwise have to remember.
//!
//! - Every Rust source file says what it holds in a `//!` line.
//! - No hand-written file lists what the document owns: the values of an enum
//!   or the names of an operation's parameters. Those come from the generated
//!   code (`VALUES`, `Operation::PARAMS`, the `…Query` types), so a document
//!   change reaches every layer without a hand edit. A file whose values are
//!   data (the fake's seeded assets, say) says so with a line
//!   `// tidy: values are data: <why>`; the rule then spares its enum values,
//!   never its parameter names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use xtask::{GENERATED_PATH, OPERATIONS_PATH, SETTERS_PATH, SPEC_PATH, workspace_root};

/// The marker of a file whose enum values are data, not a copy of the document.
const DATA_MARKER: &str = "// tidy: values are data: ";

/// A file naming this many distinct values of one enum (or parameters of one
/// operation) is a list of them; one or two are a use.
const LIST: usize = 3;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && name != "snapshots" && !name.to_string_lossy().starts_with('.') {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn hand_written() -> Vec<(String, String)> {
    let root = workspace_root();
    let generated = [GENERATED_PATH, OPERATIONS_PATH, SETTERS_PATH];
    let mut files = Vec::new();
    rust_files(&root.join("crates"), &mut files);
    rust_files(&root.join("xtask"), &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let relative = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if generated.contains(&relative.as_str()) {
                return None;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            Some((relative, text))
        })
        .collect()
}

/// The string literals of a Rust source, roughly: enough to find names.
fn string_literals(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let mut rest = code;
        while let Some(start) = rest.find('"') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('"') else { break };
            out.insert(after[..end].to_owned());
            rest = &after[end + 1..];
        }
    }
    out
}

#[test]
fn every_rust_file_says_what_it_holds() {
    let missing: Vec<String> = hand_written()
        .into_iter()
        .filter(|(_, text)| !text.lines().any(|l| l.starts_with("//!")))
        .map(|(path, _)| path)
        .collect();
    assert!(
        missing.is_empty(),
        "these files lack a `//!` line saying what they hold: {missing:#?}"
    );
}

/// The document's enums and each operation's query parameters, by name.
fn owned_lists() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(workspace_root().join(SPEC_PATH)).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let mut lists = BTreeMap::new();
    if let Some(schemas) = doc["components"]["schemas"].as_mapping() {
        for (name, schema) in schemas {
            let Some(values) = schema["enum"].as_sequence() else {
                continue;
            };
            let values: BTreeSet<String> = values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            if values.len() >= LIST {
                lists.insert(format!("enum {}", name.as_str().unwrap()), values);
            }
        }
    }
    if let Some(paths) = doc["paths"].as_mapping() {
        for (_, item) in paths {
            for (_, op) in item.as_mapping().into_iter().flatten() {
                let Some(id) = op["operationId"].as_str() else {
                    continue;
                };
                let names: BTreeSet<String> = op["parameters"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"].as_str() == Some("query"))
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect();
                if names.len() >= LIST {
                    lists.insert(format!("the query parameters of {id}"), names);
                }
            }
        }
    }
    lists
}

#[test]
fn no_hand_written_file_lists_what_the_document_owns() {
    let lists = owned_lists();
    assert!(!lists.is_empty(), "the document has enums and parameters");
    let mut copies = Vec::new();
    for (path, text) in hand_written() {
        // Tests may name values to assert on them; the rule is for code.
        if path.contains("/tests/") || path.starts_with("xtask/") {
            continue;
        }
        // Unit tests name values to assert on them, like integration tests.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let literals = string_literals(code);
        let data = text.lines().any(|line| {
            line.trim_start()
                .strip_prefix(DATA_MARKER)
                .is_some_and(|why| why.trim().len() >= 10)
        });
        for (what, values) in &lists {
            if data && what.starts_with("enum ") {
                continue;
            }
            let named: Vec<&String> = values.intersection(&literals).collect();
            if named.len() >= LIST {
                copies.push(format!("{path} lists {what}: {named:?}"));
            }
        }
    }
    assert!(
        copies.is_empty(),
        "hand-written copies of the document (take them from the generated code instead):\n{}",
        copies.join("\n")
    );
}

#[test]
fn the_rule_finds_a_list_and_spares_a_use() {
    let list = string_literals(r#"const KINDS: &[&str] = &["image", "video", "audio"];"#);
    assert_eq!(list.len(), 3);
    let commented = string_literals(r#"// "image", "video", "audio""#);
    assert!(commented.is_empty());
}
