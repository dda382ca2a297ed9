//! A faithful, stateful, in-process fake of the [Scenario API] (generative assets
//! for games) and of the S3-style storage its uploads go to, for tests, examples and
//! your own test suites.
//!
//! [`MockServer`] runs two HTTP/1.1 listeners on 127.0.0.1 on the current tokio
//! runtime:
//!
//! - the **API** at [`MockServer::base_url`] (`http://127.0.0.1:PORT/v1`): HTTP Basic
//!   auth on every route, JSON error bodies shaped like `scenario_api::types::ApiError`
//!   and an `x-request-id` header on every response.
//!   - `GET /v1/assets`: seeded, deterministic assets (100 by default) with full
//!     metadata and properties, the filters that can be honoured in memory, sorting
//!     and complete, stable keyset pagination (`pageSize`, `paginationToken` →
//!     `nextPaginationToken`);
//!   - `POST /v1/uploads`: multipart uploads (with a presigned URL per part) and
//!     url / Hugging Face / Civitai imports;
//!   - `GET /v1/uploads/{id}`: the upload's state, with freshly signed part URLs
//!     while a multipart upload is pending (how clients refresh expired URLs);
//!   - `POST /v1/uploads/{id}/action` `{"action": "complete"}`: checks the parts,
//!     goes `validating`, then `complete` (creating the asset) or `failed` with an
//!     `errorMessage`.
//!   - the other asset endpoints: retrieve, update (a canvas change is kept as a
//!     snapshot, listed by `GET /v1/assets/{id}/snapshots`), delete and restore
//!     (`deleted=true` lists the deleted ones), get-bulk, copy, lock and unlock
//!     (an update of a locked asset needs its `lockId`), tags (with `strict`),
//!     `POST /v1/assets` (an inline image or a canvas), and downloads: a signed
//!     URL per asset, and archives made by a job of type `assets-download`
//!     (`GET /v1/assets/download/{jobId}` gives its `downloadUrl` once done);
//!   - `GET /v1/jobs` (newest first, filters, pagination), `GET /v1/jobs/{id}` and
//!     `POST /v1/jobs/{id}/action` (cancel: only custom model runs accept it, as on
//!     the service most generation jobs refuse it);
//!   - `POST /v1/generate/...` (custom model runs, caption, describe-style, detect,
//!     embed, ip-detection, patch, prompt, quality-gate, translate): each starts a
//!     job that is `queued`, then `in-progress` with a rising `progress`, then
//!     `success` (creating its assets: images for a model run, one asset for
//!     detect and patch) or `failure` (with `metadata.error`) when the request
//!     names an `asset_...` id that is not a live asset; `dryRun` starts nothing
//!     and answers HTTP 269 with the cost. ip-detection and quality-gate answer at
//!     once (quality-gate scores an existing asset and keeps the score on it).
//! - the **storage** at [`MockServer::storage_url`], standing in for S3 presigned
//!   URLs: `PUT /parts/{uploadId}/{n}?expires=..&signature=..` only. It refuses an
//!   `Authorization` header, a missing `Content-Length`, a bad signature or an
//!   expired URL, streams the body through SHA-256 and answers the part's digest as
//!   its `ETag`; a later PUT of the same part replaces it.
//!
//! Every response body is one of the `scenario_api::types` (the raw client generated
//! from `openapi/scenario.yaml`), so what the fake serves always matches the document.
//!
//! # Example
//!
//! ```
//! use scenario_api::types::{AssetListResponse, UploadCreateResponse, UploadStatus};
//! use scenario_mock::{Fault, FaultRule, MockServer, OperationId, Route};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = MockServer::builder()
//!     .assets(20)
//!     .min_part_size(1) // S3 wants 5 MiB parts; tests can use tiny ones
//!     .validation_delay(std::time::Duration::from_millis(10))
//!     .start()
//!     .await?;
//! # // In this workspace, reqwest also has the SDK's provider-less rustls.
//! # let _ = scenario_testkit::plain_http();
//! let http = reqwest::Client::new();
//! let auth = |request: reqwest::RequestBuilder| {
//!     request.basic_auth(server.api_key(), Some(server.api_secret()))
//! };
//!
//! // List assets; the first attempt meets an injected 503.
//! server.inject(FaultRule::new(OperationId::ListAssets, Fault::Status(503)));
//! let url = format!("{}/assets?pageSize=5", server.base_url());
//! assert_eq!(auth(http.get(&url)).send().await?.status(), 503);
//! let page: AssetListResponse = auth(http.get(&url)).send().await?.json().await?;
//! assert_eq!(page.assets.len(), 5);
//!
//! // Upload a file in two parts.
//! let body = serde_json::json!({
//!     "fileName": "hero.png", "contentType": "image/png",
//!     "fileSize": 6, "kind": "image", "parts": 2,
//! });
//! let created: UploadCreateResponse = auth(http.post(format!("{}/uploads", server.base_url())))
//!     .json(&body)
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! let upload = created.upload;
//! for (part, bytes) in upload.parts.iter().zip([&b"abc"[..], &b"def"[..]]) {
//!     // Part URLs are presigned: no Authorization header.
//!     let response = http.put(&part.url).body(bytes.to_vec()).send().await?;
//!     assert!(response.status().is_success());
//! }
//! let action = format!("{}/uploads/{}/action", server.base_url(), upload.id);
//! auth(http.post(action))
//!     .json(&serde_json::json!({"action": "complete"}))
//!     .send()
//!     .await?
//!     .error_for_status()?;
//!
//! // What the server received, and what became of it.
//! let receipt = server.upload_receipt(&upload.id).expect("known upload");
//! assert_eq!(receipt.bytes(), Some(&b"abcdef"[..]));
//! tokio::time::sleep(std::time::Duration::from_millis(20)).await;
//! let done = server.upload(&upload.id).expect("known upload");
//! assert_eq!(done.status, UploadStatus::Complete);
//! assert!(server.asset(&done.entity_id.expect("an asset")).is_some());
//! assert_eq!(server.asset_count(), 21);
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Faults
//!
//! [`MockServer::inject`] scripts faults for the next N requests of a [`Route`]:
//! an error status, a 429 with `Retry-After` and `retry-after-ms`, a dropped
//! connection, a delay, or a truncated body (see [`Fault`]). Some faults act
//! first: [`Fault::Truncate`], [`Fault::ActThenStatus`] and [`Fault::ActThenDrop`]
//! handle the request (an upload is created or completed, a part stored) and only
//! then break or replace the answer, as a gateway that timed out after the
//! service committed would.
//! [`MockServerBuilder::random_faults`] injects seeded random faults on the API and
//! on part PUTs, separately; the same seed and request sequence give the same
//! faults. Every injected fault is listed by [`MockServer::faults_injected`].
//!
//! # Inspection
//!
//! [`MockServer::upload_receipt`] tells what the storage received for an upload
//! (each part's size and SHA-256, and the whole file's bytes and digest when its
//! size is within [`MockServerBuilder::retain_limit`]; bigger uploads keep only
//! digests, so a 1 GiB upload never sits in memory). [`MockServer::requests`],
//! [`MockServer::request_count`], [`MockServer::uploads`] and [`MockServer::asset`]
//! show the rest. [`MockServer::advance_clock`] moves the server's clock so part
//! URLs expire without waiting.
//!
//! # On its own
//!
//! `scenario mock serve` (the `scenario-cli` crate) runs the fake in the foreground
//! until Ctrl-C, with every builder setting as a flag, and first prints the
//! `export` lines that point an SDK (or the CLI) at it.
//!
//! # Where the fake differs from the live service
//!
//! Known differences, so a test that passes here is not taken for more than it is:
//!
//! - **One account.** Only the configured key and secret (or bearer token) are accepted, there is a
//!   single project and user (every upload has the same `authorId`), and public access
//!   (`public-auth-token`) only lists public assets; `projectId` is ignored.
//! - **Synthetic assets.** The seeded assets are generated, not real: their files,
//!   served by the CDN listener, are made-up bytes of the asset's size (an upload's
//!   file is served as uploaded when the storage kept it; a converted format is
//!   made up too; archives are opaque bytes, not zips); assets never change
//!   after they are created except through the asset endpoints. Deleted assets are
//!   listed by `deleted=true` in the listing's order (not most recently deleted
//!   first) and can be restored forever (the service keeps them 30 days). Float
//!   fields are written as JSON floats (`1024.0`).
//! - **Jobs and generations.** A job lasts the validation delay (a quarter queued,
//!   the rest in progress); no `warming-up` or `finalizing`. Generated content is
//!   made up: captions, prompts, descriptions and translations are fixed phrases
//!   (a translation is the prompt itself), an embedding is eight numbers from the
//!   text's SHA-256, quality scores come from the asset id, ip-detection never
//!   flags anything, generated assets are PNG files of 64 to 128 KiB of made-up bytes, and costs are the
//!   fake's own numbers. Model inputs are not checked against any model (only
//!   `prompt`, `numOutputs`, `image` and `referenceImage` are read); `copy` always
//!   copies into this project; archives contain nothing (their URL does not
//!   resolve). Job listing tokens are offsets. A dry run answers what the run
//!   would (its made-up results and the job it would start, never stored) with
//!   HTTP 269 and its cost. `GET /usages` counts the jobs (by usage name) and the
//!   live assets (by kind) per UTC day, all as made with an API key; consumption
//!   is 0, as the fake charges nothing.
//! - **Listing.** `originalAssets` and `projectId` are ignored; `tags`
//!   filters every asset (the service applies it to public assets of all teams),
//!   and `privacy=public` lists only this project's public assets. Date filters
//!   apply whatever the sort (the service documents that they need a `sortBy` of
//!   the same date, but the document states no such refusal); `type` with `types`
//!   must both match; a `sortBy`, `sortDirection` or `privacy` of another value
//!   (plain strings in the document) sorts as the default or matches nothing, never
//!   a 400. Dates are parsed as UTC (`Z` or no zone, or a bare date), never with an offset; a date the fake
//!   cannot read matches nothing (the document declares no date format, so it is
//!   not refused). Empty parameter values count as absent. The pagination token is
//!   the fake's own (the sort key of the last asset of the page, or an offset); a
//!   token it did not issue ends the listing (an empty last page), and a token sent
//!   with another `sortBy` or `sortDirection` than the one it came from is refused
//!   with 400.
//! - **Uploads.** Nothing looks inside the bytes: validation only checks the
//!   parts (all present, every part but the last at least the minimum size, the
//!   total equal to `fileSize`) and takes a fixed delay; `validating` goes straight
//!   to `complete`, never through `validated`. A create request without all the
//!   multipart fields (the document requires none) makes an upload that is
//!   `failed` at once, its `errorMessage` naming what is missing; of several
//!   import sources, `huggingFaceModelName` wins, then `civitaiModelUrl`, then
//!   `url`. Imports download nothing: a url
//!   import of an asset kind creates an asset of size 0 whose MIME type is guessed
//!   from the file name, and Hugging Face / Civitai imports only check the shape of
//!   the name or URL. Models, avatars and text uploads get an entity id
//!   `model_...` and create nothing listable. `jobId` and `config` are never set.
//!   `assetOptions` is ignored for kinds that produce no asset. Completing an import
//!   answers 400. Error messages are the fake's wording.
//! - **Storage.** Part URLs carry the fake's own `expires` and `signature`
//!   parameters, not AWS SigV4; `ETag` is the part's SHA-256 (S3 uses MD5) and no
//!   checksum headers are verified. A part URL is accepted until it expires and only
//!   while its upload is pending. The storage answers an injected
//!   `Fault::RateLimited` with 429 where S3 throttles with 503 `SlowDown`. Bodies of
//!   rejected requests are read to the end before the answer.
//! - **Transport.** Plain HTTP/1.1 on 127.0.0.1 only (no TLS, no HTTP/2); the fake
//!   never throttles or fails by itself (only injected faults do), sends no
//!   `x-should-retry` header and ignores `api-version`. Unknown routes (and known
//!   paths with another method) answer 404 in the service's (NestJS) style, before
//!   any credentials check.
//! - **Time.** Upload and job transitions happen when the server is next asked
//!   about uploads, jobs or assets after the delay (no timer task), on tokio's
//!   clock, so a test with a paused clock sees them once it advances time.
//!
//! [Scenario API]: https://api.cloud.scenario.com/v1

