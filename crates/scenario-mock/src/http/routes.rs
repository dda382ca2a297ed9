//! Routing. The API's routes are the document's operations: each area's module
//! registers a handler per operation by its generated id ([`Handlers::on`]),
//! whose method and path the document gives, and [`api_handlers`] refuses a table that
//! misses an operation of `ops::OPERATIONS` or has one twice, naming it. The
//! storage and CDN listeners stand in for services the document does not
//! describe: their few endpoints are the [`UNDOCUMENTED`] table.
//!
//! Recognising a request's [`Route`] (for fault rules and the request log) reads
//! the same sources, so routing and recognition cannot disagree.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};
use scenario_api::OperationInfo;
use scenario_api::ops::{OPERATIONS, OperationId};

use crate::http::app::App;
use crate::http::{
    assets, catalog, cdn, collections, generate, jobs, models, projects, search, storage, teams,
    uploads, workflows,
};
use crate::route::{Route, Target};

/// The path of the document's base URL (`/v1`): where the API's operations are
/// served, as the service serves them.
pub(crate) static BASE_PATH: LazyLock<&'static str> = LazyLock::new(|| {
    let url = scenario_api::DEFAULT_BASE_URL;
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    url[after_scheme..]
        .find('/')
        .map_or("", |at| &url[after_scheme + at..])
        .trim_end_matches('/')
});

/// An operation's path template (relative to [`BASE_PATH`]) and its handler.
pub(crate) type ApiRoute = (&'static str, MethodRouter<Arc<App>>);

/// The handlers of the document's operations, as the areas register them.
#[derive(Default)]
pub(crate) struct Handlers {
    routes: BTreeMap<OperationId, Vec<ApiRoute>>,
}

impl Handlers {
    /// Serves `operation` (at its method and path in the document) with `handler`.
    pub(crate) fn on<H, T>(&mut self, operation: OperationId, handler: H) -> &mut Self
    where
        H: Handler<T, Arc<App>>,
        T: 'static,
    {
        let info = info(operation);
        let filter = Method::from_bytes(info.method.as_bytes())
            .ok()
            .and_then(|method| MethodFilter::try_from(method).ok())
            .unwrap_or_else(|| panic!("{}: no route for method {}", info.id, info.method));
        self.routes
            .entry(operation)
            .or_default()
            .push((info.path, on(filter, handler)));
        self
    }
}

/// What the document says of `operation`.
fn info(operation: OperationId) -> &'static OperationInfo {
    OPERATIONS
        .iter()
        .find(|op| op.operation == operation)
        .expect("the generated OperationId and OPERATIONS have the same operations")
}

/// Every area's handlers, checked against the document: `Err` names each
/// operation with no handler, or with more than one.
pub(crate) fn api_handlers() -> Result<Vec<ApiRoute>, String> {
    let mut handlers = Handlers::default();
    assets::register(&mut handlers);
    catalog::register(&mut handlers);
    collections::register(&mut handlers);
    generate::register(&mut handlers);
    jobs::register(&mut handlers);
    models::register(&mut handlers);
    projects::register(&mut handlers);
    search::register(&mut handlers);
    teams::register(&mut handlers);
    uploads::register(&mut handlers);
    workflows::register(&mut handlers);
    checked(handlers)
}

/// The routes of `handlers`, if they serve each operation of the document once.
fn checked(mut handlers: Handlers) -> Result<Vec<ApiRoute>, String> {
    let mut routes = Vec::new();
    let mut problems = Vec::new();
    for op in OPERATIONS {
        match handlers.routes.remove(&op.operation) {
            Some(mut found) if found.len() == 1 => routes.extend(found.pop()),
            Some(found) => problems.push(format!(
                "{} ({} {}) has {} handlers: keep one",
                op.id,
                op.method,
                op.path,
                found.len()
            )),
            None => problems.push(format!(
                "{} ({} {}) has no handler: register one with `Handlers::on(OperationId::{:?}, ..)` \
                 in its area's `register`",
                op.id, op.method, op.path, op.operation
            )),
        }
    }
    if problems.is_empty() {
        Ok(routes)
    } else {
        Err(problems.join("\n"))
    }
}

