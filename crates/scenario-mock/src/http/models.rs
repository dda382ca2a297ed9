//! `/v1/models...`: models and their life cycle (create, train, cancel), training
//! images (at most 10 asset ids a call), presets, examples, the description, the
//! prompt guide and scores. What they change is the state layer's
//! (`state::models`).

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use scenario_api::ops;
use scenario_api::ops::OperationId;
use scenario_api::types::{
    ApiError, ApiErrorLimitDetails, AssetIdsRequest, AssetUpdateTagsRequest,
    AssetUpdateTagsResponse, EmptyResponse, JobAction, Model, ModelBulk, ModelCopyRequest,
    ModelCreateRequest, ModelDescription, ModelDescriptionResponse, ModelDescriptionUpdateRequest,
    ModelDownloadRequest, ModelDownloadResponse, ModelExample, ModelExampleListResponse,
    ModelGetBulkRequest, ModelListBulkResponse, ModelListResponse, ModelListStatus,
    ModelPresetCreateRequest, ModelPresetListResponse, ModelPresetResponse,
    ModelPresetUpdateRequest, ModelPrivacy, ModelPromptGuide, ModelPromptGuideResponse,
    ModelPromptGuideUpdateRequest, ModelPromptScoreDetails, ModelPromptScoreResponse,
    ModelPromptScoreSimilarity, ModelResponse, ModelScoreStatus, ModelSortBy, ModelStatus,
    ModelTrainActionRequest, ModelTrainRequest, ModelTrainResponse,
    ModelTrainingDatasetScoreDetails, ModelTrainingDatasetScoreResponse,
    ModelTrainingImagePairsRequest, ModelTrainingImagePairsResponse, ModelTrainingImageRequest,
    ModelTrainingImageResponse, ModelTransferRequest, ModelUpdateRequest, SortDirection,
};

use crate::builders::built;
use crate::clock::parse_iso;
use crate::http::app::App;
use crate::http::extract::{body_of, id_of, ids_of, query_of};
use crate::http::responses::api_error;
use crate::http::routes::Handlers;
use crate::state::models::{
    ImageSource, ModelEdit, ModelError, ModelFilter, NewModel, digest_score,
};

/// A page of models when the request names no size.
const PAGE_SIZE: usize = 100;
/// The action a 429 of the parallel training limit names: the fake's own
/// word, not a name the document owns (the service's is not documented).
const PARALLEL_TRAINING: &str = "training";
/// The HTTP status of a dry run's answer.
const DRY_RUN: u16 = 269;
/// What a training costs in the fake: a base, and a share per training image.
const TRAIN_BASE_COST: f64 = 100.0;
const TRAIN_IMAGE_COST: f64 = 5.0;

type IdPath = Result<Path<String>, PathRejection>;
type IdsPath = Result<Path<(String, String)>, PathRejection>;
type Body = Result<Bytes, BytesRejection>;

