//! The generated types against the API's own examples and against what the live
//! service sends beyond the document.

use scenario_api::types::{
    Asset, AssetKind, AssetListResponse, AssetType, EditCapability, UploadCreateResponse,
    UploadKind, UploadRetrieveResponse, UploadStatus, UploadTriggerActionResponse,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Integers and floats compare as numbers (`-2` in a seed is `-2.0` once typed as f64).
fn normalize(value: Value) -> Value {
    match value {
        Value::Number(n) => json!(n.as_f64().unwrap()),
        Value::Array(items) => Value::Array(items.into_iter().map(normalize).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, normalize(v))).collect())
        }
        other => other,
    }
}

/// Decodes `json` as `T` and checks that encoding it again loses nothing: every
/// field of the example is a field of the type.
fn assert_lossless<T: DeserializeOwned + Serialize>(json: Value) -> T {
    let typed: T = serde_json::from_value(json.clone()).expect("the example decodes");
    let again = serde_json::to_value(&typed).unwrap();
    assert_eq!(
        normalize(again),
        normalize(json),
        "re-encoding the example changed it"
    );
    typed
}

#[test]
fn seed_list_assets_example_decodes_without_losing_a_field() {
    let page: AssetListResponse = assert_lossless(fixture("seed_list_assets.json"));
    assert_eq!(
        page.next_pagination_token.as_deref(),
        Some("nextPaginationToken")
    );
    let asset = &page.assets[0];
    assert_eq!(asset.kind, AssetKind::X3d);
    assert_eq!(asset.metadata.type_, AssetType::X3dTexture);
    assert_eq!(asset.edit_capabilities, [EditCapability::Detection]);
    assert_eq!(asset.metadata.concepts[0].scale, -2.0);
    assert_eq!(asset.metadata.num_outputs, Some(1));
    assert_eq!(asset.properties.size, 0);
    assert_eq!(
        asset.properties.transcription.as_ref().unwrap().text,
        "text"
    );
}

#[test]
fn seed_upload_examples_decode_without_losing_a_field() {
    let created: UploadCreateResponse = assert_lossless(fixture("seed_create_upload.json"));
    let retrieved: UploadRetrieveResponse = assert_lossless(fixture("seed_get_upload.json"));
    let acted: UploadTriggerActionResponse =
        assert_lossless(fixture("seed_trigger_upload_action.json"));
    for upload in [created.upload, retrieved.upload, acted.upload] {
        assert_eq!(upload.kind, UploadKind::X3d);
        assert_eq!(upload.status, UploadStatus::Complete);
        assert_eq!(upload.parts[0].number, 0);
        assert_eq!(upload.file_size, Some(0));
        assert_eq!(upload.config, Some(json!({})));
    }
}

#[test]
fn values_and_fields_newer_than_the_document_decode_and_round_trip() {
    let mut page = fixture("seed_list_assets.json");
    let asset = &mut page["assets"][0];
    asset["kind"] = json!("hologram");
    asset["metadata"]["kind"] = json!("hologram");
    asset["metadata"]["type"] = json!("txt2story");
    asset["editCapabilities"] = json!(["DETECTION", "TELEPORT"]);
    asset["source"] = json!("brand-new-source");
    asset["sparkle"] = json!({"level": 91});
    asset["metadata"]["glitterName"] = json!("a.obj");
    asset["properties"]["shimmerCount"] = json!(12);

    let decoded: AssetListResponse = serde_json::from_value(page).expect("newer values decode");
    let asset = &decoded.assets[0];
    assert_eq!(asset.kind, AssetKind::Unrecognized("hologram".into()));
    assert!(asset.kind.is_unrecognized());
    assert_eq!(asset.metadata.type_.as_str(), "txt2story");
    assert_eq!(asset.edit_capabilities[0], EditCapability::Detection);
    assert_eq!(asset.edit_capabilities[1].as_str(), "TELEPORT");
    assert_eq!(asset.source.to_string(), "brand-new-source");

    // Unknown values go back out exactly as they came in; unknown fields are dropped.
    let again = serde_json::to_value(asset).unwrap();
    assert_eq!(again["kind"], "hologram");
    assert_eq!(again["metadata"]["type"], "txt2story");
    assert_eq!(again["editCapabilities"], json!(["DETECTION", "TELEPORT"]));
    assert!(again.get("sparkle").is_none());

    let mut upload = fixture("seed_get_upload.json");
    upload["upload"]["kind"] = json!("spreadsheet");
    upload["upload"]["status"] = json!("archived");
    upload["upload"]["source"] = json!("s3");
    let decoded: UploadRetrieveResponse = serde_json::from_value(upload).unwrap();
    assert_eq!(decoded.upload.kind.as_str(), "spreadsheet");
    assert_eq!(
        decoded.upload.status,
        UploadStatus::Unrecognized("archived".into())
    );
}

