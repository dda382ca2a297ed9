//! What an upload reports while it runs.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// Byte counts are reported at most this often, unless they moved by
/// [`STEP_PERCENT`] since the last report: a bar redraws smoothly on a slow
/// link, and a fast one does not call the callback per chunk.
pub(crate) const MIN_INTERVAL: Duration = Duration::from_millis(50);
/// A move of this share of the total (in percent) is reported at once.
pub(crate) const STEP_PERCENT: u64 = 1;

/// Where an upload stands, passed to [`UploadBuilder::on_progress`](super::UploadBuilder::on_progress).
///
/// Byte and part counts only grow. Bytes count as they are handed to the
/// storage, before it has accepted their part; a part that is retried counts
/// only the bytes beyond what its earlier attempts sent, so the count never
/// goes back and never exceeds the total. Byte counts are reported at most
/// every 50 ms, or sooner when they moved by 1% of the total; every part the
/// storage accepts and every change of phase is reported too. Two reports in
/// a row always differ, and once every part is in, `bytes_sent` is
/// `bytes_total`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// The step the upload is in.
    pub phase: UploadPhase,
    /// The upload's id, once the service has created it.
    pub upload_id: Option<String>,
    /// Bytes handed to the storage so far (a retried part's bytes count once).
    pub bytes_sent: u64,
    /// The size of the content.
    pub bytes_total: u64,
    /// Parts the storage has accepted.
    pub parts_done: u32,
    /// The number of parts.
    pub parts_total: u32,
}

impl Progress {
    /// The share of bytes sent, from 0.0 to 1.0.
    pub fn fraction(&self) -> f64 {
        if self.bytes_total == 0 {
            return 0.0;
        }
        // Precision loss only starts beyond 2^53 bytes.
        self.bytes_sent as f64 / self.bytes_total as f64
    }
}

/// The steps of an upload, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum UploadPhase {
    /// Asking the service for an upload and its part URLs.
    Creating,
    /// Sending the parts.
    Uploading,
    /// Every part was sent; telling the service so.
    Completing,
    /// Waiting for the service to validate the upload (only with `wait(true)`).
    Waiting,
}

pub(crate) type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// The bytes of each part sent so far, written by the part bodies as they
/// stream (on whichever task sends them) and read by the [`Reporter`].
///
/// Each part keeps the most any of its attempts sent: an attempt that starts
/// over after a failure adds nothing until it passes that mark, so the total
/// only grows.
#[derive(Debug)]
pub(crate) struct SentBytes {
    parts: Box<[AtomicU64]>,
    total: AtomicU64,
    changed: Notify,
}

impl SentBytes {
    pub(crate) fn new(parts: u32) -> Arc<Self> {
        let parts = (0..parts).map(|_| AtomicU64::new(0)).collect();
        Arc::new(Self {
            parts,
            total: AtomicU64::new(0),
            changed: Notify::new(),
        })
    }

    /// One attempt at part `number` (1-based) has sent `sent` bytes of it.
    pub(crate) fn reached(&self, number: u32, sent: u64) {
        let Some(slot) = number
            .checked_sub(1)
            .and_then(|index| self.parts.get(usize::try_from(index).ok()?))
        else {
            return;
        };
        let before = slot.fetch_max(sent, Ordering::AcqRel);
        if sent > before {
            self.total.fetch_add(sent - before, Ordering::AcqRel);
            self.changed.notify_one();
        }
    }

    /// Bytes sent over all parts.
    pub(crate) fn total(&self) -> u64 {
        self.total.load(Ordering::Acquire)
    }

    /// Resolves once bytes were sent since the last call resolved (or at
    /// once, if they were sent while nobody waited).
    pub(crate) async fn changed(&self) {
        self.changed.notified().await;
    }
}

/// Keeps the counts and calls the callback. Only the task that drives the
/// upload holds it, so events arrive in order even though parts finish on
/// other tasks.
pub(crate) struct Reporter {
    state: Progress,
    callback: Option<ProgressFn>,
    /// When the last event went out.
    last_event: Instant,
    /// How far bytes must move to be reported before [`MIN_INTERVAL`] is up.
    step: u64,
}

