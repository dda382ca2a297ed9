//! The API listener: routes under `/v1`, and the gate every request goes through
//! (request id, fault injection, HTTP Basic auth, recording).

use std::sync::Arc;

use axum::Router;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State as Shared};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::conn::ConnHandle;
use crate::faults::{Fault, Route};
use crate::inspect::{RecordedRequest, Target};
use crate::responses::{api_error, status_from, truncate, with_retry_after};
use crate::server::{Config, State};
use crate::{assets, uploads};

pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/v1/assets", get(assets::list))
        .route("/v1/uploads", post(uploads::create))
        .route("/v1/uploads/{upload_id}", get(uploads::get))
        .route("/v1/uploads/{upload_id}/action", post(uploads::action))
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

/// As the service (NestJS) answers an unknown route: `Cannot GET /v1/nothing`.
async fn not_found(request: Request) -> Response {
    api_error(
        StatusCode::NOT_FOUND,
        format!("Cannot {} {}", request.method(), request.uri().path()),
    )
}

async fn gate(Shared(state): Shared<Arc<State>>, request: Request, next: Next) -> Response {
    let request_id = state.next_request_id();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let authorization = request.headers().contains_key(header::AUTHORIZATION);
    let conn = request
        .extensions()
        .get::<ConnectInfo<ConnHandle>>()
        .map(|info| info.0.clone());
    let route = Route::of_api(&method, &path);
    let fault = state.pick_fault(Target::Api, route, &method, &path, &request_id);

    let mut response = match &fault {
        Some(Fault::Drop) => {
            if let Some(conn) = &conn {
                conn.kill();
            }
            // Nothing of this can be written: the connection is cut.
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Some(Fault::Status(code)) => {
            let status = status_from(*code);
            api_error(status, format!("Injected fault: {status}"))
        }
        Some(Fault::RateLimited { retry_after }) => with_retry_after(
            api_error(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests, slow down",
            ),
            *retry_after,
        ),
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(*delay).await;
            handle(&state, route, request, next).await
        }
        Some(Fault::Truncate) | None => handle(&state, route, request, next).await,
    };

    if fault == Some(Fault::Truncate) {
        response = truncate(response, conn).await;
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    state.record(RecordedRequest {
        target: Target::Api,
        route,
        method: method.to_string(),
        path,
        query,
        status: (fault != Some(Fault::Drop)).then(|| response.status().as_u16()),
        authorization,
        request_id,
        fault,
    });
    response
}

/// Checks the credentials of a request to a known route, then handles it.
async fn handle(state: &State, route: Option<Route>, request: Request, next: Next) -> Response {
    if route.is_some() && !authorized(request.headers(), &state.config) {
        return unauthorized(request.headers());
    }
    next.run(request).await
}

/// Whether the request carries `Authorization: Basic base64(key:secret)` with the
/// configured credentials.
fn authorized(headers: &HeaderMap, config: &Config) -> bool {
    basic_credentials(headers)
        .is_some_and(|(key, secret)| key == config.api_key && secret == config.api_secret)
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (key, secret) = decoded.split_once(':')?;
    Some((key.to_owned(), secret.to_owned()))
}

fn unauthorized(headers: &HeaderMap) -> Response {
    let message = if headers.contains_key(header::AUTHORIZATION) {
        "Invalid API key or secret"
    } else {
        "Missing credentials: authenticate with HTTP Basic auth (API key as user name, API secret as password)"
    };
    api_error(StatusCode::UNAUTHORIZED, message)
}