/// The methods of the undocumented endpoints.
#[derive(Clone, Copy, Debug)]
enum Verb {
    /// `GET`, and `HEAD` with it (as axum routes them).
    Get,
    Put,
}

/// An endpoint of the storage or CDN listener.
pub(crate) struct Endpoint {
    pub(crate) target: Target,
    route: Route,
    verb: Verb,
    /// In axum's syntax: `{name}` matches one non-empty segment, a last `{*name}`
    /// one or more.
    pub(crate) path: &'static str,
    handler: fn(MethodFilter) -> MethodRouter<Arc<App>>,
}

impl Endpoint {
    pub(crate) fn method_router(&self) -> MethodRouter<Arc<App>> {
        let filter = match self.verb {
            Verb::Get => MethodFilter::GET,
            Verb::Put => MethodFilter::PUT,
        };
        (self.handler)(filter)
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        let allowed = match self.verb {
            Verb::Get => method == Method::GET || method == Method::HEAD,
            Verb::Put => method == Method::PUT,
        };
        allowed && specificity(self.path, path).is_some()
    }
}

/// The storage and CDN listeners' endpoints, which no document describes.
pub(crate) static UNDOCUMENTED: [Endpoint; 4] = [
    Endpoint {
        target: Target::Storage,
        route: Route::PartPut,
        verb: Verb::Put,
        path: "/parts/{upload_id}/{part_number}",
        handler: |filter| on(filter, storage::put_part),
    },
    Endpoint {
        target: Target::Cdn,
        route: Route::CdnFile,
        verb: Verb::Get,
        path: "/files/{owner_id}/{file}",
        handler: |filter| on(filter, cdn::file),
    },
    Endpoint {
        target: Target::Cdn,
        route: Route::CdnArchive,
        verb: Verb::Get,
        path: "/archives/{owner_id}/{file}",
        handler: |filter| on(filter, cdn::archive),
    },
    Endpoint {
        target: Target::Cdn,
        route: Route::CdnRedirect,
        verb: Verb::Get,
        path: "/redirect/{*rest}",
        handler: |filter| on(filter, cdn::redirect),
    },
];

/// The route of a request to `target` (`None` for what no route has).
pub(crate) fn recognise(target: Target, method: &Method, path: &str) -> Option<Route> {
    if target == Target::Api {
        return recognise_operation(method, path).map(Route::Api);
    }
    UNDOCUMENTED
        .iter()
        .find(|endpoint| endpoint.target == target && endpoint.matches(method, path))
        .map(|endpoint| endpoint.route)
}

/// The operation a request to the API is, as axum routes it: of the operations
/// whose method and path template fit, the one with a fixed segment where the
/// others have a parameter, first from the left.
fn recognise_operation(method: &Method, path: &str) -> Option<OperationId> {
    let path = path.strip_prefix(*BASE_PATH)?;
    OPERATIONS
        .iter()
        .filter(|op| allows(op, method))
        .filter_map(|op| specificity(op.path, path).map(|rank| (rank, op.operation)))
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, operation)| operation)
}

fn allows(op: &OperationInfo, method: &Method) -> bool {
    op.method == method.as_str() || (op.method == "GET" && method == Method::HEAD)
}

