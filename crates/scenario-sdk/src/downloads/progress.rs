//! What a download reports while it runs.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::sync::Notify;

use super::Done;
// The same pace as an upload's reports.
use crate::uploads::progress::{MIN_INTERVAL, STEP_PERCENT};

/// Where a download stands, passed to
/// [`DownloadToDir::on_progress`](super::DownloadToDir::on_progress).
///
/// Every count only grows; two reports in a row always differ.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadProgress {
    /// Files written or found complete so far.
    pub files_done: usize,
    /// Files that failed so far.
    pub files_failed: usize,
    /// How many files there are, when known (not for a stream of assets).
    pub files_total: Option<usize>,
    /// Bytes received, plus the sizes of files found complete.
    pub bytes_done: u64,
    /// The sum of the sizes of the files started so far, where known.
    pub bytes_expected: u64,
}

pub(crate) type ProgressFn = Arc<dyn Fn(&DownloadProgress) + Send + Sync>;

/// The counts, written by the file tasks and read by the reporter.
#[derive(Debug)]
pub(crate) struct Counters {
    files_total: Option<usize>,
    files_done: AtomicUsize,
    files_failed: AtomicUsize,
    bytes_done: AtomicU64,
    bytes_expected: AtomicU64,
    changed: Notify,
}

impl Counters {
    pub(crate) fn new(files_total: Option<usize>) -> Arc<Self> {
        Arc::new(Self {
            files_total,
            files_done: AtomicUsize::new(0),
            files_failed: AtomicUsize::new(0),
            bytes_done: AtomicU64::new(0),
            bytes_expected: AtomicU64::new(0),
            changed: Notify::new(),
        })
    }

    /// A file of `size` bytes was started.
    pub(crate) fn expect(&self, size: u64) {
        self.bytes_expected.fetch_add(size, Ordering::AcqRel);
        self.changed.notify_one();
    }

    /// `n` new bytes arrived.
    pub(crate) fn received(&self, n: u64) {
        self.bytes_done.fetch_add(n, Ordering::AcqRel);
        self.changed.notify_one();
    }

    /// A file of `size` bytes was found complete.
    pub(crate) fn skipped(&self, size: u64) {
        self.bytes_done.fetch_add(size, Ordering::AcqRel);
    }

    pub(crate) fn finished(&self, done: &Done) {
        match done {
            Done::Written(_) | Done::Skipped(_) => {
                self.files_done.fetch_add(1, Ordering::AcqRel);
            }
            Done::Failed(_) => {
                self.files_failed.fetch_add(1, Ordering::AcqRel);
            }
            Done::ListingFailed(_) => {}
        }
        self.changed.notify_one();
    }

    fn snapshot(&self) -> DownloadProgress {
        DownloadProgress {
            files_done: self.files_done.load(Ordering::Acquire),
            files_failed: self.files_failed.load(Ordering::Acquire),
            files_total: self.files_total,
            bytes_done: self.bytes_done.load(Ordering::Acquire),
            bytes_expected: self.bytes_expected.load(Ordering::Acquire),
        }
    }
}

/// Runs `work`, calling `on_progress` as the counts change (throttled), and
/// once more at the end if anything changed since the last call.
pub(crate) async fn reporting<T>(
    counters: Arc<Counters>,
    on_progress: Option<ProgressFn>,
    work: impl Future<Output = T>,
) -> T {
    let Some(on_progress) = on_progress else {
        return work.await;
    };
    let mut last = DownloadProgress {
        files_total: counters.files_total,
        ..DownloadProgress::default()
    };
    let report = |last: &mut DownloadProgress| {
        let now = counters.snapshot();
        if now != *last {
            on_progress(&now);
            *last = now;
        }
    };
    tokio::pin!(work);
    let output = loop {
        tokio::select! {
            output = &mut work => break output,
            () = counters.changed.notified() => {
                let now = counters.snapshot();
                // Whole files are reported at once; bytes at most every
                // MIN_INTERVAL unless they moved by 1% of what is known.
                let step = now.bytes_expected * STEP_PERCENT / 100;
                let files_moved = now.files_done != last.files_done
                    || now.files_failed != last.files_failed;
                if !files_moved && now.bytes_done.saturating_sub(last.bytes_done) <= step {
                    tokio::select! {
                        output = &mut work => break output,
                        () = tokio::time::sleep(MIN_INTERVAL) => {}
                    }
                }
                report(&mut last);
            }
        }
    };
    report(&mut last);
    output
}
