//! The one attempt loop: every HTTP request the SDK sends, to the API, to the
//! upload storage or to the CDN files come from, goes through [`run`].
//!
//! The caller builds and sends one attempt at a time; the loop decides, with
//! the operation's [`RetryClass`], whether what came back is final, worth
//! another attempt after a delay, or needs fresh part URLs first. It owns the
//! backoff, the tracing of attempts and retries, and hands back what it saw by
//! value: the last outcome and how many attempts it took.

use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use tracing::Instrument;

use crate::error::{Error, Limit};
use crate::http_text::{XmlError, error_chain};
use crate::retry::{RetryPolicy, retry_after, should_retry};

/// A response, its body read (up to a limit).
#[derive(Debug)]
pub(crate) struct Exchange {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// Why an attempt got no usable response.
#[derive(Debug)]
pub(crate) enum AttemptError {
    /// The connection could not be made, broke, or timed out.
    Transport(reqwest::Error),
    /// No byte moved for the stall timeout.
    Stalled,
    /// The body was larger than the limit (in bytes).
    TooLarge(u64),
    /// Something on this side failed in a way another attempt would repeat
    /// (a local file that cannot be read, say).
    Local(Error),
    /// The server answered other bytes of a file than were asked for (a range
    /// of another version, say): what was kept is dropped, and a file get
    /// asks for the whole file again, as a retry within its budget. `Error` is
    /// the failure when no retry is left.
    StartOver(Error),
}

/// What one attempt came to.
pub(crate) type Outcome = Result<Exchange, AttemptError>;

/// What the loop does after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    /// The outcome is final, success or not.
    Stop,
    /// Try again after a delay.
    Retry,
    /// The storage refused the presigned URL: try again with fresh URLs.
    Refresh,
}

/// Which failures an operation may try again: decided per operation, because
/// repeating a request that may have acted (a create) can act twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetryClass {
    /// Sending it twice has the effect of sending it once (reads, PUT, DELETE):
    /// connection failures, timeouts, 408, 409, 429, 5xx (and `x-should-retry`)
    /// are retried.
    Idempotent,
    /// It may act each time it arrives (a create): retried only when it surely
    /// did not act: the connection was never made, or the server said so (429,
    /// 408, 503 with `Retry-After`, `x-should-retry: true`).
    NonIdempotent,
    /// A part `PUT` to a presigned storage URL: idempotent, and a 403 means the
    /// URL expired (fresh URLs, then again); S3's 400 `RequestTimeout` means the
    /// body came too slowly.
    StoragePut,
    /// A `GET` of a file from a signed CDN (or storage) URL: idempotent, and a
    /// 403 means the URL expired (a fresh one, then again).
    FileGet,
}

impl RetryClass {
    /// The class the document gives an operation (see `Operation::IDEMPOTENT`).
    pub(crate) fn of<Op: scenario_api::Operation>() -> Self {
        Self::from_idempotent(Op::IDEMPOTENT)
    }

    /// The class of an operation the document marks idempotent or not.
    pub(crate) fn from_idempotent(idempotent: bool) -> Self {
        if idempotent {
            RetryClass::Idempotent
        } else {
            RetryClass::NonIdempotent
        }
    }

