//! Retry policies that keep retry tests to milliseconds.

use std::time::Duration;

use scenario_sdk::RetryPolicy;

/// The default policy (its retry count and `Retry-After` ceiling) with
/// backoffs of 10 to 50 ms instead of 0.5 to 8 s.
///
/// A server's `Retry-After` hint is still honoured in full, so a test that
/// waits longer than 50 ms between two attempts proves the hint was read.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(50))
}
