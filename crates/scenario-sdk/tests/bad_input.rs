//! Bad input from the caller: settings out of range, bad ids, base URLs and
//! credentials, unreadable files, and cancellation at every stage of an upload.
//! Each gives a clear error before anything is created when it can be checked
//! locally, and an upload is only ever completed once all its bytes were sent.
//! (tests/uploads.rs covers missing files, directories, empty files, part sizes
//! below 5 MiB, more than 10 000 parts, zero concurrency, short readers, files
//! that grow or shrink, and dropping the upload while parts are in flight.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::TryStreamExt;
use scenario_mock::{Fault, FaultRule, MockServer, OperationId, Route};
use scenario_sdk::types::{UploadKind, UploadStatus};
use scenario_sdk::{Client, Error, UploadBuilder, UploadPhase};
use scenario_testkit::{SMALL_PART as PART, mock_client, upload_mock};

async fn server() -> MockServer {
    upload_mock().start().await.unwrap()
}

#[track_caller]
fn invalid(err: Error, mentions: &str) {
    let Error::InvalidInput(message) = &err else {
        panic!("expected InvalidInput, got {err:?}");
    };
    assert!(
        message.contains(mentions),
        "{message:?} should mention {mentions:?}"
    );
}

fn nothing_sent(server: &MockServer) {
    let requests = server.requests();
    assert!(requests.is_empty(), "requests were sent: {requests:?}");
}

#[tokio::test]
async fn page_sizes_outside_1_to_100_fail_before_any_request() {
    let server = server().await;
    let client = mock_client(&server);
    for size in [0, 101, u32::MAX] {
        let err = client
            .assets()
            .list()
            .page_size(size)
            .pages()
            .try_next()
            .await
            .unwrap_err()
            .into_cause();
        invalid(err, "page_size");
    }
    // One request each: `first_page` fetches nothing ahead (a dropped
    // `pages()` may already have asked for its second page).
    for size in [1, 100] {
        let page = client.assets().list().page_size(size).first_page().await;
        assert!(!page.unwrap().items.is_empty());
    }
    assert_eq!(server.request_count(OperationId::ListAssets), 2);
}

#[tokio::test]
async fn upload_settings_out_of_range_fail_before_anything_is_created() {
    let server = server().await;
    let client = mock_client(&server);
    let bytes = vec![7u8; 4 * PART as usize];
    let upload = || {
        client
            .uploads()
            .upload_bytes(bytes.clone(), "a.png", UploadKind::Image)
            .min_part_size(PART)
    };
    invalid(upload().concurrency(0).await.unwrap_err(), "concurrency");
    invalid(upload().part_size(0).await.unwrap_err(), "part");
    invalid(upload().part_size(PART - 1).await.unwrap_err(), "part");
    // One part above S3's 5 GiB (checked before the reader is read).
    let err = client
        .uploads()
        .upload_reader(
            tokio::io::empty(),
            UploadBuilder::MAX_PART_SIZE + 1,
            "huge.bin",
            UploadKind::Image,
        )
        .part_size(UploadBuilder::MAX_PART_SIZE + 1)
        .await
        .unwrap_err();
    invalid(err, "maximum");
    invalid(
        upload().stall_timeout(Duration::ZERO).await.unwrap_err(),
        "stall_timeout",
    );
    invalid(
        upload()
            .wait(true)
            .wait_timeout(Duration::ZERO)
            .await
            .unwrap_err(),
        "wait timeout",
    );
    invalid(
        upload()
            .wait(true)
            .wait_interval(Duration::ZERO)
            .await
            .unwrap_err(),
        "polling interval",
    );
    invalid(upload().file_name("  ").await.unwrap_err(), "file name");
    invalid(
        client
            .uploads()
            .import_url("https://example.com/a.png", UploadKind::Image)
            .wait(true)
            .wait_timeout(Duration::ZERO)
            .await
            .unwrap_err(),
        "wait timeout",
    );
    invalid(
        upload()
            .wait(true)
            .wait_interval(Duration::ZERO)
            .await
            .unwrap_err(),
        "polling interval",
    );
    invalid(
        client
            .uploads()
            .import_url("not a url", UploadKind::Image)
            .await
            .unwrap_err(),
        "http(s)",
    );
    invalid(
        client.uploads().import_hugging_face(" ").await.unwrap_err(),
        "empty",
    );
    invalid(
        client
            .uploads()
            .import_civitai("ftp://civitai.com/models/1")
            .await
            .unwrap_err(),
        "http(s)",
    );
    // Too many parts for a reader: 10 001 parts of 1 KiB.
    let err = client
        .uploads()
        .upload_reader(
            tokio::io::empty(),
            10_001 * PART,
            "r.bin",
            UploadKind::Image,
        )
        .min_part_size(PART)
        .part_size(PART)
        .await
        .unwrap_err();
    invalid(err, "10000");
    let err = client
        .uploads()
        .upload_reader(tokio::io::empty(), 0, "r.bin", UploadKind::Image)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    nothing_sent(&server);
}

