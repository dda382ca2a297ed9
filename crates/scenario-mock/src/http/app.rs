//! What the listeners share: the state below them, the settings of the HTTP side,
//! the fault book and the request log.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::Method;
use fastrand::Rng;

use crate::faults::{Fault, FaultBook, FaultRule, InjectedFault, RandomFaults};
use crate::inspect::{RecordedRequest, RequestLog};
use crate::route::{Route, Target};
use crate::state::State;
use crate::sync::lock;

/// The settings of the listeners.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) api_key: String,
    pub(crate) api_secret: String,
    pub(crate) bearer_token: String,
    pub(crate) part_url_ttl: Duration,
    pub(crate) body_idle_timeout: Duration,
    /// Whether part bodies are hashed (see `MockServerBuilder::part_digests`).
    pub(crate) part_digests: bool,
}

/// Everything the handlers share.
pub(crate) struct App {
    pub(crate) state: State,
    pub(crate) settings: Settings,
    pub(crate) base_url: String,
    pub(crate) storage_url: String,
    /// The CDN listener's URL, where redirects point.
    pub(crate) cdn_url: String,
    /// Signs part URLs; random per server, so URLs of another server never pass.
    pub(crate) signing_key: String,
    faults: Mutex<FaultBook>,
    log: Mutex<RequestLog>,
    request_seq: AtomicU64,
}

/// The id the gate gave a request, for handlers that put it in their answer.
#[derive(Clone, Debug)]
pub(crate) struct RequestId(pub(crate) String);

impl App {
    pub(crate) fn new(
        state: State,
        settings: Settings,
        base_url: String,
        storage_url: String,
        cdn_url: String,
        random_faults: Option<RandomFaults>,
    ) -> Self {
        Self {
            state,
            settings,
            base_url,
            storage_url,
            cdn_url,
            signing_key: crate::ids::hex(&mut Rng::new(), 64),
            faults: Mutex::new(FaultBook::new(random_faults)),
            log: Mutex::new(RequestLog::default()),
            request_seq: AtomicU64::new(0),
        }
    }

    /// `req_<n>`, unique across the listeners.
    pub(crate) fn next_request_id(&self) -> String {
        format!(
            "req_{}",
            self.request_seq.fetch_add(1, Ordering::Relaxed) + 1
        )
    }

    pub(crate) fn pick_fault(
        &self,
        target: Target,
        route: Option<Route>,
        method: &Method,
        path: &str,
        request_id: &str,
    ) -> Option<Fault> {
        lock(&self.faults).pick(target, route, method, path, request_id)
    }

    pub(crate) fn record(&self, request: RecordedRequest) {
        lock(&self.log).record(request);
    }

    pub(crate) fn inject(&self, rule: FaultRule) {
        lock(&self.faults).inject(rule);
    }

    pub(crate) fn clear_faults(&self) {
        lock(&self.faults).clear();
    }

    pub(crate) fn faults_injected(&self) -> Vec<InjectedFault> {
        lock(&self.faults).injected()
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.log).all()
    }

    pub(crate) fn request_count(&self, route: Route) -> usize {
        lock(&self.log).count(route)
    }
}
