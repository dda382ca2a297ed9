//! What the workspace's integration tests share, so that each piece of test
//! setup exists once: SDK clients of the fake API, fast retry policies, seeded
//! content and temporary files, `sha256_hex`, a scripted HTTP server for answers
//! the fake never gives, and log capture.
//!
//! For integration tests only: a crate this one depends on (scenario-sdk,
//! scenario-mock) must not use it from its unit tests, where two copies of that
//! crate would meet.

#![warn(missing_docs)]

mod clients;
mod content;
mod listings;
mod log_capture;
mod mocks;
mod retries;
mod scripted_server;
mod sha256;

pub use clients::{client_builder, mock_client, mock_client_builder, plain_http, start_mock};
pub use content::{content, download_name, seeded_content, temp_file};
pub use listings::{
    SEED_CREATE_UPLOAD, SEED_GET_UPLOAD, SEED_LISTING, asset_with_id, listing, seed_asset,
};
pub use log_capture::LogCapture;
pub use mocks::{SMALL_PART, upload_mock};
pub use retries::fast_retries;
pub use scripted_server::{Reply, Request, ScriptedServer};
pub use sha256::sha256_hex;
