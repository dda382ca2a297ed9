//! The asset endpoints beyond the listing: retrieve, update, delete and restore,
//! bulk retrieval, copy, lock and unlock, tags, snapshots, small uploads
//! (`POST /v1/assets`) and downloads (one file, or an archive made by a job).

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use scenario_api::ops;
use scenario_api::ops::OperationId;
use scenario_api::types::{
    Asset, AssetCopyRequest, AssetCreateRequest, AssetCreateResponse, AssetDeleteResponse,
    AssetDownloadRequest, AssetDownloadResponse, AssetGetBulkRequest, AssetIdsRequest, AssetKind,
    AssetListBulkResponse, AssetLockRequest, AssetLockResponse, AssetResponse, AssetRestoreRequest,
    AssetRestoreResponse, AssetRestoreSkipped, AssetRestoreSkippedReason,
    AssetSnapshotListResponse, AssetUnlockRequest, AssetUpdateRequest, AssetUpdateTagsRequest,
    AssetUpdateTagsResponse, AssetsDownloadRequest, AssetsDownloadResponse,
    AssetsDownloadStatusResponse, JobType,
};

use crate::builders::built;
use crate::http::app::App;
use crate::http::request::{parse_json, parse_query, path_id};
use crate::http::responses::api_error;
use crate::http::routes::Handlers;
use crate::state::assets::RestoreRefusal;
use crate::state::catalog::{AssetEdit, EditError, Plan};

/// The most assets one delete takes.
const MAX_DELETE: usize = 100;
/// The most assets one archive takes.
const MAX_ARCHIVE: usize = 1000;
/// The largest image `POST /assets` takes (the service's limit is about 6 MB).
const MAX_INLINE_IMAGE: usize = 6 * 1024 * 1024;
/// A page of snapshots when the request names no size.
const SNAPSHOT_PAGE: usize = 50;

fn not_found(id: &str) -> Response {
    api_error(StatusCode::NOT_FOUND, format!("Asset {id} not found"))
}

fn refused(id: &str, error: EditError) -> Response {
    match error {
        EditError::NotFound => not_found(id),
        EditError::Locked => api_error(
            StatusCode::CONFLICT,
            format!("Asset {id} is locked: send its lockId"),
        ),
        EditError::Tag(message) => api_error(StatusCode::BAD_REQUEST, message),
    }
}

fn one(asset: Asset) -> Response {
    Json(built::<AssetResponse, _>(
        AssetResponse::builder().asset(asset),
    ))
    .into_response()
}

/// The path id, the query of `Op` and the body, or the refusal to answer.
macro_rules! read {
    ($op:ty, $query:ty, $path:expr, $uri:expr) => {{
        let id = match path_id($path) {
            Ok(id) => id,
            Err(rejection) => return rejection.into_response(),
        };
        if let Err(rejection) = parse_query::<$op, $query>(&$uri) {
            return rejection.into_response();
        }
        id
    }};
}

macro_rules! body {
    ($body:expr) => {
        match parse_json($body) {
            Ok(body) => body,
            Err(rejection) => return rejection.into_response(),
        }
    };
}

macro_rules! query {
    ($op:ty, $query:ty, $uri:expr) => {
        match parse_query::<$op, $query>(&$uri) {
            Ok(query) => query,
            Err(rejection) => return rejection.into_response(),
        }
    };
}

/// `GET /v1/assets/{assetId}`.
pub(crate) async fn get(
    State(app): State<Arc<App>>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
) -> Response {
    let id = read!(ops::GetAsset, ops::GetAssetQuery, path, uri);
    app.state
        .live_asset(&id)
        .map_or_else(|| not_found(&id), one)
}

/// `PUT /v1/assets/{assetId}`: a canvas change is kept as a snapshot unless
/// `disableSnapshot`.
pub(crate) async fn update(
    State(app): State<Arc<App>>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let id = read!(ops::UpdateAsset, ops::UpdateAssetQuery, path, uri);
    let request: AssetUpdateRequest = body!(body);
    let edit = AssetEdit {
        name: request.name,
        description: request.description,
        canvas: request.canvas,
        thumbnail: request.thumbnail,
        lock_id: request.lock_id,
        disable_snapshot: request.disable_snapshot.unwrap_or(false),
    };
    app.state
        .update_asset(&id, edit)
        .map_or_else(|e| refused(&id, e), one)
}

