//! Hostile and unexpected responses: proxies' HTML pages, broken or oversized
//! bodies, wrong content types, redirects to other hosts, newer or missing
//! fields, servers that hang or hang up. Each must end in a typed error or a
//! correct value within a bounded time: never a panic, never a hang.
//! (tests/client.rs covers the 502 HTML page with retries, a wrong JSON shape,
//! a 33 MiB body with a Content-Length and a same-host redirect.)

use std::future::Future;
use std::time::Duration;

use futures::TryStreamExt;
use scenario_sdk::types::{AssetKind, AssetStatus, UploadKind};
use scenario_sdk::{Client, Error, Page};
use scenario_testkit::{Reply, ScriptedServer, fast_retries, listing, seed_asset};

/// A client of `server` that retries once, quickly, and gives up on a request
/// after 5 s.
fn client(server: &ScriptedServer) -> Client {
    server
        .client_builder()
        .timeout(Duration::from_secs(5))
        .retry_policy(fast_retries().with_max_retries(1))
        .build()
        .unwrap()
}

/// Runs `f` with a deadline: a hang fails the test instead of stalling CI.
async fn bounded<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .expect("the SDK hung instead of answering")
}

/// The first page of the listing; an error is the listing's cause (it resumes
/// from the start: the first page failed).
async fn first_page(client: &Client) -> Result<Option<Page<scenario_sdk::types::Asset>>, Error> {
    bounded(client.assets().list().prefetch(0).pages().try_next())
        .await
        .map_err(|err| {
            assert_eq!(err.resume_token(), Some(None), "{err:?}");
            err.into_cause()
        })
}

const HTML: &str = "<!DOCTYPE html><html><head><title>Service Unavailable</title></head>\
                    <body><h1>Our proxy is having a bad day</h1></body></html>";

#[tokio::test]
async fn an_html_page_with_200_is_a_decode_error_not_a_panic() {
    let server = ScriptedServer::start(vec![Reply::new(200, "text/html", HTML)]).await;
    let err = first_page(&client(&server)).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(err.request_id(), Some("scripted_0"), "{err:?}");
    assert_eq!(server.requests().len(), 1, "a decode error is not retried");
}

#[tokio::test]
async fn an_html_page_with_a_5xx_is_an_api_error_with_its_title() {
    let server = ScriptedServer::start(vec![Reply::new(500, "text/html", HTML)]).await;
    let err = first_page(&client(&server)).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500), "{err:?}");
    assert!(err.is_server_error() && err.is_retryable(), "{err:?}");
    assert!(err.to_string().contains("Service Unavailable"), "{err}");
    assert!(!err.to_string().contains("<html"), "{err}");
    assert_eq!(server.requests().len(), 2, "retried once");
}

#[tokio::test]
async fn truncated_json_on_200_is_a_decode_error() {
    let body = listing(vec![seed_asset()], serde_json::json!({}));
    let cut = body[..body.len() / 2].to_owned();
    let server = ScriptedServer::start(vec![Reply::new(200, "application/json", cut)]).await;
    let err = first_page(&client(&server)).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("does not match"), "{err}");
}

