//! `scenario jobs list | get | wait | cancel`, and what `generate` shares with
//! them: printing a job, waiting for one with progress on stderr, and saying
//! why a wait ended.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use scenario_sdk::types::{Job, JobStatus};
use scenario_sdk::{Error as SdkError, ListJobs, Work, ops};

use crate::cli::{GlobalArgs, JobWait, WaitPace};
use crate::client::connect;
use crate::error::Failure;
use crate::listing::{self, Noun, Options};
use crate::output::{json_line, printable};
use crate::params::QueryArgs;

/// `scenario jobs ...`
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List jobs, newest first: a table for people, or one JSON object per line with --json
    List(Box<JobListArgs>),
    /// Show a job: its status, progress and the assets it made
    Get(JobIdArgs),
    /// Wait until a job ends, its progress on stderr; exit 1 if it fails or is canceled
    Wait(JobWaitArgs),
    /// Cancel a job (most generation jobs cannot be canceled: the service refuses)
    Cancel(JobIdArgs),
}

/// The flags of `scenario jobs list`.
#[derive(Debug, Args)]
pub struct JobListArgs {
    /// Print one JSON object per line (each job as the API sent it) instead of a table
    #[arg(long)]
    pub json: bool,

    /// Stop after this many jobs
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,

    /// The query parameters of `GET /jobs`, from the document.
    #[command(flatten)]
    pub query: QueryArgs<ops::ListJobs>,
}

/// The flags of `scenario jobs get` and `scenario jobs cancel`.
#[derive(Debug, Args)]
pub struct JobIdArgs {
    /// The job's id (job_...)
    #[arg(value_name = "ID")]
    pub id: String,

    /// Print the job as one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// The flags of `scenario jobs wait`.
#[derive(Debug, Args)]
pub struct JobWaitArgs {
    /// The job's id (job_...)
    #[arg(value_name = "ID")]
    pub id: String,

    /// Print the job as one JSON object instead of text
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub pace: WaitPace<JobWait>,
}

/// Lists jobs page by page, printing each page as it arrives.
pub async fn list(global: &GlobalArgs, args: JobListArgs) -> Result<(), Failure> {
    let query: ops::ListJobsQuery = args.query.query().map_err(Failure::usage)?;
    let client = connect(global)?;
    let mut operation = ops::ListJobs::new();
    operation.query = query;
    let listing: ListJobs = client.request(operation);
    let options = Options {
        json: args.json,
        limit: args.limit,
        quiet: global.quiet,
    };
    listing::print(listing, JOBS, options, write_jobs).await
}

/// Shows one job.
pub async fn get(global: &GlobalArgs, args: JobIdArgs) -> Result<(), Failure> {
    let client = connect(global)?;
    let job =
        client.jobs().get(&args.id).await.map_err(|error| {
            Failure::sdk(format!("cannot get job {}", printable(&args.id)), &error)
        })?;
    print_job(&job, args.json)
}

/// Cancels a job and shows it as the service left it.
pub async fn cancel(global: &GlobalArgs, args: JobIdArgs) -> Result<(), Failure> {
    let client = connect(global)?;
    let job = client.jobs().cancel(&args.id).await.map_err(|error| {
        Failure::sdk(format!("cannot cancel job {}", printable(&args.id)), &error)
    })?;
    print_job(&job, args.json)
}

/// Waits for a job, with its progress on stderr; Ctrl-C stops waiting (the job
/// goes on).
pub async fn wait(global: &GlobalArgs, args: JobWaitArgs) -> Result<(), Failure> {
    let client = connect(global)?;
    let progress = JobProgress::new(global);
    let mut wait = client
        .jobs()
        .wait(&args.id)
        .on_progress(progress.callback());
    if let Some(timeout) = args.pace.timeout {
        wait = wait.timeout(timeout);
    }
    if let Some(interval) = args.pace.interval {
        wait = wait.interval(interval);
    }
    let interrupted = format!(
        "stopped waiting; job {0} goes on: `scenario jobs get {0}` shows it",
        printable(&args.id)
    );
    let result = until_ctrl_c(&progress, interrupted, wait.send()).await?;
    let job =
        result.map_err(|error| wait_failure(&format!("job {}", printable(&args.id)), &error))?;
    print_job(&job, args.json)
}

/// Runs `future` unless Ctrl-C comes first, which is reported as an
/// interruption saying `interrupted`.
pub(crate) async fn until_ctrl_c<T>(
    progress: &JobProgress,
    interrupted: String,
    future: impl Future<Output = T>,
) -> Result<T, Failure> {
    // `biased`: the handler is installed (first poll) before the first request.
    tokio::select! {
        biased;
        () = ctrl_c() => {
            progress.clear();
            Err(Failure::interrupted(interrupted))
        }
        result = future => {
            progress.clear();
            Ok(result)
        }
    }
}

/// Why waiting for a job failed, with advice for the command line (the SDK's
/// own names Rust methods).
pub(crate) fn wait_failure(context: &str, error: &SdkError) -> Failure {
    match error.cause() {
        SdkError::WaitTimeout {
            work: Work::Job,
            id: job_id,
            status,
            waited,
        } => Failure::new(format!(
            "{context}: job {0} is still {1} after {2}s; wait longer with \
             `scenario jobs wait {0} --wait-timeout 10m`",
            printable(job_id),
            printable(status),
            waited.as_secs()
        )),
        SdkError::WorkFailed {
            work: Work::Job,
            id: job_id,
            status,
            message,
        } => Failure::new(format!(
            "{context}: job {} ended {}: {}; see it with `scenario jobs get {}`",
            printable(job_id),
            printable(status),
            printable(message),
            printable(job_id)
        )),
        _ => Failure::sdk(context, error),
    }
}

/// A job's progress on stderr: a bar for people at a terminal, nothing when
/// stderr is a pipe, `--quiet` or `-v` (whose logs would tear the bar).
pub(crate) struct JobProgress {
    bar: ProgressBar,
}

impl JobProgress {
    pub(crate) fn new(global: &GlobalArgs) -> Self {
        let visible = !global.quiet && global.verbose == 0 && std::io::stderr().is_terminal();
        let bar = ProgressBar::with_draw_target(
            Some(100),
            if visible {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            },
        );
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}% ({elapsed})") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        Self { bar }
    }

