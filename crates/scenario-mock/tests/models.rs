//! Models, collections and search in the fake: the training life cycle (trained,
//! failed, canceled, already training), the 10-per-call limit of training images,
//! collection membership on both sides, search over the seeded assets, and the
//! pagination of the models listing.

mod common;

use std::time::Duration;

use common::{Api, api_error, quick};
use scenario_api::types::{
    Asset, CollectionResponse, Job, JobListResponse, JobResponse, JobStatus, JobType, Model,
    ModelDownloadResponse, ModelListResponse, ModelResponse, ModelStatus, ModelTrainResponse,
    ModelTrainingImageResponse, SearchAssetsResponse, TagListResponse,
};
use serde_json::{Value, json};

async fn send(
    api: &Api,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let request = api
        .http
        .request(method, api.url(path))
        .basic_auth(api.server.api_key(), Some(api.server.api_secret()));
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    request.send().await.unwrap()
}

async fn ok<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> T {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn create_model(api: &Api, name: &str) -> Model {
    let created: ModelResponse = ok(send(
        api,
        reqwest::Method::POST,
        "/models",
        Some(json!({"name": name, "type": "flux.1-lora"})),
    )
    .await)
    .await;
    created.model
}

async fn model(api: &Api, id: &str) -> Model {
    let got: ModelResponse =
        ok(send(api, reqwest::Method::GET, &format!("/models/{id}"), None).await).await;
    got.model
}

async fn job(api: &Api, id: &str) -> Job {
    let got: JobResponse =
        ok(send(api, reqwest::Method::GET, &format!("/jobs/{id}"), None).await).await;
    got.job
}

async fn assets(api: &Api, n: usize) -> Vec<Asset> {
    api.list(&[("pageSize", &n.to_string())]).await.assets
}

async fn add_images(api: &Api, model_id: &str, ids: &[&str]) -> reqwest::Response {
    send(
        api,
        reqwest::Method::POST,
        &format!("/models/{model_id}/training-images"),
        Some(json!({"assetIds": ids})),
    )
    .await
}

async fn train(api: &Api, model_id: &str) -> reqwest::Response {
    send(
        api,
        reqwest::Method::PUT,
        &format!("/models/{model_id}/train"),
        Some(json!({"parameters": {"maxTrainSteps": 100.0}})),
    )
    .await
}

/// Polls the model until it leaves `training`.
async fn trained(api: &Api, id: &str) -> Model {
    for _ in 0..400 {
        let model = model(api, id).await;
        if model.status != ModelStatus::Training {
            return model;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("model {id} is still training");
}

#[tokio::test]
async fn a_model_trains_new_then_training_then_trained_with_its_job() {
    let api = Api::with(quick().validation_delay(Duration::from_millis(200))).await;
    let created = create_model(&api, "Hero style").await;
    assert_eq!(created.status, ModelStatus::New);
    assert_eq!(created.training_images_number, 0.0);

    let refused = train(&api, &created.id).await;
    assert!(api_error(refused, 400).await.contains("no training images"));

    let seeded = assets(&api, 3).await;
    let ids: Vec<&str> = seeded.iter().map(|a| a.id.as_str()).collect();
    let added: ModelTrainingImageResponse = ok(add_images(&api, &created.id, &ids).await).await;
    assert_eq!(added.training_image.id, ids[0]);
    assert_eq!(model(&api, &created.id).await.training_images_number, 3.0);

    let started: ModelTrainResponse = ok(train(&api, &created.id).await).await;
    let started_job = started.job;
    assert_eq!(started_job.job_type, JobType::FluxModelTraining);
    let training = started.model;
    assert_eq!(training.status, ModelStatus::Training);
    assert_eq!(
        training.job_id.as_deref(),
        Some(started_job.job_id.as_str())
    );
    assert!(training.training_progress.is_some());

    let again = train(&api, &created.id).await;
    assert!(api_error(again, 400).await.contains("already training"));
    let frozen = add_images(&api, &created.id, &ids[..1]).await;
    assert!(api_error(frozen, 400).await.contains("already training"));

    let done = trained(&api, &created.id).await;
    assert_eq!(done.status, ModelStatus::Trained);
    assert!(done.training_progress.is_none());
    assert!(done.training_stats.is_some());
    assert_eq!(
        job(&api, &started_job.job_id).await.status,
        JobStatus::Success
    );
}

#[tokio::test]
async fn a_training_canceled_or_failed_says_so_on_the_model_and_its_job() {
    let api = Api::with(quick().validation_delay(Duration::from_millis(300))).await;
    let seeded = assets(&api, 2).await;

    // Canceled while it runs.
    let canceled = create_model(&api, "to cancel").await;
    ok::<ModelTrainingImageResponse>(add_images(&api, &canceled.id, &[&seeded[0].id]).await).await;
    let started: ModelTrainResponse = ok(train(&api, &canceled.id).await).await;
    let action = format!("/models/{}/train/action", canceled.id);
    let after: ModelResponse = ok(send(
        &api,
        reqwest::Method::POST,
        &action,
        Some(json!({"action": "cancel"})),
    )
    .await)
    .await;
    assert_eq!(after.model.status, ModelStatus::TrainingCanceled);
    let job_id = started.job.job_id;
    assert_eq!(job(&api, &job_id).await.status, JobStatus::Canceled);
    let twice = send(
        &api,
        reqwest::Method::POST,
        &action,
        Some(json!({"action": "cancel"})),
    )
    .await;
    assert!(
        api_error(twice, 400)
            .await
            .contains("only a model that is training")
    );

    // Failed: a training image's asset was deleted before the training.
    let failing = create_model(&api, "to fail").await;
    ok::<ModelTrainingImageResponse>(add_images(&api, &failing.id, &[&seeded[1].id]).await).await;
    let deleted = send(
        &api,
        reqwest::Method::DELETE,
        "/assets",
        Some(json!({"assetIds": [seeded[1].id]})),
    )
    .await;
    assert_eq!(deleted.status(), 200);
    let started: ModelTrainResponse = ok(train(&api, &failing.id).await).await;
    let done = trained(&api, &failing.id).await;
    assert_eq!(done.status, ModelStatus::Failed);
    let failed = job(&api, &started.job.job_id).await;
    assert_eq!(failed.status, JobStatus::Failure);
    assert!(failed.metadata.error.unwrap().contains(&seeded[1].id));
}

#[tokio::test]
async fn a_dry_run_answers_269_with_the_cost_and_starts_nothing() {
    let api = Api::with(quick()).await;
    let created = create_model(&api, "priced").await;
    let response = send(
        &api,
        reqwest::Method::PUT,
        &format!(
            "/models/{}/train?dryRun=true&trainingImagesCount=10",
            created.id
        ),
        Some(json!({})),
    )
    .await;
    assert_eq!(response.status(), 269);
    let answer: ModelTrainResponse = response.json().await.unwrap();
    // The model as it is and the job it would start, which is never stored.
    assert_eq!(answer.model.id, created.id);
    assert_eq!(answer.model.status, ModelStatus::New);
    let never = send(
        &api,
        reqwest::Method::GET,
        &format!("/jobs/{}", answer.job.job_id),
        None,
    )
    .await;
    api_error(never, 404).await;
    assert_eq!(answer.creative_units_cost, Some(150.0));
    assert_eq!(model(&api, &created.id).await.status, ModelStatus::New);
}

#[tokio::test]
async fn training_images_take_at_most_ten_asset_ids_a_call_and_a_duplicate_is_no_error() {
    let api = Api::with(quick().assets(12)).await;
    let created = create_model(&api, "limits").await;
    let seeded = assets(&api, 11).await;
    let ids: Vec<&str> = seeded.iter().map(|a| a.id.as_str()).collect();

    let eleven = add_images(&api, &created.id, &ids).await;
    let message = api_error(eleven, 400).await;
    assert!(
        message.contains("at most 10") && message.contains("11"),
        "{message}"
    );
    assert_eq!(model(&api, &created.id).await.training_images_number, 0.0);

    ok::<ModelTrainingImageResponse>(add_images(&api, &created.id, &ids[..10]).await).await;
    // The same assets again, and one new: only the new one is added.
    ok::<ModelTrainingImageResponse>(add_images(&api, &created.id, &ids[9..]).await).await;
    ok::<ModelTrainingImageResponse>(add_images(&api, &created.id, &ids[..2]).await).await;
    let model = model(&api, &created.id).await;
    assert_eq!(model.training_images_number, 11.0);
    assert_eq!(model.training_images.len(), 11);

    let missing = add_images(&api, &created.id, &["asset_missing"]).await;
    assert!(api_error(missing, 404).await.contains("asset_missing"));
}

#[tokio::test]
async fn collections_hold_assets_and_models_on_both_sides() {
    let api = Api::with(quick()).await;
    let created: CollectionResponse = ok(send(
        &api,
        reqwest::Method::POST,
        "/collections",
        Some(json!({"name": "Heroes"})),
    )
    .await)
    .await;
    let collection = created.collection;
    let path = format!("/collections/{}", collection.id);
    let seeded = assets(&api, 2).await;
    let model = create_model(&api, "in a collection").await;

    let added: CollectionResponse = ok(send(
        &api,
        reqwest::Method::PUT,
        &format!("{path}/assets"),
        Some(json!({"assetIds": [seeded[0].id, seeded[1].id, seeded[0].id]})),
    )
    .await)
    .await;
    assert_eq!(added.collection.asset_count, 2.0);
    let added: CollectionResponse = ok(send(
        &api,
        reqwest::Method::PUT,
        &format!("{path}/models"),
        Some(json!({"modelIds": [model.id]})),
    )
    .await)
    .await;
    assert_eq!(added.collection.model_count, 1.0);
    assert_eq!(added.collection.item_count, 3.0);

    let listed = api.list(&[("collectionId", &collection.id)]).await.assets;
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .all(|a| a.collection_ids.contains(&collection.id))
    );
    let in_collection: ModelListResponse = ok(send(
        &api,
        reqwest::Method::GET,
        &format!("/models?collectionId={}", collection.id),
        None,
    )
    .await)
    .await;
    assert_eq!(in_collection.models.len(), 1);

    let removed: CollectionResponse = ok(send(
        &api,
        reqwest::Method::DELETE,
        &format!("{path}/assets"),
        Some(json!({"assetIds": [seeded[0].id]})),
    )
    .await)
    .await;
    assert_eq!(removed.collection.asset_count, 1.0);
    let unknown = send(
        &api,
        reqwest::Method::PUT,
        &format!("{path}/models"),
        Some(json!({"modelIds": ["model_missing"]})),
    )
    .await;
    assert!(api_error(unknown, 404).await.contains("model_missing"));

    assert_eq!(
        send(&api, reqwest::Method::DELETE, &path, None)
            .await
            .status(),
        200
    );
    assert_eq!(
        api.list(&[("collectionId", &collection.id)])
            .await
            .assets
            .len(),
        0
    );
    assert!(self::model(&api, &model.id).await.collection_ids.is_empty());
    let gone = send(&api, reqwest::Method::GET, &path, None).await;
    api_error(gone, 404).await;
}

#[tokio::test]
async fn search_finds_an_asset_by_part_of_its_name_in_any_case_and_pages_by_offset() {
    let api = Api::with(quick().assets(30)).await;
    let seeded = assets(&api, 30).await;
    let target = &seeded[5];
    let renamed = send(
        &api,
        reqwest::Method::PUT,
        &format!("/assets/{}", target.id),
        Some(json!({"name": "Castle Gate North"})),
    )
    .await;
    assert_eq!(renamed.status(), 200);
    let part = "gate NORTH";
    let found: SearchAssetsResponse = ok(send(
        &api,
        reqwest::Method::POST,
        "/search/assets",
        Some(json!({"query": part})),
    )
    .await)
    .await;
    assert!(found.hits.iter().any(|hit| hit.id == target.id), "{part}");

    let everything: SearchAssetsResponse = ok(send(
        &api,
        reqwest::Method::POST,
        "/search/assets",
        Some(json!({"limit": 20.0, "offset": 20.0})),
    )
    .await)
    .await;
    assert_eq!(everything.estimated_total_hits, Some(30));
    assert_eq!(everything.offset, Some(20));
    assert_eq!(everything.hits.len(), 10);
    let bad = send(
        &api,
        reqwest::Method::POST,
        "/search/assets",
        Some(json!({"limit": 2.5})),
    )
    .await;
    api_error(bad, 400).await;
}

#[tokio::test]
async fn the_models_listing_pages_newest_first_and_tags_count_items() {
    // No seeded assets, so no seeded models: the listing holds these five.
    let api = Api::with(quick().assets(0)).await;
    let mut created = Vec::new();
    for n in 0..5 {
        created.push(create_model(&api, &format!("model {n}")).await.id);
    }
    let tags = format!("/models/{}/tags", created[0]);
    ok::<Value>(
        send(
            &api,
            reqwest::Method::PUT,
            &tags,
            Some(json!({"add": ["hero"]})),
        )
        .await,
    )
    .await;

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &token {
            Some(token) => format!("/models?pageSize=2&paginationToken={token}"),
            None => "/models?pageSize=2".to_owned(),
        };
        let page: ModelListResponse = ok(send(&api, reqwest::Method::GET, &path, None).await).await;
        pages += 1;
        assert!(page.models.len() <= 2);
        seen.extend(page.models.into_iter().map(|m| m.id));
        match page.next_pagination_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    created.reverse();
    assert_eq!(seen, created);

    let listed: TagListResponse = ok(send(&api, reqwest::Method::GET, "/tags", None).await).await;
    let hero = listed
        .tags
        .iter()
        .find(|t| t.tag_name == "hero")
        .expect("the tag");
    assert_eq!(hero.item_count, 1.0);
}

#[tokio::test]
async fn training_image_pairs_are_their_own_route_beside_one_training_image() {
    let api = Api::with(quick()).await;
    let created = create_model(&api, "pairs").await;
    let seeded = assets(&api, 2).await;
    let ids: Vec<&str> = seeded.iter().map(|a| a.id.as_str()).collect();
    ok::<ModelTrainingImageResponse>(add_images(&api, &created.id, &ids).await).await;

    let pairs: Value = ok(send(
        &api,
        reqwest::Method::PUT,
        &format!("/models/{}/training-images/pairs", created.id),
        Some(json!([{"sourceId": ids[0], "targetId": ids[1], "instruction": "at night"}])),
    )
    .await)
    .await;
    assert_eq!(pairs["count"], json!(1.0));
    let stranger = send(
        &api,
        reqwest::Method::PUT,
        &format!("/models/{}/training-images/pairs", created.id),
        Some(json!([{"sourceId": ids[0], "targetId": "asset_elsewhere"}])),
    )
    .await;
    assert!(api_error(stranger, 404).await.contains("asset_elsewhere"));
    assert_eq!(
        api.server
            .request_count(scenario_mock::OperationId::ReplaceModelTrainingImagePairs),
        2
    );
    assert_eq!(
        api.server
            .request_count(scenario_mock::OperationId::ReplaceModelTrainingImage),
        0
    );
    assert_eq!(model(&api, &created.id).await.training_image_pairs.len(), 1);
}

/// A transfer goes only to a project of the team: an unknown destination is a 404
/// and the model stays; a known one takes the model out of this project.
#[tokio::test]
async fn a_model_is_transferred_only_to_a_known_project() {
    let api = Api::with(quick()).await;
    let created = create_model(&api, "moving").await;
    let transfer = format!("/models/{}/transfer", created.id);
    let unknown = send(
        &api,
        reqwest::Method::POST,
        &transfer,
        Some(json!({"destinationProjectId": "proj_nowhere"})),
    )
    .await;
    let message = api_error(unknown, 404).await;
    assert!(message.contains("proj_nowhere"), "{message}");
    assert_eq!(model(&api, &created.id).await.id, created.id);

    let project: scenario_api::types::ProjectResponse = ok(send(
        &api,
        reqwest::Method::POST,
        "/projects",
        Some(json!({"name": "elsewhere"})),
    )
    .await)
    .await;
    let moved: ModelResponse = ok(send(
        &api,
        reqwest::Method::POST,
        &transfer,
        Some(json!({"destinationProjectId": project.project.id})),
    )
    .await)
    .await;
    assert_eq!(
        moved.model.owner_id.as_deref(),
        Some(project.project.id.as_str())
    );
    let gone = send(
        &api,
        reqwest::Method::GET,
        &format!("/models/{}", created.id),
        None,
    )
    .await;
    api_error(gone, 404).await;
}

/// The official type requires the jobId of a model download: a dry run answers
/// the id of the job it would start (HTTP 269), and starts none.
#[tokio::test]
async fn a_model_download_dry_run_answers_the_job_it_would_start() {
    let api = Api::with(quick()).await;
    let created = create_model(&api, "packed").await;
    let seeded = assets(&api, 2).await;
    let ids: Vec<&str> = seeded.iter().map(|a| a.id.as_str()).collect();
    ok::<ModelTrainingImageResponse>(add_images(&api, &created.id, &ids).await).await;
    ok::<ModelTrainResponse>(train(&api, &created.id).await).await;
    assert_eq!(
        trained(&api, &created.id).await.status,
        ModelStatus::Trained
    );
    let jobs_before: JobListResponse =
        ok(send(&api, reqwest::Method::GET, "/jobs", None).await).await;
    let response = send(
        &api,
        reqwest::Method::POST,
        &format!("/models/{}/download?dryRun=true", created.id),
        Some(json!({})),
    )
    .await;
    assert_eq!(response.status(), 269);
    let answer: ModelDownloadResponse = response.json().await.unwrap();
    let never = send(
        &api,
        reqwest::Method::GET,
        &format!("/jobs/{}", answer.job_id),
        None,
    )
    .await;
    api_error(never, 404).await;
    let jobs_after: JobListResponse =
        ok(send(&api, reqwest::Method::GET, "/jobs", None).await).await;
    assert_eq!(jobs_after.jobs.len(), jobs_before.jobs.len());
}
