//! Uploads: `POST /v1/uploads`, `GET /v1/uploads/{uploadId}`,
//! `POST /v1/uploads/{uploadId}/action`, and how uploads reach their final state.
//!
//! Transitions are applied lazily: an upload whose validation delay has passed is
//! moved on by the next request or inspection that looks at uploads or assets, so
//! no timer task runs and a paused tokio clock is honoured.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State as Shared};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use scenario_api::types::{
    AssetKind, Upload, UploadAction, UploadCreateRequest, UploadCreateResponse, UploadKind,
    UploadProvider, UploadRetrieveResponse, UploadSource, UploadStatus, UploadTriggerActionRequest,
    UploadTriggerActionResponse,
};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::assets::NewAsset;
use crate::clock::{iso, millis};
use crate::inspect::{PartReceipt, UploadReceipt};
use crate::responses::{Rejection, api_error};
use crate::server::{State, lock, write};
use crate::storage::sign_parts;

/// The most parts a multipart upload can have (S3's limit).
pub(crate) const MAX_PARTS: u32 = 10_000;

/// Every upload, in creation order, and the transitions still to apply.
#[derive(Debug, Default)]
pub(crate) struct UploadStore {
    entries: HashMap<String, UploadEntry>,
    order: Vec<String>,
    due: Vec<(Instant, String)>,
}

#[derive(Debug)]
struct UploadEntry {
    /// The upload as the API shows it, without part URLs.
    upload: Upload,
    parts: BTreeMap<u32, StoredPart>,
    /// Bytes are kept for the receipt (fileSize within the retain limit).
    retain: bool,
    transition: Option<Transition>,
}

/// One part the storage received.
#[derive(Debug)]
pub(crate) struct StoredPart {
    pub(crate) size: u64,
    pub(crate) sha256: String,
    /// The bytes, as received, when the upload retains them.
    pub(crate) chunks: Option<Vec<Bytes>>,
    pub(crate) puts: u32,
}

#[derive(Debug)]
struct Transition {
    at: Instant,
    wall_ms: u64,
    outcome: Outcome,
}

#[derive(Debug)]
enum Outcome {
    Done {
        status: UploadStatus,
        entity_id: String,
        asset: Option<NewAsset>,
    },
    Failed(String),
}

/// Where a part PUT may go.
pub(crate) enum PartSlot {
    /// The upload is pending and has this part; `retain` says whether to keep bytes.
    Open { retain: bool },
    /// No pending multipart upload with this id and part number.
    Closed,
}

impl UploadStore {
    pub(crate) fn snapshot(&self, id: &str) -> Option<Upload> {
        self.entries.get(id).map(|entry| entry.upload.clone())
    }

    pub(crate) fn snapshots(&self) -> Vec<Upload> {
        self.order
            .iter()
            .filter_map(|id| self.snapshot(id))
            .collect()
    }

    /// Whether a part PUT can be accepted now.
    pub(crate) fn part_slot(&self, id: &str, number: u32) -> PartSlot {
        match self.entries.get(id) {
            Some(entry)
                if entry.upload.status == UploadStatus::Pending
                    && entry.upload.source == UploadSource::Multipart
                    && entry.upload.parts_count.is_some_and(|n| number <= n) =>
            {
                PartSlot::Open {
                    retain: entry.retain,
                }
            }
            _ => PartSlot::Closed,
        }
    }

    /// Stores a received part, replacing an earlier one with the same number.
    /// `false` if the upload is no longer pending.
    pub(crate) fn store_part(&mut self, id: &str, number: u32, mut part: StoredPart) -> bool {
        let Some(entry) = self.entries.get_mut(id) else {
            return false;
        };
        if entry.upload.status != UploadStatus::Pending {
            return false;
        }
        part.puts = entry.parts.get(&number).map_or(1, |old| old.puts + 1);
        entry.parts.insert(number, part);
        true
    }

    fn insert(&mut self, entry: UploadEntry) {
        let id = entry.upload.id.clone();
        if let Some(transition) = &entry.transition {
            self.due.push((transition.at, id.clone()));
        }
        self.order.push(id.clone());
        self.entries.insert(id, entry);
    }
}

