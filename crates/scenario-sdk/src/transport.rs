//! Sending API requests: credentials, timeouts, retries, tracing, bounded bodies,
//! and turning the raw client's errors into the SDK's [`Error`].
//!
//! The generated client hands every request to [`ApiSender`] (through
//! `scenario_api::Transport`). One sender is made per call, so per-call options
//! apply and what it saw of the last response (status, request id, a failure of
//! its own) can complete the error the generated code returns.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use progenitor_client::ResponseValue;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, USER_AGENT};
use reqwest::{Response, StatusCode};
use scenario_api::types::ApiError;
use scenario_api::{ResponseFuture, SendRequest};
use tracing::Instrument;

use crate::error::{Error, Result};
use crate::retry::{RetryPolicy, should_retry};

/// The largest API response body the SDK buffers. Pages of 100 assets are far
/// smaller; anything bigger is a misbehaving server or proxy.
pub(crate) const MAX_API_BODY: u64 = 32 * 1024 * 1024;

/// The header that carries the server's id for a request.
pub(crate) const REQUEST_ID: &str = "x-request-id";

/// Settings that may differ from one call to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CallOptions {
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Duration,
}

/// Headers every API request carries. The authorization value is marked
/// sensitive, so neither `Debug` nor HTTP/2 header tables reveal it.
#[derive(Clone)]
pub(crate) struct ApiHeaders {
    pub(crate) authorization: HeaderValue,
    pub(crate) user_agent: HeaderValue,
}

#[derive(Default)]
struct Observed {
    status: Option<StatusCode>,
    request_id: Option<String>,
    failure: Option<Error>,
}

/// Sends the requests of one call, retrying as its options say.
pub(crate) struct ApiSender {
    headers: ApiHeaders,
    options: CallOptions,
    observed: Mutex<Observed>,
}

