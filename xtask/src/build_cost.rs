//! `cargo xtask build-cost [--baseline REV]`: what depending on scenario-sdk
//! costs a user's cold build, now and at an earlier commit.
//!
//! A user compiles the SDK once per clean checkout and per CI cache miss, so
//! the figure that matters is a cold `cargo build` of a crate that depends on
//! it, not our workspace's incremental build. Each configuration gets its own
//! consumer crate (outside our workspace, default profiles, no incremental
//! compilation, as for a dependency from crates.io) and its own empty target
//! directory; sources are fetched before timing. Besides the cold total, the
//! generated crate alone is rebuilt three times (its dependencies built) to
//! show our crates' share (scenario-api and scenario-sdk) with a spread.
//!
//! The section it writes sits in BENCHMARKS.md between two markers, which
//! `cargo xtask bench` keeps when it rewrites the rest of the file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};

/// The last commit whose document had only the operations of the seed pages
/// (GET /assets and uploads), before the API grew to 143 operations.
pub const DEFAULT_BASELINE: &str = "5339e1a";

/// Where the section starts and ends in BENCHMARKS.md.
pub const BEGIN: &str = "<!-- build-cost: written by `cargo xtask build-cost` -->";
/// See [`BEGIN`].
pub const END: &str = "<!-- /build-cost -->";

struct Config {
    label: String,
    source: PathBuf,
    default_features: bool,
    features: &'static [&'static str],
}

struct Figures {
    seconds: f64,
    generated: [f64; 3],
}

/// Measures the configurations and writes the section into BENCHMARKS.md.
/// With `remeasure_baseline` false, the baseline's timings already in
/// BENCHMARKS.md (same commit, same label) are kept rather than measured again.
pub fn run(root: &Path, baseline: &str, remeasure_baseline: bool) -> Result<()> {
    let work = root.join("target/build-cost");
    std::fs::create_dir_all(&work)?;
    // Both trees are checked out from git, so that edits in the working tree
    // during the minutes this takes do not change what is measured.
    let baseline_src = checkout(root, &work.join("baseline-src"), baseline)?;
    let now_src = checkout(root, &work.join("now-src"), "HEAD")?;
    let configs = [
        Config {
            label: format!("before: {baseline}"),
            source: baseline_src.clone(),
            default_features: true,
            features: &[],
        },
        Config {
            label: "now: no optional area (`default-features = false`, `rustls-graviola`)"
                .to_owned(),
            source: now_src.clone(),
            default_features: false,
            features: &["rustls-graviola"],
        },
        Config {
            label: "now: default features (TLS: `rustls-graviola`, no C)".to_owned(),
            source: now_src.clone(),
            default_features: true,
            features: &[],
        },
        Config {
            label: "now: default areas, TLS `rustls-aws-lc-rs` (reqwest's own rustls)".to_owned(),
            source: now_src.clone(),
            default_features: false,
            features: &["generate", "models", "rustls-aws-lc-rs"],
        },
        Config {
            label: "now: `full`".to_owned(),
            source: now_src.clone(),
            default_features: true,
            features: &["full"],
        },
    ];
    let earlier = std::fs::read_to_string(root.join("BENCHMARKS.md")).unwrap_or_default();
    let mut rows = Vec::new();
    for (index, config) in configs.iter().enumerate() {
        let consumer = work.join(format!("consumer-{index}"));
        write_consumer(&consumer, config)?;
        run_cargo(&consumer, &["fetch", "--quiet"])?;
        let crates = crates_compiled(&consumer)?;
        // The baseline is a fixed commit: its timings, once measured on this
        // machine, are kept (the crate count is recomputed, it costs nothing).
        let reuse = index == 0 && !remeasure_baseline;
        let timings = match earlier_timings(&earlier, &config.label).filter(|_| reuse) {
            Some(cells) => {
                println!("{}: timings kept from BENCHMARKS.md", config.label);
                cells
            }
            None => {
                let mut cells = Vec::new();
                for release in [false, true] {
                    println!("{} ({})", config.label, profile_name(release));
                    let figures = measure(&consumer, &config.source, release)?;
                    cells.push(format!("{:.1} s", figures.seconds));
                    let [low, mid, high] = figures.generated;
                    cells.push(format!("{mid:.1} s ({low:.1}-{high:.1})"));
                }
                cells
            }
        };
        rows.push(Row {
            config,
            operations: operations(config)?,
            timings,
            crates,
        });
        // About 1.7 GB per consumer: measured, it is no longer needed.
        let _ = std::fs::remove_dir_all(consumer.join("target"));
    }
    for tree in [&baseline_src, &now_src] {
        let _ = git(root, &["worktree", "remove", "--force", path_str(tree)?]);
    }
    let section = render(&rows);
    println!("{section}");
    splice(&root.join("BENCHMARKS.md"), &section)
}