#![forbid(unsafe_code)]
// On docs.rs (nightly, `--cfg docsrs`): each item gated by a Cargo feature
// shows the feature's badge (`doc_cfg` took in `doc_auto_cfg`).
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

// Layers, from the top. A module imports only from the layers below its own and,
// within its layer, from the modules listed after it, so none imports a module
// that imports it back.
//
// - `server`: `MockServer` and its builder; binds and serves the three listeners.
// - `http`: `mod` (the two routers) > `gate` (request ids, faults, auth,
//   recording) > `routes` (the table) > `assets`, `catalog`, `generate`, `jobs`,
//   `uploads`, `storage` (the handlers) > `request` (bodies, paths, queries),
//   `signing` > `app` (what the handlers share), `responses` > `conn`.
// - `state` (nothing of HTTP): `mod` (`State`, the one lock) > `catalog` (what
//   the asset and job endpoints do), `seed`, `uploads`, `jobs` > `assets`,
//   `receipts`; and beside it `inspect` > `faults` (the request log and the fault
//   book, which `http::app` holds).
// - Leaves: `route`, `clock`, `ids`, `builders`, `sync`.

mod builders;
mod clock;
mod faults;
mod http;
mod ids;
mod inspect;
mod route;
mod server;
mod state;
mod sync;

pub use faults::{Fault, FaultOrigin, FaultRule, InjectedFault, RandomFaults};
pub use inspect::{REQUEST_LOG_LIMIT, RecordedRequest};
pub use route::{Route, Target};
/// The document's operations, as the API's [`Route`]s are named.
pub use scenario_api::ops::OperationId;
pub use server::{
    DEFAULT_API_KEY, DEFAULT_API_SECRET, DEFAULT_BEARER_TOKEN, MockServer, MockServerBuilder,
};
pub use state::receipts::{PartReceipt, UploadReceipt};

/// The README's examples, compiled as doctests so that they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
