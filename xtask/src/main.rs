//! Workspace automation: `cargo xtask <command>`.
//!
//! Written in Rust rather than shell so it runs the same everywhere cargo does.

use std::process::ExitCode;

mod bench;
mod build_cost;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  generate [--check]   regenerate crates/scenario-api/src/generated.rs from openapi/scenario.yaml;
                       with --check, only compare and print a diff when the checked-in file is stale
  check-features       clippy scenario-sdk with no optional area of the API, with each alone, with
                       each TLS stack alone and with the defaults
  bench [--quick]      benchmark the SDK against baselines measured in the same run (curl uploads,
                       raw reqwest listing, serde_json::Value decoding); writes BENCHMARKS.md
  build-cost [--baseline REV | --remeasure-baseline]
                       time a cold build of a crate that depends on scenario-sdk, now and at REV
                       (default: the last commit with only the seed operations, whose timings
                       already in BENCHMARKS.md are kept unless --remeasure-baseline); writes
                       its section of BENCHMARKS.md
  readme               run every shell line of README.md in order, as pasted, in one bash on a
                       copy of the tree, with the CLI installed into a scratch directory; blocks
                       after a `<!-- xtask readme: skip -->` line are left out
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["generate"] => xtask::codegen::generate(&xtask::workspace_root()),
        ["generate", "--check"] => xtask::codegen::check(&xtask::workspace_root()),
        ["check-features"] => xtask::areas::check_each(&xtask::workspace_root()),
        ["bench"] => bench::run(&xtask::workspace_root(), false),
        ["bench", "--quick"] => bench::run(&xtask::workspace_root(), true),
        ["build-cost"] => build_cost::run(
            &xtask::workspace_root(),
            build_cost::DEFAULT_BASELINE,
            false,
        ),
        ["build-cost", "--remeasure-baseline"] => {
            build_cost::run(&xtask::workspace_root(), build_cost::DEFAULT_BASELINE, true)
        }
        ["build-cost", "--baseline", rev] => build_cost::run(&xtask::workspace_root(), rev, true),
        ["readme"] => xtask::readme::run(&xtask::workspace_root()),
        ["help" | "--help" | "-h"] => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