/// A detached worktree of `rev` at `dir` (an earlier one there is replaced).
fn checkout(root: &Path, dir: &Path, rev: &str) -> Result<PathBuf> {
    if dir.exists() {
        let _ = git(root, &["worktree", "remove", "--force", path_str(dir)?]);
        let _ = std::fs::remove_dir_all(dir);
    }
    git(root, &["worktree", "add", "--detach", path_str(dir)?, rev])?;
    Ok(dir.to_path_buf())
}

fn measure(consumer: &Path, source: &Path, release: bool) -> Result<Figures> {
    let target = consumer.join("target");
    let _ = std::fs::remove_dir_all(&target);
    let mut args = vec!["build", "--quiet"];
    if release {
        args.push("--release");
    }
    let start = Instant::now();
    run_cargo(consumer, &args)?;
    let seconds = start.elapsed().as_secs_f64();
    let lib = source.join("crates/scenario-api/src/lib.rs");
    let mut generated = [0.0; 3];
    for slot in &mut generated {
        // A newer mtime makes cargo rebuild the generated crate and what
        // depends on it (the SDK and the one-line consumer), nothing else.
        let file = std::fs::File::options().append(true).open(&lib)?;
        file.set_modified(std::time::SystemTime::now())?;
        let start = Instant::now();
        run_cargo(consumer, &args)?;
        *slot = start.elapsed().as_secs_f64();
    }
    generated.sort_by(f64::total_cmp);
    Ok(Figures { seconds, generated })
}

/// The packages a build of `consumer` compiles (normal and build
/// dependencies, proc-macros included), the consumer itself left out.
fn crates_compiled(consumer: &Path) -> Result<usize> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["tree", "--quiet", "-e", "normal,build", "--prefix", "none"])
        .current_dir(consumer)
        .output()
        .context("running cargo tree")?;
    ensure!(
        output.status.success(),
        "cargo tree failed in {}",
        consumer.display()
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let packages: std::collections::BTreeSet<&str> = text
        .lines()
        .map(|line| {
            line.trim_end_matches(" (*)")
                .trim_end_matches(" (proc-macro)")
        })
        .filter(|line| !line.is_empty() && !line.starts_with('[') && !line.starts_with("consumer "))
        .collect();
    Ok(packages.len())
}

fn write_consumer(dir: &Path, config: &Config) -> Result<()> {
    std::fs::create_dir_all(dir.join("src"))?;
    let sdk = config.source.join("crates/scenario-sdk");
    let features = config
        .features
        .iter()
        .map(|f| format!("{f:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"consumer\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nscenario-sdk = {{ path = {:?}, default-features = {}, features = [{features}] }}\n\n\
             # Not part of the enclosing workspace.\n[workspace]\n",
            path_str(&sdk)?,
            config.default_features,
        ),
    )?;
    std::fs::write(
        dir.join("src/main.rs"),
        "fn main() {\n    let _ = scenario_sdk::Client::builder();\n}\n",
    )?;
    Ok(())
}

fn run_cargo(dir: &Path, args: &[&str]) -> Result<()> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(dir)
        .env("CARGO_INCREMENTAL", "0")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .status()
        .with_context(|| format!("running cargo {}", args.join(" ")))?;
    ensure!(
        status.success(),
        "cargo {} failed in {}",
        args.join(" "),
        dir.display()
    );
    Ok(())
}

fn git(root: &Path, args: &[&str]) -> Result<()> {
    let status = Command::new("git")
        .args(args)
        .current_dir(root)
        .status()
        .context("running git")?;
    if !status.success() {
        bail!("git {} failed", args.join(" "));
    }
    Ok(())
}

fn path_str(path: &Path) -> Result<&str> {
    path.to_str()
        .with_context(|| format!("{} is not UTF-8", path.display()))
}

