//! The CDN listener's handlers: asset files (`/files/{ownerId}/{assetId}.{ext}`)
//! and archives (`/archives/{ownerId}/{jobId}.zip`), with single byte ranges as
//! CloudFront serves them, and a redirect hop (`/redirect/...`) that answers 302
//! to the same path without the prefix. No credentials are asked for: file URLs
//! are capabilities, as signed CDN URLs are.

use std::convert::Infallible;
use std::ops::Range;
use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::http::app::{App, RequestId};
use crate::http::responses::s3_error;
use crate::state::content::Content;

/// `GET /files/{ownerId}/{file}`.
pub(crate) async fn file(
    State(app): State<Arc<App>>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Path((_owner, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let found = file
        .rsplit_once('.')
        .and_then(|(asset_id, extension)| app.state.file_content(asset_id, extension));
    match found {
        Some((content, mime_type)) => serve(&content, &mime_type, &file, &headers),
        None => not_found(&request_id),
    }
}

/// `GET /archives/{ownerId}/{jobId}.zip`.
pub(crate) async fn archive(
    State(app): State<Arc<App>>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Path((_owner, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let found = file
        .strip_suffix(".zip")
        .and_then(|job_id| app.state.archive_content(job_id));
    match found {
        Some(content) => serve(&content, "application/zip", &file, &headers),
        None => not_found(&request_id),
    }
}

/// `GET /redirect/{path..}`: 302 to `/{path..}` on this listener, query kept.
pub(crate) async fn redirect(State(app): State<Arc<App>>, uri: Uri) -> Response {
    let rest = uri.path().strip_prefix("/redirect").unwrap_or(uri.path());
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let location = format!("{}{rest}{query}", app.cdn_url);
    match HeaderValue::from_str(&location) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// What the table does not route: S3's 404 (CloudFront passes its origin's).
pub(crate) async fn unrouted(Extension(RequestId(request_id)): Extension<RequestId>) -> Response {
    not_found(&request_id)
}

fn not_found(request_id: &str) -> Response {
    s3_error(
        StatusCode::NOT_FOUND,
        "NoSuchKey",
        "The specified key does not exist.",
        request_id,
    )
}

/// The file, or the part of it the `Range` header asks for.
fn serve(content: &Content, mime_type: &str, name: &str, headers: &HeaderMap) -> Response {
    let len = content.len();
    let etag = format!("\"{name}-{len}\"");
    // A range is for the version the client has: another one gets the whole file.
    let other_version = headers
        .get(header::IF_RANGE)
        .is_some_and(|value| value.as_bytes() != etag.as_bytes());
    let range = match requested_range(headers, len) {
        Ok(_) if other_version => None,
        Ok(range) => range,
        Err(Unsatisfiable) => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{len}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return response;
        }
    };
    let (status, span) = match range {
        Some(range) => (StatusCode::PARTIAL_CONTENT, range),
        None => (StatusCode::OK, 0..len),
    };
    let chunks = content.chunks(span.clone()).map(Ok::<_, Infallible>);
    let mut response = Response::new(Body::from_stream(futures::stream::iter(chunks)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(span.end - span.start),
    );
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(value) = HeaderValue::from_str(mime_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if status == StatusCode::PARTIAL_CONTENT {
        let value = format!("bytes {}-{}/{len}", span.start, span.end - 1);
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(header::CONTENT_RANGE, value);
        }
    }
    response
}

/// A range no byte of the file is in.
#[derive(Debug, PartialEq, Eq)]
struct Unsatisfiable;

/// The one range `Range: bytes=...` asks for, as CloudFront reads it: `a-b`,
/// `a-` or `-n`. A header it cannot read, or one with several ranges, is
/// ignored (the whole file is sent, as RFC 9110 allows).
fn requested_range(headers: &HeaderMap, len: u64) -> Result<Option<Range<u64>>, Unsatisfiable> {
    let Some(spec) = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        let Ok(suffix) = last.parse::<u64>() else {
            return Ok(None);
        };
        if suffix == 0 {
            return Err(Unsatisfiable);
        }
        len.saturating_sub(suffix)..len
    } else {
        let Ok(start) = first.parse::<u64>() else {
            return Ok(None);
        };
        let end = if last.is_empty() {
            len
        } else {
            match last.parse::<u64>() {
                Ok(last) if last >= start => last.saturating_add(1).min(len),
                _ => return Ok(None),
            }
        };
        start..end
    };
    if range.start >= len {
        return Err(Unsatisfiable);
    }
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(value: &str, len: u64) -> Result<Option<Range<u64>>, Unsatisfiable> {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(value).unwrap());
        requested_range(&headers, len)
    }

    #[test]
    fn ranges_are_read_as_cloudfront_reads_them() {
        assert_eq!(range("bytes=0-9", 100), Ok(Some(0..10)));
        assert_eq!(range("bytes=90-", 100), Ok(Some(90..100)));
        assert_eq!(range("bytes=90-500", 100), Ok(Some(90..100)));
        assert_eq!(range("bytes=-10", 100), Ok(Some(90..100)));
        assert_eq!(range("bytes=-500", 100), Ok(Some(0..100)));
        assert_eq!(range("bytes=100-", 100), Err(Unsatisfiable));
        assert_eq!(range("bytes=0-1,5-6", 100), Ok(None));
        assert_eq!(range("bytes=9-3", 100), Ok(None));
        assert_eq!(range("items=0-9", 100), Ok(None));
        assert_eq!(requested_range(&HeaderMap::new(), 100), Ok(None));
    }
}
