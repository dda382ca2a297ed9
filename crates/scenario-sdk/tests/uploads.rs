//! Uploads and imports against the in-process fake of the service
//! (`scenario-mock`), which checks what S3 would: part sizes, presigned URLs
//! (and their expiry), no `Authorization` header on storage requests.
//!
//! The fake accepts parts of `PART` bytes (instead of S3's 5 MiB), and the
//! uploads here say so with `min_part_size`, so that multipart uploads take
//! kilobytes.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use scenario_mock::{Fault, FaultRule, MockServer, OperationId, Route, Target};
use scenario_sdk::types::{UploadKind, UploadStatus};
use scenario_sdk::{Error, Progress, UploadPhase, Work};
use scenario_testkit::{
    LogCapture, SMALL_PART as PART, content, mock_client, sha256_hex, temp_file, upload_mock,
};

async fn server() -> MockServer {
    upload_mock().start().await.expect("the fake server starts")
}

/// Every progress event of an upload, for assertions after it.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Progress>>>);

impl Recorder {
    fn callback(&self) -> impl Fn(&Progress) + Send + Sync + 'static {
        let events = self.0.clone();
        move |p: &Progress| events.lock().unwrap().push(p.clone())
    }

    fn events(&self) -> Vec<Progress> {
        self.0.lock().unwrap().clone()
    }

    fn upload_id(&self) -> String {
        self.events()
            .iter()
            .find_map(|p| p.upload_id.clone())
            .expect("the upload was created")
    }
}

/// Asserts that the fake server holds exactly `expected` for `upload_id`, cut in
/// parts of `part` bytes.
fn assert_received(server: &MockServer, upload_id: &str, expected: &[u8], part: u64) {
    let receipt = server.upload_receipt(upload_id).expect("the upload exists");
    assert!(receipt.has_all_parts(), "{receipt:?}");
    assert_eq!(receipt.bytes(), Some(expected), "the bytes arrived intact");
    assert_eq!(receipt.sha256(), Some(sha256_hex(expected).as_str()));
    let parts = (expected.len() as u64).div_ceil(part);
    assert_eq!(receipt.parts.len() as u64, parts);
    for (index, chunk) in expected.chunks(part as usize).enumerate() {
        let received = receipt.part(index as u32 + 1).expect("every part arrived");
        assert_eq!(received.size, chunk.len() as u64, "part {}", index + 1);
        assert_eq!(received.sha256, sha256_hex(chunk), "part {}", index + 1);
    }
}

#[tokio::test]
async fn a_file_is_uploaded_in_parts_byte_for_byte() {
    let server = server().await;
    let client = mock_client(&server);
    let bytes = content(10 * PART as usize + 123);
    let (_dir, path) = temp_file("hero.png", &bytes);

    let upload = client
        .uploads()
        .upload_file(&path, UploadKind::Image)
        .min_part_size(PART)
        .part_size(PART)
        .concurrency(4)
        .await
        .unwrap();

    assert_eq!(upload.status, UploadStatus::Validating);
    assert_eq!(upload.file_name, "hero.png");
    assert_eq!(upload.content_type.as_deref(), Some("image/png"));
    assert_eq!(upload.file_size, Some(bytes.len() as u64));
    assert_eq!(upload.parts_count, Some(11));
    assert_received(&server, &upload.id, &bytes, PART);
    assert_eq!(server.request_count(Route::PartPut), 11);
    assert_eq!(server.request_count(OperationId::TriggerUploadAction), 1);
}

#[tokio::test]
async fn bytes_are_uploaded_as_slices_with_the_given_name_and_type() {
    let server = server().await;
    let client = mock_client(&server);
    let bytes = content(3 * PART as usize);

    let upload = client
        .uploads()
        .upload_bytes(bytes.clone(), "scan.bin", UploadKind::X3d)
        .content_type("model/gltf-binary")
        .min_part_size(PART)
        .part_size(PART)
        .await
        .unwrap();

    assert_eq!(upload.file_name, "scan.bin");
    assert_eq!(upload.content_type.as_deref(), Some("model/gltf-binary"));
    assert_received(&server, &upload.id, &bytes, PART);
}

