//! Uploads when things go wrong after the fact: answers lost after the service
//! acted, reads that do not see an upload yet, polls that hang, statuses newer
//! than the SDK, files replaced while they are sent, odd part URL lists, the
//! caller's HTTP client, and what the errors then say (the storage's own kind,
//! the upload's id, hints that fit).

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scenario_mock::{Fault, FaultRule, MockServer, OperationId, RandomFaults, Route};
use scenario_sdk::types::{UploadKind, UploadStatus};
use scenario_sdk::{Error, Progress};
use scenario_testkit::{
    Reply, SMALL_PART as PART, ScriptedServer, content, mock_client, temp_file, upload_mock,
};

async fn server() -> MockServer {
    upload_mock().start().await.expect("the fake server starts")
}

/// Bounds a test step generously: a hang fails the test instead of stalling it.
async fn bounded<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("the step ended within 20 s")
}

/// The id of the upload the progress events name.
#[derive(Clone, Default)]
struct SeenId(Arc<Mutex<Option<String>>>);

impl SeenId {
    fn record(&self, p: &Progress) {
        if let Some(id) = &p.upload_id {
            *self.0.lock().unwrap() = Some(id.clone());
        }
    }

    fn get(&self) -> String {
        self.0
            .lock()
            .unwrap()
            .clone()
            .expect("the upload was created")
    }
}

/// An upload as the API sends it, with these parts (`[number, url]`).
fn upload_json(status: &str, parts: &[(u32, String)]) -> String {
    let parts: Vec<_> = parts
        .iter()
        .map(|(number, url)| {
            serde_json::json!({
                "number": number, "url": url, "expires": "2030-01-01T00:00:00.000Z"
            })
        })
        .collect();
    serde_json::json!({
        "upload": {
            "id": "upload_1",
            "authorId": "user_1",
            "ownerId": "project_1",
            "createdAt": "2025-01-01T00:00:00.000Z",
            "updatedAt": "2025-01-01T00:00:00.000Z",
            "fileName": "a.png",
            "fileSize": 3,
            "kind": "image",
            "source": "multipart",
            "status": status,
            "parts": parts,
            "partsCount": 3,
        }
    })
    .to_string()
}

fn part_url(server: &ScriptedServer, number: u32, query: &str) -> String {
    let base = server.url().trim_end_matches("/v1");
    format!("{base}/parts/upload_1/{number}?{query}")
}

fn stored() -> Reply {
    Reply::new(200, "text/plain", "").header("etag", "\"e\"")
}

fn access_denied() -> Reply {
    Reply::new(
        403,
        "application/xml",
        "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
    )
}

// ---- 1. Answers lost after the service acted ----

#[tokio::test]
async fn a_complete_that_acted_but_lost_its_answer_ends_as_the_asset() {
    for fault in [
        Fault::ActThenStatus(500),
        Fault::ActThenStatus(503),
        Fault::ActThenStatus(504),
        Fault::ActThenDrop,
    ] {
        let server = server().await;
        let client = mock_client(&server);
        server.inject(FaultRule::new(
            OperationId::TriggerUploadAction,
            fault.clone(),
        ));
        let upload = bounded(
            client
                .uploads()
                .upload_bytes(content(3 * PART as usize), "hero.png", UploadKind::Image)
                .min_part_size(PART)
                .part_size(PART)
                .wait(true)
                .wait_interval(Duration::from_millis(20))
                .send(),
        )
        .await
        .unwrap_or_else(|err| panic!("{fault:?}: {err}"));
        assert_eq!(upload.status, UploadStatus::Complete, "{fault:?}");
        let asset = upload.entity_id.expect("the asset");
        assert!(server.asset(&asset).is_some(), "{fault:?}");
        // The retry is refused (409, itself retried), then a read shows it done.
        assert!(
            server.request_count(OperationId::TriggerUploadAction) >= 2,
            "{fault:?}"
        );
        assert_eq!(server.uploads().len(), 1, "{fault:?}");
    }
}

