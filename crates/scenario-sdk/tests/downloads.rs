//! Downloads against the fake's CDN: byte-exact files, skipping, resuming
//! (after a cut transfer and after an interrupted run), fresh URLs after a 403,
//! no credentials on the way to the CDN, listings as input, archives.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scenario_mock::{Fault, FaultRule, MockServer, OperationId, Route, Target};
use scenario_sdk::types::{Asset, DownloadTargetFormat};
use scenario_sdk::{Client, DownloadProgress, Error};
use scenario_testkit::{download_name, mock_client_builder, sha256_hex, start_mock};

/// A fake whose jobs end at once, and the assets of a model run of `outputs`
/// images (64 to 128 KiB each).
async fn generated(
    builder: scenario_mock::MockServerBuilder,
    outputs: u64,
) -> (MockServer, Client, Vec<Asset>) {
    let (server, client) = start_mock(builder.validation_delay(Duration::from_millis(10))).await;
    let run = client
        .generate()
        .custom("model_test")
        .prompt("a stone bridge")
        .param("numOutputs", outputs)
        .wait(true)
        .interval(Duration::from_millis(10))
        .await
        .unwrap();
    assert_eq!(run.assets.len() as u64, outputs);
    (server, client, run.assets)
}

fn digest_of(path: &Path) -> String {
    sha256_hex(&std::fs::read(path).unwrap())
}

fn cdn_requests(server: &MockServer) -> Vec<scenario_mock::RecordedRequest> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.target == Target::Cdn)
        .collect()
}

#[tokio::test]
async fn files_arrive_byte_exact_and_a_second_run_skips_them() {
    let (server, client, assets) = generated(MockServer::builder().assets(0), 3).await;
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<String> = assets.iter().map(|a| a.id.clone()).collect();
    let report = client
        .downloads()
        .to_dir(dir.path())
        .ids(&ids)
        .await
        .unwrap();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.written.len(), 3);
    for file in &report.written {
        assert_eq!(file.path, dir.path().join(format!("{}.png", file.asset_id)));
        assert_eq!(
            digest_of(&file.path),
            server.asset_sha256(&file.asset_id).unwrap()
        );
        assert_eq!(std::fs::metadata(&file.path).unwrap().len(), file.bytes);
    }
    // Ids are looked up in one request, not one each.
    assert_eq!(
        server.request_count(OperationId::GetAssetsBulk),
        2,
        "one for the run, one here"
    );
    let no_part_files = std::fs::read_dir(dir.path())
        .unwrap()
        .all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".part"));
    assert!(no_part_files);

    let again = client
        .downloads()
        .to_dir(dir.path())
        .assets(assets)
        .await
        .unwrap();
    assert_eq!(again.written.len(), 0);
    assert_eq!(again.skipped.len(), 3);
    assert_eq!(
        cdn_requests(&server).len(),
        3,
        "skipped files are not fetched"
    );
}

#[tokio::test]
async fn a_cut_transfer_resumes_where_it_stopped() {
    let (server, client, assets) = generated(MockServer::builder().assets(0), 1).await;
    server.inject(FaultRule::new(Route::CdnFile, Fault::Truncate));
    let dir = tempfile::tempdir().unwrap();
    let report = client
        .downloads()
        .to_dir(dir.path())
        .asset(assets[0].clone())
        .await
        .unwrap();
    assert!(report.is_complete(), "{report:?}");
    let file = &report.written[0];
    assert_eq!(
        digest_of(&file.path),
        server.asset_sha256(&assets[0].id).unwrap()
    );
    let statuses: Vec<Option<u16>> = cdn_requests(&server).iter().map(|r| r.status).collect();
    // The cut answer, then only the rest of the file.
    assert_eq!(statuses, vec![Some(200), Some(206)]);
}

