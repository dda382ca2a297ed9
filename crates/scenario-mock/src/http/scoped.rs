//! The answers projects and teams give the same way, once: brief, watermark,
//! webhook endpoints and their events, and text documents. The handlers of
//! `http::projects` and `http::teams` read the request and call these with the
//! [`Scope`] it is about.

use std::sync::Arc;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use scenario_api::Limits;
use scenario_api::types::{
    BriefResponse, BriefUpdateRequest, DeletedResponse, EmptyResponse, MemoryResponse,
    MemoryUpdateResponse, WatermarkLogoRequest, WatermarkPreviewRequest, WatermarkPreviewResponse,
    WatermarkResponse, WatermarkUpdateRequest, WebhookEndpointCreateRequest,
    WebhookEndpointListResponse, WebhookEndpointResponse, WebhookEndpointUpdateRequest,
    WebhookEndpointUpdateResponse, WebhookEventListResponse, WebhookEventResponse,
};

use crate::builders::built;
use crate::http::app::App;
use crate::http::models::{offset_token, page_of};
use crate::http::responses::api_error;
use crate::state::scoped::{Document, Scope, ScopedError};

/// Events per page of a webhook endpoint.
const EVENTS_PAGE: usize = 20;

/// A one-pixel PNG: the fake's watermark previews.
const PREVIEW_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

/// The answer to a refused scoped request.
pub(crate) fn refused(scope: &Scope, error: ScopedError) -> Response {
    let missing = |message: String| api_error(StatusCode::NOT_FOUND, message);
    match (error, scope) {
        (ScopedError::Owner, Scope::Project(id)) => missing(format!("Project {id} not found")),
        (ScopedError::Owner, Scope::Team(id)) => missing(format!("Team {id} not found")),
        (ScopedError::Unset(what), _) => missing(format!("No {what} is set")),
        (ScopedError::Endpoint(id), _) => missing(format!("Webhook endpoint {id} not found")),
        (ScopedError::Event(id), _) => missing(format!("Webhook event {id} not found")),
    }
}

fn answer<T: serde::Serialize>(scope: &Scope, result: Result<T, ScopedError>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(error) => refused(scope, error),
    }
}

fn deleted(scope: &Scope, result: Result<(), ScopedError>) -> Response {
    answer(
        scope,
        result.map(|()| built::<DeletedResponse, _>(DeletedResponse::builder().deleted(true))),
    )
}

pub(crate) fn brief(app: &Arc<App>, scope: &Scope) -> Response {
    let result = app.state.scoped(scope, |s, _| s.brief());
    answer(
        scope,
        result.map(|b| built::<BriefResponse, _>(BriefResponse::builder().brief(b))),
    )
}

pub(crate) fn set_brief(app: &Arc<App>, scope: &Scope, request: BriefUpdateRequest) -> Response {
    if request.body.trim().is_empty() {
        return api_error(StatusCode::BAD_REQUEST, "body must not be empty");
    }
    let result = app
        .state
        .scoped(scope, |s, change| Ok(s.set_brief(request, change)));
    answer(
        scope,
        result.map(|b| built::<BriefResponse, _>(BriefResponse::builder().brief(b))),
    )
}

pub(crate) fn delete_brief(app: &Arc<App>, scope: &Scope) -> Response {
    deleted(scope, app.state.scoped(scope, |s, _| s.delete_brief()))
}

fn watermark_answer(
    scope: &Scope,
    result: Result<scenario_api::types::Watermark, ScopedError>,
) -> Response {
    answer(
        scope,
        result.map(|w| built::<WatermarkResponse, _>(WatermarkResponse::builder().watermark(w))),
    )
}

/// Refuses a watermark whose numbers are outside the bounds the document
/// gives them, with the generated check's message.
fn bad_watermark(request: &impl Limits) -> Option<Response> {
    let err = request.check_limits().err()?;
    Some(api_error(
        StatusCode::BAD_REQUEST,
        format!("{} {}", err.name, err.message),
    ))
}

