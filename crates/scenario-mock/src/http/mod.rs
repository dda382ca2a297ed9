//! The HTTP layer: the three listeners' routers, made of one gate, one route table
//! and the handlers of each area, on top of the state layer.

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
mod routes;
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
use crate::http::routes::ENDPOINTS;
use crate::route::Target;

/// The router of the listener `target`: the table's endpoints for it, behind the gate.
pub(crate) fn router(app: Arc<App>, target: Target) -> Router {
    let routed = ENDPOINTS
        .iter()
        .filter(|endpoint| endpoint.target == target)
        .fold(Router::new(), |router, endpoint| {
            router.route(endpoint.path, endpoint.method_router())
        });
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
