//! The whole loop: list assets, upload a file and wait until it becomes an
//! asset, then generate from a prompt, wait for the job and download what it
//! made.
//!
//! ```sh
//! cargo run -p scenario-sdk --example quickstart
//! ```
//!
//! With `SCENARIO_SDK_API_KEY` and `SCENARIO_SDK_API_SECRET` set it talks to the
//! real API (and uploads a small generated PNG; it generates only when
//! `SCENARIO_MODEL_ID` names a model of yours, as a run costs credits); without
//! them, to an embedded fake. Files go to `./quickstart-output`.

use scenario_sdk::prelude::*;
use scenario_sdk::types::UploadKind;

mod common;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _fake) = common::connect().await?;

    // 1. The five most recent assets; the stream fetches pages as needed.
    let recent: Vec<_> = client
        .assets()
        .list()
        .page_size(5)
        .stream()
        .take(5)
        .try_collect()
        .await?;
    println!("{} recent assets:", recent.len());
    for asset in &recent {
        println!("  {}  {:<9} {}", asset.id, asset.kind, asset.created_at);
    }

    // 2. Upload an image and wait until the service has turned it into an asset.
    let upload = client
        .uploads()
        .upload_bytes(tiny_png(), "quickstart.png", UploadKind::Image)
        .on_progress(|p| {
            eprintln!(
                "  {:?}: {}/{} bytes, {}/{} parts",
                p.phase, p.bytes_sent, p.bytes_total, p.parts_done, p.parts_total
            );
        })
        .wait(true)
        .send()
        .await?;
    println!(
        "upload {} is {}; asset {}",
        upload.id,
        upload.status,
        upload.entity_id.as_deref().unwrap_or("-")
    );

    // 3. The new asset is listed like any other.
    let total = client
        .assets()
        .list()
        .page_size(100)
        .stream()
        .try_fold(0usize, |n, _| async move { Ok(n + 1) })
        .await?;
    println!("the project now has {total} assets");

    // 4. Generate from a prompt, wait for the job (with its progress), then
    //    download the images it made, four at a time, resumable.
    let model = match (std::env::var("SCENARIO_MODEL_ID"), &_fake) {
        (Ok(model), _) => model,
        (Err(_), Some(_)) => "model_quickstart".to_owned(),
        (Err(_), None) => {
            println!("set SCENARIO_MODEL_ID to also generate and download");
            return Ok(());
        }
    };
    let made = client
        .generate()
        .custom(&model)
        .prompt("a stone bridge over a river, game asset")
        .param("numOutputs", 2)
        .on_progress(|status, progress| eprintln!("  job {status}: {:.0}%", progress * 100.0))
        .wait(true)
        .await?;
    println!("job {} made {} assets", made.job.job_id, made.assets.len());
    let report = client
        .downloads()
        .to_dir("quickstart-output")
        .assets(made.assets)
        .await?;
    for file in &report.written {
        println!("  wrote {} ({} bytes)", file.path.display(), file.bytes);
    }
    for failed in &report.failed {
        println!("  failed {}: {}", failed.asset_id, failed.error);
    }
    Ok(())
}

/// A 1x1 transparent PNG.
fn tiny_png() -> Vec<u8> {
    vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
}