#[tokio::test]
async fn a_partial_file_from_an_earlier_run_is_resumed() {
    let (server, client, assets) = generated(MockServer::builder().assets(0), 1).await;
    let dir = tempfile::tempdir().unwrap();
    // An earlier run whose transfer was cut, with no retry left.
    server.inject(FaultRule::new(Route::CdnFile, Fault::Truncate));
    let earlier = client
        .with_max_retries(0)
        .downloads()
        .to_dir(dir.path())
        .asset(assets[0].clone())
        .await
        .unwrap();
    assert_eq!(earlier.failed.len(), 1);
    let partials: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "part"))
        .collect();
    assert_eq!(partials.len(), 1);
    let kept = std::fs::metadata(&partials[0]).unwrap().len();
    assert!(kept > 0);

    let report = client
        .downloads()
        .to_dir(dir.path())
        .asset(assets[0].clone())
        .await
        .unwrap();
    let file = &report.written[0];
    assert_eq!(
        digest_of(&file.path),
        server.asset_sha256(&assets[0].id).unwrap()
    );
    assert!(!partials[0].exists());
    let last = cdn_requests(&server).last().unwrap().clone();
    assert_eq!(last.status, Some(206), "only the rest was asked for");
    // Nothing but the file is left in the directory.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[tokio::test]
async fn a_partial_file_of_unknown_version_is_started_over_not_appended_to() {
    let (server, client, assets) = generated(MockServer::builder().assets(0), 1).await;
    let dir = tempfile::tempdir().unwrap();
    let whole = client
        .downloads()
        .to_dir(dir.path().join("whole"))
        .asset(assets[0].clone())
        .await
        .unwrap();
    let name = whole.written[0].path.file_name().unwrap().to_owned();
    let mut partial = name.clone();
    partial.push(".part");
    // Bytes of some other version of the file, with nothing saying which.
    std::fs::write(dir.path().join(&partial), vec![0xAB; 500]).unwrap();

    let report = client
        .downloads()
        .to_dir(dir.path())
        .asset(assets[0].clone())
        .await
        .unwrap();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(
        digest_of(&dir.path().join(&name)),
        server.asset_sha256(&assets[0].id).unwrap()
    );
    assert_eq!(cdn_requests(&server).last().unwrap().status, Some(200));
}

/// A file of 1000 bytes in two versions of the same size.
fn versions() -> (Vec<u8>, Vec<u8>) {
    (vec![b'1'; 1000], vec![b'2'; 1000])
}

/// A 200 of `body` whose connection closes after `sent` bytes.
fn cut_response(etag: &str, body: &[u8], sent: usize) -> scenario_testkit::Reply {
    let mut raw = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: {}\r\netag: {etag}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(&body[..sent]);
    scenario_testkit::Reply::Raw(raw)
}

#[tokio::test]
async fn a_file_that_changed_between_attempts_is_fetched_whole_never_stitched() {
    use scenario_testkit::{Reply, ScriptedServer};
    let (old, new) = versions();
    // The first answer is cut; by the resume the file changed, and a server
    // that honours If-Range sends the new version whole.
    let files = ScriptedServer::start(vec![
        cut_response("\"v1\"", &old, 400),
        Reply::new(200, "image/png", new.clone()).header("etag", "\"v2\""),
    ])
    .await;
    let (_dir, report, _) = download_served(&files).await;
    assert!(report.is_complete(), "{:?}", report.failed);
    assert_eq!(std::fs::read(&report.written[0].path).unwrap(), new);
    let resume = &files.requests()[1];
    assert_eq!(resume.header("range"), Some("bytes=400-"));
    assert_eq!(resume.header("if-range"), Some("\"v1\""));
}

#[tokio::test]
async fn a_range_of_another_version_is_refused_and_the_file_fetched_again() {
    use scenario_testkit::{Reply, ScriptedServer};
    let (old, new) = versions();
    // A server that ignores If-Range answers the range of the new version:
    // appending it would stitch two versions together.
    let files = ScriptedServer::start(vec![
        cut_response("\"v1\"", &old, 400),
        Reply::new(206, "image/png", new[400..].to_vec())
            .header("etag", "\"v2\"")
            .header("content-range", "bytes 400-999/1000"),
        Reply::new(200, "image/png", new.clone()).header("etag", "\"v2\""),
    ])
    .await;
    let (_dir, report, _) = download_served(&files).await;
    assert!(report.is_complete(), "{:?}", report.failed);
    assert_eq!(std::fs::read(&report.written[0].path).unwrap(), new);
    assert_eq!(files.requests()[2].header("range"), None, "fetched whole");
}

