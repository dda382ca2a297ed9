//! `GET /v1/assets`: the query string, parsed in one place, and the page it asks for.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use scenario_api::ops::ListAssetsQuery;
use scenario_api::types::{AssetListResponse, AssetPrivacy, AssetSortBy, SortDirection};

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
/// The query string is decoded into the generated `ListAssetsQuery`, so every
/// parameter, type and limit is the document's; only what the filters mean is
/// written here.
fn parse_list_query(uri: &Uri) -> Result<ListQuery, String> {
    let Ok(Query(pairs)) = Query::<Vec<(String, String)>>::try_from_uri(uri) else {
        return Err("The query string is malformed".into());
    };
    let present = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, value)| !value.trim().is_empty()))
        .finish();
    let present: Uri = format!("/?{present}")
        .parse()
        .map_err(|_| "The query string is malformed".to_owned())?;
    let query = match Query::<ListAssetsQuery>::try_from_uri(&present) {
        Ok(Query(query)) => query,
        Err(rejection) => return Err(rejection.body_text()),
    };
    query.validate().map_err(|err| err.to_string())?;
    let known = |name: &str, value: &str, values: &[&str]| -> Result<(), String> {
        if values.contains(&value) {
            Ok(())
        } else {
            Err(format!("{name} must be one of: {}", values.join(", ")))
        }
    };
    if let Some(privacy) = &query.privacy {
        known("privacy", privacy.as_str(), AssetPrivacy::VALUES)?;
    }
    if let Some(type_) = query.type_.as_ref().filter(|t| t.is_unrecognized()) {
        return Err(format!("type must be a valid asset type, got \"{type_}\""));
    }
    if let Some(direction) = &query.sort_direction {
        known("sortDirection", direction.as_str(), SortDirection::VALUES)?;
    }
    let explicit_sort = match &query.sort_by {
        None => None,
        Some(AssetSortBy::CreatedAt) => Some(SortBy::CreatedAt),
        Some(AssetSortBy::UpdatedAt) => Some(SortBy::UpdatedAt),
        Some(other) => {
            return Err(format!(
                "sortBy must be one of: {}, got \"{other}\"",
                AssetSortBy::VALUES.join(", ")
            ));
        }
    };
    let sort_by = explicit_sort.unwrap_or(SortBy::CreatedAt);
    let direction = match &query.sort_direction {
        Some(SortDirection::Asc) => Direction::Asc,
        _ => Direction::Desc,
    };
    let date =
        |name: &str, value: &Option<String>, requires: SortBy| -> Result<Option<u64>, String> {
            let Some(value) = value else {
                return Ok(None);
            };
            let ms = parse_iso(value.trim())
                .ok_or_else(|| format!("{name} must be a valid ISO 8601 date string"))?;
            if explicit_sort != Some(requires) {
                return Err(format!(
                    "{name} requires the sortBy parameter to be \"{}\"",
                    requires.as_str()
                ));
            }
            Ok(Some(ms))
        };
    let tags = query
        .tags
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    let filter = Filter {
        privacy: query.privacy.clone(),
        parent_id: query.parent_asset_id.clone(),
        root_id: query.root_asset_id.clone(),
        model_id: query.model_id.clone(),
        author_id: query.author_id.clone(),
        collection_id: query.collection_id.clone(),
        inference_id: query.inference_id.clone(),
        type_: query.type_.clone(),
        tags,
        created_after: date("createdAfter", &query.created_after, SortBy::CreatedAt)?,
        created_before: date("createdBefore", &query.created_before, SortBy::CreatedAt)?,
        updated_after: date("updatedAfter", &query.updated_after, SortBy::UpdatedAt)?,
        updated_before: date("updatedBefore", &query.updated_before, SortBy::UpdatedAt)?,
    };
    let cursor = match &query.pagination_token {
        None => None,
        Some(token) => Some(decode_token(token.trim(), sort_by, direction)?),
    };
    Ok(ListQuery {
        page_size: query
            .page_size
            .unwrap_or(ListAssetsQuery::PAGE_SIZE_DEFAULT) as usize,
        cursor,
        sort_by,
        direction,
        deleted: query.deleted.unwrap_or(false),
        filter,
    })
}
