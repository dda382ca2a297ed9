//! The request log: what tests can see of the requests the server answered.

use std::collections::{HashMap, VecDeque};

use crate::faults::Fault;
use crate::route::{Route, Target};

/// How many requests [`crate::MockServer::requests`] keeps (the oldest go first);
/// [`crate::MockServer::request_count`] counts every request regardless.
pub const REQUEST_LOG_LIMIT: usize = 100_000;

/// A request the server answered (or dropped).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The listener that received it.
    pub target: Target,
    /// Its route, when it has one of the modelled routes.
    pub route: Option<Route>,
    /// `GET`, `PUT`, ...
    pub method: String,
    /// The path, e.g. `/v1/assets`.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The status answered; `None` when the connection was dropped by a fault.
    pub status: Option<u16>,
    /// Whether the request carried an `Authorization` header.
    pub authorization: bool,
    /// The names of the headers it carried (lowercase), values left out: they
    /// may be credentials.
    pub header_names: Vec<String>,
    /// The id the server gave the request (`req_<n>`), sent back in `x-request-id`
    /// (API) or `x-amz-request-id` (storage).
    pub request_id: String,
    /// The fault injected into the request, if any.
    pub fault: Option<Fault>,
}

/// The request log: the last [`REQUEST_LOG_LIMIT`] requests and exact counts.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    recent: VecDeque<RecordedRequest>,
    counts: HashMap<(Target, Option<Route>), usize>,
}

impl RequestLog {
    pub(crate) fn record(&mut self, request: RecordedRequest) {
        *self
            .counts
            .entry((request.target, request.route))
            .or_default() += 1;
        if self.recent.len() == REQUEST_LOG_LIMIT {
            self.recent.pop_front();
        }
        self.recent.push_back(request);
    }

    pub(crate) fn all(&self) -> Vec<RecordedRequest> {
        self.recent.iter().cloned().collect()
    }

    pub(crate) fn count(&self, route: Route) -> usize {
        self.counts
            .iter()
            .filter(|((target, recorded), _)| route.covers(*target, *recorded))
            .map(|(_, n)| n)
            .sum()
    }
}
