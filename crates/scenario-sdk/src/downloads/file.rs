//! One file, from its URL to disk: streamed into `<name>.part` in large
//! writes, resumed with `Range` from what an earlier attempt (or run) left
//! there, and renamed into place once whole, so a file under its final name is
//! always complete.
//!
//! The partial file is held open and locked for the whole download: a second
//! download of the same file (another process, say) is refused rather than
//! let write into it, and whatever stands at its name that is not a plain file
//! of ours (a symbolic link, a hard link to a file elsewhere, a FIFO) is
//! unlinked, never written through.

use std::future::Future;
use std::io::{Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::future::BoxFuture;
use reqwest::header::{CONTENT_RANGE, ETAG, HeaderMap, IF_RANGE, LAST_MODIFIED, RANGE, USER_AGENT};
use reqwest::{StatusCode, Url};

use crate::attempt::{self, AttemptError, Exchange, RetryClass};
use crate::error::{Error, Result};
use crate::handle::Client;
use crate::http_text::{XmlError, body_snippet, error_chain, redact};

/// Bytes are written to disk in blocks of this size: few system calls and
/// thread-pool round trips, and a bounded buffer per file.
const WRITE_BLOCK: usize = 1024 * 1024;
/// How much of an error body is kept for the message.
const ERROR_BODY_LIMIT: usize = 8 * 1024;

/// Gets a fresh URL for the file when the server refuses the current one
/// (signed URLs expire).
pub(crate) type Refresh = Box<dyn Fn() -> BoxFuture<'static, Result<Url>> + Send + Sync>;

/// The partial file beside `path`: `<name>.part`.
pub(crate) fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    path.with_file_name(name)
}

/// Where the version of a partial file is kept: `<name>.part.meta`.
fn version_path(partial: &Path) -> PathBuf {
    let mut name = partial.file_name().unwrap_or_default().to_os_string();
    name.push(".meta");
    partial.with_file_name(name)
}

/// The version of the file that a partial file holds the start of: what a
/// resume sends as `If-Range` (a strong ETag, else Last-Modified) and the
/// whole file's size. Kept beside the partial file, so that a later attempt or
/// run appends only bytes of the same version; a partial file whose version is
/// not known is started over, never appended to.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Version {
    if_range: String,
    total: Option<u64>,
}

impl Version {
    /// The version a response names, if it names one.
    fn of(headers: &HeaderMap, total: Option<u64>) -> Option<Self> {
        let text = |name| {
            headers
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
        };
        // A weak ETag may not be sent in If-Range (RFC 9110, 13.1.5).
        let etag = text(ETAG).filter(|tag| !tag.starts_with("W/"));
        etag.or_else(|| text(LAST_MODIFIED)).map(|value| Self {
            if_range: value.to_owned(),
            total,
        })
    }

    /// Whether `other` is the same version (sizes compared when both are known).
    fn same_as(&self, other: &Self) -> bool {
        self.if_range == other.if_range
            && match (self.total, other.total) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }

    async fn load(partial: &Path) -> Option<Self> {
        let path = version_path(partial);
        // Only a plain file of ours: a link there is not our record.
        file_len_now(&path).await?;
        let bytes = tokio::fs::read(path).await.ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Writes the version beside the partial file, through a new temporary
    /// file renamed over it: whatever stood at either name is replaced, never
    /// written through.
    async fn save(&self, partial: &Path) -> std::io::Result<()> {
        let path = version_path(partial);
        let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        let temporary = path.with_extension("meta.tmp");
        forget(&temporary).await;
        let write = {
            let temporary = temporary.clone();
            tokio::task::spawn_blocking(move || {
                no_follow_write()
                    .create_new(true)
                    .open(&temporary)
                    .and_then(|mut file| file.write_all(&bytes))
            })
        };
        write.await.map_err(std::io::Error::other)??;
        tokio::fs::rename(&temporary, &path).await
    }
}

/// Removes the file at `path` if there is one (what it kept is worthless).
async fn forget(path: &Path) {
    if let Err(err) = tokio::fs::remove_file(path).await
        && err.kind() != std::io::ErrorKind::NotFound
    {
        tracing::debug!(path = %path.display(), error = %err, "cannot remove");
    }
}

/// One file to get.
pub(crate) struct FileGet<'a> {
    pub(crate) client: &'a Client,
    /// The asset (or job) the file belongs to, for errors and tracing.
    pub(crate) id: &'a str,
    pub(crate) url: Url,
    pub(crate) refresh: Refresh,
    /// Where the file goes.
    pub(crate) path: &'a Path,
    /// The file's size as the API announced it (the asset's size), when it
    /// did: a body is never read past it, and a file of another size is an
    /// error, never put in place.
    pub(crate) declared: Option<u64>,
    /// How long the transfer may go without a byte arriving.
    pub(crate) stall_timeout: Duration,
    /// The most bytes this file has had on disk: progress counts what passes it.
    pub(crate) reached: &'a AtomicU64,
    /// Called with the number of new bytes past `reached`.
    pub(crate) on_bytes: &'a (dyn Fn(u64) + Send + Sync),
}

