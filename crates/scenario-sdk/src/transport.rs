//! What every API request carries: credentials, user agent, extra headers,
//! timeouts and retries.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, USER_AGENT};

use crate::retry::RetryPolicy;

/// Settings that may differ from one call to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CallOptions {
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Duration,
    /// The time a whole call may take, every attempt and delay included.
    pub(crate) total_timeout: Option<Duration>,
}

/// Headers every API request carries. The authorization value is marked
/// sensitive, so neither `Debug` nor HTTP/2 header tables reveal it.
#[derive(Clone)]
pub(crate) struct ApiHeaders {
    pub(crate) authorization: HeaderValue,
    pub(crate) user_agent: HeaderValue,
    /// The caller's extra headers (`ClientBuilder::header`,
    /// `SCENARIO_CUSTOM_HEADERS`), values marked sensitive.
    pub(crate) extra: HeaderMap,
}

impl ApiHeaders {
    pub(crate) fn apply(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request
            .headers(self.extra.clone())
            .header(AUTHORIZATION, self.authorization.clone())
            .header(USER_AGENT, self.user_agent.clone())
    }

    /// The same headers on an already built request (the raw client's).
    #[cfg(feature = "raw-client")]
    pub(crate) fn insert_into(&self, headers: &mut HeaderMap) {
        for (name, value) in &self.extra {
            headers.insert(name.clone(), value.clone());
        }
        headers.insert(AUTHORIZATION, self.authorization.clone());
        headers.insert(USER_AGENT, self.user_agent.clone());
    }
}
