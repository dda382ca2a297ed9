//! The storage listener, standing in for S3 presigned part URLs:
//! `PUT /parts/{uploadId}/{n}?expires=<unix secs>&signature=<hex>`.
//!
//! A part is streamed: each chunk goes through a SHA-256 and, for uploads small
//! enough to retain, is kept as received (no copy). Shared state is locked twice per
//! PUT (to find the upload, then to store the part), never per chunk.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State as Shared};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use scenario_api::types::UploadPart;
use sha2::{Digest, Sha256};

use crate::clock::{iso, millis};
use crate::conn::ConnHandle;
use crate::faults::{Fault, Route};
use crate::inspect::{RecordedRequest, Target};
use crate::responses::{s3_code_for, s3_error, status_from, truncate, with_retry_after};
use crate::server::{State, lock};
use crate::uploads::{MAX_PARTS, PartSlot, StoredPart};

/// S3's largest part.
const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;

pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

/// The signature of a part URL: SHA-256 over the server's secret key and what the
/// URL allows (method, path, expiry).
pub(crate) fn signature(key: &str, upload_id: &str, number: u32, expires: u64) -> String {
    let mut hasher = Sha256::new();
    hasher.update(key.as_bytes());
    hasher.update(format!("\nPUT\n/parts/{upload_id}/{number}\n{expires}").as_bytes());
    format!("{:x}", hasher.finalize())
}

/// Part URLs for parts 1..=count, valid for the configured TTL from now.
pub(crate) fn sign_parts(state: &State, upload_id: &str, count: u32) -> Vec<UploadPart> {
    let expires_ms = state
        .clock
        .now_ms()
        .saturating_add(millis(state.config.part_url_ttl));
    let expires = expires_ms / 1000;
    let expires_iso = iso(expires * 1000);
    (1..=count)
        .map(|number| UploadPart {
            expires: expires_iso.clone(),
            number,
            url: format!(
                "{}/parts/{upload_id}/{number}?expires={expires}&signature={}",
                state.storage_url,
                signature(&state.signing_key, upload_id, number, expires)
            ),
        })
        .collect()
}

async fn handle(Shared(state): Shared<Arc<State>>, request: Request) -> Response {
    let request_id = state.next_request_id();
    let conn = request
        .extensions()
        .get::<ConnectInfo<ConnHandle>>()
        .map(|info| info.0.clone());
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let route = Route::of_storage(&parts.method, &path);
    let fault = state.pick_fault(Target::Storage, route, &parts.method, &path, &request_id);

    let mut response = match &fault {
        Some(Fault::Drop) => {
            // Read a little of the body, as a connection that breaks mid-upload would.
            let mut stream = body.into_data_stream();
            let _ = tokio::time::timeout(Duration::from_millis(200), stream.next()).await;
            if let Some(conn) = &conn {
                conn.kill();
            }
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Some(Fault::Status(code)) => {
            let status = status_from(*code);
            drain(body, &state).await;
            s3_error(
                status,
                s3_code_for(status),
                &format!("Injected fault: {status}"),
                &request_id,
            )
        }
        Some(Fault::RateLimited { retry_after }) => {
            drain(body, &state).await;
            with_retry_after(
                s3_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "SlowDown",
                    "Please reduce your request rate.",
                    &request_id,
                ),
                *retry_after,
            )
        }
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(*delay).await;
            put_part(&state, &parts, body, &request_id).await
        }
        Some(Fault::Truncate) | None => put_part(&state, &parts, body, &request_id).await,
    };
    if fault == Some(Fault::Truncate) {
        response = truncate(response, conn).await;
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amz-request-id", value);
    }
    state.record(RecordedRequest {
        target: Target::Storage,
        route,
        method: parts.method.to_string(),
        path,
        query: parts.uri.query().map(str::to_owned),
        status: (fault != Some(Fault::Drop)).then(|| response.status().as_u16()),
        authorization: parts.headers.contains_key(header::AUTHORIZATION),
        request_id,
        fault,
    });
    response
}

/// Reads and discards a body the server rejects, so the client can read the
/// answer instead of failing to write the rest of its body.
async fn drain(body: Body, state: &State) {
    let mut stream = body.into_data_stream();
    let mut read = 0u64;
    while let Ok(Some(Ok(chunk))) =
        tokio::time::timeout(state.config.body_idle_timeout, stream.next()).await
    {
        read += chunk.len() as u64;
        if read > MAX_PART_SIZE {
            break;
        }
    }
}