impl FileGet<'_> {
    /// Gets the file, retrying (and resuming) as the client's retry policy
    /// allows, and answers its size once it is in place.
    pub(crate) async fn run(self) -> Result<u64> {
        let partial_name = partial_path(self.path);
        let partial = PartialFile::open(&partial_name).await?;
        let url = Mutex::new(self.url.clone());
        let current = || url.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let finished = attempt::run(
            self.client.retry_policy(),
            RetryClass::FileGet,
            |n| tracing::debug_span!("scenario_file", id = %self.id, attempt = n),
            |attempt| {
                let this = &self;
                let partial = &partial;
                let url = &url;
                async move {
                    if attempt.refresh {
                        tracing::warn!(
                            "the file URL was refused (expired?); asking for a fresh one"
                        );
                        let fresh = (this.refresh)().await.map_err(AttemptError::Local)?;
                        *url.lock().unwrap_or_else(|e| e.into_inner()) = fresh;
                    }
                    let url = url.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    this.attempt(&url, partial).await
                }
            },
        )
        .await;
        let failed = |status: Option<StatusCode>, message: String| Error::Download {
            id: self.id.to_owned(),
            url: redact(&current()),
            status,
            message,
        };
        match finished.outcome {
            Ok(exchange) if exchange.status.is_success() => {}
            Ok(exchange) => {
                // CDNs and S3 answer XML errors; anything else is shown shortened.
                let detail = match XmlError::parse(&exchange.body) {
                    XmlError {
                        code: Some(code),
                        message: Some(message),
                    } => format!("{code}: {message}"),
                    XmlError {
                        code: Some(code), ..
                    } => code,
                    _ => body_snippet(&exchange.body),
                };
                let message = match exchange.status {
                    StatusCode::FORBIDDEN => format!(
                        "{detail}; the URL was refused even after a fresh one was asked for: \
                         check the machine's clock, or try again later"
                    ),
                    _ => detail,
                };
                return Err(failed(Some(exchange.status), message));
            }
            Err(AttemptError::Stalled) => {
                return Err(failed(
                    None,
                    format!(
                        "no byte arrived for {:?} ({} attempt(s)); what arrived is kept and the next \
                         download resumes from it",
                        self.stall_timeout, finished.attempts
                    ),
                ));
            }
            Err(AttemptError::Transport(err)) => {
                return Err(failed(
                    None,
                    format!(
                        "{} ({} attempt(s)); what arrived is kept and the next download resumes from it",
                        error_chain(&err),
                        finished.attempts
                    ),
                ));
            }
            Err(AttemptError::TooLarge(limit)) => return Err(Error::ResponseTooLarge { limit }),
            Err(AttemptError::Local(err) | AttemptError::StartOver(err)) => return Err(err),
        }
        let size = partial.len().await.map_err(|source| Error::FileWrite {
            path: partial_name.clone(),
            source,
        })?;
        if let Some(declared) = self.declared
            && size != declared
        {
            partial.discard().await;
            return Err(failed(
                None,
                format!(
                    "the file has {size} bytes where the asset's size is {declared}; nothing was kept"
                ),
            ));
        }
        partial.put_in_place(self.path).await?;
        Ok(size)
    }

    /// One `GET`, from where the partial file ends.
    async fn attempt(&self, url: &Url, partial: &PartialFile) -> attempt::Outcome {
        let local = |source| {
            AttemptError::Local(Error::FileWrite {
                path: partial.path.clone(),
                source,
            })
        };
        let mut offset = partial.len().await.map_err(local)?;
        let known = if offset > 0 {
            Version::load(&partial.path).await
        } else {
            None
        };
        if offset > 0 && known.is_none() {
            // Bytes of an unknown version: appending could stitch two versions.
            tracing::debug!("the partial file's version is not known; starting it over");
            offset = 0;
            partial.empty().await.map_err(local)?;
        }
        let mut request = self
            .client
            .files_http()
            .get(url.clone())
            .header(USER_AGENT, self.client.user_agent().clone());
        if let (true, Some(version)) = (offset > 0, &known) {
            request = request
                .header(RANGE, format!("bytes={offset}-"))
                .header(IF_RANGE, version.if_range.as_str());
        }
        let mut response = match within(self.stall_timeout, request.send()).await {
            None => return Err(AttemptError::Stalled),
            Some(Err(err)) => return Err(AttemptError::Transport(err.without_url())),
            Some(Ok(response)) => response,
        };
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let range = headers
            .get(CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(content_range);
        let append = match status {
            StatusCode::PARTIAL_CONTENT => {
                let same = |total| {
                    let now = Version::of(&headers, total);
                    known
                        .as_ref()
                        .zip(now.as_ref())
                        .is_some_and(|(a, b)| a.same_as(b))
                };
                match range {
                    // The rest of the same version, as asked for.
                    Some(ContentRange::Bytes {
                        start,
                        end,
                        total: Some(total),
                    }) if offset > 0
                        && start == offset
                        && end.checked_add(1) == Some(total)
                        && same(Some(total)) =>
                    {
                        true
                    }
                    // The whole file, though it was asked for whole.
                    Some(ContentRange::Bytes {
                        start: 0,
                        end,
                        total: Some(total),
                    }) if offset == 0 && end.checked_add(1) == Some(total) => false,
                    // Not the bytes asked for, or of another version of
                    // the file: start over from the whole file.
                    _ => {
                        return Err(self.start_over(partial, url).await);
                    }
                }
            }
            StatusCode::RANGE_NOT_SATISFIABLE if offset > 0 => {
                if range == Some(ContentRange::Unsatisfied { total: offset }) {
                    // The partial file is the whole file.
                    return Ok(Exchange {
                        status,
                        headers,
                        body: Bytes::new(),
                    });
                }
                return Err(self.start_over(partial, url).await);
            }
            status if status.is_success() => false,
            _ => {
                let body = error_body(response, self.stall_timeout).await;
                return Ok(Exchange {
                    status,
                    headers,
                    body,
                });
            }
        };
        let expected = match (status, range) {
            (StatusCode::PARTIAL_CONTENT, Some(ContentRange::Bytes { total, .. })) => total,
            _ => response.content_length(),
        };
        if let (Some(declared), Some(expected)) = (self.declared, expected)
            && declared != expected
        {
            // Refused before a byte is read: this is not the asset's file.
            partial.discard().await;
            return Err(AttemptError::Local(Error::Download {
                id: self.id.to_owned(),
                url: String::new(),
                status: Some(status),
                message: format!(
                    "the server announced a file of {expected} bytes where the asset's size is \
                     {declared}; nothing was kept"
                ),
            }));
        }
        if !append {
            // The whole file from byte 0. What the partial file held goes
            // first, then its version is recorded: a run stopped in between
            // never leaves old bytes under a new version.
            partial.empty().await.map_err(local)?;
            match Version::of(&headers, expected) {
                Some(version) => version.save(&partial.path).await.map_err(local)?,
                None => forget(&version_path(&partial.path)).await,
            }
            offset = 0;
        }
        return self
            .receive(response, partial, offset, expected)
            .await
            .map(|()| Exchange {
                status,
                headers,
                body: Bytes::new(),
            });
    }

    /// The end of an attempt whose answer was other bytes than asked for:
    /// what the partial file held is dropped, so the next attempt asks for the
    /// whole file (a retry, within the client's retry budget).
    async fn start_over(&self, partial: &PartialFile, url: &Url) -> AttemptError {
        partial.discard().await;
        AttemptError::StartOver(Error::Download {
            id: self.id.to_owned(),
            url: redact(url),
            status: None,
            message: "the server answered a range other than the one asked for; what was kept \
                      is dropped, and the next download fetches the whole file"
                .into(),
        })
    }

    /// Streams the body into the partial file after its first `offset`
    /// bytes, keeping what arrived when the transfer breaks.
    async fn receive(
        &self,
        mut response: reqwest::Response,
        partial: &PartialFile,
        offset: u64,
        expected: Option<u64>,
    ) -> std::result::Result<(), AttemptError> {
        let local = |source| {
            AttemptError::Local(Error::FileWrite {
                path: partial.path.clone(),
                source,
            })
        };
        let mut writer = partial.writer(offset).await.map_err(local)?;
        let mut on_disk = offset;
        let outcome = loop {
            match within(self.stall_timeout, response.chunk()).await {
                None => break Err(AttemptError::Stalled),
                Some(Err(err)) => break Err(AttemptError::Transport(err.without_url())),
                Some(Ok(None)) => break Ok(()),
                Some(Ok(Some(chunk))) => {
                    on_disk += chunk.len() as u64;
                    if let Some(declared) = self.declared
                        && on_disk > declared
                    {
                        // Stop reading at once: the body is not the asset's file.
                        drop(writer);
                        partial.discard().await;
                        return Err(AttemptError::Local(Error::Download {
                            id: self.id.to_owned(),
                            url: String::new(),
                            status: None,
                            message: format!(
                                "the server sent more than the {declared} bytes of the asset's size; \
                                 nothing was kept"
                            ),
                        }));
                    }
                    if let Err(source) = writer.push(chunk).await {
                        return Err(local(source));
                    }
                    let before = self.reached.fetch_max(on_disk, Ordering::AcqRel);
                    if on_disk > before {
                        (self.on_bytes)(on_disk - before);
                    }
                }
            }
        };
        // What arrived stays on disk for the next attempt, even after a failure.
        writer.finish().await.map_err(local)?;
        outcome?;
        match expected {
            Some(expected) if expected != on_disk => {
                // Other than announced: the file cannot be trusted; start over next time.
                partial.discard().await;
                Err(AttemptError::Local(Error::Download {
                    id: self.id.to_owned(),
                    url: String::new(),
                    status: None,
                    message: format!(
                        "the server announced {expected} bytes and sent {on_disk}; nothing was kept"
                    ),
                }))
            }
            _ => Ok(()),
        }
    }
}