/// `delay` from now (a century at most).
fn later(delay: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(delay)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 86_400)))
        .unwrap_or(now)
}

/// Applies the transitions whose time has come.
pub(crate) fn advance(state: &State) {
    let now = Instant::now();
    let mut uploads = lock(&state.uploads);
    if !uploads.due.iter().any(|(at, _)| *at <= now) {
        return;
    }
    let mut ready = Vec::new();
    uploads.due.retain(|(at, id)| {
        if *at <= now {
            ready.push(id.clone());
            false
        } else {
            true
        }
    });
    let mut assets = write(&state.assets);
    for id in ready {
        let Some(entry) = uploads.entries.get_mut(&id) else {
            continue;
        };
        let Some(transition) = entry.transition.take() else {
            continue;
        };
        entry.upload.updated_at = iso(transition.wall_ms);
        match transition.outcome {
            Outcome::Done {
                status,
                entity_id,
                asset,
            } => {
                if let Some(asset) = asset {
                    let stored = asset.build(&assets, &state.identity);
                    assets.insert(stored);
                }
                entry.upload.status = status;
                entry.upload.entity_id = Some(entity_id);
            }
            Outcome::Failed(message) => {
                entry.upload.status = UploadStatus::Failed;
                entry.upload.error_message = Some(message);
            }
        }
        tracing::debug!(upload = %id, status = %entry.upload.status, "upload finished");
    }
}

/// What an upload received.
pub(crate) fn receipt(state: &State, id: &str) -> Option<UploadReceipt> {
    let (mut receipt, chunks) = {
        let uploads = lock(&state.uploads);
        let entry = uploads.entries.get(id)?;
        let parts: Vec<PartReceipt> = entry
            .parts
            .iter()
            .map(|(&number, part)| PartReceipt {
                number,
                size: part.size,
                sha256: part.sha256.clone(),
                puts: part.puts,
            })
            .collect();
        let receipt = UploadReceipt {
            upload_id: id.to_owned(),
            status: entry.upload.status.clone(),
            file_size: entry.upload.file_size,
            parts_count: entry.upload.parts_count,
            total_bytes: parts.iter().map(|p| p.size).sum(),
            parts,
            bytes: None,
            sha256: None,
        };
        let chunks: Option<Vec<Bytes>> = if receipt.has_all_parts() {
            entry
                .parts
                .values()
                .map(|part| part.chunks.clone())
                .collect::<Option<Vec<Vec<Bytes>>>>()
                .map(|parts| parts.into_iter().flatten().collect())
        } else {
            None
        };
        (receipt, chunks)
    };
    if let Some(chunks) = chunks {
        let mut file = Vec::with_capacity(usize::try_from(receipt.total_bytes).unwrap_or(0));
        for chunk in &chunks {
            file.extend_from_slice(chunk);
        }
        receipt.sha256 = Some(format!("{:x}", Sha256::digest(&file)));
        receipt.bytes = Some(Bytes::from(file));
    }
    Some(receipt)
}

// ---- handlers -----------------------------------------------------------------------

/// Parses a JSON body into one of the API's types; the error names the field.
fn parse_json<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, Rejection> {
    let body =
        body.map_err(|rejection| Rejection::new(rejection.status(), rejection.body_text()))?;
    let mut deserializer = serde_json::Deserializer::from_slice(&body);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    let value = parsed.map_err(|error| {
        let path = error.path().to_string();
        let message = if error.inner().is_syntax() || error.inner().is_eof() {
            format!("The body is not valid JSON: {}", error.inner())
        } else if path == "." {
            format!(
                "The body is not valid JSON for this request: {}",
                error.inner()
            )
        } else {
            format!("{path}: {}", error.inner())
        };
        Rejection::new(StatusCode::BAD_REQUEST, message)
    })?;
    deserializer.end().map_err(|error| {
        Rejection::new(
            StatusCode::BAD_REQUEST,
            format!("The body is not valid JSON: {error}"),
        )
    })?;
    Ok(value)
}

fn upload_id(path: Result<Path<String>, PathRejection>) -> Result<String, Rejection> {
    path.map(|Path(id)| id)
        .map_err(|rejection| Rejection::new(StatusCode::BAD_REQUEST, rejection.body_text()))
}