fn profile_name(release: bool) -> &'static str {
    if release { "release" } else { "debug" }
}

/// The operations `config` compiles, and the generated lines (all of them,
/// whether compiled or not).
fn operations(config: &Config) -> Result<(usize, usize)> {
    let source = &config.source;
    let spec =
        xtask::codegen::parse_spec(&std::fs::read_to_string(source.join(xtask::SPEC_PATH))?)?;
    // The SDK's features that are on, expanded once (`default`, `full`): the
    // areas among them decide which operations compile.
    let metadata = xtask::areas::cargo_metadata(source)?;
    let features = xtask::areas::package_features(&metadata, "scenario-sdk")?;
    let mut on: Vec<String> = config.features.iter().map(|f| f.to_string()).collect();
    if config.default_features {
        on.push("default".to_owned());
    }
    for feature in on.clone() {
        for implied in features[feature.as_str()].as_array().into_iter().flatten() {
            on.extend(implied.as_str().map(str::to_owned));
        }
    }
    let operations = xtask::areas::compiled_operations(&spec, &on)?;
    let lines = [xtask::GENERATED_PATH, xtask::OPERATIONS_PATH]
        .iter()
        .filter_map(|path| std::fs::read_to_string(source.join(path)).ok())
        .map(|text| text.lines().count())
        .sum();
    Ok((operations, lines))
}

/// One measured configuration: its operations and generated lines, the four
/// timing cells (cold and our crates, debug then release) and its crate count.
struct Row<'a> {
    config: &'a Config,
    operations: (usize, usize),
    timings: Vec<String>,
    crates: usize,
}

fn render(rows: &[Row<'_>]) -> String {
    let mut s = String::new();
    s.push_str(BEGIN);
    s.push_str(
        "\n\n## Build cost for users\n\n\
         A cold build of a crate that depends on scenario-sdk (its own target directory,\n\
         sources fetched beforehand, `CARGO_INCREMENTAL=0`, default profiles), on this\n\
         machine; one cold build per cell. \"Our crates\" rebuilds scenario-api and scenario-sdk\n\
         alone, the other dependencies built: median of 3 (min-max). The operations are those\n\
         compiled: each optional area of the API (a Cargo feature) leaves its own out. Crates:\n\
         the packages the build compiles (`cargo tree`, normal and build dependencies).\n\n\
         | configuration | operations | generated lines | debug: cold | debug: our crates | release: cold | release: our crates | crates |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let (operations, lines) = row.operations;
        s.push_str(&format!(
            "| {} | {operations} | {lines} | {} | {} |\n",
            row.config.label,
            row.timings.join(" | "),
            row.crates,
        ));
    }
    s.push('\n');
    s.push_str(END);
    s.push('\n');
    s
}

/// The four timing cells of the row labelled `label` in the section of
/// `text` (BENCHMARKS.md), if it has one.
fn earlier_timings(text: &str, label: &str) -> Option<Vec<String>> {
    let start = text.find(BEGIN)?;
    let end = text[start..].find(END)? + start;
    let row = text[start..end]
        .lines()
        .find(|line| line.starts_with(&format!("| {label} |")))?;
    let cells: Vec<String> = row
        .trim_matches('|')
        .split('|')
        .map(|cell| cell.trim().to_owned())
        .collect();
    // label, operations, lines, four timings, crates
    (cells.len() == 8).then(|| cells[3..7].to_vec())
}

/// Replaces the section in `path` (or appends it), leaving the rest as it is.
pub fn splice(path: &Path, section: &str) -> Result<()> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let text = match (text.find(BEGIN), text.find(END)) {
        (Some(start), Some(end)) if start < end => {
            let end = end + END.len();
            let rest = text[end..].strip_prefix('\n').unwrap_or(&text[end..]);
            format!("{}{section}{rest}", &text[..start])
        }
        _ => format!("{}\n{section}", text.trim_end()),
    };
    std::fs::write(path, text)?;
    Ok(())
}

/// The section of `text`, markers included, to carry into a rewritten file.
pub fn section_of(text: &str) -> Option<&str> {
    let start = text.find(BEGIN)?;
    let end = text[start..].find(END)? + start + END.len();
    Some(&text[start..end])
}
