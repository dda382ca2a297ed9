//! How a client is made (`ClientBuilder`, `Client::from_env`), and where each
//! area of the API is reached from it (`client.assets()`, `client.request(op)`,
//! ...): the top of the crate, which knows every module below it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::assets::Assets;
use crate::auth::{Credentials, ENV_CUSTOM_HEADERS, ENV_JWT, extra_headers, parse_custom_headers};
use crate::downloads::Downloads;
use crate::error::{Error, Result};
use crate::handle::{Client, Shared};
use crate::http_text::redact_base_url;
use crate::jobs::Jobs;
use crate::request::Request;
use crate::retry::RetryPolicy;
use crate::transport::{ApiHeaders, CallOptions};
use crate::uploads::Uploads;

/// The environment variable holding the API key.
pub const ENV_API_KEY: &str = "SCENARIO_SDK_API_KEY";
/// The environment variable holding the API secret.
pub const ENV_API_SECRET: &str = "SCENARIO_SDK_API_SECRET";
/// The environment variable that overrides the base URL.
pub const ENV_BASE_URL: &str = "SCENARIO_BASE_URL";

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How many redirects a file download follows.
const MAX_FILE_REDIRECTS: usize = 10;

impl Client {
    /// A builder for a client with non-default settings.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment: `SCENARIO_SDK_API_KEY` and
    /// `SCENARIO_SDK_API_SECRET` (or `SCENARIO_SDK_JWT`), and optionally
    /// `SCENARIO_BASE_URL` and `SCENARIO_CUSTOM_HEADERS`.
    pub fn from_env() -> Result<Self> {
        Self::builder().from_env().build()
    }

    /// A client without an account, for what the API serves to anyone: the
    /// listing of public assets (`client.assets().list().privacy("public")`).
    /// It sends `Authorization: public-auth-token`; other operations answer 401.
    ///
    /// ```no_run
    /// # async fn run() -> scenario_sdk::Result<()> {
    /// use futures::TryStreamExt;
    /// use scenario_sdk::types::AssetPrivacy;
    ///
    /// let client = scenario_sdk::Client::public()?;
    /// let assets: Vec<_> = client
    ///     .assets()
    ///     .list()
    ///     .privacy(AssetPrivacy::Public.as_str())
    ///     .stream()
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn public() -> Result<Self> {
        Self::builder().public().build()
    }

    /// The assets of the project.
    pub fn assets(&self) -> Assets {
        Assets::new(self.clone())
    }

    /// Uploads and imports.
    pub fn uploads(&self) -> Uploads {
        Uploads::new(self.clone())
    }

    /// Jobs: listing, reading, canceling and waiting for them.
    pub fn jobs(&self) -> Jobs {
        Jobs::new(self.clone())
    }

    #[cfg(feature = "models")]
    /// Models: listing, reading, training from a directory, waiting for a training.
    pub fn models(&self) -> crate::models::Models {
        crate::models::Models::new(self.clone())
    }

    /// Downloads: asset files into a directory, and archives the service makes.
    pub fn downloads(&self) -> Downloads {
        Downloads::new(self.clone())
    }

    #[cfg(feature = "generate")]
    /// Generations: running models (`POST /generate/custom/{modelId}`) and waiting for them.
    pub fn generate(&self) -> crate::generate::Generate {
        crate::generate::Generate::new(self.clone())
    }

    #[cfg(feature = "workflows")]
    /// Workflows: running them (`PUT /workflows/{workflowId}/run`) and waiting for them.
    pub fn workflows(&self) -> crate::workflows::Workflows {
        crate::workflows::Workflows::new(self.clone())
    }

    #[cfg(feature = "teams")]
    /// Teams: their plan limits, and how much work to run at once within them.
    pub fn teams(&self) -> crate::teams::Teams {
        crate::teams::Teams::new(self.clone())
    }