/// `DELETE /v1/assets`: ids that name no live asset are passed over.
pub(crate) async fn delete(
    State(app): State<Arc<App>>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let _: ops::DeleteAssetsQuery = query!(ops::DeleteAssets, ops::DeleteAssetsQuery, uri);
    let request: AssetIdsRequest = body!(body);
    if request.asset_ids.len() > MAX_DELETE {
        return api_error(
            StatusCode::BAD_REQUEST,
            format!(
                "assetIds takes at most {MAX_DELETE} ids, got {}",
                request.asset_ids.len()
            ),
        );
    }
    app.state.delete_assets(&request.asset_ids);
    Json(AssetDeleteResponse(serde_json::Map::new())).into_response()
}

/// `POST /v1/assets/restore`.
pub(crate) async fn restore(
    State(app): State<Arc<App>>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let _: ops::RestoreAssetsQuery = query!(ops::RestoreAssets, ops::RestoreAssetsQuery, uri);
    let request: AssetRestoreRequest = body!(body);
    let (restored, refused) = app.state.restore_assets(&request.asset_ids);
    let skipped: Vec<AssetRestoreSkipped> = refused
        .into_iter()
        .map(|(id, why)| {
            let reason = match why {
                RestoreRefusal::NotFound => AssetRestoreSkippedReason::NotFound,
                RestoreRefusal::NotDeleted => AssetRestoreSkippedReason::NotDeleted,
            };
            built(AssetRestoreSkipped::builder().asset_id(id).reason(reason))
        })
        .collect();
    let answer: AssetRestoreResponse = built(
        AssetRestoreResponse::builder()
            .restored_asset_ids(restored)
            .skipped_assets(skipped),
    );
    Json(answer).into_response()
}

/// `POST /v1/assets/get-bulk`: the live assets among the ids, unknown ones left out.
pub(crate) async fn get_bulk(
    State(app): State<Arc<App>>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let _: ops::GetAssetsBulkQuery = query!(ops::GetAssetsBulk, ops::GetAssetsBulkQuery, uri);
    let request: AssetGetBulkRequest = body!(body);
    let assets = app.state.assets_bulk(&request.asset_ids);
    Json(built::<AssetListBulkResponse, _>(
        AssetListBulkResponse::builder().assets(assets),
    ))
    .into_response()
}

/// `POST /v1/assets/{assetId}/copy`: into this project, whatever `targetProjectId` says.
pub(crate) async fn copy(
    State(app): State<Arc<App>>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let id = read!(ops::CopyAsset, ops::CopyAssetQuery, path, uri);
    let _: AssetCopyRequest = body!(body);
    app.state
        .copy_asset(&id)
        .map_or_else(|| not_found(&id), one)
}

/// `PUT /v1/assets/{assetId}/lock`.
pub(crate) async fn lock(
    State(app): State<Arc<App>>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let id = read!(ops::LockAsset, ops::LockAssetQuery, path, uri);
    let request: AssetLockRequest = body!(body);
    match app.state.lock_asset(&id, request.lock_expires_at) {
        Ok((asset, lock_id)) => {
            let answer: AssetLockResponse =
                built(AssetLockResponse::builder().asset(asset).lock_id(lock_id));
            Json(answer).into_response()
        }
        Err(error) => refused(&id, error),
    }
}

/// `PUT /v1/assets/{assetId}/unlock`.
pub(crate) async fn unlock(
    State(app): State<Arc<App>>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let id = read!(ops::UnlockAsset, ops::UnlockAssetQuery, path, uri);
    let request: AssetUnlockRequest = body!(body);
    app.state
        .unlock_asset(
            &id,
            request.lock_id.as_deref(),
            request.force_unlock.unwrap_or(false),
        )
        .map_or_else(|e| refused(&id, e), one)
}