/// Whether `path` fits the template `pattern`, and if so how generally: a bit
/// per segment, the first segment the highest, set where the template has a
/// parameter. Among templates that fit, the lowest is the one axum routes to.
/// `None` also for a path with an empty segment (`//`, a trailing `/`).
fn specificity(pattern: &str, path: &str) -> Option<u64> {
    let mut pattern_segments = pattern.strip_prefix('/')?.split('/');
    let mut path_segments = path.strip_prefix('/')?.split('/');
    let mut rank = 0u64;
    for position in 0..64 {
        let bit = 1u64 << (63 - position);
        match (pattern_segments.next(), path_segments.next()) {
            (None, None) => return Some(rank),
            (Some(_), None) | (None, Some(_)) => return None,
            (Some(_), Some("")) => return None,
            (Some(expected), Some(_)) if expected.starts_with("{*") => {
                return path_segments.all(|s| !s.is_empty()).then_some(rank | bit);
            }
            (Some(expected), Some(_)) if expected.starts_with('{') => rank |= bit,
            (Some(expected), Some(actual)) if expected == actual => {}
            (Some(_), Some(_)) => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(method: Method, path: &str) -> Option<Route> {
        recognise(Target::Api, &method, path)
    }

    #[test]
    fn every_operation_of_the_document_has_one_handler() {
        let routes = api_handlers().unwrap_or_else(|problems| panic!("{problems}"));
        assert_eq!(routes.len(), OPERATIONS.len());
    }

    #[test]
    fn a_missing_or_doubled_handler_is_named() {
        async fn answer() {}
        let mut handlers = Handlers::default();
        handlers
            .on(OperationId::ListAssets, answer)
            .on(OperationId::ListAssets, answer);
        for op in OPERATIONS {
            if !matches!(
                op.operation,
                OperationId::ListAssets | OperationId::CreateAsset
            ) {
                handlers.on(op.operation, answer);
            }
        }
        let problems = checked(handlers).expect_err("refused");
        assert_eq!(
            problems,
            "listAssets (GET /assets) has 2 handlers: keep one\n\
             createAsset (POST /assets) has no handler: register one with \
             `Handlers::on(OperationId::CreateAsset, ..)` in its area's `register`"
        );
    }

    #[test]
    fn requests_are_recognised_as_the_operation_axum_routes_them_to() {
        let op = |id| Some(Route::Api(id));
        assert_eq!(*BASE_PATH, "/v1");
        assert_eq!(api(Method::GET, "/v1/assets"), op(OperationId::ListAssets));
        assert_eq!(api(Method::HEAD, "/v1/assets"), op(OperationId::ListAssets));
        assert_eq!(
            api(Method::POST, "/v1/assets"),
            op(OperationId::CreateAsset)
        );
        assert_eq!(api(Method::PATCH, "/v1/assets"), None);
        assert_eq!(api(Method::GET, "/assets"), None);
        assert_eq!(
            api(Method::GET, "/v1/assets/download/job_1"),
            op(OperationId::GetAssetsDownload)
        );
        assert_eq!(
            api(Method::GET, "/v1/assets/asset_1/snapshots"),
            op(OperationId::ListAssetSnapshots)
        );
        assert_eq!(
            api(Method::POST, "/v1/generate/custom/model_1"),
            op(OperationId::RunModel)
        );
        assert_eq!(
            api(Method::POST, "/v1/uploads/u1/action"),
            op(OperationId::TriggerUploadAction)
        );
        assert_eq!(api(Method::GET, "/v1/uploads/"), None);
        assert_eq!(api(Method::GET, "/v1/uploads//action"), None);
        assert_eq!(
            api(Method::GET, "/v1/workflows/tags"),
            op(OperationId::ListWorkflowTags)
        );
        assert_eq!(
            api(Method::GET, "/v1/workflows/workflow_1"),
            op(OperationId::GetWorkflow)
        );
    }

    #[test]
    fn the_storage_and_cdn_endpoints_are_recognised() {
        assert_eq!(
            recognise(Target::Storage, &Method::PUT, "/parts/u1/3"),
            Some(Route::PartPut)
        );
        assert_eq!(
            recognise(Target::Storage, &Method::GET, "/parts/u1/3"),
            None
        );
        assert_eq!(
            recognise(Target::Cdn, &Method::GET, "/files/proj_1/asset_1.png"),
            Some(Route::CdnFile)
        );
        assert_eq!(
            recognise(
                Target::Cdn,
                &Method::GET,
                "/redirect/files/proj_1/asset_1.png"
            ),
            Some(Route::CdnRedirect)
        );
        assert_eq!(recognise(Target::Cdn, &Method::GET, "/redirect"), None);
        assert_eq!(recognise(Target::Cdn, &Method::GET, "/redirect/a//b"), None);
        // An API path on another listener is no operation.
        assert_eq!(recognise(Target::Cdn, &Method::GET, "/v1/assets"), None);
    }
}
