//! The gate every request of every listener goes through: a request id, fault
//! injection, HTTP Basic auth (API only), and recording.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures::StreamExt;

use crate::faults::Fault;
use crate::http::app::{App, RequestId, Settings};
use crate::http::conn::ConnHandle;
use crate::http::responses::{
    api_error, drain, s3_code_for, s3_error, status_from, truncate, with_retry_after,
};
use crate::http::routes;
use crate::inspect::RecordedRequest;
use crate::route::{Route, Target};
use scenario_api::ops::OperationId;

/// The middleware of the listener `target`.
pub(crate) async fn gate(
    State((app, target)): State<(Arc<App>, Target)>,
    mut request: Request,
    next: Next,
) -> Response {
    let request_id = app.next_request_id();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let authorization = request.headers().contains_key(header::AUTHORIZATION);
    let header_names = request
        .headers()
        .keys()
        .map(|name| name.as_str().to_owned())
        .collect();
    let conn = request
        .extensions()
        .get::<ConnectInfo<ConnHandle>>()
        .map(|info| info.0.clone());
    let route = routes::recognise(target, &method, &path);
    let fault = app.pick_fault(target, route, &method, &path, &request_id);
    request
        .extensions_mut()
        .insert(RequestId(request_id.clone()));

    let mut response = match &fault {
        Some(Fault::Drop) => {
            if target != Target::Api {
                // Read a little of the body, as a connection that breaks mid-upload would.
                let mut stream = request.into_body().into_data_stream();
                let _ = tokio::time::timeout(Duration::from_millis(200), stream.next()).await;
            }
            if let Some(conn) = &conn {
                conn.kill();
            }
            // Nothing of this can be written: the connection is cut.
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Some(Fault::Status(code)) => {
            let status = status_from(*code);
            let message = format!("Injected fault: {status}");
            match target {
                Target::Api => api_error(status, message),
                Target::Storage | Target::Cdn => {
                    drain(request.into_body(), app.settings.body_idle_timeout).await;
                    s3_error(status, s3_code_for(status), &message, &request_id)
                }
            }
        }
        Some(Fault::RateLimited { retry_after }) => {
            let refusal = match target {
                Target::Api => api_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many requests, slow down",
                ),
                Target::Storage | Target::Cdn => {
                    drain(request.into_body(), app.settings.body_idle_timeout).await;
                    s3_error(
                        StatusCode::TOO_MANY_REQUESTS,
                        "SlowDown",
                        "Please reduce your request rate.",
                        &request_id,
                    )
                }
            };
            with_retry_after(refusal, *retry_after)
        }
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(*delay).await;
            admit(&app.settings, target, route, request, next).await
        }
        Some(Fault::Truncate) | None => admit(&app.settings, target, route, request, next).await,
        Some(Fault::ActThenStatus(code)) => {
            // The handler's answer is thrown away; its effects stay.
            drop(admit(&app.settings, target, route, request, next).await);
            let status = status_from(*code);
            let message = format!("Injected fault after handling the request: {status}");
            match target {
                Target::Api => api_error(status, message),
                Target::Storage | Target::Cdn => {
                    s3_error(status, s3_code_for(status), &message, &request_id)
                }
            }
        }
        Some(Fault::ActThenDrop) => {
            drop(admit(&app.settings, target, route, request, next).await);
            if let Some(conn) = &conn {
                conn.kill();
            }
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    };

    if fault == Some(Fault::Truncate) {
        response = truncate(response, conn).await;
    }
    let id_header = match target {
        Target::Api => "x-request-id",
        Target::Storage => "x-amz-request-id",
        Target::Cdn => "x-amz-cf-id",
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(id_header, value);
    }
    app.record(RecordedRequest {
        target,
        route,
        method: method.to_string(),
        path,
        query,
        status: (!matches!(fault, Some(Fault::Drop | Fault::ActThenDrop)))
            .then(|| response.status().as_u16()),
        authorization,
        header_names,
        request_id,
        fault,
    });
    response
}

/// Hands the request on, after checking the credentials of a request to a known
/// API route (unknown ones answer 404 first, as the service does).
async fn admit(
    settings: &Settings,
    target: Target,
    route: Option<Route>,
    request: Request,
    next: Next,
) -> Response {
    let mut request = request;
    if target == Target::Api && route.is_some() {
        match caller(request.headers(), settings) {
            Some(Caller::Account) => {}
            Some(Caller::Public) if route == Some(Route::Api(OperationId::ListAssets)) => {
                request.extensions_mut().insert(Caller::Public);
            }
            Some(Caller::Public) => {
                return api_error(
                    StatusCode::UNAUTHORIZED,
                    "Public access (public-auth-token) only lists public assets: authenticate \
                     with an API key and secret, or a bearer token, for this endpoint",
                );
            }
            None => return unauthorized(request.headers()),
        }
    }
    next.run(request).await
}

/// Who the gate admitted a request as: an account, or anyone (public access,
/// which the assets listing reads from the request's extensions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Caller {
    /// Basic credentials or the bearer token.
    Account,
    /// `Authorization: public-auth-token`.
    Public,
}

/// Whom the request's `Authorization` names, if anyone the fake knows.
fn caller(headers: &HeaderMap, settings: &Settings) -> Option<Caller> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    if value == "public-auth-token" {
        return Some(Caller::Public);
    }
    if let Some((_, token)) = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
    {
        return (token.trim() == settings.bearer_token).then_some(Caller::Account);
    }
    basic_credentials(headers)
        .filter(|(key, secret)| *key == settings.api_key && *secret == settings.api_secret)
        .map(|_| Caller::Account)
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
        "Invalid credentials: check the API key and secret, or the bearer token"
    } else {
        "Missing credentials: authenticate with HTTP Basic auth (API key as user name, API secret as password)"
    };
    api_error(StatusCode::UNAUTHORIZED, message)
}
