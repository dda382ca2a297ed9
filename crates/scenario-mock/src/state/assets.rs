//! Assets: the store (with an index per sort order), the listing query it answers
//! (filters and keyset pagination), and the assets uploads create.

// tidy: values are data: what the service makes of an upload of each kind (its asset type and source, its edit capabilities).

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use scenario_api::types::{
    Asset, AssetFrame, AssetKind, AssetMetadata, AssetPrivacy, AssetProperties, AssetSnapshot,
    AssetSource, AssetStatus, AssetType, EditCapability,
};

use crate::builders::built;
use crate::clock::iso;

/// The account behind the API key: who uploads, which project owns the assets.
#[derive(Clone, Debug)]
pub(crate) struct Identity {
    pub(crate) author_id: String,
    pub(crate) owner_id: String,
    /// Where file URLs point: the CDN listener (through its redirect when asked).
    pub(crate) cdn_base: String,
}

impl Identity {
    /// The URL of an asset's file in the format `extension`.
    pub(crate) fn file_url(&self, asset_id: &str, extension: &str) -> String {
        cdn_url(&self.cdn_base, &self.owner_id, asset_id, extension)
    }
}

/// An asset with its dates as numbers, for sorting and filtering.
#[derive(Clone, Debug)]
pub(crate) struct StoredAsset {
    pub(crate) asset: Asset,
    pub(crate) created_ms: u64,
    pub(crate) updated_ms: u64,
}

/// A position in one sort order: the date, then the id.
pub(crate) type Key = (u64, String);

/// Every asset, indexed by id and by each sort order (date, then id).
#[derive(Debug, Default)]
pub(crate) struct AssetStore {
    by_id: HashMap<String, Arc<StoredAsset>>,
    by_created: BTreeMap<Key, Arc<StoredAsset>>,
    by_updated: BTreeMap<Key, Arc<StoredAsset>>,
    /// Deleted assets (still restorable) and when they were deleted.
    deleted: HashMap<String, u64>,
    /// The lock id of each locked asset.
    locks: HashMap<String, String>,
    /// The saved versions of each asset, oldest first.
    snapshots: HashMap<String, Vec<AssetSnapshot>>,
}

/// Why an asset cannot be restored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RestoreRefusal {
    NotFound,
    NotDeleted,
}

impl AssetStore {
    pub(crate) fn from_assets(assets: Vec<StoredAsset>) -> Self {
        let mut store = Self::default();
        for asset in assets {
            store.insert(asset);
        }
        store
    }

    pub(crate) fn insert(&mut self, asset: StoredAsset) {
        let id = asset.asset.id.clone();
        if let Some(old) = self.by_id.remove(&id) {
            self.by_created.remove(&(old.created_ms, id.clone()));
            self.by_updated.remove(&(old.updated_ms, id.clone()));
        }
        let asset = Arc::new(asset);
        self.by_created
            .insert((asset.created_ms, id.clone()), asset.clone());
        self.by_updated
            .insert((asset.updated_ms, id.clone()), asset.clone());
        self.by_id.insert(id, asset);
    }

    /// A live (not deleted) asset.
    pub(crate) fn get(&self, id: &str) -> Option<Asset> {
        if self.deleted.contains_key(id) {
            return None;
        }
        self.by_id.get(id).map(|stored| stored.asset.clone())
    }

    /// Replaces a live asset by what `edit` makes of it, as updated at `now_ms`.
    pub(crate) fn update<T>(
        &mut self,
        id: &str,
        now_ms: u64,
        edit: impl FnOnce(&mut Asset) -> T,
    ) -> Option<(Asset, T)> {
        if self.deleted.contains_key(id) {
            return None;
        }
        let mut stored = StoredAsset::clone(self.by_id.get(id)?);
        let out = edit(&mut stored.asset);
        stored.updated_ms = now_ms.max(stored.created_ms);
        stored.asset.updated_at = iso(stored.updated_ms);
        let asset = stored.asset.clone();
        self.insert(stored);
        Some((asset, out))
    }

    /// Deletes live assets; `false` for an id that is not one.
    pub(crate) fn delete(&mut self, id: &str, now_ms: u64) -> bool {
        if self.get(id).is_none() {
            return false;
        }
        self.deleted.insert(id.to_owned(), now_ms);
        self.locks.remove(id);
        true
    }

