//! What the asset and job endpoints do to the stores: edits, deletion and
//! restoration, locks, tags, snapshots, copies, new assets, and the jobs that
//! generations and archives run as (announced to the webhook endpoints).

use scenario_api::types::{
    Asset, AssetKind, AssetQualityGate, AssetSnapshot, AssetSource, AssetType, Job, JobType,
    WebhookEventType,
};
use sha2::{Digest, Sha256};

use crate::builders::built;
use crate::clock::{iso, millis};
use crate::state::State;
use crate::state::assets::{NewAsset, RestoreRefusal, StoredAsset};
use crate::state::content::{self, Content};
use crate::state::jobs::{self, CancelError, NewJob, Outcome};
use crate::state::scoped::notify;

/// Asset fields an update may change (`None`: unchanged).
#[derive(Debug, Default)]
pub(crate) struct AssetEdit {
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) canvas: Option<String>,
    pub(crate) thumbnail: Option<String>,
    pub(crate) lock_id: Option<String>,
    pub(crate) disable_snapshot: bool,
}

/// Why an asset cannot be changed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum EditError {
    NotFound,
    /// Locked under another lock id (or none was given).
    Locked,
    /// A strict tag update met a tag already there (add) or missing (delete).
    Tag(String),
}

/// An asset a generation makes when its job succeeds.
#[derive(Debug)]
pub(crate) struct Generated {
    pub(crate) type_: AssetType,
    pub(crate) source: AssetSource,
    pub(crate) parent_id: Option<String>,
    pub(crate) model_id: Option<String>,
    pub(crate) prompt: Option<String>,
}

/// What a job will make.
#[derive(Debug)]
pub(crate) enum Plan {
    Assets(Vec<Generated>),
    Archive,
    Nothing,
    Failure(String),
}

impl State {
    pub(crate) fn live_asset(&self, id: &str) -> Option<Asset> {
        self.stores().assets.get(id)
    }

