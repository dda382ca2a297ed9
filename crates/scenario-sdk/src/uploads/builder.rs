//! The upload of a file, bytes or a reader: create the upload, send the parts
//! in parallel, complete it, and optionally wait for the result.

use std::fmt;
use std::future::IntoFuture;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use scenario_api::types::{AssetOptions, Upload, UploadCreateRequest, UploadKind};
use tokio::task::{JoinError, JoinSet};
use tracing::Instrument;

use super::multipart::{PartSender, PartUrls};
use super::plan::{self, PartPlan};
use super::progress::{Progress, ProgressFn, Reporter, SentBytes, UploadPhase};
use super::source::{OpenSource, Source};
use super::wait::{self, UPLOAD_PACE};
use super::{Uploads, asset_options};
use crate::error::{Error, Result};
use crate::handle::Client;
use crate::poll::Pace;

/// How long a part may go without a byte moving before it is retried.
const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Called with the upload's id once every part is in, before the completion
/// is asked for: from then on the service may make the asset, so a caller
/// that resumes across runs records the id here (and the upload stops, not
/// completed, when it fails).
pub(crate) type BeforeComplete = Box<dyn FnOnce(String) -> BoxFuture<'static, Result<()>> + Send>;

/// An upload to send: [`Uploads::upload_file`], [`Uploads::upload_bytes`] or
/// [`Uploads::upload_reader`]. Adjust it with the setters, then `.await` it (or
/// call [`Self::send`]).
///
/// Everything that can be checked locally (the file, its size, the part plan,
/// the settings) is checked before the upload is created on the server. Parts go
/// out `concurrency` at a time; a part that fails is retried alone, as the
/// client's [`RetryPolicy`](crate::RetryPolicy) allows, and a part whose URL has
/// expired is retried with a fresh one. The upload is completed only once every
/// part is in. Dropping the future stops every part in flight and leaves the
/// upload pending (the service discards it eventually); it is never completed.
///
/// ```no_run
/// # async fn run(client: scenario_sdk::Client) -> scenario_sdk::Result<()> {
/// use std::time::Duration;
/// use scenario_sdk::types::UploadKind;
///
/// let upload = client
///     .uploads()
///     .upload_file("walk-cycle.mp4", UploadKind::Video)
///     .concurrency(4)
///     .on_progress(|p| eprintln!("{:.0}%", p.fraction() * 100.0))
///     .wait(true)
///     .wait_timeout(Duration::from_secs(600))
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "an upload does nothing until you .await it or call send()"]
pub struct UploadBuilder {
    client: Client,
    source: Source,
    kind: UploadKind,
    file_name: Option<String>,
    content_type: Option<String>,
    part_size: Option<u64>,
    min_part_size: u64,
    concurrency: usize,
    asset_options: AssetOptions,
    max_retries: Option<u32>,
    stall_timeout: Duration,
    on_progress: Option<ProgressFn>,
    wait: bool,
    wait_settings: Pace,
    before_complete: Option<BeforeComplete>,
}

impl fmt::Debug for UploadBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadBuilder")
            .field("source", &self.source)
            .field("kind", &self.kind)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("part_size", &self.part_size)
            .field("min_part_size", &self.min_part_size)
            .field("concurrency", &self.concurrency)
            .field("asset_options", &self.asset_options)
            .field("max_retries", &self.max_retries)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

impl UploadBuilder {
    /// The part size chosen when the content is small enough for it: 8 MiB.
    /// Larger content gets larger parts, to stay within [`Self::MAX_PARTS`].
    pub const DEFAULT_PART_SIZE: u64 = plan::DEFAULT_PART_SIZE;
    /// The storage's smallest part, the last one excepted: 5 MiB (S3's rule).
    pub const MIN_PART_SIZE: u64 = plan::MIN_PART_SIZE;
    /// The storage's largest part: 5 GiB (S3's rule).
    pub const MAX_PART_SIZE: u64 = plan::MAX_PART_SIZE;
    /// The storage's largest number of parts: 10 000 (S3's rule).
    pub const MAX_PARTS: u32 = plan::MAX_PARTS;
    /// How many parts are sent at once by default.
    pub const DEFAULT_CONCURRENCY: usize = 8;

    pub(crate) fn new(client: Client, source: Source, kind: UploadKind) -> Self {
        Self {
            client,
            source,
            kind,
            file_name: None,
            content_type: None,
            part_size: None,
            min_part_size: plan::MIN_PART_SIZE,
            concurrency: Self::DEFAULT_CONCURRENCY,
            asset_options: AssetOptions::default(),
            max_retries: None,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
            on_progress: None,
            wait: false,
            wait_settings: UPLOAD_PACE,
            before_complete: None,
        }
    }

    /// See [`BeforeComplete`] (training from a folder records its uploads).
    #[cfg(feature = "models")]
    pub(crate) fn before_complete(mut self, hook: BeforeComplete) -> Self {
        self.before_complete = Some(hook);
        self
    }

