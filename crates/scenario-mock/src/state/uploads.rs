//! Uploads: the store and their life cycle. A multipart upload is `pending` until
//! completed, then `validating` until its delay passes, then `complete` (creating
//! its asset) or `failed`; an import is `pending` until its delay passes, then
//! `imported` or `failed`.
//!
//! A transition is due at an instant rather than run by a timer task, so a paused
//! tokio clock is honoured; `State` applies the due ones before anything reads or
//! changes the stores.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bytes::Bytes;
use scenario_api::types::{
    AssetKind, AssetOptions, Upload, UploadKind, UploadProvider, UploadSource, UploadStatus,
};
use tokio::time::Instant;

use crate::builders::built;
use crate::clock::{iso, millis};
use crate::ids::Ids;
use crate::state::assets::{AssetStore, Identity, NewAsset};
use crate::state::receipts::{PartReceipt, UploadReceipt};

/// The most parts a multipart upload can have (S3's limit).
pub(crate) const MAX_PARTS: u32 = 10_000;

/// S3's largest part.
pub(crate) const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// The rules uploads follow.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// What every part but the last must reach.
    pub(crate) min_part_size: u64,
    /// How long validation (and an import) takes.
    pub(crate) validation_delay: Duration,
    /// Uploads whose `fileSize` is at most this keep their bytes for the receipt.
    pub(crate) retain_limit: u64,
}

/// What an upload operation draws on besides the upload store.
pub(crate) struct Context<'a> {
    pub(crate) ids: &'a mut Ids,
    pub(crate) identity: &'a Identity,
    pub(crate) settings: &'a Settings,
    pub(crate) now_ms: u64,
}

/// What a create request asks for, once checked.
#[derive(Debug)]
pub(crate) enum Plan {
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
    /// A multipart upload without all it needs: failed from the start, `why`.
    Incomplete {
        file_name: Option<String>,
        content_type: Option<String>,
        file_size: Option<u64>,
        kind: Option<UploadKind>,
        why: String,
    },
}

/// Why an upload cannot be completed.
#[derive(Debug)]
pub(crate) enum CompleteError {
    NotFound,
    NotPending(UploadStatus),
    /// Imports finish on their own.
    Import(UploadSource),
    MissingParts {
        missing: Vec<u32>,
        count: u32,
    },
}

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

/// `delay` from now (a century at most).
fn later(delay: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(delay)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 86_400)))
        .unwrap_or(now)
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

