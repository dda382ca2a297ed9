//! `scenario`: the Scenario API (generative assets for games) from the command
//! line, for people who want it without writing code, and for scripts.
//!
//! ```text
//! scenario assets list [--json] [--limit N] [filters...]
//! scenario uploads create FILE --kind KIND [--wait] [--json]
//! scenario uploads get ID [--json]
//! scenario uploads import URL --kind KIND [--wait] [--json]
//! scenario jobs list [--json] [--limit N] [filters...]
//! scenario jobs get|wait|cancel ID [--json]
//! scenario models list|get|cancel [ID] [--json]
//! scenario models train DIR --type TYPE [--name NAME] [--wait] [--dry-run] [--fresh]
//! scenario collections list [--json] [--limit N] [query flags...]
//! scenario collections get|delete ID [--json]
//! scenario collections create --name NAME [--json]
//! scenario collections update ID [--name NAME] [--thumbnail ASSET_ID] [--json]
//! scenario collections add|remove ID [--asset ID...] [--model ID...] [--json]
//! scenario search assets|models|workflows [QUERY TEXT...] [--json] [--limit N] [--filter EXPR] [flags...]
//! scenario workflows list [--json] [--limit N] [query flags...]
//! scenario workflows get ID [--json]
//! scenario workflows run ID [--input NAME=VALUE...] [--wait [--download DIR]] [--dry-run true] [--json]
//! scenario generate MODEL [--prompt TEXT] [--param NAME=VALUE] [--wait] [--dry-run true] [--json]
//! scenario api <operationId> [--<param> VALUE...] [--body JSON|@FILE|-]
//! scenario mock serve [--port 4010] [--assets N]
//! scenario configure [--profile NAME] [--base-url URL] [--api-key KEY] [--api-secret SECRET | < secret] [--remove]
//! scenario auth status [--profile NAME]
//! scenario completions bash|zsh|fish|powershell|elvish
//! ```
//!
//! Results go to stdout (a table or key-value lines, or JSON with `--json`);
//! progress, hints and errors go to stderr. An error is one line,
//! `error: <what went wrong>; <what to do>`, and the exit status says what kind
//! it was: 0 success, 1 API, network, configuration or file error, 2 usage
//! error, 130 interrupted.

#![forbid(unsafe_code)]
// A generated type is built with `..Default::default()` even where every
// field is set today: the document may add an optional field tomorrow, and
// this code must keep compiling untouched.
#![allow(clippy::needless_update)]

/// Writes a line to stderr like `eprintln!`, but a stderr that cannot be
/// written to (a closed pipe) is ignored instead of panicking. Every line goes
/// through `output::printable_lines`: errors and hints quote the server's
/// text, which must not drive the terminal.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let line = crate::output::printable_lines(&format!($($arg)*));
        let _ = writeln!(std::io::stderr(), "{line}");
    }};
}

mod api;
mod assets;
mod auth;
mod cli;
mod client;
mod collections;
mod completions;
mod config;
mod downloads;
mod error;
mod generate;
mod jobs;
mod listing;
mod mock;
mod models;
mod output;
mod params;
mod progress;
mod search;
mod uploads;
mod workflows;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{AssetsCommand, Cli, Command, GlobalArgs, MockCommand, UploadsCommand};
use crate::collections::CollectionsCommand;
use crate::error::Failure;
use crate::jobs::JobsCommand;
use crate::models::ModelsCommand;
use crate::search::SearchCommand;
use crate::workflows::WorkflowsCommand;

fn main() -> ExitCode {
    // Usage errors (and --help, --version) exit here, with status 2 (0).
    let Cli { global, command } = Cli::parse();
    init_tracing(global.verbose);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            note!(
                "error: cannot start the async runtime: {error}; check the system's limits on threads"
            );
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&global, command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if failure.is_interrupted() {
                note!("{failure}");
            } else {
                note!("error: {failure}");
            }
            failure.exit_code()
        }
    }
}

