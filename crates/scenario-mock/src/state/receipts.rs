//! Receipts: what the storage received for an upload, as tests see it.

use bytes::Bytes;
use scenario_api::types::UploadStatus;
use sha2::{Digest, Sha256};

/// What the storage received for one part.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PartReceipt {
    /// The part number, from 1.
    pub number: u32,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its bytes, lowercase hex (also its `ETag`, in quotes);
    /// empty when the server was built with `part_digests(false)`.
    pub sha256: String,
    /// How many times the part was PUT successfully (a later PUT replaces the
    /// earlier bytes, as on S3).
    pub puts: u32,
}

/// What an upload received, for assertions.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct UploadReceipt {
    /// The upload's id.
    pub upload_id: String,
    /// Its status now.
    pub status: UploadStatus,
    /// The `fileSize` it was created with (multipart uploads only).
    pub file_size: Option<u64>,
    /// The number of parts it was created with (multipart uploads only).
    pub parts_count: Option<u32>,
    /// The parts received so far, by number.
    pub parts: Vec<PartReceipt>,
    /// The bytes received, all parts added up.
    pub total_bytes: u64,
    pub(crate) bytes: Option<Bytes>,
    pub(crate) sha256: Option<String>,
}

impl UploadReceipt {
    /// The whole file, when every part has arrived and the upload's `fileSize` is
    /// within the retain limit (`MockServerBuilder::retain_limit`, 64 MiB by
    /// default); larger uploads keep only per-part sizes and digests.
    pub fn bytes(&self) -> Option<&[u8]> {
        self.bytes.as_deref()
    }

    /// The SHA-256 of the whole file (lowercase hex), under the same conditions as
    /// [`UploadReceipt::bytes`].
    pub fn sha256(&self) -> Option<&str> {
        self.sha256.as_deref()
    }

    /// The part with this number, if it arrived.
    pub fn part(&self, number: u32) -> Option<&PartReceipt> {
        self.parts.iter().find(|p| p.number == number)
    }

    /// Whether every part from 1 to `parts_count` has arrived.
    pub fn has_all_parts(&self) -> bool {
        self.parts_count.is_some_and(|count| {
            usize::try_from(count).is_ok_and(|count| count == self.parts.len())
        })
    }
}

impl UploadReceipt {
    /// The receipt with the whole file, put together from its parts' chunks.
    pub(crate) fn with_file(mut self, chunks: &[Bytes]) -> Self {
        let mut file = Vec::with_capacity(usize::try_from(self.total_bytes).unwrap_or(0));
        for chunk in chunks {
            file.extend_from_slice(chunk);
        }
        self.sha256 = Some(format!("{:x}", Sha256::digest(&file)));
        self.bytes = Some(Bytes::from(file));
        self
    }
}
