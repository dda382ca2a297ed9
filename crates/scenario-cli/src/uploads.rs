//! `scenario uploads create | get | import`.

use std::io::{IsTerminal, Write};
use std::path::Path;

use scenario_sdk::UploadBuilder;
use scenario_sdk::types::{Upload, UploadStatus};

use crate::cli::{CreateArgs, GetArgs, GlobalArgs, ImportArgs, show_size};
use crate::client::connect;
use crate::error::Failure;
use crate::output::{json_line, printable, write_upload};
use crate::progress::{TransferProgress, cancelled_message};

/// Uploads a local file, with a progress bar on stderr; Ctrl-C stops it without
/// completing it.
pub async fn create(global: &GlobalArgs, args: CreateArgs) -> Result<(), Failure> {
    let shown = printable(&args.file.display().to_string());
    let len = check_file(&args.file, &shown).await?;
    if let Some(part_size) = args.part_size {
        check_part_count(len, part_size, &shown)?;
    }
    let client = connect(global)?;

    let visible = !global.quiet && global.verbose == 0 && std::io::stderr().is_terminal();
    let progress = TransferProgress::new(&shown, visible);
    let mut upload = client
        .uploads()
        .upload_file(&args.file, args.kind.clone())
        .wait(args.wait)
        .concurrency(usize::from(args.concurrency))
        .on_progress(progress.callback());
    if args.hide {
        upload = upload.hide(true);
    }
    if let Some(part_size) = args.part_size {
        upload = upload.part_size(part_size);
    }
    args.pace.only_with(args.wait)?;
    if let Some(timeout) = args.pace.timeout {
        upload = upload.wait_timeout(timeout);
    }
    if let Some(interval) = args.pace.interval {
        upload = upload.wait_interval(interval);
    }
    for collection in &args.collections {
        upload = upload.collection(collection);
    }
    if let Some(parent) = &args.parent {
        upload = upload.parent(parent);
    }

    // `biased`: the Ctrl-C handler is installed (first poll) before the upload
    // starts, so an early Ctrl-C is caught too. Dropping the upload future stops
    // its parts and never completes it.
    let result = tokio::select! {
        biased;
        () = ctrl_c() => {
            progress.clear();
            return Err(Failure::interrupted(cancelled_message(&progress.reached())));
        }
        result = upload.send() => result,
    };
    progress.clear();
    let upload = result.map_err(|error| Failure::sdk(format!("cannot upload {shown}"), &error))?;
    print_upload(&upload, args.json)?;
    if !args.wait && !global.quiet && !is_settled(&upload.status) {
        note!(
            "the service is now validating it; `scenario uploads get {}` shows when it is done \
             (or pass --wait next time)",
            printable(&upload.id)
        );
    }
    Ok(())
}

/// Shows one upload.
pub async fn get(global: &GlobalArgs, args: GetArgs) -> Result<(), Failure> {
    let client = connect(global)?;
    let upload = client.uploads().get(&args.id).await.map_err(|error| {
        Failure::sdk(format!("cannot get upload {}", printable(&args.id)), &error)
    })?;
    print_upload(&upload, args.json)
}

/// Has the service import a file from a URL, optionally waiting for the result.
pub async fn import(global: &GlobalArgs, args: ImportArgs) -> Result<(), Failure> {
    let client = connect(global)?;
    let mut import = client
        .uploads()
        .import_url(&args.url, args.kind.clone())
        .wait(args.wait);
    if args.hide {
        import = import.hide(true);
    }
    args.pace.only_with(args.wait)?;
    if let Some(timeout) = args.pace.timeout {
        import = import.wait_timeout(timeout);
    }
    if let Some(interval) = args.pace.interval {
        import = import.wait_interval(interval);
    }
    for collection in &args.collections {
        import = import.collection(collection);
    }
    if let Some(parent) = &args.parent {
        import = import.parent(parent);
    }
    let upload = import
        .send()
        .await
        .map_err(|error| Failure::sdk(format!("cannot import {}", printable(&args.url)), &error))?;
    print_upload(&upload, args.json)?;
    if !args.wait && !global.quiet && !is_settled(&upload.status) {
        note!(
            "the service is now importing it; `scenario uploads get {}` shows when it is done \
             (or pass --wait next time)",
            printable(&upload.id)
        );
    }
    Ok(())
}

/// Whether the service is done with an upload in this state.
fn is_settled(status: &UploadStatus) -> bool {
    matches!(
        status,
        UploadStatus::Complete | UploadStatus::Imported | UploadStatus::Failed
    )
}

/// Checks the file before anything goes over the network, so that a wrong path
/// is reported in one line naming it; returns its size.
async fn check_file(path: &Path, shown: &str) -> Result<u64, Failure> {
    let metadata = tokio::fs::metadata(path)
        .await
        .map_err(|error| Failure::new(format!("cannot read {shown}: {error}; check the path")))?;
    if metadata.is_dir() {
        return Err(Failure::new(format!(
            "{shown} is a directory; pass a file (upload its files one by one)"
        )));
    }
    if metadata.len() == 0 {
        return Err(Failure::new(format!(
            "{shown} is empty; the service accepts files of at least one byte"
        )));
    }
    Ok(metadata.len())
}

/// Refuses a `--part-size` that cuts a file of `len` bytes into more parts
/// than the storage takes, saying which size would do.
fn check_part_count(len: u64, part_size: u64, shown: &str) -> Result<(), Failure> {
    let max = u64::from(UploadBuilder::MAX_PARTS);
    let parts = len.div_ceil(part_size);
    if parts <= max {
        return Ok(());
    }
    // Whole MiBs read better, and are what the SDK rounds to as well.
    let needed = len.div_ceil(max).next_multiple_of(1 << 20);
    Err(Failure::usage(format!(
        "--part-size {} cuts {shown} into {parts} parts, more than the storage's {max}: \
         use --part-size {} or more, or leave it out to have it chosen",
        show_size(part_size),
        show_size(needed).replace(' ', ""),
    )))
}

fn print_upload(upload: &Upload, json: bool) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if json {
        json_line(&mut out, upload)
    } else {
        write_upload(&mut out, upload)
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(error) => Failure::output(error).map_or(Ok(()), Err),
    }
}

/// Resolves on Ctrl-C; never, if the handler cannot be installed (the default
/// handling, which ends the process, then stays in place).
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