/// A `Content-Range` header of a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ContentRange {
    /// `bytes start-end/total` (total may be `*`).
    Bytes {
        start: u64,
        end: u64,
        total: Option<u64>,
    },
    /// `bytes */total`, with a 416.
    Unsatisfied { total: u64 },
}

fn content_range(value: &str) -> Option<ContentRange> {
    let spec = value.trim().strip_prefix("bytes ")?;
    let (range, total) = spec.split_once('/')?;
    if range.trim() == "*" {
        return Some(ContentRange::Unsatisfied {
            total: total.trim().parse().ok()?,
        });
    }
    let (start, end) = range.split_once('-')?;
    let (start, end) = (start.trim().parse().ok()?, end.trim().parse().ok()?);
    if end < start {
        return None;
    }
    Some(ContentRange::Bytes {
        start,
        end,
        total: total.trim().parse().ok(),
    })
}

/// `future`, unless it takes longer than `limit` (then `None`).
async fn within<F: Future>(limit: Duration, future: F) -> Option<F::Output> {
    tokio::time::timeout(limit, future).await.ok()
}

/// The start of an error body, for the message.
async fn error_body(mut response: reqwest::Response, limit: Duration) -> Bytes {
    let mut body = BytesMut::new();
    while body.len() < ERROR_BODY_LIMIT {
        match within(limit, response.chunk()).await {
            Some(Ok(Some(chunk))) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(ERROR_BODY_LIMIT);
    body.freeze()
}

/// The size of the file at `path`, if there is one: not a directory, and not
/// a symbolic link (whatever it points to is not the user's file to trust).
pub(crate) async fn file_len_now(path: &Path) -> Option<u64> {
    tokio::fs::symlink_metadata(path)
        .await
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map(|meta| meta.len())
}

/// Options that open a file for writing without following a symbolic link
/// at its name (the open fails instead), and without waiting on a FIFO, where
/// the system has the flags.
fn no_follow_write() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
        options.custom_flags(flags.bits().cast_signed());
    }
    options
}

