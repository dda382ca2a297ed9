//! Polling a resource until the service is done with it: the one loop behind
//! every `wait` (uploads, jobs, trainings).
//!
//! The timeout is a deadline for the whole wait, polls in flight included: a
//! poll that hangs (or retries for long) is abandoned when it passes. The pause
//! between polls grows with the time waited so far (see [`Pace::pause_after`]),
//! from `interval` to `max_interval`, so that short work is seen done soon and
//! long work costs few requests. A few 404s in a row are let pass, as a read
//! right after a create may reach a replica that does not know the resource
//! yet, and a poll the service refuses as too many requests (429) slows the
//! wait down (for its `Retry-After` when it gives one) instead of ending it.
//! The clock is tokio's, so a test can run a wait of hours on a paused one.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::{Error, Result};

/// The shortest pause between two polls, whatever the caller asks.
const MIN_INTERVAL: Duration = Duration::from_millis(10);
/// The pause after a poll is the time waited so far divided by this (within
/// the interval and the longest pause): work done at age `a` is then seen at
/// most `a / 10` late, once the pauses are past the first interval.
const AGE_DIVISOR: u32 = 10;
/// However short the timeout, a wait that knows nothing of the resource gives
/// its first poll this long to answer, so that a zero timeout still checks once.
const FIRST_CHECK: Duration = Duration::from_secs(1);
/// How many answers of 404 in a row are let pass; more, and the id is wrong.
const NOT_FOUND_GRACE: u32 = 4;

/// How long, and how often, a wait polls: what every wait's setters set
/// (`timeout`, `interval`, `max_interval`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pace {
    pub(crate) timeout: Duration,
    pub(crate) interval: Duration,
    pub(crate) max_interval: Duration,
}

impl Pace {
    /// A pace: give up after `timeout`, pause at least `interval` (and at
    /// least 10 ms) and at most `max_interval` between two polls (an interval
    /// above the longest pause is kept: it was asked for).
    pub const fn new(timeout: Duration, interval: Duration, max_interval: Duration) -> Self {
        Self {
            timeout,
            interval,
            max_interval,
        }
    }

    /// How long the wait lasts at most.
    pub const fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The shortest pause between two polls, as asked.
    pub const fn interval(&self) -> Duration {
        self.interval
    }

    /// The longest pause between two polls, as asked.
    pub const fn max_interval(&self) -> Duration {
        self.max_interval
    }

    /// The pause after a poll made `waited` into the wait: a tenth of
    /// `waited`, within the interval and the longest pause. So work that ends
    /// at age `a` is seen done at most `max(interval, a / 10)` (and never more
    /// than `max_interval`) after it ended, plus one request's time; with the
    /// job defaults (250 ms, 10 s) a 200 ms job is seen at 250 ms, a 5 s job
    /// with about 18 polls, a 5 min one with about 70.
    ///
    /// ```
    /// use std::time::Duration;
    /// use scenario_sdk::Pace;
    ///
    /// let pace = Pace::new(Duration::from_secs(300), Duration::from_millis(250), Duration::from_secs(10));
    /// assert_eq!(pace.pause_after(Duration::ZERO), Duration::from_millis(250));
    /// assert_eq!(pace.pause_after(Duration::from_secs(30)), Duration::from_secs(3));
    /// assert_eq!(pace.pause_after(Duration::from_secs(600)), Duration::from_secs(10));
    /// ```
    pub fn pause_after(&self, waited: Duration) -> Duration {
        let floor = self.interval.max(MIN_INTERVAL);
        let cap = self.max_interval.max(floor);
        (waited / AGE_DIVISOR).clamp(floor, cap)
    }

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
    let mut not_found = 0;
    // Set by a 429: the next pause is at least this long.
    let mut held_off: Option<Duration> = None;
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
            let interval = pace
                .pause_after(now - started)
                .max(held_off.take().unwrap_or_default());
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
        }
        let poll_deadline = match (deadline, last.is_none() && not_found == 0) {
            (Some(deadline), true) => started.checked_add(FIRST_CHECK).map(|d| d.max(deadline)),
            (deadline, _) => deadline,
        };
        let polled = match poll_deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline, resource.get()).await {
                Ok(polled) => polled,
                Err(_) => return Err(resource.timed_out(last.as_ref(), started.elapsed())),
            },
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
            // The request's own retries are spent: the service asks for fewer
            // requests, and the wait has a deadline of its own, so it slows
            // down rather than reports the work as failed.
            Err(err) if err.is_rate_limited() => {
                let hold = err
                    .retry_after()
                    .unwrap_or_else(|| pace.pause_after(started.elapsed()) * 2);
                tracing::debug!(
                    hold_ms = u64::try_from(hold.as_millis()).unwrap_or(u64::MAX),
                    "too many requests; polling slower"
                );
                held_off = Some(hold);
            }
            Err(err) => return Err(err),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Work that ends `length` after the wait starts; reads before `refusals`
    /// are spent are answered 429, as a rate-limited team's would be.
    pub(crate) struct Work {
        pub(crate) started: Instant,
        length: Duration,
        pub(crate) polls: AtomicUsize,
        pub(crate) refusals: Mutex<Vec<Error>>,
    }

    impl Work {
        pub(crate) fn new(length: Duration) -> Self {
            Self {
                started: Instant::now(),
                length,
                polls: AtomicUsize::new(0),
                refusals: Mutex::new(Vec::new()),
            }
        }
    }

    impl Polled for &Work {
        type Item = bool;

        async fn get(&self) -> Result<bool> {
            self.polls.fetch_add(1, Ordering::Relaxed);
            if let Some(refusal) = self.refusals.lock().unwrap().pop() {
                return Err(refusal);
            }
            Ok(self.started.elapsed() >= self.length)
        }

        fn settled(&self, done: &bool) -> Option<Result<()>> {
            done.then_some(Ok(()))
        }

        fn timed_out(&self, _: Option<&bool>, waited: Duration) -> Error {
            Error::InvalidInput(format!("timed out after {waited:?}"))
        }

        fn status(done: &bool) -> String {
            done.to_string()
        }
    }

    #[test]
    fn pauses_grow_with_the_time_waited_between_the_interval_and_the_longest_pause() {
        let pace = Pace::new(
            Duration::from_secs(60),
            Duration::from_millis(250),
            Duration::from_secs(10),
        );
        assert_eq!(
            pace.pause_after(Duration::from_secs(1)),
            Duration::from_millis(250)
        );
        assert_eq!(
            pace.pause_after(Duration::from_secs(5)),
            Duration::from_millis(500)
        );
        assert_eq!(
            pace.pause_after(Duration::from_secs(1000)),
            Duration::from_secs(10)
        );
        // An interval above the longest pause is kept; a zero one is 10 ms.
        let slow = Pace::new(
            Duration::from_secs(60),
            Duration::from_secs(20),
            Duration::from_secs(10),
        );
        assert_eq!(slow.pause_after(Duration::ZERO), Duration::from_secs(20));
        let eager = Pace::new(Duration::from_secs(60), Duration::ZERO, Duration::ZERO);
        assert_eq!(eager.pause_after(Duration::from_secs(5)), MIN_INTERVAL);
    }
}