pub(crate) fn watermark(app: &Arc<App>, scope: &Scope) -> Response {
    watermark_answer(scope, app.state.scoped(scope, |s, _| s.watermark()))
}

pub(crate) fn set_watermark(
    app: &Arc<App>,
    scope: &Scope,
    request: WatermarkUpdateRequest,
) -> Response {
    if let Some(refusal) = bad_watermark(&request) {
        return refusal;
    }
    let result = app
        .state
        .scoped(scope, |s, change| Ok(s.set_watermark(request, change)));
    watermark_answer(scope, result)
}

pub(crate) fn delete_watermark(app: &Arc<App>, scope: &Scope) -> Response {
    deleted(scope, app.state.scoped(scope, |s, _| s.delete_watermark()))
}

/// Stores (`Some`, base64) or removes (`None`) the logo of the watermark.
pub(crate) fn set_logo(
    app: &Arc<App>,
    scope: &Scope,
    request: Option<WatermarkLogoRequest>,
) -> Response {
    let key = match request {
        Some(request) => {
            let data = request.logo.rsplit(',').next().unwrap_or_default();
            match base64::engine::general_purpose::STANDARD.decode(data.trim()) {
                Ok(bytes) if !bytes.is_empty() => {}
                _ => return api_error(StatusCode::BAD_REQUEST, "logo must be a base64 image"),
            }
            Some(format!("logos/{}.png", scope.id()))
        }
        None => None,
    };
    let result = app
        .state
        .scoped(scope, |s, change| s.set_logo(key, change.now_ms));
    watermark_answer(scope, result)
}

pub(crate) fn preview_watermark(
    app: &Arc<App>,
    scope: &Scope,
    request: &WatermarkPreviewRequest,
) -> Response {
    if let Some(refusal) = bad_watermark(request) {
        return refusal;
    }
    let result = app.state.scoped(scope, |_, _| Ok(()));
    answer(
        scope,
        result.map(|()| {
            built::<WatermarkPreviewResponse, _>(
                WatermarkPreviewResponse::builder()
                    .image(format!("data:image/png;base64,{PREVIEW_PNG}")),
            )
        }),
    )
}

pub(crate) fn create_hook(
    app: &Arc<App>,
    scope: &Scope,
    request: WebhookEndpointCreateRequest,
) -> Response {
    if request.enabled_events.is_empty() {
        return api_error(StatusCode::BAD_REQUEST, "enabledEvents must not be empty");
    }
    let result = app
        .state
        .scoped(scope, |s, change| Ok(s.create_hook(request, change)));
    answer(
        scope,
        result.map(|e| {
            built::<WebhookEndpointResponse, _>(
                WebhookEndpointResponse::builder().webhook_endpoint(e),
            )
        }),
    )
}

pub(crate) fn hooks(app: &Arc<App>, scope: &Scope) -> Response {
    let result = app.state.scoped(scope, |s, _| Ok(s.hooks()));
    answer(
        scope,
        result.map(|list| {
            built::<WebhookEndpointListResponse, _>(
                WebhookEndpointListResponse::builder().webhook_endpoints(list),
            )
        }),
    )
}

pub(crate) fn update_hook(
    app: &Arc<App>,
    scope: &Scope,
    id: &str,
    request: WebhookEndpointUpdateRequest,
) -> Response {
    let result = app
        .state
        .scoped(scope, |s, change| s.update_hook(id, request, change.now_ms));
    answer(
        scope,
        result.map(|e| {
            built::<WebhookEndpointUpdateResponse, _>(
                WebhookEndpointUpdateResponse::builder().webhook_endpoint(e),
            )
        }),
    )
}

pub(crate) fn delete_hook(app: &Arc<App>, scope: &Scope, id: &str) -> Response {
    let result = app.state.scoped(scope, |s, _| s.delete_hook(id));
    answer(
        scope,
        result.map(|()| EmptyResponse::from(serde_json::Map::new())),
    )
}