/// A rejection: drain the body, then answer with an S3 error.
async fn reject(
    body: Body,
    state: &State,
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response {
    drain(body, state).await;
    s3_error(status, code, message, request_id)
}

async fn put_part(state: &State, parts: &Parts, body: Body, request_id: &str) -> Response {
    if parts.method != Method::PUT {
        return reject(
            body,
            state,
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            request_id,
        )
        .await;
    }
    let segments: Vec<&str> = parts.uri.path().split('/').collect();
    let (upload_id, number) = match segments.as_slice() {
        ["", "parts", upload_id, number] if !upload_id.is_empty() => (*upload_id, *number),
        _ => {
            return reject(
                body,
                state,
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
                request_id,
            )
            .await;
        }
    };
    let Some(number) = number
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_PARTS).contains(n))
    else {
        return reject(
            body,
            state,
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Part number must be an integer between 1 and 10000, inclusive",
            request_id,
        )
        .await;
    };
    if parts.headers.contains_key(header::AUTHORIZATION) {
        return reject(
            body,
            state,
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
            request_id,
        )
        .await;
    }
    let query = parts.uri.query().unwrap_or_default();
    let mut expires = None;
    let mut given_signature = None;
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "expires" => expires = Some(value.into_owned()),
            "signature" => given_signature = Some(value.into_owned()),
            _ => {}
        }
    }
    let (Some(expires), Some(given_signature)) = (expires, given_signature) else {
        return reject(
            body,
            state,
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Query-string authentication requires the signature and expires parameters",
            request_id,
        )
        .await;
    };
    let expected = expires
        .parse::<u64>()
        .ok()
        .map(|secs| (secs, signature(&state.signing_key, upload_id, number, secs)));
    let Some((expires, _)) = expected.filter(|(_, expected)| *expected == given_signature) else {
        return reject(
            body,
            state,
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
            request_id,
        )
        .await;
    };
    if state.clock.now_ms() >= expires.saturating_mul(1000) {
        return reject(
            body,
            state,
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Request has expired",
            request_id,
        )
        .await;
    }
    let Some(content_length) = parts.headers.get(header::CONTENT_LENGTH) else {
        return reject(
            body,
            state,
            StatusCode::LENGTH_REQUIRED,
            "MissingContentLength",
            "You must provide the Content-Length HTTP header.",
            request_id,
        )
        .await;
    };
    let Some(content_length) = content_length
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    else {
        return reject(
            body,
            state,
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "The Content-Length header is not a number.",
            request_id,
        )
        .await;
    };
    if content_length > MAX_PART_SIZE {
        return reject(
            body,
            state,
            StatusCode::BAD_REQUEST,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
            request_id,
        )
        .await;
    }
    let no_such_upload = "The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.";
    let slot = lock(&state.uploads).part_slot(upload_id, number);
    let retain = match slot {
        PartSlot::Open { retain } => retain,
        PartSlot::Closed => {
            return reject(
                body,
                state,
                StatusCode::NOT_FOUND,
                "NoSuchUpload",
                no_such_upload,
                request_id,
            )
            .await;
        }
    };

    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut chunks = retain.then(Vec::new);
    let mut stream = body.into_data_stream();
    loop {
        let next = tokio::time::timeout(state.config.body_idle_timeout, stream.next()).await;
        match next {
            Err(_) => {
                return s3_error(
                    StatusCode::BAD_REQUEST,
                    "RequestTimeout",
                    "Your socket connection to the server was not read from or written to within the timeout period.",
                    request_id,
                );
            }
            Ok(None) => break,
            Ok(Some(Err(_))) => {
                return s3_error(
                    StatusCode::BAD_REQUEST,
                    "IncompleteBody",
                    "You did not provide the number of bytes specified by the Content-Length HTTP header.",
                    request_id,
                );
            }
            Ok(Some(Ok(chunk))) => {
                hasher.update(&chunk);
                size += chunk.len() as u64;
                if let Some(chunks) = &mut chunks {
                    chunks.push(chunk);
                }
            }
        }
    }
    if size != content_length {
        return s3_error(
            StatusCode::BAD_REQUEST,
            "IncompleteBody",
            "You did not provide the number of bytes specified by the Content-Length HTTP header.",
            request_id,
        );
    }
    let sha256 = format!("{:x}", hasher.finalize());
    let stored = lock(&state.uploads).store_part(
        upload_id,
        number,
        StoredPart {
            size,
            sha256: sha256.clone(),
            chunks,
            puts: 1,
        },
    );
    if !stored {
        return s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchUpload",
            no_such_upload,
            request_id,
        );
    }
    let etag = HeaderValue::from_str(&format!("\"{sha256}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"\""));
    (StatusCode::OK, [(header::ETAG, etag)]).into_response()
}