    pub(crate) fn restore(&mut self, id: &str) -> Result<(), RestoreRefusal> {
        if !self.by_id.contains_key(id) {
            return Err(RestoreRefusal::NotFound);
        }
        self.deleted
            .remove(id)
            .map(|_| ())
            .ok_or(RestoreRefusal::NotDeleted)
    }

    pub(crate) fn lock_id(&self, id: &str) -> Option<&str> {
        self.locks.get(id).map(String::as_str)
    }

    pub(crate) fn set_lock(&mut self, id: &str, lock_id: Option<String>) {
        match lock_id {
            Some(lock_id) => self.locks.insert(id.to_owned(), lock_id),
            None => self.locks.remove(id),
        };
    }

    pub(crate) fn add_snapshot(&mut self, id: &str, snapshot: AssetSnapshot) {
        self.snapshots
            .entry(id.to_owned())
            .or_default()
            .push(snapshot);
    }

    /// The snapshots of an asset, newest first, from `offset`.
    pub(crate) fn snapshots(&self, id: &str) -> Vec<AssetSnapshot> {
        self.snapshots
            .get(id)
            .map(|all| all.iter().rev().cloned().collect())
            .unwrap_or_default()
    }

    /// The root of an asset's family: its `rootParentId`, or itself.
    pub(crate) fn root_of(&self, id: &str) -> Option<String> {
        let stored = self.by_id.get(id)?;
        Some(
            stored
                .asset
                .metadata
                .root_parent_id
                .clone()
                .unwrap_or_else(|| id.to_owned()),
        )
    }

    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// One page: the assets after the cursor, in order, that pass the filters, and
    /// the token of the next page if there are more.
    pub(crate) fn page(&self, query: &ListQuery) -> (Vec<Asset>, Option<String>) {
        let index = match query.sort_by {
            SortBy::CreatedAt => &self.by_created,
            SortBy::UpdatedAt => &self.by_updated,
        };
        let entries: Box<dyn Iterator<Item = (&Key, &Arc<StoredAsset>)>> =
            match (query.direction, &query.cursor) {
                (Direction::Asc, None) => Box::new(index.iter()),
                (Direction::Asc, Some(key)) => {
                    Box::new(index.range((Bound::Excluded(key.clone()), Bound::Unbounded)))
                }
                (Direction::Desc, None) => Box::new(index.iter().rev()),
                (Direction::Desc, Some(key)) => Box::new(index.range(..key.clone()).rev()),
            };
        let mut page = Vec::with_capacity(query.page_size);
        let mut last = None;
        let mut more = false;
        let listed = entries.filter(|(_, stored)| {
            self.deleted.contains_key(&stored.asset.id) == query.deleted
                && query.filter.matches(stored)
        });
        for (key, stored) in listed {
            if page.len() == query.page_size {
                more = true;
                break;
            }
            let mut asset = stored.asset.clone();
            asset.deleted_at = self.deleted.get(&asset.id).map(|ms| iso(*ms));
            page.push(asset);
            last = Some(key);
        }
        let next = if more {
            last.map(|key| encode_token(query.sort_by, query.direction, key))
        } else {
            None
        };
        (page, next)
    }
}

// ---- the listing query ------------------------------------------------------------

/// The date a listing is sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SortBy {
    CreatedAt,
    UpdatedAt,
}

impl SortBy {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SortBy::CreatedAt => "createdAt",
            SortBy::UpdatedAt => "updatedAt",
        }
    }
}

/// The order of a listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Asc,
    Desc,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::Asc => "asc",
            Direction::Desc => "desc",
        }
    }
}

/// One page of a listing: where it starts, in which order, and what passes.
#[derive(Debug)]
pub(crate) struct ListQuery {
    pub(crate) page_size: usize,
    pub(crate) cursor: Option<Key>,
    pub(crate) sort_by: SortBy,
    pub(crate) direction: Direction,
    pub(crate) deleted: bool,
    pub(crate) filter: Filter,
}

/// What an asset must match to be listed; `None` and empty lists match anything.
#[derive(Debug, Default)]
pub(crate) struct Filter {
    pub(crate) privacy: Option<AssetPrivacy>,
    pub(crate) parent_id: Option<String>,
    pub(crate) root_id: Option<String>,
    pub(crate) model_id: Option<String>,
    pub(crate) author_id: Option<String>,
    pub(crate) collection_id: Option<String>,
    pub(crate) inference_id: Option<String>,
    pub(crate) type_: Option<AssetType>,
    pub(crate) types: Vec<AssetType>,
    pub(crate) tags: Vec<String>,
    pub(crate) created_after: Option<u64>,
    pub(crate) created_before: Option<u64>,
    pub(crate) updated_after: Option<u64>,
    pub(crate) updated_before: Option<u64>,
}

