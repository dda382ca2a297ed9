//! Sending the parts: one `PUT` per part to its presigned storage URL, with
//! retries, fresh URLs when one has expired, and a stall timeout.
//!
//! Presigned URLs carry their signature in the query, so logs and errors only
//! ever show the URL without it.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use bytes::{Bytes, BytesMut};
use futures::Stream;
use futures::stream::BoxStream;
use reqwest::header::{CONTENT_LENGTH, USER_AGENT};
use reqwest::{StatusCode, Url};
use scenario_api::types::{Upload, UploadStatus};

use super::Uploads;
use super::progress::SentBytes;
use super::source::PartData;
use crate::attempt::{self, AttemptError, Exchange, RetryClass};
use crate::error::{Error, Result, Work};
use crate::http_text::{REQUEST_ID, XmlError, error_chain, header_str, redact};

/// How much of a storage error body is kept for the message.
const ERROR_BODY_LIMIT: usize = 8 * 1024;

/// The part URLs of an upload, renewed from the service when the storage
/// refuses one (they expire). The generation tells a task whether the URLs changed
/// since it took one, so that parts refused together cause one refresh.
pub(crate) struct PartUrls {
    parts: u32,
    state: tokio::sync::Mutex<UrlState>,
}

/// Leaves the URLs out: their queries are credentials.
impl std::fmt::Debug for PartUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartUrls")
            .field("parts", &self.parts)
            .finish_non_exhaustive()
    }
}

struct UrlState {
    generation: u64,
    urls: Vec<Url>,
}

impl PartUrls {
    /// The URLs of `upload`, which must offer one for each of the `parts` parts.
    pub(crate) fn new(upload: &Upload, parts: u32) -> Result<Self> {
        let offered = offered_urls(upload, parts)?;
        let mut urls = Vec::with_capacity(offered.len());
        for (index, url) in offered.into_iter().enumerate() {
            let url = url.ok_or_else(|| {
                invalid_parts(
                    upload,
                    format!(
                        "the service returned no URL for part {} of {parts}",
                        index + 1
                    ),
                )
            })?;
            urls.push(url);
        }
        Ok(Self {
            parts,
            state: tokio::sync::Mutex::new(UrlState {
                generation: 0,
                urls,
            }),
        })
    }

    /// The current URL of part `number` and the generation it belongs to.
    async fn get(&self, number: u32) -> Option<(u64, Url)> {
        let state = self.state.lock().await;
        let index = usize::try_from(number.checked_sub(1)?).ok()?;
        Some((state.generation, state.urls.get(index)?.clone()))
    }

    /// Replaces the URLs with fresh ones from the service, unless another part
    /// already did since `seen` (the generation the caller's URL came from).
    ///
    /// The service may renew only the parts it still misses, or none: the
    /// parts it leaves out keep their URLs (a part already stored needs none,
    /// and a part still to send tries its old one rather than failing here).
    async fn refresh(&self, uploads: &Uploads, upload_id: &str, seen: u64) -> Result<()> {
        let mut state = self.state.lock().await;
        if state.generation != seen {
            return Ok(());
        }
        let upload = uploads.get(upload_id).await?;
        if upload.status != UploadStatus::Pending {
            return Err(Error::WorkFailed {
                work: Work::Upload,
                id: upload_id.to_owned(),
                status: upload.status.to_string(),
                message: format!(
                    "it is {} instead of pending, so its expired part URLs cannot be renewed",
                    upload.status
                ),
            });
        }
        let offered = offered_urls(&upload, self.parts)?;
        for (slot, fresh) in state.urls.iter_mut().zip(offered) {
            if let Some(fresh) = fresh {
                *slot = fresh;
            }
        }
        state.generation += 1;
        Ok(())
    }
}

fn invalid_parts(upload: &Upload, message: String) -> Error {
    Error::Decode {
        status: StatusCode::OK,
        request_id: None,
        message: format!("upload {}: {message}", upload.id),
    }
}

/// The URL `upload` offers for each of the `parts` parts, in order, checked:
/// every part number within the upload, every URL one the client can send to,
/// and no part offered two different URLs (which would leave it to chance
/// which of two objects the storage ends up with).
fn offered_urls(upload: &Upload, parts: u32) -> Result<Vec<Option<Url>>> {
    let count = usize::try_from(parts).unwrap_or(usize::MAX);
    let mut urls: Vec<Option<Url>> = vec![None; count];
    for part in &upload.parts {
        let slot = usize::try_from(part.number)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|index| urls.get_mut(index))
            .ok_or_else(|| {
                invalid_parts(
                    upload,
                    format!(
                        "the service returned part number {} for an upload of {parts} parts",
                        part.number
                    ),
                )
            })?;
        let url = Url::parse(&part.url)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| {
                invalid_parts(
                    upload,
                    format!("the URL of part {} is not an http(s) URL", part.number),
                )
            })?;
        match slot {
            Some(earlier) if *earlier != url => {
                return Err(invalid_parts(
                    upload,
                    format!(
                        "the service returned two different URLs for part {}; \
                         nothing was sent",
                        part.number
                    ),
                ));
            }
            _ => *slot = Some(url),
        }
    }
    Ok(urls)
}

