//! What the handlers of every area read from a request: a JSON body decoded into
//! one of the API's types, a path id, and a query string decoded into an
//! operation's generated `…Query` type with its enum values checked.

use axum::extract::Path;
use axum::extract::Query;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::http::{StatusCode, Uri};
use bytes::Bytes;
use scenario_api::{Operation, ParamKind};
use serde::de::DeserializeOwned;

use crate::http::responses::Rejection;

/// Parses a JSON body into one of the API's types; the error names the field.
pub(crate) fn parse_json<T: DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, Rejection> {
    let body =
        body.map_err(|rejection| Rejection::new(rejection.status(), rejection.body_text()))?;
    // A server refuses enum values the document does not list, as the service does.
    let mut deserializer = serde_json::Deserializer::from_slice(&body);
    let parsed: Result<T, _> =
        scenario_api::strict_enums(|| serde_path_to_error::deserialize(&mut deserializer));
    let value = parsed.map_err(|error| {
        let path = error.path().to_string();
        let message = if error.inner().is_syntax() || error.inner().is_eof() {
            format!("The body is not valid JSON: {}", error.inner())
        } else if path == "." {
            format!(
                "The body is not valid JSON for this request: {}",
                error.inner()
            )
        } else {
            format!("{path}: {}", error.inner())
        };
        Rejection::new(StatusCode::BAD_REQUEST, message)
    })?;
    deserializer.end().map_err(|error| {
        Rejection::new(
            StatusCode::BAD_REQUEST,
            format!("The body is not valid JSON: {error}"),
        )
    })?;
    Ok(value)
}

/// The one path parameter of a route.
pub(crate) fn path_id(path: Result<Path<String>, PathRejection>) -> Result<String, Rejection> {
    path.map(|Path(id)| id)
        .map_err(|rejection| Rejection::new(StatusCode::BAD_REQUEST, rejection.body_text()))
}

/// The query string of `Op` decoded into its `…Query` type. Empty values count as
/// absent; enum values the document does not list are refused, as the service
/// does (for arrays, each item).
pub(crate) fn parse_query<Op: Operation, Q: DeserializeOwned>(uri: &Uri) -> Result<Q, Rejection> {
    let bad = |message: String| Rejection::new(StatusCode::BAD_REQUEST, message);
    let Ok(Query(pairs)) = Query::<Vec<(String, String)>>::try_from_uri(uri) else {
        return Err(bad("The query string is malformed".into()));
    };
    for param in Op::PARAMS {
        let values = match param.kind {
            ParamKind::Enum(values) => values,
            ParamKind::List(ParamKind::Enum(values)) => *values,
            _ => continue,
        };
        for (_, value) in pairs.iter().filter(|(name, _)| name == param.name) {
            let given = value.split(',').map(str::trim).filter(|v| !v.is_empty());
            for item in given {
                if !values.contains(&item) {
                    return Err(bad(format!(
                        "{} must be one of: {}, got \"{item}\"",
                        param.name,
                        values.join(", ")
                    )));
                }
            }
        }
    }
    let present = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, value)| !value.trim().is_empty()))
        .finish();
    let present: Uri = format!("/?{present}")
        .parse()
        .map_err(|_| bad("The query string is malformed".into()))?;
    match Query::<Q>::try_from_uri(&present) {
        Ok(Query(query)) => Ok(query),
        Err(rejection) => Err(bad(rejection.body_text())),
    }
}