fn not_found(id: &str) -> Response {
    api_error(StatusCode::NOT_FOUND, format!("Upload {id} not found"))
}

/// The kinds an upload can have ("text" is newer than the generated enum).
fn kind_is_known(kind: &UploadKind) -> bool {
    !kind.is_unrecognized() || kind.as_str() == "text"
}

/// The asset kind an upload kind produces, if it produces an asset.
fn asset_kind(kind: &UploadKind) -> Option<AssetKind> {
    match kind {
        UploadKind::Image | UploadKind::Asset => Some(AssetKind::Image),
        UploadKind::X3d => Some(AssetKind::X3d),
        UploadKind::Audio => Some(AssetKind::Audio),
        UploadKind::Video => Some(AssetKind::Video),
        _ => None,
    }
}

/// What a create request asks for.
enum Plan {
    Multipart {
        file_name: String,
        content_type: String,
        file_size: u64,
        parts: u32,
        kind: UploadKind,
    },
    Url {
        url: String,
        kind: UploadKind,
    },
    HuggingFace {
        name: String,
        kind: UploadKind,
    },
    Civitai {
        url: String,
        kind: UploadKind,
    },
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn plan(request: &UploadCreateRequest) -> Result<Plan, String> {
    if let Some(kind) = &request.kind
        && !kind_is_known(kind)
    {
        return Err(format!(
            "kind must be one of: 3d, asset, audio, avatar, image, model, text, video (got \"{}\")",
            kind.as_str()
        ));
    }
    let url = non_empty(&request.url);
    let hugging_face = non_empty(&request.hugging_face_model_name);
    let civitai = non_empty(&request.civitai_model_url);
    let imports = [url.is_some(), hugging_face.is_some(), civitai.is_some()]
        .into_iter()
        .filter(|set| *set)
        .count();
    if imports > 1 {
        return Err("Set only one of url, huggingFaceModelName and civitaiModelUrl".into());
    }
    if imports == 1 && request.parts.is_some() {
        return Err(
            "parts is only for multipart uploads: an import (url, huggingFaceModelName, civitaiModelUrl) has no parts"
                .into(),
        );
    }
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
        _ => Err(format!(
            "A multipart upload needs fileName, contentType, fileSize, kind and parts (or set url, huggingFaceModelName or civitaiModelUrl to import); missing: {}",
            missing.join(", ")
        )),
    }
}

/// The last non-empty path segment of a URL, or `fallback`.
fn file_name_of(url: &str, fallback: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|parsed| {
            parsed
                .path_segments()
                .and_then(|mut segments| segments.rfind(|s| !s.is_empty()).map(str::to_owned))
        })
        .unwrap_or_else(|| fallback.to_owned())
}

fn http_url(url: &str) -> Option<url::Url> {
    url::Url::parse(url)
        .ok()
        .filter(|parsed| matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some())
}

