//! `/v1/collections...`: collections (create, retrieve, update, delete, list) and
//! their membership of assets and models; the state layer keeps both sides
//! (`state::collections`).

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
    AssetIdsRequest, Collection, CollectionCreateRequest, CollectionListResponse,
    CollectionModelsRequest, CollectionResponse, CollectionUpdateRequest, EmptyResponse,
};

use crate::builders::built;
use crate::http::app::App;
use crate::http::extract::{body_of, id_of, query_of};
use crate::http::models::{offset_token, page_of};
use crate::http::responses::api_error;
use crate::http::routes::Handlers;
use crate::state::collections::CollectionError;

/// A page of collections when the request names no size.
const PAGE_SIZE: usize = 50;

type IdPath = Result<Path<String>, PathRejection>;
type Body = Result<Bytes, BytesRejection>;

fn refused(id: &str, error: CollectionError) -> Response {
    let missing = |message: String| api_error(StatusCode::NOT_FOUND, message);
    match error {
        CollectionError::Missing => missing(format!("Collection {id} not found")),
        CollectionError::Asset(asset) => missing(format!("Asset {asset} not found")),
        CollectionError::Model(model) => missing(format!("Model {model} not found")),
    }
}

fn one(collection: Collection) -> Response {
    Json(built::<CollectionResponse, _>(
        CollectionResponse::builder().collection(collection),
    ))
    .into_response()
}

fn answer(result: Result<Collection, CollectionError>, id: &str) -> Response {
    result.map_or_else(|error| refused(id, error), one)
}

/// `POST /v1/collections`.
pub(crate) async fn create(State(app): State<Arc<App>>, uri: Uri, body: Body) -> Response {
    let _: ops::CreateCollectionQuery = query_of!(ops::CreateCollection, uri);
    let request: CollectionCreateRequest = body_of!(body);
    if request.name.trim().is_empty() {
        return api_error(StatusCode::BAD_REQUEST, "name must not be empty");
    }
    one(app.state.create_collection(request.name))
}

/// `GET /v1/collections`: newest first; the token is the offset of the next page.
pub(crate) async fn list(State(app): State<Arc<App>>, uri: Uri) -> Response {
    let query: ops::ListCollectionsQuery = query_of!(ops::ListCollections, uri);
    if let Err(error) = query.validate() {
        return api_error(StatusCode::BAD_REQUEST, error.to_string());
    }
    let offset = offset_token("collections", query.pagination_token.as_deref());
    let size = query.page_size.map_or(PAGE_SIZE, |n| n as usize);
    let (page, next) = page_of(&app.state.collections(), "collections", offset, size);
    Json(built::<CollectionListResponse, _>(
        CollectionListResponse::builder()
            .collections(page)
            .next_pagination_token(next),
    ))
    .into_response()
}

/// `GET /v1/collections/{collectionId}`.
pub(crate) async fn get(State(app): State<Arc<App>>, path: IdPath, uri: Uri) -> Response {
    let id = id_of!(path);
    let _: ops::GetCollectionQuery = query_of!(ops::GetCollection, uri);
    app.state
        .collection(&id)
        .map_or_else(|| refused(&id, CollectionError::Missing), one)
}

/// `PUT /v1/collections/{collectionId}`.
pub(crate) async fn update(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let _: ops::UpdateCollectionQuery = query_of!(ops::UpdateCollection, uri);
    let request: CollectionUpdateRequest = body_of!(body);
    answer(
        app.state
            .update_collection(&id, request.name, request.thumbnail),
        &id,
    )
}

/// `DELETE /v1/collections/{collectionId}`: its assets and models stay.
pub(crate) async fn delete(State(app): State<Arc<App>>, path: IdPath, uri: Uri) -> Response {
    let id = id_of!(path);
    let _: ops::DeleteCollectionQuery = query_of!(ops::DeleteCollection, uri);
    match app.state.delete_collection(&id) {
        Ok(()) => Json(EmptyResponse::from(serde_json::Map::new())).into_response(),
        Err(error) => refused(&id, error),
    }
}

/// `PUT /v1/collections/{collectionId}/assets`.
pub(crate) async fn add_assets(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let _: ops::AddCollectionAssetsQuery = query_of!(ops::AddCollectionAssets, uri);
    let request: AssetIdsRequest = body_of!(body);
    answer(
        app.state.collection_assets(&id, &request.asset_ids, true),
        &id,
    )
}

/// `DELETE /v1/collections/{collectionId}/assets`.
pub(crate) async fn remove_assets(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let _: ops::RemoveCollectionAssetsQuery = query_of!(ops::RemoveCollectionAssets, uri);
    let request: AssetIdsRequest = body_of!(body);
    answer(
        app.state.collection_assets(&id, &request.asset_ids, false),
        &id,
    )
}

/// `PUT /v1/collections/{collectionId}/models`.
pub(crate) async fn add_models(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let _: ops::AddCollectionModelsQuery = query_of!(ops::AddCollectionModels, uri);
    let request: CollectionModelsRequest = body_of!(body);
    answer(
        app.state.collection_models(&id, &request.model_ids, true),
        &id,
    )
}

/// `DELETE /v1/collections/{collectionId}/models`.
pub(crate) async fn remove_models(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let _: ops::RemoveCollectionModelsQuery = query_of!(ops::RemoveCollectionModels, uri);
    let request: CollectionModelsRequest = body_of!(body);
    answer(
        app.state.collection_models(&id, &request.model_ids, false),
        &id,
    )
}

/// Registers this area's handlers, one per operation.
pub(crate) fn register(handlers: &mut Handlers) {
    handlers
        .on(OperationId::ListCollections, list)
        .on(OperationId::CreateCollection, create)
        .on(OperationId::GetCollection, get)
        .on(OperationId::UpdateCollection, update)
        .on(OperationId::DeleteCollection, delete)
        .on(OperationId::AddCollectionAssets, add_assets)
        .on(OperationId::RemoveCollectionAssets, remove_assets)
        .on(OperationId::AddCollectionModels, add_models)
        .on(OperationId::RemoveCollectionModels, remove_models);
}
