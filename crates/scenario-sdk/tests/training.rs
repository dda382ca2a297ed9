//! `client.models().train_from_dir(dir)` against the fake: a folder of images
//! to a trained model, generating with it, and what a second run does after an
//! interruption, a failure, or a finished training.

use std::future::IntoFuture;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scenario_mock::{Fault, FaultRule, MockServer, OperationId, Route};
use scenario_sdk::types::{ModelStatus, ModelTrainingImageRequest, ModelType};
use scenario_sdk::{Client, Error, STATE_FILE, TrainFromDir, TrainProgress};
use scenario_testkit::{seeded_content, start_mock};

/// The most training images one call adds, as the document says.
fn batch() -> usize {
    ModelTrainingImageRequest::ASSET_IDS_MAX_ITEMS
}

/// A directory of `n` small images (and a file that is not one, and a hidden
/// one, both left alone).
fn image_dir(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let bytes = seeded_content(i as u64, 2_000 + i * 10);
        std::fs::write(dir.path().join(format!("image-{i:02}.png")), bytes).unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "not an image").unwrap();
    std::fs::write(dir.path().join(".hidden.png"), "hidden").unwrap();
    dir
}

/// A fake with no seeded assets, so no seeded models: every model listed is one
/// a test made.
fn fake() -> scenario_mock::MockServerBuilder {
    MockServer::builder()
        .assets(0)
        .validation_delay(Duration::from_millis(60))
}

fn train(client: &Client, dir: &Path) -> TrainFromDir {
    client
        .models()
        .train_from_dir(dir, ModelType::Flux1Lora)
        .name("Hero")
        .interval(Duration::from_millis(20))
        .max_interval(Duration::from_millis(40))
        .timeout(Duration::from_secs(20))
}

