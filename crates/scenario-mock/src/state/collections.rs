//! Collections: named sets of assets and models. Membership is kept on both sides:
//! the collection counts its members, and each asset and model lists its
//! collections in `collectionIds`.

use std::collections::{BTreeSet, HashMap};

use scenario_api::types::{AssetFrame, Collection};

use crate::builders::built;
use crate::clock::iso;
use crate::state::{State, Stores};

/// Why a collection request is refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CollectionError {
    /// The collection does not exist.
    Missing,
    /// This asset does not exist.
    Asset(String),
    /// This model does not exist.
    Model(String),
}

#[derive(Debug)]
struct CollectionEntry {
    collection: Collection,
    assets: BTreeSet<String>,
    models: BTreeSet<String>,
}

impl CollectionEntry {
    /// The collection with its counts as they are now.
    fn snapshot(&self) -> Collection {
        let mut collection = self.collection.clone();
        // Counts stay far below 2^53: the conversions are exact.
        #[allow(clippy::cast_precision_loss)]
        {
            collection.asset_count = self.assets.len() as f64;
            collection.model_count = self.models.len() as f64;
            collection.item_count = (self.assets.len() + self.models.len()) as f64;
        }
        collection
    }
}

/// Every collection, in creation order.
#[derive(Debug, Default)]
pub(crate) struct CollectionStore {
    entries: HashMap<String, CollectionEntry>,
    order: Vec<String>,
}

impl CollectionStore {
    pub(crate) fn exists(&self, id: &str) -> bool {
        self.entries.contains_key(id)
    }

    /// Adds (or removes) a model; `false` if the collection does not exist.
    pub(crate) fn set_model(&mut self, id: &str, model: &str, add: bool, now_ms: u64) -> bool {
        let Some(entry) = self.entries.get_mut(id) else {
            return false;
        };
        if add {
            entry.models.insert(model.to_owned());
        } else {
            entry.models.remove(model);
        }
        entry.collection.updated_at = iso(now_ms);
        true
    }
}

impl State {
    pub(crate) fn create_collection(&self, name: String) -> Collection {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        let id = stores.ids.next("coll");
        let collection: Collection = built(
            Collection::builder()
                .id(id.clone())
                .name(name)
                .owner_id(self.identity.owner_id.clone())
                .created_at(iso(now_ms))
                .updated_at(iso(now_ms))
                .asset_count(0.0)
                .model_count(0.0)
                .item_count(0.0),
        );
        stores.collections.order.push(id.clone());
        stores.collections.entries.insert(
            id,
            CollectionEntry {
                collection: collection.clone(),
                assets: BTreeSet::new(),
                models: BTreeSet::new(),
            },
        );
        collection
    }

    pub(crate) fn collection(&self, id: &str) -> Option<Collection> {
        self.stores()
            .collections
            .entries
            .get(id)
            .map(CollectionEntry::snapshot)
    }

    /// Every collection, newest first (creation order, reversed).
    pub(crate) fn collections(&self) -> Vec<Collection> {
        let stores = self.stores();
        stores
            .collections
            .order
            .iter()
            .rev()
            .filter_map(|id| stores.collections.entries.get(id))
            .map(CollectionEntry::snapshot)
            .collect()
    }

    /// Renames a collection or sets its thumbnail (an asset of the project).
    pub(crate) fn update_collection(
        &self,
        id: &str,
        name: Option<String>,
        thumbnail: Option<String>,
    ) -> Result<Collection, CollectionError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        let Stores {
            collections,
            assets,
            ..
        } = &mut *stores;
        let frame = match thumbnail {
            Some(asset_id) => {
                let asset = assets
                    .get(&asset_id)
                    .ok_or(CollectionError::Asset(asset_id))?;
                Some(built::<AssetFrame, _>(
                    AssetFrame::builder().asset_id(asset.id).url(asset.url),
                ))
            }
            None => None,
        };
        let entry = collections
            .entries
            .get_mut(id)
            .ok_or(CollectionError::Missing)?;
        if let Some(name) = name {
            entry.collection.name = name;
        }
        if frame.is_some() {
            entry.collection.thumbnail = frame;
        }
        entry.collection.updated_at = iso(now_ms);
        Ok(entry.snapshot())
    }

    /// Deletes a collection; its assets and models stay, out of it.
    pub(crate) fn delete_collection(&self, id: &str) -> Result<(), CollectionError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        let entry = stores
            .collections
            .entries
            .remove(id)
            .ok_or(CollectionError::Missing)?;
        stores.collections.order.retain(|other| other != id);
        for asset in &entry.assets {
            stores.assets.update(asset, now_ms, |asset| {
                asset.collection_ids.retain(|c| c != id);
            });
        }
        stores.models.drop_collection(id);
        Ok(())
    }

    /// Adds (or removes) assets: every id must be a live asset; one already in
    /// (or already out) is no error.
    pub(crate) fn collection_assets(
        &self,
        id: &str,
        asset_ids: &[String],
        add: bool,
    ) -> Result<Collection, CollectionError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        let Stores {
            collections,
            assets,
            ..
        } = &mut *stores;
        let entry = collections
            .entries
            .get_mut(id)
            .ok_or(CollectionError::Missing)?;
        if let Some(missing) = asset_ids.iter().find(|asset| assets.get(asset).is_none()) {
            return Err(CollectionError::Asset(missing.clone()));
        }
        for asset_id in asset_ids {
            let changed = if add {
                entry.assets.insert(asset_id.clone())
            } else {
                entry.assets.remove(asset_id)
            };
            if changed {
                assets.update(asset_id, now_ms, |asset| {
                    asset.collection_ids.retain(|c| c != id);
                    if add {
                        asset.collection_ids.push(id.to_owned());
                    }
                });
            }
        }
        entry.collection.updated_at = iso(now_ms);
        Ok(entry.snapshot())
    }

    /// Adds (or removes) models: every id must be a live model.
    pub(crate) fn collection_models(
        &self,
        id: &str,
        model_ids: &[String],
        add: bool,
    ) -> Result<Collection, CollectionError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        let Stores {
            collections,
            models,
            ..
        } = &mut *stores;
        if !collections.exists(id) {
            return Err(CollectionError::Missing);
        }
        if let Some(missing) = model_ids.iter().find(|model| !models.exists(model)) {
            return Err(CollectionError::Model(missing.clone()));
        }
        for model_id in model_ids {
            collections.set_model(id, model_id, add, now_ms);
            models.set_collection(model_id, id, add, now_ms);
        }
        collections
            .entries
            .get(id)
            .map(CollectionEntry::snapshot)
            .ok_or(CollectionError::Missing)
    }
}