#[tokio::test]
async fn a_reader_is_uploaded_part_by_part() {
    let server = server().await;
    let client = mock_client(&server);
    let bytes = content(5 * PART as usize + 1);

    // A pipe fed in small, odd-sized writes: the reader gives parts in pieces.
    let (reader, mut writer) = tokio::io::duplex(512);
    let feed = bytes.clone();
    let feeder = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        for chunk in feed.chunks(777) {
            writer.write_all(chunk).await.unwrap();
        }
    });

    let upload = client
        .uploads()
        .upload_reader(reader, bytes.len() as u64, "voice.wav", UploadKind::Audio)
        .min_part_size(PART)
        .part_size(PART)
        .concurrency(2)
        .await
        .unwrap();
    feeder.await.unwrap();

    assert_eq!(upload.content_type.as_deref(), Some("audio/wav"));
    assert_received(&server, &upload.id, &bytes, PART);
}

#[tokio::test]
async fn the_part_size_is_chosen_when_not_given() {
    let server = server().await;
    let client = mock_client(&server);
    let bytes = content(100_000);

    let upload = client
        .uploads()
        .upload_bytes(bytes.clone(), "small.png", UploadKind::Image)
        .await
        .unwrap();

    // Under 8 MiB: one part, whatever the floor.
    assert_eq!(upload.parts_count, Some(1));
    assert_received(&server, &upload.id, &bytes, bytes.len() as u64);
}

#[tokio::test]
async fn a_part_is_retried_alone_after_503s_and_a_dropped_connection() {
    let server = server().await;
    let client = mock_client(&server);
    let bytes = content(4 * PART as usize);
    server.inject(FaultRule::new(Route::PartPut, Fault::Status(503)).times(2));
    server.inject(FaultRule::new(Route::PartPut, Fault::Drop));

    let upload = client
        .uploads()
        .upload_bytes(bytes.clone(), "retry.png", UploadKind::Image)
        .min_part_size(PART)
        .part_size(PART)
        .concurrency(1)
        .max_retries(3)
        .await
        .unwrap();

    assert_received(&server, &upload.id, &bytes, PART);
    // Part 1 took four PUTs (503, 503, dropped, accepted); the others one each.
    assert_eq!(server.request_count(Route::PartPut), 4 + 3);
    let receipt = server.upload_receipt(&upload.id).unwrap();
    assert!(receipt.parts.iter().all(|p| p.puts == 1), "{receipt:?}");
}

#[tokio::test]
async fn a_part_gives_up_after_max_retries_and_the_upload_is_not_completed() {
    let server = server().await;
    let client = mock_client(&server);
    server.inject(FaultRule::new(Route::PartPut, Fault::Status(500)).times(usize::MAX));

    let err = client
        .uploads()
        .upload_bytes(content(2 * PART as usize), "doomed.png", UploadKind::Image)
        .min_part_size(PART)
        .part_size(PART)
        .concurrency(1)
        .max_retries(2)
        .await
        .unwrap_err();

    assert_eq!(err.status().map(|s| s.as_u16()), Some(500), "{err}");
    assert!(err.to_string().contains("part 1"), "{err}");
    assert_eq!(
        server.request_count(Route::PartPut),
        3,
        "one try, two retries"
    );
    assert_eq!(server.request_count(OperationId::TriggerUploadAction), 0);
}

#[tokio::test]
async fn a_rate_limited_part_waits_as_the_storage_asks() {
    let server = server().await;
    let client = mock_client(&server);
    let bytes = content(PART as usize);
    let retry_after = Duration::from_millis(300);
    server.inject(FaultRule::new(
        Route::PartPut,
        Fault::RateLimited { retry_after },
    ));

    let started = Instant::now();
    let upload = client
        .uploads()
        .upload_bytes(bytes.clone(), "slow.png", UploadKind::Image)
        .await
        .unwrap();

    assert!(started.elapsed() >= retry_after, "{:?}", started.elapsed());
    assert_received(&server, &upload.id, &bytes, PART);
}