/// The events of an endpoint, newest first; the token is the offset of the next page.
pub(crate) fn events(app: &Arc<App>, scope: &Scope, id: &str, token: Option<&str>) -> Response {
    let offset = offset_token("events", token);
    let result = app.state.scoped(scope, |s, _| s.events(id));
    answer(
        scope,
        result.map(|all| {
            let (page, next) = page_of(&all, "events", offset, EVENTS_PAGE);
            built::<WebhookEventListResponse, _>(
                WebhookEventListResponse::builder()
                    .items(page)
                    .next_pagination_token(next),
            )
        }),
    )
}

pub(crate) fn event(app: &Arc<App>, scope: &Scope, id: &str, event: &str) -> Response {
    let result = app.state.scoped(scope, |s, _| s.event(id, event));
    answer(
        scope,
        result.map(|e| {
            built::<WebhookEventResponse, _>(WebhookEventResponse::builder().webhook_event(e))
        }),
    )
}

pub(crate) fn document(app: &Arc<App>, scope: &Scope, which: Document) -> Response {
    let result = app.state.scoped(scope, |s, change| {
        Ok(s.document(which, scope, change.now_ms))
    });
    answer(
        scope,
        result.map(|m| built::<MemoryResponse, _>(MemoryResponse::builder().memory(m))),
    )
}

pub(crate) fn set_document(
    app: &Arc<App>,
    scope: &Scope,
    which: Document,
    content: Option<String>,
) -> Response {
    let result = app.state.scoped(scope, |s, change| {
        Ok(s.set_document(which, content.unwrap_or_default(), change))
    });
    answer(
        scope,
        result.map(|m| {
            built::<MemoryUpdateResponse, _>(MemoryUpdateResponse::builder().memory(Some(m)))
        }),
    )
}

