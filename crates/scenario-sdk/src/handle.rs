//! The client handle: its connections, credentials and call options, shared
//! by every clone. What everything above it (requests, listings, the helpers)
//! holds; how one is built is `client.rs`, at the top.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::auth::Credentials;
use crate::http_text::redact_base_url;
use crate::retry::RetryPolicy;
use crate::transport::{ApiHeaders, CallOptions};

/// A client of the Scenario API.
///
/// Cheap to clone (clones share one connection pool), `Send` and `Sync`.
/// `Debug` shows the API key and base URL, never the secret, a token or the
/// value of an extra header.
///
/// ```no_run
/// # async fn run() -> scenario_sdk::Result<()> {
/// use futures::TryStreamExt;
///
/// let client = scenario_sdk::Client::from_env()?;
/// let assets: Vec<_> = client.assets().list().page_size(100).stream().try_collect().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
    pub(crate) options: CallOptions,
}

pub(crate) struct Shared {
    pub(crate) base_url: String,
    pub(crate) http: reqwest::Client,
    /// The client of storage requests: always the SDK's own (see
    /// `ClientBuilder::http_client`).
    pub(crate) storage_http: reqwest::Client,
    /// The client of file downloads: the SDK's own, like the storage's, but
    /// following redirects (file URLs may lead to a CDN through another host).
    pub(crate) files_http: reqwest::Client,
    pub(crate) connect_timeout: Duration,
    pub(crate) headers: ApiHeaders,
    pub(crate) credentials: Credentials,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &redact_base_url(&self.shared.base_url))
            .field("credentials", &self.shared.credentials)
            .field("extra_headers", &self.shared.headers.extra.len())
            .field("max_retries", &self.options.retry.max_retries)
            .field("timeout", &self.options.timeout)
            .finish()
    }
}

impl Client {
    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// A client that shares this one's connections but retries at most `max_retries` times.
    pub fn with_max_retries(&self, max_retries: u32) -> Self {
        let mut client = self.clone();
        client.options.retry.max_retries = max_retries;
        client
    }

    /// A client that shares this one's connections but uses `policy` for retries.
    pub fn with_retry_policy(&self, policy: RetryPolicy) -> Self {
        let mut client = self.clone();
        client.options.retry = policy;
        client
    }

    /// A client that shares this one's connections but gives each request `timeout`.
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        let mut client = self.clone();
        client.options.timeout = timeout;
        client
    }

    /// A client that shares this one's connections but gives each API call
    /// `total` in all, every attempt and retry delay included (`None`: no limit
    /// beyond the per-attempt timeout and the retry policy).
    pub fn with_total_timeout(&self, total: Option<Duration>) -> Self {
        let mut client = self.clone();
        client.options.total_timeout = total;
        client
    }

    /// The retry policy of this client.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.options.retry
    }

    pub(crate) fn options(&self) -> CallOptions {
        self.options
    }

    /// Adds the credentials and user agent to an API request.
    pub(crate) fn decorate(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        self.shared.headers.apply(request)
    }

    /// The HTTP client, for requests outside the API (presigned storage URLs).
    /// It carries no credentials: they are added per API request only.
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.shared.http
    }

    /// The HTTP client of storage requests (presigned part URLs): built by the
    /// SDK even when the caller gave one, so that no default header of the
    /// caller's client reaches the storage.
    pub(crate) fn storage_http(&self) -> &reqwest::Client {
        &self.shared.storage_http
    }

    /// The client of file downloads (see `Shared::files_http`).
    pub(crate) fn files_http(&self) -> &reqwest::Client {
        &self.shared.files_http
    }

    /// The connect timeout of the SDK's own clients.
    pub(crate) fn connect_timeout(&self) -> Duration {
        self.shared.connect_timeout
    }

    pub(crate) fn user_agent(&self) -> &HeaderValue {
        &self.shared.headers.user_agent
    }
}
