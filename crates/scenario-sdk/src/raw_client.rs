//! The raw client of [`Client::raw`](crate::Client::raw) (the `raw-client`
//! feature): progenitor's generated client with its requests sent through the
//! SDK's attempt loop.

use bytes::Bytes;
use scenario_api::{ResponseFuture, SendRequest};

use crate::attempt::{self, AttemptError, RetryClass};
use crate::http_text::{body_snippet, error_chain};
use crate::request::MAX_API_BODY;
use crate::transport::{ApiHeaders, CallOptions};

/// Sends the raw client's requests: credentials, timeout, retries by method
/// (GET, PUT, DELETE are idempotent; anything else is retried only when it
/// surely did not act), tracing, bounded bodies.
pub(crate) struct RawSender {
    pub(crate) headers: ApiHeaders,
    pub(crate) options: CallOptions,
}

impl std::fmt::Debug for RawSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawSender")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl SendRequest for RawSender {
    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> ResponseFuture<'a> {
        Box::pin(async move {
            let class = match *request.method() {
                reqwest::Method::GET
                | reqwest::Method::HEAD
                | reqwest::Method::PUT
                | reqwest::Method::DELETE => RetryClass::Idempotent,
                _ => RetryClass::NonIdempotent,
            };
            // Bodies the generated client builds are in memory, so they clone;
            // one that does not is sent once.
            let mut original = Some(request);
            let template = original.as_ref().and_then(reqwest::Request::try_clone);
            let mut policy = self.options.retry;
            if template.is_none() {
                policy.max_retries = 0;
            }
            let method = original.as_ref().map(|r| r.method().to_string());
            let path = original.as_ref().map(|r| r.url().path().to_owned());
            let finished = attempt::run_until(
                policy,
                class,
                self.options.total_timeout,
                |number| {
                    tracing::debug_span!(
                        "scenario_request",
                        operation = operation_id,
                        attempt = number,
                        method = method.as_deref().unwrap_or(""),
                        path = path.as_deref().unwrap_or(""),
                    )
                },
                |_| {
                    let request = template
                        .as_ref()
                        .and_then(reqwest::Request::try_clone)
                        .or_else(|| original.take());
                    async move {
                        let Some(mut request) = request else {
                            return Err(AttemptError::Local(crate::Error::InvalidInput(
                                "the request's body cannot be sent again".into(),
                            )));
                        };
                        self.headers.insert_into(request.headers_mut());
                        *request.timeout_mut() = Some(self.options.timeout);
                        match http.execute(request).await {
                            Ok(response) => attempt::read_body(response, MAX_API_BODY).await,
                            Err(err) => Err(AttemptError::Transport(err)),
                        }
                    }
                },
            )
            .await;
            if let Some(attempt::Stopped::Deadline(total)) = finished.stopped {
                return Ok(failing_body(&AttemptError::Local(crate::Error::Deadline {
                    url: path.unwrap_or_default(),
                    total,
                    attempts: finished.attempts,
                })));
            }
            match finished.outcome {
                Ok(exchange) => Ok(rebuild(exchange)),
                Err(AttemptError::Transport(err)) => Err(err),
                Err(other) => Ok(failing_body(&other)),
            }
        })
    }
}

/// The response as the generated client expects it. An error status whose body
/// is not the documented JSON error gets one carrying the body's first line, so
/// that the status survives progenitor's decoding (`Error::ErrorResponse`).
fn rebuild(exchange: attempt::Exchange) -> reqwest::Response {
    let body = if !exchange.status.is_success()
        && serde_json::from_slice::<scenario_api::types::ApiError>(&exchange.body).is_err()
    {
        let message = serde_json::json!({ "message": body_snippet(&exchange.body) });
        Bytes::from(message.to_string())
    } else {
        exchange.body
    };
    let mut response = http::Response::new(body);
    *response.status_mut() = exchange.status;
    *response.headers_mut() = exchange.headers;
    reqwest::Response::from(response)
}

/// A response whose body fails with what went wrong, so that the generated
/// client reports the failure (as a body error) rather than a made-up success.
fn failing_body(error: &AttemptError) -> reqwest::Response {
    let message = match error {
        AttemptError::TooLarge(limit) => {
            format!("the response body is larger than {limit} bytes; refusing to buffer it")
        }
        AttemptError::Stalled => "the response stalled".to_owned(),
        AttemptError::Local(err) | AttemptError::StartOver(err) => err.to_string(),
        AttemptError::Transport(err) => error_chain(err),
    };
    let chunks = futures::stream::once(async move {
        Err::<Bytes, std::io::Error>(std::io::Error::other(message))
    });
    reqwest::Response::from(http::Response::new(reqwest::Body::wrap_stream(chunks)))
}