/// `PUT /v1/assets/{assetId}/tags`.
pub(crate) async fn tags(
    State(app): State<Arc<App>>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let id = read!(ops::UpdateAssetTags, ops::UpdateAssetTagsQuery, path, uri);
    let request: AssetUpdateTagsRequest = body!(body);
    match app.state.update_tags(
        &id,
        &request.add,
        &request.delete,
        request.strict.unwrap_or(false),
    ) {
        Ok((added, deleted)) => {
            let answer: AssetUpdateTagsResponse = built(
                AssetUpdateTagsResponse::builder()
                    .added(added)
                    .deleted(deleted),
            );
            Json(answer).into_response()
        }
        Err(error) => refused(&id, error),
    }
}

/// `GET /v1/assets/{assetId}/snapshots`: newest first; the token is an offset.
pub(crate) async fn snapshots(
    State(app): State<Arc<App>>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
) -> Response {
    let id = match path_id(path) {
        Ok(id) => id,
        Err(rejection) => return rejection.into_response(),
    };
    let query: ops::ListAssetSnapshotsQuery =
        query!(ops::ListAssetSnapshots, ops::ListAssetSnapshotsQuery, uri);
    if let Err(error) = query.validate() {
        return api_error(StatusCode::BAD_REQUEST, error.to_string());
    }
    // A token the fake did not issue names no position: the listing is over.
    let offset = query.pagination_token.as_deref().map_or(0, |token| {
        token
            .strip_prefix("snapshots_")
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(usize::MAX)
    });
    let Some(all) = app.state.asset_snapshots(&id) else {
        return not_found(&id);
    };
    let size = query.page_size.map_or(SNAPSHOT_PAGE, |n| n as usize);
    let page: Vec<_> = all.iter().skip(offset).take(size).cloned().collect();
    let next =
        (offset.saturating_add(size) < all.len()).then(|| format!("snapshots_{}", offset + size));
    let answer: AssetSnapshotListResponse = built(
        AssetSnapshotListResponse::builder()
            .snapshots(page)
            .next_pagination_token(next),
    );
    Json(answer).into_response()
}

/// The MIME type and bytes of an image sent inline: a data URL or bare base64.
fn inline_image(image: &str) -> Result<(String, Vec<u8>), String> {
    let (mime, data) = match image.strip_prefix("data:") {
        Some(rest) => {
            let (header, data) = rest
                .split_once(',')
                .ok_or("image is a data URL without data")?;
            let mime = header
                .strip_suffix(";base64")
                .ok_or("image must be a base64 data URL")?;
            (mime.to_owned(), data)
        }
        None => ("image/png".to_owned(), image),
    };
    if !mime.starts_with("image/") {
        return Err(format!("image must be an image, got {mime}"));
    }
    // The document declares no format for `image`: text the fake cannot decode is
    // kept as it is, as the asset's bytes.
    let bytes = STANDARD
        .decode(data.trim())
        .unwrap_or_else(|_| data.as_bytes().to_vec());
    if bytes.len() > MAX_INLINE_IMAGE {
        return Err(format!(
            "image is over {MAX_INLINE_IMAGE} bytes: upload it with POST /uploads"
        ));
    }
    Ok((mime, bytes))
}

/// `POST /v1/assets`: an image sent inline, or a canvas.
pub(crate) async fn create(
    State(app): State<Arc<App>>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let _: ops::CreateAssetQuery = query!(ops::CreateAsset, ops::CreateAssetQuery, uri);
    let request: AssetCreateRequest = body!(body);
    let (mime, size) = match (&request.image, &request.canvas) {
        (Some(image), _) => match inline_image(image) {
            Ok((mime, bytes)) => (mime, bytes.len() as u64),
            Err(message) => return api_error(StatusCode::BAD_REQUEST, message),
        },
        (None, Some(canvas)) => ("application/json".to_owned(), canvas.len() as u64),
        // Neither is required: the asset is an empty image.
        (None, None) => ("image/png".to_owned(), 0),
    };
    let asset = app.state.create_asset(
        request.name,
        mime,
        size,
        request.parent_id,
        request.collection_ids,
        request.hide.unwrap_or(false),
    );
    Json(built::<AssetCreateResponse, _>(
        AssetCreateResponse::builder().asset(asset),
    ))
    .into_response()
}

