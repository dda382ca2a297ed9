//! Soak of `train_from_dir` under faults: for several seeds, ~20% random faults
//! on the API and the storage, plus faults that act before they fail (an
//! upload completed whose answer is lost, a poll that fails after the service
//! moved on). Each run that fails is followed by the same call again, as a user
//! would; in the end there must be one model, trained on every image, and each
//! image uploaded (completed) exactly once: nothing duplicated, nothing lost.
//!
//! `training_soak_short` runs in plain `cargo test` (5 seeds); the long one
//! (12 seeds, more images) is ignored by default:
//! `cargo test -p scenario-sdk --test soak_training -- --ignored --nocapture`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use scenario_mock::{Fault, FaultRule, MockServer, OperationId, RandomFaults};
use scenario_sdk::types::{ModelStatus, ModelType};
use scenario_testkit::{seeded_content, sha256_hex, start_mock};

/// Runs of the same call before the soak gives up on converging.
const MAX_RUNS: usize = 15;

fn image_dir(seed: u64, n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let bytes = seeded_content(seed * 1000 + i as u64, 1_500 + i * 7);
        std::fs::write(dir.path().join(format!("image-{i:02}.png")), bytes).unwrap();
    }
    dir
}

async fn soak_one(seed: u64, images: usize) {
    // No seeded assets, so no seeded models: the one listed is the one trained.
    let (server, client) = start_mock(
        MockServer::builder()
            .assets(0)
            .validation_delay(Duration::from_millis(40))
            .random_faults(RandomFaults {
                seed,
                api_rate: 0.2,
                storage_rate: 0.2,
                retry_after: Duration::from_millis(10),
                slow_delay: Duration::from_millis(10),
            }),
    )
    .await;
    // Faults that act, then fail: the client cannot tell the request acted.
    server.inject(
        FaultRule::new(OperationId::TriggerUploadAction, Fault::ActThenStatus(502)).times(2),
    );
    server.inject(FaultRule::new(OperationId::TriggerUploadAction, Fault::ActThenDrop).times(1));
    server.inject(FaultRule::new(OperationId::GetUpload, Fault::ActThenDrop).times(3));
    server.inject(FaultRule::new(OperationId::TrainModel, Fault::ActThenStatus(504)).times(1));
    let dir = image_dir(seed, images);

    let mut failures = Vec::new();
    let mut trained = None;
    for _ in 0..MAX_RUNS {
        let run = client
            .models()
            .train_from_dir(dir.path(), ModelType::Flux1Lora)
            .name("Soak")
            .interval(Duration::from_millis(20))
            .max_interval(Duration::from_millis(40))
            .timeout(Duration::from_secs(20));
        match run.await {
            Ok(training) => {
                trained = Some(training);
                break;
            }
            Err(err) => failures.push(err.to_string()),
        }
    }
    let trained = trained.unwrap_or_else(|| panic!("seed {seed}: never trained: {failures:#?}"));
    assert_eq!(trained.model.status, ModelStatus::Trained, "seed {seed}");
    assert_eq!(
        trained.model.training_images_number, images as f64,
        "seed {seed}: {failures:#?}"
    );

    // Each image's content became exactly one asset, and the model trains on
    // those assets, once each.
    let mut completed: BTreeMap<String, usize> = BTreeMap::new();
    for upload in server.uploads() {
        if let Some(asset) = upload.entity_id.as_deref() {
            let digest = server.asset_sha256(asset).expect("the asset's content");
            *completed.entry(digest).or_default() += 1;
        }
    }
    let expected: BTreeMap<String, usize> = (0..images)
        .map(|i| {
            let bytes = std::fs::read(dir.path().join(format!("image-{i:02}.png"))).unwrap();
            (sha256_hex(&bytes), 1)
        })
        .collect();
    assert_eq!(completed, expected, "seed {seed}: {failures:#?}");
    let mut trained_on: Vec<&str> = trained
        .model
        .training_images
        .iter()
        .map(|image| image.id.as_str())
        .collect();
    trained_on.sort_unstable();
    trained_on.dedup();
    assert_eq!(trained_on.len(), images, "seed {seed}");

    // One model was made, whatever failed on the way.
    let models = client.models().list().send().await.unwrap().models;
    assert_eq!(models.len(), 1, "seed {seed}: {failures:#?}");
    assert!(state_is_whole(dir.path()), "seed {seed}");
    server.shutdown().await;
}

/// The state file is whole JSON and no temporary file is left beside it.
fn state_is_whole(dir: &Path) -> bool {
    let state = std::fs::read(dir.join(scenario_sdk::STATE_FILE)).unwrap();
    serde_json::from_slice::<serde_json::Value>(&state).is_ok()
        && !dir
            .join(format!("{}.tmp", scenario_sdk::STATE_FILE))
            .exists()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn training_soak_short() {
    let soak = async {
        for seed in 1..=5 {
            soak_one(seed, 9).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(120), soak)
        .await
        .expect("the training soak hung");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the long training soak: cargo test -p scenario-sdk --test soak_training -- --ignored"]
async fn training_soak_long() {
    let soak = async {
        for seed in 100..112 {
            soak_one(seed, 25).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(900), soak)
        .await
        .expect("the training soak hung");
}