#[tokio::test]
async fn an_empty_200_is_a_decode_error() {
    let server =
        ScriptedServer::start(vec![Reply::new(200, "application/json", String::new())]).await;
    let err = first_page(&client(&server)).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn valid_json_labelled_text_plain_is_decoded() {
    let body = listing(vec![seed_asset()], serde_json::json!({}));
    let server = ScriptedServer::start(vec![Reply::new(200, "text/plain", body)]).await;
    let page = first_page(&client(&server)).await.unwrap().unwrap();
    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn garbage_labelled_text_plain_is_a_decode_error() {
    let server = ScriptedServer::start(vec![Reply::new(
        200,
        "text/plain",
        "\u{0}\u{1}garbage \u{fffd}",
    )])
    .await;
    let err = first_page(&client(&server)).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn a_huge_chunked_body_without_length_is_refused() {
    // 40 MiB in 64 KiB chunks, no Content-Length: the limit (32 MiB) must cut it.
    let server = ScriptedServer::start(vec![Reply::Chunked {
        chunks: 640,
        size: 64 * 1024,
    }])
    .await;
    let err = first_page(&client(&server)).await.unwrap_err();
    assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err:?}");
}

/// A second server, answering an empty listing, that records whether a
/// request carried Authorization.
async fn elsewhere() -> ScriptedServer {
    ScriptedServer::start(vec![Reply::json(r#"{"assets": []}"#)]).await
}

fn redirect_to(location: &str) -> Reply {
    Reply::Raw(
        format!("HTTP/1.1 302 Found\r\nlocation: {location}/assets\r\ncontent-length: 0\r\n\r\n")
            .into_bytes(),
    )
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed() {
    let other = elsewhere().await;
    let server = ScriptedServer::start(vec![redirect_to(other.url())]).await;
    let err = first_page(&client(&server)).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(302), "{err:?}");
    assert!(err.to_string().contains("redirect"), "{err}");
    assert!(other.requests().is_empty());
}

#[tokio::test]
async fn with_the_callers_http_client_a_redirect_never_carries_authorization() {
    // The caller's client follows redirects (reqwest's default): the other host
    // must not receive the credentials.
    let other = elsewhere().await;
    let server = ScriptedServer::start(vec![redirect_to(other.url())]).await;
    let client = server
        .client_builder()
        .http_client(scenario_testkit::plain_http())
        .max_retries(0)
        .build()
        .unwrap();
    let _ = first_page(&client).await;
    assert!(
        server.requests()[0]
            .head
            .to_ascii_lowercase()
            .contains("authorization: basic"),
        "the API itself gets the credentials"
    );
    for request in other.requests() {
        assert!(
            !request.head.to_ascii_lowercase().contains("authorization"),
            "credentials followed the redirect: {}",
            request.head
        );
    }
}

#[tokio::test]
async fn unknown_enum_values_and_fields_decode() {
    let mut asset = seed_asset();
    asset["kind"] = "hologram".into();
    asset["status"] = "teleporting".into();
    asset["brandNewField"] = serde_json::json!({"nested": [1, 2, 3]});
    asset["metadata"]["anotherNewField"] = true.into();
    let body = listing(
        vec![asset],
        serde_json::json!({"nextPaginationToken": null, "totalCount": 12}),
    );
    let server = ScriptedServer::start(vec![Reply::new(200, "application/json", body)]).await;
    let page = first_page(&client(&server)).await.unwrap().unwrap();
    let asset = &page.items[0];
    assert!(matches!(&asset.kind, AssetKind::Unrecognized(v) if v == "hologram"));
    assert!(matches!(&asset.status, AssetStatus::Unrecognized(v) if v == "teleporting"));
    assert_eq!(asset.kind.as_str(), "hologram");
    assert_eq!(page.next_token, None);
}

#[tokio::test]
async fn missing_optional_fields_and_nulls_where_optional_decode() {
    let mut full = seed_asset();
    let object = full.as_object_mut().unwrap();
    // Every optional field of Asset: absent in one asset, null in the other.
    let optional = [
        "automaticCaptioning",
        "description",
        "firstFrame",
        "isHidden",
        "lastFrame",
        "originalFileUrl",
        "outputIndex",
        "preview",
        "thumbnail",
        "embedding",
        "nsfw",
    ];
    let mut absent = serde_json::Value::Object(object.clone());
    let mut nulls = serde_json::Value::Object(object.clone());
    for field in optional {
        absent.as_object_mut().unwrap().remove(field);
        if !matches!(field, "embedding" | "nsfw") {
            nulls[field] = serde_json::Value::Null;
        }
    }
    let body = listing(
        vec![absent, nulls],
        serde_json::json!({"nextPaginationToken": null}),
    );
    let server = ScriptedServer::start(vec![Reply::new(200, "application/json", body)]).await;
    let page = first_page(&client(&server)).await.unwrap().unwrap();
    assert_eq!(page.items.len(), 2);
    assert!(page.items.iter().all(|a| a.thumbnail.is_none()));
    assert_eq!(page.next_token, None);
    assert_eq!(server.requests().len(), 1, "a null token ends the listing");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = ScriptedServer::start(vec![Reply::Silent]).await;
    let client = client(&server).with_timeout(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let err = first_page(&client).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(server.requests().len(), 2, "the timeout is retried once");
}

#[tokio::test]
async fn a_server_that_closes_mid_headers_is_a_connection_error() {
    let server = ScriptedServer::start(vec![Reply::Raw(
        b"HTTP/1.1 200 OK\r\ncontent-type: appl".to_vec(),
    )])
    .await;
    let err = first_page(&client(&server)).await.unwrap_err();
    assert!(err.is_connection(), "{err:?}");
    assert_eq!(server.requests().len(), 2, "retried once");
}

#[tokio::test]
async fn a_server_that_hangs_up_at_once_is_a_connection_error() {
    let server = ScriptedServer::start(vec![Reply::Hangup]).await;
    let err = first_page(&client(&server)).await.unwrap_err();
    assert!(err.is_connection() && err.is_retryable(), "{err:?}");
}

#[tokio::test]
async fn a_body_shorter_than_its_length_is_an_error() {
    let server = ScriptedServer::start(vec![Reply::Raw(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"assets\": ["
            .to_vec(),
    )])
    .await;
    let err = first_page(&client(&server)).await.unwrap_err();
    assert!(err.is_connection(), "{err:?}");
}

#[tokio::test]
async fn an_absurd_retry_after_falls_back_to_backoff() {
    let rate_limited = |value: &str| {
        Reply::Raw(
            format!(
                "HTTP/1.1 429 Too Many Requests\r\n{value}\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{{}}"
            )
            .into_bytes(),
        )
    };
    let server = ScriptedServer::start(vec![
        rate_limited("retry-after-ms: 1e300"),
        rate_limited("retry-after: 99999999999999999999"),
        rate_limited("retry-after: NaN"),
        rate_limited("retry-after: -5"),
        Reply::new(200, "application/json", r#"{"assets": []}"#),
    ])
    .await;
    let client = client(&server).with_max_retries(4);
    let started = std::time::Instant::now();
    let page = first_page(&client).await.unwrap().unwrap();
    assert!(page.items.is_empty());
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn an_upload_whose_part_urls_are_not_http_is_refused_before_any_part() {
    // The create answer points the parts at a file:// URL: nothing may be sent there.
    let upload = serde_json::json!({"upload": {
        "id": "up_1", "status": "pending", "kind": "image", "fileName": "a.png",
        "fileSize": 3, "parts": [{"number": 1, "url": "file:///etc/passwd"}],
        "authorId": "a", "ownerId": "o", "createdAt": "x", "updatedAt": "x",
        "source": "multipart", "contentType": "image/png", "provider": "s3"
    }});
    let server = ScriptedServer::start(vec![Reply::new(
        200,
        "application/json",
        upload.to_string(),
    )])
    .await;
    let result = bounded(
        server
            .client()
            .uploads()
            .upload_bytes(&b"abc"[..], "a.png", UploadKind::Image)
            .send(),
    )
    .await;
    let err = result.unwrap_err();
    assert!(
        matches!(err.cause(), Error::Decode { .. } | Error::InvalidInput(_)),
        "{err:?}"
    );
    assert!(err.to_string().contains("not an http(s) URL"), "{err}");
    assert_eq!(
        server.requests().len(),
        1,
        "no complete after a refused part URL"
    );
}