#[tokio::test]
async fn a_folder_becomes_a_trained_model_to_generate_with() {
    let (server, client) = start_mock(fake()).await;
    let images = batch() + 3;
    let dir = image_dir(images);
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let training = train(&client, dir.path())
        .on_progress(move |p| seen.lock().unwrap().push(p.clone()))
        .await
        .unwrap();

    assert_eq!(training.model.status, ModelStatus::Trained);
    assert_eq!(training.model.name.as_deref(), Some("Hero"));
    assert_eq!(training.model.training_images_number, images as f64);
    assert_eq!((training.uploaded, training.reused), (images, 0));
    assert_eq!(training.images_added, images);
    assert!(training.job_id.is_some());
    assert_eq!(training.state_file, dir.path().join(STATE_FILE));
    // Only the images went up, and the training images in as few calls as allowed.
    assert_eq!(server.request_count(OperationId::CreateUpload), images);
    assert_eq!(
        server.request_count(OperationId::AddModelTrainingImages),
        images.div_ceil(batch())
    );

    let events = events.lock().unwrap().clone();
    assert!(events.contains(&TrainProgress::Uploading {
        done: images,
        total: images
    }));
    assert!(events.contains(&TrainProgress::AddingImages {
        done: images,
        total: images
    }));
    assert!(matches!(
        events.last(),
        Some(TrainProgress::Training { status: ModelStatus::Trained, progress }) if *progress == 1.0
    ));

    // The model is ready to generate with.
    let made = client
        .generate()
        .custom(&training.model.id)
        .prompt("the hero, running")
        .wait(true)
        .interval(Duration::from_millis(20))
        .max_interval(Duration::from_millis(40))
        .await
        .unwrap();
    assert!(!made.assets.is_empty());

    // And what it made lands on disk, byte for byte.
    let out = tempfile::tempdir().unwrap();
    let report = client
        .downloads()
        .to_dir(out.path())
        .assets(made.assets.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(report.written.len(), made.assets.len());
    assert!(report.failed.is_empty());
    for file in &report.written {
        let bytes = std::fs::read(&file.path).unwrap();
        assert_eq!(
            scenario_testkit::sha256_hex(&bytes),
            server.asset_sha256(&file.asset_id).unwrap()
        );
    }
}

#[tokio::test]
async fn an_interrupted_run_goes_on_without_uploading_or_creating_again() {
    let (server, client) = start_mock(fake()).await;
    let images = batch() + 3;
    let dir = image_dir(images);
    // The first batch of training images goes in, the second fails (a POST
    // that may have acted is not retried).
    server.inject(
        FaultRule::new(
            OperationId::AddModelTrainingImages,
            Fault::Delay(Duration::ZERO),
        )
        .times(1),
    );
    server.inject(FaultRule::new(OperationId::AddModelTrainingImages, Fault::Status(503)).times(1));
    let first = train(&client, dir.path()).await.unwrap_err();
    assert_eq!(first.status().map(|s| s.as_u16()), Some(503), "{first}");
    let assets_after_first = server.asset_count();

    let second = train(&client, dir.path()).await.unwrap();
    assert_eq!(second.model.status, ModelStatus::Trained);
    assert_eq!((second.uploaded, second.reused), (0, images));
    assert_eq!(second.images_added, images - batch());
    assert_eq!(second.model.training_images_number, images as f64);
    // Nothing was made twice: one model, each image uploaded once.
    assert_eq!(server.request_count(OperationId::CreateModel), 1);
    assert_eq!(server.request_count(OperationId::CreateUpload), images);
    assert_eq!(server.asset_count(), assets_after_first);
}

#[tokio::test]
async fn a_run_after_the_training_answers_the_trained_model_at_once() {
    let (server, client) = start_mock(fake()).await;
    let dir = image_dir(3);
    let first = train(&client, dir.path()).await.unwrap();
    let trainings = server.request_count(OperationId::TrainModel);

    let again = train(&client, dir.path()).await.unwrap();
    assert_eq!(again.model.id, first.model.id);
    assert_eq!(again.model.status, ModelStatus::Trained);
    assert_eq!((again.uploaded, again.images_added), (0, 0));
    assert_eq!(server.request_count(OperationId::TrainModel), trainings);
}

#[tokio::test]
async fn a_run_that_did_not_wait_is_waited_for_by_the_next() {
    let (server, client) = start_mock(fake().validation_delay(Duration::from_millis(300))).await;
    let dir = image_dir(2);
    let started = train(&client, dir.path()).wait(false).await.unwrap();
    assert_eq!(started.model.status, ModelStatus::Training);
    let finished = train(&client, dir.path()).await.unwrap();
    assert_eq!(finished.model.id, started.model.id);
    assert_eq!(finished.model.status, ModelStatus::Trained);
    assert_eq!(server.request_count(OperationId::TrainModel), 1);
}

#[tokio::test]
async fn a_dry_run_prepares_the_model_and_answers_the_cost_only() {
    let (server, client) = start_mock(fake()).await;
    let dir = image_dir(4);
    let estimate = train(&client, dir.path()).dry_run(true).await.unwrap();
    let cost = estimate.estimate.as_ref().expect("the estimate");
    assert!(cost.creative_units_cost.is_some(), "{cost:?}");
    assert_eq!(cost.model.id, estimate.model.id);
    assert_eq!(estimate.model.status, ModelStatus::New);
    assert_eq!(estimate.images_added, 4);

    let trained = train(&client, dir.path()).await.unwrap();
    assert_eq!(trained.model.id, estimate.model.id);
    assert_eq!(trained.model.status, ModelStatus::Trained);
    assert_eq!(server.request_count(OperationId::CreateUpload), 4);
}

#[tokio::test]
async fn an_image_changed_after_it_was_added_is_refused() {
    let (server, client) = start_mock(fake()).await;
    let dir = image_dir(3);
    server.inject(FaultRule::new(OperationId::TrainModel, Fault::Status(503)).times(1));
    train(&client, dir.path()).await.unwrap_err();
    std::fs::write(dir.path().join("image-01.png"), b"another picture").unwrap();

    let err = train(&client, dir.path()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("image-01.png changed"), "{message}");
    assert!(message.contains("--fresh"), "{message}");

    // Starting over makes a new model from the folder as it is.
    let fresh = train(&client, dir.path()).fresh(true).await.unwrap();
    assert_eq!(fresh.model.status, ModelStatus::Trained);
    assert_eq!(fresh.uploaded, 3);
    assert_eq!(server.request_count(OperationId::CreateModel), 2);
}

#[tokio::test]
async fn a_failed_training_is_an_error_naming_the_model() {
    let (server, client) = start_mock(fake()).await;
    let dir = image_dir(2);
    let prepared = train(&client, dir.path()).dry_run(true).await.unwrap();
    // A training image whose asset is gone makes the fake's training fail.
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(STATE_FILE)).unwrap()).unwrap();
    let asset = state["files"]["image-00.png"]["assetId"]
        .as_str()
        .unwrap()
        .to_owned();
    client
        .request(scenario_sdk::ops::DeleteAssets::new(
            serde_json::from_value::<scenario_sdk::types::AssetIdsRequest>(
                serde_json::json!({"assetIds": [asset]}),
            )
            .unwrap(),
        ))
        .await
        .unwrap();

    let err = train(&client, dir.path()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::WorkFailed {
                work: scenario_sdk::Work::Training,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.model_id(), Some(prepared.model.id.as_str()));
    assert!(server.request_count(OperationId::TrainModel) >= 2);
}

