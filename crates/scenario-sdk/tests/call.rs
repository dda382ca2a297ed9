//! `Client::call`: any operation picked by its id at run time, with its
//! parameters and body as text, sent through the SDK's retries and errors.

use scenario_mock::{Fault, FaultRule, MockServer, OperationId};
use scenario_sdk::Error;
use scenario_testkit::start_mock;

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).expect("the body is JSON")
}

fn invalid(err: Error) -> String {
    match err {
        Error::InvalidInput(why) => why,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[tokio::test]
async fn a_listing_takes_query_params_and_a_get_takes_a_path_param() {
    let (server, client) = start_mock(MockServer::builder().assets(12)).await;
    let page = client
        .call("listAssets")
        .unwrap()
        .param("pageSize", "5")
        .send()
        .await
        .unwrap();
    assert!(page.status.is_success());
    assert!(page.request_id.is_some());
    let page = json(&page.value);
    let assets = page["assets"].as_array().unwrap();
    assert_eq!(assets.len(), 5);

    let id = assets[0]["id"].as_str().unwrap();
    let asset = client
        .call("getAsset")
        .unwrap()
        .param("assetId", id)
        .send()
        .await
        .unwrap();
    assert_eq!(json(&asset.value)["asset"]["id"], id);
    assert_eq!(server.request_count(OperationId::GetAsset), 1);
}

#[tokio::test]
async fn a_post_sends_its_body_and_is_not_retried_after_a_502() {
    let (server, client) = start_mock(MockServer::builder()).await;
    let body = br#"{"fileName":"hero.png","contentType":"image/png","fileSize":3,"kind":"image","parts":1}"#;
    let created = client
        .call("createUpload")
        .unwrap()
        .body(&body[..])
        .send()
        .await
        .unwrap();
    let upload = json(&created.value);
    assert_eq!(upload["upload"]["fileName"], "hero.png");
    assert_eq!(server.uploads().len(), 1);

    server.inject(FaultRule::new(
        OperationId::CreateUpload,
        Fault::Status(502),
    ));
    let err = client
        .call("createUpload")
        .unwrap()
        .body(&body[..])
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502), "{err:?}");
    assert_eq!(
        server.request_count(OperationId::CreateUpload),
        2,
        "not sent again"
    );

    // A read is retried, as a typed request is.
    server.inject(FaultRule::new(OperationId::ListAssets, Fault::Status(503)));
    client.call("listAssets").unwrap().send().await.unwrap();
    assert_eq!(server.request_count(OperationId::ListAssets), 2);
}

#[tokio::test]
async fn a_missing_asset_is_the_sdks_not_found_error() {
    let (_server, client) = start_mock(MockServer::builder()).await;
    let err = client
        .call("getAsset")
        .unwrap()
        .param("assetId", "asset_missing")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.request_id().is_some(), "{err:?}");
}

#[tokio::test]
async fn mistakes_in_the_call_are_refused_before_sending() {
    let (server, client) = start_mock(MockServer::builder()).await;
    let why = invalid(client.call("getAssetz").unwrap_err());
    assert!(
        why.contains("getAssetz") && why.contains("scenario api"),
        "{why}"
    );

    let why = invalid(client.call("getAsset").unwrap().send().await.unwrap_err());
    assert!(why.contains("`assetId`"), "{why}");

    // A path parameter stays one segment of the path.
    let call = client.call("getAsset").unwrap().param("assetId", "..");
    let why = invalid(call.send().await.unwrap_err());
    assert!(why.contains("assetId"), "{why}");

    let call = client.call("listAssets").unwrap().param("pageSise", "5");
    let why = invalid(call.send().await.unwrap_err());
    assert!(
        why.contains("pageSise") && why.contains("pageSize"),
        "{why}"
    );

    let call = client.call("listAssets").unwrap().param("pageSize", "0");
    let why = invalid(call.send().await.unwrap_err());
    assert!(why.contains("pageSize"), "{why}");

    let call = client.call("createCollection").unwrap().body(&b"{}"[..]);
    let why = invalid(call.send().await.unwrap_err());
    assert!(why.contains("missing field `name`"), "{why}");

    let call = client.call("createUpload").unwrap().body(&b"{not json"[..]);
    assert!(invalid(call.send().await.unwrap_err()).contains("createUpload"));

    let why = invalid(
        client
            .call("createUpload")
            .unwrap()
            .send()
            .await
            .unwrap_err(),
    );
    assert!(why.contains("needs a request body"), "{why}");

    let call = client.call("listAssets").unwrap().body(&b"{}"[..]);
    assert!(invalid(call.send().await.unwrap_err()).contains("takes no request body"));

    assert_eq!(server.request_count(OperationId::CreateUpload), 0);
    assert_eq!(server.request_count(OperationId::ListAssets), 0);
}
