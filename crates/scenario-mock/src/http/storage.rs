//! The storage listener's handlers, standing in for S3 presigned part URLs:
//! `PUT /parts/{uploadId}/{n}?expires=<unix secs>&signature=<hex>`, and S3's
//! answers to every other request.
//!
//! A part is streamed: each chunk goes through a SHA-256 and, for uploads small
//! enough to retain, is kept as received (no copy). The state is locked twice per
//! PUT (to find the upload, then to store the part), never per chunk.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::{RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use sha2::{Digest, Sha256};

use crate::http::app::{App, RequestId};
use crate::http::responses::{drain, s3_error};
use crate::http::signing::signature;
use crate::state::uploads::{MAX_PART_SIZE, MAX_PARTS, PartSlot, StoredPart};

/// A rejection: drain the body, then answer with an S3 error.
async fn reject(
    body: Body,
    app: &App,
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response {
    drain(body, app.settings.body_idle_timeout).await;
    s3_error(status, code, message, request_id)
}

/// Whatever the route table does not send to [`put_part`]: another method (S3
/// checks it first), a part URL without a part number, or another key.
pub(crate) async fn unrouted(
    State(app): State<Arc<App>>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    if parts.method != Method::PUT {
        return reject(
            body,
            &app,
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            &request_id,
        )
        .await;
    }
    // axum routes no empty last segment, but S3 reads `/parts/{id}/` as a part
    // URL with a bad part number.
    let without_number = parts
        .uri
        .path()
        .strip_prefix("/parts/")
        .and_then(|rest| rest.strip_suffix('/'))
        .is_some_and(|upload_id| !upload_id.is_empty() && !upload_id.contains('/'));
    if without_number {
        return reject(
            body,
            &app,
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            BAD_PART_NUMBER,
            &request_id,
        )
        .await;
    }
    no_such_key(body, &app, &request_id).await
}

async fn no_such_key(body: Body, app: &App, request_id: &str) -> Response {
    reject(
        body,
        app,
        StatusCode::NOT_FOUND,
        "NoSuchKey",
        "The specified key does not exist.",
        request_id,
    )
    .await
}

/// S3's answer to a part number outside 1..=10000.
const BAD_PART_NUMBER: &str = "Part number must be an integer between 1 and 10000, inclusive";

/// `PUT /parts/{uploadId}/{n}`.
pub(crate) async fn put_part(
    State(app): State<Arc<App>>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    params: RawPathParams,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    // Raw, as the URL was signed. axum lets a parameter be empty: an empty upload
    // id names no key, an empty part number is a bad one.
    let mut values = params.iter().map(|(_, value)| value);
    let (Some(upload_id), Some(number)) =
        (values.next().filter(|id| !id.is_empty()), values.next())
    else {
        return no_such_key(body, &app, &request_id).await;
    };
    put(&app, &parts, upload_id, number, body, &request_id).await
}

async fn put(
    app: &App,
    parts: &Parts,
    upload_id: &str,
    number: &str,
    body: Body,
    request_id: &str,
) -> Response {
    let Some(number) = number
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_PARTS).contains(n))
    else {
        return reject(
            body,
            app,
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            BAD_PART_NUMBER,
            request_id,
        )
        .await;
    };
    if parts.headers.contains_key(header::AUTHORIZATION) {
        return reject(
            body,
            app,
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
            app,
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
        .map(|secs| (secs, signature(&app.signing_key, upload_id, number, secs)));
    let Some((expires, _)) = expected.filter(|(_, expected)| *expected == given_signature) else {
        return reject(
            body,
            app,
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
            request_id,
        )
        .await;
    };
    if app.state.clock.now_ms() >= expires.saturating_mul(1000) {
        return reject(
            body,
            app,
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
            app,
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
            app,
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
            app,
            StatusCode::BAD_REQUEST,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
            request_id,
        )
        .await;
    }
    let no_such_upload = "The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.";
    let slot = app.state.part_slot(upload_id, number);
    let retain = match slot {
        PartSlot::Open { retain } => retain,
        PartSlot::Closed => {
            return reject(
                body,
                app,
                StatusCode::NOT_FOUND,
                "NoSuchUpload",
                no_such_upload,
                request_id,
            )
            .await;
        }
    };

    let digests = app.settings.part_digests;
    let mut hasher = digests.then(Sha256::new);
    let mut size = 0u64;
    let mut chunks = (retain && digests).then(Vec::new);
    let mut stream = body.into_data_stream();
    loop {
        let next = tokio::time::timeout(app.settings.body_idle_timeout, stream.next()).await;
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
                if let Some(hasher) = &mut hasher {
                    hasher.update(&chunk);
                }
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
    let sha256 = hasher.map_or_else(String::new, |h| format!("{:x}", h.finalize()));
    let stored = app.state.store_part(
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
    let tag = if sha256.is_empty() {
        format!("size-{size}")
    } else {
        sha256
    };
    let etag = HeaderValue::from_str(&format!("\"{tag}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"\""));
    (StatusCode::OK, [(header::ETAG, etag)]).into_response()
}
