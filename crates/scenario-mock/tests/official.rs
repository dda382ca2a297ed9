//! Requests as the official Python SDK's own suite (`.ci/official-suite`) sends
//! them: placeholder strings where the document declares no format, optional
//! fields left out, every optional field at once. The fake refuses only what the
//! document states (required, enum, bounds, declared formats).

mod common;

use common::{Api, api_error, quick};
use reqwest::Method;
use scenario_api::types::{
    AssetCreateResponse, JobListResponse, JobResponse, JobStatus, ModelListResponse, ModelResponse,
    ModelTrainingImageResponse, RunModelResponse, SearchAssetsResponse, TeamListResponse,
    TeamResponse, UsageGranularity, UsageListResponse, UsageName,
};
use serde_json::{Value, json};

async fn send(api: &Api, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
    let request = api
        .http
        .request(method, api.url(path))
        .basic_auth(api.server.api_key(), Some(api.server.api_secret()));
    match body {
        Some(body) => request.json(&body),
        None => request,
    }
    .send()
    .await
    .unwrap()
}

async fn ok<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> T {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn run_model(api: &Api) -> String {
    let run: RunModelResponse = ok(send(
        api,
        Method::POST,
        "/generate/custom/model_x",
        Some(json!({"prompt": "a castle"})),
    )
    .await)
    .await;
    run.job.job_id
}

/// `action` is optional in the document: without it nothing is done and the
/// answer is the job as it is (an unknown job is still a 404).
#[tokio::test]
async fn a_job_action_without_action_answers_the_job_unchanged() {
    let api = Api::with(quick()).await;
    let id = run_model(&api).await;
    let path = format!("/jobs/{id}/action");
    let answer: JobResponse = ok(send(&api, Method::POST, &path, Some(json!({}))).await).await;
    assert_eq!(answer.job.job_id, id);
    assert_ne!(answer.job.status, JobStatus::Canceled);
    let missing = send(&api, Method::POST, "/jobs/jobId/action", Some(json!({}))).await;
    api_error(missing, 404).await;
}

/// Listing tokens and dates are plain strings in the document: a token the fake
/// did not issue ends the listing, a date it cannot read matches nothing.
#[tokio::test]
async fn unreadable_tokens_and_dates_are_answered_not_refused() {
    let api = Api::with(quick()).await;
    run_model(&api).await;
    let jobs: JobListResponse = ok(send(&api, Method::GET, "/jobs", None).await).await;
    assert_eq!(jobs.jobs.len(), 1);
    for query in [
        "paginationToken=paginationToken",
        "createdAfter=createdAfter",
    ] {
        let page: JobListResponse =
            ok(send(&api, Method::GET, &format!("/jobs?{query}"), None).await).await;
        assert!(page.jobs.is_empty(), "{query}");
        assert!(page.next_pagination_token.is_none(), "{query}");
    }
    let created: ModelResponse = ok(send(
        &api,
        Method::POST,
        "/models",
        Some(json!({"name": "m", "type": "flux.1-lora"})),
    )
    .await)
    .await;
    let models: ModelListResponse = ok(send(&api, Method::GET, "/models", None).await).await;
    assert!(models.models.iter().any(|m| m.id == created.model.id));
    for query in [
        "paginationToken=paginationToken",
        "createdAfter=createdAfter",
        "updatedBefore=updatedBefore",
    ] {
        let page: ModelListResponse =
            ok(send(&api, Method::GET, &format!("/models?{query}"), None).await).await;
        assert!(page.models.is_empty(), "{query}");
    }
    for path in [
        "/collections?paginationToken=paginationToken",
        "/projects?paginationToken=paginationToken",
        "/workflows?paginationToken=paginationToken",
        "/tags?paginationToken=paginationToken",
        "/usages?startDate=startDate&endDate=endDate",
    ] {
        let response = send(&api, Method::GET, path, None).await;
        assert_eq!(response.status(), 200, "{path}");
    }
}

/// Search takes offset and limit, or page and hitsPerPage; with all four, as in
/// Meilisearch, page and hitsPerPage win.
#[tokio::test]
async fn a_search_with_page_and_offset_pages_by_page() {
    let api = Api::with(quick()).await;
    let body = json!({"query": "", "page": 2, "hitsPerPage": 3, "offset": 0, "limit": 1});
    let found: SearchAssetsResponse =
        ok(send(&api, Method::POST, "/search/assets", Some(body)).await).await;
    let by_page: SearchAssetsResponse = ok(send(
        &api,
        Method::POST,
        "/search/assets",
        Some(json!({"query": "", "offset": 3, "limit": 3})),
    )
    .await)
    .await;
    assert_eq!(found.hits.len(), 3);
    let ids = |r: &SearchAssetsResponse| r.hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&found), ids(&by_page));
}

