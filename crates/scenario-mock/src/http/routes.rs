//! The route table: every modelled endpoint of both listeners. Routing is built
//! from it, and so is the recognition of the [`Route`] that fault rules and the
//! request log key on, so the two cannot disagree.

use std::sync::Arc;

use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};

use crate::http::app::App;
use crate::http::{assets, storage, uploads};
use crate::route::{Route, Target};

/// The methods the table uses.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Verb {
    /// `GET`, and `HEAD` with it (as axum routes them).
    Get,
    Post,
    Put,
}

impl Verb {
    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Put => MethodFilter::PUT,
        }
    }

    fn allows(self, method: &Method) -> bool {
        match self {
            Verb::Get => method == Method::GET || method == Method::HEAD,
            Verb::Post => method == Method::POST,
            Verb::Put => method == Method::PUT,
        }
    }
}

/// One endpoint: where it listens, what it is, and what handles it.
pub(crate) struct Endpoint {
    pub(crate) target: Target,
    pub(crate) route: Route,
    verb: Verb,
    /// In axum's syntax: `{name}` matches one non-empty segment.
    pub(crate) path: &'static str,
    handler: fn(MethodFilter) -> MethodRouter<Arc<App>>,
}

impl Endpoint {
    pub(crate) fn method_router(&self) -> MethodRouter<Arc<App>> {
        (self.handler)(self.verb.filter())
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        if !self.verb.allows(method) {
            return false;
        }
        let (Some(pattern), Some(path)) = (segments(self.path), segments(path)) else {
            return false;
        };
        pattern.len() == path.len()
            && pattern
                .iter()
                .zip(&path)
                .all(|(expected, actual)| expected.starts_with('{') || expected == actual)
    }
}

pub(crate) static ENDPOINTS: [Endpoint; 5] = [
    Endpoint {
        target: Target::Api,
        route: Route::ListAssets,
        verb: Verb::Get,
        path: "/v1/assets",
        handler: |filter| on(filter, assets::list),
    },
    Endpoint {
        target: Target::Api,
        route: Route::CreateUpload,
        verb: Verb::Post,
        path: "/v1/uploads",
        handler: |filter| on(filter, uploads::create),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetUpload,
        verb: Verb::Get,
        path: "/v1/uploads/{upload_id}",
        handler: |filter| on(filter, uploads::get),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UploadAction,
        verb: Verb::Post,
        path: "/v1/uploads/{upload_id}/action",
        handler: |filter| on(filter, uploads::action),
    },
    Endpoint {
        target: Target::Storage,
        route: Route::PartPut,
        verb: Verb::Put,
        path: "/parts/{upload_id}/{part_number}",
        handler: |filter| on(filter, storage::put_part),
    },
];

/// The route of a request to `target` (`None` for what the table does not have).
pub(crate) fn recognise(target: Target, method: &Method, path: &str) -> Option<Route> {
    ENDPOINTS
        .iter()
        .find(|endpoint| endpoint.target == target && endpoint.matches(method, path))
        .map(|endpoint| endpoint.route)
}

/// The non-empty segments of a path, or `None` if one is empty (`//`, trailing `/`).
fn segments(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix('/')?;
    let segments: Vec<&str> = rest.split('/').collect();
    segments.iter().all(|s| !s.is_empty()).then_some(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_recognised() {
        assert_eq!(
            recognise(Target::Api, &Method::GET, "/v1/assets"),
            Some(Route::ListAssets)
        );
        assert_eq!(recognise(Target::Api, &Method::POST, "/v1/assets"), None);
        assert_eq!(
            recognise(Target::Api, &Method::POST, "/v1/uploads/u1/action"),
            Some(Route::UploadAction)
        );
        assert_eq!(recognise(Target::Api, &Method::GET, "/v1/uploads/"), None);
        assert_eq!(
            recognise(Target::Storage, &Method::PUT, "/parts/u1/3"),
            Some(Route::PartPut)
        );
        assert_eq!(
            recognise(Target::Storage, &Method::GET, "/parts/u1/3"),
            None
        );
    }
}