/// Whether `meta` is a plain file that no other name shares: the only kind of
/// file at the partial name that is ours to write, empty or append to.
fn ours(meta: &std::fs::Metadata) -> bool {
    if !meta.file_type().is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        meta.nlink() == 1
    }
    #[cfg(not(unix))]
    true
}

/// The partial file of one download, open and locked while the download runs.
struct PartialFile {
    path: PathBuf,
    file: Arc<std::fs::File>,
}

impl PartialFile {
    /// Opens (creating) the partial file at `path` and takes its lock.
    ///
    /// Whatever stands at the name that is not a plain file of ours (a
    /// symbolic link, a hard link shared with a file elsewhere, a FIFO, a
    /// directory) is unlinked first: writing through it would write outside
    /// the directory, or block. A lock held by another download of the same
    /// file is [`Error::Locked`].
    async fn open(path: &Path) -> Result<Self> {
        let owned = path.to_owned();
        let opened = tokio::task::spawn_blocking(move || Self::open_now(&owned))
            .await
            .map_err(std::io::Error::other)
            .and_then(|opened| opened);
        let file = match opened {
            Ok(file) => file,
            Err(source) => {
                return Err(Error::FileWrite {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        match file.try_lock() {
            Ok(()) => Ok(Self {
                path: path.to_owned(),
                file: Arc::new(file),
            }),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::Locked {
                path: path.to_owned(),
                holder: "another download of the same file".into(),
            }),
            Err(std::fs::TryLockError::Error(source)) => Err(Error::FileWrite {
                path: path.to_owned(),
                source,
            }),
        }
    }

    fn open_now(path: &Path) -> std::io::Result<std::fs::File> {
        let unlink = |what: &str| {
            tracing::warn!(path = %path.display(), "{what} stood where the partial file goes; removed it");
            match std::fs::remove_file(path) {
                Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                    // A directory, say: removing it is not ours to do.
                    Err(err)
                }
                _ => Ok(()),
            }
        };
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => unlink("a symbolic link")?,
            Ok(meta) if !ours(&meta) => unlink("a file that is not a plain file of its own")?,
            _ => {}
        }
        let file = no_follow_write().read(true).create(true).open(path)?;
        // Checked again on what was opened: the name may have changed since.
        if ours(&file.metadata()?) {
            return Ok(file);
        }
        drop(file);
        unlink("a file that is not a plain file of its own")?;
        no_follow_write().read(true).create_new(true).open(path)
    }

    async fn len(&self) -> std::io::Result<u64> {
        let file = self.file.clone();
        tokio::task::spawn_blocking(move || file.metadata().map(|meta| meta.len()))
            .await
            .map_err(std::io::Error::other)?
    }

    /// Empties the file (ours alone: emptying it harms no other name).
    async fn empty(&self) -> std::io::Result<()> {
        let file = self.file.clone();
        tokio::task::spawn_blocking(move || file.set_len(0))
            .await
            .map_err(std::io::Error::other)?
    }

    /// Empties the file and forgets its version: what it held is worthless.
    async fn discard(&self) {
        if let Err(err) = self.empty().await {
            tracing::debug!(path = %self.path.display(), error = %err, "cannot empty");
        }
        forget(&version_path(&self.path)).await;
    }

    /// A writer of the bytes after the first `offset` (what is past them goes).
    async fn writer(&self, offset: u64) -> std::io::Result<BlockWriter> {
        let file = self.file.clone();
        tokio::task::spawn_blocking(move || {
            file.set_len(offset)?;
            (&*file).seek(std::io::SeekFrom::Start(offset))
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(BlockWriter {
            file: Some(self.file.clone()),
            buffer: BytesMut::with_capacity(WRITE_BLOCK),
        })
    }

    /// Renames the whole file to `path`, still holding its lock (so no other
    /// download writes it in between). The version is forgotten first: a run
    /// stopped in between starts the file over rather than leaving a stray
    /// record beside it.
    async fn put_in_place(self, path: &Path) -> Result<()> {
        forget(&version_path(&self.path)).await;
        tokio::fs::rename(&self.path, path)
            .await
            .map_err(|source| Error::FileWrite {
                path: path.to_owned(),
                source,
            })
    }
}

/// Writes a file in blocks of [`WRITE_BLOCK`] bytes on the blocking pool.
struct BlockWriter {
    file: Option<Arc<std::fs::File>>,
    buffer: BytesMut,
}

impl BlockWriter {
    async fn push(&mut self, chunk: Bytes) -> std::io::Result<()> {
        self.buffer.extend_from_slice(&chunk);
        if self.buffer.len() >= WRITE_BLOCK {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let Some(file) = self.file.take() else {
            return Err(std::io::Error::other("an earlier write failed"));
        };
        let block = self.buffer.split().freeze();
        let file = tokio::task::spawn_blocking(move || (&*file).write_all(&block).map(|()| file))
            .await
            .map_err(std::io::Error::other)??;
        self.file = Some(file);
        Ok(())
    }

    async fn finish(mut self) -> std::io::Result<()> {
        self.flush().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_are_read() {
        assert_eq!(
            content_range("bytes 100-199/200"),
            Some(ContentRange::Bytes {
                start: 100,
                end: 199,
                total: Some(200)
            })
        );
        assert_eq!(
            content_range("bytes 0-9/*"),
            Some(ContentRange::Bytes {
                start: 0,
                end: 9,
                total: None
            })
        );
        assert_eq!(
            content_range("bytes */200"),
            Some(ContentRange::Unsatisfied { total: 200 })
        );
        assert_eq!(content_range("items 0-9/10"), None);
        assert_eq!(content_range("bytes 9-0/10"), None);
    }

    #[test]
    fn the_partial_file_sits_beside_the_file() {
        assert_eq!(
            partial_path(Path::new("/tmp/out/asset_1.png")),
            Path::new("/tmp/out/asset_1.png.part")
        );
    }
}
