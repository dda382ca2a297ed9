//! `scenario workflows list | get | run`: the project's workflows, and runs of
//! them through the SDK's `client.workflows()`; with `--wait`, waiting for the
//! run's job (with the same flags and progress as `generate`) and showing, or
//! downloading with `--download`, the assets it made.

use std::io::Write;

use clap::{Args, Subcommand};
use scenario_sdk::ops;
use scenario_sdk::types::{Workflow, WorkflowListItem};
use serde_json::Value;

use crate::cli::{GlobalArgs, JobWait, WaitPace};
use crate::client::connect;
use crate::error::Failure;
use crate::generate::{finish, parse_param, print_estimate, print_job};
use crate::jobs::{JobProgress, until_ctrl_c, wait_failure};
use crate::listing::{self, Noun, Options};
use crate::output::{json_line, printable};
use crate::params::QueryArgs;

/// `scenario workflows ...`
#[derive(Debug, Subcommand)]
pub enum WorkflowsCommand {
    /// List workflows, most recently updated first: a table, or one JSON object per line with --json
    List(Box<WorkflowListArgs>),
    /// Show a workflow: its state, its inputs (what `run --input` sets) and its steps
    Get(WorkflowGetArgs),
    /// Run a workflow (optionally waiting for what it makes), or ask what it would cost
    Run(Box<WorkflowRunArgs>),
}

/// The flags of `scenario workflows list`.
#[derive(Debug, Args)]
pub struct WorkflowListArgs {
    /// Print one JSON object per line (each workflow as the API sent it) instead of a table
    #[arg(long)]
    pub json: bool,

    /// Stop after this many workflows
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,

    /// The query parameters of `GET /workflows`, from the document.
    #[command(flatten)]
    pub query: QueryArgs<ops::ListWorkflows>,
}

/// The flags of `scenario workflows get`.
#[derive(Debug, Args)]
pub struct WorkflowGetArgs {
    /// The workflow's id (workflow_...)
    #[arg(value_name = "ID")]
    pub id: String,

    /// Print the workflow as one JSON object instead of text
    #[arg(long)]
    pub json: bool,

    /// The query parameters of `GET /workflows/{workflowId}`, from the document.
    #[command(flatten)]
    pub query: QueryArgs<ops::GetWorkflow>,
}

/// The flags of `scenario workflows run`.
#[derive(Debug, Args)]
#[command(after_help = "\
A workflow with a user-approval or user-selection step waits for that decision \
(`scenario api workflowUserApproval` / `workflowUserSelection`): --wait waits for it \
too, up to --wait-timeout.")]
pub struct WorkflowRunArgs {
    /// The workflow to run (workflow_...)
    #[arg(value_name = "ID")]
    pub id: String,

    /// An input of the workflow, as NAME=VALUE (repeat for more; `scenario workflows get`
    /// lists them); VALUE is read as JSON when it is JSON (2, true, ["a"]), else as text
    #[arg(long = "input", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub inputs: Vec<(String, Value)>,

    /// Wait for the run's job to end, then print it and the assets it made
    #[arg(long)]
    pub wait: bool,

    /// With --wait: download the files of the assets it made into DIR
    #[arg(long, value_name = "DIR", requires = "wait")]
    pub download: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub pace: WaitPace<JobWait>,

    /// Print JSON instead of text: the job, or `{"job": .., "assets": [..]}` with --wait
    #[arg(long)]
    pub json: bool,

    /// The query parameters of `PUT /workflows/{workflowId}/run`, from the document.
    #[command(flatten)]
    pub query: QueryArgs<ops::RunWorkflow>,
}

/// The words of the workflows listing's messages.
const WORKFLOWS: Noun = Noun::new("workflow", "a workflow", "workflows");

/// Lists workflows page by page, printing each page as it arrives.
pub async fn list(global: &GlobalArgs, args: WorkflowListArgs) -> Result<(), Failure> {
    let query: ops::ListWorkflowsQuery = args.query.query().map_err(Failure::usage)?;
    let client = connect(global)?;
    let mut operation = ops::ListWorkflows::new();
    operation.query = query;
    let options = Options {
        json: args.json,
        limit: args.limit,
        quiet: global.quiet,
    };
    listing::print(
        client.request(operation),
        WORKFLOWS,
        options,
        write_workflows,
    )
    .await
}

/// Shows one workflow.
pub async fn get(global: &GlobalArgs, args: WorkflowGetArgs) -> Result<(), Failure> {
    let query: ops::GetWorkflowQuery = args.query.query().map_err(Failure::usage)?;
    let client = connect(global)?;
    let mut operation = ops::GetWorkflow::new(args.id.as_str());
    operation.query = query;
    let workflow = client
        .request(operation)
        .await
        .map_err(|error| {
            Failure::sdk(
                format!("cannot get workflow {}", printable(&args.id)),
                &error,
            )
        })?
        .workflow;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if args.json {
        json_line(&mut out, &workflow)
    } else {
        write_workflow(&mut out, &workflow)
    };
    finish(written.and_then(|()| out.flush()))
}

