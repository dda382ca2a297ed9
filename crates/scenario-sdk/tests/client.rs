//! The client against the fake API: configuration, errors, retries, timeouts and
//! hostile responses.

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use scenario_mock::{Fault, FaultRule, MockServer, OperationId};
use scenario_sdk::{Client, Error};
use scenario_testkit::{
    LogCapture, Reply, ScriptedServer, fast_retries, mock_client, mock_client_builder, start_mock,
};

#[test]
fn missing_credentials_name_the_environment_variables() {
    let err = Client::builder().build().unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("SCENARIO_SDK_API_KEY") && msg.contains("SCENARIO_SDK_API_SECRET"),
        "{msg}"
    );
    assert!(matches!(err, Error::InvalidInput(_)));
}

#[test]
fn a_base_url_that_is_not_http_is_rejected_with_an_example() {
    for bad in [
        "not a url",
        "ftp://example.com/v1",
        "mailto:someone@example.com",
    ] {
        let err = Client::builder()
            .api_key("k")
            .api_secret("s")
            .base_url(bad)
            .build()
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("https://api.cloud.scenario.com/v1"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn debug_output_never_shows_the_secret() {
    let builder = Client::builder()
        .api_key("key-123")
        .api_secret("very-secret-value");
    assert!(!format!("{builder:?}").contains("very-secret-value"));
    let client = builder.build().unwrap();
    let debug = format!("{client:?} {:?}", client.assets().list());
    assert!(!debug.contains("very-secret-value"), "{debug}");
    assert!(
        debug.contains("key-123"),
        "the key helps tell clients apart: {debug}"
    );
}

#[test]
fn clients_are_cheap_to_clone_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    fn assert_clone<T: Clone>() {}
    assert_send_sync::<Client>();
    assert_clone::<Client>();
    assert_send_sync::<Error>();
}

#[tokio::test]
async fn wrong_credentials_are_an_auth_error_with_the_request_id() {
    let server = MockServer::start().await;
    let client = mock_client_builder(&server)
        .api_secret("wrong")
        .build()
        .unwrap();
    let err = client.assets().list().pages().try_next().await.unwrap_err();
    assert!(err.is_auth(), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert!(err.request_id().is_some(), "{err:?}");
    assert!(
        err.to_string().contains("SCENARIO_SDK_API_SECRET"),
        "says what to check: {err}"
    );
    assert!(
        !err.to_string().contains("wrong"),
        "never echoes the secret: {err}"
    );
    assert_eq!(
        server.request_count(OperationId::ListAssets),
        1,
        "401 is not retried"
    );
}

#[tokio::test]
async fn server_errors_are_retried_up_to_max_retries() {
    let (server, client) = start_mock(MockServer::builder()).await;
    server.inject(FaultRule::new(OperationId::ListAssets, Fault::Status(503)).times(2));
    let page = client
        .assets()
        .list()
        .page_size(5)
        .first_page()
        .await
        .unwrap();
    assert_eq!(page.items.len(), 5);
    assert_eq!(
        server.request_count(OperationId::ListAssets),
        3,
        "two failures, then success"
    );

    server.inject(FaultRule::new(OperationId::ListAssets, Fault::Status(500)).times(2));
    let err = client
        .with_max_retries(1)
        .assets()
        .list()
        .pages()
        .try_next()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert!(err.is_server_error() && err.is_retryable());
    assert_eq!(
        server.request_count(OperationId::ListAssets),
        5,
        "one attempt and one retry"
    );
}

#[tokio::test]
async fn client_errors_are_never_retried() {
    let (server, client) = start_mock(MockServer::builder()).await;
    server.inject(FaultRule::new(OperationId::ListAssets, Fault::Status(400)));
    let err = client.assets().list().pages().try_next().await.unwrap_err();
    assert!(err.is_bad_request(), "{err:?}");
    assert!(!err.to_string().is_empty());
    assert_eq!(server.request_count(OperationId::ListAssets), 1);
}

#[tokio::test]
async fn an_out_of_range_page_size_fails_before_any_request() {
    let (server, client) = start_mock(MockServer::builder()).await;
    for size in [0, 101] {
        let err = client
            .assets()
            .list()
            .page_size(size)
            .pages()
            .try_next()
            .await
            .unwrap_err()
            .into_cause();
        assert!(
            matches!(err, Error::InvalidInput(ref m) if m.contains("between 1 and 100")),
            "{err:?}"
        );
    }
    assert_eq!(server.request_count(OperationId::ListAssets), 0);
}

#[tokio::test]
async fn retry_after_from_the_server_is_honoured() {
    let (server, client) = start_mock(MockServer::builder()).await;
    server.inject(FaultRule::new(
        OperationId::ListAssets,
        Fault::RateLimited {
            retry_after: Duration::from_millis(400),
        },
    ));
    let started = Instant::now();
    client.assets().list().first_page().await.unwrap();
    // The policy's own backoff is 10 ms: only the server's hint explains the wait.
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(server.request_count(OperationId::ListAssets), 2);
}

#[tokio::test]
async fn rate_limits_that_outlast_the_retries_are_reported_as_such() {
    let server = MockServer::start().await;
    let client = mock_client(&server).with_max_retries(0);
    server.inject(FaultRule::new(
        OperationId::ListAssets,
        Fault::RateLimited {
            retry_after: Duration::from_millis(10),
        },
    ));
    let err = client.assets().list().pages().try_next().await.unwrap_err();
    assert!(err.is_rate_limited(), "{err:?}");
}

#[tokio::test]
async fn dropped_connections_and_truncated_bodies_are_retried() {
    let (server, client) = start_mock(MockServer::builder()).await;
    server.inject(FaultRule::new(OperationId::ListAssets, Fault::Drop));
    server.inject(FaultRule::new(OperationId::ListAssets, Fault::Truncate));
    let page = client
        .assets()
        .list()
        .page_size(3)
        .first_page()
        .await
        .unwrap();
    assert_eq!(page.items.len(), 3);
    assert_eq!(server.request_count(OperationId::ListAssets), 3);

    server.inject(FaultRule::new(OperationId::ListAssets, Fault::Drop).times(3));
    let err = client.assets().list().pages().try_next().await.unwrap_err();
    assert!(err.is_connection() && err.is_retryable(), "{err:?}");
}

#[tokio::test]
async fn a_slow_server_times_out_with_a_timeout_error() {
    let server = MockServer::start().await;
    let client = mock_client(&server)
        .with_timeout(Duration::from_millis(200))
        .with_max_retries(0);
    server.inject(FaultRule::new(
        OperationId::ListAssets,
        Fault::Delay(Duration::from_secs(3)),
    ));
    let err = client.assets().list().pages().try_next().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[tokio::test]
async fn an_html_error_page_from_a_proxy_keeps_its_status_and_is_retried() {
    let html =
        "<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>";
    let server = ScriptedServer::start(vec![Reply::new(502, "text/html", html); 3]).await;
    let client = server
        .client()
        .with_retry_policy(fast_retries().with_max_retries(2));
    let err = client.assets().list().pages().try_next().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502), "{err:?}");
    assert!(err.to_string().contains("502 Bad Gateway"), "{err}");
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn a_success_with_a_body_that_is_not_the_documented_json_is_a_decode_error() {
    let server = ScriptedServer::start(vec![Reply::json(r#"{"assets": "nope"}"#)]).await;
    let err = server
        .client()
        .assets()
        .list()
        .pages()
        .try_next()
        .await
        .unwrap_err()
        .into_cause();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(server.hits(), 1, "a decode error is not retried");
}

#[tokio::test]
async fn a_huge_body_is_refused_not_buffered() {
    let huge = format!(
        r#"{{"assets": [], "pad": "{}"}}"#,
        "x".repeat(33 * 1024 * 1024)
    );
    let server = ScriptedServer::start(vec![Reply::json(huge)]).await;
    let err = server
        .client()
        .assets()
        .list()
        .pages()
        .try_next()
        .await
        .unwrap_err()
        .into_cause();
    assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err:?}");
}

#[tokio::test]
async fn redirects_are_not_followed_and_credentials_stay_home() {
    let server = ScriptedServer::start(vec![
        Reply::new(302, "text/plain", "").header("location", "http://127.0.0.1:9/elsewhere"),
    ])
    .await;
    let err = server
        .client()
        .assets()
        .list()
        .pages()
        .try_next()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(302));
    assert!(err.to_string().contains("redirect"), "{err}");
}

#[tokio::test]
async fn requests_carry_basic_auth_and_a_user_agent() {
    let server = ScriptedServer::start(vec![Reply::json(r#"{"assets": []}"#)]).await;
    server
        .client()
        .assets()
        .list()
        .pages()
        .try_next()
        .await
        .unwrap();
    let request = server.requests().pop().unwrap();
    // base64("key:secret")
    assert_eq!(
        request.header("authorization").unwrap(),
        "Basic a2V5OnNlY3JldA=="
    );
    assert!(
        request
            .header("user-agent")
            .unwrap()
            .starts_with("scenario-rs/")
    );
    // The document declares no api-version header, and the official SDKs send none.
    assert_eq!(request.header("api-version"), None);
}

#[tokio::test]
async fn tracing_output_shows_requests_and_retries_but_never_credentials() {
    let capture = LogCapture::default();
    let _guard = tracing::subscriber::set_default(capture.subscriber("trace"));

    let (server, client) = start_mock(MockServer::builder()).await;
    server.inject(FaultRule::new(OperationId::ListAssets, Fault::Status(503)));
    client
        .assets()
        .list()
        .page_size(2)
        .prefetch(0)
        .pages()
        .try_next()
        .await
        .unwrap();

    let logs = capture.text();
    assert!(
        logs.contains("scenario_request") && logs.contains("listAssets"),
        "{logs}"
    );
    assert!(logs.contains("retrying") && logs.contains("503"), "{logs}");
    assert!(
        logs.contains("req_") || logs.contains("request_id"),
        "request ids are logged: {logs}"
    );
    let basic = base64_basic(server.api_key(), server.api_secret());
    assert!(!logs.contains(server.api_secret()), "{logs}");
    assert!(!logs.contains(&basic), "{logs}");
}

fn base64_basic(key: &str, secret: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"))
}

#[tokio::test]
async fn every_failure_has_one_kind_to_match_on() {
    use scenario_mock::{Fault, FaultRule, OperationId};
    use scenario_sdk::ErrorKind;

    let (server, client) = scenario_testkit::start_mock(scenario_mock::MockServer::builder()).await;
    let missing = client
        .request(scenario_sdk::ops::GetAsset::new("asset_nope"))
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing:?}");

    let wrong = scenario_sdk::Client::builder()
        .base_url(server.base_url())
        .api_key("key")
        .api_secret("wrong")
        .build()
        .unwrap();
    let refused = wrong
        .request(scenario_sdk::ops::GetAsset::new("asset_nope"))
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Auth, "{refused:?}");

    server.inject(FaultRule::new(OperationId::GetAsset, Fault::Status(503)).times(10));
    let failing = client
        .request(scenario_sdk::ops::GetAsset::new("asset_nope"))
        .await
        .unwrap_err();
    assert_eq!(failing.kind(), ErrorKind::Server, "{failing:?}");
    server.clear_faults();

    let invalid = client.jobs().wait(" ").await.unwrap_err();
    assert_eq!(invalid.kind(), ErrorKind::InvalidInput, "{invalid:?}");

    let dir = tempfile::tempdir().unwrap();
    let vanished = client
        .uploads()
        .upload_file(
            dir.path().join("gone.png"),
            scenario_sdk::types::UploadKind::Image,
        )
        .await
        .unwrap_err();
    assert_eq!(vanished.kind(), ErrorKind::Local, "{vanished:?}");
}