#[tokio::test]
async fn a_refused_retry_of_complete_is_a_success_whatever_done_status_the_upload_has() {
    for status in ["complete", "validating", "validated", "imported"] {
        let server = ScriptedServer::start(vec![
            Reply::new(500, "application/json", r#"{"message":"lost"}"#),
            Reply::new(409, "application/json", r#"{"message":"not pending"}"#),
            Reply::json(upload_json(status, &[])),
        ])
        .await;
        let upload = bounded(server.client().uploads().complete("upload_1"))
            .await
            .unwrap_or_else(|err| panic!("{status}: {err}"));
        assert_eq!(upload.status.as_str(), status);
        assert_eq!(server.hits(), 3, "{status}");
    }
}

#[tokio::test]
async fn a_create_answered_502_after_it_acted_is_not_sent_again_and_says_an_upload_may_exist() {
    let server = server().await;
    let client = mock_client(&server);
    server.inject(FaultRule::new(
        OperationId::CreateUpload,
        Fault::ActThenStatus(502),
    ));
    let err = client
        .uploads()
        .upload_bytes(content(10), "a.png", UploadKind::Image)
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502), "{err:?}");
    assert_eq!(
        server.request_count(OperationId::CreateUpload),
        1,
        "not retried"
    );
    assert_eq!(server.uploads().len(), 1, "the fake did create it");
    let text = err.to_string();
    for words in [
        "may have been created",
        "not sent again",
        "second one",
        "harmless",
    ] {
        assert!(text.contains(words), "{words:?} in {text}");
    }
}

// ---- 2-4. Waiting ----