    /// Any operation of the document, sent through this client's credentials,
    /// retries, timeouts and tracing; failures are the SDK's [`Error`].
    ///
    /// Every operation has a type in [`crate::ops`], so an operation is callable
    /// as soon as it is in the document, before any helper wraps it.
    ///
    /// ```no_run
    /// # async fn run(client: scenario_sdk::Client) -> scenario_sdk::Result<()> {
    /// use scenario_sdk::ops;
    ///
    /// let page = client.request(ops::ListAssets::new().page_size(10)).await?;
    /// println!("{} assets", page.assets.len());
    /// # Ok(()) }
    /// ```
    pub fn request<Op: scenario_api::Operation>(&self, operation: Op) -> Request<Op> {
        Request::new(self.clone(), operation)
    }

    /// progenitor's generated client (`scenario_api::Client`), wired to this
    /// client's credentials, timeouts, retries and tracing. Prefer
    /// [`Client::request`]; this is for code written against the raw client.
    /// Convert its errors with `scenario_sdk::Error::from`. Needs the
    /// `raw-client` feature.
    ///
    /// ```no_run
    /// # async fn run(client: scenario_sdk::Client) -> scenario_sdk::Result<()> {
    /// let upload = client
    ///     .raw()
    ///     .get_upload()
    ///     .upload_id("upload_abc")
    ///     .send()
    ///     .await
    ///     .map_err(scenario_sdk::Error::from)?
    ///     .into_inner()
    ///     .upload;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "raw-client")]
    pub fn raw(&self) -> scenario_api::Client {
        let sender = crate::raw_client::RawSender {
            headers: self.shared.headers.clone(),
            options: self.options,
        };
        scenario_api::Client::new_with_client(
            &self.shared.base_url,
            self.shared.http.clone(),
            scenario_api::Transport::new(Arc::new(sender)),
        )
    }
}

