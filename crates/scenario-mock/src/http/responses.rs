//! Response shapes shared by the handlers: the API's JSON errors (and its answer to
//! unknown routes), S3's XML errors and the draining of rejected bodies, rate
//! limiting headers and truncated bodies.

use std::io;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;
use scenario_api::types::ApiError;

use crate::builders::built;
use crate::http::conn::ConnHandle;
use crate::state::uploads::MAX_PART_SIZE;

/// A final status from a number: 500 unless it is within 200..=599.
pub(crate) fn status_from(code: u16) -> StatusCode {
    StatusCode::from_u16(code)
        .ok()
        .filter(|status| (200..=599).contains(&status.as_u16()))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The API's error body: `{"message": "...", "error": "Bad Request", "statusCode": 400}`.
pub(crate) fn api_error(status: StatusCode, message: impl Into<String>) -> Response {
    let body: ApiError = built(
        ApiError::builder()
            .message(message.into())
            .error(status.canonical_reason().unwrap_or("Error").to_owned())
            .status_code(status.as_u16()),
    );
    (status, Json(body)).into_response()
}

/// As the service (NestJS) answers an unknown route: `Cannot GET /v1/nothing`.
pub(crate) async fn route_not_found(request: Request) -> Response {
    api_error(
        StatusCode::NOT_FOUND,
        format!("Cannot {} {}", request.method(), request.uri().path()),
    )
}

/// An API error not yet turned into a response (small enough to return in a `Result`).
#[derive(Debug)]
pub(crate) struct Rejection {
    status: StatusCode,
    message: String,
}

impl Rejection {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        api_error(self.status, self.message)
    }
}

/// An S3-style XML error body.
pub(crate) fn s3_error(
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><RequestId>{}</RequestId></Error>",
        xml_escape(code),
        xml_escape(message),
        xml_escape(request_id)
    );
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml"),
        )],
        body,
    )
        .into_response()
}

/// Reads and discards a body the server rejects, so the client can read the
/// answer instead of failing to write the rest of its body.
pub(crate) async fn drain(body: Body, idle_timeout: Duration) {
    let mut stream = body.into_data_stream();
    let mut read = 0u64;
    while let Ok(Some(Ok(chunk))) = tokio::time::timeout(idle_timeout, stream.next()).await {
        read += chunk.len() as u64;
        if read > MAX_PART_SIZE {
            break;
        }
    }
}

/// The S3 error code that goes with a status an injected fault answers.
pub(crate) fn s3_code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "InvalidRequest",
        403 => "AccessDenied",
        404 => "NoSuchKey",
        405 => "MethodNotAllowed",
        409 => "OperationAborted",
        411 => "MissingContentLength",
        429 | 503 => "SlowDown",
        501 => "NotImplemented",
        _ => "InternalError",
    }
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Adds `Retry-After` (whole seconds, rounded up) and `retry-after-ms`.
pub(crate) fn with_retry_after(mut response: Response, retry_after: Duration) -> Response {
    let ms = retry_after.as_millis();
    let secs = ms.div_ceil(1000);
    let headers = response.headers_mut();
    headers.insert(
        header::RETRY_AFTER,
        HeaderValue::from(u64::try_from(secs).unwrap_or(u64::MAX)),
    );
    headers.insert(
        "retry-after-ms",
        HeaderValue::from(u64::try_from(ms).unwrap_or(u64::MAX)),
    );
    response
}

/// Sends half of the response's body under a `Content-Length` that promises more,
/// then cuts the connection.
pub(crate) async fn truncate(response: Response, conn: Option<ConnHandle>) -> Response {
    let (mut parts, body) = response.into_parts();
    let full = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let declared = full.len().max(32);
    let sent: Bytes = full.slice(..full.len() / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(declared));
    let chunks = futures::stream::unfold(Some(sent), move |state| {
        let conn = conn.clone();
        async move {
            match state {
                Some(sent) => Some((Ok::<Bytes, io::Error>(sent), None)),
                None => {
                    // Let the server flush what was sent before the cut.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    if let Some(conn) = conn {
                        conn.kill();
                    }
                    Some((
                        Err(io::Error::new(
                            io::ErrorKind::ConnectionAborted,
                            "response truncated by an injected fault",
                        )),
                        None,
                    ))
                }
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(chunks))
}