    pub(crate) fn update_asset(&self, id: &str, edit: AssetEdit) -> Result<Asset, EditError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        let assets = &mut stores.assets;
        if assets.get(id).is_none() {
            return Err(EditError::NotFound);
        }
        if let Some(lock) = assets.lock_id(id)
            && edit.lock_id.as_deref() != Some(lock)
        {
            return Err(EditError::Locked);
        }
        let canvas = edit.canvas.clone();
        let (asset, ()) = assets
            .update(id, now_ms, |asset| {
                let meta = &mut asset.metadata;
                if let Some(name) = edit.name {
                    meta.name = Some(name);
                }
                if let Some(description) = edit.description {
                    asset.description = Some(description);
                }
                if let Some(thumbnail) = edit.thumbnail {
                    let url = format!("{}?thumbnail", asset.url);
                    asset.thumbnail = Some(super::assets::frame(thumbnail, url));
                }
            })
            .ok_or(EditError::NotFound)?;
        if let Some(canvas) = canvas.filter(|_| !edit.disable_snapshot) {
            let snapshot = built(
                AssetSnapshot::builder()
                    .author_id(self.identity.author_id.clone())
                    .hash(hex_digest(canvas.as_bytes()))
                    .raw_data(canvas)
                    .taken_at(now_ms as f64),
            );
            stores.assets.add_snapshot(id, snapshot);
        }
        Ok(asset)
    }

    /// Keeps a quality gate score on a live asset.
    pub(crate) fn score_asset(&self, id: &str, gate: AssetQualityGate) -> Option<Asset> {
        let now_ms = self.clock.now_ms();
        let (asset, ()) = self
            .stores()
            .assets
            .update(id, now_ms, |asset| asset.quality_gate = Some(gate))?;
        Some(asset)
    }

    /// Deletes assets; answers the ids that were live (and are now deleted).
    pub(crate) fn delete_assets(&self, ids: &[String]) -> Vec<String> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        ids.iter()
            .filter(|id| stores.assets.delete(id, now_ms))
            .cloned()
            .collect()
    }

    /// Restores deleted assets: the restored ids, and each refused id with why.
    pub(crate) fn restore_assets(
        &self,
        ids: &[String],
    ) -> (Vec<String>, Vec<(String, RestoreRefusal)>) {
        let mut stores = self.stores();
        let mut restored = Vec::new();
        let mut refused = Vec::new();
        for id in ids {
            match stores.assets.restore(id) {
                Ok(()) => restored.push(id.clone()),
                Err(why) => refused.push((id.clone(), why)),
            }
        }
        (restored, refused)
    }

    /// The live assets among `ids`, in their order.
    pub(crate) fn assets_bulk(&self, ids: &[String]) -> Vec<Asset> {
        let stores = self.stores();
        ids.iter().filter_map(|id| stores.assets.get(id)).collect()
    }

    /// A copy of a live asset under a new id.
    pub(crate) fn copy_asset(&self, id: &str) -> Option<Asset> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        let mut asset = stores.assets.get(id)?;
        let new_id = stores.ids.next("asset");
        asset.url = asset.url.replace(id, &new_id);
        asset.id = new_id;
        asset.created_at = iso(now_ms);
        asset.updated_at = iso(now_ms);
        asset.metadata.copied_at = Some(iso(now_ms));
        asset.metadata.original_asset_id = Some(id.to_owned());
        stores.assets.insert(StoredAsset {
            asset: asset.clone(),
            created_ms: now_ms,
            updated_ms: now_ms,
        });
        Some(asset)
    }

    /// Locks an asset until `expires_at`; answers the asset and the new lock id.
    pub(crate) fn lock_asset(
        &self,
        id: &str,
        expires_at: String,
    ) -> Result<(Asset, String), EditError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        if stores.assets.get(id).is_none() {
            return Err(EditError::NotFound);
        }
        if stores.assets.lock_id(id).is_some() {
            return Err(EditError::Locked);
        }
        let lock_id = stores.ids.next("lock");
        let (asset, ()) = stores
            .assets
            .update(id, now_ms, |asset| {
                asset.metadata.lock_expires_at = Some(expires_at);
            })
            .ok_or(EditError::NotFound)?;
        stores.assets.set_lock(id, Some(lock_id.clone()));
        Ok((asset, lock_id))
    }

    pub(crate) fn unlock_asset(
        &self,
        id: &str,
        lock_id: Option<&str>,
        force: bool,
    ) -> Result<Asset, EditError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        if stores.assets.get(id).is_none() {
            return Err(EditError::NotFound);
        }
        if let Some(current) = stores.assets.lock_id(id)
            && !force
            && lock_id != Some(current)
        {
            return Err(EditError::Locked);
        }
        stores.assets.set_lock(id, None);
        let (asset, ()) = stores
            .assets
            .update(id, now_ms, |asset| asset.metadata.lock_expires_at = None)
            .ok_or(EditError::NotFound)?;
        Ok(asset)
    }

    /// Adds and removes tags; answers the tags actually added and removed.
    pub(crate) fn update_tags(
        &self,
        id: &str,
        add: &[String],
        delete: &[String],
        strict: bool,
    ) -> Result<(Vec<String>, Vec<String>), EditError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        let current = stores.assets.get(id).ok_or(EditError::NotFound)?.tags;
        if strict {
            if let Some(tag) = add.iter().find(|tag| current.contains(tag)) {
                return Err(EditError::Tag(format!(
                    "Tag \"{tag}\" is already on the asset"
                )));
            }
            if let Some(tag) = delete.iter().find(|tag| !current.contains(tag)) {
                return Err(EditError::Tag(format!("Tag \"{tag}\" is not on the asset")));
            }
        }
        let (_, changes) = stores
            .assets
            .update(id, now_ms, |asset| {
                let mut added = Vec::new();
                for tag in add {
                    if !asset.tags.contains(tag) && !added.contains(tag) {
                        asset.tags.push(tag.clone());
                        added.push(tag.clone());
                    }
                }
                let mut deleted = Vec::new();
                asset.tags.retain(|tag| {
                    let gone = delete.contains(tag);
                    if gone {
                        deleted.push(tag.clone());
                    }
                    !gone
                });
                (added, deleted)
            })
            .ok_or(EditError::NotFound)?;
        Ok(changes)
    }

    /// The snapshots of a live asset, newest first.
    pub(crate) fn asset_snapshots(&self, id: &str) -> Option<Vec<AssetSnapshot>> {
        let stores = self.stores();
        stores.assets.get(id)?;
        Some(stores.assets.snapshots(id))
    }

    /// A new image asset of `size` bytes (what POST /assets makes).
    pub(crate) fn create_asset(
        &self,
        name: String,
        mime_type: String,
        size: u64,
        parent_id: Option<String>,
        collection_ids: Vec<String>,
        hidden: bool,
    ) -> Asset {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        let id = stores.ids.next("asset");
        let stored = NewAsset {
            id,
            kind: AssetKind::Image,
            name,
            mime_type,
            size,
            parent_id,
            collection_ids,
            hidden,
            created_ms: now_ms,
        }
        .build(&stores.assets, &self.identity);
        let asset = stored.asset.clone();
        stores.assets.insert(stored);
        asset
    }

    /// Starts a job; what it makes appears when it succeeds.
    pub(crate) fn start_job(
        &self,
        job_type: JobType,
        input: serde_json::Map<String, serde_json::Value>,
        plan: Plan,
        cancelable: bool,
    ) -> Job {
        let now_ms = self.clock.now_ms();
        let done_ms = now_ms.saturating_add(millis(self.settings.validation_delay));
        let mut stores = self.stores();
        let id = stores.ids.next("job");
        let event = match plan {
            Plan::Archive => WebhookEventType::AssetDownloadCreated,
            _ => WebhookEventType::GenerationCreated,
        };
        let outcome = match plan {
            Plan::Nothing => Outcome::Nothing,
            Plan::Failure(why) => Outcome::Failure(why),
            Plan::Archive => Outcome::Archive(format!(
                "{}/archives/{}/{id}.zip",
                self.identity.cdn_base, self.identity.owner_id
            )),
            Plan::Assets(made) => Outcome::Assets(
                made.into_iter()
                    .enumerate()
                    .map(|(index, generated)| {
                        let asset_id = stores.ids.next("asset");
                        let size = content::generated_size(&asset_id);
                        let mut stored = NewAsset {
                            id: asset_id,
                            kind: AssetKind::Image,
                            name: format!("{id}-{index}"),
                            mime_type: "image/png".into(),
                            size,
                            parent_id: generated.parent_id,
                            collection_ids: Vec::new(),
                            hidden: false,
                            created_ms: done_ms,
                        }
                        .build(&stores.assets, &self.identity);
                        let asset = &mut stored.asset;
                        asset.source = generated.source;
                        asset.metadata.type_ = generated.type_;
                        asset.metadata.model_id = generated.model_id;
                        asset.metadata.prompt = generated.prompt;
                        asset.metadata.parent_job_id = Some(id.clone());
                        asset.metadata.output_index = u32::try_from(index).ok();
                        asset.output_index = u32::try_from(index).ok();
                        stored
                    })
                    .collect(),
            ),
        };
        let new = NewJob {
            id,
            job_type,
            input,
            outcome,
            cancelable,
            now_ms,
        };
        let job = stores.jobs.create(new, &self.identity);
        // The project's and the team's webhook endpoints hear of the new job.
        if let Ok(payload) = serde_json::to_value(&job) {
            notify(
                &mut stores,
                &self.identity.owner_id,
                &event,
                &payload,
                now_ms,
            );
        }
        job
    }

    /// The job a dry run would start: as it would be queued, and never stored (its
    /// id names no job).
    pub(crate) fn dry_run_job(
        &self,
        job_type: JobType,
        input: serde_json::Map<String, serde_json::Value>,
    ) -> Job {
        let now_ms = self.clock.now_ms();
        let id = self.stores().ids.next("job");
        jobs::queued(&id, job_type, input, now_ms, &self.identity)
    }

    pub(crate) fn job(&self, id: &str) -> Option<Job> {
        self.stores().jobs.get(id)
    }

    /// Every job `keep` lets through, newest first.
    pub(crate) fn jobs(&self, keep: impl Fn(&Job) -> bool) -> Vec<Job> {
        self.stores().jobs.newest_first(keep)
    }

    pub(crate) fn cancel_job(&self, id: &str) -> Result<Job, CancelError> {
        let now_ms = self.clock.now_ms();
        self.stores().jobs.cancel(id, now_ms)
    }

    /// An archive job and its URL once it succeeded.
    pub(crate) fn archive(&self, job_id: &str) -> Option<(Job, Option<String>)> {
        let stores = self.stores();
        let job = stores.jobs.get(job_id)?;
        (job.job_type == JobType::AssetsDownload).then(|| (job, stores.jobs.download_url(job_id)))
    }

    /// The archive an archive job made, once it succeeded.
    pub(crate) fn archive_content(&self, job_id: &str) -> Option<Content> {
        self.stores().jobs.download_url(job_id)?;
        Some(Content::made_up(
            &format!("{job_id}.zip"),
            4 * content::generated_size(job_id),
        ))
    }

    /// A signed-looking URL of an asset's file, in `format` when given.
    pub(crate) fn download_url(&self, asset: &Asset, format: Option<&str>) -> String {
        let extension = format.unwrap_or_else(|| {
            asset
                .url
                .rsplit('.')
                .next()
                .filter(|ext| !ext.contains('/'))
                .unwrap_or("bin")
        });
        let base = self.identity.file_url(&asset.id, extension);
        format!(
            "{base}?download=1&expires={}",
            self.clock.now_ms() / 1000 + 3600
        )
    }
}

/// The SHA-256 of `bytes`, in hex.
fn hex_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
