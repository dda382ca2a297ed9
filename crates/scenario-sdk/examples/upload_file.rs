//! Uploads a file and waits for the asset it becomes.
//!
//! ```text
//! cargo run -p scenario-sdk --example upload_file -- <path> [kind]
//! ```
//!
//! `kind` is one of the upload kinds (`image` by default, `3d`, `audio`,
//! `video`, `model`, ...). With `SCENARIO_SDK_API_KEY` and
//! `SCENARIO_SDK_API_SECRET` set, the file goes to the real API; without them, to
//! a fake of the service started in this process, so the example runs anywhere.
//! `RUST_LOG=scenario_sdk=debug` shows each request and part.

use std::io::Write;
use std::time::Duration;

use scenario_sdk::types::UploadKind;
use scenario_sdk::{Client, Progress, UploadPhase};

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();

    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: upload_file <path> [kind]   (kind: image, 3d, audio, video, model, ...)");
        std::process::exit(2);
    };
    let kind = UploadKind::from(args.next().as_deref().unwrap_or("image"));
    if let Err(error) = upload(&path, kind).await {
        // The SDK's errors are written to be read: show the message, not the Debug form.
        eprintln!("\nerror: {error}");
        std::process::exit(1);
    }
}

async fn upload(path: &str, kind: UploadKind) -> scenario_sdk::Result<()> {
    // Keeps the fake server alive for as long as the client uses it.
    let (client, _fake) = if std::env::var_os(scenario_sdk::ENV_API_KEY).is_some() {
        (Client::from_env()?, None)
    } else {
        eprintln!(
            "{} is not set: uploading to a local fake of the service",
            scenario_sdk::ENV_API_KEY
        );
        let server = scenario_mock::MockServer::start().await;
        let client = Client::builder()
            .base_url(server.base_url())
            .api_key(server.api_key())
            .api_secret(server.api_secret())
            .build()?;
        (client, Some(server))
    };

    let upload = client
        .uploads()
        .upload_file(path, kind)
        .on_progress(show)
        .wait(true)
        .wait_timeout(Duration::from_secs(600))
        .await?;
    eprintln!();
    println!(
        "upload {} is {}; it created {}",
        upload.id,
        upload.status,
        upload.entity_id.as_deref().unwrap_or("nothing yet")
    );
    Ok(())
}

/// One status line, rewritten in place.
fn show(progress: &Progress) {
    let step = match progress.phase {
        UploadPhase::Creating => "creating",
        UploadPhase::Uploading => "uploading",
        UploadPhase::Completing => "completing",
        UploadPhase::Waiting => "validating",
        _ => "working",
    };
    eprint!(
        "\r{step:<10} {:>5.1}%  {}/{} bytes  {}/{} parts",
        progress.fraction() * 100.0,
        progress.bytes_sent,
        progress.bytes_total,
        progress.parts_done,
        progress.parts_total,
    );
    let _ = std::io::stderr().flush();
}