#[tokio::test]
async fn a_folder_without_images_is_refused_before_any_request() {
    let (server, client) = start_mock(fake()).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("readme.md"), "no pictures here").unwrap();
    let err = train(&client, dir.path()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert!(err.to_string().contains("no image files"), "{err}");
    assert_eq!(server.requests().len(), 0);
}

#[tokio::test]
async fn a_run_dropped_mid_upload_is_finished_by_the_next() {
    let (server, client) = start_mock(fake()).await;
    let images = 6;
    let dir = image_dir(images);
    // Four uploads go through, the rest hang until the run is dropped.
    server.inject(FaultRule::new(OperationId::CreateUpload, Fault::Delay(Duration::ZERO)).times(4));
    server.inject(
        FaultRule::new(
            OperationId::CreateUpload,
            Fault::Delay(Duration::from_secs(30)),
        )
        .times(2),
    );
    let run = tokio::spawn(train(&client, dir.path()).concurrency(1).into_future());
    // Cut the run short once the state file records the four uploads.
    let state = dir.path().join(STATE_FILE);
    let recorded = |path: &Path| -> usize {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .and_then(|v| v["files"].as_object().map(serde_json::Map::len))
            .unwrap_or(0)
    };
    for _ in 0..1000 {
        if recorded(&state) >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(recorded(&state), 4);
    run.abort();
    assert!(run.await.unwrap_err().is_cancelled());
    server.clear_faults();

    let finished = train(&client, dir.path()).await.unwrap();
    assert_eq!(finished.model.status, ModelStatus::Trained);
    assert_eq!((finished.uploaded, finished.reused), (images - 4, 4));
    assert_eq!(finished.model.training_images_number, images as f64);
    assert_eq!(server.request_count(OperationId::CreateModel), 1);
}

#[tokio::test]
async fn under_random_faults_running_it_again_converges_on_one_trained_model() {
    let (server, client) = start_mock(fake().random_faults(scenario_mock::RandomFaults {
        seed: 7,
        api_rate: 0.2,
        storage_rate: 0.2,
        retry_after: Duration::from_millis(20),
        slow_delay: Duration::from_millis(20),
    }))
    .await;
    let images = batch() * 2 + 1;
    let dir = image_dir(images);
    let mut failures = Vec::new();
    let mut trained = None;
    // Each failure (a POST that may have acted is not retried) is followed by
    // the same call again, as a user would; it must get there in a few runs.
    for _ in 0..12 {
        match train(&client, dir.path()).await {
            Ok(training) => {
                trained = Some(training);
                break;
            }
            Err(err) => failures.push(err.to_string()),
        }
    }
    let trained = trained.unwrap_or_else(|| panic!("never trained: {failures:#?}"));
    assert_eq!(trained.model.status, ModelStatus::Trained);
    // These faults all refuse a request before it acts, so nothing was made
    // twice: one model, and each image uploaded (and completed) once.
    let models = client.models().list().send().await.unwrap().models;
    assert_eq!(models.len(), 1, "{failures:#?}");
    assert_eq!(trained.model.training_images_number, images as f64);
    let completed = server
        .uploads()
        .iter()
        .filter(|u| u.entity_id.is_some())
        .count();
    assert_eq!(completed, images, "{failures:#?}");
    assert!(!server.faults_injected().is_empty(), "the faults were on");
}

/// Uploads the fake completed, by the images' content: each image must be
/// there once.
fn completed_uploads(server: &MockServer) -> usize {
    server
        .uploads()
        .iter()
        .filter(|u| u.entity_id.is_some())
        .count()
}

#[tokio::test]
async fn an_upload_completed_before_its_wait_failed_is_not_uploaded_again() {
    let (server, client) = start_mock(fake()).await;
    let images = 5;
    let dir = image_dir(images);
    // Every upload is completed (the service makes its asset), then every
    // poll of it fails: the run ends with no asset recorded.
    server.inject(FaultRule::new(OperationId::GetUpload, Fault::Status(500)).times(usize::MAX));
    let first = train(&client, dir.path()).await.unwrap_err();
    assert_eq!(first.status().map(|s| s.as_u16()), Some(500), "{first}");
    assert_eq!(server.request_count(OperationId::CreateUpload), images);
    server.clear_faults();

    let second = train(&client, dir.path()).await.unwrap();
    assert_eq!(second.model.status, ModelStatus::Trained);
    // The second run found the earlier uploads' assets instead of uploading again.
    assert_eq!(server.request_count(OperationId::CreateUpload), images);
    assert_eq!(completed_uploads(&server), images);
    assert_eq!((second.uploaded, second.reused), (0, images));
    assert_eq!(second.model.training_images_number, images as f64);
}

#[tokio::test]
async fn a_run_stopped_while_its_uploads_are_validated_is_finished_without_uploading_again() {
    // Validation takes long enough for the run to be stopped while every
    // completed upload is still being validated (none recorded as an asset).
    let (server, client) = start_mock(fake().validation_delay(Duration::from_millis(800))).await;
    let images = 4;
    let dir = image_dir(images);
    let run = tokio::spawn(train(&client, dir.path()).into_future());
    let completed = |server: &MockServer| {
        server
            .requests()
            .iter()
            .filter(|r| r.route == Some(Route::Api(OperationId::TriggerUploadAction)))
            .count()
    };
    for _ in 0..500 {
        if completed(&server) == images {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(completed(&server), images, "every upload was completed");
    run.abort();
    assert!(run.await.unwrap_err().is_cancelled());

    let finished = train(&client, dir.path()).await.unwrap();
    assert_eq!(finished.model.status, ModelStatus::Trained);
    assert_eq!(server.request_count(OperationId::CreateUpload), images);
    assert_eq!(completed_uploads(&server), images);
    assert_eq!((finished.uploaded, finished.reused), (0, images));
}

#[tokio::test]
async fn an_upload_that_was_never_completed_is_uploaded_again() {
    let (server, client) = start_mock(fake()).await;
    let dir = image_dir(2);
    // The completion of every upload is refused before it acts.
    server.inject(
        FaultRule::new(OperationId::TriggerUploadAction, Fault::Status(503)).times(usize::MAX),
    );
    train(&client, dir.path()).await.unwrap_err();
    assert_eq!(completed_uploads(&server), 0);
    server.clear_faults();

    let second = train(&client, dir.path()).await.unwrap();
    assert_eq!(second.model.status, ModelStatus::Trained);
    assert_eq!((second.uploaded, second.reused), (2, 0));
    assert_eq!(server.request_count(OperationId::CreateUpload), 4);
    assert_eq!(completed_uploads(&server), 2);
}

#[tokio::test]
async fn a_second_run_on_the_same_folder_is_refused_at_once_naming_the_first() {
    let (server, client) = start_mock(fake().validation_delay(Duration::from_millis(300))).await;
    let dir = image_dir(3);
    let first = tokio::spawn(train(&client, dir.path()).into_future());
    for _ in 0..500 {
        if server.request_count(OperationId::CreateUpload) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        server.request_count(OperationId::CreateUpload) > 0,
        "the first run started"
    );

    let second = train(&client, dir.path()).await.unwrap_err();
    match &second {
        Error::Locked { path, holder } => {
            assert_eq!(path, &dir.path().join(".scenario-training.lock"));
            assert!(
                holder.contains(&format!("process {}", std::process::id())),
                "{holder}"
            );
        }
        other => panic!("expected Error::Locked, got {other:?}"),
    }
    assert!(
        second.to_string().contains("in use by another run"),
        "{second}"
    );
    // The first run finishes alone: nothing uploaded or created twice.
    let first = first.await.unwrap().unwrap();
    assert_eq!(first.model.status, ModelStatus::Trained);
    assert_eq!(server.request_count(OperationId::CreateUpload), 3);
    assert_eq!(server.request_count(OperationId::CreateModel), 1);

    // Once the first run is over, the folder is free again.
    let again = train(&client, dir.path()).await.unwrap();
    assert_eq!(again.model.id, first.model.id);
}