/// `POST /v1/uploads`.
pub(crate) async fn create(
    Shared(state): Shared<Arc<State>>,
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
    let id = state.new_id("upload");
    let now_ms = state.clock.now_ms();
    let delay = state.config.validation_delay;
    let finish_at = later(delay);
    let finish_wall_ms = now_ms.saturating_add(millis(delay));
    let options = request.asset_options.clone().unwrap_or_default();
    let new_asset = |kind: AssetKind, name: String, mime_type: String, size: u64| NewAsset {
        id: state.new_id("asset"),
        kind,
        name,
        mime_type,
        size,
        parent_id: options.parent_id.clone(),
        collection_ids: options.collection_ids.clone(),
        hidden: options.hide.unwrap_or(false),
        created_ms: finish_wall_ms,
    };
    let mut upload = Upload {
        asset_options: request.asset_options.clone(),
        author_id: state.identity.author_id.clone(),
        config: None,
        content_type: None,
        created_at: iso(now_ms),
        entity_id: None,
        error_message: None,
        file_name: String::new(),
        file_size: None,
        id: id.clone(),
        job_id: None,
        kind: UploadKind::Model,
        original_file_name: None,
        owner_id: state.identity.owner_id.clone(),
        parts: Vec::new(),
        parts_count: None,
        provider: None,
        source: UploadSource::Multipart,
        status: UploadStatus::Pending,
        updated_at: iso(now_ms),
        url: None,
    };
    let outcome = match plan {
        Plan::Multipart {
            file_name,
            content_type,
            file_size,
            parts,
            kind,
        } => {
            upload.file_name = file_name.clone();
            upload.original_file_name = Some(file_name);
            upload.content_type = Some(content_type);
            upload.file_size = Some(file_size);
            upload.parts_count = Some(parts);
            upload.kind = kind;
            None
        }
        Plan::Url { url, kind } => {
            upload.file_name = file_name_of(&url, "download");
            upload.source = UploadSource::Url;
            upload.url = Some(url.clone());
            let outcome = if http_url(&url).is_none() {
                Outcome::Failed(format!(
                    "Could not import {url}: only http and https URLs can be imported"
                ))
            } else if let Some(asset_kind) = asset_kind(&kind) {
                let mime = mime_guess::from_path(&upload.file_name)
                    .first_raw()
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                upload.content_type = Some(mime.clone());
                let asset = new_asset(asset_kind, upload.file_name.clone(), mime, 0);
                Outcome::Done {
                    status: UploadStatus::Imported,
                    entity_id: asset.id.clone(),
                    asset: Some(asset),
                }
            } else {
                Outcome::Done {
                    status: UploadStatus::Imported,
                    entity_id: state.new_id("model"),
                    asset: None,
                }
            };
            upload.kind = kind;
            Some(outcome)
        }
        Plan::HuggingFace { name, kind } => {
            upload.file_name = name.clone();
            upload.source = UploadSource::Huggingface;
            upload.provider = Some(UploadProvider::Huggingface);
            upload.kind = kind;
            let well_formed = name.split_once('/').is_some_and(|(owner, model)| {
                !owner.is_empty()
                    && !model.is_empty()
                    && !model.contains('/')
                    && !name.contains(char::is_whitespace)
            });
            Some(if well_formed {
                Outcome::Done {
                    status: UploadStatus::Imported,
                    entity_id: state.new_id("model"),
                    asset: None,
                }
            } else {
                Outcome::Failed(format!(
                    "Could not import {name}: huggingFaceModelName must look like \"owner/model\""
                ))
            })
        }
        Plan::Civitai { url, kind } => {
            upload.file_name = file_name_of(&url, "civitai-model");
            upload.source = UploadSource::Civitai;
            upload.provider = Some(UploadProvider::Civitai);
            upload.url = Some(url.clone());
            upload.kind = kind;
            let on_civitai = http_url(&url)
                .and_then(|parsed| parsed.host_str().map(str::to_owned))
                .is_some_and(|host| host == "civitai.com" || host.ends_with(".civitai.com"));
            Some(if on_civitai {
                Outcome::Done {
                    status: UploadStatus::Imported,
                    entity_id: state.new_id("model"),
                    asset: None,
                }
            } else {
                Outcome::Failed(format!(
                    "Could not import {url}: civitaiModelUrl must be a civitai.com model URL"
                ))
            })
        }
    };
    let retain = upload
        .file_size
        .is_some_and(|size| size <= state.config.retain_limit);
    let mut response = upload.clone();
    if let Some(count) = upload.parts_count {
        response.parts = sign_parts(&state, &id, count);
    }
    lock(&state.uploads).insert(UploadEntry {
        upload,
        parts: BTreeMap::new(),
        retain,
        transition: outcome.map(|outcome| Transition {
            at: finish_at,
            wall_ms: finish_wall_ms,
            outcome,
        }),
    });
    Json(UploadCreateResponse { upload: response }).into_response()
}

/// `GET /v1/uploads/{uploadId}`: a pending multipart upload comes with freshly
/// signed part URLs.
pub(crate) async fn get(
    Shared(state): Shared<Arc<State>>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let id = match upload_id(path) {
        Ok(id) => id,
        Err(rejection) => return rejection.into_response(),
    };
    advance(&state);
    let Some(mut upload) = lock(&state.uploads).snapshot(&id) else {
        return not_found(&id);
    };
    if upload.status == UploadStatus::Pending
        && upload.source == UploadSource::Multipart
        && let Some(count) = upload.parts_count
    {
        upload.parts = sign_parts(&state, &id, count);
    }
    Json(UploadRetrieveResponse { upload }).into_response()
}

