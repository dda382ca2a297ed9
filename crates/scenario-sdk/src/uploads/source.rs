//! Where an upload's bytes come from (a file, bytes in memory or a reader),
//! and how each part's bytes are read from it.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::{self, BoxStream};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::error::{Error, Result};

/// The size of the chunks a part is streamed in. Each file chunk is one
/// blocking-pool round trip: 64 KiB chunks cost about 16 000 of them per GiB,
/// which the bench showed as most of the SDK's CPU; 1 MiB keeps them few while
/// `concurrency` parts in flight still hold only a few MiB.
const CHUNK: usize = 1024 * 1024;

/// The content of an upload, as the caller gave it.
pub(crate) enum Source {
    File(PathBuf),
    Bytes(Bytes),
    Reader {
        reader: Box<dyn AsyncRead + Send + Unpin>,
        len: u64,
    },
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(path) => f.debug_tuple("File").field(path).finish(),
            Source::Bytes(bytes) => write!(f, "Bytes({} bytes)", bytes.len()),
            Source::Reader { len, .. } => write!(f, "Reader({len} bytes)"),
        }
    }
}

impl Source {
    /// The name a file source suggests for the upload.
    pub(crate) fn file_name(&self) -> Option<String> {
        match self {
            Source::File(path) => path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned()),
            _ => None,
        }
    }

    /// Checks that the content can be read and measures it; a file that is
    /// missing, a directory, not a regular file or empty fails here, before
    /// anything is created on the server.
    pub(crate) async fn open(self) -> Result<OpenSource> {
        match self {
            Source::File(path) => Ok(OpenSource::File(Arc::new(FileSnapshot::take(path).await?))),
            Source::Bytes(bytes) => Ok(OpenSource::Bytes(bytes)),
            Source::Reader { reader, len } => Ok(OpenSource::Reader { reader, len }),
        }
    }
}

/// A file as it was when the upload started, open once: every part is read
/// from this one handle at its offset, so a file renamed over the path cannot
/// lend some parts its bytes, and what identifies the file's content (size,
/// times, identity) is compared before the upload is completed.
#[derive(Debug)]
pub(crate) struct FileSnapshot {
    pub(crate) path: PathBuf,
    handle: Arc<std::fs::File>,
    len: u64,
    stamp: Stamp,
}

/// What changes when a file's content does. The modification time can be set
/// back by anyone; the inode change time (unix) cannot, and the device and
/// inode numbers tell a file renamed over the path from the one opened.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    changed: (i64, i64),
    #[cfg(unix)]
    identity: (u64, u64),
}

impl Stamp {
    fn of(metadata: &std::fs::Metadata) -> Self {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt as _;
        Self {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            #[cfg(unix)]
            changed: (metadata.ctime(), metadata.ctime_nsec()),
            #[cfg(unix)]
            identity: (metadata.dev(), metadata.ino()),
        }
    }
}

impl FileSnapshot {
    async fn take(path: PathBuf) -> Result<Self> {
        let metadata = tokio::fs::metadata(&path)
            .await
            .map_err(|e| Error::io(&path, e))?;
        if metadata.is_dir() {
            return Err(Error::InvalidInput(format!(
                "{} is a directory; upload the files in it one by one",
                path.display()
            )));
        }
        if !metadata.is_file() {
            return Err(Error::InvalidInput(format!(
                "{} is not a regular file (a pipe or a device?); its size cannot be known \
                 in advance, so read it with upload_reader and give its length",
                path.display()
            )));
        }
        // Opening now also reports a permission problem before the upload exists.
        let handle = tokio::fs::File::open(&path)
            .await
            .map_err(|e| Error::io(&path, e))?
            .into_std()
            .await;
        // The handle's own metadata: the path may already name another file.
        let metadata = handle.metadata().map_err(|e| Error::io(&path, e))?;
        if metadata.len() == 0 {
            return Err(Error::InvalidInput(format!(
                "{} is empty: the service needs at least one byte",
                path.display()
            )));
        }
        Ok(Self {
            path,
            handle: Arc::new(handle),
            len: metadata.len(),
            stamp: Stamp::of(&metadata),
        })
    }

