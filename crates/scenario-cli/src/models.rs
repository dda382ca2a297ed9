//! `scenario models list | get | train | cancel`: the project's models, and
//! training one from a folder of images (resumable: run the same command again).

use std::io::Write;

use clap::{Args, Subcommand, ValueHint};
use scenario_sdk::types::{Model, ModelType};
use scenario_sdk::{Error as SdkError, ListModels, STATE_FILE, TrainProgress, Work, ops};

use crate::cli::{GlobalArgs, one_of};
use crate::cli::{TrainingWait, WaitPace};
use crate::client::connect;
use crate::error::Failure;
use crate::jobs::{JobProgress, until_ctrl_c};
use crate::listing::{self, Noun, Options};
use crate::output::{json_line, printable};
use crate::params::QueryArgs;

/// `scenario models ...`
#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// List models, newest first: a table for people, or one JSON object per line with --json
    List(Box<ModelListArgs>),
    /// Show a model: its type, status and training
    Get(ModelIdArgs),
    /// Train a model on the images of a folder: upload, create, add, train, wait
    ///
    /// Run it again after an interruption or a failure and it goes on where it
    /// stopped: what it did is kept in the folder (.scenario-training.json), and
    /// the model's status is read from the service. A folder whose model is
    /// trained answers that model at once.
    Train(Box<TrainArgs>),
    /// Cancel a model's running training
    Cancel(ModelIdArgs),
}

/// The flags of `scenario models list`.
#[derive(Debug, Args)]
pub struct ModelListArgs {
    /// Print one JSON object per line instead of a table
    #[arg(long)]
    pub json: bool,

    /// Stop after this many models
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,

    /// The query parameters of `GET /models`, from the document.
    #[command(flatten)]
    pub query: QueryArgs<ops::ListModels>,
}

/// The flags of `scenario models get` and `scenario models cancel`.
#[derive(Debug, Args)]
pub struct ModelIdArgs {
    /// The model's id
    #[arg(value_name = "ID")]
    pub id: String,

    /// Print the model as one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// The flags of `scenario models train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The folder of training images (every image file in it; hidden files are left out)
    #[arg(value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub dir: std::path::PathBuf,

    /// The type of model to train
    #[arg(long = "type", value_name = "TYPE", value_parser = one_of::<ModelType>(ModelType::VALUES))]
    pub model_type: ModelType,

    /// The model's name [default: the folder's name]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Wait until the model is trained, its progress on stderr; without it the command ends once training starts
    #[arg(long)]
    pub wait: bool,

    /// Prepare everything but only print what the training would cost
    #[arg(long, conflicts_with = "wait")]
    pub dry_run: bool,

    /// Start over: a new model, every image uploaded again (ignores what an earlier run did)
    #[arg(long)]
    pub fresh: bool,

    /// Image files uploaded at the same time
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub concurrency: u16,

    /// Print the model as one JSON object instead of text
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub pace: WaitPace<TrainingWait>,
}

/// Lists models page by page, printing each page as it arrives.
pub async fn list(global: &GlobalArgs, args: ModelListArgs) -> Result<(), Failure> {
    let query: ops::ListModelsQuery = args.query.query().map_err(Failure::usage)?;
    let client = connect(global)?;
    let mut operation = ops::ListModels::new();
    operation.query = query;
    let listing: ListModels = client.request(operation);
    let options = Options {
        json: args.json,
        limit: args.limit,
        quiet: global.quiet,
    };
    listing::print(listing, MODELS, options, write_models).await
}

/// Shows one model.
pub async fn get(global: &GlobalArgs, args: ModelIdArgs) -> Result<(), Failure> {
    let client = connect(global)?;
    let model = client.models().get(&args.id).await.map_err(|error| {
        Failure::sdk(format!("cannot get model {}", printable(&args.id)), &error)
    })?;
    print_model(&model, args.json)
}

/// Cancels a model's training and shows the model as the service left it.
pub async fn cancel(global: &GlobalArgs, args: ModelIdArgs) -> Result<(), Failure> {
    let client = connect(global)?;
    let model = client
        .models()
        .cancel_training(&args.id)
        .await
        .map_err(|error| {
            Failure::sdk(
                format!(
                    "cannot cancel the training of model {}",
                    printable(&args.id)
                ),
                &error,
            )
        })?;
    print_model(&model, args.json)
}

