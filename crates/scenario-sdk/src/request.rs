//! [`Request`]: any operation of the document, sent through the SDK's
//! credentials, timeouts, retries and tracing, with its failures as the SDK's
//! [`Error`].
//!
//! Every operation has a type in `scenario_sdk::ops` (generated from the
//! document); [`Client::request`] wraps one, so an operation is callable on the
//! day it enters the document. The setters of its query parameters are
//! generated too (`request_setters.rs`), so `Request<ops::ListAssets>` has
//! `.page_size(..)`, `.privacy(..)`, ... with the document's descriptions.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use scenario_api::Operation;
use scenario_api::types::ApiError;

use crate::attempt::{self, AttemptError, Exchange, RetryClass};
use crate::error::{Error, Result};
use crate::handle::Client;
use crate::http_text::{REQUEST_ID, body_snippet, error_chain, header_str, redact};
use crate::retry::RetryPolicy;

/// The largest API response body the SDK buffers. Pages of 100 assets are far
/// smaller; anything bigger is a misbehaving server or proxy.
pub(crate) const MAX_API_BODY: u64 = 32 * 1024 * 1024;

/// One operation, ready to send: set its parameters, then `.await` it (or call
/// [`Request::send`]); listings also have `stream()` and `pages()`.
///
/// ```no_run
/// # async fn run(client: scenario_sdk::Client) -> scenario_sdk::Result<()> {
/// use scenario_sdk::ops;
///
/// // Any operation of the document, typed, through the SDK's retries and errors.
/// let upload = client.request(ops::GetUpload::new("upload_abc")).await?.upload;
/// println!("{}", upload.status);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until you .await it, send() it, or take its stream()"]
pub struct Request<Op> {
    pub(crate) client: Client,
    pub(crate) op: Op,
    class: Option<RetryClass>,
    pub(crate) prefetch: usize,
    pub(crate) strict: bool,
    pub(crate) raw: RawItems,
}

/// What a listing keeps of its items' JSON as the server sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RawItems {
    /// Nothing: the items are decoded only.
    Off,
    /// Each decoded item's JSON beside it ([`Request::keep_raw`]).
    Keep,
    /// Every item's JSON, none decoded ([`Request::raw_only`]).
    Only,
}

/// A successful response: the decoded body and what the server said about it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Reply<T> {
    /// The decoded body.
    pub value: T,
    /// The HTTP status (any 2xx).
    pub status: StatusCode,
    /// The server's id for the request (`x-request-id`), to quote to support.
    pub request_id: Option<String>,
}

impl<Op: Operation> Request<Op> {
    pub(crate) fn new(client: Client, op: Op) -> Self {
        Self {
            client,
            op,
            class: None,
            prefetch: 2,
            strict: false,
            raw: RawItems::Off,
        }
    }

    /// The operation as it will be sent.
    pub fn operation(&self) -> &Op {
        &self.op
    }

    /// The operation, to inspect or change it.
    pub fn into_operation(self) -> Op {
        self.op
    }

    /// Changes the operation (the generated setters go through here).
    pub fn map_operation(mut self, f: impl FnOnce(Op) -> Op) -> Self {
        self.op = f(self.op);
        self
    }

    /// Retries for this request, instead of the client's setting.
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.client = self.client.with_max_retries(max_retries);
        self
    }

    /// The retry policy for this request, instead of the client's.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.client = self.client.with_retry_policy(policy);
        self
    }

    /// The time each attempt may take, body included, instead of the client's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.client = self.client.with_timeout(timeout);
        self
    }

    /// The time this call may take in all, every attempt and retry delay
    /// included, instead of the client's (see [`crate::ClientBuilder::total_timeout`]).
    pub fn total_timeout(mut self, total: Duration) -> Self {
        self.client = self.client.with_total_timeout(Some(total));
        self
    }

    /// Chooses which failures may be retried, instead of the operation's class.
    pub(crate) fn retry_class(mut self, class: RetryClass) -> Self {
        self.class = Some(class);
        self
    }

    /// Sends the request; the decoded body on success.
    pub async fn send(self) -> Result<Op::Output> {
        Ok(self.send_with_details().await?.value)
    }

    /// Sends the request; the decoded body, the status and the request id on success.
    pub async fn send_with_details(self) -> Result<Reply<Op::Output>> {
        execute(&self.client, &self.op, self.class).await.0
    }

    /// Sends the request and also tells how many attempts it took, for callers
    /// that recover from a retried request's answer.
    pub(crate) async fn send_counting(self) -> (Result<Reply<Op::Output>>, u32) {
        execute(&self.client, &self.op, self.class).await
    }
}

