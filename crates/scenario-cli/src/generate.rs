//! `scenario generate MODEL --prompt .. [--param NAME=VALUE] [--wait
//! [--download DIR]]`: runs a model; with `--wait`, waits for its job and shows
//! the assets it made (and downloads their files); with the document's
//! `--dry-run`, shows what the run would cost.

use std::io::Write;

use clap::Args;
use scenario_sdk::ops;
use scenario_sdk::types::{Asset, Job};
use serde_json::Value;

use crate::cli::GlobalArgs;
use crate::cli::{JobWait, WaitPace};
use crate::client::connect;
use crate::error::Failure;
use crate::jobs::{JobProgress, until_ctrl_c, wait_failure, write_job};
use crate::output::{AssetTable, json_line, printable};
use crate::params::QueryArgs;

/// The flags of `scenario generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The model to run (model_...)
    #[arg(value_name = "MODEL")]
    pub model: String,

    /// The prompt (the body's `prompt` field)
    #[arg(long, value_name = "TEXT")]
    pub prompt: Option<String>,

    /// Any other input of the model, as NAME=VALUE (repeat for more); VALUE is
    /// read as JSON when it is JSON (2, true, ["a"]), else as text
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, Value)>,

    /// Wait for the job to end, then print it and the assets it made
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

    /// The query parameters of `POST /generate/custom/{modelId}`, from the document.
    #[command(flatten)]
    pub query: QueryArgs<ops::RunModel>,
}

/// `NAME=VALUE`, its value as JSON when it parses, else as a string (also
/// `workflows run --input`).
pub(crate) fn parse_param(text: &str) -> Result<(String, Value), String> {
    let (name, value) = text
        .split_once('=')
        .filter(|(name, _)| !name.trim().is_empty())
        .ok_or_else(|| format!("{text:?} is not NAME=VALUE: use e.g. numOutputs=2"))?;
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
    Ok((name.trim().to_owned(), value))
}

/// Runs the model.
pub async fn run(global: &GlobalArgs, args: GenerateArgs) -> Result<(), Failure> {
    let query: ops::RunModelQuery = args.query.query().map_err(Failure::usage)?;
    let dry_run = query.dry_run.is_some();
    if dry_run && args.wait {
        return Err(Failure::usage(
            "--dry-run starts no job, so there is nothing to --wait for: pass one or the other",
        ));
    }
    args.pace.only_with(args.wait)?;
    let client = connect(global)?;
    let mut run = client.generate().custom(&args.model).query(|_| query);
    if let Some(prompt) = &args.prompt {
        run = run.prompt(prompt);
    }
    for (name, value) in &args.params {
        run = run.param(name, value.clone());
    }
    let context = format!("cannot run model {}", printable(&args.model));
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
                "the job runs; `scenario jobs wait {}` waits for it (or pass --wait next time)",
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
        "stopped waiting; a job that started goes on: `scenario jobs list` shows it".to_owned();
    let made = until_ctrl_c(&progress, interrupted, run.send())
        .await?
        .map_err(|error| wait_failure(&context, &error))?;
    print_job(&made.job, Some(&made.assets), args.json)?;
    match &args.download {
        Some(dir) => crate::downloads::download_made(global, &client, &made.assets, dir).await,
        None => Ok(()),
    }
}

/// Prints what a dry run says a run would cost: its cost fields, or the whole
/// answer as JSON (also `workflows run --dry-run`).
pub(crate) fn print_estimate(
    estimate: &impl serde::Serialize,
    cost: Option<f64>,
    discount: Option<f64>,
    json: bool,
) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if json {
        json_line(&mut out, estimate)
    } else {
        let units =
            |value: Option<f64>| value.map_or_else(|| "unknown".to_owned(), |v| v.to_string());
        writeln!(out, "cost      {} creative units", units(cost))
            .and_then(|()| writeln!(out, "discount  {} creative units", units(discount)))
    };
    finish(written.and_then(|()| out.flush()))
}

/// Prints a run's job and, after a wait, the assets it made (a table, or
/// `{"job": .., "assets": [..]}` with `json`) (also `workflows run`).
pub(crate) fn print_job(job: &Job, assets: Option<&[Asset]>, json: bool) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = match (json, assets) {
        (true, Some(assets)) => json_line(
            &mut out,
            &serde_json::json!({ "job": job, "assets": assets }),
        ),
        (true, None) => json_line(&mut out, job),
        (false, assets) => write_job(&mut out, job).and_then(|()| match assets {
            Some(assets) if !assets.is_empty() => {
                writeln!(out)?;
                AssetTable::new().write_page(&mut out, assets)
            }
            _ => Ok(()),
        }),
    };
    finish(written.and_then(|()| out.flush()))
}

pub(crate) fn finish(written: std::io::Result<()>) -> Result<(), Failure> {
    match written {
        Ok(()) => Ok(()),
        Err(error) => Failure::output(error).map_or(Ok(()), Err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_param_value_is_json_when_it_parses_else_text() {
        assert_eq!(
            parse_param("numOutputs=2").unwrap(),
            ("numOutputs".into(), Value::from(2))
        );
        assert_eq!(
            parse_param("style=a red fox").unwrap().1,
            Value::from("a red fox")
        );
        assert_eq!(parse_param("x=a=b").unwrap().1, Value::from("a=b"));
        assert!(parse_param("novalue").is_err());
        assert!(parse_param("=2").is_err());
    }
}
