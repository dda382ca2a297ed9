//! The uploads endpoints: validation, the multipart life cycle, imports, failures.

mod common;

use std::time::Duration;

use common::{Api, api_error, quick, s3_error};
use scenario_api::types::{AssetKind, UploadKind, UploadProvider, UploadSource, UploadStatus};
use scenario_mock::MockServer;
use scenario_testkit::{content, sha256_hex};
use serde_json::json;

/// The document requires none of the create fields: a multipart upload without
/// all it needs is made, failed from the start, and its error names what is missing.
#[tokio::test]
async fn a_multipart_upload_missing_fields_is_made_failed() {
    let api = Api::with(quick()).await;
    let full = json!({
        "fileName": "hero.png",
        "contentType": "image/png",
        "fileSize": 10,
        "kind": "image",
        "parts": 2,
    });
    let failed = |upload: &scenario_api::types::Upload| {
        assert_eq!(upload.status, UploadStatus::Failed, "{upload:?}");
        assert_eq!(upload.source, UploadSource::Multipart);
        assert!(upload.parts.is_empty());
        upload.error_message.clone().expect("an error message")
    };
    let empty = api.create(json!({})).await;
    let message = failed(&empty);
    for field in ["fileName", "contentType", "fileSize", "kind", "parts"] {
        assert!(message.contains(field), "{message}");
    }
    assert_eq!(empty.kind, UploadKind::Asset);
    assert_eq!(empty.file_name, "");
    for field in ["fileName", "contentType", "fileSize", "kind", "parts"] {
        let mut body = full.clone();
        body.as_object_mut().unwrap().remove(field);
        let message = failed(&api.create(body).await);
        assert!(message.ends_with(&format!("missing: {field}")), "{message}");
    }
    let mut empty_name = full.clone();
    empty_name["fileName"] = json!("  ");
    assert!(failed(&api.create(empty_name).await).contains("missing: fileName"));
    // It stays failed, and cannot be completed.
    api_error(api.complete(&empty.id).await, 409).await;
    assert_eq!(api.get_upload(&empty.id).await.status, UploadStatus::Failed);
}

/// What the document does bound or enumerate is still refused, and nothing is made.
#[tokio::test]
async fn create_refuses_what_the_document_refuses() {
    let api = Api::with(quick()).await;
    let full = json!({
        "fileName": "hero.png",
        "contentType": "image/png",
        "fileSize": 10,
        "kind": "image",
        "parts": 2,
    });
    let invalid = [
        ("parts", json!(0), "parts must be between 1 and 10000"),
        ("parts", json!(10_001), "parts must be between 1 and 10000"),
        ("parts", json!(-1), "parts"),
        ("parts", json!("two"), "parts"),
        ("fileSize", json!("big"), "fileSize"),
        ("fileSize", json!(-5), "fileSize"),
        ("kind", json!("hologram"), "kind: must be one of"),
        ("kind", json!(3), "kind"),
    ];
    for (field, value, expected) in invalid {
        let mut body = full.clone();
        body[field] = value;
        let message = api.create_error(body).await;
        assert!(message.contains(expected), "{field}: {message}");
    }
    for raw in ["{", "", "[]", "{} trailing"] {
        let response = api.post("/uploads").body(raw).send().await.unwrap();
        let message = api_error(response, 400).await;
        assert!(message.contains("JSON"), "{raw:?}: {message}");
    }
    let imports = [(
        json!({"url": "https://example.com/a.png"}),
        "kind is required with url",
    )];
    for (body, expected) in imports {
        let message = api.create_error(body.clone()).await;
        assert!(message.contains(expected), "{body}: {message}");
    }
    assert!(api.server.uploads().is_empty(), "no upload was created");
}

