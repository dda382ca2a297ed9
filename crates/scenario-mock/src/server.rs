//! The server: its builder, and the handle tests hold (inspection, faults, shutdown).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scenario_api::types::{Asset, Upload};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::faults::{FaultRule, InjectedFault, RandomFaults};
use crate::http::app::{self, App};
use crate::http::conn::{ConnHandle, KillableListener};
use crate::http::routes::BASE_PATH;
use crate::inspect::RecordedRequest;
use crate::route::{Route, Target};
use crate::state::receipts::UploadReceipt;
use crate::state::{State, uploads};
use crate::sync::lock;

/// The default API key.
pub const DEFAULT_API_KEY: &str = "mock-api-key";
/// The default API secret.
pub const DEFAULT_API_SECRET: &str = "mock-api-secret";

/// The bearer token the fake accepts unless told otherwise (see
/// [`MockServerBuilder::bearer_token`]).
pub const DEFAULT_BEARER_TOKEN: &str = "mock-jwt";

/// Configures a [`MockServer`] before starting it.
#[derive(Clone, Debug)]
#[must_use]
pub struct MockServerBuilder {
    api_key: String,
    api_secret: String,
    bearer_token: String,
    assets: usize,
    seed: u64,
    api_port: u16,
    storage_port: u16,
    cdn_port: u16,
    cdn_redirects: bool,
    min_part_size: u64,
    validation_delay: Duration,
    part_url_ttl: Duration,
    retain_limit: u64,
    body_idle_timeout: Duration,
    part_digests: bool,
    random_faults: Option<RandomFaults>,
}

impl Default for MockServerBuilder {
    fn default() -> Self {
        Self {
            api_key: DEFAULT_API_KEY.to_owned(),
            api_secret: DEFAULT_API_SECRET.to_owned(),
            bearer_token: DEFAULT_BEARER_TOKEN.to_owned(),
            assets: 100,
            seed: 0,
            api_port: 0,
            storage_port: 0,
            cdn_port: 0,
            cdn_redirects: false,
            min_part_size: 5 * 1024 * 1024,
            validation_delay: Duration::from_millis(200),
            part_url_ttl: Duration::from_secs(15 * 60),
            retain_limit: 64 * 1024 * 1024,
            body_idle_timeout: Duration::from_secs(20),
            part_digests: true,
            random_faults: None,
        }
    }
}

impl MockServerBuilder {
    /// How many assets to seed (default 100).
    pub fn assets(mut self, n: usize) -> Self {
        self.assets = n;
        self
    }

