//! Finding things: `POST /v1/search/{assets,models,workflows}` (a case-insensitive
//! substring match, paged by offset and limit or page and hitsPerPage),
//! `GET /v1/recommendations/models`, `GET /v1/tags`, and the account's
//! `GET /v1/usages` and `GET /v1/oscu/prices`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use scenario_api::ops;
use scenario_api::ops::OperationId;
use scenario_api::types::{
    Asset, AssetKind, Job, Model, ModelPrivacy, OscuPrice, OscuPricesResponse,
    RecommendedModelListResponse, SearchAssetHit, SearchAssetHitMetadata, SearchAssetsRequest,
    SearchAssetsResponse, SearchModelHit, SearchModelHitConcept, SearchModelsResponse,
    SearchWorkflowHit, SearchWorkflowsRequest, SearchWorkflowsResponse, Tag, TagListResponse,
    Usage, UsageAsset, UsageAssetPoint, UsageConsumption, UsageGranularity, UsageListResponse,
    UsageName, UsagePoint, UsageType, Workflow,
};

use crate::builders::built;
use crate::clock::parse_iso;
use crate::http::app::App;
use crate::http::extract::{body_of, query_of};
use crate::http::models::{offset_token, page_of};
use crate::http::responses::{Rejection, api_error};
use crate::http::routes::Handlers;

type Body = Result<Bytes, BytesRejection>;

/// Hits per search page when the request names no limit.
const SEARCH_LIMIT: usize = 20;
/// The most hits one search page holds.
const MAX_SEARCH_LIMIT: usize = 1000;
/// Recommended models per page when the request names no limit.
const RECOMMENDATIONS: usize = 20;
/// Tags per page when the request names no size.
const TAG_PAGE: usize = 100;
/// The creative-unit packs the fake sells: (units, price in cents).
const PACKS: [(f64, f64); 3] = [(1_000.0, 1_000.0), (5_000.0, 4_500.0), (20_000.0, 16_000.0)];

/// A whole, non-negative number of the body, or the 400 the service answers.
fn count(name: &str, value: Option<f64>) -> Result<Option<usize>, Rejection> {
    match value {
        None => Ok(None),
        Some(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= 1e9 => {
            // Checked above: a whole number within usize.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let n = v as usize;
            Ok(Some(n))
        }
        Some(_) => Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            format!("{name} must be a whole number, at least 0"),
        )),
    }
}

/// Where a search page starts and how many hits it holds: `offset`/`limit`, or
/// `page` (from 1) and `hitsPerPage` when either of those is given.
fn window(
    offset: Option<f64>,
    limit: Option<f64>,
    page: Option<f64>,
    hits_per_page: Option<f64>,
) -> Result<(usize, usize), Rejection> {
    let bad = |message: &str| Rejection::new(StatusCode::BAD_REQUEST, message.to_owned());
    let (offset, limit) = (count("offset", offset)?, count("limit", limit)?);
    let (page, per_page) = (count("page", page)?, count("hitsPerPage", hits_per_page)?);
    let (start, size) = match (page, per_page) {
        (None, None) => (offset.unwrap_or(0), limit.unwrap_or(SEARCH_LIMIT)),
        // As in Meilisearch, which the search runs on, page and hitsPerPage take
        // over: offset and limit are then ignored.
        (page, per_page) => {
            let page = page.unwrap_or(1);
            if page == 0 {
                return Err(bad("page starts at 1"));
            }
            let per_page = per_page.unwrap_or(SEARCH_LIMIT);
            ((page - 1).saturating_mul(per_page), per_page)
        }
    };
    if size > MAX_SEARCH_LIMIT {
        return Err(bad("limit (or hitsPerPage) is at most 1000"));
    }
    Ok((start, size))
}