impl<Op: Operation> IntoFuture for Request<Op> {
    type Output = Result<Op::Output>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// Sends `op` with the client's settings: the one path of every API call.
pub(crate) async fn execute<Op: Operation>(
    client: &Client,
    op: &Op,
    class: Option<RetryClass>,
) -> (Result<Reply<Op::Output>>, u32) {
    let (exchange, attempts) = exchange(client, op, class).await;
    (exchange.and_then(decode::<Op::Output>), attempts)
}

/// Sends `op` and hands back its 2xx response undecoded (listings decode
/// their pages item by item).
pub(crate) async fn exchange<Op: Operation>(
    client: &Client,
    op: &Op,
    class: Option<RetryClass>,
) -> (Result<Exchange>, u32) {
    let prepared = match prepare(client, op) {
        Ok(prepared) => prepared,
        Err(err) => return (Err(err), 0),
    };
    let class = class.unwrap_or_else(RetryClass::of::<Op>);
    send_prepared(client, Op::ID, &prepared, class).await
}

/// Sends a prepared request through the one attempt loop: typed operations
/// ([`exchange`]) and operations picked at run time ([`crate::RawCall`]) alike.
pub(crate) async fn send_prepared(
    client: &Client,
    id: &'static str,
    prepared: &Prepared,
    class: RetryClass,
) -> (Result<Exchange>, u32) {
    let options = client.options();
    let http = client.http();
    let finished = attempt::run_until(
        options.retry,
        class,
        options.total_timeout,
        |number| {
            tracing::debug_span!(
                "scenario_request",
                operation = id,
                attempt = number,
                method = prepared.method.as_str(),
                path = prepared.url.path(),
            )
        },
        |_| {
            let mut request = http
                .request(prepared.method.clone(), prepared.url.clone())
                .header(ACCEPT, HeaderValue::from_static("application/json"))
                .timeout(options.timeout);
            request = client.decorate(request);
            if let Some(body) = &prepared.body {
                request = request
                    .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                    .body(body.clone());
            }
            async move {
                match request.send().await {
                    Ok(response) => {
                        tracing::debug!(
                            status = response.status().as_u16(),
                            request_id = header_str(response.headers(), REQUEST_ID).unwrap_or(""),
                            "response"
                        );
                        attempt::read_body(response, MAX_API_BODY).await
                    }
                    // The URL is known; the error's own copy would repeat its query.
                    Err(err) => Err(AttemptError::Transport(err.without_url())),
                }
            }
        },
    )
    .await;
    let result = match (finished.stopped, finished.outcome) {
        (Some(attempt::Stopped::Deadline(total)), _) => Err(Error::Deadline {
            url: redact(&prepared.url),
            total,
            attempts: finished.attempts,
        }),
        // The loop reads a server's delay from a response only.
        (Some(attempt::Stopped::RetryAfter(retry_after)), Ok(exchange)) => {
            Err(Error::RetryAfterTooLong {
                status: exchange.status,
                retry_after,
                limit: options.retry.max_retry_after,
                request_id: header_str(&exchange.headers, REQUEST_ID).map(str::to_owned),
                body: serde_json::from_slice(&exchange.body).ok().map(Box::new),
            })
        }
        (_, outcome) => interpret(
            outcome,
            &prepared.url,
            options.timeout,
            class,
            finished.attempts,
        ),
    };
    (result, finished.attempts)
}

/// A request ready for the attempt loop.
pub(crate) struct Prepared {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: Option<bytes::Bytes>,
}

fn prepare<Op: Operation>(client: &Client, op: &Op) -> Result<Prepared> {
    // Name the parameter as the caller set it (the setter), and as the API calls it.
    let invalid = |err: scenario_api::ParamError| {
        let setter = Op::PARAMS
            .iter()
            .find(|p| p.name == err.name)
            .map_or(err.name, |p| p.field);
        Error::InvalidInput(format!(
            "{setter} (`{}` of {}) {}",
            err.name,
            Op::ID,
            err.message
        ))
    };
    let path = op.path().map_err(invalid)?;
    let query = op.query().map_err(invalid)?;
    op.check_body().map_err(|err| {
        Error::InvalidInput(format!(
            "`{}` in the body of {} {}",
            err.name,
            Op::ID,
            err.message
        ))
    })?;
    let body = match op.body() {
        None => None,
        Some(Ok(bytes)) => Some(bytes::Bytes::from(bytes)),
        Some(Err(err)) => {
            return Err(Error::InvalidInput(format!(
                "the body of {} cannot be encoded as JSON: {err}",
                Op::ID
            )));
        }
    };
    prepare_parts(client, Op::ID, Op::METHOD, &path, &query, body)
}

/// A request from its parts: the path with its parameters filled in, the query
/// pairs and the JSON body.
pub(crate) fn prepare_parts(
    client: &Client,
    id: &str,
    method: &str,
    path: &str,
    query: &[(&str, String)],
    body: Option<bytes::Bytes>,
) -> Result<Prepared> {
    let mut url = Url::parse(&format!("{}{path}", client.base_url()))
        .map_err(|e| Error::InvalidInput(format!("cannot build the URL of {id}: {e}")))?;
    if !query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (name, value) in query {
            pairs.append_pair(name, value);
        }
    }
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|_| Error::InvalidInput(format!("{id} has an invalid method")))?;
    Ok(Prepared { method, url, body })
}