/// The service's answer to a refused model request.
fn refused(id: &str, error: ModelError) -> Response {
    let bad = |message: String| api_error(StatusCode::BAD_REQUEST, message);
    let missing = |message: String| api_error(StatusCode::NOT_FOUND, message);
    match error {
        ModelError::NotFound => missing(format!("Model {id} not found")),
        ModelError::AlreadyTraining => bad(format!("Model {id} is already training")),
        ModelError::NotTraining(status) => bad(format!(
            "Model {id} is {status}: only a model that is training can be canceled"
        )),
        ModelError::NoTrainingImages => bad(format!(
            "Model {id} has no training images: add some before training"
        )),
        ModelError::NotTrained => bad(format!(
            "Model {id} is not trained: only a trained model can be downloaded"
        )),
        ModelError::NotDeleted => bad(format!("Model {id} is not deleted")),
        ModelError::ParallelTraining { limit } => {
            let details = ApiErrorLimitDetails {
                action_name: Some(PARALLEL_TRAINING.to_owned()),
                action_limit: Some(f64::from(limit)),
                ..ApiErrorLimitDetails::default()
            };
            let body = ApiError {
                message: Some(format!(
                    "The team already trains {limit} models at once, as its plan allows"
                )),
                error: StatusCode::TOO_MANY_REQUESTS
                    .canonical_reason()
                    .map(str::to_owned),
                status_code: Some(StatusCode::TOO_MANY_REQUESTS.as_u16()),
                details: serde_json::to_value(details).ok(),
                ..ApiError::default()
            };
            (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response()
        }
        ModelError::AssetNotFound(asset) => missing(format!("Asset {asset} not found")),
        ModelError::TrainingImageNotFound(image) => {
            missing(format!("Training image {image} not found in model {id}"))
        }
        ModelError::PresetNotFound(preset) => {
            missing(format!("Preset {preset} not found in model {id}"))
        }
        ModelError::CollectionNotFound(collection) => {
            missing(format!("Collection {collection} not found"))
        }
        ModelError::ProjectNotFound(project) => missing(format!("Project {project} not found")),
        ModelError::Invalid(message) => bad(message),
    }
}

fn one(model: Model) -> Response {
    Json(built::<ModelResponse, _>(
        ModelResponse::builder().model(model),
    ))
    .into_response()
}

fn empty() -> Response {
    Json(EmptyResponse::from(serde_json::Map::new())).into_response()
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
}

/// An ISO date of the listing's query. The document declares no date format: a
/// date the fake cannot read matches no model, as `unreadable` (`u64::MAX` for an
/// "after" bound, 0 for a "before" one) does.
fn date(value: Option<&String>, unreadable: u64) -> Option<u64> {
    value.map(|v| parse_iso(v).unwrap_or(unreadable))
}

/// The offset a `<prefix>_<n>` page token stands for; a token the fake did not
/// issue names no position, and the listing is over.
pub(crate) fn offset_token(prefix: &str, token: Option<&str>) -> usize {
    match token {
        None => 0,
        Some(token) => token
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('_'))
            .and_then(|n| n.parse().ok())
            .unwrap_or(usize::MAX),
    }
}

/// One page of `items` from `offset`, and the token of the next page.
pub(crate) fn page_of<T: Clone>(
    items: &[T],
    prefix: &str,
    offset: usize,
    size: usize,
) -> (Vec<T>, Option<String>) {
    let page = items.iter().skip(offset).take(size).cloned().collect();
    let next =
        (offset.saturating_add(size) < items.len()).then(|| format!("{prefix}_{}", offset + size));
    (page, next)
}