    /// The size of every part but the last, instead of the automatic choice.
    ///
    /// It must be at least [`Self::MIN_PART_SIZE`] (unless the content fits in
    /// one part) and cut the content into at most [`Self::MAX_PARTS`] parts;
    /// otherwise sending fails with [`Error::InvalidInput`] before anything is
    /// created. Memory use is bounded by `concurrency` × part size for readers,
    /// and by `concurrency` × 64 KiB for files and bytes.
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.part_size = Some(bytes);
        self
    }

    /// The storage's smallest allowed part (every part but the last):
    /// [`Self::MIN_PART_SIZE`] by default, which is what the Scenario API's
    /// storage requires.
    ///
    /// Only for servers with other rules, such as a test server that accepts
    /// small parts so that tests can send several parts without megabytes of
    /// data. Against the real service, parts below 5 MiB make the upload fail
    /// when it is completed.
    pub fn min_part_size(mut self, bytes: u64) -> Self {
        self.min_part_size = bytes;
        self
    }

    /// How many parts are sent at once ([`Self::DEFAULT_CONCURRENCY`] by default; at least 1).
    pub fn concurrency(mut self, parts: usize) -> Self {
        self.concurrency = parts;
        self
    }

    /// The MIME type of the content, instead of the one guessed from the file
    /// name (`application/octet-stream` when the extension says nothing).
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// The file name the service records, instead of the path's last component.
    pub fn file_name(mut self, file_name: impl Into<String>) -> Self {
        self.file_name = Some(file_name.into());
        self
    }

    /// Adds the resulting asset to this collection (call again for more).
    pub fn collection(mut self, collection_id: impl Into<String>) -> Self {
        self.asset_options.collection_ids.push(collection_id.into());
        self
    }

    /// Makes the resulting asset a child of this asset.
    pub fn parent(mut self, parent_asset_id: impl Into<String>) -> Self {
        self.asset_options.parent_id = Some(parent_asset_id.into());
        self
    }

    /// Hides the resulting asset from the user.
    pub fn hide(mut self, hide: bool) -> Self {
        self.asset_options.hide = Some(hide);
        self
    }

    /// Retries per request (API calls and each part), instead of the client's setting.
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = Some(max_retries);
        self
    }

    /// How long sending a part may go without a byte moving (or without an
    /// answer once sent) before that attempt counts as timed out and is
    /// retried: 60 s by default. There is no limit on the total time of a part,
    /// which depends on the bandwidth.
    pub fn stall_timeout(mut self, timeout: Duration) -> Self {
        self.stall_timeout = timeout;
        self
    }

    /// Calls `callback` as the upload advances: when it is created, as bytes
    /// are sent (at most every 50 ms, or when 1% more is out), after each part
    /// the storage accepts, and when it is completed and waited for. See
    /// [`Progress`] for what the counts mean.
    ///
    /// The callback runs on the task that drives the upload, in order; keep it quick.
    pub fn on_progress(mut self, callback: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.on_progress = Some(Arc::new(callback));
        self
    }

    /// Waits, after completing, until the service has validated the upload,
    /// like [`Uploads::wait_until_ready`]: the returned upload then names the
    /// created asset in `entity_id`. Off by default.
    pub fn wait(mut self, wait: bool) -> Self {
        self.wait = wait;
        self
    }

    /// How long [`Self::wait`] waits (300 s by default; zero is refused with
    /// [`Error::InvalidInput`], as the wait could only time out).
    pub fn wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_settings.timeout = timeout;
        self
    }

    /// The first pause between two polls of [`Self::wait`] (1 s by default);
    /// later pauses are a tenth of the time waited so far, up to 10 s (see
    /// [`crate::Pace::pause_after`]).
    pub fn wait_interval(mut self, interval: Duration) -> Self {
        self.wait_settings.interval = interval;
        self
    }

    /// Sends the upload; the same as `.await`.
    ///
    /// Returns the upload as `complete` left it, or with [`Self::wait`] as the
    /// service finished it. Fails with [`Error::InvalidInput`] or
    /// [`Error::Io`] for bad input (before anything is created when possible),
    /// [`Error::WorkFailed`] when the service rejects the content, and the
    /// usual request errors otherwise.
    pub async fn send(self) -> Result<Upload> {
        let Self {
            client,
            source,
            kind,
            file_name,
            content_type,
            part_size,
            min_part_size,
            concurrency,
            asset_options: options,
            max_retries,
            stall_timeout,
            on_progress,
            wait,
            wait_settings,
            before_complete,
        } = self;
        if concurrency == 0 {
            return Err(Error::InvalidInput(
                "concurrency must be at least 1 (parts sent at once)".into(),
            ));
        }
        if stall_timeout.is_zero() {
            return Err(Error::InvalidInput(
                "stall_timeout must be above zero: every attempt would time out".into(),
            ));
        }
        if wait {
            wait_settings.check_before_starting("the upload")?;
        }
        let file_name = file_name
            .or_else(|| source.file_name())
            .filter(|name| !name.trim().is_empty())
            .ok_or_else(|| {
                Error::InvalidInput("the upload needs a file name; set it with file_name".into())
            })?;
        let content_type = content_type.unwrap_or_else(|| {
            mime_guess::from_path(&file_name)
                .first_or_octet_stream()
                .essence_str()
                .to_owned()
        });
        let client = match max_retries {
            Some(max_retries) => client.with_max_retries(max_retries),
            None => client,
        };
        let uploads = Uploads::new(client);

        let mut source = source.open().await?;
        let plan = PartPlan::new(source.len(), part_size, min_part_size)?;
        let mut progress = Reporter::new(on_progress, plan.file_size, plan.parts);
        progress.phase(UploadPhase::Creating);
        let request = UploadCreateRequest {
            file_name: Some(file_name),
            content_type: Some(content_type),
            file_size: Some(plan.file_size),
            kind: Some(kind),
            parts: Some(plan.parts),
            asset_options: asset_options(options),
            ..UploadCreateRequest::default()
        };
        let upload = uploads.create(request).await?;
        tracing::debug!(
            upload_id = %upload.id,
            bytes = plan.file_size,
            parts = plan.parts,
            part_size = plan.part_size,
            "upload created"
        );
        progress.created(&upload.id);
        let id = upload.id.clone();
        let after_create = async {
            let sender = Arc::new(PartSender {
                uploads: uploads.clone(),
                upload_id: upload.id.clone(),
                urls: PartUrls::new(&upload, plan.parts)?,
                stall_timeout,
                sent: SentBytes::new(plan.parts),
            });
            send_parts(&mut source, &plan, sender, concurrency, &mut progress).await?;
            source.verify_unchanged().await?;
            if let Some(hook) = before_complete {
                hook(upload.id.clone()).await?;
            }

            progress.phase(UploadPhase::Completing);
            let completed = uploads.complete(&upload.id).await?;
            tracing::debug!(upload_id = %upload.id, status = %completed.status, "upload completed");
            if !wait {
                return match wait::settled(&upload.id, &completed) {
                    Some(Err(failed @ Error::WorkFailed { .. })) => Err(failed),
                    _ => Ok(completed),
                };
            }
            progress.phase(UploadPhase::Waiting);
            wait::wait(&uploads, &upload.id, wait_settings, Some(completed)).await
        };
        // From here on the upload exists: every error names it, so that the
        // caller can complete it, inspect it or leave it to expire.
        after_create.await.map_err(|err| err.in_upload(&id))
    }
}