#[test]
fn an_asset_with_only_its_required_fields_decodes() {
    let asset: Asset = serde_json::from_value(json!({
        "id": "asset_1", "authorId": "u", "collectionIds": [], "createdAt": "2023-02-03T11:19:41.579Z",
        "editCapabilities": [], "kind": "image", "metadata": {"kind": "image", "type": "uploaded"},
        "mimeType": "image/png", "ownerId": "proj_1", "privacy": "private", "properties": {"size": 12},
        "source": "uploaded", "status": "success", "tags": [], "updatedAt": "2023-02-03T11:19:41.579Z",
        "url": "https://cdn.example/a.png"
    }))
    .unwrap();
    assert_eq!(asset.properties.size, 12);
    assert!(asset.thumbnail.is_none());
    assert!(asset.metadata.prompt.is_none());
}

#[test]
fn a_missing_required_field_is_a_decode_error_naming_it() {
    let err = serde_json::from_value::<Asset>(json!({"id": "asset_1"})).unwrap_err();
    assert!(err.to_string().contains("missing field"), "{err}");
}

#[test]
fn a_wrong_json_type_for_an_enum_is_a_decode_error_not_a_panic() {
    let err = serde_json::from_value::<AssetKind>(json!(3)).unwrap_err();
    assert!(err.to_string().contains("a string for AssetKind"), "{err}");
}

#[test]
fn open_enums_convert_from_and_to_strings() {
    assert_eq!("image-hdr".parse::<AssetKind>(), Ok(AssetKind::ImageHdr));
    assert_eq!(AssetKind::from(String::from("video")), AssetKind::Video);
    assert_eq!(AssetKind::from("hologram").to_string(), "hologram");
    assert_eq!(UploadKind::X3d.as_str(), "3d");
}

/// Needs the `schemars` feature, which the workspace's tests turn on (through
/// scenario-testkit): `cargo test --workspace`, or `-p scenario-api --features schemars`.
#[cfg(feature = "schemars")]
#[test]
fn schemas_list_the_documented_values_only() {
    let schema = serde_json::to_value(schemars::schema_for!(UploadKind)).unwrap();
    let values: Vec<&str> = schema["enum"]
        .as_array()
        .expect("a closed enum")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        values,
        [
            "3d", "asset", "audio", "avatar", "image", "model", "text", "video"
        ]
    );

    let schema = serde_json::to_value(schemars::schema_for!(Asset)).unwrap();
    let mut required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    required.sort_unstable();
    assert_eq!(
        required,
        [
            "authorId",
            "collectionIds",
            "createdAt",
            "editCapabilities",
            "id",
            "kind",
            "metadata",
            "mimeType",
            "ownerId",
            "privacy",
            "properties",
            "source",
            "status",
            "tags",
            "updatedAt",
            "url"
        ]
    );
}

#[test]
fn integral_floats_are_integers_and_null_lists_are_empty() {
    let mut asset = fixture("seed_list_assets.json")["assets"][0].clone();
    asset["properties"]["size"] = json!(1024.0);
    asset["outputIndex"] = json!(2.0);
    asset["tags"] = Value::Null;
    asset["collectionIds"] = Value::Null;
    let typed: Asset = serde_json::from_value(asset.clone()).expect("the asset decodes");
    assert_eq!(typed.properties.size, 1024);
    assert_eq!(typed.output_index, Some(2));
    assert!(typed.tags.is_empty() && typed.collection_ids.is_empty());
    let mut big = asset.clone();
    big["properties"]["size"] = json!(1.5e9);
    let typed: Asset = serde_json::from_value(big).unwrap();
    assert_eq!(typed.properties.size, 1_500_000_000);

    for fractional in [json!(1.5), json!(-1.0), json!(1e300)] {
        let mut bad = asset.clone();
        bad["properties"]["size"] = fractional.clone();
        assert!(
            serde_json::from_value::<Asset>(bad).is_err(),
            "size {fractional} is not a u64"
        );
    }
    let mut missing = asset;
    missing.as_object_mut().unwrap().remove("tags");
    assert!(
        serde_json::from_value::<Asset>(missing).is_err(),
        "a required list may be null, not absent"
    );
    let page: AssetListResponse = serde_json::from_value(json!({"assets": null})).unwrap();
    assert!(page.assets.is_empty());
}

#[test]
fn query_arrays_go_out_comma_separated_and_come_back() {
    use scenario_api::Operation;
    use scenario_api::ops::{ListAssets, ListAssetsQuery};

    let op = ListAssets::new().types([AssetType::Detection, AssetType::from("made-up-type")]);
    let pairs = op.query().unwrap();
    assert!(
        pairs.contains(&("types", "detection,made-up-type".to_owned())),
        "{pairs:?}"
    );

    // A server (or the CLI) reads the same string back into the generated query type.
    let parsed: ListAssetsQuery =
        serde_json::from_value(json!({"types": "detection,,made-up-type", "pageSize": 5})).unwrap();
    assert_eq!(
        parsed.types,
        Some(vec![AssetType::Detection, AssetType::from("made-up-type")])
    );
    assert_eq!(parsed.page_size, Some(5));
}