#[tokio::test]
async fn a_zero_wait_timeout_on_its_own_checks_once() {
    let server = server().await;
    let client = mock_client(&server);
    let upload = client
        .uploads()
        .upload_bytes(&b"abc"[..], "a.png", UploadKind::Image)
        .await
        .unwrap();
    let err = client
        .uploads()
        .wait_until_ready(&upload.id)
        .timeout(Duration::ZERO)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WaitTimeout { .. }), "{err:?}");
    assert_eq!(server.request_count(OperationId::GetUpload), 1);
}

#[tokio::test]
async fn empty_and_path_like_ids_never_reach_another_endpoint() {
    let server = server().await;
    let client = mock_client(&server);
    for id in ["", "   "] {
        invalid(client.uploads().get(id).await.unwrap_err(), "empty");
        invalid(client.uploads().complete(id).await.unwrap_err(), "empty");
        invalid(
            client.uploads().wait_until_ready(id).await.unwrap_err(),
            "empty",
        );
    }
    nothing_sent(&server);
    for id in [
        "../assets",
        "a/../../assets",
        "x?pageSize=1",
        "x#frag",
        "%2e%2e",
    ] {
        let err = client.uploads().get(id).await.unwrap_err();
        assert!(
            err.is_not_found() || matches!(err, Error::InvalidInput(_)),
            "{id}: {err:?}"
        );
        let err = client.uploads().complete(id).await.unwrap_err();
        assert!(
            err.is_not_found() || err.is_bad_request() || matches!(err, Error::InvalidInput(_)),
            "{id}: {err:?}"
        );
    }
    assert_eq!(
        server.request_count(OperationId::ListAssets),
        0,
        "an id escaped its path segment"
    );
}

#[test]
fn invalid_base_urls_are_refused_with_an_example() {
    for url in [
        "",
        "not a url",
        "api.cloud.scenario.com/v1",
        "ftp://example.com/v1",
        "file:///tmp/v1",
        "mailto:someone@example.com",
        "http://",
        "http://exa mple.com",
    ] {
        let err = Client::builder()
            .api_key("k")
            .api_secret("s")
            .base_url(url)
            .build()
            .unwrap_err();
        invalid(err, "https://api.cloud.scenario.com/v1");
    }
}

#[test]
fn credentials_with_separators_control_characters_or_nothing_are_refused() {
    let build = |key: &str, secret: &str| {
        Client::builder()
            .api_key(key)
            .api_secret(secret)
            .build()
            .map(|_| ())
    };
    invalid(build("k:ey", "s").unwrap_err(), "':'");
    for (key, secret) in [
        ("key\n", "secret"),
        ("key", "secret\n"),
        ("key", "sec\u{0}ret"),
        ("k\u{7f}", "secret"),
        ("key", "secret\r\n"),
    ] {
        let err = build(key, secret).unwrap_err();
        invalid(err, "control character");
    }
    invalid(build("", "secret").unwrap_err(), "empty");
    invalid(build("key", "").unwrap_err(), "empty");
    invalid(
        Client::builder()
            .api_key("k")
            .api_secret("s")
            .user_agent("bad\nagent")
            .build()
            .unwrap_err(),
        "user agent",
    );
}

#[tokio::test]
async fn an_unreadable_file_is_an_io_error_before_anything_is_created() {
    use std::os::unix::fs::PermissionsExt as _;
    let server = server().await;
    let client = mock_client(&server);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("locked.png");
    std::fs::write(&path, b"secret pixels").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&path).is_ok() {
        println!("note: running with privileges that ignore mode 000 (root?); skipping");
        return;
    }
    let err = client
        .uploads()
        .upload_file(&path, UploadKind::Image)
        .await
        .unwrap_err();
    let Error::Io {
        path: Some(p),
        source,
    } = &err
    else {
        panic!("expected Io, got {err:?}");
    };
    assert_eq!(p, &path);
    assert_eq!(source.kind(), std::io::ErrorKind::PermissionDenied);
    assert!(err.to_string().contains("locked.png"), "{err}");
    nothing_sent(&server);
}