/// Runs a command.
async fn run(global: &GlobalArgs, command: Command) -> Result<(), Failure> {
    match command {
        Command::Assets(AssetsCommand::List(args)) => assets::list(global, *args).await,
        Command::Assets(AssetsCommand::Get(args)) => assets::get(global, args).await,
        Command::Assets(AssetsCommand::Download(args)) => downloads::download(global, *args).await,
        Command::Assets(AssetsCommand::Delete(args)) => assets::delete(global, args).await,
        Command::Assets(AssetsCommand::Restore(args)) => assets::restore(global, args).await,
        Command::Assets(AssetsCommand::Tags(args)) => assets::tags(global, args).await,
        Command::Uploads(UploadsCommand::Create(args)) => uploads::create(global, args).await,
        Command::Uploads(UploadsCommand::Get(args)) => uploads::get(global, args).await,
        Command::Uploads(UploadsCommand::Import(args)) => uploads::import(global, args).await,
        Command::Jobs(JobsCommand::List(args)) => jobs::list(global, *args).await,
        Command::Jobs(JobsCommand::Get(args)) => jobs::get(global, args).await,
        Command::Jobs(JobsCommand::Wait(args)) => jobs::wait(global, args).await,
        Command::Jobs(JobsCommand::Cancel(args)) => jobs::cancel(global, args).await,
        Command::Models(ModelsCommand::List(args)) => models::list(global, *args).await,
        Command::Models(ModelsCommand::Get(args)) => models::get(global, args).await,
        Command::Models(ModelsCommand::Train(args)) => models::train(global, *args).await,
        Command::Models(ModelsCommand::Cancel(args)) => models::cancel(global, args).await,
        Command::Collections(CollectionsCommand::List(args)) => {
            collections::list(global, *args).await
        }
        Command::Collections(CollectionsCommand::Get(args)) => collections::get(global, args).await,
        Command::Collections(CollectionsCommand::Create(args)) => {
            collections::create(global, args).await
        }
        Command::Collections(CollectionsCommand::Update(args)) => {
            collections::update(global, args).await
        }
        Command::Collections(CollectionsCommand::Delete(args)) => {
            collections::delete(global, args).await
        }
        Command::Collections(CollectionsCommand::Add(args)) => {
            collections::change(global, args, true).await
        }
        Command::Collections(CollectionsCommand::Remove(args)) => {
            collections::change(global, args, false).await
        }
        Command::Search(SearchCommand::Assets(args)) => search::assets(global, *args).await,
        Command::Search(SearchCommand::Models(args)) => search::models(global, *args).await,
        Command::Search(SearchCommand::Workflows(args)) => search::workflows(global, *args).await,
        Command::Workflows(WorkflowsCommand::List(args)) => workflows::list(global, *args).await,
        Command::Workflows(WorkflowsCommand::Get(args)) => workflows::get(global, args).await,
        Command::Workflows(WorkflowsCommand::Run(args)) => workflows::run(global, *args).await,
        Command::Generate(args) => generate::run(global, *args).await,
        Command::Api(command) => api::run(global, command).await,
        Command::Mock(MockCommand::Serve(args)) => mock::serve(global, args).await,
        Command::Completions(args) => completions::run(&args),
        Command::Configure(args) => auth::configure(global, args).await,
        Command::Auth(auth::AuthCommand::Status) => auth::status(global).await,
    }
}

/// Logs to stderr with `-v` (debug) or `-vv` (trace) for this workspace's
/// crates; `RUST_LOG`, when set, chooses instead. Nothing is logged without `-v`.
fn init_tracing(verbose: u8) {
    if verbose == 0 {
        return;
    }
    let level = if verbose == 1 { "debug" } else { "trace" };
    let default = format!("scenario_cli={level},scenario_sdk={level},scenario_mock={level}");
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