/// Settings for a [`Client`].
///
/// ```
/// use std::time::Duration;
///
/// let client = scenario_sdk::Client::builder()
///     .api_key("my-key")
///     .api_secret("my-secret")
///     .timeout(Duration::from_secs(30))
///     .max_retries(4)
///     .build()?;
/// assert!(!format!("{client:?}").contains("my-secret"));
/// # Ok::<(), scenario_sdk::Error>(())
/// ```
#[derive(Default)]
pub struct ClientBuilder {
    api_key: Option<String>,
    api_secret: Option<String>,
    jwt: Option<String>,
    public: bool,
    headers: Vec<(String, String)>,
    /// A malformed `SCENARIO_CUSTOM_HEADERS`, reported by `build`.
    env_error: Option<String>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    total_timeout: Option<Duration>,
    allow_insecure_http: bool,
    connect_timeout: Option<Duration>,
    retry: RetryPolicy,
    user_agent: Option<String>,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key)
            .field(
                "api_secret",
                &self.api_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("jwt", &self.jwt.as_ref().map(|_| "<redacted>"))
            .field("public", &self.public)
            .field("extra_headers", &self.headers.len())
            .field("base_url", &self.base_url.as_deref().map(redact_base_url))
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The API key (the user name of HTTP Basic auth).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The API secret (the password of HTTP Basic auth).
    pub fn api_secret(mut self, secret: impl Into<String>) -> Self {
        self.api_secret = Some(secret.into());
        self
    }

    /// A bearer token (a JWT) to send as `Authorization: Bearer <token>`,
    /// instead of an API key and secret.
    pub fn jwt(mut self, token: impl Into<String>) -> Self {
        self.jwt = Some(token.into());
        self
    }

    /// No account: requests carry the public access token, which the API
    /// accepts for listings of public assets only. Credentials set before are
    /// dropped, and [`Self::from_env`] fills none after.
    pub fn public(mut self) -> Self {
        self.public = true;
        self.api_key = None;
        self.api_secret = None;
        self.jwt = None;
        self
    }

    /// A header to send with every API request (never with upload storage
    /// requests). Its value is treated as a secret: it shows in no `Debug`
    /// output, log or error. The headers the SDK sets itself (authorization,
    /// user-agent, ...) cannot be replaced this way.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The API's base URL, `https://api.cloud.scenario.com/v1` by default.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Fills what is not set yet from the environment: `SCENARIO_SDK_API_KEY`
    /// and `SCENARIO_SDK_API_SECRET`, else `SCENARIO_SDK_JWT` (unless
    /// [`Self::public`] or other credentials were chosen), `SCENARIO_BASE_URL`,
    /// and adds the headers of `SCENARIO_CUSTOM_HEADERS` (one `Name: value`
    /// per line).
    pub fn from_env(mut self) -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let chosen = self.public || self.jwt.is_some() || self.api_key.is_some();
        if !chosen {
            self.api_key = var(ENV_API_KEY);
            self.api_secret = self.api_secret.or_else(|| var(ENV_API_SECRET));
            if self.api_key.is_none() && self.api_secret.is_none() {
                self.jwt = var(ENV_JWT);
            }
        } else if self.api_key.is_some() {
            self.api_secret = self.api_secret.or_else(|| var(ENV_API_SECRET));
        }
        self.base_url = self.base_url.or_else(|| var(ENV_BASE_URL));
        if let Some(text) = var(ENV_CUSTOM_HEADERS) {
            match parse_custom_headers(&text) {
                Ok(headers) => self.headers.extend(headers),
                Err(err) => self.env_error = Some(err.to_string()),
            }
        }
        self
    }

    /// The time one API request may take, body included (60 s by default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The time one API call may take in all: every attempt, and the delays
    /// between retries (none by default: each attempt has [`Self::timeout`], and
    /// the retry policy bounds their number). A call that reaches it fails with
    /// [`Error::Deadline`]; a retry whose delay would end after it is not made.
    /// It also lets the SDK wait for a server's `Retry-After` longer than the
    /// policy's `max_retry_after`, when the deadline leaves room for it.
    pub fn total_timeout(mut self, total: Duration) -> Self {
        self.total_timeout = Some(total);
        self
    }

    /// Allows an `http://` base URL to a host other than the loopback
    /// (`localhost`, `127.0.0.1`, `::1`). Off by default: over plain HTTP the
    /// API key and secret travel in clear, readable by anyone on the path.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The time to establish a connection (5 s by default). With
    /// [`Self::http_client`] it applies to upload storage requests only.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// How many times a failed request is retried (2 by default; 0 turns retries off).
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.retry.max_retries = max_retries;
        self
    }

    /// The whole retry policy (delays included).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Text added to the `User-Agent` header, after `scenario-rs/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Sends API requests with the caller's `reqwest::Client` (its proxy, TLS,
    /// pool settings and default headers apply). Credentials are still added per
    /// API request only. The SDK's per-request timeout still applies.
    ///
    /// Upload parts do not go through this client: they are sent to presigned
    /// storage URLs with a client the SDK builds itself (the
    /// [`Self::connect_timeout`], no redirects, no default headers), so that
    /// headers meant for the API or a proxy (`x-api-key`, `proxy-authorization`,
    /// ...) never reach the storage.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The client, or an error saying which setting is missing or wrong.
    pub fn build(self) -> Result<Client> {
        if let Some(message) = self.env_error {
            return Err(Error::InvalidInput(message));
        }
        let credentials = match (self.public, self.jwt, self.api_key, self.api_secret) {
            (true, None, None, None) => Credentials::Public,
            (true, ..) => {
                return Err(Error::InvalidInput(
                    "public access sends no credentials: set them before ClientBuilder::public \
                     (which drops them), or leave public out"
                        .into(),
                ));
            }
            (false, Some(_), Some(_), _) | (false, Some(_), _, Some(_)) => {
                return Err(Error::InvalidInput(format!(
                    "both a bearer token and an API key/secret are set; choose one \
                     ({ENV_JWT}, or {ENV_API_KEY} and {ENV_API_SECRET})"
                )));
            }
            (false, Some(token), None, None) => Credentials::Bearer(token.into()),
            (false, None, Some(key), Some(secret)) => Credentials::Basic {
                key,
                secret: secret.into(),
            },
            (false, None, ..) => {
                return Err(Error::InvalidInput(format!(
                    "missing API credentials: set {ENV_API_KEY} and {ENV_API_SECRET} (or \
                     {ENV_JWT}), or call ClientBuilder::api_key and ClientBuilder::api_secret \
                     (or jwt, or public for public assets only)"
                )));
            }
        };
        let authorization = credentials.authorization()?;
        let extra = extra_headers(&self.headers)?;
        let base_url = self
            .base_url
            .unwrap_or_else(|| scenario_api::DEFAULT_BASE_URL.to_owned());
        let shown = redact_base_url(&base_url);
        let parsed = reqwest::Url::parse(&base_url).map_err(|e| {
            Error::InvalidInput(format!(
                "the base URL {shown:?} is not a URL ({e}); it looks like {}",
                scenario_api::DEFAULT_BASE_URL
            ))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.cannot_be_a_base() {
            return Err(Error::InvalidInput(format!(
                "the base URL {shown:?} must be an http(s) URL like {}",
                scenario_api::DEFAULT_BASE_URL
            )));
        }
        if parsed.scheme() == "http" && !is_loopback(&parsed) && !self.allow_insecure_http {
            return Err(Error::InvalidInput(format!(
                "the base URL {shown:?} is plain http:// to a host other than this machine: \
                 the API key and secret would cross the network in clear; use https://, \
                 or allow it explicitly with ClientBuilder::allow_insecure_http(true) \
                 (--allow-insecure-http in the CLI) on a network you trust"
            )));
        }
        if parsed.scheme() == "https" && crate::tls::tls_backend().is_none() && self.http.is_none()
        {
            return Err(Error::InvalidInput(format!(
                "the base URL {shown:?} is https://, but scenario-sdk was built without a TLS \
                 stack: turn on one of its features `rustls-graviola` (the default), \
                 `rustls-ring`, `rustls-aws-lc-rs` or `native-tls`"
            )));
        }
        let base_url = base_url.trim_end_matches('/').to_owned();

        let user_agent = match &self.user_agent {
            Some(extra) => format!("scenario-rs/{} {extra}", env!("CARGO_PKG_VERSION")),
            None => format!("scenario-rs/{}", env!("CARGO_PKG_VERSION")),
        };
        let user_agent = HeaderValue::from_str(&user_agent).map_err(|_| {
            Error::InvalidInput(format!(
                "the user agent {user_agent:?} is not a valid header value"
            ))
        })?;

        let connect_timeout = self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        let own_client = || {
            crate::tls::configure(reqwest::Client::builder())?
                .connect_timeout(connect_timeout)
                // A redirect could carry the request (and, on the same host, its
                // credentials) somewhere unexpected; the API never redirects.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| Error::InvalidInput(format!("cannot build the HTTP client: {e}")))
        };
        let storage_http = own_client()?;
        let files_http = crate::tls::configure(reqwest::Client::builder())?
            .connect_timeout(connect_timeout)
            // It carries no credentials, so a redirect cannot leak them; it is
            // only kept from going back from https to http.
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let downgrade = attempt.url().scheme() == "http"
                    && attempt.previous().iter().any(|url| url.scheme() == "https");
                if downgrade {
                    attempt.error("refusing a redirect from https to http")
                } else if attempt.previous().len() > MAX_FILE_REDIRECTS {
                    attempt.error("too many redirects")
                } else {
                    attempt.follow()
                }
            }))
            .build()
            .map_err(|e| Error::InvalidInput(format!("cannot build the HTTP client: {e}")))?;
        let http = match self.http {
            Some(http) => http,
            None => storage_http.clone(),
        };
        Ok(Client {
            shared: Arc::new(Shared {
                base_url,
                http,
                storage_http,
                files_http,
                connect_timeout,
                headers: ApiHeaders {
                    authorization,
                    user_agent,
                    extra,
                },
                credentials,
            }),
            options: CallOptions {
                retry: self.retry,
                timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
                total_timeout: self.total_timeout,
            },
        })
    }
}

/// Whether requests to `url` stay on this machine.
fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    match host.trim_matches(['[', ']']).parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
    }
}
