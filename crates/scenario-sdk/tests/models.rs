//! Models through `Client::request` against the fake: the listing as a stream
//! (generic pagination), and the training life cycle from training images to a
//! trained model, waiting on its job with `client.jobs()`.

use std::time::Duration;

use futures::TryStreamExt;
use scenario_mock::{MockServer, OperationId};
use scenario_sdk::ops;
use scenario_sdk::types::{JobStatus, ModelStatus, ModelType};
use scenario_testkit::start_mock;
use serde_json::json;

/// A request body from JSON, so the test names only the fields it sets.
fn body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("a body the document allows")
}

#[tokio::test]
async fn the_models_listing_streams_every_page_newest_first() {
    // No seeded assets, so no seeded models: the listing holds these five.
    let (_server, client) = start_mock(MockServer::builder().assets(0)).await;
    let mut created = Vec::new();
    for n in 0..5 {
        let answer = client
            .request(ops::CreateModel::new(body::<
                scenario_sdk::types::ModelCreateRequest,
            >(
                json!({"name": format!("style {n}"), "type": "flux.1-lora"}),
            )))
            .await
            .unwrap();
        created.push(answer.model.id);
    }
    let listed: Vec<String> = client
        .request(ops::ListModels::new())
        .page_size(2)
        .stream()
        .map_ok(|model| model.id)
        .try_collect()
        .await
        .unwrap();
    created.reverse();
    assert_eq!(listed, created);
}

#[tokio::test]
async fn a_model_trains_from_its_training_images_to_trained() {
    let (_server, client) = start_mock(
        MockServer::builder()
            .assets(4)
            .validation_delay(Duration::from_millis(200)),
    )
    .await;
    let model = client
        .request(ops::CreateModel::new(body::<
            scenario_sdk::types::ModelCreateRequest,
        >(
            json!({"name": "Hero", "type": "flux.1-lora"}),
        )))
        .await
        .unwrap()
        .model;
    assert_eq!(model.status, ModelStatus::New);
    assert_eq!(model.type_, ModelType::Flux1Lora);

    let assets = client
        .request(ops::ListAssets::new())
        .page_size(4)
        .await
        .unwrap()
        .assets;
    let ids: Vec<&str> = assets.iter().map(|a| a.id.as_str()).collect();
    client
        .request(ops::AddModelTrainingImages::new(
            &model.id,
            body::<scenario_sdk::types::ModelTrainingImageRequest>(json!({"assetIds": ids})),
        ))
        .await
        .unwrap();

    let started = client
        .request(ops::TrainModel::new(
            &model.id,
            body::<scenario_sdk::types::ModelTrainRequest>(json!({})),
        ))
        .await
        .unwrap();
    let job = started.job;
    assert_eq!(started.model.status, ModelStatus::Training);
    let again = client
        .request(ops::TrainModel::new(
            &model.id,
            body::<scenario_sdk::types::ModelTrainRequest>(json!({})),
        ))
        .await
        .unwrap_err();
    assert!(again.to_string().contains("already training"), "{again}");

    let finished = client
        .jobs()
        .wait(&job.job_id)
        .interval(Duration::from_millis(20))
        .max_interval(Duration::from_millis(40))
        .await
        .unwrap();
    assert_eq!(finished.status, JobStatus::Success);
    let trained = client
        .request(ops::GetModel::new(&model.id))
        .await
        .unwrap()
        .model;
    assert_eq!(trained.status, ModelStatus::Trained);
    assert_eq!(trained.training_images_number, 4.0);
}

#[tokio::test]
async fn a_search_streams_every_hit_by_offset() {
    let (server, client) = start_mock(MockServer::builder().assets(7)).await;
    let request: scenario_sdk::types::SearchAssetsRequest = body(json!({"query": "", "limit": 3}));
    let hits: Vec<String> = client
        .request(ops::SearchAssets::new(request))
        .stream()
        .map_ok(|hit| hit.id)
        .try_collect()
        .await
        .unwrap();
    let mut unique = hits.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((hits.len(), unique.len()), (7, 7), "{hits:?}");
    // 3 + 3 + 1: the short page is the last one asked for.
    assert_eq!(server.request_count(OperationId::SearchAssets), 3);
}

#[tokio::test]
async fn recommendations_stream_by_their_next_token() {
    // No seeded assets, so no seeded (trained) models to recommend.
    let (server, client) = start_mock(
        MockServer::builder()
            .assets(0)
            .validation_delay(Duration::from_millis(40)),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    for i in 0..2u64 {
        std::fs::write(
            dir.path().join(format!("{i}.png")),
            scenario_testkit::seeded_content(i, 500),
        )
        .unwrap();
    }
    // Three trained models (recommendations list trained ones only).
    let mut trained = Vec::new();
    for n in 0..3 {
        let training = client
            .models()
            .train_from_dir(dir.path(), ModelType::Flux1Lora)
            .fresh(true)
            .name(format!("style {n}"))
            .interval(Duration::from_millis(20))
            .max_interval(Duration::from_millis(40))
            .await
            .unwrap();
        trained.push(training.model.id);
    }
    let listed: Vec<String> = client
        .request(ops::ListRecommendedModels::new())
        .limit(1.0)
        .stream()
        .map_ok(|model| model.id)
        .try_collect()
        .await
        .unwrap();
    trained.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, trained);
    assert!(server.request_count(OperationId::ListRecommendedModels) >= 3);
}