/// An import takes one source: with several, huggingFaceModelName wins, then
/// civitaiModelUrl, then url; the multipart fields are ignored.
#[tokio::test]
async fn an_import_with_several_sources_takes_one_in_order() {
    let api = Api::with(quick()).await;
    let all = api
        .create(json!({
            "url": "https://example.com/a.png",
            "kind": "image",
            "huggingFaceModelName": "a/b",
            "civitaiModelUrl": "https://civitai.com/models/1",
            "parts": 2,
            "fileName": "x.png",
        }))
        .await;
    assert_eq!(all.source, UploadSource::Huggingface);
    let two = api
        .create(json!({
            "url": "https://example.com/a.png",
            "kind": "image",
            "civitaiModelUrl": "https://civitai.com/models/1",
        }))
        .await;
    assert_eq!(two.source, UploadSource::Civitai);
    let url = api
        .create(json!({"url": "https://example.com/a.png", "kind": "image", "parts": 2}))
        .await;
    assert_eq!(url.source, UploadSource::Url);
    assert!(url.parts.is_empty() && url.parts_count.is_none());
}

#[tokio::test]
async fn create_returns_signed_part_urls() {
    let api = Api::with(quick()).await;
    let upload = api
        .create(json!({
            "fileName": "hero.png",
            "contentType": "image/png",
            "fileSize": 12,
            "kind": "image",
            "parts": 3,
            "assetOptions": {"collectionIds": ["coll_1"], "hide": true},
        }))
        .await;
    assert!(upload.id.starts_with("upload_"));
    assert_eq!(upload.status, UploadStatus::Pending);
    assert_eq!(upload.source, UploadSource::Multipart);
    assert_eq!(upload.kind, UploadKind::Image);
    assert_eq!(upload.parts_count, Some(3));
    assert_eq!(upload.file_size, Some(12));
    assert_eq!(upload.file_name, "hero.png");
    assert_eq!(upload.content_type.as_deref(), Some("image/png"));
    assert_eq!(upload.author_id.len(), 32);
    assert!(upload.owner_id.starts_with("proj_"));
    assert!(upload.entity_id.is_none() && upload.provider.is_none());
    assert_eq!(upload.asset_options.unwrap().collection_ids, ["coll_1"]);
    let numbers: Vec<u32> = upload.parts.iter().map(|p| p.number).collect();
    assert_eq!(numbers, [1, 2, 3]);
    let storage = api.server.storage_url();
    for part in &upload.parts {
        let prefix = format!("{storage}/parts/{}/{}?expires=", upload.id, part.number);
        assert!(part.url.starts_with(&prefix), "{}", part.url);
        assert!(part.url.contains("&signature="));
        // Expires in about 15 minutes.
        assert!(part.expires > upload.created_at);
        assert!(part.expires.ends_with(".000Z"));
    }
    assert_eq!(
        api.server.upload(&upload.id).unwrap().status,
        UploadStatus::Pending
    );
}