#[tokio::test]
async fn a_404_right_after_complete_is_polled_again() {
    let server = server().await;
    let client = mock_client(&server);
    server.inject(FaultRule::new(OperationId::GetUpload, Fault::Status(404)).times(2));
    let upload = bounded(
        client
            .uploads()
            .upload_bytes(content(10), "a.png", UploadKind::Image)
            .wait(true)
            .wait_interval(Duration::from_millis(10))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(upload.status, UploadStatus::Complete);
    assert!(server.request_count(OperationId::GetUpload) >= 3);
}

#[tokio::test]
async fn a_wrong_id_is_still_not_found_after_a_few_polls() {
    let server = server().await;
    let client = mock_client(&server);
    let err = bounded(
        client
            .uploads()
            .wait_until_ready("upload_missing")
            .interval(Duration::from_millis(10))
            .send(),
    )
    .await
    .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(err.upload_id(), Some("upload_missing"));
    assert!(server.request_count(OperationId::GetUpload) <= 5);
}

#[tokio::test]
async fn the_wait_timeout_is_a_deadline_that_includes_a_hanging_poll() {
    let server = ScriptedServer::start(vec![
        Reply::json(upload_json("validating", &[])),
        Reply::Silent,
    ])
    .await;
    let client = server
        .client_builder()
        .timeout(Duration::from_secs(6))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = bounded(
        client
            .uploads()
            .wait_until_ready("upload_1")
            .timeout(Duration::from_secs(1))
            .interval(Duration::from_millis(10))
            .send(),
    )
    .await
    .unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    let Error::WaitTimeout { status, .. } = &err else {
        panic!("expected WaitTimeout, got {err:?}");
    };
    assert_eq!(status, "validating");
}

#[tokio::test]
async fn an_unknown_status_is_polled_on_to_a_known_end() {
    let server = ScriptedServer::start(vec![
        Reply::json(upload_json("cancelled", &[])),
        Reply::json(upload_json("quarantined", &[])),
        Reply::json(upload_json("complete", &[])),
    ])
    .await;
    let upload = bounded(
        server
            .client()
            .uploads()
            .wait_until_ready("upload_1")
            .timeout(Duration::from_secs(5))
            .interval(Duration::from_millis(10))
            .max_interval(Duration::from_millis(10))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(upload.status, UploadStatus::Complete);
    assert_eq!(server.hits(), 3);
}

// ---- 5. Files replaced during the upload ----

/// Uploads a 4-part file and, once the first part is in, lets `replace`
/// change it; returns the error, the upload's id and the fake.
async fn upload_while(
    replace: impl Fn(&std::path::Path) + Send + Sync + 'static,
) -> (Error, String, MockServer) {
    let server = server().await;
    let client = mock_client(&server);
    let (dir, path) = temp_file("swap.png", &content(4 * PART as usize));
    let seen = SeenId::default();
    let record = seen.clone();
    let target = path.clone();
    let err = bounded(
        client
            .uploads()
            .upload_file(&path, UploadKind::Image)
            .min_part_size(PART)
            .part_size(PART)
            .concurrency(1)
            .on_progress(move |p| {
                record.record(p);
                if p.parts_done == 1 {
                    replace(&target);
                }
            })
            .send(),
    )
    .await
    .expect_err("a changed file is never completed");
    drop(dir);
    (err, seen.get(), server)
}

fn assert_refused_as_changed(err: &Error, upload_id: &str, server: &MockServer) {
    assert_eq!(err.upload_id(), Some(upload_id), "{err:?}");
    assert!(
        matches!(err.cause(), Error::Io { path: Some(_), .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("changed during the upload"), "{text}");
    assert!(text.contains("nothing was completed"), "{text}");
    assert_eq!(server.request_count(OperationId::TriggerUploadAction), 0);
    assert_eq!(
        server.upload(upload_id).unwrap().status,
        UploadStatus::Pending
    );
}

#[tokio::test]
async fn a_file_rewritten_in_place_with_its_mtime_restored_is_not_completed() {
    let (err, id, server) = upload_while(|path| {
        let modified = std::fs::metadata(path).unwrap().modified().unwrap();
        let mut file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        file.write_all(&vec![0xAB; 4 * PART as usize]).unwrap();
        file.set_modified(modified).unwrap();
    })
    .await;
    assert_refused_as_changed(&err, &id, &server);
}

#[tokio::test]
async fn a_file_renamed_over_the_path_with_the_same_size_and_mtime_is_not_completed() {
    let (err, id, server) = upload_while(|path| {
        let modified = std::fs::metadata(path).unwrap().modified().unwrap();
        let other = path.with_extension("new");
        let mut file = std::fs::File::create(&other).unwrap();
        file.write_all(&vec![0xCD; 4 * PART as usize]).unwrap();
        file.set_modified(modified).unwrap();
        drop(file);
        std::fs::rename(&other, path).unwrap();
    })
    .await;
    assert_refused_as_changed(&err, &id, &server);
    // Every part that went out came from the file as it was at the start.
    let receipt = server.upload_receipt(&id).unwrap();
    let original = content(4 * PART as usize);
    for part in &receipt.parts {
        let start = (part.number as usize - 1) * PART as usize;
        let expected = &original[start..start + PART as usize];
        assert_eq!(
            part.sha256,
            scenario_testkit::sha256_hex(expected),
            "part {}",
            part.number
        );
    }
}

// ---- 6. Part URL lists ----

#[tokio::test]
async fn two_urls_for_one_part_are_refused_before_anything_is_sent() {
    let server = ScriptedServer::start(vec![Reply::json("{}")]).await;
    let parts = [
        (1, part_url(&server, 1, "a")),
        (2, part_url(&server, 2, "a")),
        (1, part_url(&server, 1, "b")),
    ];
    server.set_script(vec![Reply::json(upload_json("pending", &parts)), stored()]);
    let err = bounded(
        server
            .client()
            .uploads()
            .upload_bytes(b"abc".to_vec(), "a.png", UploadKind::Image)
            .min_part_size(1)
            .part_size(2)
            .send(),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("two different URLs for part 1"),
        "{err}"
    );
    assert_eq!(err.upload_id(), Some("upload_1"));
    assert_eq!(server.hits(), 1, "only the create");
}

#[tokio::test]
async fn a_refresh_that_renews_only_the_missing_parts_or_none_goes_on() {
    for renewed in [vec![], vec![2, 3]] {
        let server = ScriptedServer::start(vec![Reply::json("{}")]).await;
        let parts: Vec<_> = (1..=3).map(|n| (n, part_url(&server, n, "old"))).collect();
        let fresh: Vec<_> = renewed
            .iter()
            .map(|&n| (n, part_url(&server, n, "fresh")))
            .collect();
        server.set_script(vec![
            Reply::json(upload_json("pending", &parts)),
            stored(),
            access_denied(),
            Reply::json(upload_json("pending", &fresh)),
            stored(),
            stored(),
            Reply::json(upload_json("validating", &[])),
        ]);
        let upload = bounded(
            server
                .client()
                .uploads()
                .upload_bytes(b"abc".to_vec(), "a.png", UploadKind::Image)
                .min_part_size(1)
                .part_size(1)
                .concurrency(1)
                .send(),
        )
        .await
        .unwrap_or_else(|err| panic!("{renewed:?}: {err}"));
        assert_eq!(upload.status, UploadStatus::Validating);
        let targets: Vec<String> = server
            .requests()
            .iter()
            .map(|r| r.target().to_owned())
            .collect();
        let query = if renewed.is_empty() { "old" } else { "fresh" };
        assert_eq!(
            targets[4],
            format!("/parts/upload_1/2?{query}"),
            "{targets:?}"
        );
        assert_eq!(
            targets[5],
            format!("/parts/upload_1/3?{query}"),
            "{targets:?}"
        );
    }
}

// ---- 7. The caller's HTTP client ----

#[tokio::test]
async fn part_puts_never_carry_the_callers_default_headers() {
    let server = ScriptedServer::start(vec![Reply::json("{}")]).await;
    let parts: Vec<_> = (1..=3).map(|n| (n, part_url(&server, n, "sig"))).collect();
    server.set_script(vec![
        Reply::json(upload_json("pending", &parts)),
        stored(),
        stored(),
        stored(),
        Reply::json(upload_json("validating", &[])),
    ]);
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-api-key", "caller-key".parse().unwrap());
    headers.insert("proxy-authorization", "Basic cHJveHk6cHc=".parse().unwrap());
    // The caller's own client, as an application builds it: with the
    // provider-less rustls that the SDK's default TLS stack turns on, reqwest
    // needs a process-wide provider first.
    scenario_sdk::install_tls_provider();
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    let client = server
        .client_builder()
        .http_client(http)
        .header("x-team-secret", "t0p")
        .build()
        .unwrap();
    bounded(
        client
            .uploads()
            .upload_bytes(b"abc".to_vec(), "a.png", UploadKind::Image)
            .min_part_size(1)
            .part_size(1)
            .send(),
    )
    .await
    .unwrap();
    let requests = server.requests();
    let (storage, api): (Vec<_>, Vec<_>) = requests
        .iter()
        .partition(|r| r.target().starts_with("/parts/"));
    assert_eq!(storage.len(), 3);
    for request in storage {
        for name in [
            "x-api-key",
            "proxy-authorization",
            "authorization",
            "x-team-secret",
        ] {
            assert!(
                request.header(name).is_none(),
                "{name} reached the storage: {}",
                request.head
            );
        }
    }
    // The API requests went through the caller's client, as asked, with the
    // SDK's extra headers.
    assert!(
        api.iter()
            .all(|r| r.header("x-api-key") == Some("caller-key"))
    );
    assert!(api.iter().all(|r| r.header("x-team-secret") == Some("t0p")));
}

// ---- 8. Storage errors ----

#[tokio::test]
async fn an_expired_part_url_is_a_storage_error_not_an_auth_error() {
    let server = server().await;
    let client = mock_client(&server);
    server.inject(FaultRule::new(Route::PartPut, Fault::Status(403)).times(usize::MAX));
    let err = client
        .uploads()
        .upload_bytes(content(10), "a.png", UploadKind::Image)
        .max_retries(2)
        .await
        .unwrap_err();
    let Error::Storage {
        upload_id,
        part,
        status,
        code,
        request_id,
        url_refreshes,
        ..
    } = &err
    else {
        panic!("expected Storage, got {err:?}");
    };
    assert!(server.upload(upload_id).is_some());
    assert_eq!((*part, status.as_u16()), (1, 403));
    assert_eq!(code.as_deref(), Some("AccessDenied"));
    assert!(request_id.is_some());
    assert_eq!(*url_refreshes, 2);
    assert!(!err.is_auth(), "{err}");
    let text = err.to_string();
    assert!(text.contains("fetched fresh ones 2 time"), "{text}");
    assert!(!text.contains("API key"), "{text}");
    assert!(!text.contains("Scenario API answered"), "{text}");
}

#[tokio::test]
async fn a_failing_storage_says_to_try_again_later() {
    let server = server().await;
    let client = mock_client(&server);
    server.inject(FaultRule::new(Route::PartPut, Fault::Status(500)).times(usize::MAX));
    let err = client
        .uploads()
        .upload_bytes(content(10), "a.png", UploadKind::Image)
        .max_retries(1)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");
    assert!(err.is_server_error() && err.is_retryable(), "{err:?}");
    assert!(err.to_string().contains("storage is in trouble"), "{err}");
}

#[tokio::test]
async fn an_unreachable_storage_host_does_not_blame_the_base_url() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let server = ScriptedServer::start(vec![Reply::json(upload_json(
        "pending",
        &[(
            1,
            format!("http://127.0.0.1:{port}/parts/upload_1/1?sig=secret"),
        )],
    ))])
    .await;
    let err = bounded(
        server
            .client()
            .uploads()
            .upload_bytes(b"abc".to_vec(), "a.png", UploadKind::Image)
            .max_retries(1)
            .send(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::StorageUnreachable { .. }), "{err:?}");
    assert!(err.is_connection(), "{err:?}");
    assert_eq!(err.upload_id(), Some("upload_1"));
    let text = err.to_string();
    assert!(!text.contains("SCENARIO_BASE_URL"), "{text}");
    assert!(!text.contains("secret"), "{text}");
    assert_eq!(
        text.matches(&format!("127.0.0.1:{port}")).count(),
        1,
        "{text}"
    );
}

// ---- 9. Every error after the create names the upload ----

#[tokio::test]
async fn under_random_faults_every_failed_upload_names_an_upload_the_fake_knows() {
    let server = upload_mock()
        .random_faults(RandomFaults {
            seed: 11,
            api_rate: 0.35,
            storage_rate: 0.35,
            retry_after: Duration::from_millis(10),
            slow_delay: Duration::from_millis(20),
        })
        .start()
        .await
        .unwrap();
    let client = mock_client(&server);
    let (mut failed, mut named) = (0, 0);
    for n in 0..16 {
        let before = server.uploads().len();
        let result = bounded(
            client
                .uploads()
                .upload_bytes(content(3 * PART as usize + n), "a.png", UploadKind::Image)
                .min_part_size(PART)
                .part_size(PART)
                .max_retries(0)
                .wait(true)
                .wait_interval(Duration::from_millis(10))
                .send(),
        )
        .await;
        let Err(err) = result else { continue };
        failed += 1;
        match err.upload_id() {
            Some(id) => {
                named += 1;
                assert!(server.upload(id).is_some(), "{id} unknown: {err}");
                assert!(err.to_string().contains(id), "{err}");
            }
            // Only a create that failed before acting has no upload to name.
            None => assert_eq!(server.uploads().len(), before, "{err:?}"),
        }
    }
    assert!(
        failed >= 3 && named >= 1,
        "{failed} failures, {named} naming an upload"
    );
}

// ---- 10. Hints that tell the truth ----

#[tokio::test]
async fn a_stalled_part_points_at_the_stall_timeout() {
    let server = server().await;
    let client = mock_client(&server);
    server.inject(
        FaultRule::new(Route::PartPut, Fault::Delay(Duration::from_secs(5))).times(usize::MAX),
    );
    let err = bounded(
        client
            .uploads()
            .upload_bytes(content(10), "a.png", UploadKind::Image)
            .stall_timeout(Duration::from_millis(100))
            .max_retries(1)
            .send(),
    )
    .await
    .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("UploadBuilder::stall_timeout"), "{text}");
    assert!(!text.contains("ClientBuilder::timeout"), "{text}");
}

#[tokio::test]
async fn an_unreachable_api_names_its_url_once() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", closed.local_addr().unwrap());
    drop(closed);
    let client = scenario_testkit::client_builder(&url, "k", "s")
        .max_retries(0)
        .build()
        .unwrap();
    let err = bounded(client.uploads().get("upload_1")).await.unwrap_err();
    assert!(err.is_connection(), "{err:?}");
    let host = url.trim_end_matches("/v1").trim_start_matches("http://");
    assert_eq!(err.to_string().matches(host).count(), 1, "{err}");
}

#[test]
fn no_message_has_an_empty_url() {
    let connection = Error::Connection {
        url: String::new(),
        message: "boom".into(),
    };
    let timeout = Error::Timeout {
        url: String::new(),
        timeout: Duration::from_secs(1),
    };
    for err in [connection, timeout] {
        let text = err.to_string();
        assert!(
            !text.contains("  ") && !text.contains("at :") && !text.contains("to  "),
            "{text}"
        );
    }
}

#[tokio::test]
async fn an_io_error_does_not_repeat_its_source() {
    let server = server().await;
    let client = mock_client(&server);
    let dir = tempfile::tempdir().unwrap();
    let err = client
        .uploads()
        .upload_file(dir.path().join("nope.png"), UploadKind::Image)
        .await
        .unwrap_err();
    let Error::Io { .. } = &err else {
        panic!("expected Io, got {err:?}");
    };
    let source = std::error::Error::source(&err).expect("the io error is the source");
    assert!(!err.to_string().contains(&source.to_string()), "{err}");
    assert!(err.to_string().contains("nope.png"), "{err}");
}

// ---- Fields the flow does not need ----

#[tokio::test]
async fn a_part_expiry_missing_null_or_a_number_never_fails_an_upload() {
    let server = ScriptedServer::start(vec![Reply::json("{}")]).await;
    let parts: Vec<_> = (1..=3).map(|n| (n, part_url(&server, n, "sig"))).collect();
    let mut created: serde_json::Value =
        serde_json::from_str(&upload_json("pending", &parts)).unwrap();
    let items = created["upload"]["parts"].as_array_mut().unwrap();
    items[0].as_object_mut().unwrap().remove("expires");
    items[1]["expires"] = serde_json::Value::Null;
    items[2]["expires"] = serde_json::json!(1_767_225_600);
    server.set_script(vec![
        Reply::json(created.to_string()),
        stored(),
        stored(),
        stored(),
        Reply::json(upload_json("validating", &[])),
    ]);
    let upload = bounded(
        server
            .client()
            .uploads()
            .upload_bytes(b"abc".to_vec(), "a.png", UploadKind::Image)
            .min_part_size(1)
            .part_size(1)
            .send(),
    )
    .await
    .expect("the expiry is not needed to upload");
    assert_eq!(upload.status, UploadStatus::Validating);
}