impl std::fmt::Debug for ApiSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiSender")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl ApiSender {
    pub(crate) fn new(headers: ApiHeaders, options: CallOptions) -> Self {
        Self {
            headers,
            options,
            observed: Mutex::new(Observed::default()),
        }
    }

    fn observe(&self, f: impl FnOnce(&mut Observed)) {
        // A poisoned lock only means another thread panicked mid-update; the data is still usable.
        let mut observed = self.observed.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut observed);
    }

    fn fail(&self, error: Error) {
        self.observe(|o| o.failure = Some(error));
    }

    async fn send_with_retries(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> reqwest::Result<Response> {
        let policy = self.options.retry;
        let mut attempt: u32 = 0;
        loop {
            let span = tracing::debug_span!(
                "scenario_request",
                operation,
                attempt = attempt + 1,
                method = %request.method(),
                path = request.url().path(),
            );
            // The generated client sends JSON bodies from memory, so requests clone;
            // the last attempt (or one whose body could not be replayed) sends the original.
            let copy = if attempt < policy.max_retries {
                request.try_clone()
            } else {
                None
            };
            let Some(this) = copy else {
                return match self
                    .attempt(http, self.decorate(request))
                    .instrument(span)
                    .await
                {
                    Attempt::Done(response) | Attempt::RetryableResponse(response) => Ok(response),
                    Attempt::RetryableError(err) | Attempt::Failed(err) => Err(err),
                };
            };
            let started = Instant::now();
            let outcome = self
                .attempt(http, self.decorate(this))
                .instrument(span.clone())
                .await;
            let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let delay = match outcome {
                Attempt::Done(response) => return Ok(response),
                Attempt::RetryableResponse(response) => {
                    let delay = policy.delay(attempt, Some(response.headers()));
                    let status = response.status().as_u16();
                    span.in_scope(|| {
                        tracing::warn!(status, elapsed_ms, delay_ms = millis(delay), "retrying")
                    });
                    delay
                }
                Attempt::RetryableError(err) => {
                    let delay = policy.delay(attempt, None);
                    span.in_scope(|| tracing::warn!(error = %error_chain(&err), elapsed_ms, delay_ms = millis(delay), "retrying"));
                    delay
                }
                Attempt::Failed(err) => return Err(err),
            };
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    fn decorate(&self, mut request: reqwest::Request) -> reqwest::Request {
        request
            .headers_mut()
            .insert(AUTHORIZATION, self.headers.authorization.clone());
        request
            .headers_mut()
            .insert(USER_AGENT, self.headers.user_agent.clone());
        *request.timeout_mut() = Some(self.options.timeout);
        request
    }

    async fn attempt(&self, http: &reqwest::Client, request: reqwest::Request) -> Attempt {
        let response = match http.execute(request).await {
            Ok(response) => response,
            Err(err) => return Attempt::from_error(err),
        };
        let status = response.status();
        let headers = response.headers().clone();
        let request_id = header_string(&headers, REQUEST_ID);
        tracing::debug!(
            status = status.as_u16(),
            request_id = request_id.as_deref().unwrap_or(""),
            "response"
        );
        self.observe(|o| {
            o.status = Some(status);
            o.request_id.clone_from(&request_id);
            o.failure = None;
        });
        let body = match read_bounded(response, MAX_API_BODY).await {
            Ok(body) => body,
            Err(BodyError::TooLarge) => {
                self.fail(Error::ResponseTooLarge {
                    limit: MAX_API_BODY,
                });
                return Attempt::Done(rebuild(StatusCode::OK, HeaderMap::new(), Bytes::new()));
            }
            Err(BodyError::Read(err)) => return Attempt::from_error(err),
        };
        let retry = should_retry(status, &headers);
        let response = rebuild(status, headers, body);
        if retry {
            Attempt::RetryableResponse(response)
        } else {
            Attempt::Done(response)
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl SendRequest for ApiSender {
    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> ResponseFuture<'a> {
        Box::pin(self.send_with_retries(http, request, operation_id))
    }
}

enum Attempt {
    /// A response to hand to the generated code.
    Done(Response),
    /// A response whose status says "try again" (the last one is handed over when retries run out).
    RetryableResponse(Response),
    /// The connection failed, broke or timed out.
    RetryableError(reqwest::Error),
    /// A failure that another attempt would repeat.
    Failed(reqwest::Error),
}

impl Attempt {
    fn from_error(err: reqwest::Error) -> Attempt {
        if err.is_builder() || err.is_redirect() {
            Attempt::Failed(err)
        } else {
            Attempt::RetryableError(err)
        }
    }
}

enum BodyError {
    TooLarge,
    Read(reqwest::Error),
}

async fn read_bounded(mut response: Response, limit: u64) -> Result<Bytes, BodyError> {
    if response.content_length().is_some_and(|len| len > limit) {
        return Err(BodyError::TooLarge);
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn rebuild(status: StatusCode, headers: HeaderMap, body: Bytes) -> Response {
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Response::from(response)
}

/// An error and its sources, as one line.
pub(crate) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// One call through the generated client: the client to build the request with,
/// and the sender that saw how it went.
pub(crate) struct Call {
    pub(crate) raw: scenario_api::Client,
    sender: Arc<ApiSender>,
    timeout: Duration,
}

impl Call {
    pub(crate) fn new(
        base_url: &str,
        http: &reqwest::Client,
        headers: ApiHeaders,
        options: CallOptions,
    ) -> Self {
        let sender = Arc::new(ApiSender::new(headers, options));
        let raw = scenario_api::Client::new_with_client(
            base_url,
            http.clone(),
            scenario_api::Transport::new(sender.clone()),
        );
        Self {
            raw,
            sender,
            timeout: options.timeout,
        }
    }

    /// The call's value and request id, or the SDK error that explains the failure.
    pub(crate) fn finish<T>(
        self,
        result: Result<ResponseValue<T>, progenitor_client::Error<ApiError>>,
    ) -> Result<Reply<T>> {
        let observed = std::mem::take(
            &mut *self
                .sender
                .observed
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        if let Some(failure) = observed.failure {
            return Err(failure);
        }
        match result {
            Ok(value) => {
                let request_id = header_string(value.headers(), REQUEST_ID);
                Ok(Reply {
                    value: value.into_inner(),
                    request_id,
                })
            }
            Err(err) => Err(self.map_error(err, observed.status, observed.request_id)),
        }
    }

    fn map_error(
        &self,
        err: progenitor_client::Error<ApiError>,
        status: Option<StatusCode>,
        request_id: Option<String>,
    ) -> Error {
        use progenitor_client::Error as Raw;
        match err {
            Raw::ErrorResponse(value) => {
                let status = value.status();
                let request_id = header_string(value.headers(), REQUEST_ID).or(request_id);
                let body = value.into_inner();
                let message = body
                    .message
                    .clone()
                    .or_else(|| body.reason.clone())
                    .or_else(|| body.error.clone())
                    .unwrap_or_default();
                Error::Api {
                    status,
                    message,
                    request_id,
                    body: Some(Box::new(body)),
                }
            }
            Raw::InvalidResponsePayload(bytes, err) => match status {
                Some(status) if !status.is_success() => Error::Api {
                    status,
                    message: body_snippet(&bytes),
                    request_id,
                    body: None,
                },
                _ => Error::Decode {
                    status: status.unwrap_or(StatusCode::OK),
                    request_id,
                    message: err.to_string(),
                },
            },
            Raw::UnexpectedResponse(response) => {
                let status = response.status();
                let request_id = header_string(response.headers(), REQUEST_ID).or(request_id);
                let message = if status.is_redirection() {
                    let to = header_string(response.headers(), "location").unwrap_or_default();
                    format!(
                        "unexpected redirect to {to:?}; the SDK does not follow redirects, check SCENARIO_BASE_URL"
                    )
                } else {
                    format!("unexpected status {status}")
                };
                Error::Api {
                    status,
                    message,
                    request_id,
                    body: None,
                }
            }
            Raw::CommunicationError(err)
            | Raw::ResponseBodyError(err)
            | Raw::InvalidUpgrade(err) => self.transport_error(&err),
            Raw::InvalidRequest(message) => Error::InvalidInput(message),
            Raw::Custom(message) => Error::Connection {
                url: String::new(),
                message,
            },
        }
    }

    fn transport_error(&self, err: &reqwest::Error) -> Error {
        let url = err
            .url()
            .map(|u| strip_query(u.clone()))
            .unwrap_or_default();
        if err.is_timeout() {
            Error::Timeout {
                url,
                timeout: self.timeout,
            }
        } else {
            Error::Connection {
                url,
                message: error_chain(err),
            }
        }
    }
}

/// A successful call's value and the server's request id.
pub(crate) struct Reply<T> {
    pub(crate) value: T,
    pub(crate) request_id: Option<String>,
}

pub(crate) fn header_string(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn strip_query(mut url: reqwest::Url) -> String {
    url.set_query(None);
    let _ = url.set_password(None);
    let _ = url.set_username("");
    url.to_string()
}

/// A readable line from a non-JSON error body (an HTML page from a proxy, say).
fn body_snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = match (text.find("<title>"), text.find("</title>")) {
        (Some(start), Some(end)) if start + 7 <= end => text[start + 7..end].to_string(),
        _ => text.into_owned(),
    };
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut short: String = line.chars().take(200).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    if short.is_empty() {
        "the response had no body".to_owned()
    } else {
        short
    }
}
