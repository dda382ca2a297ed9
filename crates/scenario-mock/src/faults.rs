//! Fault injection: scripted rules for the next N matching requests, and seeded
//! random faults, on the API and on the storage listener separately.

use std::time::Duration;

use axum::http::Method;
use fastrand::Rng;

use crate::route::{Route, Target};

/// What goes wrong with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status instead of handling the request: a JSON `ApiError`
    /// body on the API, an S3-style XML error on storage. A code outside 200..=599
    /// is answered as 500.
    Status(u16),
    /// Answer 429 with `Retry-After` (whole seconds, rounded up) and
    /// `retry-after-ms` (milliseconds) headers.
    RateLimited {
        /// How long the client is told to wait.
        retry_after: Duration,
    },
    /// Close the connection without a response. The request is not handled (no
    /// upload is created, no part is stored); a part PUT has part of its body read
    /// first.
    Drop,
    /// Wait this long, then handle the request normally.
    Delay(Duration),
    /// Handle the request normally (its effects happen), then send a response whose
    /// `Content-Length` is larger than the bytes sent, and close the connection.
    Truncate,
    /// Handle the request normally (its effects happen: an upload is created or
    /// completed, a part is stored), then answer this status instead of the
    /// handler's answer, shaped like [`Fault::Status`]. This is a gateway that
    /// timed out, or a server that failed after committing: the client cannot
    /// tell that its request acted.
    ActThenStatus(u16),
    /// Handle the request normally (its effects happen), then close the
    /// connection without a response: the answer was lost on the way back.
    ActThenDrop,
}

/// A scripted fault: the next `times` requests that `route` covers get `fault`.
///
/// Rules are consulted in the order they were injected; the first one that covers
/// a request and has uses left is used, and a request gets at most one fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRule {
    route: Route,
    fault: Fault,
    times: usize,
}

impl FaultRule {
    /// A rule for the next request `route` covers (use [`FaultRule::times`] for more).
    pub fn new(route: impl Into<Route>, fault: Fault) -> Self {
        Self {
            route: route.into(),
            fault,
            times: 1,
        }
    }

    /// Applies the rule to the next `n` matching requests instead of one
    /// (`usize::MAX` for every one).
    pub fn times(mut self, n: usize) -> Self {
        self.times = n;
        self
    }

    /// The route the rule applies to.
    pub fn route(&self) -> Route {
        self.route
    }

    /// The fault the rule injects.
    pub fn fault(&self) -> &Fault {
        &self.fault
    }
}

/// Seeded random faults: each request to the API gets a fault with probability
/// `api_rate`, each request to storage or to the CDN with probability
/// `storage_rate`. The fault is drawn among 429 (with `retry_after`), 500, 502,
/// 503, a dropped connection and a slow response (`slow_delay`). Each listener
/// draws from its own generator seeded from `seed`, so the same seed and the same
/// sequence of requests on each listener give the same faults.
#[derive(Clone, Debug, PartialEq)]
pub struct RandomFaults {
    /// Seed of the generators.
    pub seed: u64,
    /// Probability (0.0..=1.0) that an API request gets a fault.
    pub api_rate: f64,
    /// Probability (0.0..=1.0) that a storage or CDN request gets a fault.
    pub storage_rate: f64,
    /// The wait announced by 429 responses.
    pub retry_after: Duration,
    /// How long slow responses are held back.
    pub slow_delay: Duration,
}

impl Default for RandomFaults {
    /// Seed 0, 10% of requests on each listener, 1 s retry-after, 200 ms slowness.
    fn default() -> Self {
        Self {
            seed: 0,
            api_rate: 0.1,
            storage_rate: 0.1,
            retry_after: Duration::from_secs(1),
            slow_delay: Duration::from_millis(200),
        }
    }
}

/// Where an injected fault came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultOrigin {
    /// A rule given to `MockServer::inject`.
    Scripted,
    /// The `random_faults` option.
    Random,
}

/// A fault the server injected into a request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InjectedFault {
    /// The listener that received the request.
    pub target: Target,
    /// The request's route, if it has one.
    pub route: Option<Route>,
    /// The request's method.
    pub method: String,
    /// The request's path.
    pub path: String,
    /// The fault.
    pub fault: Fault,
    /// Scripted or random.
    pub origin: FaultOrigin,
    /// The request id the server gave the request (`req_<n>`).
    pub request_id: String,
}

/// The server's fault state.
#[derive(Debug)]
pub(crate) struct FaultBook {
    rules: Vec<FaultRule>,
    random: Option<RandomState>,
    injected: Vec<InjectedFault>,
}

