//! Starting, sharing and stopping a server.

mod common;

use std::time::Duration;

use common::Api;
use scenario_mock::{MockServer, OperationId};

async fn free_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn ports_and_settings_can_be_chosen() {
    let (api_port, storage_port) = (free_port().await, free_port().await);
    let server = MockServer::builder()
        .api_port(api_port)
        .storage_port(storage_port)
        .credentials("key", "secret")
        .start()
        .await
        .unwrap();
    assert_eq!(server.base_url(), format!("http://127.0.0.1:{api_port}/v1"));
    assert_eq!(
        server.storage_url(),
        format!("http://127.0.0.1:{storage_port}")
    );
    assert_eq!(
        server.env_lines(),
        format!(
            "SCENARIO_BASE_URL=http://127.0.0.1:{api_port}/v1\nSCENARIO_SDK_API_KEY=key\nSCENARIO_SDK_API_SECRET=secret\n"
        )
    );
    // A taken port is an error, not a panic.
    let taken = MockServer::builder().api_port(api_port).start().await;
    assert!(taken.is_err());
    let defaults = MockServer::start().await;
    assert_eq!(defaults.api_key(), scenario_mock::DEFAULT_API_KEY);
    assert_eq!(defaults.api_secret(), scenario_mock::DEFAULT_API_SECRET);
}

#[tokio::test]
async fn clones_share_the_server_and_shutdown_stops_it() {
    let api = Api::with(MockServer::builder().assets(5)).await;
    let clone = api.server.clone();
    assert_eq!(api.get("/assets").send().await.unwrap().status(), 200);
    assert_eq!(clone.request_count(OperationId::ListAssets), 1);
    let base_url = api.server.base_url();
    clone.shutdown().await;
    let refused = scenario_testkit::plain_http()
        .get(format!("{base_url}/assets"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn dropping_the_last_handle_stops_the_server() {
    let server = MockServer::builder().assets(1).start().await.unwrap();
    let url = format!("{}/assets", server.base_url());
    drop(server);
    let mut refused = false;
    for _ in 0..50 {
        let attempt = scenario_testkit::plain_http()
            .get(&url)
            .timeout(Duration::from_secs(1))
            .send()
            .await;
        if attempt.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "the listener closed");
}
