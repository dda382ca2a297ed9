//! Assets: the store (with an index per sort order), `GET /v1/assets` with its
//! filters and keyset pagination, and the assets uploads create.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State as Shared};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use scenario_api::types::{
    Asset, AssetFrame, AssetKind, AssetListResponse, AssetMetadata, AssetPrivacy, AssetProperties,
    AssetSource, AssetStatus, AssetType, EditCapability,
};

use crate::clock::{iso, parse_iso};
use crate::responses::api_error;
use crate::server::{State, read};

/// The account behind the API key: who uploads, which project owns the assets.
#[derive(Clone, Debug)]
pub(crate) struct Identity {
    pub(crate) author_id: String,
    pub(crate) owner_id: String,
}

/// An asset with its dates as numbers, for sorting and filtering.
#[derive(Clone, Debug)]
pub(crate) struct StoredAsset {
    pub(crate) asset: Asset,
    pub(crate) created_ms: u64,
    pub(crate) updated_ms: u64,
}

type Key = (u64, String);

/// Every asset, indexed by id and by each sort order (date, then id).
#[derive(Debug, Default)]
pub(crate) struct AssetStore {
    by_id: HashMap<String, Arc<StoredAsset>>,
    by_created: BTreeMap<Key, Arc<StoredAsset>>,
    by_updated: BTreeMap<Key, Arc<StoredAsset>>,
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