    /// The seed of the seeded assets and of the ids the server makes (default 0).
    /// The same seed gives the same assets.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The bearer token (a JWT, for the real service) the API accepts besides
    /// the key and secret (default [`DEFAULT_BEARER_TOKEN`]). Requests with
    /// `Authorization: public-auth-token` are admitted to the listing of public
    /// assets only.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer_token = token.into();
        self
    }

    /// The API key and secret accepted by HTTP Basic auth
    /// (default `mock-api-key` / `mock-api-secret`).
    pub fn credentials(mut self, key: impl Into<String>, secret: impl Into<String>) -> Self {
        self.api_key = key.into();
        self.api_secret = secret.into();
        self
    }

    /// The API listener's port on 127.0.0.1 (default 0: any free port).
    pub fn api_port(mut self, port: u16) -> Self {
        self.api_port = port;
        self
    }

    /// The storage listener's port on 127.0.0.1 (default 0: any free port).
    pub fn storage_port(mut self, port: u16) -> Self {
        self.storage_port = port;
        self
    }

    /// The CDN listener's port on 127.0.0.1 (default 0: any free port).
    pub fn cdn_port(mut self, port: u16) -> Self {
        self.cdn_port = port;
        self
    }

    /// Whether file URLs (assets' `url`, download URLs, archives) go through a
    /// redirect on the CDN (`/redirect/...` answers 302 to the file), as URLs
    /// that lead to a CDN through another host do (default false).
    pub fn cdn_redirects(mut self, on: bool) -> Self {
        self.cdn_redirects = on;
        self
    }

    /// The size every part but the last must reach for a multipart upload to
    /// validate (default 5 MiB, as on S3). Tests use small values.
    pub fn min_part_size(mut self, bytes: u64) -> Self {
        self.min_part_size = bytes;
        self
    }

    /// How long an upload stays `validating` (or an import `pending`) before it
    /// ends (default 200 ms).
    pub fn validation_delay(mut self, d: Duration) -> Self {
        self.validation_delay = d;
        self
    }

    /// How long part URLs stay valid (default 15 minutes). URLs carry their expiry
    /// in whole seconds.
    pub fn part_url_ttl(mut self, d: Duration) -> Self {
        self.part_url_ttl = d;
        self
    }

    /// Uploads whose `fileSize` is at most this many bytes keep their bytes for
    /// [`UploadReceipt::bytes`] (default 64 MiB); larger ones keep only per-part
    /// sizes and digests.
    pub fn retain_limit(mut self, bytes: u64) -> Self {
        self.retain_limit = bytes;
        self
    }

    /// How long the storage waits for the next bytes of a part before answering
    /// 400 `RequestTimeout` (default 20 s, as on S3).
    pub fn body_idle_timeout(mut self, d: Duration) -> Self {
        self.body_idle_timeout = d;
        self
    }

    /// Whether the storage hashes every part it receives (default true). Off, it
    /// only counts the bytes: receipts then carry sizes but no digests and no
    /// bytes, and complete still checks that every part arrived. For benchmarks,
    /// where hashing would spend on the server the CPU the client is measured by.
    pub fn part_digests(mut self, on: bool) -> Self {
        self.part_digests = on;
        self
    }

    /// Injects seeded random faults (see [`RandomFaults`]).
    pub fn random_faults(mut self, faults: RandomFaults) -> Self {
        self.random_faults = Some(faults);
        self
    }

    /// Binds the three listeners (API, storage, CDN) on 127.0.0.1, seeds the
    /// assets and starts serving on the current tokio runtime.
    pub async fn start(self) -> std::io::Result<MockServer> {
        let api_listener = TcpListener::bind((Ipv4Addr::LOCALHOST, self.api_port)).await?;
        let storage_listener = TcpListener::bind((Ipv4Addr::LOCALHOST, self.storage_port)).await?;
        let cdn_listener = TcpListener::bind((Ipv4Addr::LOCALHOST, self.cdn_port)).await?;
        let api_addr: SocketAddr = api_listener.local_addr()?;
        let storage_addr: SocketAddr = storage_listener.local_addr()?;
        let cdn_addr: SocketAddr = cdn_listener.local_addr()?;
        let cdn_url = format!("http://{cdn_addr}");
        let cdn_base = if self.cdn_redirects {
            format!("{cdn_url}/redirect")
        } else {
            cdn_url.clone()
        };

        let state = State::new(
            self.seed,
            self.assets,
            uploads::Settings {
                min_part_size: self.min_part_size,
                validation_delay: self.validation_delay,
                retain_limit: self.retain_limit,
            },
            &cdn_base,
        );
        let app = Arc::new(App::new(
            state,
            app::Settings {
                api_key: self.api_key,
                api_secret: self.api_secret,
                bearer_token: self.bearer_token,
                part_url_ttl: self.part_url_ttl,
                body_idle_timeout: self.body_idle_timeout,
                part_digests: self.part_digests,
            },
            format!("http://{api_addr}{}", *BASE_PATH),
            format!("http://{storage_addr}"),
            cdn_url,
            self.random_faults,
        ));

        let (shutdown, signal) = watch::channel(false);
        let tasks = [
            (api_listener, Target::Api),
            (storage_listener, Target::Storage),
            (cdn_listener, Target::Cdn),
        ]
        .into_iter()
        .map(|(listener, target)| serve(listener, app.clone(), target, signal.clone()))
        .collect();
        tracing::debug!(%api_addr, %storage_addr, %cdn_addr, "scenario-mock started");
        Ok(MockServer {
            inner: Arc::new(Inner {
                app,
                shutdown,
                tasks: Mutex::new(tasks),
            }),
        })
    }
}

/// Serves the listener of `target` until the shutdown flag is raised.
fn serve(
    listener: TcpListener,
    app: Arc<App>,
    target: Target,
    signal: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let service =
        crate::http::router(app, target).into_make_service_with_connect_info::<ConnHandle>();
    tokio::spawn(async move {
        let served = axum::serve(KillableListener::new(listener), service)
            .with_graceful_shutdown(stopped(signal))
            .await;
        if let Err(error) = served {
            tracing::warn!(%error, ?target, "a listener stopped");
        }
    })
}

/// Resolves when the shutdown flag is raised or its sender is gone.
async fn stopped(mut signal: watch::Receiver<bool>) {
    let _ = signal.wait_for(|stop| *stop).await;
}

/// A running fake of the Scenario API and of its upload storage.
///
/// Cloning gives another handle on the same server. The server stops when
/// [`MockServer::shutdown`] is awaited or when the last handle is dropped (then it
/// stops accepting connections and finishes the requests in flight in the
/// background).
#[derive(Clone)]
pub struct MockServer {
    inner: Arc<Inner>,
}

