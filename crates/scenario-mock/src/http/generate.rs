//! `POST /v1/generate/...`: each generation starts a job (what it makes appears when
//! the job succeeds) and answers its immediate results; with `dryRun` it answers
//! HTTP 269 with the same results, the job it would start (never stored) and what
//! it would cost, and starts, charges and keeps nothing.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use scenario_api::Operation;
use scenario_api::ops;
use scenario_api::ops::OperationId;
use scenario_api::types::{
    AssetQualityGate, AssetQualityGateAiQuality, AssetQualityGateSensitivity,
    AssetQualityGateStatus, AssetQualityGateVerdict, AssetSource, AssetType, CostDetails,
    GenerateAssetResponse, GenerateCaptionRequest, GenerateCaptionResponse,
    GenerateDescribeStyleRequest, GenerateDescribeStyleResponse, GenerateDetectRequest,
    GenerateEmbedRequest, GenerateEmbedResponse, GenerateIpDetectionRequest,
    GenerateIpDetectionResponse, GeneratePatchRequest, GeneratePromptRequest,
    GeneratePromptResponse, GenerateQualityGateRequest, GenerateQualityGateResponse,
    GenerateTranslateRequest, GenerateTranslateResponse, IpDetection, IpDetectionAction, Job,
    JobType, RunModelRequest, RunModelResponse,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::builders::built;
use crate::clock::iso;
use crate::http::app::App;
use crate::http::request::{parse_json, parse_query, path_id};
use crate::http::responses::{Rejection, api_error};
use crate::http::routes::Handlers;
use crate::state::catalog::{Generated, Plan};

/// The HTTP status of a dry run's answer.
const DRY_RUN: u16 = 269;

/// The most outputs one custom generation makes.
const MAX_OUTPUTS: u64 = 8;

/// What one request asks, once its query and body are read.
struct Asked<Q, B> {
    query: Q,
    body: B,
}

fn read<Op: Operation, Q: DeserializeOwned, B: DeserializeOwned>(
    uri: &Uri,
    body: Result<Bytes, BytesRejection>,
) -> Result<Asked<Q, B>, Rejection> {
    let query = parse_query::<Op, Q>(uri)?;
    let body = parse_json(body)?;
    Ok(Asked { query, body })
}

/// The body as a JSON object: what the job records as its input.
fn input_of<B: Serialize>(body: &B) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(body) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

/// What a dry run would cost: the cost fields of its answer.
struct Cost {
    units: f64,
    details: CostDetails,
}

impl Cost {
    fn new(units: f64, details: CostDetails) -> Self {
        Self { units, details }
    }
}

/// The cost a request would have when it is a dry run (`dryRun` set).
fn dry<Q>(dry_run: Option<Q>, cost: impl FnOnce() -> Cost) -> Option<Cost> {
    dry_run.map(|_| cost())
}

/// A dry run's answer: `answer` (what a real run would answer) with the cost
/// fields set, as HTTP 269.
fn dry_answer<T: Serialize>(answer: &T, cost: &Cost) -> Response {
    let mut value = match serde_json::to_value(answer) {
        Ok(serde_json::Value::Object(map)) => map,
        Ok(_) | Err(_) => serde_json::Map::new(),
    };
    value.insert("creativeUnitsCost".into(), cost.units.into());
    value.insert("creativeUnitsDiscount".into(), 0.0.into());
    match serde_json::to_value(&cost.details) {
        Ok(details) => value.insert("costDetails".into(), details),
        Err(error) => return api_error(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()),
    };
    (status(DRY_RUN), Json(value)).into_response()
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
}

/// The first id among `references` that looks like an asset id and names no live
/// asset: a job working on it fails.
fn missing_asset<'a>(
    app: &App,
    references: impl IntoIterator<Item = &'a String>,
) -> Option<String> {
    references
        .into_iter()
        .find(|reference| {
            reference.starts_with("asset_") && app.state.live_asset(reference).is_none()
        })
        .cloned()
}

fn plan_or_failure(app: &App, references: &[&String], plan: Plan) -> Plan {
    match missing_asset(app, references.iter().copied()) {
        Some(id) => Plan::Failure(format!("Asset {id} not found")),
        None => plan,
    }
}