/// Sends the parts of one upload.
#[derive(Debug)]
pub(crate) struct PartSender {
    pub(crate) uploads: Uploads,
    pub(crate) upload_id: String,
    pub(crate) urls: PartUrls,
    /// How long an attempt may go without a byte moving before it is retried.
    pub(crate) stall_timeout: Duration,
    /// Where the part bodies count their bytes as they go, for progress.
    pub(crate) sent: Arc<SentBytes>,
}

impl PartSender {
    /// Sends part `number`, retrying as the client's retry policy allows, and
    /// returns its size once the storage has accepted it.
    pub(crate) async fn send(self: Arc<Self>, number: u32, data: PartData) -> Result<u64> {
        let policy = self.uploads.client().retry_policy();
        // The URL generation the last attempt used: parts refused together
        // cause one refresh, not one each.
        let generation = AtomicU64::new(0);
        let refreshes = AtomicU32::new(0);
        let last_url = std::sync::Mutex::new(None::<Url>);
        let finished = attempt::run(
            policy,
            RetryClass::StoragePut,
            |n| {
                tracing::debug_span!(
                    "scenario_part",
                    upload_id = %self.upload_id,
                    part = number,
                    attempt = n,
                    path = tracing::field::Empty,
                )
            },
            |attempt| {
                let this = &self;
                let data = &data;
                let generation = &generation;
                let refreshes = &refreshes;
                let last_url = &last_url;
                async move {
                    if attempt.refresh {
                        refreshes.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(
                            "the storage refused the part URL (expired?); fetching fresh URLs"
                        );
                        let seen = generation.load(Ordering::Acquire);
                        if let Err(err) = this
                            .urls
                            .refresh(&this.uploads, &this.upload_id, seen)
                            .await
                        {
                            return Err(AttemptError::Local(err));
                        }
                    }
                    let Some((current, url)) = this.urls.get(number).await else {
                        return Err(AttemptError::Local(Error::InvalidInput(format!(
                            "upload {} has no part {number}",
                            this.upload_id
                        ))));
                    };
                    generation.store(current, Ordering::Release);
                    // The path only: the query is the URL's signature.
                    tracing::Span::current().record("path", url.path());
                    *last_url.lock().unwrap_or_else(|e| e.into_inner()) = Some(url.clone());
                    this.attempt(number, &url, data).await
                }
            },
        )
        .await;
        let url = last_url
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .map(|url| redact(&url))
            .unwrap_or_default();
        match finished.outcome {
            Ok(exchange) if exchange.status.is_success() => {
                tracing::debug!(
                    upload_id = %self.upload_id,
                    part = number,
                    bytes = data.len(),
                    attempts = finished.attempts,
                    "part sent"
                );
                self.sent.reached(number, data.len());
                Ok(data.len())
            }
            Ok(exchange) => {
                Err(self.storage_error(&exchange, number, refreshes.load(Ordering::Relaxed)))
            }
            Err(AttemptError::Stalled) => Err(Error::StorageUnreachable {
                upload_id: self.upload_id.clone(),
                part: number,
                url,
                message: "the part stalled".to_owned(),
                stall_timeout: Some(self.stall_timeout),
            }),
            Err(AttemptError::Transport(err)) => {
                let message = if err.is_connect() && err.is_timeout() {
                    format!(
                        "no connection within the connect timeout ({:?}, ClientBuilder::connect_timeout)",
                        self.uploads.client().connect_timeout()
                    )
                } else {
                    error_chain(&err)
                };
                Err(Error::StorageUnreachable {
                    upload_id: self.upload_id.clone(),
                    part: number,
                    url,
                    message,
                    stall_timeout: None,
                })
            }
            Err(AttemptError::TooLarge(limit)) => Err(Error::ResponseTooLarge { limit }),
            Err(AttemptError::Local(err) | AttemptError::StartOver(err)) => Err(err),
        }
    }

