//! What the handlers of the models, collections and search areas read from a
//! request, as early returns: the path ids, the query of an operation decoded
//! into its `…Query` type, and the JSON body decoded into the API's type.

use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::StatusCode;

use crate::http::responses::Rejection;

/// The path parameters of a route with several (`/models/{modelId}/presets/{presetId}`),
/// as a tuple.
pub(crate) fn path_ids<T>(path: Result<Path<T>, PathRejection>) -> Result<T, Rejection> {
    path.map(|Path(ids)| ids)
        .map_err(|rejection| Rejection::new(StatusCode::BAD_REQUEST, rejection.body_text()))
}

/// The value of a `Result<_, Rejection>`, or the handler answers the refusal.
macro_rules! or_refuse {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(rejection) => {
                return axum::response::IntoResponse::into_response(rejection);
            }
        }
    };
}

/// The query of `$op` as its `…Query` type.
macro_rules! query_of {
    ($op:ty, $uri:expr) => {
        $crate::http::extract::or_refuse!($crate::http::request::parse_query::<$op, _>(&$uri))
    };
}

/// The JSON body as one of the API's types.
macro_rules! body_of {
    ($body:expr) => {
        $crate::http::extract::or_refuse!($crate::http::request::parse_json($body))
    };
}

/// The one path id.
macro_rules! id_of {
    ($path:expr) => {
        $crate::http::extract::or_refuse!($crate::http::request::path_id($path))
    };
}

/// The path ids, as a tuple.
macro_rules! ids_of {
    ($path:expr) => {
        $crate::http::extract::or_refuse!($crate::http::extract::path_ids($path))
    };
}

pub(crate) use {body_of, id_of, ids_of, or_refuse, query_of};
