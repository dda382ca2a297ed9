//! Waiting for the service to be done with an upload.

use std::future::IntoFuture;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use scenario_api::types::{Upload, UploadStatus};

use super::Uploads;
use crate::error::{Error, Result};

/// How long to wait for an upload by default (as the official SDKs do).
pub(crate) const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(300);
const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);
const DEFAULT_MAX_INTERVAL: Duration = Duration::from_secs(10);
/// The shortest pause between two polls, whatever the settings.
const MIN_INTERVAL: Duration = Duration::from_millis(10);
/// How much the pause grows after each poll: quick answers for small files,
/// few requests for the big ones that take minutes.
const GROWTH: f64 = 1.5;

/// How long, and how often, to poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WaitSettings {
    pub(crate) timeout: Duration,
    pub(crate) interval: Duration,
    pub(crate) max_interval: Duration,
}

impl Default for WaitSettings {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_WAIT_TIMEOUT,
            interval: DEFAULT_INTERVAL,
            max_interval: DEFAULT_MAX_INTERVAL,
        }
    }
}

/// Waiting until an upload is ready: [`Uploads::wait_until_ready`]. Set the
/// timeout and polling pace, then `.await` it (or call [`Self::send`]).
#[derive(Clone, Debug)]
#[must_use = "waiting does nothing until you .await it"]
pub struct WaitUntilReady {
    uploads: Uploads,
    upload_id: String,
    settings: WaitSettings,
}

impl WaitUntilReady {
    pub(crate) fn new(uploads: Uploads, upload_id: String) -> Self {
        Self {
            uploads,
            upload_id,
            settings: WaitSettings::default(),
        }
    }

    /// How long to wait before giving up with [`Error::WaitTimeout`] (300 s by default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// The first pause between two polls (1 s by default, at least 10 ms); each
    /// pause is 1.5 times the previous one, up to [`Self::max_interval`].
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
pub(crate) async fn wait(
    uploads: &Uploads,
    upload_id: &str,
    settings: WaitSettings,
    known: Option<Upload>,
) -> Result<Upload> {
    let started = Instant::now();
    // A timeout too large for the clock means "no deadline".
    let deadline = started.checked_add(settings.timeout);
    let max_interval = settings.max_interval.max(MIN_INTERVAL);
    let mut interval = settings.interval.clamp(MIN_INTERVAL, max_interval);
    let mut upload = match known {
        Some(upload) => upload,
        None => uploads.get(upload_id).await?,
    };
    loop {
        if let Some(outcome) = settled(upload_id, &upload) {
            return outcome.map(|()| upload);
        }
        let now = Instant::now();
        let pause = match deadline {
            Some(deadline) if now >= deadline => {
                return Err(Error::WaitTimeout {
                    upload_id: upload_id.to_owned(),
                    status: upload.status.to_string(),
                    waited: started.elapsed(),
                });
            }
            Some(deadline) => interval.min(deadline - now),
            None => interval,
        };
        tracing::debug!(
            upload_id,
            status = %upload.status,
            pause_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
            "upload not ready yet"
        );
        tokio::time::sleep(pause).await;
        interval = Duration::try_from_secs_f64(interval.as_secs_f64() * GROWTH)
            .unwrap_or(max_interval)
            .min(max_interval);
        upload = uploads.get(upload_id).await?;
    }
}

/// `Some` once the service is done with the upload: `Ok` if it produced
/// something, the server's reason if it failed.
pub(crate) fn settled(upload_id: &str, upload: &Upload) -> Option<Result<()>> {
    match &upload.status {
        UploadStatus::Failed => Some(Err(Error::UploadFailed {
            upload_id: upload_id.to_owned(),
            message: upload
                .error_message
                .clone()
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| "the service gave no reason".to_owned()),
        })),
        UploadStatus::Complete | UploadStatus::Imported => Some(Ok(())),
        // The official SDKs stop as soon as the created entity is known.
        _ if upload.entity_id.as_deref().is_some_and(|id| !id.is_empty()) => Some(Ok(())),
        _ => None,
    }
}