#[tokio::test]
async fn multipart_upload_life_cycle() {
    let api = Api::with(quick()).await;
    let parent = api.list(&[("pageSize", "1")]).await.assets.remove(0);
    let bytes = content(10);
    let upload = api
        .create(json!({
            "fileName": "hero.png",
            "contentType": "image/png",
            "fileSize": 10,
            "kind": "image",
            "parts": 3,
            "assetOptions": {"collectionIds": ["coll_a", "coll_b"], "hide": true, "parentId": parent.id},
        }))
        .await;
    api.put_all(&upload, &bytes, 4).await;

    let validating = api.complete_ok(&upload.id).await;
    assert_eq!(validating.status, UploadStatus::Validating);
    assert!(validating.parts.is_empty());
    let done = api.wait(&upload.id).await;
    assert_eq!(
        done.status,
        UploadStatus::Complete,
        "{:?}",
        done.error_message
    );
    assert!(done.parts.is_empty());
    assert!(done.updated_at > done.created_at);
    let asset_id = done.entity_id.unwrap();
    assert!(asset_id.starts_with("asset_"));

    let newest = api.list(&[("pageSize", "1")]).await.assets.remove(0);
    assert_eq!(newest.id, asset_id);
    assert_eq!(newest.kind, AssetKind::Image);
    assert_eq!(newest.mime_type, "image/png");
    assert_eq!(newest.properties.size, 10);
    assert_eq!(newest.metadata.name.as_deref(), Some("hero.png"));
    assert_eq!(newest.metadata.type_.as_str(), "uploaded");
    assert_eq!(newest.collection_ids, ["coll_a", "coll_b"]);
    assert_eq!(newest.is_hidden, Some(true));
    assert_eq!(
        newest.metadata.parent_id.as_deref(),
        Some(parent.id.as_str())
    );
    let root = parent.metadata.root_parent_id.unwrap_or(parent.id);
    assert_eq!(newest.metadata.root_parent_id, Some(root));
    assert_eq!(newest.author_id, done.author_id);
    let by_collection = api.list(&[("collectionId", "coll_b")]).await;
    assert_eq!(by_collection.assets.len(), 1);
    assert_eq!(api.server.asset(&asset_id).unwrap().id, asset_id);
    assert_eq!(api.server.asset_count(), 11);

    let receipt = api.server.upload_receipt(&upload.id).unwrap();
    assert_eq!(receipt.status, UploadStatus::Complete);
    assert_eq!(receipt.bytes(), Some(bytes.as_slice()));
    assert_eq!(receipt.sha256(), Some(sha256_hex(&bytes).as_str()));
    assert_eq!(receipt.total_bytes, 10);
    assert!(receipt.has_all_parts());
    let sizes: Vec<u64> = receipt.parts.iter().map(|p| p.size).collect();
    assert_eq!(sizes, [4, 4, 2]);
    assert_eq!(receipt.part(3).unwrap().sha256, sha256_hex(&bytes[8..]));

    // Completing again is a conflict; the part URLs no longer take bytes.
    let again = api.complete(&upload.id).await;
    assert!(api_error(again, 409).await.contains("complete"));
    let late = api.put(&upload.parts[0].url, bytes[..4].to_vec()).await;
    assert_eq!(s3_error(late, 404).await.0, "NoSuchUpload");
}

#[tokio::test]
async fn each_kind_becomes_the_right_entity() {
    let api = Api::with(quick()).await;
    let cases = [
        ("image", Some(AssetKind::Image)),
        ("asset", Some(AssetKind::Image)),
        ("3d", Some(AssetKind::X3d)),
        ("audio", Some(AssetKind::Audio)),
        ("video", Some(AssetKind::Video)),
        ("model", None),
        ("avatar", None),
        ("text", None),
    ];
    for (kind, asset_kind) in cases {
        let bytes = content(6);
        let upload = api.create_multipart(kind, &bytes, 6).await;
        assert_eq!(upload.kind.as_str(), kind);
        api.put_all(&upload, &bytes, 6).await;
        api.complete_ok(&upload.id).await;
        let done = api.wait(&upload.id).await;
        assert_eq!(done.status, UploadStatus::Complete);
        let entity = done.entity_id.unwrap();
        match asset_kind {
            Some(asset_kind) => {
                let asset = api.server.asset(&entity).expect("an asset");
                assert_eq!(asset.kind, asset_kind, "{kind}");
                assert_eq!(asset.metadata.kind, asset_kind);
            }
            None => {
                assert!(entity.starts_with("model_"), "{kind}: {entity}");
                assert!(api.server.asset(&entity).is_none());
            }
        }
    }
    assert_eq!(api.server.asset_count(), 15);
}

#[tokio::test]
async fn complete_checks_the_parts() {
    let api = Api::with(quick()).await;
    let bytes = content(12);
    let upload = api.create_multipart("image", &bytes, 4).await;
    api.put(&upload.parts[1].url, bytes[4..8].to_vec()).await;
    let message = api_error(api.complete(&upload.id).await, 400).await;
    assert!(message.contains("missing parts 1, 3 (of 3)"), "{message}");
    assert_eq!(
        api.get_upload(&upload.id).await.status,
        UploadStatus::Pending
    );

    // Too many missing parts are summarised.
    let many = api
        .create(
            json!({"fileName": "a.bin", "contentType": "application/octet-stream",
                       "fileSize": 100, "kind": "model", "parts": 25}),
        )
        .await;
    let message = api_error(api.complete(&many.id).await, 400).await;
    assert!(message.contains("and 5 more (of 25)"), "{message}");

    let unknown = api.complete("upload_nope").await;
    assert!(api_error(unknown, 404).await.contains("upload_nope"));
    let get_unknown = api.get("/uploads/upload_nope").send().await.unwrap();
    assert!(api_error(get_unknown, 404).await.contains("not found"));
    for body in [json!({"action": "abort"}), json!({}), json!({"action": 1})] {
        let response = api
            .post(&format!("/uploads/{}/action", upload.id))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(api_error(response, 400).await.contains("action"), "{body}");
    }
    assert_eq!(
        api.get_upload(&upload.id).await.status,
        UploadStatus::Pending
    );
}

