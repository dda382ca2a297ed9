//! Waiting for the service to be done with an upload.

use std::future::Future;
use std::future::IntoFuture;
use std::time::Duration;

use futures::future::BoxFuture;
use scenario_api::types::{Upload, UploadStatus};

use super::Uploads;
use crate::error::{Error, Result, Work};
use crate::poll::{Pace, Polled, until_settled};

/// How long to wait for an upload (or an import) by default, as the official
/// SDKs do.
pub const DEFAULT_UPLOAD_WAIT_TIMEOUT: Duration = Duration::from_secs(300);
/// The first pause between two polls of an upload by default.
pub const DEFAULT_UPLOAD_WAIT_INTERVAL: Duration = Duration::from_secs(1);
/// The longest pause between two polls of an upload by default.
pub const DEFAULT_UPLOAD_WAIT_MAX_INTERVAL: Duration = Duration::from_secs(10);

/// How long, and how often, to poll an upload by default.
pub(crate) const UPLOAD_PACE: Pace = Pace {
    timeout: DEFAULT_UPLOAD_WAIT_TIMEOUT,
    interval: DEFAULT_UPLOAD_WAIT_INTERVAL,
    max_interval: DEFAULT_UPLOAD_WAIT_MAX_INTERVAL,
};

/// Waiting until an upload is ready: [`Uploads::wait_until_ready`]. Set the
/// timeout and polling pace, then `.await` it (or call [`Self::send`]).
#[derive(Clone, Debug)]
#[must_use = "waiting does nothing until you .await it"]
pub struct WaitUntilReady {
    uploads: Uploads,
    upload_id: String,
    settings: Pace,
}

impl WaitUntilReady {
    pub(crate) fn new(uploads: Uploads, upload_id: String) -> Self {
        Self {
            uploads,
            upload_id,
            settings: UPLOAD_PACE,
        }
    }

    /// How long to wait before giving up with [`Error::WaitTimeout`] (300 s by
    /// default). It is a deadline: a check still in flight when it passes is
    /// abandoned (the first check, when nothing is known of the upload yet,
    /// gets at least 1 s, so that a zero timeout checks once).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// The first pause between two polls (1 s by default, at least 10 ms); each
    /// later pause is a tenth of the time waited so far, up to
    /// [`Self::max_interval`] (see [`Pace::pause_after`]; an interval above
    /// that is kept as it is).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.settings.interval = interval;
        self
    }

    /// The longest pause between two polls (10 s by default).
    pub fn max_interval(mut self, max_interval: Duration) -> Self {
        self.settings.max_interval = max_interval;
        self
    }

    /// Polls until the upload is ready; the same as `.await`.
    pub async fn send(self) -> Result<Upload> {
        wait(&self.uploads, &self.upload_id, self.settings, None).await
    }
}

impl IntoFuture for WaitUntilReady {
    type Output = Result<Upload>;
    type IntoFuture = BoxFuture<'static, Result<Upload>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// Polls upload `upload_id` until it is ready, failed, or the timeout passes.
/// `known` is the upload as last seen (by `complete`, say), which saves a poll.
///
/// The timeout is a deadline for the whole wait, polls in flight included: a
/// poll that hangs (or retries for long) is abandoned when the deadline passes.
/// Every error names the upload.
pub(crate) async fn wait(
    uploads: &Uploads,
    upload_id: &str,
    settings: Pace,
    known: Option<Upload>,
) -> Result<Upload> {
    super::check_id(upload_id)?;
    poll(uploads, upload_id, settings, known)
        .await
        .map_err(|err| err.in_upload(upload_id))
}

async fn poll(
    uploads: &Uploads,
    upload_id: &str,
    settings: Pace,
    known: Option<Upload>,
) -> Result<Upload> {
    until_settled(UploadPoll { uploads, upload_id }, settings, known).await
}

/// An upload, as the wait polls it.
struct UploadPoll<'a> {
    uploads: &'a Uploads,
    upload_id: &'a str,
}

impl Polled for UploadPoll<'_> {
    type Item = Upload;

    fn get(&self) -> impl Future<Output = Result<Upload>> + Send {
        self.uploads.get(self.upload_id)
    }

    fn settled(&self, upload: &Upload) -> Option<Result<()>> {
        settled(self.upload_id, upload)
    }

    fn timed_out(&self, last: Option<&Upload>, waited: Duration) -> Error {
        Error::WaitTimeout {
            work: Work::Upload,
            id: self.upload_id.to_owned(),
            status: last.map_or_else(|| "not yet known".to_owned(), |u| u.status.to_string()),
            waited,
        }
    }

    fn status(upload: &Upload) -> String {
        upload.status.to_string()
    }

    fn unrecognized(upload: &Upload) -> bool {
        upload.status.is_unrecognized()
    }
}

/// `Some` once the service is done with the upload: `Ok` if it produced
/// something, the server's reason if it failed; `None` for any other status,
/// one this SDK does not know included.
pub(crate) fn settled(upload_id: &str, upload: &Upload) -> Option<Result<()>> {
    match &upload.status {
        UploadStatus::Failed => Some(Err(Error::WorkFailed {
            work: Work::Upload,
            id: upload_id.to_owned(),
            status: upload.status.to_string(),
            message: upload
                .error_message
                .clone()
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| "the service gave no reason".to_owned()),
        })),
        UploadStatus::Complete | UploadStatus::Imported => Some(Ok(())),
        // The official SDKs stop as soon as the created entity is known.
        _ if upload.entity_id.as_deref().is_some_and(|id| !id.is_empty()) => Some(Ok(())),
        // A status newer than the SDK is polled on to a known end or the deadline.
        _ => None,
    }
}