impl Filter {
    fn matches(&self, stored: &StoredAsset) -> bool {
        let asset = &stored.asset;
        let meta = &asset.metadata;
        let same = |wanted: &Option<String>, actual: Option<&String>| {
            wanted.as_ref().is_none_or(|w| actual == Some(w))
        };
        self.privacy.as_ref().is_none_or(|p| &asset.privacy == p)
            && same(&self.parent_id, meta.parent_id.as_ref())
            && same(&self.root_id, meta.root_parent_id.as_ref())
            && same(&self.model_id, meta.model_id.as_ref())
            && same(&self.author_id, Some(&asset.author_id))
            && same(&self.inference_id, meta.inference_id.as_ref())
            && self
                .collection_id
                .as_ref()
                .is_none_or(|c| asset.collection_ids.contains(c))
            && self.type_.as_ref().is_none_or(|t| &meta.type_ == t)
            && (self.types.is_empty() || self.types.contains(&meta.type_))
            && (self.tags.is_empty() || self.tags.iter().any(|t| asset.tags.contains(t)))
            && self.created_after.is_none_or(|t| stored.created_ms > t)
            && self.created_before.is_none_or(|t| stored.created_ms < t)
            && self.updated_after.is_none_or(|t| stored.updated_ms > t)
            && self.updated_before.is_none_or(|t| stored.updated_ms < t)
    }
}

/// The token is the position of the last asset of the page (its date and id) in
/// one sort order: later pages start strictly after it, so assets added meanwhile
/// never shift the pages.
fn encode_token(sort_by: SortBy, direction: Direction, key: &Key) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "v1:{}:{}:{}:{}",
        sort_by.as_str(),
        direction.as_str(),
        key.0,
        key.1
    ))
}

pub(crate) fn decode_token(
    token: &str,
    sort_by: SortBy,
    direction: Direction,
) -> Result<Key, String> {
    let Some((sort, dir, ms, id)) = read_token(token) else {
        // A token the fake did not issue names no position: the listing is over.
        return Ok(match direction {
            Direction::Asc => (u64::MAX, char::MAX.to_string()),
            Direction::Desc => (0, String::new()),
        });
    };
    if sort != sort_by.as_str() || dir != direction.as_str() {
        return Err(format!(
            "paginationToken was issued for sortBy={sort}&sortDirection={dir}; send the same sortBy and sortDirection with it"
        ));
    }
    Ok((ms, id))
}

/// The sort, direction, date and id a token of the fake's holds.
fn read_token(token: &str) -> Option<(String, String, u64, String)> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
    let mut fields = text.splitn(5, ':');
    let (Some("v1"), Some(sort), Some(dir), Some(ms), Some(id)) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return None;
    };
    let ms = ms.parse::<u64>().ok()?;
    (!id.is_empty()).then(|| (sort.to_owned(), dir.to_owned(), ms, id.to_owned()))
}

// ---- assets created by uploads --------------------------------------------------------

/// What an upload turns into once validated.
#[derive(Clone, Debug)]
pub(crate) struct NewAsset {
    pub(crate) id: String,
    pub(crate) kind: AssetKind,
    pub(crate) name: String,
    pub(crate) mime_type: String,
    pub(crate) size: u64,
    pub(crate) parent_id: Option<String>,
    pub(crate) collection_ids: Vec<String>,
    pub(crate) hidden: bool,
    pub(crate) created_ms: u64,
}