#[tokio::test]
async fn a_refused_url_is_renewed_once_and_server_errors_are_retried() {
    let (server, client, assets) = generated(MockServer::builder().assets(0), 1).await;
    server.inject(FaultRule::new(Route::CdnFile, Fault::Status(403)));
    server.inject(FaultRule::new(Route::CdnFile, Fault::Status(503)));
    let dir = tempfile::tempdir().unwrap();
    let report = client
        .downloads()
        .to_dir(dir.path())
        .asset(assets[0].clone())
        .await
        .unwrap();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(
        server.request_count(OperationId::GetAsset),
        1,
        "a fresh URL after the 403"
    );
    assert_eq!(server.request_count(Route::CdnFile), 3);
}

#[tokio::test]
async fn a_missing_file_fails_alone_and_is_not_retried() {
    let (server, client, assets) = generated(MockServer::builder().assets(0), 2).await;
    let mut gone = assets[0].clone();
    gone.url = gone.url.replace(&gone.id, "asset_gone");
    let dir = tempfile::tempdir().unwrap();
    let report = client
        .downloads()
        .to_dir(dir.path())
        .asset(gone)
        .asset(assets[1].clone())
        .id("asset_unknown")
        .await
        .unwrap();
    assert!(!report.is_complete());
    assert_eq!(report.written.len(), 1);
    assert_eq!(report.failed.len(), 2);
    let refused = report
        .failed
        .iter()
        .find(|f| f.asset_id == assets[0].id)
        .unwrap();
    assert!(refused.error.is_not_found(), "{}", refused.error);
    assert!(matches!(refused.error, Error::Download { .. }));
    let text = refused.error.to_string();
    assert!(
        text.contains(&assets[0].id) && text.contains("NoSuchKey"),
        "{text}"
    );
    let unknown = report
        .failed
        .iter()
        .find(|f| f.asset_id == "asset_unknown")
        .unwrap();
    assert!(
        unknown.error.to_string().contains("does not know"),
        "{}",
        unknown.error
    );
    assert_eq!(
        server.request_count(Route::CdnFile),
        2,
        "the 404 is not retried"
    );
}

#[tokio::test]
async fn no_credential_or_extra_header_reaches_the_cdn_through_a_redirect() {
    let builder = MockServer::builder()
        .assets(0)
        .cdn_redirects(true)
        .validation_delay(Duration::from_millis(10));
    let server = builder.start().await.unwrap();
    let client = mock_client_builder(&server)
        .header("x-team-secret", "s3cr3t")
        .build()
        .unwrap();
    let run = client
        .generate()
        .custom("model_test")
        .prompt("a fox")
        .wait(true)
        .interval(Duration::from_millis(10))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = client
        .downloads()
        .to_dir(dir.path())
        .assets(run.assets.clone())
        .await
        .unwrap();
    assert!(report.is_complete(), "{report:?}");
    let cdn = cdn_requests(&server);
    let routes: Vec<Option<Route>> = cdn.iter().map(|r| r.route).collect();
    assert_eq!(routes, vec![Some(Route::CdnRedirect), Some(Route::CdnFile)]);
    for request in &cdn {
        assert!(!request.authorization, "{request:?}");
        assert!(
            !request.header_names.iter().any(|h| h == "x-team-secret"),
            "{request:?}"
        );
    }
    assert_eq!(
        digest_of(&report.written[0].path),
        server.asset_sha256(&run.assets[0].id).unwrap()
    );
}