#[tokio::test]
async fn a_stalled_part_is_abandoned_and_sent_again() {
    let server = server().await;
    let client = mock_client(&server);
    let bytes = content(2 * PART as usize);
    server.inject(FaultRule::new(
        Route::PartPut,
        Fault::Delay(Duration::from_secs(5)),
    ));

    let started = Instant::now();
    let upload = client
        .uploads()
        .upload_bytes(bytes.clone(), "stall.png", UploadKind::Image)
        .min_part_size(PART)
        .part_size(PART)
        .stall_timeout(Duration::from_millis(200))
        .await
        .unwrap();

    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_received(&server, &upload.id, &bytes, PART);
}

#[tokio::test]
async fn expired_part_urls_are_renewed_and_the_part_sent_again() {
    let server = server().await;
    let client = mock_client(&server);
    let bytes = content(3 * PART as usize);
    let clock = server.clone();
    let recorder = Recorder::default();
    let record = recorder.callback();

    let upload = client
        .uploads()
        .upload_bytes(bytes.clone(), "late.png", UploadKind::Image)
        .min_part_size(PART)
        .part_size(PART)
        .concurrency(1)
        .on_progress(move |p| {
            record(p);
            // The URLs handed out at creation expire once the first part is in.
            if p.parts_done == 1 {
                clock.advance_clock(Duration::from_secs(24 * 3600));
            }
        })
        .await
        .unwrap();

    assert_received(&server, &upload.id, &bytes, PART);
    let refused = server
        .requests()
        .into_iter()
        .filter(|r| r.route == Some(Route::PartPut) && r.status == Some(403))
        .count();
    assert_eq!(refused, 1, "part 2 was refused once");
    assert_eq!(
        server.request_count(OperationId::GetUpload),
        1,
        "one refresh"
    );
    assert_eq!(server.request_count(Route::PartPut), 4);
}

#[tokio::test]
async fn a_part_url_refused_again_and_again_fails_after_max_retries() {
    let server = server().await;
    let client = mock_client(&server);
    server.inject(FaultRule::new(Route::PartPut, Fault::Status(403)).times(usize::MAX));

    let err = client
        .uploads()
        .upload_bytes(content(PART as usize), "denied.png", UploadKind::Image)
        .max_retries(3)
        .await
        .unwrap_err();

    assert_eq!(err.status().map(|s| s.as_u16()), Some(403), "{err}");
    assert!(err.to_string().contains("AccessDenied"), "{err}");
    // Every refusal but the last fetched fresh URLs: retries stay bounded.
    assert_eq!(server.request_count(Route::PartPut), 4);
    assert_eq!(server.request_count(OperationId::GetUpload), 3);
    assert_eq!(server.request_count(OperationId::TriggerUploadAction), 0);
}

#[tokio::test]
async fn storage_requests_never_carry_the_authorization_header() {
    let server = server().await;
    let client = mock_client(&server);
    server.inject(FaultRule::new(Route::PartPut, Fault::Status(502)));

    client
        .uploads()
        .upload_bytes(content(3 * PART as usize), "a.png", UploadKind::Image)
        .min_part_size(PART)
        .part_size(PART)
        .await
        .unwrap();

    let requests = server.requests();
    let storage: Vec<_> = requests
        .iter()
        .filter(|r| r.target == Target::Storage)
        .collect();
    assert_eq!(storage.len(), 4, "three parts and one retry");
    assert!(storage.iter().all(|r| !r.authorization), "{storage:?}");
    // ...while every API request does carry it.
    assert!(
        requests
            .iter()
            .filter(|r| r.target == Target::Api)
            .all(|r| r.authorization)
    );
}