#[tokio::test]
async fn a_training_past_the_teams_parallel_limit_names_the_limit() {
    // Trainings last a minute, so the ones started stay running.
    let (_server, client) = start_mock(
        MockServer::builder()
            .assets(1)
            .validation_delay(Duration::from_secs(60)),
    )
    .await;
    let asset = client
        .request(ops::ListAssets::new())
        .page_size(1)
        .await
        .unwrap()
        .assets
        .remove(0)
        .id;
    let team = client.request(ops::ListTeams::new()).await.unwrap().teams[0]
        .id
        .clone();
    let limits = client.request(ops::GetTeamLimits::new(team)).await;
    let mut started = 0_u32;
    let refused = loop {
        let model = client
            .request(ops::CreateModel::new(body::<
                scenario_sdk::types::ModelCreateRequest,
            >(
                json!({"type": "flux.1-lora"})
            )))
            .await
            .unwrap()
            .model;
        client
            .request(ops::AddModelTrainingImages::new(
                &model.id,
                body::<scenario_sdk::types::ModelTrainingImageRequest>(
                    json!({"assetIds": [asset]}),
                ),
            ))
            .await
            .unwrap();
        let train = client
            .request(ops::TrainModel::new(
                &model.id,
                body::<scenario_sdk::types::ModelTrainRequest>(json!({})),
            ))
            .max_retries(0)
            .await;
        match train {
            Ok(_) => started += 1,
            Err(err) => break err,
        }
        assert!(started < 10, "the fake never refused a training");
    };
    assert!(refused.is_rate_limited(), "{refused:?}");
    match refused.limit() {
        Some(scenario_sdk::Limit::Concurrency { action, limit, .. }) => {
            assert!(!action.is_empty());
            assert_eq!(limit, Some(u64::from(started)), "{refused}");
            assert_eq!(
                f64::from(started),
                limits.unwrap().limits.parallel_training,
                "the team's own limit"
            );
        }
        other => panic!("expected a concurrency limit, got {other:?}: {refused}"),
    }
    let message = refused.to_string();
    assert!(
        message.contains(&format!("already runs {started}")),
        "{message}"
    );
}

#[tokio::test]
async fn the_teams_concurrency_comes_from_its_plan_limits() {
    let (_server, client) = start_mock(MockServer::builder().assets(0)).await;
    let team = client.teams().list().await.unwrap().remove(0).id;
    let limits = client.teams().limits(&team).await.unwrap().limits;
    let widths = client.teams().concurrency(&team).await.unwrap();
    assert_eq!(widths, scenario_sdk::Concurrency::from_limits(&limits));
    assert_eq!(widths.inferences as f64, limits.parallel_inferences);
    assert_eq!(widths.trainings as f64, limits.parallel_training);
    let missing = client.teams().concurrency("team_nope").await.unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");
}

/// A scripted answer of `GET /models/{id}`: a model of the fake, with `status`.
async fn model_reply(status: &str) -> scenario_testkit::Reply {
    let (_server, client) = start_mock(MockServer::builder()).await;
    let answer = client
        .request(ops::CreateModel::new(body::<
            scenario_sdk::types::ModelCreateRequest,
        >(
            json!({"name": "Hero", "type": "flux.1-lora"}),
        )))
        .await
        .unwrap();
    let mut model = serde_json::to_value(&answer.model).unwrap();
    model["id"] = json!("model_scripted");
    model["status"] = json!(status);
    scenario_testkit::Reply::json(json!({ "model": model }).to_string())
}

#[tokio::test]
async fn a_model_still_new_just_after_its_training_started_is_waited_for() {
    let server = scenario_testkit::ScriptedServer::start(vec![
        model_reply("new").await,
        model_reply("new").await,
        model_reply("training").await,
        model_reply("trained").await,
    ])
    .await;
    let model = server
        .client()
        .models()
        .wait_trained("model_scripted")
        .interval(Duration::from_millis(10))
        .max_interval(Duration::from_millis(10))
        .await
        .unwrap();
    assert_eq!(model.status, ModelStatus::Trained);
    assert_eq!(server.hits(), 4);
}

#[tokio::test]
async fn a_model_that_stays_new_ends_the_wait_as_not_training_well_before_the_deadline() {
    let server = scenario_testkit::ScriptedServer::start(vec![model_reply("new").await]).await;
    let err = server
        .client()
        .models()
        .wait_trained("model_scripted")
        .interval(Duration::from_millis(10))
        .max_interval(Duration::from_millis(10))
        .timeout(Duration::from_secs(60))
        .await
        .unwrap_err();
    match &err {
        scenario_sdk::Error::WorkFailed {
            work: scenario_sdk::Work::Training,
            status,
            message,
            ..
        } => {
            assert_eq!(status, "new");
            assert!(message.contains("not training"), "{message}");
        }
        other => panic!("expected WorkFailed, got {other:?}"),
    }
    assert_eq!(server.hits(), 4, "a few polls, not polling to the deadline");
}