/// `GET /v1/models`: the project's models, newest first by default; the token is
/// the offset of the next page. Public models: the fake has none.
pub(crate) async fn list(State(app): State<Arc<App>>, uri: Uri) -> Response {
    let query: ops::ListModelsQuery = query_of!(ops::ListModels, uri);
    if let Err(error) = query.validate() {
        return api_error(StatusCode::BAD_REQUEST, error.to_string());
    }
    let created_after = date(query.created_after.as_ref(), u64::MAX);
    let created_before = date(query.created_before.as_ref(), 0);
    let updated_after = date(query.updated_after.as_ref(), u64::MAX);
    let updated_before = date(query.updated_before.as_ref(), 0);
    let offset = offset_token("models", query.pagination_token.as_deref());
    let filter = ModelFilter {
        deleted: query.status == Some(ModelListStatus::Deleted),
        status: query
            .status
            .as_ref()
            .filter(|s| **s != ModelListStatus::Deleted)
            .map(|s| ModelStatus::from(s.as_str())),
        types: query
            .type_
            .iter()
            .cloned()
            .chain(query.types.iter().flatten().cloned())
            .collect(),
        collection_id: query.collection_id.clone(),
        tags: query
            .tags
            .iter()
            .flat_map(|tags| tags.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        created_after,
        created_before,
        updated_after,
        updated_before,
        by_updated: query.sort_by == Some(ModelSortBy::UpdatedAt),
        ascending: query.sort_direction == Some(SortDirection::Asc),
    };
    let models = if query.privacy == Some(ModelPrivacy::Public) {
        Vec::new()
    } else {
        app.state.list_models(&filter)
    };
    let size = query.page_size.map_or(PAGE_SIZE, |n| n as usize);
    let (page, next) = page_of(&models, "models", offset, size);
    Json(built::<ModelListResponse, _>(
        ModelListResponse::builder()
            .models(page)
            .next_pagination_token(next),
    ))
    .into_response()
}

/// `POST /v1/models`: a new model, `new` and without training images.
pub(crate) async fn create(State(app): State<Arc<App>>, uri: Uri, body: Body) -> Response {
    let _: ops::CreateModelQuery = query_of!(ops::CreateModel, uri);
    let request: ModelCreateRequest = body_of!(body);
    let new = NewModel {
        name: request.name,
        short_description: request.short_description,
        type_: request.type_,
        concepts: request.concepts,
        collection_ids: request.collection_ids,
        parent_model_id: request.base_model_id,
    };
    match app.state.create_model(new) {
        Ok(model) => one(model),
        Err(error) => refused("", error),
    }
}

/// `GET /v1/models/{modelId}`.
pub(crate) async fn get(State(app): State<Arc<App>>, path: IdPath, uri: Uri) -> Response {
    let id = id_of!(path);
    let _: ops::GetModelQuery = query_of!(ops::GetModel, uri);
    app.state
        .model(&id)
        .map_or_else(|| refused(&id, ModelError::NotFound), one)
}

/// `PUT /v1/models/{modelId}`.
pub(crate) async fn update(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let _: ops::UpdateModelQuery = query_of!(ops::UpdateModel, uri);
    let request: ModelUpdateRequest = body_of!(body);
    let edit = ModelEdit {
        name: request.name,
        short_description: request.short_description,
        type_: request.type_,
        concepts: (!request.concepts.is_empty()).then_some(request.concepts),
        parameters: request.parameters,
        thumbnail: request.thumbnail,
        epoch: request.epoch,
    };
    app.state
        .update_model(&id, edit)
        .map_or_else(|error| refused(&id, error), one)
}

/// `DELETE /v1/models/{modelId}`: restorable with `POST .../restore`.
pub(crate) async fn delete(State(app): State<Arc<App>>, path: IdPath, uri: Uri) -> Response {
    let id = id_of!(path);
    let _: ops::DeleteModelQuery = query_of!(ops::DeleteModel, uri);
    app.state
        .delete_model(&id)
        .map_or_else(|error| refused(&id, error), |()| empty())
}

/// `POST /v1/models/{modelId}/restore`.
pub(crate) async fn restore(State(app): State<Arc<App>>, path: IdPath, uri: Uri) -> Response {
    let id = id_of!(path);
    let _: ops::RestoreModelQuery = query_of!(ops::RestoreModel, uri);
    app.state
        .restore_model(&id)
        .map_or_else(|error| refused(&id, error), one)
}

/// `POST /v1/models/get-bulk`: the models that exist among the ids, in their order.
pub(crate) async fn get_bulk(State(app): State<Arc<App>>, uri: Uri, body: Body) -> Response {
    let _: ops::GetModelsBulkQuery = query_of!(ops::GetModelsBulk, uri);
    let request: ModelGetBulkRequest = body_of!(body);
    let models: Vec<ModelBulk> = app
        .state
        .models_bulk(&request.model_ids)
        .into_iter()
        .filter_map(|model| {
            serde_json::to_value(model)
                .ok()
                .and_then(|value| serde_json::from_value(value).ok())
        })
        .collect();
    Json(built::<ModelListBulkResponse, _>(
        ModelListBulkResponse::builder().models(models),
    ))
    .into_response()
}

/// `POST /v1/models/{modelId}/copy`.
pub(crate) async fn copy(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let _: ops::CopyModelQuery = query_of!(ops::CopyModel, uri);
    let request: ModelCopyRequest = body_of!(body);
    app.state
        .copy_model(
            &id,
            request.copy_as_trained.unwrap_or(false),
            request.copy_examples.unwrap_or(false),
        )
        .map_or_else(|error| refused(&id, error), one)
}

/// `POST /v1/models/{modelId}/transfer`: the model leaves the project.
pub(crate) async fn transfer(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let _: ops::TransferModelQuery = query_of!(ops::TransferModel, uri);
    let request: ModelTransferRequest = body_of!(body);
    if request.destination_project_id.trim().is_empty() {
        return refused(
            &id,
            ModelError::Invalid("destinationProjectId must not be empty".into()),
        );
    }
    app.state
        .transfer_model(&id, &request.destination_project_id)
        .map_or_else(|error| refused(&id, error), one)
}

/// `POST /v1/models/{modelId}/download`: a job packing a trained model; a dry run
/// answers 269 and starts nothing.
pub(crate) async fn download(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let query: ops::DownloadModelQuery = query_of!(ops::DownloadModel, uri);
    let _: ModelDownloadRequest = body_of!(body);
    let dry_run = query.dry_run.is_some();
    match app.state.download_model(&id, dry_run) {
        Ok(job) => {
            let answer: ModelDownloadResponse =
                built(ModelDownloadResponse::builder().job_id(job.job_id));
            let code = if dry_run {
                status(DRY_RUN)
            } else {
                StatusCode::OK
            };
            (code, Json(answer)).into_response()
        }
        Err(error) => refused(&id, error),
    }
}

/// `DELETE /v1/models/{modelId}/images?ids=..`: deletes the listed images the model made.
pub(crate) async fn delete_images(State(app): State<Arc<App>>, path: IdPath, uri: Uri) -> Response {
    let id = id_of!(path);
    let query: ops::DeleteModelImagesQuery = query_of!(ops::DeleteModelImages, uri);
    let ids = query.ids.unwrap_or_default();
    if ids.is_empty() {
        return refused(
            &id,
            ModelError::Invalid("ids must name at least one image".into()),
        );
    }
    app.state
        .delete_model_images(&id, &ids)
        .map_or_else(|error| refused(&id, error), |()| empty())
}

/// `PUT /v1/models/{modelId}/tags`.
pub(crate) async fn tags(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let _: ops::UpdateModelTagsQuery = query_of!(ops::UpdateModelTags, uri);
    let request: AssetUpdateTagsRequest = body_of!(body);
    match app.state.update_model_tags(
        &id,
        &request.add,
        &request.delete,
        request.strict.unwrap_or(false),
    ) {
        Ok((added, deleted)) => Json(built::<AssetUpdateTagsResponse, _>(
            AssetUpdateTagsResponse::builder()
                .added(added)
                .deleted(deleted),
        ))
        .into_response(),
        Err(error) => refused(&id, error),
    }
}

/// `PUT /v1/models/{modelId}/train`: starts the training job; a model already
/// training is refused. A dry run answers 269 with the cost only.
pub(crate) async fn train(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let query: ops::TrainModelQuery = query_of!(ops::TrainModel, uri);
    let request: ModelTrainRequest = body_of!(body);
    let dry_run = query.dry_run.is_some();
    match app.state.train_model(&id, request.parameters, dry_run) {
        Ok((_, job)) if !dry_run => {
            let Some(model) = app.state.model(&id) else {
                return refused(&id, ModelError::NotFound);
            };
            Json(built::<ModelTrainResponse, _>(
                ModelTrainResponse::builder().job(job).model(model),
            ))
            .into_response()
        }
        Ok((model, job)) => {
            let images = if model.training_images.is_empty() {
                query.training_images_count.unwrap_or(0).max(0)
            } else {
                i64::try_from(model.training_images.len()).unwrap_or(i64::MAX)
            };
            // Image counts stay far below 2^53: the conversion is exact.
            #[allow(clippy::cast_precision_loss)]
            let cost = TRAIN_BASE_COST + TRAIN_IMAGE_COST * images as f64;
            let value = serde_json::json!({
                "job": job,
                "model": model,
                "creativeUnitsCost": cost,
                "creativeUnitsDiscount": 0.0,
                "costDetails": {"train-model": cost},
            });
            match serde_json::from_value::<ModelTrainResponse>(value) {
                Ok(answer) => (status(DRY_RUN), Json(answer)).into_response(),
                Err(error) => api_error(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()),
            }
        }
        Err(error) => refused(&id, error),
    }
}

/// `POST /v1/models/{modelId}/train/action` with `{"action": "cancel"}`.
pub(crate) async fn train_action(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let _: ops::TriggerModelTrainActionQuery = query_of!(ops::TriggerModelTrainAction, uri);
    let request: ModelTrainActionRequest = body_of!(body);
    if request.action != JobAction::Cancel {
        return refused(
            &id,
            ModelError::Invalid(format!(
                "action must be one of: {} (got \"{}\")",
                JobAction::VALUES.join(", "),
                request.action
            )),
        );
    }
    app.state
        .cancel_training(&id)
        .map_or_else(|error| refused(&id, error), one)
}

/// The images a training-image request names. As the document says, `assetId`
/// wins (`data` and `name` are then ignored), then `assetIds`, then `data`; a
/// request with none of them adds nothing (refused once the model is found).
fn image_source(request: ModelTrainingImageRequest) -> ImageSource {
    match (request.asset_id, request.data) {
        (Some(asset), _) => ImageSource::Assets(vec![asset]),
        (None, _) if !request.asset_ids.is_empty() => ImageSource::Assets(request.asset_ids),
        (None, Some(data)) if !data.is_empty() => ImageSource::Data { name: request.name },
        (None, _) => ImageSource::Assets(Vec::new()),
    }
}

fn training_image_answer(
    result: Result<scenario_api::types::ModelTrainingImage, ModelError>,
    id: &str,
) -> Response {
    match result {
        Ok(image) => Json(built::<ModelTrainingImageResponse, _>(
            ModelTrainingImageResponse::builder().training_image(image),
        ))
        .into_response(),
        Err(error) => refused(id, error),
    }
}

/// `POST /v1/models/{modelId}/training-images`: at most 10 asset ids a call; an
/// asset already there is not an error.
pub(crate) async fn add_training_images(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let _: ops::AddModelTrainingImagesQuery = query_of!(ops::AddModelTrainingImages, uri);
    let request: ModelTrainingImageRequest = body_of!(body);
    let result = app.state.add_training_images(&id, image_source(request));
    training_image_answer(result, &id)
}

/// `PUT /v1/models/{modelId}/training-images/{trainingImageId}`.
pub(crate) async fn replace_training_image(
    State(app): State<Arc<App>>,
    path: IdsPath,
    uri: Uri,
    body: Body,
) -> Response {
    let (id, image) = ids_of!(path);
    let _: ops::ReplaceModelTrainingImageQuery = query_of!(ops::ReplaceModelTrainingImage, uri);
    let request: ModelTrainingImageRequest = body_of!(body);
    let result = app
        .state
        .replace_training_image(&id, &image, image_source(request));
    training_image_answer(result, &id)
}

/// `DELETE /v1/models/{modelId}/training-images/{trainingImageId}`.
pub(crate) async fn delete_training_image(
    State(app): State<Arc<App>>,
    path: IdsPath,
    uri: Uri,
) -> Response {
    let (id, image) = ids_of!(path);
    let _: ops::DeleteModelTrainingImageQuery = query_of!(ops::DeleteModelTrainingImage, uri);
    app.state
        .delete_training_image(&id, &image)
        .map_or_else(|error| refused(&id, error), |()| empty())
}

/// `PUT /v1/models/{modelId}/training-images/pairs`: every pair at once.
pub(crate) async fn replace_training_pairs(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let _: ops::ReplaceModelTrainingImagePairsQuery =
        query_of!(ops::ReplaceModelTrainingImagePairs, uri);
    let request: ModelTrainingImagePairsRequest = body_of!(body);
    match app.state.replace_training_pairs(&id, request.0) {
        Ok(pairs) => {
            // Pair counts stay far below 2^53: the conversion is exact.
            #[allow(clippy::cast_precision_loss)]
            let count = pairs.len() as f64;
            Json(built::<ModelTrainingImagePairsResponse, _>(
                ModelTrainingImagePairsResponse::builder()
                    .count(count)
                    .pairs(pairs),
            ))
            .into_response()
        }
        Err(error) => refused(&id, error),
    }
}

/// `GET /v1/models/{modelId}/presets`.
pub(crate) async fn list_presets(State(app): State<Arc<App>>, path: IdPath, uri: Uri) -> Response {
    let id = id_of!(path);
    let _: ops::ListModelPresetsQuery = query_of!(ops::ListModelPresets, uri);
    match app.state.model_presets(&id) {
        Ok(presets) => Json(built::<ModelPresetListResponse, _>(
            ModelPresetListResponse::builder().presets(presets),
        ))
        .into_response(),
        Err(error) => refused(&id, error),
    }
}

fn preset_answer(
    result: Result<scenario_api::types::ModelPreset, ModelError>,
    id: &str,
) -> Response {
    match result {
        Ok(preset) => Json(built::<ModelPresetResponse, _>(
            ModelPresetResponse::builder().preset(preset),
        ))
        .into_response(),
        Err(error) => refused(id, error),
    }
}

/// `POST /v1/models/{modelId}/presets`: a preset from an inference's settings.
pub(crate) async fn create_preset(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let _: ops::CreateModelPresetQuery = query_of!(ops::CreateModelPreset, uri);
    let request: ModelPresetCreateRequest = body_of!(body);
    let result = app.state.create_preset(
        &id,
        &request.inference_id,
        request.is_default.unwrap_or(false),
    );
    preset_answer(result, &id)
}

/// `PUT /v1/models/{modelId}/presets/{presetId}`.
pub(crate) async fn update_preset(
    State(app): State<Arc<App>>,
    path: IdsPath,
    uri: Uri,
    body: Body,
) -> Response {
    let (id, preset) = ids_of!(path);
    let _: ops::UpdateModelPresetQuery = query_of!(ops::UpdateModelPreset, uri);
    let request: ModelPresetUpdateRequest = body_of!(body);
    preset_answer(
        app.state.update_preset(&id, &preset, request.is_default),
        &id,
    )
}

/// `DELETE /v1/models/{modelId}/presets/{presetId}`.
pub(crate) async fn delete_preset(
    State(app): State<Arc<App>>,
    path: IdsPath,
    uri: Uri,
) -> Response {
    let (id, preset) = ids_of!(path);
    let _: ops::DeleteModelPresetQuery = query_of!(ops::DeleteModelPreset, uri);
    app.state
        .delete_preset(&id, &preset)
        .map_or_else(|error| refused(&id, error), |()| empty())
}

fn examples_answer(
    result: Result<Vec<scenario_api::types::Asset>, ModelError>,
    id: &str,
) -> Response {
    match result {
        Ok(assets) => {
            let examples: Vec<ModelExample> = assets
                .into_iter()
                .map(|asset| built(ModelExample::builder().asset(asset).model_id(id.to_owned())))
                .collect();
            Json(built::<ModelExampleListResponse, _>(
                ModelExampleListResponse::builder().examples(examples),
            ))
            .into_response()
        }
        Err(error) => refused(id, error),
    }
}

/// `GET /v1/models/{modelId}/examples`.
pub(crate) async fn list_examples(State(app): State<Arc<App>>, path: IdPath, uri: Uri) -> Response {
    let id = id_of!(path);
    let _: ops::ListModelExamplesQuery = query_of!(ops::ListModelExamples, uri);
    examples_answer(app.state.model_examples(&id), &id)
}

/// `PUT /v1/models/{modelId}/examples`: every asset must exist.
pub(crate) async fn update_examples(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let _: ops::UpdateModelExamplesQuery = query_of!(ops::UpdateModelExamples, uri);
    let request: AssetIdsRequest = body_of!(body);
    examples_answer(app.state.set_model_examples(&id, request.asset_ids), &id)
}

fn description_answer(result: Result<String, ModelError>, id: &str) -> Response {
    match result {
        Ok(value) => {
            let description: ModelDescription = built(
                ModelDescription::builder()
                    .value(value)
                    .assets(Vec::new())
                    .models(Vec::new()),
            );
            Json(built::<ModelDescriptionResponse, _>(
                ModelDescriptionResponse::builder().description(description),
            ))
            .into_response()
        }
        Err(error) => refused(id, error),
    }
}

/// `GET /v1/models/{modelId}/description`.
pub(crate) async fn get_description(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
) -> Response {
    let id = id_of!(path);
    let _: ops::GetModelDescriptionQuery = query_of!(ops::GetModelDescription, uri);
    description_answer(app.state.model_description(&id, None), &id)
}

/// `PUT /v1/models/{modelId}/description`.
pub(crate) async fn update_description(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let _: ops::UpdateModelDescriptionQuery = query_of!(ops::UpdateModelDescription, uri);
    let request: ModelDescriptionUpdateRequest = body_of!(body);
    description_answer(
        app.state.model_description(&id, Some(request.description)),
        &id,
    )
}

fn prompt_guide_answer(result: Result<String, ModelError>, id: &str) -> Response {
    match result {
        Ok(value) => {
            let guide: ModelPromptGuide = built(ModelPromptGuide::builder().value(value));
            Json(built::<ModelPromptGuideResponse, _>(
                ModelPromptGuideResponse::builder().prompt_guide(guide),
            ))
            .into_response()
        }
        Err(error) => refused(id, error),
    }
}

/// `GET /v1/models/{modelId}/prompt-guide`.
pub(crate) async fn get_prompt_guide(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
) -> Response {
    let id = id_of!(path);
    let _: ops::GetModelPromptGuideQuery = query_of!(ops::GetModelPromptGuide, uri);
    prompt_guide_answer(app.state.model_prompt_guide(&id, None), &id)
}

/// `PUT /v1/models/{modelId}/prompt-guide`.
pub(crate) async fn update_prompt_guide(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let _: ops::UpdateModelPromptGuideQuery = query_of!(ops::UpdateModelPromptGuide, uri);
    let request: ModelPromptGuideUpdateRequest = body_of!(body);
    prompt_guide_answer(
        app.state
            .model_prompt_guide(&id, Some(request.prompt_guide)),
        &id,
    )
}

fn similarity(score: f64) -> ModelPromptScoreSimilarity {
    built(
        ModelPromptScoreSimilarity::builder()
            .mean(score)
            .median(score)
            .min(score),
    )
}

/// `GET /v1/models/{modelId}/scores/prompt?prompt=..`: a score from the prompt's text.
pub(crate) async fn prompt_score(State(app): State<Arc<App>>, path: IdPath, uri: Uri) -> Response {
    let id = id_of!(path);
    let query: ops::GetModelPromptScoreQuery = query_of!(ops::GetModelPromptScore, uri);
    if app.state.model(&id).is_none() {
        return refused(&id, ModelError::NotFound);
    }
    let prompt = query.prompt.unwrap_or_default();
    let score = digest_score(&prompt);
    let details: ModelPromptScoreDetails = built(
        ModelPromptScoreDetails::builder()
            .captions_similarity(similarity(score))
            .embedding_similarity(score),
    );
    let status = if prompt.trim().is_empty() {
        ModelScoreStatus::Incomplete
    } else {
        ModelScoreStatus::Complete
    };
    Json(built::<ModelPromptScoreResponse, _>(
        ModelPromptScoreResponse::builder()
            .details(details)
            .model_id(id)
            .score(score)
            .status(status),
    ))
    .into_response()
}

/// `GET /v1/models/{modelId}/scores/training-dataset`: a score from the ids of the
/// training images.
pub(crate) async fn training_dataset_score(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
) -> Response {
    let id = id_of!(path);
    let _: ops::GetModelTrainingDatasetScoreQuery =
        query_of!(ops::GetModelTrainingDatasetScore, uri);
    let Some(model) = app.state.model(&id) else {
        return refused(&id, ModelError::NotFound);
    };
    let ids: Vec<&str> = model
        .training_images
        .iter()
        .map(|i| i.id.as_str())
        .collect();
    let score = digest_score(&ids.join(","));
    let details: ModelTrainingDatasetScoreDetails = built(
        ModelTrainingDatasetScoreDetails::builder()
            .asset_couples_captions_distance(Vec::new())
            .asset_couples_similarity(Vec::new())
            .assets_embedding_similarity(Vec::new())
            .assets_similarity(similarity(score))
            .couples_captions_distance(similarity(score))
            .couples_similarity(similarity(score))
            .metadata_score(score),
    );
    let status = if ids.is_empty() {
        ModelScoreStatus::Incomplete
    } else {
        ModelScoreStatus::Complete
    };
    Json(built::<ModelTrainingDatasetScoreResponse, _>(
        ModelTrainingDatasetScoreResponse::builder()
            .details(details)
            .model_id(id)
            .score(score)
            .status(status),
    ))
    .into_response()
}

/// Registers this area's handlers, one per operation.
pub(crate) fn register(handlers: &mut Handlers) {
    handlers
        .on(OperationId::ListModels, list)
        .on(OperationId::CreateModel, create)
        .on(OperationId::GetModelsBulk, get_bulk)
        .on(OperationId::GetModel, get)
        .on(OperationId::UpdateModel, update)
        .on(OperationId::DeleteModel, delete)
        .on(OperationId::CopyModel, copy)
        .on(OperationId::TransferModel, transfer)
        .on(OperationId::DownloadModel, download)
        .on(OperationId::RestoreModel, restore)
        .on(OperationId::DeleteModelImages, delete_images)
        .on(OperationId::UpdateModelTags, tags)
        .on(OperationId::TrainModel, train)
        .on(OperationId::TriggerModelTrainAction, train_action)
        .on(OperationId::AddModelTrainingImages, add_training_images)
        .on(
            OperationId::ReplaceModelTrainingImagePairs,
            replace_training_pairs,
        )
        .on(
            OperationId::ReplaceModelTrainingImage,
            replace_training_image,
        )
        .on(OperationId::DeleteModelTrainingImage, delete_training_image)
        .on(OperationId::ListModelPresets, list_presets)
        .on(OperationId::CreateModelPreset, create_preset)
        .on(OperationId::UpdateModelPreset, update_preset)
        .on(OperationId::DeleteModelPreset, delete_preset)
        .on(OperationId::ListModelExamples, list_examples)
        .on(OperationId::UpdateModelExamples, update_examples)
        .on(OperationId::GetModelDescription, get_description)
        .on(OperationId::UpdateModelDescription, update_description)
        .on(OperationId::GetModelPromptGuide, get_prompt_guide)
        .on(OperationId::UpdateModelPromptGuide, update_prompt_guide)
        .on(OperationId::GetModelPromptScore, prompt_score)
        .on(
            OperationId::GetModelTrainingDatasetScore,
            training_dataset_score,
        );
}
