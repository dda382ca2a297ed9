//! The reference pages' example answers, and `GET /assets` bodies for servers
//! that misbehave on purpose.

use serde_json::Value;

/// The reference pages' example of a listing (scenario-api's seed fixture).
pub const SEED_LISTING: &str =
    include_str!("../../scenario-api/tests/fixtures/seed_list_assets.json");

/// The reference pages' example of `POST /uploads`'s answer.
pub const SEED_CREATE_UPLOAD: &str =
    include_str!("../../scenario-api/tests/fixtures/seed_create_upload.json");

/// The reference pages' example of `GET /uploads/{uploadId}`'s answer.
pub const SEED_GET_UPLOAD: &str =
    include_str!("../../scenario-api/tests/fixtures/seed_get_upload.json");

/// The first asset of [`SEED_LISTING`]: an asset as the API sends it.
pub fn seed_asset() -> Value {
    let listing: Value = serde_json::from_str(SEED_LISTING).expect("the seed listing is JSON");
    listing["assets"][0].clone()
}

/// [`seed_asset`] with the id `id`.
pub fn asset_with_id(id: &str) -> Value {
    let mut asset = seed_asset();
    asset["id"] = id.into();
    asset
}

/// A listing of `assets`, with the fields of the object `extra` (such as
/// `nextPaginationToken`) added.
pub fn listing(assets: Vec<Value>, extra: Value) -> String {
    let mut body = serde_json::json!({ "assets": assets });
    if let Value::Object(extra) = extra {
        body.as_object_mut()
            .expect("a listing is an object")
            .extend(extra);
    }
    body.to_string()
}