/// A number from a text, the same every time: what the fake "computes".
fn digest_number(text: &str, modulo: u64) -> u64 {
    let digest = Sha256::digest(text.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(bytes) % modulo.max(1)
}

fn generated(type_: AssetType, source: AssetSource, parent: Option<&String>) -> Generated {
    Generated {
        type_,
        source,
        parent_id: parent.filter(|p| p.starts_with("asset_")).cloned(),
        model_id: None,
        prompt: None,
    }
}

macro_rules! asked {
    ($op:ty, $uri:expr, $body:expr) => {
        match read::<$op, _, _>(&$uri, $body) {
            Ok(asked) => asked,
            Err(rejection) => return rejection.into_response(),
        }
    };
}

/// `POST /v1/generate/custom/{modelId}`: `numOutputs` images (1 by default).
pub(crate) async fn run_model(
    State(app): State<Arc<App>>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let model_id = match path_id(path) {
        Ok(id) => id,
        Err(rejection) => return rejection.into_response(),
    };
    let asked: Asked<ops::RunModelQuery, RunModelRequest> = asked!(ops::RunModel, uri, body);
    let outputs = asked
        .body
        .get("numOutputs")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(1)
        .clamp(1, MAX_OUTPUTS);
    let cost = 5.0 * outputs as f64;
    if asked.query.dry_run.is_some() {
        let job = app.state.dry_run_job(JobType::Custom, asked.body.0.clone());
        let answer: RunModelResponse = built(RunModelResponse::builder().job(job));
        let details = built(CostDetails::builder().custom_generation(cost));
        return dry_answer(&answer, &Cost::new(cost, details));
    }
    let prompt = asked
        .body
        .get("prompt")
        .and_then(|p| p.as_str())
        .map(str::to_owned);
    let references: Vec<String> = ["image", "referenceImage"]
        .iter()
        .filter_map(|key| asked.body.get(*key)?.as_str().map(str::to_owned))
        .collect();
    let made = (0..outputs)
        .map(|_| Generated {
            model_id: Some(model_id.clone()),
            prompt: prompt.clone(),
            ..generated(AssetType::InferenceTxt2img, AssetSource::InferenceTxt, None)
        })
        .collect();
    let plan = plan_or_failure(
        &app,
        &references.iter().collect::<Vec<_>>(),
        Plan::Assets(made),
    );
    let job = app
        .state
        .start_job(JobType::Custom, asked.body.0.clone(), plan, true);
    let answer: RunModelResponse = built(
        RunModelResponse::builder()
            .job(job)
            .creative_units_cost(cost)
            .creative_units_discount(0.0),
    );
    Json(answer).into_response()
}

/// Starts a job for `body` and answers what `answer` makes of it; a dry run
/// (`dry` set) starts nothing and answers the job it would start.
#[allow(clippy::too_many_arguments)]
fn start<B: Serialize, T: Serialize>(
    app: &App,
    job_type: JobType,
    body: &B,
    references: &[&String],
    plan: Plan,
    dry: Option<Cost>,
    answer: impl FnOnce(Job) -> T,
) -> Response {
    if let Some(cost) = dry {
        let job = app.state.dry_run_job(job_type, input_of(body));
        return dry_answer(&answer(job), &cost);
    }
    let plan = plan_or_failure(app, references, plan);
    let job = app.state.start_job(job_type, input_of(body), plan, false);
    Json(answer(job)).into_response()
}

/// `POST /v1/generate/caption`: one caption per image.
pub(crate) async fn caption(
    State(app): State<Arc<App>>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let asked: Asked<ops::GenerateCaptionQuery, GenerateCaptionRequest> =
        asked!(ops::GenerateCaption, uri, body);
    let cost = asked.body.images.len().max(1) as f64;
    let dry = dry(asked.query.dry_run.as_ref(), || {
        Cost::new(cost, built(CostDetails::builder().caption(cost)))
    });
    let captions: Vec<String> = (1..=asked.body.images.len())
        .map(|n| format!("Image {n}: a subject in front of a plain background"))
        .collect();
    let refs: Vec<&String> = asked
        .body
        .images
        .iter()
        .chain(&asked.body.asset_ids)
        .collect();
    start(
        &app,
        JobType::Caption,
        &asked.body,
        &refs,
        Plan::Nothing,
        dry,
        |job| {
            built::<GenerateCaptionResponse, _>(
                GenerateCaptionResponse::builder()
                    .captions(captions)
                    .job(job)
                    .creative_units_cost(cost)
                    .details_level(asked.body.details_level.clone()),
            )
        },
    )
}

/// `POST /v1/generate/describe-style`.
pub(crate) async fn describe_style(
    State(app): State<Arc<App>>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let asked: Asked<ops::GenerateDescribeStyleQuery, GenerateDescribeStyleRequest> =
        asked!(ops::GenerateDescribeStyle, uri, body);
    let cost = 2.0;
    let dry = dry(asked.query.dry_run.as_ref(), || {
        Cost::new(cost, built(CostDetails::builder().describe_style(cost)))
    });
    let refs: Vec<&String> = asked
        .body
        .images
        .iter()
        .chain(&asked.body.asset_ids)
        .collect();
    start(
        &app,
        JobType::DescribeStyle,
        &asked.body,
        &refs,
        Plan::Nothing,
        dry,
        |job| {
            built::<GenerateDescribeStyleResponse, _>(
                GenerateDescribeStyleResponse::builder()
                    .description("Flat colours, thick outlines, soft lighting".to_owned())
                    .synthesis("flat colours, thick outlines".to_owned())
                    .job(job)
                    .creative_units_cost(cost),
            )
        },
    )
}

/// `POST /v1/generate/detect`: a control map of the image, as a new asset.
pub(crate) async fn detect(
    State(app): State<Arc<App>>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let asked: Asked<ops::GenerateDetectQuery, GenerateDetectRequest> =
        asked!(ops::GenerateDetect, uri, body);
    let cost = 1.0;
    let dry = dry(asked.query.dry_run.as_ref(), || {
        Cost::new(cost, built(CostDetails::builder().detection(cost)))
    });
    let made = vec![generated(
        AssetType::Detection,
        AssetSource::Detection,
        Some(&asked.body.image),
    )];
    start(
        &app,
        JobType::Detection,
        &asked.body,
        &[&asked.body.image],
        Plan::Assets(made),
        dry,
        |job| {
            built::<GenerateAssetResponse, _>(
                GenerateAssetResponse::builder()
                    .job(job)
                    .creative_units_cost(cost),
            )
        },
    )
}

/// `POST /v1/generate/embed`: eight numbers derived from the text.
pub(crate) async fn embed(
    State(app): State<Arc<App>>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let asked: Asked<ops::GenerateEmbedQuery, GenerateEmbedRequest> =
        asked!(ops::GenerateEmbed, uri, body);
    let cost = 0.5;
    let dry = dry(asked.query.dry_run.as_ref(), || {
        Cost::new(cost, built(CostDetails::builder().embed(cost)))
    });
    let digest = Sha256::digest(asked.body.text.as_bytes());
    let embedding: Vec<f64> = digest
        .iter()
        .take(8)
        .map(|b| f64::from(*b) / 255.0)
        .collect();
    start(
        &app,
        JobType::Embed,
        &asked.body,
        &[],
        Plan::Nothing,
        dry,
        |job| {
            built::<GenerateEmbedResponse, _>(
                GenerateEmbedResponse::builder()
                    .embedding(embedding)
                    .job(job)
                    .creative_units_cost(cost),
            )
        },
    )
}

/// `POST /v1/generate/ip-detection`: answered at once, never flags anything; ids
/// that name no asset are skipped.
pub(crate) async fn ip_detection(
    State(app): State<Arc<App>>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let asked: Asked<ops::GenerateIpDetectionQuery, GenerateIpDetectionRequest> =
        asked!(ops::GenerateIpDetection, uri, body);
    let cost = 1.0;
    let (found, skipped): (Vec<String>, Vec<String>) = asked
        .body
        .asset_ids
        .iter()
        .cloned()
        .partition(|id| app.state.live_asset(id).is_some());
    let detection: IpDetection = built(
        IpDetection::builder()
            .action(IpDetectionAction::Allowed)
            .analyzed_images_count(u32::try_from(found.len()).unwrap_or(u32::MAX))
            .creative_units_charged(cost)
            .evaluated_filters(0_u32)
            .findings(Vec::new())
            .flagged(false),
    );
    let answer: GenerateIpDetectionResponse = built(
        GenerateIpDetectionResponse::builder()
            .ip_detection(detection)
            .skipped_asset_ids(skipped),
    );
    // The response has no cost fields: a dry run answers the same findings.
    let code = if asked.query.dry_run.is_some() {
        status(DRY_RUN)
    } else {
        StatusCode::OK
    };
    (code, Json(answer)).into_response()
}

/// `POST /v1/generate/patch`: the patched image, as a new asset (no dry run).
pub(crate) async fn patch(
    State(app): State<Arc<App>>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let asked: Asked<ops::GeneratePatchQuery, GeneratePatchRequest> =
        asked!(ops::GeneratePatch, uri, body);
    let made = vec![generated(
        AssetType::Patch,
        AssetSource::Patch,
        Some(&asked.body.image),
    )];
    start(
        &app,
        JobType::PatchImage,
        &asked.body,
        &[&asked.body.image],
        Plan::Assets(made),
        None,
        |job| built::<GenerateAssetResponse, _>(GenerateAssetResponse::builder().job(job)),
    )
}

/// `POST /v1/generate/prompt`: `numResults` prompts (1 by default, at most 10).
pub(crate) async fn prompt(
    State(app): State<Arc<App>>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let asked: Asked<ops::GeneratePromptQuery, GeneratePromptRequest> =
        asked!(ops::GeneratePrompt, uri, body);
    let count = asked.body.num_results.unwrap_or(1).clamp(1, 10);
    let cost = f64::from(count) * 0.2;
    let dry = dry(asked.query.dry_run.as_ref(), || {
        Cost::new(cost, built(CostDetails::builder().prompt(cost)))
    });
    let base = asked
        .body
        .prompt
        .clone()
        .unwrap_or_else(|| "a castle on a hill".into());
    let prompts: Vec<String> = (1..=count)
        .map(|n| format!("{base}, variation {n}"))
        .collect();
    let refs: Vec<&String> = asked
        .body
        .images
        .iter()
        .chain(&asked.body.asset_ids)
        .chain(&asked.body.image)
        .collect();
    start(
        &app,
        JobType::GeneratePrompt,
        &asked.body,
        &refs,
        Plan::Nothing,
        dry,
        |job| {
            built::<GeneratePromptResponse, _>(
                GeneratePromptResponse::builder()
                    .job(job)
                    .prompts(prompts)
                    .mode(asked.body.mode.clone())
                    .creative_units_cost(cost),
            )
        },
    )
}

/// `POST /v1/generate/quality-gate`: scores an existing asset at once and keeps
/// the score on it.
pub(crate) async fn quality_gate(
    State(app): State<Arc<App>>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let asked: Asked<ops::GenerateQualityGateQuery, GenerateQualityGateRequest> =
        asked!(ops::GenerateQualityGate, uri, body);
    let cost = 1.0;
    let dry = dry(asked.query.dry_run.as_ref(), || {
        Cost::new(cost, built(CostDetails::builder().quality_gate(cost)))
    });
    let id = asked.body.image.clone();
    let score = digest_number(&id, 101) as f64;
    let verdict = if score >= 70.0 {
        AssetQualityGateVerdict::Pass
    } else if score >= 40.0 {
        AssetQualityGateVerdict::Warn
    } else {
        AssetQualityGateVerdict::Fail
    };
    let sensitivity = asked
        .body
        .sensitivity
        .clone()
        .unwrap_or(AssetQualityGateSensitivity::Medium);
    let gate: AssetQualityGate = built(
        AssetQualityGate::builder()
            .computed_at(iso(app.state.clock.now_ms()))
            .status(AssetQualityGateStatus::Scored)
            .version("1")
            .ai_quality_score(score)
            .overall_score(score)
            .sensitivity(sensitivity.clone())
            .verdict(verdict.clone()),
    );
    // A dry run scores the asset as it is and keeps nothing.
    let asset = if dry.is_some() {
        app.state.live_asset(&id)
    } else {
        app.state.score_asset(&id, gate)
    };
    let Some(asset) = asset else {
        return api_error(StatusCode::NOT_FOUND, format!("Asset {id} not found"));
    };
    let quality: AssetQualityGateAiQuality = built(
        AssetQualityGateAiQuality::builder()
            .reasons(Vec::<String>::new())
            .score(score)
            .suggestions(Vec::<String>::new()),
    );
    let answer: GenerateQualityGateResponse = built(
        GenerateQualityGateResponse::builder()
            .ai_quality(quality)
            .applied_briefs(Vec::new())
            .asset(asset)
            .overall_score(score)
            .verdict(verdict)
            .sensitivity(sensitivity)
            .creative_units_cost(cost),
    );
    match dry {
        Some(cost) => dry_answer(&answer, &cost),
        None => Json(answer).into_response(),
    }
}

/// `POST /v1/generate/translate`: the fake takes every prompt for English already.
pub(crate) async fn translate(
    State(app): State<Arc<App>>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let asked: Asked<ops::GenerateTranslateQuery, GenerateTranslateRequest> =
        asked!(ops::GenerateTranslate, uri, body);
    let cost = 0.1;
    let dry = dry(asked.query.dry_run.as_ref(), || {
        Cost::new(cost, built(CostDetails::builder().translate(cost)))
    });
    let translation = asked.body.prompt.clone();
    start(
        &app,
        JobType::Translate,
        &asked.body,
        &asked.body.images.iter().collect::<Vec<_>>(),
        Plan::Nothing,
        dry,
        |job| {
            built::<GenerateTranslateResponse, _>(
                GenerateTranslateResponse::builder()
                    .detected_language("en".to_owned())
                    .translation(translation)
                    .job(job)
                    .creative_units_cost(cost),
            )
        },
    )
}

/// Registers this area's handlers, one per operation.
pub(crate) fn register(handlers: &mut Handlers) {
    handlers
        .on(OperationId::RunModel, run_model)
        .on(OperationId::GenerateCaption, caption)
        .on(OperationId::GenerateDescribeStyle, describe_style)
        .on(OperationId::GenerateDetect, detect)
        .on(OperationId::GenerateEmbed, embed)
        .on(OperationId::GenerateIpDetection, ip_detection)
        .on(OperationId::GeneratePatch, patch)
        .on(OperationId::GeneratePrompt, prompt)
        .on(OperationId::GenerateQualityGate, quality_gate)
        .on(OperationId::GenerateTranslate, translate);
}