    /// One `PUT` of the part, watched for stalls.
    async fn attempt(&self, number: u32, url: &Url, data: &PartData) -> attempt::Outcome {
        let activity = Activity::new();
        let local = LocalFailure::default();
        let chunks = data.stream().await.map_err(AttemptError::Local)?;
        let body = PartBody {
            chunks,
            len: data.len(),
            remaining: data.len(),
            activity: activity.clone(),
            local: local.clone(),
            finished: false,
            number,
            sent: self.sent.clone(),
        };
        let client = self.uploads.client();
        // The SDK's own storage client, never the caller's: a client given to
        // ClientBuilder::http_client may carry default headers (an API key, proxy
        // credentials) that must not reach the storage.
        let request = client
            .storage_http()
            .put(url.clone())
            .header(CONTENT_LENGTH, data.len())
            .header(USER_AGENT, client.user_agent().clone())
            .body(reqwest::Body::wrap_stream(body))
            .send();
        let response = match until_stalled(request, &activity, self.stall_timeout).await {
            None => return Err(AttemptError::Stalled),
            Some(Ok(response)) => response,
            Some(Err(err)) => {
                if let Some(failure) = local.take(data) {
                    return Err(AttemptError::Local(failure));
                }
                // reqwest puts the URL, signature included, in its messages.
                return Err(AttemptError::Transport(err.without_url()));
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let body = match until_stalled(error_body(response), &activity, self.stall_timeout).await {
            Some(body) => body,
            None if status.is_success() => Bytes::new(),
            None => return Err(AttemptError::Stalled),
        };
        Ok(Exchange {
            status,
            headers,
            body,
        })
    }

    fn storage_error(&self, exchange: &Exchange, number: u32, url_refreshes: u32) -> Error {
        let body = &exchange.body;
        let xml = XmlError::parse(body);
        let message = match xml.message {
            Some(message) => message,
            None if xml.code.is_some() => String::new(),
            None => String::from_utf8_lossy(body)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .take(200)
                .collect(),
        };
        let header = |name| header_str(&exchange.headers, name).map(str::to_owned);
        Error::Storage {
            upload_id: self.upload_id.clone(),
            part: number,
            status: exchange.status,
            code: xml.code,
            message,
            request_id: header("x-amz-request-id").or_else(|| header(REQUEST_ID)),
            url_refreshes,
        }
    }
}

/// The start of a response body, for error messages (also drains a success's
/// empty body so the connection can be reused).
async fn error_body(mut response: reqwest::Response) -> Bytes {
    let mut body = BytesMut::new();
    while body.len() < ERROR_BODY_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    body.truncate(ERROR_BODY_LIMIT);
    body.freeze()
}

/// When bytes of an attempt last moved.
#[derive(Clone, Debug)]
struct Activity(Arc<Mutex<Instant>>);

impl Activity {
    fn new() -> Self {
        Self(Arc::new(Mutex::new(Instant::now())))
    }

    fn touch(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    fn last(&self) -> Instant {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Runs `future` until it ends, or until nothing has moved for `limit` (then
/// `None`). A deadline for the whole request would have to guess the bandwidth;
/// a stall is a stall at any speed.
async fn until_stalled<F: Future>(
    future: F,
    activity: &Activity,
    limit: Duration,
) -> Option<F::Output> {
    tokio::pin!(future);
    loop {
        let deadline = activity.last() + limit;
        tokio::select! {
            output = &mut future => return Some(output),
            () = tokio::time::sleep_until(deadline.into()) => {
                if activity.last() + limit <= Instant::now() {
                    return None;
                }
            }
        }
    }
}

/// A failure of the local source while the part was being sent: reqwest only
/// reports "the body failed", this keeps what actually happened.
#[derive(Clone, Debug, Default)]
struct LocalFailure(Arc<Mutex<Option<LocalError>>>);

#[derive(Debug)]
enum LocalError {
    Read(io::Error),
    Short(u64),
}

impl LocalFailure {
    fn set(&self, error: LocalError) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
    }

    fn take(&self, data: &PartData) -> Option<Error> {
        let error = self.0.lock().unwrap_or_else(|e| e.into_inner()).take()?;
        Some(match error {
            LocalError::Read(source) => data.read_failed(source),
            LocalError::Short(got) => data.short_read(got),
        })
    }
}

/// The body of a part `PUT`: the part's chunks, checked to add up to the
/// announced length, marking activity and counting bytes as they go.
struct PartBody {
    chunks: BoxStream<'static, io::Result<Bytes>>,
    len: u64,
    remaining: u64,
    activity: Activity,
    local: LocalFailure,
    finished: bool,
    /// The part's number, and where its bytes are counted.
    number: u32,
    sent: Arc<SentBytes>,
}

impl Stream for PartBody {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.finished {
            return Poll::Ready(None);
        }
        match ready!(this.chunks.as_mut().poll_next(cx)) {
            Some(Ok(chunk)) => {
                this.remaining = this.remaining.saturating_sub(chunk.len() as u64);
                this.activity.touch();
                this.sent.reached(this.number, this.len - this.remaining);
                Poll::Ready(Some(Ok(chunk)))
            }
            Some(Err(err)) => {
                this.finished = true;
                let reply = io::Error::new(err.kind(), err.to_string());
                this.local.set(LocalError::Read(err));
                Poll::Ready(Some(Err(reply)))
            }
            None if this.remaining > 0 => {
                // Sending fewer bytes than Content-Length would leave the storage
                // waiting; fail the request instead.
                this.finished = true;
                this.local.set(LocalError::Short(this.len - this.remaining));
                Poll::Ready(Some(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the part's source ended early",
                ))))
            }
            None => {
                this.finished = true;
                Poll::Ready(None)
            }
        }
    }
}