    fn judge(self, outcome: &Outcome) -> Verdict {
        match (self, outcome) {
            (_, Ok(exchange)) if exchange.status.is_success() => Verdict::Stop,
            (RetryClass::Idempotent, Ok(exchange)) => {
                if should_retry(exchange.status, &exchange.headers) {
                    Verdict::Retry
                } else {
                    Verdict::Stop
                }
            }
            (RetryClass::NonIdempotent, Ok(exchange)) => {
                if surely_not_acted(exchange.status, &exchange.headers) {
                    Verdict::Retry
                } else {
                    Verdict::Stop
                }
            }
            (RetryClass::StoragePut, Ok(exchange)) => {
                if exchange.status == StatusCode::FORBIDDEN {
                    Verdict::Refresh
                } else if should_retry(exchange.status, &exchange.headers)
                    || (exchange.status == StatusCode::BAD_REQUEST
                        && XmlError::parse(&exchange.body).code.as_deref()
                            == Some("RequestTimeout"))
                {
                    Verdict::Retry
                } else {
                    Verdict::Stop
                }
            }
            (RetryClass::FileGet, Ok(exchange)) => {
                if exchange.status == StatusCode::FORBIDDEN {
                    Verdict::Refresh
                } else if should_retry(exchange.status, &exchange.headers) {
                    Verdict::Retry
                } else {
                    Verdict::Stop
                }
            }
            (RetryClass::FileGet, Err(AttemptError::StartOver(_))) => Verdict::Retry,
            (
                _,
                Err(
                    AttemptError::TooLarge(_) | AttemptError::Local(_) | AttemptError::StartOver(_),
                ),
            ) => Verdict::Stop,
            (_, Err(AttemptError::Transport(err))) if err.is_builder() || err.is_redirect() => {
                Verdict::Stop
            }
            (RetryClass::NonIdempotent, Err(AttemptError::Transport(err))) => {
                // Only a connection that was never made surely carried nothing.
                if err.is_connect() {
                    Verdict::Retry
                } else {
                    Verdict::Stop
                }
            }
            (RetryClass::NonIdempotent, Err(AttemptError::Stalled)) => Verdict::Stop,
            (_, Err(AttemptError::Transport(_) | AttemptError::Stalled)) => Verdict::Retry,
        }
    }
}

impl RetryClass {
    /// How long the server asked to wait before the next attempt: its
    /// `retry-after-ms` or `Retry-After` header or, from the API, the time
    /// left that a 429's error body names (a cooldown, or a concurrency limit
    /// that says when one may start).
    fn asked_delay(self, exchange: &Exchange) -> Option<Duration> {
        if let Some(delay) = retry_after(&exchange.headers, std::time::SystemTime::now()) {
            return Some(delay);
        }
        if !matches!(self, RetryClass::Idempotent | RetryClass::NonIdempotent)
            || exchange.status != StatusCode::TOO_MANY_REQUESTS
        {
            return None;
        }
        let body = serde_json::from_slice(&exchange.body).ok()?;
        Limit::of(exchange.status, &body)?.remaining()
    }
}

/// Answers that say the server did not act on the request.
fn surely_not_acted(status: StatusCode, headers: &HeaderMap) -> bool {
    match headers.get("x-should-retry").and_then(|v| v.to_str().ok()) {
        Some("true") => return true,
        Some("false") => return false,
        _ => {}
    }
    match status {
        StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => true,
        StatusCode::SERVICE_UNAVAILABLE => {
            retry_after(headers, std::time::SystemTime::now()).is_some()
        }
        _ => false,
    }
}

/// One attempt to make: its number (1-based), and whether the previous one
/// was refused for an expired presigned URL (so fresh URLs come first).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attempt {
    pub(crate) number: u32,
    pub(crate) refresh: bool,
}

/// How the loop ended.
#[derive(Debug)]
pub(crate) struct Finished {
    /// The last attempt's outcome.
    pub(crate) outcome: Outcome,
    /// How many attempts were made.
    pub(crate) attempts: u32,
    /// Why the loop stopped before the outcome was final, when it did.
    pub(crate) stopped: Option<Stopped>,
}

/// Why the loop gave up on an outcome it would otherwise have retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stopped {
    /// The call's total deadline (this long from its start) expired, during an
    /// attempt or before the next one could start.
    Deadline(Duration),
    /// The server asked to wait this long before retrying: longer than the
    /// policy's `max_retry_after`, and longer than the deadline leaves.
    RetryAfter(Duration),
}

/// Runs attempts until one is final or the policy's retries are spent.
///
/// `span` names each attempt for tracing (it gets the attempt number); `send`
/// makes one attempt.
pub(crate) async fn run<F, Fut, S>(
    policy: RetryPolicy,
    class: RetryClass,
    span: S,
    send: F,
) -> Finished
where
    F: FnMut(Attempt) -> Fut,
    Fut: Future<Output = Outcome>,
    S: Fn(u32) -> tracing::Span,
{
    run_until(policy, class, None, span, send).await
}

