//! Secret hygiene: the API secret (and the Basic credentials made from it) never
//! shows in `Debug` output, in tracing output at TRACE (the SDK's, reqwest's and
//! hyper's, `log` records included), in error messages of any kind, or in
//! panics; the storage never receives an `Authorization` header, whatever the
//! retries and URL refreshes.

use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine as _;
use futures::TryStreamExt;
use scenario_mock::{Fault, FaultRule, MockServer, OperationId, Route, Target};
use scenario_sdk::types::UploadKind;
use scenario_sdk::{Client, Error, RetryPolicy};
use scenario_testkit::{
    LogCapture, SMALL_PART, client_builder, fast_retries, temp_file, upload_mock,
};

const SECRET: &str = "s3cr3t-Do-Not-Leak-7f2a";

fn forbidden() -> Vec<String> {
    let basic =
        |key: &str| base64::engine::general_purpose::STANDARD.encode(format!("{key}:{SECRET}"));
    vec![
        SECRET.to_owned(),
        basic("key"),
        basic(scenario_mock::DEFAULT_API_KEY),
    ]
}

#[track_caller]
fn assert_clean(what: &str, text: &str) {
    for secret in forbidden() {
        assert!(
            !text.contains(&secret),
            "{what} leaks the secret ({secret}): {text}"
        );
    }
}

/// Everything every test of this binary logs, at TRACE, from every thread and
/// from the `log` crate (which reqwest uses) as well.
fn logs() -> LogCapture {
    static CAPTURE: OnceLock<LogCapture> = OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            use tracing_subscriber::util::SubscriberInitExt as _;
            let capture = LogCapture::default();
            capture
                .subscriber("trace")
                .try_init()
                .expect("the only subscriber of this binary");
            capture
        })
        .clone()
}

fn assert_logs_clean() {
    let logs = logs().text();
    assert!(!logs.is_empty(), "tracing captured something");
    assert!(
        logs.contains("hyper") || logs.contains("reqwest"),
        "the HTTP stack's own logs are captured too"
    );
    assert_clean("tracing output", &logs);
}

async fn server() -> MockServer {
    upload_mock()
        .credentials("key", SECRET)
        .validation_delay(Duration::from_millis(5))
        .start()
        .await
        .unwrap()
}

fn fast() -> RetryPolicy {
    fast_retries().with_max_retries(3)
}

/// A client of `base_url` with the key `key` and the secret [`SECRET`].
fn client(base_url: &str) -> Client {
    client_builder(base_url, "key", SECRET)
        .retry_policy(fast())
        .build()
        .unwrap()
}

/// Display, Debug, the error chain and the panic of `unwrap()` on it.
#[allow(
    clippy::unnecessary_literal_unwrap,
    reason = "the panic of unwrap is what is tested"
)]
fn assert_error_clean(err: Error) {
    assert_clean("Display", &err.to_string());
    assert_clean("Debug", &format!("{err:?}"));
    assert_clean("alternate Debug", &format!("{err:#?}"));
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        assert_clean("source", &format!("{s} {s:?}"));
        source = s.source();
    }
    // What a caller's `.unwrap()` prints: the panic carries the error's Debug.
    let result: Result<(), Error> = Err(err);
    let panic =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| result.unwrap())).unwrap_err();
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default();
    assert!(message.contains("called `Result::unwrap()`"), "{message}");
    assert_clean("panic message", &message);
}

#[tokio::test]
async fn debug_output_of_every_public_type_hides_the_secret() {
    let _ = logs();
    let builder = Client::builder().api_key("key").api_secret(SECRET);
    assert_clean("ClientBuilder", &format!("{builder:?} {builder:#?}"));
    let client = builder.build().unwrap();
    let uploads = client.uploads();
    let listing = client.assets().list().page_size(5);
    let upload = uploads.upload_bytes(&b"abc"[..], "a.png", UploadKind::Image);
    let import = uploads.import_url("https://example.com/a.png", UploadKind::Image);
    let wait = uploads.wait_until_ready("up_1");
    for text in [
        format!("{client:?} {client:#?}"),
        format!("{:?}", client.assets()),
        format!("{uploads:?}"),
        format!("{listing:#?}"),
        format!("{upload:#?}"),
        format!("{import:#?}"),
        format!("{wait:#?}"),
        format!("{:?}", client.retry_policy()),
        format!("{:?}", client.with_timeout(Duration::from_secs(1))),
    ] {
        assert_clean("Debug", &text);
    }
}