#[tokio::test]
async fn part_url_signatures_never_reach_logs_or_errors() {
    let server = server().await;
    let client = mock_client(&server);
    let logs = LogCapture::default();
    // The test runtime has one thread, so the part tasks log here too.
    let _logging = tracing::subscriber::set_default(logs.subscriber("scenario_sdk=trace"));
    server.inject(FaultRule::new(Route::PartPut, Fault::Status(503)));
    server.inject(FaultRule::new(Route::PartPut, Fault::Status(403)));
    server.inject(FaultRule::new(Route::PartPut, Fault::Drop));
    server.inject(FaultRule::new(Route::PartPut, Fault::Status(500)).times(usize::MAX));

    let err = client
        .uploads()
        .upload_bytes(content(PART as usize), "secret.png", UploadKind::Image)
        .max_retries(3)
        .await
        .unwrap_err();

    let logs = logs.text();
    assert!(
        logs.contains("scenario_part") && logs.contains("retrying"),
        "{logs}"
    );
    assert!(logs.contains("fetching fresh URLs"), "{logs}");
    assert!(logs.contains("/parts/"), "the path is logged: {logs}");
    // The fake signs its URLs with `?expires=...&signature=...`, as S3 with `X-Amz-Signature`.
    assert!(!logs.contains("signature="), "{logs}");
    assert!(!format!("{err} {err:?}").contains("signature="), "{err:?}");
}

#[tokio::test]
async fn progress_moves_by_bytes_throttled_and_a_retried_part_takes_nothing_back() {
    // Digests off: the fake would spend the time hashing 24 MiB in a debug build.
    let server = upload_mock().part_digests(false).start().await.unwrap();
    let client = mock_client(&server);
    let part = 4 * 1024 * 1024;
    let total = 6 * part + 123;
    // The first attempt at a part breaks once some of its body is in; the
    // next part attempt is held back, so that no part lands for a while and
    // the bytes of the parts in flight are all there is to report.
    server.inject(FaultRule::new(Route::PartPut, Fault::Drop));
    server.inject(FaultRule::new(
        Route::PartPut,
        Fault::Delay(Duration::from_millis(300)),
    ));
    let recorder = Recorder::default();
    let started = Instant::now();

    let upload = client
        .uploads()
        .upload_bytes(content(total as usize), "big.png", UploadKind::Image)
        .min_part_size(PART)
        .part_size(part)
        .concurrency(2)
        .on_progress(recorder.callback())
        .await
        .unwrap();
    let elapsed = started.elapsed();

    let events = recorder.events();
    assert_eq!(
        server.request_count(Route::PartPut),
        7 + 1,
        "one part was retried"
    );
    for pair in events.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert_ne!(a, b, "an event without a change: {a:?}");
        assert!(b.bytes_sent >= a.bytes_sent, "went back: {a:?} then {b:?}");
        assert!(b.parts_done >= a.parts_done, "{a:?} then {b:?}");
        assert!(b.phase >= a.phase, "{a:?} then {b:?}");
    }
    assert!(events.iter().all(|p| p.bytes_sent <= total), "{events:#?}");
    assert!(
        events
            .iter()
            .any(|p| p.parts_done == 0 && p.bytes_sent > 0 && p.bytes_sent < total),
        "bytes are reported before any part lands: {events:#?}"
    );
    let uploading: Vec<&Progress> = events
        .iter()
        .filter(|p| p.phase == UploadPhase::Uploading)
        .collect();
    let last = uploading.last().expect("events while uploading");
    assert_eq!((last.bytes_sent, last.parts_done), (total, 7));
    assert_eq!(events.last().unwrap().bytes_sent, total);
    assert_eq!(events.last().unwrap().phase, UploadPhase::Completing);

    // Throttled: bytes alone move the count at most once per 1% of the total
    // or per 50 ms; the parts are sent in 64 KiB chunks, about 400 of them.
    let byte_events = events
        .windows(2)
        .filter(|pair| pair[1].parts_done == pair[0].parts_done && pair[1].phase == pair[0].phase)
        .count();
    let bound = 100 + (elapsed.as_millis() / 50) as usize + 1;
    assert!(
        byte_events <= bound,
        "{byte_events} byte events in {elapsed:?} (at most {bound})"
    );
    assert!(byte_events > 1, "{events:#?}");
    assert!(server.upload(&upload.id).is_some());
}

