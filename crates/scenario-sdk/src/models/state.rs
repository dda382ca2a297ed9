//! What [`super::Models::train_from_dir`] remembers between runs, in a small
//! JSON file beside the images.
//!
//! Why a file and not the service: nothing the service keeps ties an asset or a
//! model to the command that made it (no idempotency key on uploads or model
//! creation, and names are not unique), so "this image was uploaded by an
//! earlier run" can only be known by remembering it. The service is still the
//! authority on the model: a run reads the model the file names and goes on
//! from its status (trained, training, or to be trained).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use scenario_api::types::ModelType;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The name of the file [`super::Models::train_from_dir`] keeps its progress in,
/// in the directory of the images.
pub const STATE_FILE: &str = ".scenario-training.json";

/// The file a run holds locked while it goes, beside [`STATE_FILE`]. It is
/// left in place when the run ends: deleting it would let two runs each lock
/// a different file of the same name.
pub(crate) const LOCK_FILE: &str = ".scenario-training.lock";

/// The version of the file's layout; a file of another version is not read.
const VERSION: u32 = 1;

/// The progress of one training from a directory.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TrainState {
    pub(crate) version: u32,
    /// The model being trained, once created.
    pub(crate) model_id: Option<String>,
    /// The model type it was created with.
    pub(crate) model_type: Option<ModelType>,
    /// Each uploaded image, by file name.
    pub(crate) files: BTreeMap<String, FileRecord>,
    /// The assets already among the model's training images.
    pub(crate) added: BTreeSet<String>,
    /// Uploads about to be completed, by file name: recorded before the
    /// completion is asked for, so that a run stopped after it (a crash, a
    /// failed poll) finds the asset instead of uploading the file again.
    #[serde(default)]
    pub(crate) pending: BTreeMap<String, PendingUpload>,
}

/// An upload of an image file whose completion was asked for, and whose
/// asset was not recorded yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PendingUpload {
    pub(crate) size: u64,
    /// Modification time, in milliseconds since the Unix epoch.
    pub(crate) modified_ms: u64,
    pub(crate) upload_id: String,
}

/// An image file as it was when it was uploaded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FileRecord {
    pub(crate) size: u64,
    /// Modification time, in milliseconds since the Unix epoch.
    pub(crate) modified_ms: u64,
    pub(crate) asset_id: String,
}

/// An image file found in the directory.
#[derive(Clone, Debug)]
pub(crate) struct ImageFile {
    pub(crate) name: String,
    pub(crate) path: PathBuf,
    pub(crate) size: u64,
    pub(crate) modified_ms: u64,
}

impl ImageFile {
    /// Whether `record` was made from this file as it is now.
    pub(crate) fn matches(&self, record: &FileRecord) -> bool {
        record.size == self.size && record.modified_ms == self.modified_ms
    }

    /// The record of this file, as it is now, uploaded as `asset_id`.
    pub(crate) fn record(&self, asset_id: String) -> FileRecord {
        FileRecord {
            size: self.size,
            modified_ms: self.modified_ms,
            asset_id,
        }
    }

    /// Whether `pending` is an upload of this file as it is now.
    pub(crate) fn matches_pending(&self, pending: &PendingUpload) -> bool {
        pending.size == self.size && pending.modified_ms == self.modified_ms
    }
}

/// Where the state of `dir` lives.
pub(crate) fn state_path(dir: &Path) -> PathBuf {
    dir.join(STATE_FILE)
}

impl TrainState {
    /// The state of a run that starts from nothing.
    pub(crate) fn new() -> Self {
        Self {
            version: VERSION,
            ..Self::default()
        }
    }

    /// The state of an earlier run in `dir`, or a fresh one when there is none.
    pub(crate) async fn load(dir: &Path) -> Result<Self> {
        let path = state_path(dir);
        let bytes = match tokio::fs::read(&path).await {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::new());
            }
            Err(source) => {
                return Err(Error::Io {
                    path: Some(path),
                    source,
                });
            }
        };
        let unreadable = |why: String| {
            Error::InvalidInput(format!(
                "{} is not a training state this SDK can read ({why}); delete it, or start \
                 over with fresh(true) (--fresh)",
                path.display()
            ))
        };
        let state: Self = serde_json::from_slice(&bytes).map_err(|e| unreadable(e.to_string()))?;
        if state.version != VERSION {
            return Err(unreadable(format!("version {}", state.version)));
        }
        Ok(state)
    }

    /// Writes the state beside the images: to a temporary file renamed over the
    /// old one, so an interruption leaves the old state or the new, never half.
    pub(crate) async fn save(&self, dir: &Path) -> Result<()> {
        let path = state_path(dir);
        let temporary = dir.join(format!("{STATE_FILE}.tmp"));
        let bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::InvalidInput(format!("cannot encode the training state: {e}")))?;
        let write = async {
            tokio::fs::write(&temporary, &bytes).await?;
            tokio::fs::rename(&temporary, &path).await
        };
        write
            .await
            .map_err(|source| Error::FileWrite { path, source })
    }
}

/// The lock of one directory's training, held by a run from start to end so
/// that a second run in the same directory is refused at once (released by
/// the system when the process ends, however it ends).
#[derive(Debug)]
pub(crate) struct RunLock {
    _file: std::fs::File,
}

impl RunLock {
    /// Takes the lock of `dir`, or answers [`Error::Locked`] naming the run
    /// that holds it.
    pub(crate) async fn take(dir: &Path) -> Result<Self> {
        let path = dir.join(LOCK_FILE);
        tokio::task::spawn_blocking(move || Self::take_now(path))
            .await
            .map_err(|e| Error::Io {
                path: None,
                source: std::io::Error::other(e),
            })?
    }

    fn take_now(path: PathBuf) -> Result<Self> {
        use std::io::{Read as _, Write as _};
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| Error::FileWrite { path, source }
        };
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                // What the other run wrote of itself; a short, printable line.
                let _ = (&file).take(256).read_to_string(&mut holder);
                let holder: String = holder
                    .lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .filter(|c| !c.is_control())
                    .collect();
                let holder = if holder.trim().is_empty() {
                    "a run that has not said which yet".to_owned()
                } else {
                    holder
                };
                return Err(Error::Locked { path, holder });
            }
            Err(std::fs::TryLockError::Error(source)) => return Err(io(&path)(source)),
        }
        let since = httpdate::fmt_http_date(std::time::SystemTime::now());
        file.set_len(0).map_err(io(&path))?;
        writeln!(file, "process {} since {since}", std::process::id()).map_err(io(&path))?;
        Ok(Self { _file: file })
    }
}

/// The image files of `dir` (by their content type from the name), sorted by
/// name; hidden files are left out.
pub(crate) async fn image_files(dir: &Path) -> Result<Vec<ImageFile>> {
    let io = |source| Error::Io {
        path: Some(dir.to_path_buf()),
        source,
    };
    let mut entries = tokio::fs::read_dir(dir).await.map_err(io)?;
    let mut files = Vec::new();
    while let Some(entry) = entries.next_entry().await.map_err(io)? {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let is_image = mime_guess::from_path(&name)
            .first()
            .is_some_and(|mime| mime.type_() == mime_guess::mime::IMAGE);
        if !is_image {
            continue;
        }
        let path = entry.path();
        let meta = tokio::fs::metadata(&path)
            .await
            .map_err(|source| Error::Io {
                path: Some(path.clone()),
                source,
            })?;
        if !meta.is_file() {
            continue;
        }
        let modified_ms = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        files.push(ImageFile {
            name,
            path,
            size: meta.len(),
            modified_ms,
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}