/// `POST /v1/assets/{assetId}/download`: `targetFormat` only for images.
pub(crate) async fn download(
    State(app): State<Arc<App>>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let id = read!(
        ops::RequestAssetDownload,
        ops::RequestAssetDownloadQuery,
        path,
        uri
    );
    let request: AssetDownloadRequest = body!(body);
    let Some(asset) = app.state.live_asset(&id) else {
        return not_found(&id);
    };
    if let Some(format) = &request.target_format {
        if format.is_unrecognized() {
            return api_error(
                StatusCode::BAD_REQUEST,
                format!("targetFormat {format} is not supported"),
            );
        }
        if asset.kind != AssetKind::Image {
            return api_error(StatusCode::BAD_REQUEST, "targetFormat is only for images");
        }
    }
    let format = request.target_format.as_ref().map(|f| f.as_str());
    let answer: AssetDownloadResponse = built(
        AssetDownloadResponse::builder()
            .url(app.state.download_url(&asset, format))
            .mime_type(asset.mime_type.clone()),
    );
    Json(answer).into_response()
}

/// `POST /v1/assets/download`: an archive job; a dry run (269) starts none.
pub(crate) async fn download_batch(
    State(app): State<Arc<App>>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let query: ops::RequestAssetsDownloadQuery = query!(
        ops::RequestAssetsDownload,
        ops::RequestAssetsDownloadQuery,
        uri
    );
    let request: AssetsDownloadRequest = body!(body);
    let wanted = &request.query;
    let count = wanted.asset_ids.len() + wanted.inference_ids.len() + wanted.model_ids.len();
    if count > MAX_ARCHIVE {
        return api_error(
            StatusCode::BAD_REQUEST,
            format!("An archive takes at most {MAX_ARCHIVE} assets"),
        );
    }
    let input = match serde_json::to_value(&request) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    // A dry run answers the id of the job it would start, and starts nothing.
    if query.dry_run.is_some() {
        let job = app.state.dry_run_job(JobType::AssetsDownload, input);
        return (
            StatusCode::from_u16(269).unwrap_or(StatusCode::OK),
            Json(built::<AssetsDownloadResponse, _>(
                AssetsDownloadResponse::builder().job_id(job.job_id),
            )),
        )
            .into_response();
    }
    let plan = match wanted
        .asset_ids
        .iter()
        .find(|id| app.state.live_asset(id).is_none())
    {
        Some(id) => Plan::Failure(format!("Asset {id} not found")),
        None => Plan::Archive,
    };
    let job = app
        .state
        .start_job(JobType::AssetsDownload, input, plan, false);
    Json(built::<AssetsDownloadResponse, _>(
        AssetsDownloadResponse::builder().job_id(job.job_id),
    ))
    .into_response()
}

/// `GET /v1/assets/download/{jobId}`.
pub(crate) async fn download_status(
    State(app): State<Arc<App>>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
) -> Response {
    let id = read!(
        ops::GetAssetsDownload,
        ops::GetAssetsDownloadQuery,
        path,
        uri
    );
    let Some((job, url)) = app.state.archive(&id) else {
        return api_error(
            StatusCode::NOT_FOUND,
            format!("Download job {id} not found"),
        );
    };
    let answer: AssetsDownloadStatusResponse = built(
        AssetsDownloadStatusResponse::builder()
            .job_id(job.job_id)
            .job_status(job.status.to_string())
            .download_url(url),
    );
    Json(answer).into_response()
}

/// Registers this area's handlers, one per operation.
pub(crate) fn register(handlers: &mut Handlers) {
    handlers
        .on(OperationId::GetAsset, get)
        .on(OperationId::UpdateAsset, update)
        .on(OperationId::DeleteAssets, delete)
        .on(OperationId::CreateAsset, create)
        .on(OperationId::RestoreAssets, restore)
        .on(OperationId::GetAssetsBulk, get_bulk)
        .on(OperationId::CopyAsset, copy)
        .on(OperationId::LockAsset, lock)
        .on(OperationId::UnlockAsset, unlock)
        .on(OperationId::UpdateAssetTags, tags)
        .on(OperationId::ListAssetSnapshots, snapshots)
        .on(OperationId::RequestAssetDownload, download)
        .on(OperationId::RequestAssetsDownload, download_batch)
        .on(OperationId::GetAssetsDownload, download_status);
}