/// `POST /v1/uploads/{uploadId}/action` with `{"action": "complete"}`.
pub(crate) async fn action(
    Shared(state): Shared<Arc<State>>,
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
    advance(&state);
    let now_ms = state.clock.now_ms();
    let delay = state.config.validation_delay;
    let mut uploads = lock(&state.uploads);
    let Some(entry) = uploads.entries.get_mut(&id) else {
        return not_found(&id);
    };
    if entry.upload.status != UploadStatus::Pending {
        return api_error(
            StatusCode::CONFLICT,
            format!(
                "Upload {id} is {}: only a pending upload can be completed",
                entry.upload.status
            ),
        );
    }
    if entry.upload.source != UploadSource::Multipart {
        return api_error(
            StatusCode::BAD_REQUEST,
            format!(
                "Upload {id} is a {} import: only multipart uploads are completed, imports finish on their own",
                entry.upload.source
            ),
        );
    }
    let count = entry.upload.parts_count.unwrap_or(0);
    let missing: Vec<u32> = (1..=count)
        .filter(|n| !entry.parts.contains_key(n))
        .collect();
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(20).map(u32::to_string).collect();
        let more = if missing.len() > shown.len() {
            format!(" and {} more", missing.len() - shown.len())
        } else {
            String::new()
        };
        return api_error(
            StatusCode::BAD_REQUEST,
            format!(
                "Cannot complete upload {id}: missing parts {}{more} (of {count})",
                shown.join(", ")
            ),
        );
    }
    let finish_wall_ms = now_ms.saturating_add(millis(delay));
    let outcome = match validate(entry, state.config.min_part_size) {
        Err(message) => Outcome::Failed(message),
        Ok(total) => match asset_kind(&entry.upload.kind) {
            Some(kind) => {
                let options = entry.upload.asset_options.clone().unwrap_or_default();
                let asset = NewAsset {
                    id: state.new_id("asset"),
                    kind,
                    name: entry.upload.file_name.clone(),
                    mime_type: entry.upload.content_type.clone().unwrap_or_default(),
                    size: total,
                    parent_id: options.parent_id,
                    collection_ids: options.collection_ids,
                    hidden: options.hide.unwrap_or(false),
                    created_ms: finish_wall_ms,
                };
                Outcome::Done {
                    status: UploadStatus::Complete,
                    entity_id: asset.id.clone(),
                    asset: Some(asset),
                }
            }
            None => Outcome::Done {
                status: UploadStatus::Complete,
                entity_id: state.new_id("model"),
                asset: None,
            },
        },
    };
    let at = later(delay);
    entry.upload.status = UploadStatus::Validating;
    entry.upload.updated_at = iso(now_ms);
    entry.transition = Some(Transition {
        at,
        wall_ms: finish_wall_ms,
        outcome,
    });
    let upload = entry.upload.clone();
    uploads.due.push((at, id));
    drop(uploads);
    Json(UploadTriggerActionResponse { upload }).into_response()
}

/// The size rules S3 applies when a multipart upload is completed, and Scenario's
/// check of the announced size. Returns the total size.
fn validate(entry: &UploadEntry, min_part_size: u64) -> Result<u64, String> {
    let count = entry.upload.parts_count.unwrap_or(0);
    for (&number, part) in &entry.parts {
        if number < count && part.size < min_part_size {
            return Err(format!(
                "Part {number} is {} bytes, below the minimum part size of {min_part_size} bytes: every part but the last must be at least {min_part_size} bytes (EntityTooSmall)",
                part.size
            ));
        }
    }
    let total: u64 = entry.parts.values().map(|part| part.size).sum();
    match entry.upload.file_size {
        Some(file_size) if file_size == total => Ok(total),
        Some(file_size) => Err(format!(
            "The uploaded parts add up to {total} bytes but fileSize is {file_size} bytes"
        )),
        None => Ok(total),
    }
}
