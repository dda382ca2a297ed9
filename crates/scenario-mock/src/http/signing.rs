//! Presigned part URLs: signed where the API hands them out, checked by the storage.

use scenario_api::types::UploadPart;
use sha2::{Digest, Sha256};

use crate::builders::built;
use crate::clock::{iso, millis};
use crate::http::app::App;

/// The signature of a part URL: SHA-256 over the server's secret key and what the
/// URL allows (method, path, expiry).
pub(crate) fn signature(key: &str, upload_id: &str, number: u32, expires: u64) -> String {
    let mut hasher = Sha256::new();
    hasher.update(key.as_bytes());
    hasher.update(format!("\nPUT\n/parts/{upload_id}/{number}\n{expires}").as_bytes());
    format!("{:x}", hasher.finalize())
}

/// Part URLs for parts 1..=count, valid for the configured TTL from now.
pub(crate) fn sign_parts(app: &App, upload_id: &str, count: u32) -> Vec<UploadPart> {
    let expires_ms = app
        .state
        .clock
        .now_ms()
        .saturating_add(millis(app.settings.part_url_ttl));
    let expires = expires_ms / 1000;
    let expires_iso = iso(expires * 1000);
    (1..=count)
        .map(|number| {
            let url = format!(
                "{}/parts/{upload_id}/{number}?expires={expires}&signature={}",
                app.storage_url,
                signature(&app.signing_key, upload_id, number, expires)
            );
            built(
                UploadPart::builder()
                    .expires(expires_iso.clone())
                    .number(number)
                    .url(url),
            )
        })
        .collect()
}
