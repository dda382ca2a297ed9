//! Where an upload's bytes come from (a file, bytes in memory or a reader),
//! and how each part's bytes are read from it.

use std::fmt;
use std::future::Future as _;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::SystemTime;

use bytes::Bytes;
use futures::stream::{self, BoxStream};
use futures::{Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::error::{Error, Result};

/// The size of the chunks a part is streamed in: as large as one write the
/// connection makes anyway, so reading a cached chunk in place costs the task
/// no longer than sending it does; `concurrency` parts in flight hold a few MiB.
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
    buffers: Arc<BufferPool>,
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
            buffers: Arc::default(),
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

/// Reads into `buffer` at `offset` without moving a shared file position, so
/// parts read at once from one handle do not disturb each other.
fn read_at(file: &std::fs::File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    #[cfg(unix)]
    return std::os::unix::fs::FileExt::read_at(file, buffer, offset);
    #[cfg(windows)]
    return std::os::windows::fs::FileExt::seek_read(file, buffer, offset);
    #[cfg(not(any(unix, windows)))]
    {
        use std::io::{Read as _, Seek as _};
        // No positional reads here: a clone of the handle, seeked. Clones share
        // the position, so this is only safe because each call seeks first and
        // reads in one go under the lock.
        static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let mut clone = file.try_clone()?;
        clone.seek(std::io::SeekFrom::Start(offset))?;
        clone.read(buffer)
    }
}

/// A file part's bytes, chunk by chunk. A chunk the page cache holds is read
/// in place (on Linux): handing every chunk to a blocking thread and back cost
/// more CPU than reading it, and the read is a copy no longer than the write
/// the connection makes of it next. Anything else, a chunk that would wait
/// for the disk first of all, is read on the blocking pool.
struct FileChunks {
    file: Arc<FileSnapshot>,
    at: u64,
    end: u64,
    /// The chunk being read on the blocking pool, if one is.
    reading: Option<tokio::task::JoinHandle<(Vec<u8>, io::Result<usize>)>>,
    /// False once the file system has refused a read that must not wait.
    #[cfg(target_os = "linux")]
    cached_reads: bool,
}

impl FileChunks {
    /// The chunk that a read of `read` bytes into `buffer` makes. An empty
    /// read is the end of the file: the part is short, which the body's length
    /// check reports.
    fn chunk(&mut self, buffer: Vec<u8>, read: io::Result<usize>) -> Option<io::Result<Bytes>> {
        match read {
            Ok(0) => None,
            Ok(len) => {
                self.at += len as u64;
                Some(Ok(self.file.buffers.lend(buffer, len)))
            }
            Err(err) => Some(Err(err)),
        }
    }

    /// Reads the next chunk from the page cache, if it is all there: `None`
    /// when the read would have to wait (or cannot be made without waiting).
    #[cfg(target_os = "linux")]
    fn read_cached(&mut self, buffer: &mut [u8]) -> Option<io::Result<usize>> {
        use rustix::io::{Errno, ReadWriteFlags, preadv2};
        if !self.cached_reads {
            return None;
        }
        let at = self.at;
        let read = preadv2(
            &*self.file.handle,
            &mut [io::IoSliceMut::new(buffer)],
            at,
            ReadWriteFlags::NOWAIT,
        );
        match read {
            Ok(len) => Some(Ok(len)),
            // Not cached yet, or interrupted: the blocking pool reads it.
            Err(Errno::AGAIN | Errno::INTR) => None,
            // The file system (or the kernel, before 4.14) cannot promise not
            // to wait; the blocking pool reads this part from here on, and
            // reports the error if it was a real one.
            Err(_) => {
                self.cached_reads = false;
                None
            }
        }
    }
}

impl Stream for FileChunks {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.reading.is_none() {
            if this.at >= this.end {
                return Poll::Ready(None);
            }
            let want = usize::try_from(this.end - this.at).map_or(CHUNK, |left| left.min(CHUNK));
            #[cfg_attr(not(target_os = "linux"), allow(unused_mut))]
            let mut buffer = this.file.buffers.take();
            #[cfg(target_os = "linux")]
            if let Some(read) = this.read_cached(&mut buffer[..want]) {
                return Poll::Ready(this.chunk(buffer, read));
            }
            let (handle, at) = (this.file.handle.clone(), this.at);
            this.reading = Some(tokio::task::spawn_blocking(move || {
                let read = read_at(&handle, &mut buffer[..want], at);
                (buffer, read)
            }));
        }
        let Some(reading) = this.reading.as_mut() else {
            return Poll::Ready(None);
        };
        let done = ready!(Pin::new(reading).poll(cx));
        this.reading = None;
        Poll::Ready(match done {
            Ok((buffer, read)) => this.chunk(buffer, read),
            Err(join) => Some(Err(io::Error::other(join))),
        })
    }
}

