//! `GET /v1/assets`: the query string, parsed in one place, and the page it asks for.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use scenario_api::types::{AssetListResponse, AssetPrivacy, AssetType};

use crate::builders::built;
use crate::clock::parse_iso;
use crate::http::app::App;
use crate::http::responses::api_error;
use crate::state::assets::{Direction, Filter, ListQuery, SortBy, decode_token};

/// `GET /v1/assets`.
pub(crate) async fn list(State(app): State<Arc<App>>, uri: Uri) -> Response {
    let query = match parse_list_query(&uri) {
        Ok(query) => query,
        Err(message) => return api_error(StatusCode::BAD_REQUEST, message),
    };
    let (assets, next_pagination_token) = app.state.list_assets(&query);
    let page: AssetListResponse = built(
        AssetListResponse::builder()
            .assets(assets)
            .next_pagination_token(next_pagination_token),
    );
    Json(page).into_response()
}

/// The listing a query string asks for, validated as the service does. Empty values
/// count as absent; parameters the fake does not know are ignored.
///
/// The only place that reads the query string, so that decoding it into a
/// generated query type instead changes this function alone.
fn parse_list_query(uri: &Uri) -> Result<ListQuery, String> {
    let Ok(Query(pairs)) = Query::<Vec<(String, String)>>::try_from_uri(uri) else {
        return Err("The query string is malformed".into());
    };
    let mut values: HashMap<&str, &str> = HashMap::new();
    let mut tags = Vec::new();
    for (name, value) in &pairs {
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
    Ok(ListQuery {
        page_size,
        cursor,
        sort_by,
        direction,
        deleted,
        filter,
    })
}