    pub(crate) fn get(&self, id: &str) -> Option<Asset> {
        self.by_id.get(id).map(|stored| stored.asset.clone())
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
    fn page(&self, query: &ListQuery) -> (Vec<Asset>, Option<String>) {
        if query.deleted {
            // The fake never deletes assets.
            return (Vec::new(), None);
        }
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
        for (key, stored) in entries.filter(|(_, stored)| query.filter.matches(stored)) {
            if page.len() == query.page_size {
                more = true;
                break;
            }
            page.push(stored.asset.clone());
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

// ---- GET /v1/assets -----------------------------------------------------------------

/// `GET /v1/assets`.
pub(crate) async fn list(
    Shared(state): Shared<Arc<State>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let Ok(Query(pairs)) = query else {
        return api_error(StatusCode::BAD_REQUEST, "The query string is malformed");
    };
    let query = match ListQuery::parse(&pairs) {
        Ok(query) => query,
        Err(message) => return api_error(StatusCode::BAD_REQUEST, message),
    };
    crate::uploads::advance(&state);
    let (assets, next_pagination_token) = read(&state.assets).page(&query);
    Json(AssetListResponse {
        assets,
        next_pagination_token,
    })
    .into_response()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SortBy {
    CreatedAt,
    UpdatedAt,
}

impl SortBy {
    fn as_str(self) -> &'static str {
        match self {
            SortBy::CreatedAt => "createdAt",
            SortBy::UpdatedAt => "updatedAt",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
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

#[derive(Debug)]
struct ListQuery {
    page_size: usize,
    cursor: Option<Key>,
    sort_by: SortBy,
    direction: Direction,
    deleted: bool,
    filter: Filter,
}

#[derive(Debug, Default)]
struct Filter {
    privacy: Option<AssetPrivacy>,
    parent_id: Option<String>,
    root_id: Option<String>,
    model_id: Option<String>,
    author_id: Option<String>,
    collection_id: Option<String>,
    inference_id: Option<String>,
    type_: Option<AssetType>,
    tags: Vec<String>,
    created_after: Option<u64>,
    created_before: Option<u64>,
    updated_after: Option<u64>,
    updated_before: Option<u64>,
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
            && (self.tags.is_empty() || self.tags.iter().any(|t| asset.tags.contains(t)))
            && self.created_after.is_none_or(|t| stored.created_ms > t)
            && self.created_before.is_none_or(|t| stored.created_ms < t)
            && self.updated_after.is_none_or(|t| stored.updated_ms > t)
            && self.updated_before.is_none_or(|t| stored.updated_ms < t)
    }
}

impl ListQuery {
    /// Validates the query as the service does. Empty values count as absent;
    /// parameters the fake does not know are ignored.
    fn parse(pairs: &[(String, String)]) -> Result<Self, String> {
        let mut values: HashMap<&str, &str> = HashMap::new();
        let mut tags = Vec::new();
        for (name, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            if name == "tags" {
                tags.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned),
                );
            } else {
                values.insert(name.as_str(), value);
            }
        }
        let get = |name: &str| values.get(name).copied();
        let string = |name: &str| get(name).map(str::to_owned);

        let page_size = match get("pageSize") {
            None => 50,
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or("pageSize must be an integer between 1 and 100")?,
        };
        let explicit_sort = match get("sortBy") {
            None => None,
            Some("createdAt") => Some(SortBy::CreatedAt),
            Some("updatedAt") => Some(SortBy::UpdatedAt),
            Some(_) => return Err("sortBy must be one of: createdAt, updatedAt".into()),
        };
        let sort_by = explicit_sort.unwrap_or(SortBy::CreatedAt);
        let direction = match get("sortDirection") {
            None | Some("desc") => Direction::Desc,
            Some("asc") => Direction::Asc,
            Some(_) => return Err("sortDirection must be one of: asc, desc".into()),
        };
        let deleted = match get("deleted") {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err("deleted must be a boolean".into()),
        };
        let privacy = match get("privacy") {
            None => None,
            Some(v) => match AssetPrivacy::from(v) {
                AssetPrivacy::Unrecognized(_) => {
                    return Err("privacy must be one of: private, public, unlisted".into());
                }
                known => Some(known),
            },
        };
        let type_ = match get("type") {
            None => None,
            Some(v) => match AssetType::from(v) {
                AssetType::Unrecognized(_) => {
                    return Err(format!("type must be a valid asset type, got \"{v}\""));
                }
                known => Some(known),
            },
        };
        let date = |name: &str, requires: SortBy| -> Result<Option<u64>, String> {
            let Some(value) = get(name) else {
                return Ok(None);
            };
            let ms = parse_iso(value)
                .ok_or_else(|| format!("{name} must be a valid ISO 8601 date string"))?;
            if explicit_sort != Some(requires) {
                return Err(format!(
                    "{name} requires the sortBy parameter to be \"{}\"",
                    requires.as_str()
                ));
            }
            Ok(Some(ms))
        };
        let filter = Filter {
            privacy,
            parent_id: string("parentAssetId"),
            root_id: string("rootAssetId"),
            model_id: string("modelId"),
            author_id: string("authorId"),
            collection_id: string("collectionId"),
            inference_id: string("inferenceId"),
            type_,
            tags,
            created_after: date("createdAfter", SortBy::CreatedAt)?,
            created_before: date("createdBefore", SortBy::CreatedAt)?,
            updated_after: date("updatedAfter", SortBy::UpdatedAt)?,
            updated_before: date("updatedBefore", SortBy::UpdatedAt)?,
        };
        let cursor = match get("paginationToken") {
            None => None,
            Some(token) => Some(decode_token(token, sort_by, direction)?),
        };
        Ok(Self {
            page_size,
            cursor,
            sort_by,
            direction,
            deleted,
            filter,
        })
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

fn decode_token(token: &str, sort_by: SortBy, direction: Direction) -> Result<Key, String> {
    let invalid = || "paginationToken is invalid".to_owned();
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut fields = text.splitn(5, ':');
    let (Some("v1"), Some(sort), Some(dir), Some(ms), Some(id)) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Err(invalid());
    };
    let ms = ms.parse::<u64>().map_err(|_| invalid())?;
    if id.is_empty() {
        return Err(invalid());
    }
    if sort != sort_by.as_str() || dir != direction.as_str() {
        return Err(format!(
            "paginationToken was issued for sortBy={sort}&sortDirection={dir}; send the same sortBy and sortDirection with it"
        ));
    }
    Ok((ms, id.to_owned()))
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
        let url = cdn_url(&identity.owner_id, &self.id, extension(&self.mime_type));
        let thumbnail = (self.kind == AssetKind::Image).then(|| AssetFrame {
            asset_id: self.id.clone(),
            url: format!("{url}?format=webp&width=256"),
        });
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
        StoredAsset {
            asset: Asset {
                author_id: identity.author_id.clone(),
                automatic_captioning: None,
                collection_ids: self.collection_ids,
                created_at: created.clone(),
                description: None,
                edit_capabilities,
                embedding: Vec::new(),
                first_frame: None,
                id: self.id,
                is_hidden: Some(self.hidden),
                kind: self.kind,
                last_frame: None,
                metadata,
                mime_type: self.mime_type,
                nsfw: Vec::new(),
                original_file_url: None,
                output_index: Some(0),
                owner_id: identity.owner_id.clone(),
                preview: None,
                privacy: AssetPrivacy::Private,
                properties,
                source: AssetSource::from(source),
                status: AssetStatus::Success,
                tags: Vec::new(),
                thumbnail,
                updated_at: created,
                url,
            },
            created_ms: self.created_ms,
            updated_ms: self.created_ms,
        }
    }
}

/// Metadata with only its required fields set.
pub(crate) fn base_metadata(kind: AssetKind, type_: AssetType) -> AssetMetadata {
    match AssetMetadata::builder().kind(kind).type_(type_).try_into() {
        Ok(metadata) => metadata,
        // kind and type are the only required fields, and both are set.
        Err(error) => unreachable!("AssetMetadata with kind and type: {error}"),
    }
}

/// Properties with only their required field set.
pub(crate) fn base_properties(size: u64) -> AssetProperties {
    match AssetProperties::builder().size(size).try_into() {
        Ok(properties) => properties,
        // size is the only required field, and it is set.
        Err(error) => unreachable!("AssetProperties with size: {error}"),
    }
}

/// Where an asset's content would be (a host that does not resolve).
pub(crate) fn cdn_url(owner_id: &str, asset_id: &str, extension: &str) -> String {
    format!("https://cdn.scenario-mock.invalid/{owner_id}/{asset_id}.{extension}")
}

/// The usual file extension of a MIME type.
pub(crate) fn extension(mime_type: &str) -> &'static str {
    match mime_type {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        "model/gltf-binary" => "glb",
        "audio/mpeg" => "mp3",
        "audio/wav" | "audio/x-wav" => "wav",
        "video/mp4" => "mp4",
        other => mime_guess::get_mime_extensions_str(other)
            .and_then(|extensions| extensions.first().copied())
            .unwrap_or("bin"),
    }
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
        assert_eq!(extension("image/jpeg"), "jpg");
        assert_eq!(extension("audio/mpeg"), "mp3");
        assert_eq!(extension("image/gif"), "gif");
        assert_eq!(extension("nonsense"), "bin");
    }

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let key = (1_714_557_600_000, "asset_abc".to_owned());
        let token = encode_token(SortBy::UpdatedAt, Direction::Asc, &key);
        assert_eq!(
            decode_token(&token, SortBy::UpdatedAt, Direction::Asc),
            Ok(key)
        );
        assert!(decode_token(&token, SortBy::CreatedAt, Direction::Asc).is_err());
        assert!(decode_token("!!!", SortBy::CreatedAt, Direction::Desc).is_err());
        let forged = URL_SAFE_NO_PAD.encode("v1:createdAt:desc:notanumber:asset_x");
        assert!(decode_token(&forged, SortBy::CreatedAt, Direction::Desc).is_err());
    }
}