#[tokio::test]
async fn progress_only_grows_counts_each_part_once_and_ends_at_the_total() {
    let server = server().await;
    let client = mock_client(&server);
    let bytes = content(6 * PART as usize + 7);
    server.inject(FaultRule::new(Route::PartPut, Fault::Status(503)).times(2));
    let recorder = Recorder::default();

    client
        .uploads()
        .upload_bytes(bytes.clone(), "p.png", UploadKind::Image)
        .min_part_size(PART)
        .part_size(PART)
        .concurrency(3)
        .on_progress(recorder.callback())
        .wait(true)
        .wait_interval(Duration::from_millis(20))
        .await
        .unwrap();

    let events = recorder.events();
    let total = bytes.len() as u64;
    for pair in events.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(b.bytes_sent >= a.bytes_sent, "{events:#?}");
        assert!(b.parts_done >= a.parts_done, "{events:#?}");
        assert!(b.phase >= a.phase, "{events:#?}");
    }
    assert!(
        events
            .iter()
            .all(|p| p.bytes_total == total && p.parts_total == 7)
    );
    assert!(events.iter().all(|p| p.bytes_sent <= total));
    let phases: Vec<UploadPhase> = events.iter().map(|p| p.phase).collect();
    assert_eq!(phases.first(), Some(&UploadPhase::Creating));
    assert_eq!(phases.last(), Some(&UploadPhase::Waiting));
    // Bytes are reported as they go too, so the events of parts are those where
    // the count of parts moves: one per part, one at a time; after the last
    // part, only completing and waiting.
    let parts_events = events
        .windows(2)
        .filter(|pair| pair[1].parts_done != pair[0].parts_done)
        .inspect(|pair| assert_eq!(pair[1].parts_done, pair[0].parts_done + 1, "{events:#?}"))
        .count();
    assert_eq!(parts_events, 7, "one event per part: {events:#?}");
    let after_last_part = events.iter().skip_while(|p| p.parts_done < 7).skip(1);
    let after: Vec<UploadPhase> = after_last_part.map(|p| p.phase).collect();
    assert_eq!(
        after,
        [UploadPhase::Completing, UploadPhase::Waiting],
        "one event per part, then completing and waiting"
    );
    let last = events.last().unwrap();
    assert_eq!((last.bytes_sent, last.parts_done), (total, 7));
    assert!((last.fraction() - 1.0).abs() < f64::EPSILON);
}

#[tokio::test]
async fn waiting_returns_the_asset_which_then_appears_in_the_listing() {
    let server = server().await;
    let client = mock_client(&server);
    let bytes = content(2 * PART as usize);

    let upload = client
        .uploads()
        .upload_bytes(bytes, "done.png", UploadKind::Image)
        .min_part_size(PART)
        .part_size(PART)
        .collection("col_heroes")
        .await
        .unwrap();
    assert_eq!(upload.status, UploadStatus::Validating);
    assert_eq!(upload.entity_id, None);

    let ready = client
        .uploads()
        .wait_until_ready(upload.id.clone())
        .interval(Duration::from_millis(20))
        .timeout(Duration::from_secs(5))
        .await
        .unwrap();

    assert_eq!(ready.status, UploadStatus::Complete);
    let asset_id = ready.entity_id.expect("the upload names its asset");
    let assets: Vec<_> = client
        .assets()
        .list()
        .page_size(100)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let asset = assets
        .iter()
        .find(|a| a.id == asset_id)
        .expect("the new asset is listed");
    assert_eq!(asset.collection_ids, ["col_heroes"]);
}

#[tokio::test]
async fn upload_and_wait_in_one_call() {
    let server = server().await;
    let client = mock_client(&server);

    let upload = client
        .uploads()
        .upload_bytes(content(PART as usize), "one.png", UploadKind::Image)
        .wait(true)
        .wait_interval(Duration::from_millis(20))
        .await
        .unwrap();

    assert_eq!(upload.status, UploadStatus::Complete);
    let asset_id = upload.entity_id.unwrap();
    assert!(server.asset(&asset_id).is_some());
}

