//! Hostile and unexpected responses: proxies' HTML pages, broken or oversized
//! bodies, wrong content types, redirects to other hosts, newer or missing
//! fields, servers that hang or hang up. Each must end in a typed error or a
//! correct value within a bounded time: never a panic, never a hang.
//! (tests/client.rs covers the 502 HTML page with retries, a wrong JSON shape,
//! a 33 MiB body with a Content-Length and a same-host redirect.)

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::TryStreamExt;
use scenario_sdk::types::{AssetKind, AssetStatus, UploadKind};
use scenario_sdk::{Client, Error, Page, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the raw server does with a request.
#[derive(Clone)]
enum Reply {
    /// Write these bytes, then close.
    Raw(Vec<u8>),
    /// A response with this status, content type and body (with Content-Length).
    Body(u16, &'static str, String),
    /// A chunked response of `chunks` chunks of `size` bytes, no Content-Length.
    Chunked { chunks: usize, size: usize },
    /// Read the request, never answer (hold the connection).
    Silent,
    /// Close without a byte.
    Hangup,
}

/// A TCP server speaking just enough HTTP/1.1 to misbehave on purpose.
struct RawServer {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
    _task: tokio::task::JoinHandle<()>,
}

impl RawServer {
    /// Answers the n-th request with `script[n]` (the last one repeats).
    async fn start(script: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let seen = seen.clone();
                let script = script.clone();
                held.push(tokio::spawn(serve(stream, seen, script)));
            }
        });
        Self {
            url,
            requests,
            _task: task,
        }
    }

    fn client(&self) -> Client {
        client_for(&self.url)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

async fn serve(mut stream: TcpStream, seen: Arc<Mutex<Vec<String>>>, script: Vec<Reply>) {
    loop {
        // Read one request's head (bodies of our requests are small and come with it).
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let n = {
            let mut seen = seen.lock().unwrap();
            seen.push(String::from_utf8_lossy(&head).into_owned());
            seen.len() - 1
        };
        let reply = script[n.min(script.len() - 1)].clone();
        let bytes = match reply {
            Reply::Raw(bytes) => {
                let _ = stream.write_all(&bytes).await;
                return;
            }
            Reply::Body(status, content_type, body) => format!(
                "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nx-request-id: raw_{n}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
            Reply::Chunked { chunks, size } => {
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("{size:x}\r\n{}\r\n", " ".repeat(size));
                for _ in 0..chunks {
                    if stream.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                }
                b"0\r\n\r\n".to_vec()
            }
            Reply::Silent => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
            Reply::Hangup => return,
        };
        if stream.write_all(&bytes).await.is_err() {
            return;
        }
    }
}

fn client_for(url: &str) -> Client {
    Client::builder()
        .base_url(url)
        .api_key("key")
        .api_secret("secret")
        .timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy {
            max_retries: 1,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
}

/// Runs `f` with a deadline: a hang fails the test instead of stalling CI.
async fn bounded<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .expect("the SDK hung instead of answering")
}

async fn first_page(client: &Client) -> Result<Option<Page<scenario_sdk::types::Asset>>, Error> {
    bounded(client.assets().list().prefetch(0).pages().try_next()).await
}

fn seed_asset() -> serde_json::Value {
    let text = include_str!("../../scenario-api/tests/fixtures/seed_list_assets.json");
    let list: serde_json::Value = serde_json::from_str(text).unwrap();
    list["assets"][0].clone()
}

fn listing(assets: Vec<serde_json::Value>, extra: serde_json::Value) -> String {
    let mut body = serde_json::json!({ "assets": assets });
    if let serde_json::Value::Object(extra) = extra {
        body.as_object_mut().unwrap().extend(extra);
    }
    body.to_string()
}

const HTML: &str = "<!DOCTYPE html><html><head><title>Service Unavailable</title></head>\
                    <body><h1>Our proxy is having a bad day</h1></body></html>";

#[tokio::test]
async fn an_html_page_with_200_is_a_decode_error_not_a_panic() {
    let server = RawServer::start(vec![Reply::Body(200, "text/html", HTML.into())]).await;
    let err = first_page(&server.client()).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(err.request_id(), Some("raw_0"), "{err:?}");
    assert_eq!(server.requests().len(), 1, "a decode error is not retried");
}

#[tokio::test]
async fn an_html_page_with_a_5xx_is_an_api_error_with_its_title() {
    let server = RawServer::start(vec![Reply::Body(500, "text/html", HTML.into())]).await;
    let err = first_page(&server.client()).await.unwrap_err();
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
    let server = RawServer::start(vec![Reply::Body(200, "application/json", cut)]).await;
    let err = first_page(&server.client()).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("does not match"), "{err}");
}

#[tokio::test]
async fn an_empty_200_is_a_decode_error() {
    let server = RawServer::start(vec![Reply::Body(200, "application/json", String::new())]).await;
    let err = first_page(&server.client()).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn valid_json_labelled_text_plain_is_decoded() {
    let body = listing(vec![seed_asset()], serde_json::json!({}));
    let server = RawServer::start(vec![Reply::Body(200, "text/plain", body)]).await;
    let page = first_page(&server.client()).await.unwrap().unwrap();
    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn garbage_labelled_text_plain_is_a_decode_error() {
    let server = RawServer::start(vec![Reply::Body(
        200,
        "text/plain",
        "\u{0}\u{1}garbage \u{fffd}".into(),
    )])
    .await;
    let err = first_page(&server.client()).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn a_huge_chunked_body_without_length_is_refused() {
    // 40 MiB in 64 KiB chunks, no Content-Length: the limit (32 MiB) must cut it.
    let server = RawServer::start(vec![Reply::Chunked {
        chunks: 640,
        size: 64 * 1024,
    }])
    .await;
    let err = first_page(&server.client()).await.unwrap_err();
    assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err:?}");
}

/// A second listener that records whether a request carried Authorization.
async fn elsewhere() -> (String, Arc<Mutex<Vec<String>>>) {
    let server = RawServer::start(vec![Reply::Body(
        200,
        "application/json",
        r#"{"assets": []}"#.into(),
    )])
    .await;
    let url = server.url.clone();
    let requests = server.requests.clone();
    // Keep the listener running for the test's lifetime.
    std::mem::forget(server);
    (url, requests)
}

fn redirect_to(location: &str) -> Reply {
    Reply::Raw(
        format!("HTTP/1.1 302 Found\r\nlocation: {location}/assets\r\ncontent-length: 0\r\n\r\n")
            .into_bytes(),
    )
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed() {
    let (other, other_requests) = elsewhere().await;
    let server = RawServer::start(vec![redirect_to(&other)]).await;
    let err = first_page(&server.client()).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(302), "{err:?}");
    assert!(err.to_string().contains("redirect"), "{err}");
    assert!(other_requests.lock().unwrap().is_empty());
}

#[tokio::test]
async fn with_the_callers_http_client_a_redirect_never_carries_authorization() {
    // The caller's client follows redirects (reqwest's default): the other host
    // must not receive the credentials.
    let (other, other_requests) = elsewhere().await;
    let server = RawServer::start(vec![redirect_to(&other)]).await;
    let client = Client::builder()
        .base_url(&server.url)
        .api_key("key")
        .api_secret("secret")
        .http_client(reqwest::Client::new())
        .max_retries(0)
        .build()
        .unwrap();
    let _ = first_page(&client).await;
    assert!(
        server.requests()[0]
            .to_ascii_lowercase()
            .contains("authorization: basic"),
        "the API itself gets the credentials"
    );
    for request in other_requests.lock().unwrap().iter() {
        assert!(
            !request.to_ascii_lowercase().contains("authorization"),
            "credentials followed the redirect: {request}"
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
    let server = RawServer::start(vec![Reply::Body(200, "application/json", body)]).await;
    let page = first_page(&server.client()).await.unwrap().unwrap();
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
    let server = RawServer::start(vec![Reply::Body(200, "application/json", body)]).await;
    let page = first_page(&server.client()).await.unwrap().unwrap();
    assert_eq!(page.items.len(), 2);
    assert!(page.items.iter().all(|a| a.thumbnail.is_none()));
    assert_eq!(page.next_token, None);
    assert_eq!(server.requests().len(), 1, "a null token ends the listing");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = RawServer::start(vec![Reply::Silent]).await;
    let client = server.client().with_timeout(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let err = first_page(&client).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(server.requests().len(), 2, "the timeout is retried once");
}

#[tokio::test]
async fn a_server_that_closes_mid_headers_is_a_connection_error() {
    let server = RawServer::start(vec![Reply::Raw(
        b"HTTP/1.1 200 OK\r\ncontent-type: appl".to_vec(),
    )])
    .await;
    let err = first_page(&server.client()).await.unwrap_err();
    assert!(err.is_connection(), "{err:?}");
    assert_eq!(server.requests().len(), 2, "retried once");
}

#[tokio::test]
async fn a_server_that_hangs_up_at_once_is_a_connection_error() {
    let server = RawServer::start(vec![Reply::Hangup]).await;
    let err = first_page(&server.client()).await.unwrap_err();
    assert!(err.is_connection() && err.is_retryable(), "{err:?}");
}

#[tokio::test]
async fn a_body_shorter_than_its_length_is_an_error() {
    let server = RawServer::start(vec![Reply::Raw(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"assets\": ["
            .to_vec(),
    )])
    .await;
    let err = first_page(&server.client()).await.unwrap_err();
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
    let server = RawServer::start(vec![
        rate_limited("retry-after-ms: 1e300"),
        rate_limited("retry-after: 99999999999999999999"),
        rate_limited("retry-after: NaN"),
        rate_limited("retry-after: -5"),
        Reply::Body(200, "application/json", r#"{"assets": []}"#.into()),
    ])
    .await;
    let client = server.client().with_max_retries(4);
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
    let server = RawServer::start(vec![Reply::Body(
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
        matches!(err, Error::Decode { .. }) || matches!(err, Error::InvalidInput(_)),
        "{err:?}"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "no complete after a refused part URL"
    );
}