/// An import that produces no listable asset, only an entity id.
fn imported_model(ids: &mut Ids) -> Outcome {
    Outcome::Done {
        status: UploadStatus::Imported,
        entity_id: ids.next("model"),
        asset: None,
    }
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

    /// Creates an upload (without part URLs); an import is already on its way to
    /// its outcome.
    pub(crate) fn create(
        &mut self,
        plan: Plan,
        asset_options: Option<AssetOptions>,
        cx: Context<'_>,
    ) -> Upload {
        let Context {
            ids,
            identity,
            settings,
            now_ms,
        } = cx;
        let id = ids.next("upload");
        let delay = settings.validation_delay;
        let finish_at = later(delay);
        let finish_wall_ms = now_ms.saturating_add(millis(delay));
        let options = asset_options.clone().unwrap_or_default();
        let new_asset =
            |ids: &mut Ids, kind: AssetKind, name: String, mime_type: String| NewAsset {
                id: ids.next("asset"),
                kind,
                name,
                mime_type,
                size: 0,
                parent_id: options.parent_id.clone(),
                collection_ids: options.collection_ids.clone(),
                hidden: options.hide.unwrap_or(false),
                created_ms: finish_wall_ms,
            };
        let upload = Upload::builder()
            .asset_options(asset_options.clone())
            .author_id(identity.author_id.clone())
            .created_at(iso(now_ms))
            .id(id.clone())
            .owner_id(identity.owner_id.clone())
            .status(UploadStatus::Pending)
            .updated_at(iso(now_ms));
        let (upload, outcome) = match plan {
            Plan::Multipart {
                file_name,
                content_type,
                file_size,
                parts,
                kind,
            } => {
                let upload = upload
                    .file_name(file_name.clone())
                    .original_file_name(file_name)
                    .content_type(content_type)
                    .file_size(file_size)
                    .parts_count(parts)
                    .kind(kind)
                    .source(UploadSource::Multipart);
                (upload, None)
            }
            Plan::Incomplete {
                file_name,
                content_type,
                file_size,
                kind,
                why,
            } => {
                let upload = upload
                    .file_name(file_name.clone().unwrap_or_default())
                    .original_file_name(file_name)
                    .content_type(content_type)
                    .file_size(file_size)
                    .kind(kind.unwrap_or(UploadKind::Asset))
                    .source(UploadSource::Multipart)
                    .status(UploadStatus::Failed)
                    .error_message(why);
                (upload, None)
            }
            Plan::Url { url, kind } => {
                let file_name = file_name_of(&url, "download");
                let mut upload = upload
                    .file_name(file_name.clone())
                    .source(UploadSource::Url)
                    .url(url.clone());
                let outcome = if http_url(&url).is_none() {
                    Outcome::Failed(format!(
                        "Could not import {url}: only http and https URLs can be imported"
                    ))
                } else if let Some(asset_kind) = asset_kind(&kind) {
                    let mime = mime_guess::from_path(&file_name)
                        .first_raw()
                        .unwrap_or("application/octet-stream")
                        .to_owned();
                    upload = upload.content_type(mime.clone());
                    let asset = new_asset(ids, asset_kind, file_name, mime);
                    Outcome::Done {
                        status: UploadStatus::Imported,
                        entity_id: asset.id.clone(),
                        asset: Some(asset),
                    }
                } else {
                    imported_model(ids)
                };
                (upload.kind(kind), Some(outcome))
            }
            Plan::HuggingFace { name, kind } => {
                let upload = upload
                    .file_name(name.clone())
                    .source(UploadSource::Huggingface)
                    .provider(UploadProvider::Huggingface)
                    .kind(kind);
                let well_formed = name.split_once('/').is_some_and(|(owner, model)| {
                    !owner.is_empty()
                        && !model.is_empty()
                        && !model.contains('/')
                        && !name.contains(char::is_whitespace)
                });
                let outcome = if well_formed {
                    imported_model(ids)
                } else {
                    Outcome::Failed(format!(
                        "Could not import {name}: huggingFaceModelName must look like \"owner/model\""
                    ))
                };
                (upload, Some(outcome))
            }
            Plan::Civitai { url, kind } => {
                let upload = upload
                    .file_name(file_name_of(&url, "civitai-model"))
                    .source(UploadSource::Civitai)
                    .provider(UploadProvider::Civitai)
                    .url(url.clone())
                    .kind(kind);
                let on_civitai = http_url(&url)
                    .and_then(|parsed| parsed.host_str().map(str::to_owned))
                    .is_some_and(|host| host == "civitai.com" || host.ends_with(".civitai.com"));
                let outcome = if on_civitai {
                    imported_model(ids)
                } else {
                    Outcome::Failed(format!(
                        "Could not import {url}: civitaiModelUrl must be a civitai.com model URL"
                    ))
                };
                (upload, Some(outcome))
            }
        };
        let upload: Upload = built(upload);
        let retain = upload
            .file_size
            .is_some_and(|size| size <= settings.retain_limit);
        let entry = UploadEntry {
            upload: upload.clone(),
            parts: BTreeMap::new(),
            retain,
            transition: outcome.map(|outcome| Transition {
                at: finish_at,
                wall_ms: finish_wall_ms,
                outcome,
            }),
        };
        if let Some(transition) = &entry.transition {
            self.due.push((transition.at, id.clone()));
        }
        self.order.push(id.clone());
        self.entries.insert(id, entry);
        upload
    }

    /// Starts validating a pending multipart upload whose parts have all arrived;
    /// whether it will pass is decided now, and shown once the delay has passed.
    pub(crate) fn complete(&mut self, id: &str, cx: Context<'_>) -> Result<Upload, CompleteError> {
        let Context {
            ids,
            settings,
            now_ms,
            ..
        } = cx;
        let entry = self.entries.get_mut(id).ok_or(CompleteError::NotFound)?;
        if entry.upload.status != UploadStatus::Pending {
            return Err(CompleteError::NotPending(entry.upload.status.clone()));
        }
        if entry.upload.source != UploadSource::Multipart {
            return Err(CompleteError::Import(entry.upload.source.clone()));
        }
        let count = entry.upload.parts_count.unwrap_or(0);
        let missing: Vec<u32> = (1..=count)
            .filter(|n| !entry.parts.contains_key(n))
            .collect();
        if !missing.is_empty() {
            return Err(CompleteError::MissingParts { missing, count });
        }
        let delay = settings.validation_delay;
        let finish_wall_ms = now_ms.saturating_add(millis(delay));
        let outcome = match validate(entry, settings.min_part_size) {
            Err(message) => Outcome::Failed(message),
            Ok(total) => match asset_kind(&entry.upload.kind) {
                Some(kind) => {
                    let options = entry.upload.asset_options.clone().unwrap_or_default();
                    let asset = NewAsset {
                        id: ids.next("asset"),
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
                    entity_id: ids.next("model"),
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
        self.due.push((at, id.to_owned()));
        Ok(upload)
    }

    /// Applies the transitions due by `now`; finished uploads add their assets.
    pub(crate) fn apply_due(&mut self, now: Instant, assets: &mut AssetStore, identity: &Identity) {
        if !self.due.iter().any(|(at, _)| *at <= now) {
            return;
        }
        let mut ready = Vec::new();
        self.due.retain(|(at, id)| {
            if *at <= now {
                ready.push(id.clone());
                false
            } else {
                true
            }
        });
        for id in ready {
            let Some(entry) = self.entries.get_mut(&id) else {
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
                        let stored = asset.build(assets, identity);
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

    /// What an upload received, and the chunks of its file when they were all kept
    /// (cheap clones: putting them together is left to the caller, outside the lock).
    pub(crate) fn receipt(&self, id: &str) -> Option<(UploadReceipt, Option<Vec<Bytes>>)> {
        let entry = self.entries.get(id)?;
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
        let chunks = if receipt.has_all_parts() {
            entry
                .parts
                .values()
                .map(|part| part.chunks.clone())
                .collect::<Option<Vec<Vec<Bytes>>>>()
                .map(|parts| parts.into_iter().flatten().collect())
        } else {
            None
        };
        Some((receipt, chunks))
    }

    /// The bytes of the upload that made asset `asset_id`, when they were kept.
    pub(crate) fn kept_file(&self, asset_id: &str) -> Option<Bytes> {
        let (id, _) = self
            .entries
            .iter()
            .find(|(_, entry)| entry.upload.entity_id.as_deref() == Some(asset_id))?;
        let (_, chunks) = self.receipt(id)?;
        let chunks = chunks?;
        let mut file = bytes::BytesMut::with_capacity(chunks.iter().map(Bytes::len).sum());
        for chunk in &chunks {
            file.extend_from_slice(chunk);
        }
        Some(file.freeze())
    }
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
