//! Trains a model on a folder of images, generates with it and downloads what
//! it made: the whole loop of a studio's own style.
//!
//! ```text
//! cargo run -p scenario-sdk --example train_model -- [DIR] [PROMPT]
//! ```
//!
//! With `SCENARIO_SDK_API_KEY` and `SCENARIO_SDK_API_SECRET` set, this trains
//! on the real API (which bills for it) and DIR is required; without them it
//! runs against a fake of the service started in this process, on a few
//! made-up images when no DIR is given. Interrupt it and run it again with the
//! same DIR: it goes on where it stopped (`DIR/.scenario-training.json`).
//! The files it made land in the system's temporary directory, under
//! `scenario-train-model/`.

mod common;

use std::path::PathBuf;

use scenario_sdk::types::ModelType;
use scenario_sdk::{Client, TrainProgress};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().map(PathBuf::from);
    let prompt = args
        .next()
        .unwrap_or_else(|| "the hero crossing a stone bridge".to_owned());
    if let Err(error) = run(dir, &prompt).await {
        eprintln!("\nerror: {error}");
        std::process::exit(1);
    }
}

async fn run(dir: Option<PathBuf>, prompt: &str) -> Result<(), Box<dyn std::error::Error>> {
    let (client, fake) = common::connect().await?;
    // Made-up images exist only for the fake; the real API trains on real art.
    let _made_up;
    let dir = match (dir, &fake) {
        (Some(dir), _) => dir,
        (None, Some(_)) => {
            let temp = tempfile::tempdir()?;
            for i in 0..6_u8 {
                let bytes: Vec<u8> = (0..4096_u32).map(|b| (b as u8) ^ i).collect();
                std::fs::write(temp.path().join(format!("hero-{i}.png")), bytes)?;
            }
            let path = temp.path().to_path_buf();
            _made_up = temp;
            path
        }
        (None, None) => return Err("give the folder of training images: train_model DIR".into()),
    };
    let model_id = train(&client, &dir).await?;

    let made = client
        .generate()
        .custom(&model_id)
        .prompt(prompt)
        .wait(true)
        .await?;
    eprintln!("generated {} asset(s) with {model_id}", made.assets.len());

    // Kept after the example ends, for you to look at.
    let out = std::env::temp_dir().join("scenario-train-model");
    let report = client.downloads().to_dir(&out).assets(made.assets).await?;
    for file in &report.written {
        println!("{} ({} bytes)", file.path.display(), file.bytes);
    }
    if let Some(failed) = report.failed.first() {
        return Err(format!(
            "{} download(s) failed, first: {}",
            report.failed.len(),
            failed.error
        )
        .into());
    }
    Ok(())
}

/// Trains (or resumes training) on `dir`, printing each step; the model's id.
async fn train(client: &Client, dir: &std::path::Path) -> scenario_sdk::Result<String> {
    let training = client
        .models()
        .train_from_dir(dir, ModelType::Flux1Lora)
        .on_progress(|event| match event {
            TrainProgress::Uploading { done, total } => eprint!("\ruploaded {done}/{total} images"),
            TrainProgress::AddingImages { done, total } => {
                eprint!("\r{done}/{total} images added to the model")
            }
            TrainProgress::Started { model_id, .. } => eprintln!("\ntraining {model_id}"),
            TrainProgress::Training { status, progress } => {
                eprint!("\r{status} {:>3.0}%", progress * 100.0)
            }
            _ => {}
        })
        .await?;
    eprintln!(
        "\nmodel {} is {} ({} uploaded, {} reused)",
        training.model.id, training.model.status, training.uploaded, training.reused
    );
    Ok(training.model.id)
}
