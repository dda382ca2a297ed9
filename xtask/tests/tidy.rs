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

/// The module of the crate at `src` that `file` belongs to: its top-level
/// file or directory under `src` (`uploads/wait.rs` is `uploads`).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("a file under src");
    let first = relative.components().next().expect("a path under src");
    let name = first.as_os_str().to_string_lossy();
    name.trim_end_matches(".rs").to_owned()
}

/// Which modules each module of the crate at `src` names (`crate::<module>`),
/// its own left out.
fn module_imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let module = module_of(src, &file);
        let text = std::fs::read_to_string(&file).unwrap();
        let named = graph.entry(module.clone()).or_default();
        for (at, _) in text.match_indices("crate::") {
            // `scenario_api::..` and other crates end in `_crate::` or similar:
            // only a path that starts at `crate`.
            let before = text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &text[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != module {
                named.insert(name);
            }
        }
    }
    // Only modules count: `crate::Error` names the root's re-export, and
    // `crate::ops` a re-exported crate.
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for named in graph.values_mut() {
        named.retain(|name| modules.contains(name));
    }
    graph
}

/// A path of modules that leads from a module back to itself, if there is one.
fn a_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

/// The SDK's layers, bottom first: a module may name modules of its own
/// layer or below, never above (ARCHITECTURE.md, "Layers").
const SDK_LAYERS: &[&[&str]] = &[
    &["error", "http_text", "retry"],
    &["auth", "tls", "transport", "poll"],
    &["attempt"],
    &["handle"],
    &[
        "request",
        "request_setters",
        "pagination",
        "call",
        "raw_client",
    ],
    &[
        "teams",
        "assets",
        "jobs",
        "runs",
        "generate",
        "workflows",
        "uploads",
        "models",
        "downloads",
    ],
    &["client"],
    &["lib"],
];

#[test]
fn the_sdk_s_imports_run_down_its_layers_only() {
    let src = workspace_root().join("crates/scenario-sdk/src");
    let graph = module_imports(&src);
    let layer_of = |module: &str| {
        SDK_LAYERS
            .iter()
            .position(|layer| layer.contains(&module))
            .unwrap_or_else(|| panic!("{module} is in no layer of SDK_LAYERS: place it"))
    };
    let mut upward = Vec::new();
    for (module, named) in &graph {
        for other in named {
            if layer_of(other) > layer_of(module) {
                upward.push(format!("{module} -> {other}"));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that run up a layer: {upward:#?}"
    );
    assert_eq!(a_cycle(&graph), None, "a circle of modules");
}

#[test]
fn the_layer_rule_finds_an_import_up_and_a_circle() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.rs"), "//! a\nuse crate::b::B;\n").unwrap();
    std::fs::write(dir.path().join("b.rs"), "//! b\nfn f() { crate::a::g() }\n").unwrap();
    std::fs::write(dir.path().join("c.rs"), "//! c\nuse scenario_api::x;\n").unwrap();
    let graph = module_imports(dir.path());
    assert_eq!(graph["a"], BTreeSet::from(["b".to_owned()]));
    assert!(
        graph["c"].is_empty(),
        "another crate's path is not a module"
    );
    assert_eq!(
        a_cycle(&graph),
        Some(vec!["a".to_owned(), "b".to_owned(), "a".to_owned()])
    );
}
