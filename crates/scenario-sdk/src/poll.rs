//! Polling a resource until the service is done with it: the one loop behind
//! every `wait` (uploads, jobs).
//!
//! The timeout is a deadline for the whole wait, polls in flight included: a
//! poll that hangs (or retries for long) is abandoned when it passes. The pause
//! between polls grows from `interval` to `max_interval`; a few 404s in a row
//! are let pass, as a read right after a create may reach a replica that does
//! not know the resource yet.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The shortest pause between two polls, whatever the caller asks.
const MIN_INTERVAL: Duration = Duration::from_millis(10);
/// How much the pause grows after each poll.
const GROWTH: f64 = 1.5;
/// However short the timeout, a wait that knows nothing of the resource gives
/// its first poll this long to answer, so that a zero timeout still checks once.
const FIRST_CHECK: Duration = Duration::from_secs(1);
/// How many answers of 404 in a row are let pass; more, and the id is wrong.
const NOT_FOUND_GRACE: u32 = 4;

/// How long, and how often, to poll: what every wait's setters set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pace {
    pub(crate) timeout: Duration,
    pub(crate) interval: Duration,
    pub(crate) max_interval: Duration,
}

impl Pace {
    /// Refuses, before `start` is sent, a wait that could only time out (a
    /// zero timeout) or would poll without pause (a zero interval): the work
    /// would be started (and for a run, paid for), then reported as a failure.
    /// `start` names what would be started ("the run", "the upload").
    pub(crate) fn check_before_starting(&self, start: &str) -> Result<()> {
        if self.timeout.is_zero() {
            return Err(Error::InvalidInput(format!(
                "the wait timeout must be above zero when waiting: {start} would be started, \
                 then the wait would time out at once"
            )));
        }
        if self.interval.is_zero() {
            return Err(Error::InvalidInput(
                "the polling interval must be above zero when waiting".into(),
            ));
        }
        Ok(())
    }
}

/// What a wait needs to know about the resource it polls.
pub(crate) trait Polled {
    /// The resource (an upload, a job).
    type Item: Clone;
    /// Reads the resource once.
    fn get(&self) -> impl Future<Output = Result<Self::Item>> + Send;
    /// `Some` once the service is done with it: `Ok`, or the error to end with.
    fn settled(&self, item: &Self::Item) -> Option<Result<()>>;
    /// Called with every successful read (progress reporting, say).
    fn seen(&mut self, _item: &Self::Item) {}
    /// Whether the resource's status is one this SDK does not know (newer than
    /// it). Such a status never ends a wait: only the statuses the document
    /// names as ends do, and an unknown one is polled on to the deadline.
    fn unrecognized(_item: &Self::Item) -> bool {
        false
    }
    /// The error of a wait whose deadline passed, after `waited`, with the
    /// resource as last seen.
    fn timed_out(&self, last: Option<&Self::Item>, waited: Duration) -> Error;
    /// The resource's status, for tracing.
    fn status(item: &Self::Item) -> String;
}

/// Polls until `resource` is settled or the deadline passes. `known` is the
/// resource as last seen (by the call that started it, say), which saves a poll.
pub(crate) async fn until_settled<P: Polled>(
    mut resource: P,
    pace: Pace,
    known: Option<P::Item>,
) -> Result<P::Item> {
    let started = Instant::now();
    // A timeout too large for the clock means "no deadline".
    let deadline = started.checked_add(pace.timeout);
    // An interval above the longest pause is kept: the caller asked for it.
    let max_interval = pace.max_interval.max(pace.interval).max(MIN_INTERVAL);
    let mut interval = pace.interval.clamp(MIN_INTERVAL, max_interval);
    let mut not_found = 0;
    let mut last = known;
    let mut first = last.is_none();
    let mut warned = false;
    loop {
        if first {
            first = false;
        } else {
            if let Some(item) = &last
                && let Some(outcome) = resource.settled(item)
            {
                return outcome.map(|()| item.clone());
            }
            let now = Instant::now();
            let pause = match deadline {
                Some(deadline) if now >= deadline => {
                    return Err(resource.timed_out(last.as_ref(), started.elapsed()));
                }
                Some(deadline) => interval.min(deadline - now),
                None => interval,
            };
            tracing::debug!(
                status = last
                    .as_ref()
                    .map_or_else(|| "not found".to_owned(), P::status),
                pause_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
                "not done yet"
            );
            tokio::time::sleep(pause).await;
            interval = Duration::try_from_secs_f64(interval.as_secs_f64() * GROWTH)
                .unwrap_or(max_interval)
                .min(max_interval);
        }
        let poll_deadline = match (deadline, last.is_none() && not_found == 0) {
            (Some(deadline), true) => started.checked_add(FIRST_CHECK).map(|d| d.max(deadline)),
            (deadline, _) => deadline,
        };
        let polled = match poll_deadline {
            Some(deadline) => {
                match tokio::time::timeout_at(deadline.into(), resource.get()).await {
                    Ok(polled) => polled,
                    Err(_) => return Err(resource.timed_out(last.as_ref(), started.elapsed())),
                }
            }
            None => resource.get().await,
        };
        match polled {
            Ok(item) => {
                not_found = 0;
                resource.seen(&item);
                if !warned && P::unrecognized(&item) {
                    warned = true;
                    tracing::warn!(
                        status = %P::status(&item),
                        "a status this SDK does not know (newer than it); polling on until a \
                         known end or the timeout"
                    );
                }
                last = Some(item);
            }
            Err(err) if err.is_not_found() && not_found < NOT_FOUND_GRACE => {
                not_found += 1;
                tracing::debug!(not_found, "not found yet");
            }
            Err(err) => return Err(err),
        }
    }
}
