//! Jobs, generations and the asset endpoints beyond the listing: life cycles and
//! the store they change.

mod common;

use std::time::Duration;

use common::{Api, api_error, quick};
use scenario_api::types::{
    Asset, AssetCreateResponse, AssetListBulkResponse, AssetLockResponse, AssetResponse,
    AssetRestoreResponse, AssetSnapshotListResponse, AssetUpdateTagsResponse,
    AssetsDownloadResponse, AssetsDownloadStatusResponse, GenerateAssetResponse,
    GenerateCaptionResponse, Job, JobListResponse, JobResponse, JobStatus, RunModelResponse,
};
use serde_json::{Value, json};

async fn post_json<T: serde::de::DeserializeOwned>(api: &Api, path: &str, body: Value) -> T {
    let response = api.post(path).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

async fn put_json(api: &Api, path: &str, body: Value) -> reqwest::Response {
    api.http
        .put(api.url(path))
        .basic_auth(api.server.api_key(), Some(api.server.api_secret()))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn job(api: &Api, id: &str) -> Job {
    let response: JobResponse = api
        .get(&format!("/jobs/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response.job
}

async fn finished(api: &Api, id: &str) -> Job {
    for _ in 0..200 {
        let job = job(api, id).await;
        if matches!(
            job.status,
            JobStatus::Success | JobStatus::Failure | JobStatus::Canceled
        ) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("job {id} did not finish");
}

async fn first_asset(api: &Api) -> Asset {
    api.list(&[("pageSize", "1")]).await.assets.remove(0)
}

#[tokio::test]
async fn a_model_run_goes_queued_then_in_progress_then_success_with_its_assets() {
    let api = Api::with(quick().validation_delay(Duration::from_millis(400))).await;
    let started: RunModelResponse = post_json(
        &api,
        "/generate/custom/model_1",
        json!({"prompt": "a castle", "numOutputs": 2}),
    )
    .await;
    let created = started.job;
    assert_eq!(created.status, JobStatus::Queued);
    assert_eq!(created.progress, 0.0);

    tokio::time::sleep(Duration::from_millis(250)).await;
    let running = job(&api, &created.job_id).await;
    assert_eq!(running.status, JobStatus::InProgress);
    assert!(
        running.progress > 0.0 && running.progress < 1.0,
        "{}",
        running.progress
    );

    let done = finished(&api, &created.job_id).await;
    assert_eq!(done.status, JobStatus::Success);
    assert_eq!(done.progress, 1.0);
    let statuses: Vec<&str> = done
        .status_history
        .iter()
        .map(|h| h.status.as_str())
        .collect();
    assert_eq!(statuses, ["queued", "in-progress", "success"]);
    assert_eq!(done.metadata.asset_ids.len(), 2);
    for id in &done.metadata.asset_ids {
        let asset = api.server.asset(id).expect("the job's asset is stored");
        assert_eq!(asset.metadata.model_id.as_deref(), Some("model_1"));
        assert_eq!(asset.metadata.prompt.as_deref(), Some("a castle"));
    }
    let listed: JobListResponse = api
        .get("/jobs?status=success")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.jobs[0].job_id, created.job_id);
}

#[tokio::test]
async fn a_dry_run_answers_269_with_its_cost_and_starts_nothing() {
    let api = Api::with(quick()).await;
    let response = api
        .post("/generate/caption?dryRun=true")
        .json(&json!({"images": ["asset_x", "asset_y"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 269);
    let estimate: GenerateCaptionResponse = response.json().await.unwrap();
    assert_eq!(estimate.captions.len(), 2);
    assert_eq!(estimate.creative_units_cost, Some(2.0));
    assert_eq!(estimate.cost_details.unwrap().caption, Some(2.0));
    // The job it would start is never stored.
    let missing = api
        .get(&format!("/jobs/{}", estimate.job.job_id))
        .send()
        .await
        .unwrap();
    api_error(missing, 404).await;
    let listed: JobListResponse = api.get("/jobs").send().await.unwrap().json().await.unwrap();
    assert!(listed.jobs.is_empty());
}

/// Every dry run answers what its official response type requires (the result
/// fields and the job it would start, or the archive job's id), with HTTP 269
/// and its cost, and starts nothing: no job is listed and the scored asset keeps
/// no score.
#[tokio::test]
async fn every_dry_run_answers_the_fields_its_response_requires() {
    let api = Api::with(quick()).await;
    let asset = first_asset(&api).await;
    let cases: Vec<(&str, Value, &[&str])> = vec![
        (
            "/generate/caption",
            json!({"images": [asset.id]}),
            &["captions", "job"],
        ),
        (
            "/generate/describe-style",
            json!({"assetIds": [asset.id]}),
            &["description", "job", "synthesis"],
        ),
        (
            "/generate/detect",
            json!({"image": asset.id, "modality": "canny"}),
            &["job"],
        ),
        (
            "/generate/embed",
            json!({"text": "a castle"}),
            &["embedding", "job"],
        ),
        (
            "/generate/prompt",
            json!({"prompt": "a castle", "mode": "completion"}),
            &["job", "prompts"],
        ),
        (
            "/generate/quality-gate",
            json!({"image": asset.id}),
            &[
                "aiQuality",
                "appliedBriefs",
                "asset",
                "overallScore",
                "verdict",
            ],
        ),
        (
            "/generate/translate",
            json!({"prompt": "un château"}),
            &["detectedLanguage", "job", "translation"],
        ),
        (
            "/generate/custom/model_x",
            json!({"prompt": "a castle"}),
            &["job"],
        ),
    ];
    for (path, body, required) in cases {
        let response = api
            .post(&format!("{path}?dryRun=true"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 269, "{path}");
        let answer: Value = response.json().await.unwrap();
        for field in required {
            assert!(
                answer.get(*field).is_some(),
                "{path}: no {field} in {answer}"
            );
        }
        assert!(
            answer["creativeUnitsCost"].as_f64().is_some(),
            "{path}: {answer}"
        );
        assert!(answer["costDetails"].is_object(), "{path}: {answer}");
    }
    let ip = api
        .post("/generate/ip-detection?dryRun=true")
        .json(&json!({"assetIds": [asset.id, "asset_missing"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(ip.status(), 269);
    let ip: Value = ip.json().await.unwrap();
    assert_eq!(ip["skippedAssetIds"], json!(["asset_missing"]));
    assert!(ip["ipDetection"].is_object(), "{ip}");
    let archive = api
        .post("/assets/download?dryRun=true")
        .json(&json!({
            "options": {"fileNameTemplate": "<id>"},
            "query": {"assetIds": [asset.id], "inferenceIds": [], "modelIds": []},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(archive.status(), 269);
    let archive: AssetsDownloadResponse = archive.json().await.unwrap();
    assert!(archive.job_id.starts_with("job_"), "{}", archive.job_id);

    let listed: JobListResponse = api.get("/jobs").send().await.unwrap().json().await.unwrap();
    assert!(listed.jobs.is_empty(), "{:?}", listed.jobs);
    let kept: AssetResponse = api
        .get(&format!("/assets/{}", asset.id))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(kept.asset.quality_gate.is_none());
}

/// The answer of an ip-detection names the skipped ids, none as an empty list.
#[tokio::test]
async fn an_ip_detection_always_answers_skipped_asset_ids() {
    let api = Api::with(quick()).await;
    let asset = first_asset(&api).await;
    let answer: Value = post_json(
        &api,
        "/generate/ip-detection",
        json!({"assetIds": [asset.id]}),
    )
    .await;
    assert_eq!(answer["skippedAssetIds"], json!([]), "{answer}");
}

#[tokio::test]
async fn a_job_on_a_missing_asset_fails_and_only_model_runs_can_be_canceled() {
    let api = Api::with(quick().validation_delay(Duration::from_secs(30))).await;
    let detect: GenerateAssetResponse = post_json(
        &api,
        "/generate/detect",
        json!({"image": "asset_missing", "modality": "canny"}),
    )
    .await;
    let detect = detect.job;
    let refused = api
        .post(&format!("/jobs/{}/action", detect.job_id))
        .json(&json!({"action": "cancel"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        api_error(refused, 400).await,
        "Cannot cancel this type of job"
    );

    let run: RunModelResponse = post_json(&api, "/generate/custom/model_1", json!({})).await;
    let run = run.job;
    let canceled: JobResponse = post_json(
        &api,
        &format!("/jobs/{}/action", run.job_id),
        json!({"action": "cancel"}),
    )
    .await;
    assert_eq!(canceled.job.status, JobStatus::Canceled);

    let api = Api::with(quick()).await;
    let failing: GenerateAssetResponse = post_json(
        &api,
        "/generate/detect",
        json!({"image": "asset_missing", "modality": "canny"}),
    )
    .await;
    let failed = finished(&api, &failing.job.job_id).await;
    assert_eq!(failed.status, JobStatus::Failure);
    assert_eq!(
        failed.metadata.error.as_deref(),
        Some("Asset asset_missing not found")
    );
}

#[tokio::test]
async fn deleted_assets_leave_the_listing_and_come_back_when_restored() {
    let api = Api::with(quick()).await;
    let asset = first_asset(&api).await;
    let response = api
        .http
        .delete(api.url("/assets"))
        .basic_auth(api.server.api_key(), Some(api.server.api_secret()))
        .json(&json!({"assetIds": [asset.id]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        api.get(&format!("/assets/{}", asset.id))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let deleted = api.list(&[("deleted", "true")]).await.assets;
    assert_eq!(deleted.len(), 1);
    assert!(deleted[0].deleted_at.is_some());

    let restored: AssetRestoreResponse = post_json(
        &api,
        "/assets/restore",
        json!({"assetIds": [asset.id, "asset_nope"]}),
    )
    .await;
    assert_eq!(restored.restored_asset_ids, std::slice::from_ref(&asset.id));
    assert_eq!(restored.skipped_assets[0].reason.as_str(), "not-found");
    let bulk: AssetListBulkResponse =
        post_json(&api, "/assets/get-bulk", json!({"assetIds": [asset.id]})).await;
    assert_eq!(bulk.assets[0].id, asset.id);
}

#[tokio::test]
async fn a_locked_asset_needs_its_lock_id_and_canvas_changes_become_snapshots() {
    let api = Api::with(quick()).await;
    let asset = first_asset(&api).await;
    let locked: AssetLockResponse = put_json(
        &api,
        &format!("/assets/{}/lock", asset.id),
        json!({"lockExpiresAt": "2030-01-01T00:00:00.000Z"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let lock_id = locked.lock_id.expect("a lock id");
    let refused = put_json(&api, &format!("/assets/{}", asset.id), json!({"name": "x"})).await;
    api_error(refused, 409).await;
    for canvas in ["{\"v\":1}", "{\"v\":2}"] {
        let updated = put_json(
            &api,
            &format!("/assets/{}", asset.id),
            json!({"canvas": canvas, "lockId": lock_id}),
        )
        .await;
        assert_eq!(updated.status(), 200);
    }
    let snapshots: AssetSnapshotListResponse = api
        .get(&format!("/assets/{}/snapshots?pageSize=1", asset.id))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(snapshots.snapshots[0].raw_data, "{\"v\":2}");
    assert!(snapshots.next_pagination_token.is_some());
    let unlocked: AssetResponse = put_json(
        &api,
        &format!("/assets/{}/unlock", asset.id),
        json!({"lockId": lock_id}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(unlocked.asset.metadata.lock_expires_at.is_none());
}

#[tokio::test]
async fn tags_copies_inline_images_and_downloads() {
    let api = Api::with(quick()).await;
    let asset = first_asset(&api).await;
    let path = format!("/assets/{}/tags", asset.id);
    let changed: AssetUpdateTagsResponse = put_json(&api, &path, json!({"add": ["hero", "hero"]}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(changed.added, ["hero"]);
    let strict = put_json(&api, &path, json!({"add": ["hero"], "strict": true})).await;
    assert!(api_error(strict, 400).await.contains("hero"));

    let copy: AssetResponse =
        post_json(&api, &format!("/assets/{}/copy", asset.id), json!({})).await;
    assert_ne!(copy.asset.id, asset.id);
    assert_eq!(
        copy.asset.metadata.original_asset_id.as_deref(),
        Some(asset.id.as_str())
    );

    let created: AssetCreateResponse = post_json(
        &api,
        "/assets",
        json!({"name": "dot", "image": "data:image/png;base64,iVBORw0KGgo="}),
    )
    .await;
    assert_eq!(created.asset.properties.size, 8);
    assert_eq!(created.asset.mime_type, "image/png");

    let archive: AssetsDownloadResponse = post_json(
        &api,
        "/assets/download",
        json!({"options": {"fileNameTemplate": "<id>"}, "query": {"assetIds": [asset.id], "inferenceIds": [], "modelIds": []}}),
    )
    .await;
    let job_id = archive.job_id;
    finished(&api, &job_id).await;
    let status: AssetsDownloadStatusResponse = api
        .get(&format!("/assets/download/{job_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status.job_status, "success");
    assert!(status.download_url.unwrap().ends_with(".zip"));
}