/// Runs an upload of `parts` parts until it reports `phase` (plus `extra`),
/// then drops it. Returns the upload id, if it got one.
async fn drop_at(
    server: &MockServer,
    phase: UploadPhase,
    parts: usize,
    prepare: impl FnOnce(&MockServer),
) -> Option<String> {
    let client = mock_client(server);
    let id = Arc::new(Mutex::new(None::<String>));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let tx = Mutex::new(Some(tx));
    let seen = id.clone();
    prepare(server);
    let upload = client
        .uploads()
        .upload_bytes(vec![3u8; parts * PART as usize], "c.png", UploadKind::Image)
        .min_part_size(PART)
        .part_size(PART)
        .wait(true)
        .wait_interval(Duration::from_millis(10))
        .on_progress(move |p| {
            if let Some(upload_id) = &p.upload_id {
                *seen.lock().unwrap() = Some(upload_id.clone());
            }
            if p.phase == phase
                && let Some(tx) = tx.lock().unwrap().take()
            {
                let _ = tx.send(());
            }
        })
        .send();
    tokio::select! {
        result = upload => panic!("the upload ended before it was dropped: {result:?}"),
        _ = rx => {}
    }
    // Whatever was in flight may still land; then nothing moves.
    tokio::time::sleep(Duration::from_millis(300)).await;
    id.lock().unwrap().clone()
}

/// An upload is completed only with every byte in.
fn assert_never_half_done(server: &MockServer) {
    for upload in server.uploads() {
        let receipt = server.upload_receipt(&upload.id).unwrap();
        if upload.status != UploadStatus::Pending {
            assert!(
                receipt.has_all_parts(),
                "completed without all parts: {receipt:?}"
            );
            assert_eq!(receipt.total_bytes, upload.file_size.unwrap());
        }
    }
}

#[tokio::test]
async fn dropped_while_creating_nothing_is_completed() {
    let server = server().await;
    let id = drop_at(&server, UploadPhase::Creating, 3, |s| {
        s.inject(FaultRule::new(
            OperationId::CreateUpload,
            Fault::Delay(Duration::from_millis(200)),
        ));
    })
    .await;
    assert_eq!(id, None, "the upload was never reported created");
    assert_eq!(server.request_count(Route::PartPut), 0);
    assert_eq!(server.request_count(OperationId::TriggerUploadAction), 0);
    assert_never_half_done(&server);
}

#[tokio::test]
async fn dropped_while_completing_the_upload_has_all_its_bytes() {
    let server = server().await;
    let id = drop_at(&server, UploadPhase::Completing, 3, |s| {
        s.inject(FaultRule::new(
            OperationId::TriggerUploadAction,
            Fault::Delay(Duration::from_millis(100)),
        ));
    })
    .await
    .unwrap();
    assert!(server.upload_receipt(&id).unwrap().has_all_parts());
    assert!(server.request_count(OperationId::TriggerUploadAction) <= 1);
    assert_never_half_done(&server);
}

#[tokio::test]
async fn dropped_while_waiting_polling_stops() {
    let server = upload_mock()
        .validation_delay(Duration::from_secs(30))
        .start()
        .await
        .unwrap();
    let id = drop_at(&server, UploadPhase::Waiting, 2, |_| {})
        .await
        .unwrap();
    // A poll already on the wire at the drop still lands: count after it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let polls = server.request_count(OperationId::GetUpload);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        server.request_count(OperationId::GetUpload),
        polls,
        "still polling after the drop"
    );
    assert_eq!(server.upload(&id).unwrap().status, UploadStatus::Validating);
    assert_never_half_done(&server);
}

#[tokio::test]
async fn dropped_while_sending_parts_is_never_completed() {
    let server = server().await;
    let id = drop_at(&server, UploadPhase::Uploading, 8, |s| {
        s.inject(
            FaultRule::new(Route::PartPut, Fault::Delay(Duration::from_millis(500)))
                .times(usize::MAX),
        );
    })
    .await
    .unwrap();
    assert_eq!(server.upload(&id).unwrap().status, UploadStatus::Pending);
    assert_eq!(server.request_count(OperationId::TriggerUploadAction), 0);
    assert_never_half_done(&server);
}

#[cfg(feature = "projects")]
#[tokio::test]
async fn a_body_number_outside_its_documented_bounds_fails_before_any_request() {
    use scenario_sdk::ops::UpdateProjectWatermark;
    use scenario_sdk::types::WatermarkUpdateRequest;

    let server = server().await;
    let client = mock_client(&server);
    let with_opacity = |opacity: f64| {
        let mut body = WatermarkUpdateRequest::new(true);
        body.opacity = Some(opacity);
        UpdateProjectWatermark::new("proj_bounds", body)
    };
    let (min, max) = (
        WatermarkUpdateRequest::OPACITY_MIN,
        WatermarkUpdateRequest::OPACITY_MAX,
    );
    for opacity in [min / 2.0, max + 0.5, -1.0, f64::NAN] {
        let err = client.request(with_opacity(opacity)).await.unwrap_err();
        invalid(
            err,
            "`opacity` in the body of updateProjectWatermark must be between",
        );
    }
    nothing_sent(&server);

    // The bounds themselves are allowed: the request is sent (and answered by
    // the fake, which applies the same generated check).
    for opacity in [min, max] {
        let result = client.request(with_opacity(opacity)).await;
        assert!(
            !matches!(result, Err(Error::InvalidInput(_))),
            "{opacity}: {result:?}"
        );
    }
    assert_eq!(server.requests().len(), 2);
}