    pub(crate) fn callback(&self) -> impl Fn(&JobStatus, f64) + Send + Sync + 'static {
        let bar = self.bar.clone();
        move |status, progress| {
            bar.set_message(printable(status.as_str()));
            // The SDK's progress never goes backwards, so neither does the bar.
            bar.set_position((progress * 100.0).round() as u64);
        }
    }

    /// A callback showing any status (a model's, say) and its progress (0 to 1).
    pub(crate) fn updater(&self) -> impl Fn(&str, f64) + Send + Sync + 'static {
        let bar = self.bar.clone();
        move |status, progress| {
            bar.set_message(printable(status));
            bar.set_position((progress.clamp(0.0, 1.0) * 100.0).round() as u64);
        }
    }

    pub(crate) fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

/// Resolves on Ctrl-C; never, if the handler cannot be installed (the default
/// handling, which ends the process, then stays in place).
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The words of the jobs listing's messages.
const JOBS: Noun = Noun::new("job", "a job", "jobs");

const JOB_HEADER: [&str; 5] = ["ID", "TYPE", "STATUS", "PROGRESS", "CREATED"];

fn job_row(job: &Job) -> [String; 5] {
    [
        printable(&job.job_id),
        printable(job.job_type.as_str()),
        printable(job.status.as_str()),
        percent(job.progress),
        printable(&job.created_at),
    ]
}

fn percent(progress: f64) -> String {
    format!("{:.0}%", (progress.clamp(0.0, 1.0) * 100.0))
}

/// Writes the table rows of jobs (with the header before the first page).
fn write_jobs(out: &mut dyn Write, jobs: &[Job], first: bool) -> std::io::Result<()> {
    // Ids and types are of bounded length; fixed widths line up across pages.
    listing::fixed_rows(out, jobs, first, JOB_HEADER, job_row, |row| {
        format!(
            "{:<26}  {:<20}  {:<12}  {:>8}  {}",
            row[0], row[1], row[2], row[3], row[4]
        )
    })
}

/// Writes a job as aligned `label  value` lines: what it is, where it stands,
/// and what it made.
pub(crate) fn write_job(out: &mut impl Write, job: &Job) -> std::io::Result<()> {
    let mut fields: Vec<(&str, String)> = vec![
        ("job", job.job_id.clone()),
        ("type", job.job_type.to_string()),
        ("status", job.status.to_string()),
        ("progress", percent(job.progress)),
    ];
    for asset in &job.metadata.asset_ids {
        fields.push(("asset", asset.clone()));
    }
    if let Some(error) = job.metadata.error.as_ref().filter(|e| !e.is_empty()) {
        fields.push(("error", error.clone()));
    }
    fields.push(("created", job.created_at.clone()));
    fields.push(("updated", job.updated_at.clone()));
    let width = fields.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    for (label, value) in fields {
        writeln!(out, "{label:<width$}  {}", printable(&value))?;
    }
    Ok(())
}

fn print_job(job: &Job, json: bool) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if json {
        json_line(&mut out, job)
    } else {
        write_job(&mut out, job)
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(error) => Failure::output(error).map_or(Ok(()), Err),
    }
}