#[tokio::test]
async fn size_rules_fail_the_upload_with_a_message() {
    let api = Api::with(quick()).await;
    // Part 1 below the minimum (4 bytes).
    let upload = api.create_multipart("image", &content(6), 3).await;
    api.put(&upload.parts[0].url, content(3)).await;
    api.put(&upload.parts[1].url, content(3)).await;
    api.complete_ok(&upload.id).await;
    let failed = api.wait(&upload.id).await;
    assert_eq!(failed.status, UploadStatus::Failed);
    let message = failed.error_message.unwrap();
    assert!(
        message.contains("Part 1 is 3 bytes") && message.contains("minimum part size"),
        "{message}"
    );
    assert!(failed.entity_id.is_none());

    // The parts do not add up to fileSize.
    let upload = api.create_multipart("image", &content(10), 5).await;
    api.put(&upload.parts[0].url, content(5)).await;
    api.put(&upload.parts[1].url, content(4)).await;
    api.complete_ok(&upload.id).await;
    let failed = api.wait(&upload.id).await;
    assert_eq!(failed.status, UploadStatus::Failed);
    let message = failed.error_message.unwrap();
    assert!(
        message.contains("add up to 9 bytes but fileSize is 10"),
        "{message}"
    );

    // A short last part is fine.
    let upload = api.create_multipart("image", &content(9), 4).await;
    api.put_all(&upload, &content(9), 4).await;
    api.complete_ok(&upload.id).await;
    assert_eq!(api.wait(&upload.id).await.status, UploadStatus::Complete);
    assert_eq!(api.server.asset_count(), 11);
    let statuses: Vec<UploadStatus> = api.server.uploads().into_iter().map(|u| u.status).collect();
    assert_eq!(
        statuses,
        [
            UploadStatus::Failed,
            UploadStatus::Failed,
            UploadStatus::Complete
        ]
    );
}

#[tokio::test]
async fn imports_end_imported_or_failed() {
    let api = Api::with(quick()).await;
    let url_import = api
        .create(
            json!({"url": "https://example.com/art/castle.png?x=1", "kind": "image",
                       "assetOptions": {"collectionIds": ["coll_z"]}}),
        )
        .await;
    assert_eq!(url_import.status, UploadStatus::Pending);
    assert_eq!(url_import.source, UploadSource::Url);
    assert_eq!(url_import.file_name, "castle.png");
    assert!(url_import.parts.is_empty() && url_import.parts_count.is_none());
    let model_url = api
        .create(json!({"url": "http://example.com/weights.safetensors", "kind": "model"}))
        .await;
    let hugging_face = api
        .create(json!({"huggingFaceModelName": "stabilityai/stable-diffusion-xl-base-1.0"}))
        .await;
    assert_eq!(hugging_face.source, UploadSource::Huggingface);
    assert_eq!(hugging_face.provider, Some(UploadProvider::Huggingface));
    assert_eq!(hugging_face.kind, UploadKind::Model);
    let civitai = api
        .create(json!({"civitaiModelUrl": "https://civitai.com/models/370194/translucent?modelVersionId=413566"}))
        .await;
    assert_eq!(civitai.source, UploadSource::Civitai);
    assert_eq!(civitai.provider, Some(UploadProvider::Civitai));

    // Imports finish on their own: completing one is an error.
    let message = api_error(api.complete(&url_import.id).await, 400).await;
    assert!(message.contains("import"), "{message}");

    let imported = api.wait(&url_import.id).await;
    assert_eq!(imported.status, UploadStatus::Imported);
    let asset = api.server.asset(&imported.entity_id.unwrap()).unwrap();
    assert_eq!(asset.kind, AssetKind::Image);
    assert_eq!(asset.mime_type, "image/png");
    assert_eq!(asset.collection_ids, ["coll_z"]);
    for upload in [&model_url, &hugging_face, &civitai] {
        let done = api.wait(&upload.id).await;
        assert_eq!(done.status, UploadStatus::Imported);
        assert!(done.entity_id.unwrap().starts_with("model_"));
    }

    let failures = [
        (
            json!({"url": "ftp://example.com/a.png", "kind": "image"}),
            "only http and https",
        ),
        (
            json!({"url": "not a url", "kind": "image"}),
            "only http and https",
        ),
        (
            json!({"huggingFaceModelName": "just-a-name"}),
            "owner/model",
        ),
        (
            json!({"civitaiModelUrl": "https://example.com/models/1"}),
            "civitai.com",
        ),
    ];
    for (body, expected) in failures {
        let upload = api.create(body.clone()).await;
        assert_eq!(upload.status, UploadStatus::Pending);
        let failed = api.wait(&upload.id).await;
        assert_eq!(failed.status, UploadStatus::Failed, "{body}");
        assert!(failed.error_message.unwrap().contains(expected), "{body}");
        assert!(failed.entity_id.is_none());
    }
    assert_eq!(api.server.asset_count(), 11);
}

