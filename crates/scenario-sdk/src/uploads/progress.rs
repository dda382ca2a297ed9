//! What an upload reports while it runs.

use std::fmt;
use std::sync::Arc;

/// Where an upload stands, passed to [`UploadBuilder::on_progress`](super::UploadBuilder::on_progress).
///
/// Byte and part counts only grow: a part counts once the storage has accepted
/// it, so a part that is retried is never counted twice.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// The step the upload is in.
    pub phase: UploadPhase,
    /// The upload's id, once the service has created it.
    pub upload_id: Option<String>,
    /// Bytes of the parts the storage has accepted.
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

/// Keeps the counts and calls the callback. Only the task that drives the
/// upload holds it, so events arrive in order even though parts finish on
/// other tasks.
pub(crate) struct Reporter {
    state: Progress,
    callback: Option<ProgressFn>,
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
        }
    }

    pub(crate) fn phase(&mut self, phase: UploadPhase) {
        self.state.phase = phase;
        self.emit();
    }

    pub(crate) fn created(&mut self, upload_id: &str) {
        self.state.upload_id = Some(upload_id.to_owned());
        self.phase(UploadPhase::Uploading);
    }

    pub(crate) fn part_done(&mut self, bytes: u64) {
        self.state.bytes_sent = self.state.bytes_sent.saturating_add(bytes);
        self.state.parts_done = self.state.parts_done.saturating_add(1);
        self.emit();
    }

    fn emit(&self) {
        if let Some(callback) = &self.callback {
            callback(&self.state);
        }
    }
}