#[derive(Debug)]
struct RandomState {
    config: RandomFaults,
    api: Rng,
    storage: Rng,
    cdn: Rng,
}

impl FaultBook {
    pub(crate) fn new(random: Option<RandomFaults>) -> Self {
        Self {
            rules: Vec::new(),
            random: random.map(|config| RandomState {
                api: Rng::with_seed(config.seed),
                storage: Rng::with_seed(config.seed ^ 0x5354_4f52_4147_4521),
                cdn: Rng::with_seed(config.seed ^ 0x4344_4e43_444e_4344),
                config,
            }),
            injected: Vec::new(),
        }
    }

    pub(crate) fn inject(&mut self, rule: FaultRule) {
        if rule.times > 0 {
            self.rules.push(rule);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    pub(crate) fn injected(&self) -> Vec<InjectedFault> {
        self.injected.clone()
    }

    /// The fault for this request, if any, recorded as injected.
    pub(crate) fn pick(
        &mut self,
        target: Target,
        route: Option<Route>,
        method: &Method,
        path: &str,
        request_id: &str,
    ) -> Option<Fault> {
        let (fault, origin) = self
            .scripted(target, route)
            .map(|fault| (fault, FaultOrigin::Scripted))
            .or_else(|| {
                self.random(target)
                    .map(|fault| (fault, FaultOrigin::Random))
            })?;
        tracing::debug!(
            ?target,
            ?route,
            ?fault,
            ?origin,
            request_id,
            "injecting fault"
        );
        self.injected.push(InjectedFault {
            target,
            route,
            method: method.to_string(),
            path: path.to_owned(),
            fault: fault.clone(),
            origin,
            request_id: request_id.to_owned(),
        });
        Some(fault)
    }

    fn scripted(&mut self, target: Target, route: Option<Route>) -> Option<Fault> {
        let index = self
            .rules
            .iter()
            .position(|rule| rule.route.covers(target, route))?;
        let rule = &mut self.rules[index];
        let fault = rule.fault.clone();
        rule.times -= 1;
        if rule.times == 0 {
            self.rules.remove(index);
        }
        Some(fault)
    }

    fn random(&mut self, target: Target) -> Option<Fault> {
        let state = self.random.as_mut()?;
        let (rng, rate) = match target {
            Target::Api => (&mut state.api, state.config.api_rate),
            Target::Storage => (&mut state.storage, state.config.storage_rate),
            Target::Cdn => (&mut state.cdn, state.config.storage_rate),
        };
        // Always draw both numbers so the sequence only depends on the request count.
        let roll = rng.f64();
        let kind = rng.u8(0..6);
        if roll >= rate {
            return None;
        }
        Some(match kind {
            0 => Fault::RateLimited {
                retry_after: state.config.retry_after,
            },
            1 => Fault::Status(500),
            2 => Fault::Status(502),
            3 => Fault::Status(503),
            4 => Fault::Drop,
            _ => Fault::Delay(state.config.slow_delay),
        })
    }
}

#[cfg(test)]
mod tests {
    use scenario_api::ops::OperationId;

    use super::*;

    #[test]
    fn scripted_rules_are_used_up_in_order() {
        let mut book = FaultBook::new(None);
        book.inject(FaultRule::new(OperationId::ListAssets, Fault::Status(500)).times(2));
        book.inject(FaultRule::new(Route::AnyApi, Fault::Drop));
        let mut next = |route| book.pick(Target::Api, route, &Method::GET, "/", "req_1");
        assert_eq!(
            next(Some(Route::Api(OperationId::ListAssets))),
            Some(Fault::Status(500))
        );
        assert_eq!(
            next(Some(Route::Api(OperationId::GetUpload))),
            Some(Fault::Drop)
        );
        assert_eq!(
            next(Some(Route::Api(OperationId::ListAssets))),
            Some(Fault::Status(500))
        );
        assert_eq!(next(Some(Route::Api(OperationId::ListAssets))), None);
        assert_eq!(book.injected().len(), 3);
    }

    #[test]
    fn random_faults_follow_the_seed() {
        let draw = |seed| {
            let mut book = FaultBook::new(Some(RandomFaults {
                seed,
                api_rate: 0.5,
                ..RandomFaults::default()
            }));
            (0..64)
                .map(|_| book.pick(Target::Api, None, &Method::GET, "/", "r"))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        let faults = draw(7).into_iter().flatten().count();
        assert!(
            (16..=48).contains(&faults),
            "{faults} faults for 64 draws at 50%"
        );
    }
}