    fn changed(&self, message: String) -> Error {
        Error::io(&self.path, io::Error::other(message))
    }

    /// Fails if the open file, or the file the path names now, differs from
    /// the one the upload started with.
    async fn verify(self: &Arc<Self>) -> Result<()> {
        let this = self.clone();
        let (open, named) = tokio::task::spawn_blocking(move || {
            (this.handle.metadata(), std::fs::metadata(&this.path))
        })
        .await
        .map_err(|e| self.changed(format!("cannot check the file: {e}")))?;
        let open = Stamp::of(&open.map_err(|e| Error::io(&self.path, e))?);
        let named = Stamp::of(&named.map_err(|e| Error::io(&self.path, e))?);
        for now in [&open, &named] {
            if now.len != self.stamp.len {
                return Err(self.changed(format!(
                    "the file changed during the upload: it changed size ({} bytes at the \
                     start, {} now); nothing was completed",
                    self.stamp.len, now.len
                )));
            }
        }
        if open != self.stamp || named != self.stamp {
            return Err(self.changed(
                "the file changed during the upload (it was written to, or another file \
                 took its place); nothing was completed"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// Reads up to `len` bytes at `offset` without moving a shared file position,
/// so parts read at once from one handle do not disturb each other.
fn read_at(file: &std::fs::File, offset: u64, len: usize) -> io::Result<Bytes> {
    let mut buffer = vec![0u8; len];
    #[cfg(unix)]
    let read = std::os::unix::fs::FileExt::read_at(file, &mut buffer, offset)?;
    #[cfg(windows)]
    let read = std::os::windows::fs::FileExt::seek_read(file, &mut buffer, offset)?;
    #[cfg(not(any(unix, windows)))]
    let read = {
        use std::io::{Read as _, Seek as _};
        // No positional reads here: a clone of the handle, seeked. Clones share
        // the position, so this is only safe because each call seeks first and
        // reads in one go under the lock.
        static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let mut clone = file.try_clone()?;
        clone.seek(std::io::SeekFrom::Start(offset))?;
        clone.read(&mut buffer)?
    };
    buffer.truncate(read);
    Ok(Bytes::from(buffer))
}

/// The content of an upload, measured and ready to be cut into parts.
pub(crate) enum OpenSource {
    File(Arc<FileSnapshot>),
    Bytes(Bytes),
    Reader {
        reader: Box<dyn AsyncRead + Send + Unpin>,
        len: u64,
    },
}

impl OpenSource {
    /// The size of the content.
    pub(crate) fn len(&self) -> u64 {
        match self {
            OpenSource::File(file) => file.len,
            OpenSource::Bytes(bytes) => bytes.len() as u64,
            OpenSource::Reader { len, .. } => *len,
        }
    }

    /// The part of `len` bytes at `offset`. A reader is read here, so its parts
    /// must be asked for in order; a file part is only read when it is sent.
    pub(crate) async fn part(&mut self, offset: u64, len: u64) -> Result<PartData> {
        match self {
            OpenSource::File(file) => Ok(PartData::File {
                file: file.clone(),
                offset,
                len,
            }),
            OpenSource::Bytes(bytes) => {
                let range = usize::try_from(offset)
                    .ok()
                    .zip(usize::try_from(offset + len).ok())
                    .filter(|(_, end)| *end <= bytes.len());
                let Some((start, end)) = range else {
                    return Err(Error::InvalidInput(format!(
                        "part at {offset}+{len} is outside the {} bytes",
                        bytes.len()
                    )));
                };
                Ok(PartData::Memory(bytes.slice(start..end)))
            }
            OpenSource::Reader { reader, len: total } => {
                let capacity = usize::try_from(len).map_err(|_| {
                    Error::InvalidInput(format!(
                        "a part of {len} bytes does not fit in memory on this platform; \
                         choose a smaller part_size"
                    ))
                })?;
                let mut buffer = Vec::with_capacity(capacity);
                let read = (&mut *reader)
                    .take(len)
                    .read_to_end(&mut buffer)
                    .await
                    .map_err(|source| Error::Io { path: None, source })?;
                if (read as u64) < len {
                    let ended_at = offset + read as u64;
                    return Err(Error::Io {
                        path: None,
                        source: io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!(
                                "the reader ended after {ended_at} bytes, but {total} were \
                                 announced; the upload was not completed"
                            ),
                        ),
                    });
                }
                Ok(PartData::Memory(Bytes::from(buffer)))
            }
        }
    }

    /// Fails if the file changed since the upload started: completing would
    /// hand the service a mix of old and new content. (`&mut` because a reader
    /// is not `Sync`, and the upload's future must stay `Send`.)
    pub(crate) async fn verify_unchanged(&mut self) -> Result<()> {
        match self {
            OpenSource::File(file) => file.verify().await,
            _ => Ok(()),
        }
    }
}

/// The bytes of one part. Each attempt to send it reads them afresh, so a
/// retried file part is read from disk again instead of being kept in memory.
#[derive(Debug)]
pub(crate) enum PartData {
    File {
        file: Arc<FileSnapshot>,
        offset: u64,
        len: u64,
    },
    Memory(Bytes),
}

impl PartData {
    pub(crate) fn len(&self) -> u64 {
        match self {
            PartData::File { len, .. } => *len,
            PartData::Memory(bytes) => bytes.len() as u64,
        }
    }

    /// The part's bytes, in chunks.
    pub(crate) async fn stream(&self) -> Result<BoxStream<'static, io::Result<Bytes>>> {
        match self {
            PartData::File { file, offset, len } => {
                let file = file.clone();
                let end = offset + len;
                let chunks = stream::try_unfold(*offset, move |at| {
                    let file = file.clone();
                    async move {
                        if at >= end {
                            return Ok(None);
                        }
                        let want = usize::try_from((end - at).min(CHUNK as u64)).unwrap_or(CHUNK);
                        let handle = file.handle.clone();
                        let chunk = tokio::task::spawn_blocking(move || read_at(&handle, at, want))
                            .await
                            .map_err(io::Error::other)??;
                        // An empty read is the end of the file: the part is short,
                        // which the body's length check reports.
                        if chunk.is_empty() {
                            return Ok(None);
                        }
                        let next = at + chunk.len() as u64;
                        Ok(Some((chunk, next)))
                    }
                });
                Ok(chunks.boxed())
            }
            PartData::Memory(bytes) => {
                let bytes = bytes.clone();
                let chunks = (0..bytes.len())
                    .step_by(CHUNK)
                    .map(move |start| Ok(bytes.slice(start..bytes.len().min(start + CHUNK))));
                Ok(stream::iter(chunks).boxed())
            }
        }
    }

    /// The error for a part whose source gave `got` bytes instead of its length.
    pub(crate) fn short_read(&self, got: u64) -> Error {
        match self {
            PartData::File { file, offset, len } => file.changed(format!(
                "the file changed during the upload: it is shorter than the {} bytes it \
                 had at the start (the part at offset {offset} ended after {got} of its \
                 {len} bytes); nothing was completed",
                file.len
            )),
            PartData::Memory(bytes) => Error::Io {
                path: None,
                source: io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("a part of {} bytes yielded {got}", bytes.len()),
                ),
            },
        }
    }

    /// The error for a read that failed while the part was being sent.
    pub(crate) fn read_failed(&self, source: io::Error) -> Error {
        match self {
            PartData::File { file, .. } => Error::io(&file.path, source),
            PartData::Memory(_) => Error::Io { path: None, source },
        }
    }
}
