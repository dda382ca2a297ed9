//! Every operation of the document through the SDK: `Client::request` with the
//! generated operation types, `Client::raw` with progenitor's client, and the
//! retry class each operation gets.

use futures::StreamExt;
use scenario_mock::{Fault, FaultRule, MockServer, OperationId};
use scenario_sdk::types::{UploadCreateRequest, UploadKind, UploadStatus};
use scenario_sdk::{Error, ops};
use scenario_testkit::{start_mock, upload_mock};

fn small_upload() -> UploadCreateRequest {
    serde_json::from_value(serde_json::json!({
        "fileName": "hero.png",
        "contentType": "image/png",
        "fileSize": 3,
        "kind": "image",
        "parts": 1,
    }))
    .unwrap()
}

#[tokio::test]
async fn any_operation_is_callable_with_its_generated_type() {
    let (server, client) = start_mock(MockServer::builder().assets(12)).await;
    let page = client
        .request(ops::ListAssets::new().page_size(5))
        .send_with_details()
        .await
        .unwrap();
    assert_eq!(page.value.assets.len(), 5);
    assert!(page.request_id.is_some());

    let created = client
        .request(ops::CreateUpload::new(small_upload()))
        .await
        .unwrap()
        .upload;
    let fetched = client
        .request(ops::GetUpload::new(created.id.clone()))
        .await
        .unwrap()
        .upload;
    assert_eq!(fetched.id, created.id);
    assert_eq!(fetched.status, UploadStatus::Pending);
    assert_eq!(server.request_count(OperationId::GetUpload), 1);
}

#[tokio::test]
async fn the_raw_client_goes_through_the_sdks_credentials_retries_and_errors() {
    let (server, client) = start_mock(MockServer::builder().assets(3)).await;
    server.inject(FaultRule::new(OperationId::ListAssets, Fault::Status(503)));
    let page = client
        .raw()
        .list_assets()
        .send()
        .await
        .map_err(Error::from)
        .unwrap()
        .into_inner();
    assert_eq!(page.assets.len(), 3);
    assert_eq!(
        server.request_count(OperationId::ListAssets),
        2,
        "the 503 was retried"
    );
    // progenitor adds an api-version header to every request; the document
    // declares none, so it is not sent.
    for request in server.requests() {
        assert!(
            !request.header_names.iter().any(|h| h == "api-version"),
            "{:?}",
            request.header_names
        );
    }

    let err = client
        .raw()
        .get_upload()
        .upload_id("upload_missing")
        .send()
        .await
        .map_err(Error::from)
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.request_id().is_some(), "{err:?}");
}

#[tokio::test]
async fn a_create_is_not_sent_again_after_an_answer_that_may_mean_it_acted() {
    let (server, client) = start_mock(MockServer::builder()).await;
    server.inject(FaultRule::new(
        OperationId::CreateUpload,
        Fault::Status(502),
    ));
    let err = client.uploads().create(small_upload()).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502), "{err:?}");
    assert_eq!(server.request_count(OperationId::CreateUpload), 1);

    // A rate limit is answered before anything happens: that one is retried.
    server.inject(FaultRule::new(
        OperationId::CreateUpload,
        Fault::RateLimited {
            retry_after: std::time::Duration::from_millis(10),
        },
    ));
    client.uploads().create(small_upload()).await.unwrap();
    assert_eq!(server.request_count(OperationId::CreateUpload), 3);
    assert_eq!(server.uploads().len(), 1, "exactly one upload was created");
}

#[tokio::test]
async fn a_complete_whose_answer_was_lost_is_a_success() {
    let (server, client) = start_mock(upload_mock()).await;
    // The first complete acts, then its response breaks off; the retry finds the
    // upload no longer pending.
    server.inject(FaultRule::new(
        OperationId::TriggerUploadAction,
        Fault::Truncate,
    ));
    let upload = client
        .uploads()
        .upload_bytes(b"abc".to_vec(), "hero.png", UploadKind::Image)
        .min_part_size(1)
        .wait(true)
        .await
        .expect("the upload was completed by the first attempt");
    assert_eq!(upload.status, UploadStatus::Complete);
    assert!(upload.entity_id.is_some());
    assert!(server.request_count(OperationId::TriggerUploadAction) >= 2);
    assert_eq!(server.uploads().len(), 1);
}

#[test]
fn a_listing_polled_outside_a_runtime_is_an_error_not_a_panic() {
    let client = scenario_sdk::Client::builder()
        .api_key("k")
        .api_secret("s")
        .base_url("http://127.0.0.1:9/v1")
        .build()
        .unwrap();
    let mut pages = client.assets().list().pages();
    let first = futures::executor::block_on(pages.next()).expect("one item");
    let err = first.unwrap_err();
    assert!(err.to_string().contains("Tokio runtime"), "{err}");
    assert!(futures::executor::block_on(pages.next()).is_none());
}

#[tokio::test]
async fn a_fake_without_part_digests_still_checks_every_part_arrived() {
    let (server, client) = start_mock(upload_mock().part_digests(false)).await;
    let upload = client
        .uploads()
        .upload_bytes(vec![7u8; 3000], "hero.png", UploadKind::Image)
        .min_part_size(1024)
        .part_size(1024)
        .wait(true)
        .await
        .unwrap();
    assert_eq!(upload.status, UploadStatus::Complete);
    let receipt = server.upload_receipt(&upload.id).unwrap();
    assert!(receipt.has_all_parts());
    assert_eq!(receipt.total_bytes, 3000);
    assert!(receipt.parts.iter().all(|p| p.sha256.is_empty()));
    assert_eq!(receipt.bytes(), None, "no bytes are kept without digests");
}

#[tokio::test]
async fn first_page_costs_one_request_and_tells_where_to_go_on() {
    let (server, client) = start_mock(MockServer::builder().assets(30)).await;
    let page = client
        .assets()
        .list()
        .page_size(10)
        .first_page()
        .await
        .unwrap();
    assert_eq!(page.items.len(), 10);
    let token = page.next_token.clone().expect("more pages");
    // Nothing was fetched ahead.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(server.request_count(OperationId::ListAssets), 1);
    let next = client
        .assets()
        .list()
        .page_size(10)
        .pagination_token(token)
        .first_page()
        .await
        .unwrap();
    assert!(
        next.items
            .iter()
            .all(|a| !page.items.iter().any(|b| b.id == a.id))
    );
}

#[tokio::test]
async fn a_complete_that_acted_then_met_another_fault_is_still_a_success() {
    let (server, client) = start_mock(upload_mock()).await;
    // The first complete acts and its answer is lost; the retry meets a 500
    // (not the refusal that would say "already complete").
    server.inject(FaultRule::new(
        OperationId::TriggerUploadAction,
        Fault::ActThenStatus(503),
    ));
    server.inject(FaultRule::new(
        OperationId::TriggerUploadAction,
        Fault::Status(500),
    ));
    let upload = client
        .with_max_retries(1)
        .uploads()
        .upload_bytes(b"abc".to_vec(), "hero.png", UploadKind::Image)
        .min_part_size(1)
        .wait(true)
        .await
        .expect("the service completed the upload");
    assert_eq!(upload.status, UploadStatus::Complete);
    assert_eq!(server.request_count(OperationId::TriggerUploadAction), 2);
}
