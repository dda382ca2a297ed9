//! `POST /v1/uploads`, `GET /v1/uploads/{uploadId}` and
//! `POST /v1/uploads/{uploadId}/action`: request parsing and the answers; the life
//! cycle itself is the state layer's.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use scenario_api::ops::OperationId;
use scenario_api::types::{
    UploadAction, UploadCreateRequest, UploadCreateResponse, UploadKind, UploadRetrieveResponse,
    UploadSource, UploadStatus, UploadTriggerActionRequest, UploadTriggerActionResponse,
};

use crate::builders::built;
use crate::http::app::App;
use crate::http::request::parse_json;
use crate::http::responses::{Rejection, api_error};
use crate::http::routes::Handlers;
use crate::http::signing::sign_parts;
use crate::state::uploads::{CompleteError, MAX_PARTS, Plan};

fn upload_id(path: Result<Path<String>, PathRejection>) -> Result<String, Rejection> {
    path.map(|Path(id)| id)
        .map_err(|rejection| Rejection::new(StatusCode::BAD_REQUEST, rejection.body_text()))
}

fn not_found(id: &str) -> Response {
    api_error(StatusCode::NOT_FOUND, format!("Upload {id} not found"))
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// What a create request asks for, or why it is refused.
fn plan(request: &UploadCreateRequest) -> Result<Plan, String> {
    if let Some(kind) = &request.kind
        && kind.is_unrecognized()
    {
        return Err(format!(
            "kind must be one of: {} (got \"{}\")",
            UploadKind::VALUES.join(", "),
            kind.as_str()
        ));
    }
    let url = non_empty(&request.url);
    let hugging_face = non_empty(&request.hugging_face_model_name);
    let civitai = non_empty(&request.civitai_model_url);
    // An import takes one source; when several are set, huggingFaceModelName
    // wins (the document: it needs no other field), then civitaiModelUrl, then
    // url, and an import ignores the multipart fields.
    if let Some(name) = hugging_face {
        let kind = request.kind.clone().unwrap_or(UploadKind::Model);
        return Ok(Plan::HuggingFace { name, kind });
    }
    if let Some(url) = civitai {
        let kind = request.kind.clone().unwrap_or(UploadKind::Model);
        return Ok(Plan::Civitai { url, kind });
    }
    if let Some(url) = url {
        let kind = request
            .kind
            .clone()
            .ok_or("kind is required with url: set the kind of the file to import")?;
        return Ok(Plan::Url { url, kind });
    }
    let file_name = non_empty(&request.file_name);
    let content_type = non_empty(&request.content_type);
    let mut missing = Vec::new();
    if file_name.is_none() {
        missing.push("fileName");
    }
    if content_type.is_none() {
        missing.push("contentType");
    }
    if request.file_size.is_none() {
        missing.push("fileSize");
    }
    if request.kind.is_none() {
        missing.push("kind");
    }
    if request.parts.is_none() {
        missing.push("parts");
    }
    match (
        file_name,
        content_type,
        request.file_size,
        request.kind.clone(),
        request.parts,
    ) {
        (Some(file_name), Some(content_type), Some(file_size), Some(kind), Some(parts)) => {
            if !(1..=MAX_PARTS).contains(&parts) {
                return Err(format!(
                    "parts must be between 1 and {MAX_PARTS} (got {parts})"
                ));
            }
            Ok(Plan::Multipart {
                file_name,
                content_type,
                file_size,
                parts,
                kind,
            })
        }
        // The document requires none of them: the upload is made, and fails at
        // once saying what a multipart upload needs.
        (file_name, content_type, file_size, kind, _) => Ok(Plan::Incomplete {
            file_name,
            content_type,
            file_size,
            kind,
            why: format!(
                "A multipart upload needs fileName, contentType, fileSize, kind and parts (or set url, huggingFaceModelName or civitaiModelUrl to import); missing: {}",
                missing.join(", ")
            ),
        }),
    }
}

/// `POST /v1/uploads`.
pub(crate) async fn create(
    State(app): State<Arc<App>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let request: UploadCreateRequest = match parse_json(body) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    let plan = match plan(&request) {
        Ok(plan) => plan,
        Err(message) => return api_error(StatusCode::BAD_REQUEST, message),
    };
    let mut upload = app.state.create_upload(plan, request.asset_options);
    if let Some(count) = upload.parts_count {
        upload.parts = sign_parts(&app, &upload.id, count);
    }
    let created: UploadCreateResponse = built(UploadCreateResponse::builder().upload(upload));
    Json(created).into_response()
}

/// `GET /v1/uploads/{uploadId}`: a pending multipart upload comes with freshly
/// signed part URLs.
pub(crate) async fn get(
    State(app): State<Arc<App>>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let id = match upload_id(path) {
        Ok(id) => id,
        Err(rejection) => return rejection.into_response(),
    };
    let Some(mut upload) = app.state.upload(&id) else {
        return not_found(&id);
    };
    if upload.status == UploadStatus::Pending
        && upload.source == UploadSource::Multipart
        && let Some(count) = upload.parts_count
    {
        upload.parts = sign_parts(&app, &id, count);
    }
    let retrieved: UploadRetrieveResponse = built(UploadRetrieveResponse::builder().upload(upload));
    Json(retrieved).into_response()
}

/// `POST /v1/uploads/{uploadId}/action` with `{"action": "complete"}`.
pub(crate) async fn action(
    State(app): State<Arc<App>>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let id = match upload_id(path) {
        Ok(id) => id,
        Err(rejection) => return rejection.into_response(),
    };
    let request: UploadTriggerActionRequest = match parse_json(body) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    if request.action != UploadAction::Complete {
        return api_error(
            StatusCode::BAD_REQUEST,
            format!(
                "action must be one of: complete (got \"{}\")",
                request.action.as_str()
            ),
        );
    }
    match app.state.complete_upload(&id) {
        Ok(upload) => {
            let answer: UploadTriggerActionResponse =
                built(UploadTriggerActionResponse::builder().upload(upload));
            Json(answer).into_response()
        }
        Err(refusal) => refused(&id, refusal),
    }
}

/// Why an upload cannot be completed, in the service's words.
fn refused(id: &str, refusal: CompleteError) -> Response {
    match refusal {
        CompleteError::NotFound => not_found(id),
        CompleteError::NotPending(status) => api_error(
            StatusCode::CONFLICT,
            format!("Upload {id} is {status}: only a pending upload can be completed"),
        ),
        CompleteError::Import(source) => api_error(
            StatusCode::BAD_REQUEST,
            format!(
                "Upload {id} is a {source} import: only multipart uploads are completed, imports finish on their own"
            ),
        ),
        CompleteError::MissingParts { missing, count } => {
            let shown: Vec<String> = missing.iter().take(20).map(u32::to_string).collect();
            let more = if missing.len() > shown.len() {
                format!(" and {} more", missing.len() - shown.len())
            } else {
                String::new()
            };
            api_error(
                StatusCode::BAD_REQUEST,
                format!(
                    "Cannot complete upload {id}: missing parts {}{more} (of {count})",
                    shown.join(", ")
                ),
            )
        }
    }
}

/// Registers this area's handlers, one per operation.
pub(crate) fn register(handlers: &mut Handlers) {
    handlers
        .on(OperationId::CreateUpload, create)
        .on(OperationId::GetUpload, get)
        .on(OperationId::TriggerUploadAction, action);
}