#[tokio::test]
async fn errors_of_every_kind_hide_the_secret() {
    let _ = logs();
    let server = server().await;
    let good = client(&server.base_url());

    // Api: wrong credentials (the wrong secret is a secret too).
    let wrong = client_builder(&server.base_url(), "key", &format!("{SECRET}-wrong"))
        .build()
        .unwrap();
    let err = wrong.assets().list().pages().try_next().await.unwrap_err();
    assert!(err.is_auth(), "{err:?}");
    assert_error_clean(err);

    // Api after retries ran out: 503s.
    server.inject(FaultRule::new(OperationId::ListAssets, Fault::Status(503)).times(4));
    let err = good.assets().list().pages().try_next().await.unwrap_err();
    assert!(err.is_server_error(), "{err:?}");
    assert_error_clean(err);

    // Timeout.
    server.inject(FaultRule::new(
        OperationId::ListAssets,
        Fault::Delay(Duration::from_secs(2)),
    ));
    let err = good
        .with_timeout(Duration::from_millis(100))
        .with_max_retries(0)
        .assets()
        .list()
        .pages()
        .try_next()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_error_clean(err);

    // Connection: a port nobody listens on.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/v1", listener.local_addr().unwrap())
    };
    let err = client(&closed)
        .with_max_retries(0)
        .assets()
        .list()
        .pages()
        .try_next()
        .await
        .unwrap_err();
    assert!(err.is_connection(), "{err:?}");
    assert_error_clean(err);

    // Not found, invalid input, I/O, storage refusal, upload failure, wait timeout.
    let err = good.uploads().get("up_missing").await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_error_clean(err);
    let err = good.uploads().get("").await.unwrap_err();
    assert_error_clean(err);
    let err = good
        .uploads()
        .upload_file("/definitely/not/here.png", UploadKind::Image)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert_error_clean(err);
    server.inject(FaultRule::new(Route::PartPut, Fault::Status(400)));
    let err = good
        .uploads()
        .upload_bytes(vec![1u8; 10], "x.png", UploadKind::Image)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("storage"), "{err}");
    assert_error_clean(err);
    // Parts below the server's minimum: the service fails the upload.
    let err = good
        .uploads()
        .upload_bytes(vec![1u8; 3000], "x.png", UploadKind::Image)
        .min_part_size(10)
        .part_size(10)
        .wait(true)
        .wait_interval(Duration::from_millis(5))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WorkFailed { .. }), "{err:?}");
    assert_error_clean(err);
    let created = good
        .uploads()
        .create(scenario_sdk::types::UploadCreateRequest {
            file_name: Some("w.png".into()),
            content_type: Some("image/png".into()),
            file_size: Some(3),
            kind: Some(UploadKind::Image),
            parts: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    let err = good
        .uploads()
        .wait_until_ready(created.id)
        .timeout(Duration::from_millis(30))
        .interval(Duration::from_millis(10))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WaitTimeout { .. }), "{err:?}");
    assert_error_clean(err);

    // Invalid settings that involve the secret itself.
    for secret in [format!("{SECRET}\n"), format!("{SECRET}\u{7f}")] {
        if let Err(err) = Client::builder().api_key("key").api_secret(secret).build() {
            assert_error_clean(err);
        }
    }
    let err = Client::builder()
        .api_key("k:ey")
        .api_secret(SECRET)
        .build()
        .unwrap_err();
    assert_error_clean(err);

    assert_logs_clean();
}

#[tokio::test]
async fn storage_never_receives_authorization_across_retries_and_refreshes() {
    let _ = logs();
    let server = server().await;
    let client = client(&server.base_url()).with_retry_policy(fast().with_max_retries(6));
    // Failures of every kind on the parts, and expired URLs (403) that make the
    // SDK fetch fresh ones.
    server.inject(FaultRule::new(Route::PartPut, Fault::Status(503)).times(2));
    server.inject(FaultRule::new(Route::PartPut, Fault::Drop));
    server.inject(FaultRule::new(
        Route::PartPut,
        Fault::RateLimited {
            retry_after: Duration::from_millis(10),
        },
    ));
    let (_dir, path) = temp_file("big.png", &[9u8; 8 * 1024]);
    let expiring = server.clone();
    let upload = client
        .uploads()
        .upload_file(&path, UploadKind::Image)
        .min_part_size(SMALL_PART)
        .part_size(SMALL_PART)
        .concurrency(2)
        .on_progress(move |p| {
            if p.parts_done == 2 {
                // Every URL handed out so far is now expired.
                expiring.advance_clock(Duration::from_secs(7 * 24 * 3600));
            }
        })
        .await
        .unwrap();
    assert!(server.upload_receipt(&upload.id).unwrap().has_all_parts());
    let requests = server.requests();
    let storage: Vec<_> = requests
        .iter()
        .filter(|r| r.target == Target::Storage)
        .collect();
    assert!(storage.len() > 8, "retries happened: {storage:?}");
    assert!(
        storage.iter().any(|r| r.status == Some(403)),
        "some URLs expired and were refreshed"
    );
    assert!(
        storage.iter().all(|r| !r.authorization),
        "a storage request carried Authorization"
    );
    assert!(
        requests
            .iter()
            .filter(|r| r.target == Target::Api)
            .all(|r| r.authorization),
        "every API request is authenticated"
    );
    assert_logs_clean();
}