#[tokio::test]
async fn a_listing_streams_into_the_directory_with_progress_that_only_grows() {
    let (server, client) = start_mock(MockServer::builder().assets(6)).await;
    let dir = tempfile::tempdir().unwrap();
    let seen: Arc<Mutex<Vec<DownloadProgress>>> = Arc::default();
    let log = seen.clone();
    let report = client
        .downloads()
        .to_dir(dir.path())
        .stream(client.assets().list().page_size(4).stream())
        .concurrency(3)
        .on_progress(move |p| log.lock().unwrap().push(p.clone()))
        .await
        .unwrap();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.written.len(), server.asset_count());
    for file in &report.written {
        assert_eq!(
            digest_of(&file.path),
            server.asset_sha256(&file.asset_id).unwrap()
        );
    }
    let seen = seen.lock().unwrap().clone();
    assert!(seen.windows(2).all(|w| w[0] != w[1]
        && w[0].bytes_done <= w[1].bytes_done
        && w[0].files_done <= w[1].files_done));
    let last = seen.last().unwrap();
    assert_eq!(last.files_done, report.written.len());
    assert_eq!(last.bytes_done, report.bytes_written());
    assert_eq!(last.files_total, None, "a stream's length is not known");
}

#[tokio::test]
async fn a_listing_that_fails_keeps_what_was_given_and_says_so() {
    let (server, client) = start_mock(MockServer::builder().assets(6)).await;
    let first = client
        .assets()
        .list()
        .page_size(2)
        .first_page()
        .await
        .unwrap();
    server.inject(FaultRule::new(OperationId::ListAssets, Fault::Status(400)).times(usize::MAX));
    let dir = tempfile::tempdir().unwrap();
    let report = client
        .downloads()
        .to_dir(dir.path())
        .assets(first.items.clone())
        .stream(client.assets().list().page_size(2).stream())
        .await
        .unwrap();
    assert_eq!(report.written.len(), first.items.len());
    let error = report.listing_error.as_ref().expect("the listing's error");
    assert!(error.is_bad_request(), "{error}");
    assert!(!report.is_complete());
}

#[tokio::test]
async fn converted_files_take_the_format_as_extension() {
    let (_server, client, assets) = generated(MockServer::builder().assets(0), 1).await;
    let dir = tempfile::tempdir().unwrap();
    let report = client
        .downloads()
        .to_dir(dir.path())
        .asset(assets[0].clone())
        .format(DownloadTargetFormat::Webp)
        .await
        .unwrap();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(
        report.written[0].path,
        dir.path().join(format!("{}.webp", assets[0].id))
    );
}

#[tokio::test]
async fn an_archive_is_made_waited_for_and_downloaded() {
    let (server, client, assets) = generated(MockServer::builder().assets(0), 2).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("assets.zip");
    let archive = client
        .downloads()
        .archive(assets.iter().map(|a| a.id.clone()))
        .to_file(&path)
        .await
        .unwrap();
    assert_eq!(archive.path, path);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), archive.bytes);
    assert!(archive.bytes > 0);
    assert_eq!(server.request_count(Route::CdnArchive), 1);
    assert_eq!(server.request_count(OperationId::RequestAssetsDownload), 1);
}

#[tokio::test]
async fn bad_options_are_refused_before_any_request() {
    let (server, client) = start_mock(MockServer::builder().assets(1)).await;
    let dir = tempfile::tempdir().unwrap();
    let err = client
        .downloads()
        .to_dir(dir.path())
        .id("asset_x")
        .concurrency(0)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    let err = client.downloads().archive(["a"]).await.unwrap_err();
    assert!(err.to_string().contains("to_file"), "{err}");
    assert_eq!(server.request_count(Route::AnyApi), 0);
}