#[tokio::test]
async fn a_rejected_upload_is_an_upload_failed_error_with_the_servers_message() {
    // This server wants parts of at least 4 KiB, as S3 wants 5 MiB: the upload
    // below cuts 1 KiB parts, the storage takes them, and validation fails.
    let server = upload_mock().min_part_size(4 * PART).start().await.unwrap();
    let client = mock_client(&server);

    let err = client
        .uploads()
        .upload_bytes(
            content(3 * PART as usize),
            "tiny-parts.png",
            UploadKind::Image,
        )
        .min_part_size(PART)
        .part_size(PART)
        .wait(true)
        .wait_interval(Duration::from_millis(20))
        .await
        .unwrap_err();

    let Error::WorkFailed {
        work: Work::Upload,
        id: upload_id,
        message,
        ..
    } = &err
    else {
        panic!("expected WorkFailed, got {err:?}");
    };
    assert!(message.contains("EntityTooSmall"), "{message}");
    assert_eq!(
        server.upload(upload_id).unwrap().error_message.as_deref(),
        Some(message.as_str())
    );
}

#[tokio::test]
async fn waiting_too_long_is_a_wait_timeout_with_the_last_status() {
    let server = MockServer::builder()
        .validation_delay(Duration::from_secs(30))
        .start()
        .await
        .unwrap();
    let client = mock_client(&server);

    let started = Instant::now();
    let err = client
        .uploads()
        .upload_bytes(content(10), "slow.png", UploadKind::Image)
        .wait(true)
        .wait_timeout(Duration::from_millis(200))
        .wait_interval(Duration::from_millis(20))
        .await
        .unwrap_err();

    let Error::WaitTimeout { status, waited, .. } = &err else {
        panic!("expected WaitTimeout, got {err:?}");
    };
    assert_eq!(status, "validating");
    assert!(*waited >= Duration::from_millis(200), "{waited:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// Asserts that no upload was created: the error came from local checks.
fn assert_nothing_created(server: &MockServer) {
    assert_eq!(server.request_count(OperationId::CreateUpload), 0);
    assert!(server.uploads().is_empty());
}

#[tokio::test]
async fn a_missing_file_is_an_io_error_naming_it() {
    let server = server().await;
    let client = mock_client(&server);
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.png");

    let err = client
        .uploads()
        .upload_file(&missing, UploadKind::Image)
        .await
        .unwrap_err();

    let Error::Io {
        path: Some(path),
        source,
    } = &err
    else {
        panic!("expected Io, got {err:?}");
    };
    assert_eq!(path, &missing);
    assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
    assert!(err.to_string().contains("nope.png"), "{err}");
    assert_nothing_created(&server);
}

#[tokio::test]
async fn a_directory_is_refused() {
    let server = server().await;
    let client = mock_client(&server);
    let dir = tempfile::tempdir().unwrap();

    let err = client
        .uploads()
        .upload_file(dir.path(), UploadKind::Image)
        .await
        .unwrap_err();

    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert!(err.to_string().contains("is a directory"), "{err}");
    assert_nothing_created(&server);
}

#[tokio::test]
async fn an_empty_file_is_refused_because_the_service_needs_a_byte() {
    let server = server().await;
    let client = mock_client(&server);
    let (_dir, path) = temp_file("empty.png", b"");

    let err = client
        .uploads()
        .upload_file(&path, UploadKind::Image)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert!(err.to_string().contains("at least one byte"), "{err}");

    let err = client
        .uploads()
        .upload_bytes(Vec::new(), "empty.png", UploadKind::Image)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("at least one byte"), "{err}");
    assert_nothing_created(&server);
}

#[tokio::test]
async fn a_part_size_below_five_mib_is_refused_unless_the_server_allows_it() {
    let server = server().await;
    let client = mock_client(&server);

    let err = client
        .uploads()
        .upload_bytes(content(4 * PART as usize), "a.png", UploadKind::Image)
        .part_size(PART)
        .await
        .unwrap_err();

    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("below the storage's minimum of 5242880"),
        "{err}"
    );
    assert_nothing_created(&server);
}

#[tokio::test]
async fn more_than_ten_thousand_parts_are_refused() {
    let server = server().await;
    let client = mock_client(&server);

    let err = client
        .uploads()
        .upload_bytes(content(10_001), "a.png", UploadKind::Image)
        .min_part_size(1)
        .part_size(1)
        .await
        .unwrap_err();

    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert!(err.to_string().contains("10001 parts"), "{err}");
    assert_nothing_created(&server);
}

