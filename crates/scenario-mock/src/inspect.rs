//! What tests can look at: the requests the server answered, and what each upload
//! received.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;
use scenario_api::types::UploadStatus;

use crate::faults::{Fault, Route};

/// How many requests [`crate::MockServer::requests`] keeps (the oldest go first);
/// [`crate::MockServer::request_count`] counts every request regardless.
pub const REQUEST_LOG_LIMIT: usize = 100_000;

/// Which of the two listeners a request went to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// The API (`base_url()`).
    Api,
    /// The storage standing in for S3 presigned URLs (`storage_url()`).
    Storage,
}

/// A request the server answered (or dropped).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The listener that received it.
    pub target: Target,
    /// Its route, when it has one of the modelled routes.
    pub route: Option<Route>,
    /// `GET`, `PUT`, ...
    pub method: String,
    /// The path, e.g. `/v1/assets`.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The status answered; `None` when the connection was dropped by a fault.
    pub status: Option<u16>,
    /// Whether the request carried an `Authorization` header.
    pub authorization: bool,
    /// The id the server gave the request (`req_<n>`), sent back in `x-request-id`
    /// (API) or `x-amz-request-id` (storage).
    pub request_id: String,
    /// The fault injected into the request, if any.
    pub fault: Option<Fault>,
}

/// The request log: the last [`REQUEST_LOG_LIMIT`] requests and exact counts.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    recent: VecDeque<RecordedRequest>,
    counts: HashMap<(Target, Option<Route>), usize>,
}

impl RequestLog {
    pub(crate) fn record(&mut self, request: RecordedRequest) {
        *self
            .counts
            .entry((request.target, request.route))
            .or_default() += 1;
        if self.recent.len() == REQUEST_LOG_LIMIT {
            self.recent.pop_front();
        }
        self.recent.push_back(request);
    }

    pub(crate) fn all(&self) -> Vec<RecordedRequest> {
        self.recent.iter().cloned().collect()
    }

    pub(crate) fn count(&self, route: Route) -> usize {
        self.counts
            .iter()
            .filter(|((target, recorded), _)| route.covers(*target, *recorded))
            .map(|(_, n)| n)
            .sum()
    }
}

/// What the storage received for one part.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PartReceipt {
    /// The part number, from 1.
    pub number: u32,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its bytes, lowercase hex (also its `ETag`, in quotes).
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