/// An invitation's email is a plain string in the document.
#[tokio::test]
async fn an_invitation_takes_any_email_string() {
    let api = Api::with(quick()).await;
    let teams: TeamListResponse = ok(send(&api, Method::GET, "/teams", None).await).await;
    let team = teams.teams[0].id.clone();
    let invited = send(
        &api,
        Method::POST,
        &format!("/teams/{team}/members"),
        Some(json!({"email": "email", "role": "member"})),
    )
    .await;
    assert_eq!(invited.status(), 200);
    let full: TeamResponse =
        ok(send(&api, Method::GET, &format!("/teams/{team}"), None).await).await;
    assert!(full.team.invitations.iter().any(|i| i.email == "email"));
}

/// `assetId` wins over `assetIds` and `data` (as the document says), then
/// `assetIds`, then `data`; none of them is refused once the model is found.
#[tokio::test]
async fn training_images_take_asset_id_then_asset_ids_then_data() {
    let api = Api::with(quick()).await;
    let assets = api.list(&[]).await.assets;
    let created: ModelResponse = ok(send(
        &api,
        Method::POST,
        "/models",
        Some(json!({"name": "m", "type": "flux.1-lora"})),
    )
    .await)
    .await;
    let path = format!("/models/{}/training-images", created.model.id);
    let all = json!({
        "assetId": assets[0].id,
        "assetIds": [assets[1].id, assets[2].id],
        "data": "data:image/png;base64,iVBORw0KGgo=",
        "name": "name",
    });
    let added: ModelTrainingImageResponse =
        ok(send(&api, Method::POST, &path, Some(all)).await).await;
    assert_eq!(added.training_image.id, assets[0].id);
    let ids = json!({"assetIds": [assets[1].id], "data": "data:image/png;base64,iVBORw0KGgo="});
    let added: ModelTrainingImageResponse =
        ok(send(&api, Method::POST, &path, Some(ids)).await).await;
    assert_eq!(added.training_image.id, assets[1].id);
    let model: ModelResponse = ok(send(
        &api,
        Method::GET,
        &format!("/models/{}", created.model.id),
        None,
    )
    .await)
    .await;
    assert_eq!(model.model.training_images.len(), 2);
    // An unknown model is a 404 whatever the body; an empty body adds nothing.
    let unknown = send(
        &api,
        Method::POST,
        "/models/modelId/training-images",
        Some(json!({})),
    )
    .await;
    api_error(unknown, 404).await;
    let empty = send(&api, Method::POST, &path, Some(json!({}))).await;
    api_error(empty, 400).await;
}

/// POST /assets requires only `name`; `image` has no declared format.
#[tokio::test]
async fn an_asset_needs_only_a_name() {
    let api = Api::with(quick()).await;
    let named: AssetCreateResponse =
        ok(send(&api, Method::POST, "/assets", Some(json!({"name": "name"}))).await).await;
    assert_eq!(named.asset.mime_type, "image/png");
    assert_eq!(named.asset.properties.size, 0);
    let text: AssetCreateResponse = ok(send(
        &api,
        Method::POST,
        "/assets",
        Some(json!({"name": "name", "image": "image"})),
    )
    .await)
    .await;
    assert_eq!(text.asset.properties.size, 5);
}

/// GET /usages answers what the fake holds (it answered `{}`): the jobs by usage
/// name and day, the live assets by kind and day, the author's consumption;
/// `type` picks the series.
#[tokio::test]
async fn usages_count_what_the_fake_holds() {
    let api = Api::with(quick()).await;
    run_model(&api).await;
    run_model(&api).await;
    let all: UsageListResponse = ok(send(&api, Method::GET, "/usages", None).await).await;
    let custom = all
        .usages
        .iter()
        .find(|u| u.usage_name == UsageName::Custom)
        .expect("a series of custom runs");
    assert_eq!(custom.granularity, UsageGranularity::X1d);
    let total: u32 = custom
        .points
        .iter()
        .map(|p| p.value.parse::<u32>().unwrap())
        .sum();
    assert_eq!(total, 2);
    assert!(
        custom
            .points
            .iter()
            .all(|p| p.time.ends_with("T00:00:00.000Z"))
    );
    let assets: f64 = all
        .asset_usages
        .iter()
        .flat_map(|u| &u.points)
        .map(|p| p.count)
        .sum();
    assert_eq!(assets, 10.0, "the ten seeded assets");
    assert_eq!(all.consumption.len(), 1);

    let only: UsageListResponse =
        ok(send(&api, Method::GET, "/usages?type=asset-usages", None).await).await;
    assert!(only.usages.is_empty() && only.consumption.is_empty());
    assert!(!only.asset_usages.is_empty());
    let none: UsageListResponse =
        ok(send(&api, Method::GET, "/usages?startDate=2999-01-01", None).await).await;
    assert!(none.usages.is_empty() && none.asset_usages.is_empty());
}