#[tokio::test]
async fn zero_concurrency_is_refused() {
    let server = server().await;
    let client = mock_client(&server);

    let err = client
        .uploads()
        .upload_bytes(content(10), "a.png", UploadKind::Image)
        .concurrency(0)
        .await
        .unwrap_err();

    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert!(err.to_string().contains("concurrency"), "{err}");
    assert_nothing_created(&server);
}

#[tokio::test]
async fn a_reader_shorter_than_announced_fails_and_the_upload_is_not_completed() {
    let server = server().await;
    let client = mock_client(&server);
    let recorder = Recorder::default();
    let reader = std::io::Cursor::new(content(3 * PART as usize + 5));

    let err = client
        .uploads()
        .upload_reader(reader, 5 * PART, "short.png", UploadKind::Image)
        .min_part_size(PART)
        .part_size(PART)
        .on_progress(recorder.callback())
        .await
        .unwrap_err();

    // The upload exists by then: the error names it, around the kind of failure.
    assert_eq!(err.upload_id(), Some(recorder.upload_id().as_str()));
    let Error::Io { path: None, source } = err.cause() else {
        panic!("expected Io, got {err:?}");
    };
    assert_eq!(source.kind(), std::io::ErrorKind::UnexpectedEof);
    assert!(err.to_string().contains("ended after 3077 bytes"), "{err}");
    let upload = server.upload(&recorder.upload_id()).unwrap();
    assert_eq!(upload.status, UploadStatus::Pending);
    assert_eq!(server.request_count(OperationId::TriggerUploadAction), 0);
}

#[tokio::test]
async fn a_file_that_grows_during_the_upload_is_not_completed() {
    let server = server().await;
    let client = mock_client(&server);
    let (_dir, path) = temp_file("log.png", &content(3 * PART as usize));
    let recorder = Recorder::default();
    let record = recorder.callback();
    let appended = path.clone();

    let err = client
        .uploads()
        .upload_file(&path, UploadKind::Image)
        .min_part_size(PART)
        .part_size(PART)
        .concurrency(1)
        .on_progress(move |p| {
            record(p);
            if p.parts_done == 1 {
                let mut file = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&appended)
                    .unwrap();
                file.write_all(b"more").unwrap();
            }
        })
        .await
        .unwrap_err();

    assert!(
        matches!(err.cause(), Error::Io { path: Some(p), .. } if *p == path),
        "{err:?}"
    );
    assert_eq!(err.upload_id(), Some(recorder.upload_id().as_str()));
    assert!(err.to_string().contains("changed size"), "{err}");
    let upload = server.upload(&recorder.upload_id()).unwrap();
    assert_eq!(upload.status, UploadStatus::Pending);
    assert_eq!(server.request_count(OperationId::TriggerUploadAction), 0);
}

#[tokio::test]
async fn a_file_that_shrinks_during_the_upload_is_not_completed() {
    let server = server().await;
    let client = mock_client(&server);
    let (_dir, path) = temp_file("cut.png", &content(4 * PART as usize));
    let recorder = Recorder::default();
    let record = recorder.callback();
    let truncated = path.clone();

    let err = client
        .uploads()
        .upload_file(&path, UploadKind::Image)
        .min_part_size(PART)
        .part_size(PART)
        .concurrency(1)
        .on_progress(move |p| {
            record(p);
            if p.parts_done == 1 {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&truncated)
                    .unwrap();
                file.set_len(PART + 10).unwrap();
            }
        })
        .await
        .unwrap_err();

    assert!(
        matches!(err.cause(), Error::Io { path: Some(p), .. } if *p == path),
        "{err:?}"
    );
    assert_eq!(err.upload_id(), Some(recorder.upload_id().as_str()));
    assert!(err.to_string().contains("shorter"), "{err}");
    assert_eq!(server.request_count(OperationId::TriggerUploadAction), 0);
    let upload = server.upload(&recorder.upload_id()).unwrap();
    assert_eq!(upload.status, UploadStatus::Pending);
}