fn u64_of(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn asset_hit(asset: Asset) -> SearchAssetHit {
    let meta = &asset.metadata;
    let metadata: SearchAssetHitMetadata = built(
        SearchAssetHitMetadata::builder()
            .name(meta.name.clone())
            .prompt(meta.prompt.clone())
            .model_id(meta.model_id.clone())
            .parent_job_id(meta.parent_job_id.clone())
            .kind(meta.kind.as_str().to_owned())
            .type_(meta.type_.as_str().to_owned()),
    );
    built(
        SearchAssetHit::builder()
            .id(asset.id)
            .author_id(asset.author_id)
            .collection_ids(asset.collection_ids)
            .created_at(asset.created_at)
            .updated_at(asset.updated_at)
            .metadata(metadata)
            .mime_type(asset.mime_type)
            .nsfw(asset.nsfw)
            .team_id(asset.owner_id.clone())
            .owner_id(asset.owner_id)
            .privacy(asset.privacy.as_str().to_owned())
            .tags(asset.tags)
            .description(asset.description)
            .thumbnail(asset.thumbnail)
            .url(asset.url),
    )
}

fn model_hit(model: Model) -> SearchModelHit {
    let owner = model.owner_id.clone().unwrap_or_default();
    let concepts: Vec<SearchModelHitConcept> = model
        .concepts
        .iter()
        .map(|c| built(SearchModelHitConcept::builder().model_id(c.model_id.clone())))
        .collect();
    built(
        SearchModelHit::builder()
            .id(model.id)
            .author_id(model.author_id.unwrap_or_default())
            .capabilities(
                model
                    .capabilities
                    .iter()
                    .map(|c| c.as_str().to_owned())
                    .collect::<Vec<_>>(),
            )
            .collection_ids(model.collection_ids)
            .concepts(concepts)
            .created_at(model.created_at)
            .updated_at(model.updated_at)
            .example_asset_ids(model.example_asset_ids)
            .name(model.name.unwrap_or_default())
            .team_id(owner.clone())
            .owner_id(owner)
            .privacy(model.privacy.as_str().to_owned())
            .short_description(model.short_description.unwrap_or_default())
            .source(model.source.as_str().to_owned())
            .tags(model.tags)
            .training_images_number(model.training_images_number)
            .type_(model.type_.as_str().to_owned())
            .parent_model_id(model.parent_model_id)
            .thumbnail(model.thumbnail),
    )
}

/// `POST /v1/search/assets`.
pub(crate) async fn assets(State(app): State<Arc<App>>, uri: Uri, body: Body) -> Response {
    let _: ops::SearchAssetsQuery = query_of!(ops::SearchAssets, uri);
    let request: SearchAssetsRequest = body_of!(body);
    let (offset, limit) = match window(
        request.offset,
        request.limit,
        request.page,
        request.hits_per_page,
    ) {
        Ok(window) => window,
        Err(rejection) => return rejection.into_response(),
    };
    let found = app.state.search_assets(
        request.query.as_deref().unwrap_or_default(),
        request.public.unwrap_or(false),
    );
    let total = found.len();
    let hits: Vec<SearchAssetHit> = found
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(asset_hit)
        .collect();
    Json(built::<SearchAssetsResponse, _>(
        SearchAssetsResponse::builder()
            .hits(hits)
            .estimated_total_hits(u64_of(total))
            .offset(u64_of(offset)),
    ))
    .into_response()
}

/// `POST /v1/search/models`.
pub(crate) async fn models(State(app): State<Arc<App>>, uri: Uri, body: Body) -> Response {
    let _: ops::SearchModelsQuery = query_of!(ops::SearchModels, uri);
    let request: SearchAssetsRequest = body_of!(body);
    let (offset, limit) = match window(
        request.offset,
        request.limit,
        request.page,
        request.hits_per_page,
    ) {
        Ok(window) => window,
        Err(rejection) => return rejection.into_response(),
    };
    let found = app.state.search_models(
        request.query.as_deref().unwrap_or_default(),
        request.public.unwrap_or(false),
    );
    let total = found.len();
    let hits: Vec<SearchModelHit> = found
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(model_hit)
        .collect();
    Json(built::<SearchModelsResponse, _>(
        SearchModelsResponse::builder()
            .hits(hits)
            .estimated_total_hits(u64_of(total))
            .offset(u64_of(offset)),
    ))
    .into_response()
}

fn workflow_hit(workflow: Workflow) -> SearchWorkflowHit {
    built(
        SearchWorkflowHit::builder()
            .id(workflow.id)
            .author_id(workflow.author_id)
            .collection_ids(Vec::<String>::new())
            .created_at(workflow.created_at)
            .updated_at(workflow.updated_at)
            .description(workflow.description)
            .name(workflow.name)
            .team_id(workflow.owner_id.clone())
            .owner_id(workflow.owner_id)
            .privacy(workflow.privacy.as_str().to_owned())
            .status(workflow.status.as_str().to_owned())
            .tags(workflow.tag_set)
            .short_description(Some(workflow.short_description))
            .after(workflow.after)
            .before(workflow.before)
            .thumbnail(workflow.thumbnail),
    )
}

/// `POST /v1/search/workflows`: the live workflows.
pub(crate) async fn workflows(State(app): State<Arc<App>>, uri: Uri, body: Body) -> Response {
    let _: ops::SearchWorkflowsQuery = query_of!(ops::SearchWorkflows, uri);
    let request: SearchWorkflowsRequest = body_of!(body);
    let (offset, limit) = match window(
        request.offset,
        request.limit,
        request.page,
        request.hits_per_page,
    ) {
        Ok(window) => window,
        Err(rejection) => return rejection.into_response(),
    };
    let found = app.state.search_workflows(
        request.query.as_deref().unwrap_or_default(),
        request.public.unwrap_or(false),
    );
    let total = found.len();
    let hits: Vec<SearchWorkflowHit> = found
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(workflow_hit)
        .collect();
    Json(built::<SearchWorkflowsResponse, _>(
        SearchWorkflowsResponse::builder()
            .hits(hits)
            .estimated_total_hits(u64_of(total))
            .offset(u64_of(offset)),
    ))
    .into_response()
}

/// `GET /v1/recommendations/models`: the project's trained models (newest first),
/// paged by `nextToken`.
pub(crate) async fn recommendations(State(app): State<Arc<App>>, uri: Uri) -> Response {
    let query: ops::ListRecommendedModelsQuery = query_of!(ops::ListRecommendedModels, uri);
    let limit = match count("limit", query.limit) {
        Ok(limit) => limit.unwrap_or(RECOMMENDATIONS).clamp(1, MAX_SEARCH_LIMIT),
        Err(rejection) => return rejection.into_response(),
    };
    let offset = offset_token("recommendations", query.next_token.as_deref());
    let excluded: Vec<&str> = query
        .exclude_model_ids
        .as_deref()
        .map(|ids| ids.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let mut models: Vec<Model> = if query.privacy == Some(ModelPrivacy::Public) {
        Vec::new()
    } else {
        app.state.model_list()
    };
    models.retain(|model| {
        model.status == scenario_api::types::ModelStatus::Trained
            && !excluded.contains(&model.id.as_str())
            && query.type_.as_ref().is_none_or(|t| &model.type_ == t)
    });
    models.reverse();
    let (page, next) = page_of(&models, "recommendations", offset, limit);
    Json(built::<RecommendedModelListResponse, _>(
        RecommendedModelListResponse::builder()
            .models(page)
            .next_token(next),
    ))
    .into_response()
}

/// `GET /v1/tags`: the tags of the project's assets and models, by name.
pub(crate) async fn tags(State(app): State<Arc<App>>, uri: Uri) -> Response {
    let query: ops::ListTagsQuery = query_of!(ops::ListTags, uri);
    if let Err(error) = query.validate() {
        return api_error(StatusCode::BAD_REQUEST, error.to_string());
    }
    let offset = offset_token("tags", query.pagination_token.as_deref());
    let owner = app.state.owner_id();
    let tags: Vec<Tag> = app
        .state
        .tag_counts()
        .into_iter()
        .map(|tag| {
            // Counts stay far below 2^53: the conversion is exact.
            #[allow(clippy::cast_precision_loss)]
            let count = tag.count as f64;
            built(
                Tag::builder()
                    .tag_name(tag.name)
                    .item_count(count)
                    .created_at(tag.first)
                    .updated_at(tag.last)
                    .owner_id(owner.clone()),
            )
        })
        .collect();
    let size = query.page_size.map_or(TAG_PAGE, |n| n as usize);
    let (page, next) = page_of(&tags, "tags", offset, size);
    Json(built::<TagListResponse, _>(
        TagListResponse::builder()
            .tags(page)
            .next_pagination_token(next),
    ))
    .into_response()
}

/// The UTC day of an ISO date, as the ISO date of its midnight.
fn day_of(date: &str) -> String {
    format!("{}T00:00:00.000Z", date.get(..10).unwrap_or(date))
}

/// `(day, count)` of `dates`, by day, oldest first.
fn per_day<'a>(dates: impl Iterator<Item = &'a str>) -> Vec<(String, usize)> {
    let mut days: BTreeMap<String, usize> = BTreeMap::new();
    for date in dates {
        *days.entry(day_of(date)).or_default() += 1;
    }
    days.into_iter().collect()
}

/// `GET /v1/usages`: what the fake holds, counted by day: the jobs of each kind
/// that has a usage name (`usages`), the live assets of each kind
/// (`assetUsages`), and the author's consumption (0: the fake charges nothing).
/// Everything is counted as made with an API key. `type` picks the series (all
/// when absent); `startDate`/`endDate` bound the dates (a date the fake cannot
/// read matches nothing).
pub(crate) async fn usages(State(app): State<Arc<App>>, uri: Uri) -> Response {
    let query: ops::ListUsagesQuery = query_of!(ops::ListUsages, uri);
    let wanted = |kind: UsageType| {
        query
            .type_
            .as_ref()
            .is_none_or(|types| types.contains(&kind))
    };
    let start = query
        .start_date
        .as_deref()
        .map(|d| parse_iso(d).unwrap_or(u64::MAX));
    let end = query.end_date.as_deref().map(|d| parse_iso(d).unwrap_or(0));
    let within = |date: &str| {
        parse_iso(date).is_some_and(|ms| {
            start.is_none_or(|start| ms >= start) && end.is_none_or(|end| ms <= end)
        })
    };
    let jobs: Vec<Job> = app.state.jobs(|job| within(&job.created_at));
    let mut answer = UsageListResponse::default();
    if wanted(UsageType::Usages) {
        let mut names: Vec<UsageName> = jobs
            .iter()
            .map(|job| UsageName::from(job.job_type.as_str()))
            .filter(|name| !name.is_unrecognized())
            .collect();
        names.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        names.dedup();
        answer.usages = names
            .into_iter()
            .map(|name| {
                let dates = jobs
                    .iter()
                    .filter(|job| job.job_type.as_str() == name.as_str())
                    .map(|job| job.created_at.as_str());
                let points: Vec<UsagePoint> = per_day(dates)
                    .into_iter()
                    .map(|(time, count)| {
                        UsagePoint::new(count.to_string(), time, count.to_string())
                    })
                    .collect();
                Usage::new(UsageGranularity::X1d, points, name)
            })
            .collect();
    }
    if wanted(UsageType::AssetUsages) {
        let assets: Vec<Asset> = app
            .state
            .live_assets()
            .into_iter()
            .filter(|asset| within(&asset.created_at))
            .collect();
        let mut kinds: Vec<AssetKind> = assets.iter().map(|a| a.kind.clone()).collect();
        kinds.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        kinds.dedup();
        answer.asset_usages = kinds
            .into_iter()
            .map(|kind| {
                let dates = assets
                    .iter()
                    .filter(|asset| asset.kind == kind)
                    .map(|asset| asset.created_at.as_str());
                let points: Vec<UsageAssetPoint> = per_day(dates)
                    .into_iter()
                    .map(|(time, count)| {
                        #[allow(clippy::cast_precision_loss, reason = "counts stay far below 2^53")]
                        let count = count as f64;
                        UsageAssetPoint::new(count, count, time)
                    })
                    .collect();
                UsageAsset::new(kind, points)
            })
            .collect();
    }
    if wanted(UsageType::Consumption) {
        let mut authors: Vec<String> = jobs
            .iter()
            .filter_map(|job| job.author_id.clone())
            .collect();
        authors.sort();
        authors.dedup();
        answer.consumption = authors
            .into_iter()
            .map(|author| UsageConsumption::new(0.0, 0.0, author, 0.0))
            .collect();
    }
    Json(answer).into_response()
}

/// `GET /v1/oscu/prices`: the creative-unit packs on sale.
pub(crate) async fn prices(State(_app): State<Arc<App>>) -> Response {
    let prices: Vec<OscuPrice> = PACKS
        .iter()
        .map(|&(units, cents)| {
            built(
                OscuPrice::builder()
                    .creative_units(units)
                    .unit_amount(cents)
                    .currency("usd".to_owned()),
            )
        })
        .collect();
    Json(built::<OscuPricesResponse, _>(
        OscuPricesResponse::builder().prices(prices),
    ))
    .into_response()
}

/// Registers this area's handlers, one per operation.
pub(crate) fn register(handlers: &mut Handlers) {
    handlers
        .on(OperationId::SearchAssets, assets)
        .on(OperationId::SearchModels, models)
        .on(OperationId::SearchWorkflows, workflows)
        .on(OperationId::ListRecommendedModels, recommendations)
        .on(OperationId::ListTags, tags)
        .on(OperationId::ListUsages, usages)
        .on(OperationId::GetOscuPrices, prices);
}
