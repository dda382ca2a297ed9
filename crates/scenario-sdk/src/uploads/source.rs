//! Where an upload's bytes come from (a file, bytes in memory or a reader),
//! and how each part's bytes are read from it.

use std::fmt;
use std::io::{self, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::{self, BoxStream};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use crate::error::{Error, Result};

/// The size of the chunks a part is streamed in: large enough to keep system
/// calls few, small enough that `concurrency` parts in flight cost little memory.
const CHUNK: usize = 64 * 1024;

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

/// A file as it was when the upload started, to notice if it changes.
#[derive(Debug)]
pub(crate) struct FileSnapshot {
    pub(crate) path: PathBuf,
    len: u64,
    modified: Option<SystemTime>,
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
        // Opening now reports a permission problem before the upload exists.
        tokio::fs::File::open(&path)
            .await
            .map_err(|e| Error::io(&path, e))?;
        if metadata.len() == 0 {
            return Err(Error::InvalidInput(format!(
                "{} is empty: the service needs at least one byte",
                path.display()
            )));
        }
        Ok(Self {
            path,
            len: metadata.len(),
            modified: metadata.modified().ok(),
        })
    }

    fn changed(&self, message: String) -> Error {
        Error::io(&self.path, io::Error::other(message))
    }
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
        let OpenSource::File(file) = self else {
            return Ok(());
        };
        let metadata = tokio::fs::metadata(&file.path)
            .await
            .map_err(|e| Error::io(&file.path, e))?;
        if metadata.len() != file.len {
            return Err(file.changed(format!(
                "the file changed size during the upload ({} bytes at the start, {} now); \
                 the upload was not completed",
                file.len,
                metadata.len()
            )));
        }
        if let (Some(before), Ok(now)) = (file.modified, metadata.modified())
            && before != now
        {
            return Err(file.changed(
                "the file was modified during the upload; the upload was not completed".into(),
            ));
        }
        Ok(())
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
                let path = &file.path;
                let mut handle = tokio::fs::File::open(path)
                    .await
                    .map_err(|e| Error::io(path, e))?;
                handle
                    .seek(SeekFrom::Start(*offset))
                    .await
                    .map_err(|e| Error::io(path, e))?;
                Ok(ReaderStream::with_capacity(handle.take(*len), CHUNK).boxed())
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
                "the file is shorter than the {} bytes it had when the upload started \
                 (the part at offset {offset} ended after {got} of its {len} bytes); \
                 the upload was not completed",
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
