//! `GET /v1/assets`: the query string, parsed in one place, and the page it asks for.

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use scenario_api::ops::{self, ListAssetsQuery, OperationId};
use scenario_api::types::{AssetListResponse, AssetPrivacy, AssetSortBy, SortDirection};
use scenario_api::{Operation, ParamKind};

use crate::builders::built;
use crate::clock::parse_iso;
use crate::http::app::App;
use crate::http::gate::Caller;
use crate::http::responses::api_error;
use crate::http::routes::Handlers;
use crate::state::assets::{Direction, Filter, ListQuery, SortBy, decode_token};

/// `GET /v1/assets`.
pub(crate) async fn list(
    State(app): State<Arc<App>>,
    caller: Option<Extension<Caller>>,
    uri: Uri,
) -> Response {
    let mut query = match parse_list_query(&uri) {
        Ok(query) => query,
        Err(message) => return api_error(StatusCode::BAD_REQUEST, message),
    };
    // Public access sees the public assets of every team, and nothing else.
    if caller.is_some_and(|Extension(caller)| caller == Caller::Public) {
        query.filter.privacy = Some(AssetPrivacy::Public);
    }
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
    // Like the service, refuse enum values the document does not list.
    for param in ops::ListAssets::PARAMS {
        let values = match param.kind {
            ParamKind::Enum(values) => values,
            ParamKind::List(ParamKind::Enum(values)) => *values,
            _ => continue,
        };
        let given = pairs
            .iter()
            .filter(|(name, _)| name == param.name)
            .flat_map(|(_, value)| value.split(',').map(str::trim))
            .filter(|value| !value.is_empty());
        if let Some(value) = given.into_iter().find(|value| !values.contains(value)) {
            return Err(format!(
                "{} must be one of: {}, got \"{value}\"",
                param.name,
                values.join(", ")
            ));
        }
    }
    // `type` and `types` together: an asset must match both. `sortBy` and
    // `sortDirection` are plain strings in the document: another value sorts as
    // when they are absent (newest created first).
    let sort_by = match query.sort_by.as_deref().map(AssetSortBy::from) {
        Some(AssetSortBy::UpdatedAt) => SortBy::UpdatedAt,
        _ => SortBy::CreatedAt,
    };
    let direction = match query.sort_direction.as_deref().map(SortDirection::from) {
        Some(SortDirection::Asc) => Direction::Asc,
        _ => Direction::Desc,
    };
    // The document declares no date format: a date the fake cannot read matches
    // no asset, as `unreadable` (`u64::MAX` after, 0 before) does. A date filter
    // applies whatever the listing is sorted by.
    let date = |value: &Option<String>, unreadable: u64| {
        value
            .as_deref()
            .map(|value| parse_iso(value.trim()).unwrap_or(unreadable))
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
        // A plain string in the document: a value no asset has matches nothing.
        privacy: query.privacy.as_deref().map(AssetPrivacy::from),
        parent_id: query.parent_asset_id.clone(),
        root_id: query.root_asset_id.clone(),
        model_id: query.model_id.clone(),
        author_id: query.author_id.clone(),
        collection_id: query.collection_id.clone(),
        inference_id: query.inference_id.clone(),
        type_: query.type_.clone(),
        types: query.types.clone().unwrap_or_default(),
        tags,
        created_after: date(&query.created_after, u64::MAX),
        created_before: date(&query.created_before, 0),
        updated_after: date(&query.updated_after, u64::MAX),
        updated_before: date(&query.updated_before, 0),
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

/// Registers this area's handlers, one per operation.
pub(crate) fn register(handlers: &mut Handlers) {
    handlers.on(OperationId::ListAssets, list);
}