#[tokio::test]
async fn an_uploaded_file_comes_back_as_it_was_sent() {
    let (server, client) = start_mock(scenario_testkit::upload_mock().assets(0)).await;
    let bytes = scenario_testkit::content(3 * scenario_testkit::SMALL_PART as usize + 77);
    let (_source, path) = scenario_testkit::temp_file("hero.png", &bytes);
    let upload = client
        .uploads()
        .upload_file(&path, scenario_sdk::types::UploadKind::Image)
        .min_part_size(scenario_testkit::SMALL_PART)
        .part_size(scenario_testkit::SMALL_PART)
        .wait(true)
        .await
        .unwrap();
    let asset_id = upload.entity_id.expect("the upload made an asset");
    let dir = tempfile::tempdir().unwrap();
    let report = client
        .downloads()
        .to_dir(dir.path())
        .id(&asset_id)
        .await
        .unwrap();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(std::fs::read(&report.written[0].path).unwrap(), bytes);
    assert_eq!(server.asset_sha256(&asset_id).unwrap(), sha256_hex(&bytes));
}

#[tokio::test]
async fn generate_wait_and_download_survive_faults_on_every_read() {
    let (server, client) = start_mock(
        MockServer::builder()
            .assets(0)
            .validation_delay(Duration::from_millis(50)),
    )
    .await;
    for rule in [
        FaultRule::new(OperationId::GetJob, Fault::Status(503)).times(2),
        FaultRule::new(OperationId::GetAssetsBulk, Fault::Drop),
        FaultRule::new(Route::CdnFile, Fault::Drop),
        FaultRule::new(Route::CdnFile, Fault::Truncate),
        FaultRule::new(
            Route::CdnFile,
            Fault::RateLimited {
                retry_after: Duration::from_millis(20),
            },
        ),
    ] {
        server.inject(rule);
    }
    let made = client
        .generate()
        .custom("model_test")
        .prompt("a lighthouse")
        .param("numOutputs", 3)
        .wait(true)
        .interval(Duration::from_millis(10))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = client
        .downloads()
        .to_dir(dir.path())
        .assets(made.assets.clone())
        .await
        .unwrap();
    assert!(report.is_complete(), "{report:?}");
    for asset in &made.assets {
        let path = dir.path().join(format!("{}.png", asset.id));
        assert_eq!(digest_of(&path), server.asset_sha256(&asset.id).unwrap());
    }
    let injected = server.faults_injected();
    assert_eq!(injected.len(), 6, "{injected:?}");
}

/// Downloads the 1000-byte asset `files` serves (see [`asset_served_by`])
/// into a new directory: the directory, the report, and the last count of
/// bytes the progress reported.
async fn download_served(
    files: &scenario_testkit::ScriptedServer,
) -> (tempfile::TempDir, scenario_sdk::DownloadReport, u64) {
    let dir = tempfile::tempdir().unwrap();
    let received = Arc::new(Mutex::new(0u64));
    let seen = received.clone();
    let report = files
        .client()
        .downloads()
        .to_dir(dir.path())
        .asset(asset_served_by(files, 1000))
        .on_progress(move |p: &DownloadProgress| *seen.lock().unwrap() = p.bytes_done)
        .await
        .unwrap();
    let received = *received.lock().unwrap();
    (dir, report, received)
}

/// An asset of `size` bytes (as the API announces it) whose file is served by
/// `server`.
fn asset_served_by(server: &scenario_testkit::ScriptedServer, size: u64) -> Asset {
    let mut asset: Asset =
        serde_json::from_value(scenario_testkit::asset_with_id("asset_hostile")).unwrap();
    asset.url = format!("{}/files/asset_hostile.png", server.url());
    asset.mime_type = "image/png".into();
    asset.properties.size = size;
    asset
}

