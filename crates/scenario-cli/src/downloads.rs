//! `scenario assets download [ID..] [--dir DIR]`: asset files into a
//! directory (by id, or every asset the listing flags select), or one archive
//! made by the service (`--archive FILE`); and the download `generate
//! --download DIR` does after its run.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use indicatif::HumanBytes;
use scenario_sdk::types::{Asset, DownloadTargetFormat};
use scenario_sdk::{Client, DEFAULT_DOWNLOAD_CONCURRENCY, DownloadReport, DownloadToDir, ops};

use crate::assets::{listing, query};
use crate::cli::{GlobalArgs, one_of};
use crate::client::connect;
use crate::error::Failure;
use crate::output::printable;
use crate::params::QueryArgs;
use crate::progress::TransferProgress;

/// The flags of `scenario assets download`.
#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// The assets' ids (asset_...); without ids, every asset the query flags select
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,

    /// The directory the files go to (created if missing); each file is named after the asset id, with the extension of its type
    #[arg(long, short = 'o', value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// How many files are fetched at once
    #[arg(long, value_name = "N", default_value_t = DEFAULT_DOWNLOAD_CONCURRENCY,
          value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u16).range(1..), usize::from))]
    pub concurrency: usize,

    /// Convert each file to this format first
    #[arg(long, value_name = "FORMAT", value_parser = one_of::<DownloadTargetFormat>(DownloadTargetFormat::VALUES))]
    pub format: Option<DownloadTargetFormat>,

    /// Have the service zip the assets (given by id) into one archive, and download it to FILE
    #[arg(long, value_name = "FILE", conflicts_with_all = ["format", "limit"])]
    pub archive: Option<PathBuf>,

    /// Without ids: stop after this many assets
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,

    /// Print one JSON object per file (written, skipped or failed) instead of a summary
    #[arg(long)]
    pub json: bool,

    /// The query parameters of `GET /assets` (without ids), from the document.
    #[command(flatten)]
    pub query: QueryArgs<ops::ListAssets>,
}

/// Downloads the files (or the archive).
pub async fn download(global: &GlobalArgs, args: DownloadArgs) -> Result<(), Failure> {
    if !args.ids.is_empty() && (!args.query.is_empty() || args.limit.is_some()) {
        return Err(Failure::usage(
            "give asset ids, or query flags (and --limit) to select assets, not both",
        ));
    }
    if let Some(archive) = &args.archive {
        if args.ids.is_empty() {
            return Err(Failure::usage(
                "--archive takes the assets by id: give their ids",
            ));
        }
        return download_archive(global, &args.ids, archive).await;
    }
    let client = connect(global)?;
    let mut files = client
        .downloads()
        .to_dir(&args.dir)
        .concurrency(args.concurrency);
    if let Some(format) = args.format.clone() {
        files = files.format(format);
    }
    files = if args.ids.is_empty() {
        let selection = listing(&client, query(&args.query)?, args.limit).stream();
        match args.limit {
            Some(limit) => {
                let limit = usize::try_from(limit).unwrap_or(usize::MAX);
                files.stream(futures::StreamExt::take(selection, limit))
            }
            None => files.stream(selection),
        }
    } else {
        files.ids(args.ids.iter().cloned())
    };
    let report = run(global, &args.dir, files).await?;
    summarise(global, &report, args.json)
}

/// The files of the assets a generation made, into `dir` (for `generate --download`).
pub async fn download_made(
    global: &GlobalArgs,
    client: &Client,
    assets: &[Asset],
    dir: &PathBuf,
) -> Result<(), Failure> {
    let files = client
        .downloads()
        .to_dir(dir)
        .assets(assets.iter().cloned());
    let report = run(global, dir, files).await?;
    summarise(global, &report, false)
}

/// Runs a download with a bar on stderr.
async fn run(
    global: &GlobalArgs,
    dir: &std::path::Path,
    files: DownloadToDir,
) -> Result<DownloadReport, Failure> {
    let visible = !global.quiet && global.verbose == 0 && std::io::stderr().is_terminal();
    let bar = TransferProgress::new(&dir.display().to_string(), visible);
    let report = files.on_progress(bar.download_callback()).await;
    bar.clear();
    report.map_err(|error| Failure::sdk("cannot download", &error))
}

async fn download_archive(
    global: &GlobalArgs,
    ids: &[String],
    path: &PathBuf,
) -> Result<(), Failure> {
    let client = connect(global)?;
    if !global.quiet {
        note!("asking the service to zip {} asset(s)", ids.len());
    }
    let archive = client
        .downloads()
        .archive(ids.iter().cloned())
        .to_file(path)
        .await
        .map_err(|error| Failure::sdk("cannot download the archive", &error))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = writeln!(
        out,
        "wrote {} ({}) from job {}",
        archive.path.display(),
        HumanBytes(archive.bytes),
        printable(&archive.job_id)
    )
    .and_then(|()| out.flush());
    match written {
        Ok(()) => Ok(()),
        Err(error) => Failure::output(error).map_or(Ok(()), Err),
    }
}

/// Prints what happened; exits 1 when a file failed or the listing broke.
fn summarise(global: &GlobalArgs, report: &DownloadReport, json: bool) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = (|| -> std::io::Result<()> {
        if json {
            for (state, files) in [("written", &report.written), ("skipped", &report.skipped)] {
                for file in files {
                    crate::output::json_line(
                        &mut out,
                        &serde_json::json!({
                            "assetId": file.asset_id,
                            "state": state,
                            "path": file.path,
                            "bytes": file.bytes,
                        }),
                    )?;
                }
            }
            for failed in &report.failed {
                crate::output::json_line(
                    &mut out,
                    &serde_json::json!({
                        "assetId": failed.asset_id,
                        "state": "failed",
                        "error": failed.error.to_string(),
                    }),
                )?;
            }
        } else {
            for failed in &report.failed {
                writeln!(out, "failed   {}", printable(&failed.error.to_string()))?;
            }
            if !global.quiet {
                writeln!(
                    out,
                    "wrote {} file(s) ({}), {} already there, {} failed",
                    report.written.len(),
                    HumanBytes(report.bytes_written()),
                    report.skipped.len(),
                    report.failed.len()
                )?;
            }
        }
        out.flush()
    })();
    if let Err(error) = written {
        return Failure::output(error).map_or(Ok(()), Err);
    }
    if let Some(error) = &report.listing_error {
        return Err(Failure::sdk(
            "the listing of assets failed; the files above are complete, the rest were not downloaded",
            error,
        ));
    }
    if !report.failed.is_empty() {
        return Err(Failure::new(format!(
            "{} file(s) could not be downloaded; run the same command again to retry them \
             (files already complete are skipped, partial ones resumed)",
            report.failed.len()
        )));
    }
    Ok(())
}