#[tokio::test]
async fn get_refreshes_expired_part_urls() {
    let api = Api::with(quick()).await;
    let bytes = content(8);
    let upload = api.create_multipart("image", &bytes, 4).await;
    assert_eq!(
        api.put(&upload.parts[0].url, bytes[..4].to_vec())
            .await
            .status(),
        200
    );

    api.server.advance_clock(Duration::from_secs(16 * 60));
    let expired = api.put(&upload.parts[1].url, bytes[4..].to_vec()).await;
    assert_eq!(
        s3_error(expired, 403).await,
        ("AccessDenied".into(), "Request has expired".into())
    );

    let refreshed = api.get_upload(&upload.id).await;
    assert_eq!(refreshed.status, UploadStatus::Pending);
    assert_eq!(refreshed.parts.len(), 2);
    assert!(refreshed.parts[1].expires > upload.parts[1].expires);
    assert_ne!(refreshed.parts[1].url, upload.parts[1].url);
    assert_eq!(
        api.put(&refreshed.parts[1].url, bytes[4..].to_vec())
            .await
            .status(),
        200
    );
    api.complete_ok(&upload.id).await;
    assert_eq!(api.wait(&upload.id).await.status, UploadStatus::Complete);
    assert_eq!(
        api.server.upload_receipt(&upload.id).unwrap().bytes(),
        Some(bytes.as_slice())
    );
}

#[tokio::test]
async fn uploads_default_to_s3_part_sizes() {
    // 5 MiB minimum by default: a 6 MiB file in two parts of 3 MiB fails.
    let api = Api::with(
        MockServer::builder()
            .assets(0)
            .validation_delay(Duration::ZERO),
    )
    .await;
    let bytes = content(6 * 1024 * 1024);
    let upload = api.create_multipart("image", &bytes, 3 * 1024 * 1024).await;
    api.put_all(&upload, &bytes, 3 * 1024 * 1024).await;
    api.complete_ok(&upload.id).await;
    let failed = api.wait(&upload.id).await;
    assert!(failed.error_message.unwrap().contains("5242880"));
    // A 5 MiB first part passes.
    let upload = api.create_multipart("image", &bytes, 5 * 1024 * 1024).await;
    api.put_all(&upload, &bytes, 5 * 1024 * 1024).await;
    api.complete_ok(&upload.id).await;
    assert_eq!(api.wait(&upload.id).await.status, UploadStatus::Complete);
    let receipt = api.server.upload_receipt(&upload.id).unwrap();
    assert_eq!(receipt.sha256(), Some(sha256_hex(&bytes).as_str()));
}