/// Trains a model from a folder, reporting each step on stderr.
pub async fn train(global: &GlobalArgs, args: TrainArgs) -> Result<(), Failure> {
    let client = connect(global)?;
    let progress = JobProgress::new(global);
    let quiet = global.quiet;
    let bar = progress.updater();
    let mut run = client
        .models()
        .train_from_dir(&args.dir, args.model_type.clone())
        .concurrency(usize::from(args.concurrency))
        .fresh(args.fresh)
        .dry_run(args.dry_run)
        .wait(args.wait)
        .on_progress(move |event| match event {
            TrainProgress::Training { status, progress } => bar(status.as_str(), *progress),
            TrainProgress::Uploading { done, total } if !quiet && done == total => {
                note!("uploaded {done}/{total} images");
            }
            TrainProgress::AddingImages { done, total } if !quiet && done == total => {
                note!("{done}/{total} images are training images");
            }
            TrainProgress::Started { model_id, job_id } if !quiet => match job_id {
                Some(job) => note!("training model {model_id} (job {job})"),
                None => note!("model {model_id} is training"),
            },
            _ => {}
        });
    if let Some(name) = &args.name {
        run = run.name(name.as_str());
    }
    if let Some(timeout) = args.pace.timeout {
        run = run.timeout(timeout);
    }
    if let Some(interval) = args.pace.interval {
        run = run.interval(interval);
    }
    let folder = printable(&args.dir.display().to_string());
    let interrupted = format!(
        "stopped; what was done is kept in {folder}/{STATE_FILE}: run the same command again to go on"
    );
    let result = until_ctrl_c(&progress, interrupted, run.send()).await?;
    let training = result.map_err(|error| train_failure(&folder, &error))?;
    if let Some(estimate) = &training.estimate {
        if !quiet {
            let cost = estimate
                .creative_units_cost
                .map_or_else(|| "an unknown number of".to_owned(), |c| c.to_string());
            note!(
                "training model {} would cost {cost} creative units; run the command without --dry-run to start it",
                printable(&training.model.id)
            );
        }
        if args.json {
            return print_json(estimate);
        }
    }
    print_model(&training.model, args.json)
}

/// Why training failed, with advice for the command line.
fn train_failure(folder: &str, error: &SdkError) -> Failure {
    let context = format!("cannot train from {folder}");
    match error.cause() {
        SdkError::WaitTimeout {
            work: Work::Training,
            id: model_id,
            status,
            waited,
        } => Failure::new(format!(
            "{context}: model {} is still {} after {}s; the training goes on: run the same \
             command again with a longer --wait-timeout, or see it with `scenario models get {}`",
            printable(model_id),
            printable(status),
            waited.as_secs(),
            printable(model_id)
        )),
        SdkError::WorkFailed {
            work: Work::Training,
            id: model_id,
            status,
            message,
        } => Failure::new(format!(
            "{context}: model {} is {}: {}; see it with `scenario models get {}`, or start over \
             with --fresh",
            printable(model_id),
            printable(status),
            printable(message),
            printable(model_id)
        )),
        SdkError::InvalidInput(message) => Failure::usage(format!("{context}: {message}")),
        // What the state file names (a model, uploads) is unknown to this
        // service: made with other credentials or another server, so running
        // again meets the same 404.
        cause if cause.is_not_found() => Failure::sdk(
            format!(
                "{context}: the service does not know what {folder}/{STATE_FILE} names (was it \
                 made with other credentials or another server?); start over with --fresh"
            ),
            error,
        ),
        // A local problem (a folder or file missing, unreadable or
        // unwritable, another run in the folder): running again fixes nothing
        // until it is solved, and the error says how.
        SdkError::Io { .. } | SdkError::FileWrite { .. } | SdkError::Locked { .. } => {
            Failure::sdk(context, error)
        }
        _ => Failure::sdk(
            format!("{context} (run the same command again to go on where it stopped)"),
            error,
        ),
    }
}

/// The words of the models listing's messages.
const MODELS: Noun = Noun::new("model", "a model", "models");

const MODEL_HEADER: [&str; 5] = ["ID", "TYPE", "STATUS", "NAME", "CREATED"];

fn model_row(model: &Model) -> [String; 5] {
    [
        printable(&model.id),
        printable(model.type_.as_str()),
        printable(model.status.as_str()),
        printable(model.name.as_deref().unwrap_or("")),
        printable(&model.created_at),
    ]
}

/// Writes the table rows of models (with the header before the first page).
fn write_models(out: &mut dyn Write, models: &[Model], first: bool) -> std::io::Result<()> {
    listing::fixed_rows(out, models, first, MODEL_HEADER, model_row, |row| {
        format!(
            "{:<28}  {:<22}  {:<17}  {:<24}  {}",
            row[0], row[1], row[2], row[3], row[4]
        )
    })
}

/// Writes a model as aligned `label  value` lines.
fn write_model(out: &mut impl Write, model: &Model) -> std::io::Result<()> {
    let mut fields: Vec<(&str, String)> = vec![
        ("model", model.id.clone()),
        ("name", model.name.clone().unwrap_or_default()),
        ("type", model.type_.to_string()),
        ("status", model.status.to_string()),
        (
            "images",
            format!("{}", model.training_images_number.max(0.0).round() as u64),
        ),
    ];
    if let Some(progress) = model.training_progress.as_ref().and_then(|p| p.progress) {
        fields.push((
            "progress",
            format!("{:.0}%", progress.clamp(0.0, 1.0) * 100.0),
        ));
    }
    fields.push(("created", model.created_at.clone()));
    fields.push(("updated", model.updated_at.clone()));
    let width = fields.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    for (label, value) in fields {
        writeln!(out, "{label:<width$}  {}", printable(&value))?;
    }
    Ok(())
}

fn print_model(model: &Model, json: bool) -> Result<(), Failure> {
    if json {
        return print_json(model);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match write_model(&mut out, model).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(error) => Failure::output(error).map_or(Ok(()), Err),
    }
}

fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match json_line(&mut out, value).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(error) => Failure::output(error).map_or(Ok(()), Err),
    }
}