#[tokio::test]
async fn dropping_the_upload_stops_its_parts_and_never_completes_it() {
    let server = server().await;
    let client = mock_client(&server);
    let recorder = Recorder::default();
    let record = recorder.callback();
    let (first_part_in, dropped) = tokio::sync::oneshot::channel::<()>();
    let first_part_in = Mutex::new(Some(first_part_in));
    let failing = server.clone();

    let upload = client
        .uploads()
        .upload_bytes(content(20 * PART as usize), "big.png", UploadKind::Image)
        .min_part_size(PART)
        .part_size(PART)
        .concurrency(2)
        .max_retries(10)
        .on_progress(move |p| {
            record(p);
            if p.parts_done == 1 {
                // From now on the storage fails every part: a part task that
                // outlived the upload's future would go on retrying.
                failing
                    .inject(FaultRule::new(Route::PartPut, Fault::Status(503)).times(usize::MAX));
                if let Some(tx) = first_part_in.lock().unwrap().take() {
                    let _ = tx.send(());
                }
            }
        })
        .send();
    tokio::select! {
        result = upload => panic!("the upload ended before it was dropped: {result:?}"),
        _ = dropped => {}
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The parts that landed, and at most one try of each of the two parts in
    // flight at the drop.
    let receipt = server.upload_receipt(&recorder.upload_id()).unwrap();
    let puts = server.request_count(Route::PartPut);
    let landed = receipt.parts.len();
    assert!(
        puts <= landed + 2,
        "{puts} part PUTs for {landed} parts: parts went on after the drop"
    );
    assert!(!receipt.has_all_parts());
    assert_eq!(receipt.status, UploadStatus::Pending);
    assert_eq!(server.request_count(OperationId::TriggerUploadAction), 0);
}

#[tokio::test]
async fn a_url_import_ends_imported_with_an_asset() {
    let server = server().await;
    let client = mock_client(&server);

    let upload = client
        .uploads()
        .import_url("https://example.com/art/dragon.png", UploadKind::Image)
        .collection("col_dragons")
        .hide(true)
        .wait(true)
        .wait_interval(Duration::from_millis(20))
        .await
        .unwrap();

    assert_eq!(upload.status, UploadStatus::Imported);
    let asset = server.asset(upload.entity_id.as_deref().unwrap()).unwrap();
    assert_eq!(asset.collection_ids, ["col_dragons"]);
}

#[tokio::test]
async fn model_imports_from_hugging_face_and_civitai_end_imported() {
    let server = server().await;
    let client = mock_client(&server);

    let hugging_face = client
        .uploads()
        .import_hugging_face("stabilityai/stable-diffusion-xl-base-1.0")
        .wait(true)
        .wait_interval(Duration::from_millis(20))
        .await
        .unwrap();
    assert_eq!(hugging_face.status, UploadStatus::Imported);
    assert!(hugging_face.entity_id.is_some());

    let civitai = client
        .uploads()
        .import_civitai("https://civitai.com/models/370194/translucent?modelVersionId=413566")
        .await
        .unwrap();
    assert_eq!(civitai.status, UploadStatus::Pending, "not waited for");
    let civitai = client
        .uploads()
        .wait_until_ready(civitai.id)
        .interval(Duration::from_millis(20))
        .await
        .unwrap();
    assert_eq!(civitai.status, UploadStatus::Imported);
}

#[tokio::test]
async fn a_failed_import_carries_the_servers_message() {
    let server = server().await;
    let client = mock_client(&server);

    let err = client
        .uploads()
        .import_civitai("https://example.com/models/1")
        .wait(true)
        .wait_interval(Duration::from_millis(20))
        .await
        .unwrap_err();

    let Error::WorkFailed { message, .. } = &err else {
        panic!("expected WorkFailed, got {err:?}");
    };
    assert!(message.contains("civitai.com"), "{message}");
}

#[tokio::test]
async fn imports_refuse_what_the_service_could_not_fetch_before_asking_it() {
    let server = server().await;
    let client = mock_client(&server);
    let uploads = client.uploads();

    for err in [
        uploads.import_url("dragon.png", UploadKind::Image).await,
        uploads
            .import_url("ftp://example.com/a.png", UploadKind::Image)
            .await,
        uploads.import_civitai("civitai.com/models/1").await,
        uploads.import_hugging_face("  ").await,
    ]
    .map(Result::unwrap_err)
    {
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    }
    assert_nothing_created(&server);
}
