//! The HTTP layer: the three listeners' routers, made of one gate, the handlers
//! each area registers for the document's operations, and the few undocumented
//! storage and CDN endpoints, on top of the state layer.

pub(crate) mod app;
mod assets;
mod catalog;
mod cdn;
mod collections;
pub(crate) mod conn;
mod extract;
mod gate;
mod generate;
mod jobs;
mod models;
mod projects;
mod request;
mod responses;
pub(crate) mod routes;
mod scoped;
mod search;
mod signing;
mod storage;
mod teams;
mod uploads;
mod workflows;

use std::sync::Arc;

use axum::Router;
use axum::middleware;

use crate::http::app::App;
use crate::http::responses::route_not_found;
use crate::http::routes::{BASE_PATH, UNDOCUMENTED, api_handlers};
use crate::route::Target;

/// The router of the listener `target`, behind the gate: every operation of the
/// document for the API, the undocumented endpoints for the others.
///
/// # Panics
///
/// When an operation of the document has no handler, or more than one: a
/// defect of the fake that every test starting one reports, naming it.
pub(crate) fn router(app: Arc<App>, target: Target) -> Router {
    let routed = match target {
        Target::Api => api_handlers()
            .unwrap_or_else(|problems| panic!("the fake's routes: {problems}"))
            .into_iter()
            .fold(Router::new(), |router, (path, handler)| {
                router.route(&format!("{}{path}", *BASE_PATH), handler)
            }),
        Target::Storage | Target::Cdn => UNDOCUMENTED
            .iter()
            .filter(|endpoint| endpoint.target == target)
            .fold(Router::new(), |router, endpoint| {
                router.route(endpoint.path, endpoint.method_router())
            }),
    };
    // Each listener answers what it does not route in its own dialect.
    let routed = match target {
        Target::Api => routed
            .fallback(route_not_found)
            .method_not_allowed_fallback(route_not_found),
        Target::Storage => routed
            .fallback(storage::unrouted)
            .method_not_allowed_fallback(storage::unrouted),
        Target::Cdn => routed
            .fallback(cdn::unrouted)
            .method_not_allowed_fallback(cdn::unrouted),
    };
    routed
        .layer(middleware::from_fn_with_state(
            (app.clone(), target),
            gate::gate,
        ))
        .with_state(app)
}