#[cfg(unix)]
#[tokio::test]
async fn a_symbolic_link_at_the_partial_or_final_name_is_never_written_through() {
    let (_server, client, assets) = generated(MockServer::builder().assets(0), 2).await;
    let outside = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = assets.iter().map(download_name).collect();
    // A link at the first file's `.part`, and at the second file's final name
    // to a file of the asset's size (which must not pass for the download).
    let victim_part = outside.path().join("victim-part");
    std::fs::write(&victim_part, b"precious").unwrap();
    std::os::unix::fs::symlink(&victim_part, dir.path().join(format!("{}.part", names[0])))
        .unwrap();
    let victim_final = outside.path().join("victim-final");
    std::fs::write(
        &victim_final,
        vec![b'x'; assets[1].properties.size as usize],
    )
    .unwrap();
    std::os::unix::fs::symlink(&victim_final, dir.path().join(&names[1])).unwrap();

    let report = client
        .downloads()
        .to_dir(dir.path())
        .assets(assets.clone())
        .await
        .unwrap();
    assert!(report.is_complete(), "{:?}", report.failed);
    assert_eq!(report.written.len(), 2, "the link did not pass for a file");
    assert_eq!(std::fs::read(&victim_part).unwrap(), b"precious");
    assert_eq!(
        std::fs::read(&victim_final).unwrap(),
        vec![b'x'; assets[1].properties.size as usize]
    );
    for name in &names {
        let path = dir.path().join(name);
        assert!(
            std::fs::symlink_metadata(&path).unwrap().is_file(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_body_longer_than_the_assets_size_is_cut_off_and_nothing_is_kept() {
    use scenario_testkit::{Reply, ScriptedServer};
    // 20 MiB with no Content-Length, for an asset of 1000 bytes.
    let files = ScriptedServer::start(vec![Reply::Chunked {
        chunks: 320,
        size: 64 * 1024,
    }])
    .await;
    let (dir, report, received) = download_served(&files).await;
    assert!(report.written.is_empty());
    let failed = &report.failed[0];
    assert_eq!(failed.asset_id, "asset_hostile");
    let text = failed.error.to_string();
    assert!(
        text.contains("asset_hostile") && text.contains("1000 bytes"),
        "{text}"
    );
    assert_eq!(files.hits(), 1, "not retried");
    // Nothing under the final name, nothing kept to resume from.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.iter().all(|name| {
            let path = dir.path().join(name);
            !name.to_string_lossy().ends_with(".png")
                && std::fs::metadata(&path).unwrap().len() == 0
        }),
        "{left:?}"
    );
    // Reading stopped near the bound, not at the end of the 20 MiB.
    assert!(received <= 1000, "{received}");
}

#[tokio::test]
async fn a_file_shorter_than_the_assets_size_is_an_error_and_not_put_in_place() {
    use scenario_testkit::{Reply, ScriptedServer};
    let files = ScriptedServer::start(vec![Reply::new(200, "image/png", vec![7u8; 600])]).await;
    let (dir, report, _) = download_served(&files).await;
    assert!(report.written.is_empty());
    let text = report.failed[0].error.to_string();
    assert!(
        text.contains("600 bytes") && text.contains("1000"),
        "{text}"
    );
    assert!(!dir.path().join("asset_hostile.png").exists());
}

#[cfg(unix)]
#[tokio::test]
async fn a_hard_link_at_the_partial_name_is_unlinked_never_written_through() {
    let (server, client, assets) = generated(MockServer::builder().assets(0), 1).await;
    let outside = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let name = download_name(&assets[0]);
    // A second name of a file outside the directory, at `.part` with no
    // version record: it would be emptied, or appended to.
    let victim = outside.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    std::fs::hard_link(&victim, dir.path().join(format!("{name}.part"))).unwrap();

    let report = client
        .downloads()
        .to_dir(dir.path())
        .assets(assets.clone())
        .await
        .unwrap();
    assert!(report.is_complete(), "{:?}", report.failed);
    assert!(
        std::fs::read(&victim).unwrap() == b"precious",
        "the file outside the directory was written"
    );
    assert_eq!(
        digest_of(&dir.path().join(&name)),
        server.asset_sha256(&assets[0].id).unwrap()
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_fifo_at_the_partial_name_is_unlinked_never_waited_on() {
    let (server, client, assets) = generated(MockServer::builder().assets(0), 1).await;
    let dir = tempfile::tempdir().unwrap();
    let name = download_name(&assets[0]);
    // A FIFO with no reader: opening it to write would block for ever.
    let fifo = dir.path().join(format!("{name}.part"));
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());

    let download = client.downloads().to_dir(dir.path()).assets(assets.clone());
    let Ok(report) = tokio::time::timeout(Duration::from_secs(30), download).await else {
        // Read the FIFO so that the blocked writer lets the runtime end.
        std::thread::spawn(move || std::fs::read(fifo));
        panic!("the download waited on the FIFO");
    };
    let report = report.unwrap();
    assert!(report.is_complete(), "{:?}", report.failed);
    let path = dir.path().join(&name);
    assert!(std::fs::symlink_metadata(&path).unwrap().is_file());
    assert_eq!(
        digest_of(&path),
        server.asset_sha256(&assets[0].id).unwrap()
    );
}

#[tokio::test]
async fn a_file_another_download_is_writing_is_refused_and_left_alone() {
    let (server, client, assets) = generated(MockServer::builder().assets(0), 2).await;
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = assets.iter().map(download_name).collect();
    // Another download (a process of its own, say) holds the first file.
    let partial = dir.path().join(format!("{}.part", names[0]));
    std::fs::write(&partial, b"being written").unwrap();
    let other = std::fs::OpenOptions::new()
        .write(true)
        .open(&partial)
        .unwrap();
    other.try_lock().unwrap();

    let report = client
        .downloads()
        .to_dir(dir.path())
        .assets(assets.clone())
        .await
        .unwrap();
    assert_eq!(report.written.len(), 1, "the other file is written");
    let failed = &report.failed[0];
    assert_eq!(failed.asset_id, assets[0].id);
    assert!(
        matches!(&failed.error, Error::Locked { path, .. } if *path == partial),
        "{:?}",
        failed.error
    );
    assert_eq!(std::fs::read(&partial).unwrap(), b"being written");
    assert!(!dir.path().join(&names[0]).exists());

    // Once the other download is gone, the file is fetched.
    drop(other);
    let report = client
        .downloads()
        .to_dir(dir.path())
        .assets(assets.clone())
        .await
        .unwrap();
    assert!(report.is_complete(), "{:?}", report.failed);
    assert_eq!(
        digest_of(&dir.path().join(&names[0])),
        server.asset_sha256(&assets[0].id).unwrap()
    );
}

#[tokio::test]
async fn a_part_of_the_file_answered_to_a_request_for_all_of_it_is_not_taken_for_the_file() {
    use scenario_testkit::{Reply, ScriptedServer};
    let (_, whole) = versions();
    // Asked for the whole file, the server answers its last 600 bytes.
    let files = ScriptedServer::start(vec![
        Reply::new(206, "image/png", whole[400..].to_vec())
            .header("etag", "\"v1\"")
            .header("content-range", "bytes 400-999/1000"),
        Reply::new(200, "image/png", whole.clone()).header("etag", "\"v1\""),
    ])
    .await;
    let (_dir, report, _) = download_served(&files).await;
    assert!(report.is_complete(), "{:?}", report.failed);
    assert_eq!(std::fs::read(&report.written[0].path).unwrap(), whole);
    let requests = files.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.header("range").is_none()));
}

#[tokio::test]
async fn a_size_announced_other_than_the_assets_is_refused_before_the_body_is_read() {
    use scenario_testkit::{Reply, ScriptedServer};
    // 5000 bytes announced for an asset of 1000.
    let mut raw =
        b"HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: 5000\r\n\r\n".to_vec();
    raw.extend_from_slice(&[9u8; 5000]);
    let files = ScriptedServer::start(vec![Reply::Raw(raw)]).await;
    let (dir, report, received) = download_served(&files).await;
    let text = report.failed[0].error.to_string();
    assert!(
        text.contains("asset_hostile") && text.contains("5000") && text.contains("1000"),
        "{text}"
    );
    assert_eq!(received, 0, "no byte of the body was taken");
    assert_eq!(files.hits(), 1, "not retried");
    assert!(!dir.path().join("asset_hostile.png").exists());
}
