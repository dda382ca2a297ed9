//! The state layer: assets, uploads, jobs, models, collections, workflows,
//! projects and the team, and what the storage received, with the clock and the
//! ids they use. It knows nothing of HTTP.
//!
//! Every store sits behind one lock, reached only through `State::stores`, which
//! first applies the upload transitions that are due: no lock order to respect, and
//! no caller can see an upload (or miss an asset) that should already have moved on.

pub(crate) mod assets;
pub(crate) mod catalog;
pub(crate) mod collections;
pub(crate) mod content;
pub(crate) mod jobs;
pub(crate) mod models;
pub(crate) mod projects;
pub(crate) mod receipts;
pub(crate) mod scoped;
pub(crate) mod search;
pub(crate) mod seed;
pub(crate) mod teams;
pub(crate) mod uploads;
pub(crate) mod workflows;

use std::sync::{Mutex, MutexGuard};

use scenario_api::types::{Asset, AssetOptions, Upload};
use tokio::time::Instant;

use crate::clock::Clock;
use crate::ids::Ids;
use crate::state::assets::{AssetStore, Identity, ListQuery};
use crate::state::collections::CollectionStore;
use crate::state::content::Content;
use crate::state::jobs::JobStore;
use crate::state::models::ModelStore;
use crate::state::projects::ProjectStore;
use crate::state::receipts::UploadReceipt;
use crate::state::teams::TeamStore;
use crate::state::uploads::{
    CompleteError, Context, PartSlot, Plan, Settings, StoredPart, UploadStore,
};
use crate::state::workflows::WorkflowStore;
use crate::sync::lock;

/// The fake's data and what it is made with.
pub(crate) struct State {
    /// The wall clock timestamps and part URL expiries come from.
    pub(crate) clock: Clock,
    identity: Identity,
    settings: Settings,
    stores: Mutex<Stores>,
}

/// Everything that changes, behind [`State`]'s one lock.
struct Stores {
    assets: AssetStore,
    uploads: UploadStore,
    jobs: JobStore,
    ids: Ids,
    models: ModelStore,
    collections: CollectionStore,
    workflows: WorkflowStore,
    projects: ProjectStore,
    team: TeamStore,
}

impl State {
    /// The seeded catalogue (the same seed gives the same assets and ids) and no
    /// uploads yet.
    pub(crate) fn new(seed: u64, assets: usize, settings: Settings, cdn_base: &str) -> Self {
        let seed::Seeded {
            identity,
            assets: seeded,
            models: seeded_models,
        } = seed::seed(seed, assets, cdn_base);
        let clock = Clock::default();
        let mut projects = ProjectStore::default();
        let team = TeamStore::seeded(
            &identity.author_id,
            &identity.owner_id,
            &mut projects,
            clock.now_ms(),
        );
        Self {
            clock,
            identity,
            settings,
            stores: Mutex::new(Stores {
                assets: AssetStore::from_assets(seeded),
                uploads: UploadStore::default(),
                jobs: JobStore::default(),
                ids: Ids::with_seed(seed ^ 0x0001_D50F_5CE4_A410),
                models: ModelStore::seeded(seeded_models),
                collections: CollectionStore::default(),
                workflows: WorkflowStore::default(),
                projects,
                team,
            }),
        }
    }

    /// The only way to the stores: locked, with every due transition (of uploads and
    /// jobs) applied.
    fn stores(&self) -> MutexGuard<'_, Stores> {
        let mut stores = lock(&self.stores);
        let Stores {
            assets,
            uploads,
            jobs,
            ..
        } = &mut *stores;
        let now = Instant::now();
        uploads.apply_due(now, assets, &self.identity);
        jobs.advance(now, self.settings.validation_delay, assets);
        stores
    }

    fn context<'a>(&'a self, ids: &'a mut Ids) -> Context<'a> {
        Context {
            ids,
            identity: &self.identity,
            settings: &self.settings,
            now_ms: self.clock.now_ms(),
        }
    }

    /// Creates an upload (see [`UploadStore::create`]).
    pub(crate) fn create_upload(&self, plan: Plan, asset_options: Option<AssetOptions>) -> Upload {
        let mut stores = self.stores();
        let Stores { uploads, ids, .. } = &mut *stores;
        uploads.create(plan, asset_options, self.context(ids))
    }

    /// Completes an upload (see [`UploadStore::complete`]).
    pub(crate) fn complete_upload(&self, id: &str) -> Result<Upload, CompleteError> {
        let mut stores = self.stores();
        let Stores { uploads, ids, .. } = &mut *stores;
        uploads.complete(id, self.context(ids))
    }

    pub(crate) fn upload(&self, id: &str) -> Option<Upload> {
        self.stores().uploads.snapshot(id)
    }

    pub(crate) fn uploads(&self) -> Vec<Upload> {
        self.stores().uploads.snapshots()
    }

    pub(crate) fn asset(&self, id: &str) -> Option<Asset> {
        self.stores().assets.get(id)
    }

    /// What the CDN serves for asset `asset_id` in the format `extension`, and
    /// its MIME type: what the upload sent when it was kept and the format is the
    /// asset's own, else a made-up file of the asset's size.
    pub(crate) fn file_content(
        &self,
        asset_id: &str,
        extension: &str,
    ) -> Option<(Content, String)> {
        let stores = self.stores();
        let asset = stores.assets.get(asset_id)?;
        let own = assets::extension(&asset.mime_type) == extension;
        let content = own
            .then(|| stores.uploads.kept_file(asset_id))
            .flatten()
            .map_or_else(
                || Content::made_up(&format!("{asset_id}.{extension}"), asset.properties.size),
                Content::Kept,
            );
        let mime_type = if own {
            asset.mime_type
        } else {
            mime_guess::from_ext(extension)
                .first_raw()
                .unwrap_or("application/octet-stream")
                .to_owned()
        };
        Some((content, mime_type))
    }

    pub(crate) fn asset_count(&self) -> usize {
        self.stores().assets.len()
    }

    /// One page of assets and the token of the next one.
    pub(crate) fn list_assets(&self, query: &ListQuery) -> (Vec<Asset>, Option<String>) {
        self.stores().assets.page(query)
    }

    pub(crate) fn part_slot(&self, upload_id: &str, number: u32) -> PartSlot {
        self.stores().uploads.part_slot(upload_id, number)
    }

    /// Stores a part; `false` if its upload stopped being pending meanwhile.
    pub(crate) fn store_part(&self, upload_id: &str, number: u32, part: StoredPart) -> bool {
        self.stores().uploads.store_part(upload_id, number, part)
    }

    /// What an upload received; the file is put together after the lock is released.
    pub(crate) fn upload_receipt(&self, id: &str) -> Option<UploadReceipt> {
        let (receipt, chunks) = self.stores().uploads.receipt(id)?;
        Some(match chunks {
            Some(chunks) => receipt.with_file(&chunks),
            None => receipt,
        })
    }
}