impl IntoFuture for UploadBuilder {
    type Output = Result<Upload>;
    type IntoFuture = BoxFuture<'static, Result<Upload>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// Sends every part, at most `concurrency` at once, and reports bytes as
/// they go and each part as it lands. The tasks live in a `JoinSet` owned by
/// this future: returning early (an error) or being dropped aborts the parts
/// still in flight.
///
/// The parts' bodies count their bytes on the tasks that send them; this task
/// alone calls the callback, so events stay in order.
async fn send_parts(
    source: &mut OpenSource,
    plan: &PartPlan,
    sender: Arc<PartSender>,
    concurrency: usize,
    progress: &mut Reporter,
) -> Result<()> {
    let sent = sender.sent.clone();
    let mut tasks = JoinSet::new();
    let mut next: u32 = 1;
    // When bytes that were held back by the throttle are due to be reported.
    let mut held_back: Option<Instant> = None;
    while next <= plan.parts || !tasks.is_empty() {
        while next <= plan.parts && tasks.len() < concurrency {
            // Reading a reader's part can take a while: report what landed first.
            while let Some(joined) = tasks.try_join_next() {
                landed(joined)?;
                progress.part_done(sent.total(), Instant::now());
            }
            held_back = progress.bytes(sent.total(), Instant::now());
            let (offset, len) = plan.range(next);
            // A slot is free before the part is read, so at most `concurrency`
            // part buffers exist at any time.
            let data = source.part(offset, len).await?;
            let part = sender.clone().send(next, data);
            tasks.spawn(part.instrument(tracing::Span::current()));
            next += 1;
        }
        let due = held_back.unwrap_or_else(Instant::now);
        tokio::select! {
            joined = tasks.join_next() => {
                if let Some(joined) = joined {
                    landed(joined)?;
                    progress.part_done(sent.total(), Instant::now());
                }
            }
            () = sent.changed() => held_back = progress.bytes(sent.total(), Instant::now()),
            () = tokio::time::sleep_until(due.into()), if held_back.is_some() => {
                held_back = progress.bytes(sent.total(), Instant::now());
            }
        }
    }
    Ok(())
}

/// Whether a part landed (its bytes are counted in `SentBytes`), or why not.
fn landed(joined: Result<Result<u64>, JoinError>) -> Result<()> {
    match joined {
        Ok(result) => result.map(drop),
        // Only a bug panics in a part task; let it surface as the panic it is.
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(_) => Err(Error::Io {
            path: None,
            source: io::Error::other("a part upload was cancelled: the runtime is shutting down"),
        }),
    }
}