impl NewAsset {
    /// The asset, with its `rootParentId` looked up in the store.
    pub(crate) fn build(self, store: &AssetStore, identity: &Identity) -> StoredAsset {
        let (type_, source) = match self.kind {
            AssetKind::X3d => ("uploaded-3d", "uploaded-3d"),
            AssetKind::Audio => ("uploaded-audio", "uploaded-audio"),
            AssetKind::Video => ("uploaded-video", "uploaded-video"),
            _ => ("uploaded", "uploaded"),
        };
        let mut metadata = base_metadata(self.kind.clone(), AssetType::from(type_));
        metadata.name = Some(self.name);
        metadata.root_parent_id = self
            .parent_id
            .as_deref()
            .map(|parent| store.root_of(parent).unwrap_or_else(|| parent.to_owned()));
        metadata.parent_id = self.parent_id;
        let url = identity.file_url(&self.id, extension(&self.mime_type));
        let thumbnail = (self.kind == AssetKind::Image)
            .then(|| frame(self.id.clone(), format!("{url}?format=webp&width=256")));
        metadata.thumbnail = thumbnail.clone();
        let mut properties = base_properties(self.size);
        if self.kind == AssetKind::X3d {
            properties.format = Some(extension(&self.mime_type).to_owned());
        }
        let created = iso(self.created_ms);
        let edit_capabilities = if self.kind == AssetKind::Image {
            image_capabilities()
        } else {
            Vec::new()
        };
        let asset = Asset::builder()
            .author_id(identity.author_id.clone())
            .collection_ids(self.collection_ids)
            .created_at(created.clone())
            .edit_capabilities(edit_capabilities)
            .id(self.id)
            .is_hidden(self.hidden)
            .kind(self.kind)
            .metadata(metadata)
            .mime_type(self.mime_type)
            .output_index(0_u32)
            .owner_id(identity.owner_id.clone())
            .privacy(AssetPrivacy::Private)
            .properties(properties)
            .source(AssetSource::from(source))
            .status(AssetStatus::Success)
            .tags(Vec::<String>::new())
            .thumbnail(thumbnail)
            .updated_at(created)
            .url(url);
        StoredAsset {
            asset: built(asset),
            created_ms: self.created_ms,
            updated_ms: self.created_ms,
        }
    }
}

/// A reference to another asset's file (a thumbnail, preview or video frame).
pub(crate) fn frame(asset_id: String, url: String) -> AssetFrame {
    built(AssetFrame::builder().asset_id(asset_id).url(url))
}

/// Metadata with only its required fields set.
pub(crate) fn base_metadata(kind: AssetKind, type_: AssetType) -> AssetMetadata {
    built(AssetMetadata::builder().kind(kind).type_(type_))
}

/// Properties with only their required field set.
pub(crate) fn base_properties(size: u64) -> AssetProperties {
    built(AssetProperties::builder().size(size))
}

/// Where the CDN at `base` serves an asset's file.
pub(crate) fn cdn_url(base: &str, owner_id: &str, asset_id: &str, extension: &str) -> String {
    format!("{base}/files/{owner_id}/{asset_id}.{extension}")
}

/// The usual file extension of a MIME type.
pub(crate) fn extension(mime_type: &str) -> &'static str {
    scenario_api::files::extension_for(mime_type).unwrap_or("bin")
}

/// The edits an image can go through.
pub(crate) fn image_capabilities() -> Vec<EditCapability> {
    [
        "DETECTION",
        "GENERATIVE_FILL",
        "PIXELATE",
        "PROMPT_EDITING",
        "REFINE",
        "REFRAME",
        "REMOVE_BACKGROUND",
        "SEGMENTATION",
        "UPSCALE",
        "VECTORIZATION",
    ]
    .into_iter()
    .map(EditCapability::from)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_the_usual_ones() {
        assert!(matches!(extension("image/jpeg"), "jpeg" | "jpg"));
        assert_eq!(extension("audio/mpeg"), "mp3");
        assert_eq!(extension("image/gif"), "gif");
        assert_eq!(extension("nonsense"), "bin");
    }

    #[test]
    fn tokens_round_trip_and_garbage_ends_the_listing() {
        let key = (1_714_557_600_000, "asset_abc".to_owned());
        let token = encode_token(SortBy::UpdatedAt, Direction::Asc, &key);
        assert_eq!(
            decode_token(&token, SortBy::UpdatedAt, Direction::Asc),
            Ok(key)
        );
        assert!(decode_token(&token, SortBy::CreatedAt, Direction::Asc).is_err());
        // A token the fake did not issue is past the end, in either direction.
        let first = (0, String::new());
        assert_eq!(
            decode_token("!!!", SortBy::CreatedAt, Direction::Desc),
            Ok(first)
        );
        let forged = URL_SAFE_NO_PAD.encode("v1:createdAt:asc:notanumber:asset_x");
        let last = decode_token(&forged, SortBy::CreatedAt, Direction::Asc).unwrap();
        assert_eq!(last.0, u64::MAX);
    }
}