/// The handlers of the scoped routes of one owner, in the module that calls it:
/// `$scope` makes the [`Scope`] from the owner's id, `$events` is the operation
/// listing the events of an endpoint (whose query carries the page token).
macro_rules! scoped_handlers {
    ($scope:path, $events:ty, $events_query:ty) => {
        type OwnerPath =
            Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>;
        type HookPath =
            Result<axum::extract::Path<(String, String)>, axum::extract::rejection::PathRejection>;
        type EventPath = Result<
            axum::extract::Path<(String, String, String)>,
            axum::extract::rejection::PathRejection,
        >;
        type JsonBody = Result<bytes::Bytes, axum::extract::rejection::BytesRejection>;
        type AppState = axum::extract::State<std::sync::Arc<$crate::http::app::App>>;
        type Answer = axum::response::Response;

        /// `GET …/brief`.
        pub(crate) async fn get_brief(
            axum::extract::State(app): AppState,
            path: OwnerPath,
        ) -> Answer {
            let id = $crate::http::extract::id_of!(path);
            $crate::http::scoped::brief(&app, &$scope(id))
        }

        /// `PUT …/brief`.
        pub(crate) async fn update_brief(
            axum::extract::State(app): AppState,
            path: OwnerPath,
            body: JsonBody,
        ) -> Answer {
            let id = $crate::http::extract::id_of!(path);
            let request = $crate::http::extract::body_of!(body);
            $crate::http::scoped::set_brief(&app, &$scope(id), request)
        }

        /// `DELETE …/brief`.
        pub(crate) async fn delete_brief(
            axum::extract::State(app): AppState,
            path: OwnerPath,
        ) -> Answer {
            let id = $crate::http::extract::id_of!(path);
            $crate::http::scoped::delete_brief(&app, &$scope(id))
        }

        /// `GET …/watermark`.
        pub(crate) async fn get_watermark(
            axum::extract::State(app): AppState,
            path: OwnerPath,
        ) -> Answer {
            let id = $crate::http::extract::id_of!(path);
            $crate::http::scoped::watermark(&app, &$scope(id))
        }

        /// `PUT …/watermark`.
        pub(crate) async fn update_watermark(
            axum::extract::State(app): AppState,
            path: OwnerPath,
            body: JsonBody,
        ) -> Answer {
            let id = $crate::http::extract::id_of!(path);
            let request = $crate::http::extract::body_of!(body);
            $crate::http::scoped::set_watermark(&app, &$scope(id), request)
        }

        /// `DELETE …/watermark`.
        pub(crate) async fn delete_watermark(
            axum::extract::State(app): AppState,
            path: OwnerPath,
        ) -> Answer {
            let id = $crate::http::extract::id_of!(path);
            $crate::http::scoped::delete_watermark(&app, &$scope(id))
        }

        /// `PUT …/watermark/logo`.
        pub(crate) async fn update_watermark_logo(
            axum::extract::State(app): AppState,
            path: OwnerPath,
            body: JsonBody,
        ) -> Answer {
            let id = $crate::http::extract::id_of!(path);
            let request = $crate::http::extract::body_of!(body);
            $crate::http::scoped::set_logo(&app, &$scope(id), Some(request))
        }

        /// `DELETE …/watermark/logo`.
        pub(crate) async fn delete_watermark_logo(
            axum::extract::State(app): AppState,
            path: OwnerPath,
        ) -> Answer {
            let id = $crate::http::extract::id_of!(path);
            $crate::http::scoped::set_logo(&app, &$scope(id), None)
        }

        /// `POST …/watermark/preview`.
        pub(crate) async fn preview_watermark(
            axum::extract::State(app): AppState,
            path: OwnerPath,
            body: JsonBody,
        ) -> Answer {
            let id = $crate::http::extract::id_of!(path);
            let request = $crate::http::extract::body_of!(body);
            $crate::http::scoped::preview_watermark(&app, &$scope(id), &request)
        }

        /// `POST …/webhook-endpoints`.
        pub(crate) async fn create_webhook_endpoint(
            axum::extract::State(app): AppState,
            path: OwnerPath,
            body: JsonBody,
        ) -> Answer {
            let id = $crate::http::extract::id_of!(path);
            let request = $crate::http::extract::body_of!(body);
            $crate::http::scoped::create_hook(&app, &$scope(id), request)
        }

        /// `GET …/webhook-endpoints`.
        pub(crate) async fn list_webhook_endpoints(
            axum::extract::State(app): AppState,
            path: OwnerPath,
        ) -> Answer {
            let id = $crate::http::extract::id_of!(path);
            $crate::http::scoped::hooks(&app, &$scope(id))
        }

        /// `PUT …/webhook-endpoints/{webhookEndpointId}`.
        pub(crate) async fn update_webhook_endpoint(
            axum::extract::State(app): AppState,
            path: HookPath,
            body: JsonBody,
        ) -> Answer {
            let (id, hook) = $crate::http::extract::ids_of!(path);
            let request = $crate::http::extract::body_of!(body);
            $crate::http::scoped::update_hook(&app, &$scope(id), &hook, request)
        }

        /// `DELETE …/webhook-endpoints/{webhookEndpointId}`.
        pub(crate) async fn delete_webhook_endpoint(
            axum::extract::State(app): AppState,
            path: HookPath,
        ) -> Answer {
            let (id, hook) = $crate::http::extract::ids_of!(path);
            $crate::http::scoped::delete_hook(&app, &$scope(id), &hook)
        }

        /// `GET …/webhook-endpoints/{webhookEndpointId}/events`.
        pub(crate) async fn list_webhook_events(
            axum::extract::State(app): AppState,
            path: HookPath,
            uri: axum::http::Uri,
        ) -> Answer {
            let (id, hook) = $crate::http::extract::ids_of!(path);
            let query: $events_query = $crate::http::extract::query_of!($events, uri);
            $crate::http::scoped::events(
                &app,
                &$scope(id),
                &hook,
                query.pagination_token.as_deref(),
            )
        }

        /// `GET …/webhook-endpoints/{webhookEndpointId}/events/{eventId}`.
        pub(crate) async fn get_webhook_event(
            axum::extract::State(app): AppState,
            path: EventPath,
        ) -> Answer {
            let (id, hook, event) = $crate::http::extract::ids_of!(path);
            $crate::http::scoped::event(&app, &$scope(id), &hook, &event)
        }
    };
}

pub(crate) use scoped_handlers;