/// [`run`], with a total deadline: `total` from now, every attempt and delay
/// included. An attempt still running at the deadline is dropped, and no retry
/// starts whose delay would end after it.
pub(crate) async fn run_until<F, Fut, S>(
    policy: RetryPolicy,
    class: RetryClass,
    total: Option<Duration>,
    span: S,
    mut send: F,
) -> Finished
where
    F: FnMut(Attempt) -> Fut,
    Fut: Future<Output = Outcome>,
    S: Fn(u32) -> tracing::Span,
{
    let deadline = total.map(|total| tokio::time::Instant::now() + total);
    let mut attempt = Attempt {
        number: 1,
        refresh: false,
    };
    loop {
        let span = span(attempt.number);
        let started = Instant::now();
        let sending = send(attempt).instrument(span.clone());
        let outcome = match deadline {
            None => sending.await,
            Some(deadline) => match tokio::time::timeout_at(deadline, sending).await {
                Ok(outcome) => outcome,
                Err(_) => {
                    span.in_scope(|| {
                        tracing::warn!(attempt = attempt.number, "total deadline expired")
                    });
                    return Finished {
                        outcome: Err(AttemptError::Stalled),
                        attempts: attempt.number,
                        stopped: total.map(Stopped::Deadline),
                    };
                }
            },
        };
        let elapsed_ms = millis(started.elapsed());
        let verdict = class.judge(&outcome);
        let retries_left = attempt.number <= policy.max_retries;
        if verdict == Verdict::Stop || !retries_left {
            return Finished {
                outcome,
                attempts: attempt.number,
                stopped: None,
            };
        }
        let left = deadline.map(|d| d.saturating_duration_since(tokio::time::Instant::now()));
        // A server that asks for more than the cap is not answered within
        // milliseconds (it said it would refuse): wait as asked when the
        // deadline leaves room, else hand its delay to the caller.
        let asked = outcome
            .as_ref()
            .ok()
            .and_then(|exchange| class.asked_delay(exchange));
        let delay = match asked {
            _ if verdict == Verdict::Refresh => Duration::ZERO,
            Some(asked) if asked <= policy.max_retry_after => asked,
            Some(asked) if left.is_some_and(|left| asked <= left) => asked,
            Some(asked) => {
                return Finished {
                    outcome,
                    attempts: attempt.number,
                    stopped: Some(Stopped::RetryAfter(asked)),
                };
            }
            None => policy.backoff(attempt.number - 1),
        };
        if left.is_some_and(|left| delay >= left) {
            // The retry could not even start in time: the last answer is
            // more useful than an expired deadline.
            return Finished {
                outcome,
                attempts: attempt.number,
                stopped: None,
            };
        }
        span.in_scope(|| match &outcome {
            Ok(exchange) => tracing::warn!(
                status = exchange.status.as_u16(),
                elapsed_ms,
                delay_ms = millis(delay),
                refresh = verdict == Verdict::Refresh,
                "retrying"
            ),
            Err(err) => tracing::warn!(
                error = %describe(err),
                elapsed_ms,
                delay_ms = millis(delay),
                "retrying"
            ),
        });
        drop(outcome);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        attempt = Attempt {
            number: attempt.number + 1,
            refresh: verdict == Verdict::Refresh,
        };
    }
}

fn describe(err: &AttemptError) -> String {
    match err {
        AttemptError::Transport(err) => error_chain(err),
        AttemptError::Stalled => "no progress within the stall timeout".into(),
        AttemptError::TooLarge(limit) => format!("body larger than {limit} bytes"),
        AttemptError::Local(err) | AttemptError::StartOver(err) => err.to_string(),
    }
}

pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Reads a response body, refusing one larger than `limit` bytes.
pub(crate) async fn read_body(mut response: reqwest::Response, limit: u64) -> Outcome {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    if response.content_length().is_some_and(|len| len > limit) {
        return Err(AttemptError::TooLarge(limit));
    }
    let limited = Limited::new(
        reqwest::Body::from(response),
        usize::try_from(limit).unwrap_or(usize::MAX),
    );
    match limited.collect().await {
        Ok(collected) => Ok(Exchange {
            status,
            headers,
            body: collected.to_bytes(),
        }),
        // `Limited` fails with the body's own error, or with its length limit.
        Err(err) => match err.downcast::<reqwest::Error>() {
            Ok(err) => Err(AttemptError::Transport(err.without_url())),
            Err(_) => Err(AttemptError::TooLarge(limit)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(status: u16, headers: &[(&'static str, &str)]) -> Outcome {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().unwrap());
        }
        Ok(Exchange {
            status: StatusCode::from_u16(status).unwrap(),
            headers: map,
            body: Bytes::new(),
        })
    }

    #[test]
    fn a_create_is_retried_only_when_the_server_surely_did_not_act() {
        let class = RetryClass::NonIdempotent;
        for status in [500, 502, 504, 409] {
            assert_eq!(
                class.judge(&exchange(status, &[])),
                Verdict::Stop,
                "{status}"
            );
        }
        assert_eq!(class.judge(&exchange(503, &[])), Verdict::Stop);
        assert_eq!(
            class.judge(&exchange(503, &[("retry-after", "1")])),
            Verdict::Retry
        );
        assert_eq!(class.judge(&exchange(429, &[])), Verdict::Retry);
        assert_eq!(
            class.judge(&exchange(500, &[("x-should-retry", "true")])),
            Verdict::Retry
        );
        assert_eq!(class.judge(&Err(AttemptError::Stalled)), Verdict::Stop);
    }

    #[test]
    fn reads_retry_server_errors_and_conflicts() {
        let class = RetryClass::Idempotent;
        for status in [408, 409, 429, 500, 502, 503, 504] {
            assert_eq!(
                class.judge(&exchange(status, &[])),
                Verdict::Retry,
                "{status}"
            );
        }
        for status in [200, 201, 400, 401, 403, 404] {
            assert_eq!(
                class.judge(&exchange(status, &[])),
                Verdict::Stop,
                "{status}"
            );
        }
        assert_eq!(class.judge(&Err(AttemptError::Stalled)), Verdict::Retry);
        assert_eq!(class.judge(&Err(AttemptError::TooLarge(1))), Verdict::Stop);
    }

    #[test]
    fn storage_refreshes_on_403_and_retries_s3_request_timeouts() {
        let class = RetryClass::StoragePut;
        assert_eq!(class.judge(&exchange(403, &[])), Verdict::Refresh);
        assert_eq!(class.judge(&exchange(400, &[])), Verdict::Stop);
        let timeout = Ok(Exchange {
            status: StatusCode::BAD_REQUEST,
            headers: HeaderMap::new(),
            body: Bytes::from_static(b"<Error><Code>RequestTimeout</Code></Error>"),
        });
        assert_eq!(class.judge(&timeout), Verdict::Retry);
        assert_eq!(class.judge(&exchange(503, &[])), Verdict::Retry);
    }

    #[test]
    fn file_gets_refresh_on_403_and_retry_what_reads_retry() {
        let class = RetryClass::FileGet;
        assert_eq!(class.judge(&exchange(403, &[])), Verdict::Refresh);
        assert_eq!(class.judge(&exchange(404, &[])), Verdict::Stop);
        assert_eq!(class.judge(&exchange(503, &[])), Verdict::Retry);
        assert_eq!(class.judge(&exchange(206, &[])), Verdict::Stop);
        assert_eq!(class.judge(&Err(AttemptError::Stalled)), Verdict::Retry);
        let other_bytes = || AttemptError::StartOver(Error::InvalidInput("a range".into()));
        assert_eq!(class.judge(&Err(other_bytes())), Verdict::Retry);
        assert_eq!(
            RetryClass::Idempotent.judge(&Err(other_bytes())),
            Verdict::Stop
        );
    }
    #[test]
    fn xml_errors_read_code_and_message_unescaped() {
        let body = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>\
            <Message> Request has expired &amp; the key &lt;k&gt; is &#39;gone&#39; </Message>\
            <RequestId>R1</RequestId><Expires>2026-01-01T00:00:00Z</Expires></Error>";
        let xml = XmlError::parse(body);
        assert_eq!(xml.code.as_deref(), Some("AccessDenied"));
        assert_eq!(
            xml.message.as_deref(),
            Some("Request has expired & the key <k> is 'gone'")
        );

        let only_code =
            XmlError::parse(b"<Error><Code>RequestTimeout</Code><Message> </Message></Error>");
        assert_eq!(only_code.code.as_deref(), Some("RequestTimeout"));
        assert_eq!(only_code.message, None, "blank is none");

        for not_xml in [
            &b"{\"message\": \"x\"}"[..],
            b"",
            b"<Error><Code>",
            b"\xff\xfe",
        ] {
            let xml = XmlError::parse(not_xml);
            assert_eq!((xml.code, xml.message), (None, None), "{not_xml:?}");
        }
    }
}