impl fmt::Debug for Reporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reporter")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Reporter {
    pub(crate) fn new(callback: Option<ProgressFn>, bytes_total: u64, parts_total: u32) -> Self {
        Self {
            state: Progress {
                phase: UploadPhase::Creating,
                upload_id: None,
                bytes_sent: 0,
                bytes_total,
                parts_done: 0,
                parts_total,
            },
            callback,
            last_event: Instant::now(),
            step: (bytes_total / 100 * STEP_PERCENT).max(1),
        }
    }

    pub(crate) fn phase(&mut self, phase: UploadPhase) {
        self.state.phase = phase;
        self.emit(Instant::now());
    }

    pub(crate) fn created(&mut self, upload_id: &str) {
        self.state.upload_id = Some(upload_id.to_owned());
        self.phase(UploadPhase::Uploading);
    }

    /// A part was accepted; `sent` is [`SentBytes::total`], which counts it
    /// whole (and never more than the total: each part counts at most its length).
    pub(crate) fn part_done(&mut self, sent: u64, now: Instant) {
        self.state.bytes_sent = self.state.bytes_sent.max(sent);
        self.state.parts_done = self.state.parts_done.saturating_add(1);
        self.emit(now);
    }

    /// `sent` bytes are out ([`SentBytes::total`]): reports them if they
    /// moved enough or long enough ago. Returns when to call again if they
    /// moved but were held back, so that the last of them are not left unshown.
    pub(crate) fn bytes(&mut self, sent: u64, now: Instant) -> Option<Instant> {
        if sent <= self.state.bytes_sent {
            return None;
        }
        let due = self.last_event + MIN_INTERVAL;
        if sent - self.state.bytes_sent >= self.step || now >= due {
            self.state.bytes_sent = sent;
            self.emit(now);
            return None;
        }
        Some(due)
    }

    fn emit(&mut self, now: Instant) {
        self.last_event = now;
        if let Some(callback) = &self.callback {
            callback(&self.state);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn recorded(total: u64) -> (Reporter, Arc<Mutex<Vec<Progress>>>) {
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let callback: ProgressFn =
            Arc::new(move |p: &Progress| sink.lock().unwrap().push(p.clone()));
        (Reporter::new(Some(callback), total, 2), events)
    }

    fn sent(events: &Mutex<Vec<Progress>>) -> Vec<u64> {
        events
            .lock()
            .unwrap()
            .iter()
            .map(|p| p.bytes_sent)
            .collect()
    }

    #[test]
    fn small_moves_wait_for_the_interval_and_large_ones_do_not() {
        let (mut reporter, events) = recorded(10_000);
        let start = reporter.last_event;
        // 1% of 10 000 is 100 bytes.
        assert_eq!(reporter.bytes(99, start), Some(start + MIN_INTERVAL));
        assert_eq!(sent(&events), Vec::<u64>::new(), "held back");
        assert_eq!(reporter.bytes(100, start), None);
        assert_eq!(sent(&events), [100]);
        let later = start + MIN_INTERVAL;
        assert_eq!(
            reporter.bytes(101, later - Duration::from_millis(1)),
            Some(later)
        );
        assert_eq!(reporter.bytes(101, later), None);
        assert_eq!(sent(&events), [100, 101]);
    }

    #[test]
    fn nothing_is_reported_when_nothing_moved_and_nothing_goes_back() {
        let (mut reporter, events) = recorded(1_000);
        let now = reporter.last_event + MIN_INTERVAL;
        assert_eq!(reporter.bytes(0, now), None);
        assert_eq!(reporter.bytes(500, now), None);
        assert_eq!(reporter.bytes(500, now + MIN_INTERVAL), None);
        assert_eq!(reporter.bytes(400, now + MIN_INTERVAL), None);
        assert_eq!(sent(&events), [500]);
        // A part that lands reports even without new bytes.
        reporter.part_done(500, now);
        assert_eq!(sent(&events), [500, 500]);
        assert_eq!(events.lock().unwrap()[1].parts_done, 1);
    }

    #[test]
    fn a_part_counts_its_best_attempt_once() {
        let sent = SentBytes::new(2);
        sent.reached(1, 300);
        sent.reached(1, 100);
        assert_eq!(
            sent.total(),
            300,
            "a retry starting over takes nothing back"
        );
        sent.reached(1, 350);
        sent.reached(2, 50);
        assert_eq!(sent.total(), 400);
        sent.reached(3, 1_000);
        sent.reached(0, 1_000);
        assert_eq!(sent.total(), 400, "no such part");
    }
}