/// The last attempt's outcome as the SDK's result: a 2xx exchange, or the error
/// that explains the failure.
pub(crate) fn interpret(
    outcome: attempt::Outcome,
    url: &Url,
    timeout: Duration,
    class: RetryClass,
    attempts: u32,
) -> Result<Exchange> {
    let exchange = match outcome {
        Ok(exchange) => exchange,
        Err(AttemptError::Transport(err)) => {
            let url = redact(url);
            // A connect timeout is not the request's timeout: naming the latter
            // would send the caller to the wrong setting.
            if err.is_timeout() && !err.is_connect() {
                return Err(Error::Timeout { url, timeout });
            }
            let mut message = if err.is_connect() && err.is_timeout() {
                "no connection within the connect timeout (ClientBuilder::connect_timeout)"
                    .to_owned()
            } else {
                error_chain(&err)
            };
            if class == RetryClass::NonIdempotent && !err.is_connect() && attempts > 0 {
                message.push_str(
                    " (the request may have reached the service: it was not sent again, \
                     as sending it twice could act twice)",
                );
            }
            return Err(Error::Connection { url, message });
        }
        Err(AttemptError::Stalled) => {
            return Err(Error::Timeout {
                url: redact(url),
                timeout,
            });
        }
        Err(AttemptError::TooLarge(limit)) => return Err(Error::ResponseTooLarge { limit }),
        Err(AttemptError::Local(err) | AttemptError::StartOver(err)) => return Err(err),
    };
    if exchange.status.is_success() {
        return Ok(exchange);
    }
    Err(api_error(&exchange))
}

/// The error of a non-2xx API response.
pub(crate) fn api_error(exchange: &Exchange) -> Error {
    let status = exchange.status;
    let request_id = header_str(&exchange.headers, REQUEST_ID).map(str::to_owned);
    if status.is_redirection() {
        let to = header_str(&exchange.headers, "location").unwrap_or_default();
        return Error::Api {
            status,
            message: format!(
                "unexpected redirect to {to:?}; the SDK does not follow redirects, check SCENARIO_BASE_URL"
            ),
            request_id,
            body: None,
        };
    }
    match serde_json::from_slice::<ApiError>(&exchange.body) {
        Ok(body) => Error::from_api_body(status, request_id, body),
        Err(_) => Error::Api {
            status,
            message: body_snippet(&exchange.body),
            request_id,
            body: None,
        },
    }
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(exchange: Exchange) -> Result<Reply<T>> {
    let request_id = header_str(&exchange.headers, REQUEST_ID).map(str::to_owned);
    match serde_json::from_slice(&exchange.body) {
        Ok(value) => Ok(Reply {
            value,
            status: exchange.status,
            request_id,
        }),
        Err(_) => Err(Error::Decode {
            status: exchange.status,
            request_id,
            message: decode_failure::<T>(&exchange.body),
        }),
    }
}

/// Why `body` does not decode as `T`, with the path of the failing field
/// (`assets[3].properties.size`): decoded again, on the error path only, so
/// that the good path pays nothing for the path tracking.
pub(crate) fn decode_failure<T: serde::de::DeserializeOwned>(body: &[u8]) -> String {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(err) if err.path().iter().next().is_some() => {
            format!("at `{}`: {}", err.path(), err.inner())
        }
        Err(err) => err.into_inner().to_string(),
        Ok(_) => "it decodes on a second reading; please report it".to_owned(),
    }
}
