//! The Rust client of the [Scenario API](https://docs.scenario.com): generative
//! assets for games.
//!
//! - [`Client`]: configuration from the environment or a builder, credentials that
//!   never show in `Debug`, logs or errors, retries with backoff that honour
//!   `Retry-After`, one [`Error`] type with accessors.
//! - [`Client::assets`]: listings as an `impl Stream` of assets or of pages, with
//!   the next page fetched while you work on the current one.
//! - [`Client::jobs`], [`Client::generate`] and [`Client::workflows`]: model and
//!   workflow runs, and waiting for their jobs with progress, then fetching what
//!   they made in one request.
//! - [`Client::uploads`]: multipart uploads of files, bytes or readers (parallel
//!   parts streamed from disk, per-part retries, progress, waiting for the
//!   result) and imports from URLs, Hugging Face and Civitai.
//!
//! ```no_run
//! # async fn run() -> scenario_sdk::Result<()> {
//! use scenario_sdk::prelude::*;
//! use scenario_sdk::types::UploadKind;
//!
//! let client = Client::from_env()?; // SCENARIO_SDK_API_KEY, SCENARIO_SDK_API_SECRET
//! let mut assets = client.assets().list().page_size(100).stream();
//! while let Some(asset) = assets.try_next().await? {
//!     println!("{} {}", asset.id, asset.kind);
//! }
//! let upload = client.uploads().upload_file("hero.png", UploadKind::Image).wait(true).send().await?;
//! println!("asset {}", upload.entity_id.unwrap_or_default());
//! # Ok(()) }
//! ```
//!
//! Features: each area of the API beyond assets, uploads, downloads and jobs is a
//! Cargo feature named after it (`generate`, `models`, `collections`, `workflows`,
//! `search`, `recommendations`, `tags`, `usages`, `pricing`, `projects`, `teams`):
//! without it, its operations, the types only it uses and its helpers are not
//! compiled. The default is `generate` and `models`; `full` is every area.
//! `raw-client` adds `Client::raw()`, progenitor's client; `type-builders` a
//! builder per type.
//!
//! TLS: `rustls-graviola` (default) is rustls with Graviola's cryptography, which
//! needs no C compiler (x86_64 and aarch64); `rustls-ring`, `rustls-aws-lc-rs` and
//! `native-tls` are the alternatives. See [`install_tls_provider`] when your
//! program builds reqwest clients of its own.
//!
//! Tracing: every request runs in a `scenario_request` span (operation, attempt,
//! method, path) with events for the status, request id, duration and retries.

#![forbid(unsafe_code)]
// On docs.rs (nightly, `--cfg docsrs`): each item gated by a Cargo feature
// shows the feature's badge (`doc_cfg` took in `doc_auto_cfg`).
#![cfg_attr(docsrs, feature(doc_cfg))]
// A generated type is built with `..Default::default()` even where every
// field is set today: the document may add an optional field tomorrow, and
// this code must keep compiling untouched.
#![allow(clippy::needless_update)]
#![warn(missing_docs)]

mod assets;
mod attempt;
mod auth;
mod call;
mod client;
mod downloads;
mod error;
#[cfg(feature = "generate")]
mod generate;
mod handle;
mod http_text;
mod jobs;
#[cfg(feature = "models")]
mod models;
mod pagination;
mod poll;
pub mod prelude;
#[cfg(feature = "raw-client")]
mod raw_client;
mod request;
#[allow(missing_docs, unused_imports, reason = "generated code")]
#[rustfmt::skip]
mod request_setters;
mod retry;
#[cfg(any(feature = "generate", feature = "workflows"))]
mod runs;
#[cfg(feature = "teams")]
mod teams;
mod tls;
mod transport;
mod uploads;
#[cfg(feature = "workflows")]
mod workflows;

pub use assets::{Assets, ListAssets};
pub use auth::{ENV_CUSTOM_HEADERS, ENV_JWT};
pub use call::RawCall;
pub use client::{ClientBuilder, ENV_API_KEY, ENV_API_SECRET, ENV_BASE_URL};
pub use downloads::{
    Archive, ArchiveDownload, DEFAULT_DOWNLOAD_CONCURRENCY, DEFAULT_DOWNLOAD_STALL_TIMEOUT,
    DownloadProgress, DownloadReport, DownloadToDir, DownloadedFile, Downloads, FailedDownload,
};
pub use error::{BadItem, Error, ErrorKind, Limit, Result, Work};
#[cfg(feature = "generate")]
pub use generate::{CustomRun, Generate};
pub use handle::Client;
pub use jobs::{
    DEFAULT_JOB_INTERVAL, DEFAULT_JOB_MAX_INTERVAL, DEFAULT_JOB_TIMEOUT, Jobs, ListJobs, WaitForJob,
};
#[cfg(feature = "models")]
pub use models::{
    DEFAULT_TRAINING_INTERVAL, DEFAULT_TRAINING_MAX_INTERVAL, DEFAULT_TRAINING_TIMEOUT, ListModels,
    Models, STATE_FILE, TrainFromDir, TrainProgress, Training, WaitForModel,
};
pub use pagination::Page;
pub use poll::Pace;
pub use request::{Reply, Request};
pub use retry::RetryPolicy;
#[cfg(any(feature = "generate", feature = "workflows"))]
pub use runs::Generation;
#[cfg(feature = "teams")]
pub use teams::{Concurrency, Teams};
pub use tls::{install_tls_provider, tls_backend};

/// The HTTP client crate the SDK is built on, for [`ClientBuilder::http_client`]:
/// build the client with this `reqwest` and no version needs to match yours.
pub use reqwest;
/// The HTTP status type of [`Error::status`] and [`Reply::status`].
pub use reqwest::StatusCode;
pub use uploads::*;
#[cfg(feature = "workflows")]
pub use workflows::{WorkflowRun, Workflows};

/// The API's base URL when none is given: the document's server.
pub use scenario_api::DEFAULT_BASE_URL;
/// One type per operation of the API (generated from the OpenAPI document), to
/// send with [`Client::request`]; see `scenario_api::ops`.
pub use scenario_api::ops;
/// What the generated operations have in common (for code generic over them,
/// such as a CLI building flags from `Operation::PARAMS`).
pub use scenario_api::{
    BodyInfo, Location, Operation, OperationInfo, Paginated, Param, ParamError, ParamKind,
};

/// The API's types (generated from the OpenAPI document), re-exported.
///
/// Every enum accepts values newer than this SDK: they decode to an
/// `Unrecognized(String)` variant that keeps the value.
pub mod types {
    pub use scenario_api::types::*;
}

/// The README's examples, compiled as doctests so that they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
