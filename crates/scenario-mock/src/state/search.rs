//! Search and tags over what the stores hold: a case-insensitive substring match on
//! the names, prompts, descriptions and tags of assets and models, and the tags of
//! the project with how many items carry each.

use std::collections::BTreeMap;

use scenario_api::types::{Asset, AssetPrivacy, Model};

use crate::state::State;
use crate::state::assets::{Direction, Filter, ListQuery, SortBy};

/// A tag and the items that carry it.
#[derive(Debug)]
pub(crate) struct TagCount {
    pub(crate) name: String,
    pub(crate) count: usize,
    pub(crate) first: String,
    pub(crate) last: String,
}

/// Whether `needle` (already lowercase; empty matches everything) is in one of `texts`.
fn found<'a>(needle: &str, texts: impl IntoIterator<Item = &'a str>) -> bool {
    needle.is_empty()
        || texts
            .into_iter()
            .any(|text| text.to_lowercase().contains(needle))
}

impl State {
    /// The project that owns what the fake holds.
    pub(crate) fn owner_id(&self) -> String {
        self.identity.owner_id.clone()
    }

    /// Every live asset, newest first.
    pub(crate) fn live_assets(&self) -> Vec<Asset> {
        let stores = self.stores();
        let query = ListQuery {
            page_size: stores.assets.len(),
            cursor: None,
            sort_by: SortBy::CreatedAt,
            direction: Direction::Desc,
            deleted: false,
            filter: Filter::default(),
        };
        stores.assets.page(&query).0
    }

    /// The live assets whose name, prompt, description or tags contain `text`;
    /// `public`: only public ones.
    pub(crate) fn search_assets(&self, text: &str, public: bool) -> Vec<Asset> {
        let needle = text.trim().to_lowercase();
        self.live_assets()
            .into_iter()
            .filter(|asset| !public || asset.privacy == AssetPrivacy::Public)
            .filter(|asset| {
                let meta = &asset.metadata;
                found(
                    &needle,
                    [
                        meta.name.as_deref(),
                        meta.prompt.as_deref(),
                        asset.description.as_deref(),
                    ]
                    .into_iter()
                    .flatten()
                    .chain(asset.tags.iter().map(String::as_str)),
                )
            })
            .collect()
    }

    /// The live models whose name, short description or tags contain `text`, newest first.
    pub(crate) fn search_models(&self, text: &str, public: bool) -> Vec<Model> {
        let needle = text.trim().to_lowercase();
        let mut models: Vec<Model> = self
            .model_list()
            .into_iter()
            .filter(|model| !public || model.privacy == AssetPrivacy::Public)
            .filter(|model| {
                found(
                    &needle,
                    [model.name.as_deref(), model.short_description.as_deref()]
                        .into_iter()
                        .flatten()
                        .chain(model.tags.iter().map(String::as_str)),
                )
            })
            .collect();
        models.reverse();
        models
    }

    /// Every live model, oldest first.
    pub(crate) fn model_list(&self) -> Vec<Model> {
        self.model_stores().models.all()
    }

    /// The tags of the live assets and models, by name.
    pub(crate) fn tag_counts(&self) -> Vec<TagCount> {
        let mut tags: BTreeMap<String, TagCount> = BTreeMap::new();
        let assets = self.live_assets();
        let models = self.model_list();
        let tagged = assets
            .iter()
            .map(|a| (&a.tags, &a.updated_at))
            .chain(models.iter().map(|m| (&m.tags, &m.updated_at)));
        for (names, updated) in tagged {
            for name in names {
                let tag = tags.entry(name.clone()).or_insert_with(|| TagCount {
                    name: name.clone(),
                    count: 0,
                    first: updated.clone(),
                    last: updated.clone(),
                });
                tag.count += 1;
                if *updated < tag.first {
                    tag.first.clone_from(updated);
                }
                if *updated > tag.last {
                    tag.last.clone_from(updated);
                }
            }
        }
        tags.into_values().collect()
    }
}