/// The chunk buffers of one upload, reused from chunk to chunk and part to
/// part: a fresh MiB for every chunk cost more in zeroing and page faults than
/// reading into it did. It never holds more buffers than were out at once (a
/// couple per part in flight: the one being sent and the next).
#[derive(Debug, Default)]
struct BufferPool {
    free: std::sync::Mutex<Vec<Vec<u8>>>,
}

impl BufferPool {
    fn take(&self) -> Vec<u8> {
        let reused = self.free.lock().unwrap_or_else(|e| e.into_inner()).pop();
        reused.unwrap_or_else(|| vec![0; CHUNK])
    }

    /// The first `len` bytes of `buffer` as a chunk that returns the buffer
    /// here when the connection is done with it.
    fn lend(self: &Arc<Self>, buffer: Vec<u8>, len: usize) -> Bytes {
        Bytes::from_owner(Lent {
            buffer,
            len,
            home: self.clone(),
        })
    }
}

/// A pooled buffer lent out as a chunk's bytes.
struct Lent {
    buffer: Vec<u8>,
    len: usize,
    home: Arc<BufferPool>,
}

impl AsRef<[u8]> for Lent {
    fn as_ref(&self) -> &[u8] {
        &self.buffer[..self.len]
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        let buffer = std::mem::take(&mut self.buffer);
        self.home
            .free
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(buffer);
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
            PartData::File { file, offset, len } => Ok(FileChunks {
                file: file.clone(),
                at: *offset,
                end: offset + len,
                reading: None,
                #[cfg(target_os = "linux")]
                cached_reads: true,
            }
            .boxed()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;

    /// A file of `len` bytes that are not a repeating pattern of any chunk size.
    async fn snapshot(len: usize) -> (tempfile::TempDir, Vec<u8>, Arc<FileSnapshot>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part.bin");
        let mut state = 0x9e37_79b9_u32;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect();
        std::fs::write(&path, &bytes).unwrap();
        let file = Arc::new(FileSnapshot::take(path).await.unwrap());
        (dir, bytes, file)
    }

    fn chunks(file: &Arc<FileSnapshot>, offset: u64, len: u64, cached: bool) -> FileChunks {
        let _ = cached;
        FileChunks {
            file: file.clone(),
            at: offset,
            end: offset + len,
            reading: None,
            #[cfg(target_os = "linux")]
            cached_reads: cached,
        }
    }

    #[tokio::test]
    async fn a_part_arrives_byte_exact_whether_read_in_place_or_on_the_blocking_pool() {
        let (_dir, bytes, file) = snapshot(3 * CHUNK + 12_345).await;
        // A part that starts and ends inside chunks, and the file's last part.
        for (offset, len) in [(777, 2 * CHUNK + 5), (CHUNK + 1, 2 * CHUNK + 12_344)] {
            for cached in [true, false] {
                let got: Vec<Bytes> = chunks(&file, offset as u64, len as u64, cached)
                    .try_collect()
                    .await
                    .unwrap();
                assert!(got.iter().all(|c| !c.is_empty() && c.len() <= CHUNK));
                assert_eq!(
                    got.concat(),
                    &bytes[offset..offset + len],
                    "cached {cached}"
                );
            }
        }
    }

    #[tokio::test]
    async fn a_part_past_the_end_of_a_shrunk_file_ends_early_instead_of_failing() {
        // The body counts what it got and reports the short part with the
        // file's path; the chunks only have to stop.
        let (_dir, bytes, file) = snapshot(CHUNK + 100).await;
        for cached in [true, false] {
            let got: Vec<Bytes> = chunks(&file, 50, 2 * CHUNK as u64, cached)
                .try_collect()
                .await
                .unwrap();
            assert_eq!(got.concat(), &bytes[50..], "cached {cached}");
        }
    }

    #[tokio::test]
    async fn chunk_buffers_are_reused_not_made_afresh() {
        let (_dir, _bytes, file) = snapshot(8 * CHUNK).await;
        for cached in [true, false] {
            let mut part = chunks(&file, 0, 8 * CHUNK as u64, cached);
            let mut addresses = std::collections::HashSet::new();
            // Sent one at a time, as a connection does: two buffers serve it all.
            while let Some(chunk) = part.try_next().await.unwrap() {
                addresses.insert(chunk.as_ptr() as usize);
            }
            assert!(addresses.len() <= 2, "{} buffers", addresses.len());
        }
        let free = file.buffers.free.lock().unwrap().len();
        assert!((1..=2).contains(&free), "{free} buffers kept");
    }
}
