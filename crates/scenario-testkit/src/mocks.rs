//! Fakes of the API configured for upload tests.

use std::time::Duration;

use scenario_mock::{MockServer, MockServerBuilder};

/// The smallest part the fake of [`upload_mock`] accepts (S3 wants 5 MiB), so
/// that multipart uploads take kilobytes. Uploads must say so with
/// `min_part_size(SMALL_PART)`.
pub const SMALL_PART: u64 = 1024;

/// A fake that accepts parts of [`SMALL_PART`] bytes and validates uploads in
/// 20 ms, so that waiting for an upload stays quick while a test can still
/// see it `validating`.
pub fn upload_mock() -> MockServerBuilder {
    MockServer::builder()
        .min_part_size(SMALL_PART)
        .validation_delay(Duration::from_millis(20))
}
