//! When to retry, and how long to wait first.
//!
//! The rules follow the official SDKs so that the Rust client behaves the same
//! against the service's rate limits: connection errors, timeouts, 408, 409, 429
//! and 5xx are retried; `x-should-retry` overrides the status; the delay is
//! `min(0.5 s * 2^n, 8 s)` times a random factor in [0.75, 1], unless the server
//! says how long to wait (`retry-after-ms`, then `Retry-After` in seconds or as
//! an HTTP date, then the time left that a 429's error body names), which is
//! used when it is at most 60 s. A longer request is not
//! answered early: the attempt loop gives up at once (`Error::RetryAfterTooLong`),
//! or waits when the call's total deadline leaves room.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// How many times, and how patiently, a failed request is tried again.
///
/// Which failures are retried is decided per operation (a request that may
/// have acted is not sent again); this says how often and how long to wait.
/// Start from the default and change what you need:
///
/// ```
/// use std::time::Duration;
/// use scenario_sdk::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .with_max_retries(5)
///     .with_max_backoff(Duration::from_secs(30));
/// assert_eq!(patient.max_retries, 5);
/// assert_eq!(RetryPolicy::none().max_retries, 0);
///
/// let client = scenario_sdk::Client::builder()
///     .api_key("key")
///     .api_secret("secret")
///     .retry_policy(patient)
///     .build()?;
/// # Ok::<(), scenario_sdk::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 turns retries off).
    pub max_retries: u32,
    /// The delay before the first retry; it doubles on each retry.
    pub initial_backoff: Duration,
    /// The longest delay between two attempts computed by backoff.
    pub max_backoff: Duration,
    /// The longest server-requested delay (`Retry-After`) the SDK waits for
    /// on its own; after a longer one it gives up at once, unless a total
    /// deadline (`total_timeout`) leaves room to wait.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is sent once.
    pub fn none() -> Self {
        Self::default().with_max_retries(0)
    }

    /// With `max_retries` retries after the first attempt.
    #[must_use]
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// With `delay` before the first retry (it doubles on each retry).
    #[must_use]
    pub fn with_initial_backoff(mut self, delay: Duration) -> Self {
        self.initial_backoff = delay;
        self
    }

    /// With `delay` as the longest computed delay between two attempts.
    #[must_use]
    pub fn with_max_backoff(mut self, delay: Duration) -> Self {
        self.max_backoff = delay;
        self
    }

    /// With `delay` as the longest server-requested delay (`Retry-After`)
    /// honoured without a total deadline.
    #[must_use]
    pub fn with_max_retry_after(mut self, delay: Duration) -> Self {
        self.max_retry_after = delay;
        self
    }

    /// The delay before retry number `retry` (0-based), without a server hint.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let base = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.min(30)));
        let capped = base.min(self.max_backoff);
        capped.mul_f64(1.0 - 0.25 * fastrand::f64())
    }
}

/// Statuses worth another attempt: the server may answer differently later.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 409 | 429) || status.is_server_error()
}

/// Whether a response should be retried, honouring `x-should-retry`.
pub(crate) fn should_retry(status: StatusCode, headers: &HeaderMap) -> bool {
    match headers.get("x-should-retry").and_then(|v| v.to_str().ok()) {
        Some("true") => true,
        Some("false") => false,
        _ => is_retryable_status(status),
    }
}

/// The server's requested delay: `retry-after-ms`, or `Retry-After` as seconds
/// (fractions allowed) or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return Duration::try_from_secs_f64(ms / 1000.0).ok();
    }
    let value = header("retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn backoff_doubles_from_half_a_second_caps_at_eight_with_jitter() {
        let policy = RetryPolicy::default();
        for (retry, nominal) in [
            (0, 0.5),
            (1, 1.0),
            (2, 2.0),
            (3, 4.0),
            (4, 8.0),
            (5, 8.0),
            (40, 8.0),
        ] {
            for _ in 0..50 {
                let d = policy.backoff(retry).as_secs_f64();
                assert!(
                    d <= nominal && d >= nominal * 0.75,
                    "retry {retry}: {d} not in [{}, {nominal}]",
                    nominal * 0.75
                );
            }
        }
    }

    #[test]
    fn retry_after_reads_milliseconds_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "250")]), now),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after-ms", "250"), ("retry-after", "9")]),
                now
            ),
            Some(Duration::from_millis(250)),
            "retry-after-ms wins"
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3")]), now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "1.5")]), now),
            Some(Duration::from_millis(1500))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(
            retry_after(&headers(&[("retry-after", &date)]), now),
            Some(Duration::from_secs(7))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(
            retry_after(&headers(&[("retry-after", &past)]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "-1")]), now), None);
    }

    #[test]
    fn statuses_and_x_should_retry() {
        for code in [408, 409, 429, 500, 502, 503, 504] {
            assert!(
                should_retry(StatusCode::from_u16(code).unwrap(), &HeaderMap::new()),
                "{code}"
            );
        }
        for code in [400, 401, 403, 404, 422] {
            assert!(
                !should_retry(StatusCode::from_u16(code).unwrap(), &HeaderMap::new()),
                "{code}"
            );
        }
        assert!(!should_retry(
            StatusCode::SERVICE_UNAVAILABLE,
            &headers(&[("x-should-retry", "false")])
        ));
        assert!(should_retry(
            StatusCode::BAD_REQUEST,
            &headers(&[("x-should-retry", "true")])
        ));
    }
}