/// Runs the workflow: starts it, or waits for it, or asks what it would cost.
pub async fn run(global: &GlobalArgs, args: WorkflowRunArgs) -> Result<(), Failure> {
    let query: ops::RunWorkflowQuery = args.query.query().map_err(Failure::usage)?;
    let dry_run = query.dry_run.is_some();
    if dry_run && args.wait {
        return Err(Failure::usage(
            "--dry-run starts no job, so there is nothing to --wait for: pass one or the other",
        ));
    }
    args.pace.only_with(args.wait)?;
    let client = connect(global)?;
    let mut run = client.workflows().run(&args.id).query(|_| query);
    for (name, value) in &args.inputs {
        run = run.input(name, value.clone());
    }
    let context = format!("cannot run workflow {}", printable(&args.id));
    if dry_run {
        let estimate = run
            .dry_run()
            .await
            .map_err(|error| Failure::sdk(&context, &error))?;
        return print_estimate(
            &estimate,
            estimate.creative_units_cost,
            estimate.creative_units_discount,
            args.json,
        );
    }
    if !args.wait {
        let started = run.await.map_err(|error| Failure::sdk(&context, &error))?;
        print_job(&started.job, None, args.json)?;
        if !global.quiet && !args.json {
            note!(
                "the run goes on; `scenario jobs wait {}` waits for it (or pass --wait next time)",
                printable(&started.job.job_id)
            );
        }
        return Ok(());
    }
    let progress = JobProgress::new(global);
    run = run.wait(true).on_progress(progress.callback());
    if let Some(timeout) = args.pace.timeout {
        run = run.timeout(timeout);
    }
    if let Some(interval) = args.pace.interval {
        run = run.interval(interval);
    }
    // The job's id is not known here: the run may not have started yet.
    let interrupted =
        "stopped waiting; a run that started goes on: `scenario jobs list` shows it".to_owned();
    let made = until_ctrl_c(&progress, interrupted, run.send())
        .await?
        .map_err(|error| wait_failure(&context, &error))?;
    print_job(&made.job, Some(&made.assets), args.json)?;
    match &args.download {
        Some(dir) => crate::downloads::download_made(global, &client, &made.assets, dir).await,
        None => Ok(()),
    }
}

/// Writes the table rows of workflows (with the header before the first page).
fn write_workflows(
    out: &mut dyn Write,
    workflows: &[WorkflowListItem],
    first: bool,
) -> std::io::Result<()> {
    let header = ["ID", "STATUS", "PRIVACY", "UPDATED", "NAME"];
    let row = |workflow: &WorkflowListItem| {
        [
            printable(&workflow.id),
            printable(workflow.status.as_str()),
            printable(workflow.privacy.as_str()),
            printable(&workflow.updated_at),
            printable(&workflow.name),
        ]
    };
    listing::fixed_rows(out, workflows, first, header, row, |row| {
        format!(
            "{:<28}  {:<10}  {:<8}  {:<24}  {}",
            row[0], row[1], row[2], row[3], row[4]
        )
    })
}

/// Writes a workflow as aligned `label  value` lines: what it is, its inputs
/// (one line each: name, type, and whether a run must set it) and its steps.
fn write_workflow(out: &mut impl Write, workflow: &Workflow) -> std::io::Result<()> {
    let mut fields: Vec<(&str, String)> = vec![
        ("workflow", workflow.id.clone()),
        ("name", workflow.name.clone()),
        ("status", workflow.status.to_string()),
        ("privacy", workflow.privacy.to_string()),
    ];
    if !workflow.short_description.is_empty() {
        fields.push(("summary", workflow.short_description.clone()));
    }
    if !workflow.tag_set.is_empty() {
        fields.push(("tagged", workflow.tag_set.join(", ")));
    }
    for input in &workflow.inputs {
        let required =
            input.required.as_ref().and_then(|r| r.always) == Some(true) && input.default.is_none();
        let mut line = format!("{} ({})", input.name, input.type_);
        if required {
            line.push_str(", required");
        }
        if let Some(default) = &input.default {
            line.push_str(&format!(", default {default}"));
        }
        fields.push(("input", line));
    }
    for step in &workflow.flow {
        fields.push(("step", format!("{} ({})", step.id, step.type_)));
    }
    fields.push(("created", workflow.created_at.clone()));
    fields.push(("updated", workflow.updated_at.clone()));
    let width = fields.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    for (label, value) in fields {
        writeln!(out, "{label:<width$}  {}", printable(&value))?;
    }
    Ok(())
}