struct Inner {
    app: Arc<App>,
    shutdown: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("base_url", &self.inner.app.base_url)
            .field("storage_url", &self.inner.app.storage_url)
            .field("cdn_url", &self.inner.app.cdn_url)
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts a server with the defaults (100 seeded assets, seed 0, random ports).
    ///
    /// # Panics
    /// If it cannot bind three ports on 127.0.0.1; use [`MockServer::builder`] to
    /// get the error instead.
    pub async fn start() -> MockServer {
        match Self::builder().start().await {
            Ok(server) => server,
            Err(error) => panic!("scenario-mock cannot listen on 127.0.0.1: {error}"),
        }
    }

    /// A builder with the defaults.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    fn app(&self) -> &App {
        &self.inner.app
    }

    /// The API's base URL, e.g. `http://127.0.0.1:4010/v1`.
    pub fn base_url(&self) -> String {
        self.app().base_url.clone()
    }

    /// The storage's URL, e.g. `http://127.0.0.1:4011` (part URLs point there).
    pub fn storage_url(&self) -> String {
        self.app().storage_url.clone()
    }

    /// The CDN's URL, e.g. `http://127.0.0.1:4012` (file URLs point there).
    pub fn cdn_url(&self) -> String {
        self.app().cdn_url.clone()
    }

    /// The SHA-256 (hex) of the file the CDN serves for asset `asset_id` in its
    /// own format, to check a download against; `None` if there is no such asset.
    pub fn asset_sha256(&self, asset_id: &str) -> Option<String> {
        let asset = self.app().state.asset(asset_id)?;
        let extension = crate::state::assets::extension(&asset.mime_type);
        let (content, _) = self.app().state.file_content(asset_id, extension)?;
        Some(content.sha256())
    }

    /// The API key the server accepts.
    pub fn api_key(&self) -> &str {
        &self.app().settings.api_key
    }

    /// The API secret the server accepts.
    pub fn api_secret(&self) -> &str {
        &self.app().settings.api_secret
    }

    /// The lines a shell can `export` to point an SDK at this server:
    /// `SCENARIO_BASE_URL=...`, `SCENARIO_SDK_API_KEY=...`, `SCENARIO_SDK_API_SECRET=...`.
    pub fn env_lines(&self) -> String {
        format!(
            "SCENARIO_BASE_URL={}\nSCENARIO_SDK_API_KEY={}\nSCENARIO_SDK_API_SECRET={}\n",
            self.base_url(),
            self.api_key(),
            self.api_secret()
        )
    }

    /// Adds a scripted fault rule.
    pub fn inject(&self, rule: FaultRule) {
        self.app().inject(rule);
    }

    /// Removes the scripted rules that have uses left (random faults go on).
    pub fn clear_faults(&self) {
        self.app().clear_faults();
    }

    /// The faults injected so far, in order.
    pub fn faults_injected(&self) -> Vec<InjectedFault> {
        self.app().faults_injected()
    }

    /// The requests answered so far (the last [`crate::REQUEST_LOG_LIMIT`]), in the
    /// order they were answered.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.app().requests()
    }

    /// How many requests `route` covers so far, whatever their status.
    pub fn request_count(&self, route: impl Into<Route>) -> usize {
        self.app().request_count(route.into())
    }

    /// What an upload received, or `None` for an unknown id.
    pub fn upload_receipt(&self, upload_id: &str) -> Option<UploadReceipt> {
        self.app().state.upload_receipt(upload_id)
    }

    /// An upload as `GET /v1/uploads/{id}` would show it (without part URLs).
    pub fn upload(&self, upload_id: &str) -> Option<Upload> {
        self.app().state.upload(upload_id)
    }

    /// Every upload, oldest first, as `GET /v1/uploads/{id}` would show it (without
    /// part URLs): e.g. to check that none was left `pending`.
    pub fn uploads(&self) -> Vec<Upload> {
        self.app().state.uploads()
    }

    /// An asset by id.
    pub fn asset(&self, asset_id: &str) -> Option<Asset> {
        self.app().state.asset(asset_id)
    }

    /// How many assets there are (seeded plus created by uploads).
    pub fn asset_count(&self) -> usize {
        self.app().state.asset_count()
    }

    /// Moves the server's wall clock forward: part URLs signed before expire as
    /// if that much time had passed, and new timestamps are that much later.
    /// (Validation delays are not affected.)
    pub fn advance_clock(&self, by: Duration) {
        self.app().state.clock.advance(by);
    }

    /// Stops accepting connections and waits (up to 2 s) for the requests in
    /// flight to finish.
    pub async fn shutdown(self) {
        self.inner.shutdown.send_replace(true);
        let tasks = std::mem::take(&mut *lock(&self.inner.tasks));
        for mut task in tasks {
            if tokio::time::timeout(Duration::from_secs(2), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}
