//! Soak of `downloads().to_dir` under faults: for several seeds, random faults
//! on the API and the CDN (cut bodies, hang-ups, 5xx, 429s, slowness), plus a
//! directory a user (or an attacker) left things in: partial files of unknown
//! version, a symbolic link and a hard link to files outside the directory at
//! partial names. Each run that does not finish is followed by the same call
//! again, as a user would. Every file a run reports written or skipped must be
//! byte-exact at that moment; in the end the directory holds exactly one whole
//! file per asset and nothing else, and the files outside are untouched:
//! nothing mixed, truncated, duplicated or written outside the directory.
//!
//! `download_soak_short` runs in plain `cargo test` (5 seeds); the long one
//! (12 seeds, more assets) is ignored by default:
//! `cargo test -p scenario-sdk --test soak_downloads -- --ignored --nocapture`.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use scenario_mock::{Fault, FaultRule, MockServer, RandomFaults, Route};
use scenario_sdk::types::Asset;
use scenario_testkit::{download_name, seeded_content, sha256_hex, start_mock};

/// Runs of the same call before the soak gives up on converging.
const MAX_RUNS: usize = 15;

fn digest_of(path: &Path) -> String {
    sha256_hex(&std::fs::read(path).unwrap())
}

/// The names in `dir`.
fn names_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

async fn soak_one(seed: u64, assets: usize) {
    let (server, client) = start_mock(
        MockServer::builder()
            .assets(assets)
            .seed(seed)
            .random_faults(RandomFaults {
                seed,
                api_rate: 0.15,
                storage_rate: 0.3,
                retry_after: Duration::from_millis(10),
                slow_delay: Duration::from_millis(10),
            }),
    )
    .await;
    // The assets, as the service lists them (a listing may fail under faults).
    let mut listed = None;
    for _ in 0..MAX_RUNS {
        if let Ok(page) = client.assets().list().page_size(100).send().await {
            listed = Some(page.assets);
            break;
        }
    }
    let listed: Vec<Asset> = listed.expect("the assets are listed");
    assert_eq!(listed.len(), assets);
    server.inject(FaultRule::new(Route::CdnFile, Fault::Truncate).times(4));
    server.inject(FaultRule::new(Route::CdnFile, Fault::Drop).times(2));
    server.inject(FaultRule::new(Route::CdnFile, Fault::Status(503)).times(2));

    let outside = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = listed.iter().map(download_name).collect();
    // Partial files of unknown version: to be started over, never appended to.
    for (i, name) in names.iter().enumerate().take(3) {
        std::fs::write(
            dir.path().join(format!("{name}.part")),
            seeded_content(seed + i as u64, 5_000),
        )
        .unwrap();
    }
    #[cfg(unix)]
    let victims = {
        let link = outside.path().join("linked");
        let hard = outside.path().join("hard");
        std::fs::write(&link, b"linked").unwrap();
        std::fs::write(&hard, b"hard").unwrap();
        std::os::unix::fs::symlink(&link, dir.path().join(format!("{}.part", names[3]))).unwrap();
        std::fs::hard_link(&hard, dir.path().join(format!("{}.part", names[4]))).unwrap();
        [(link, &b"linked"[..]), (hard, &b"hard"[..])]
    };

    let mut failures = Vec::new();
    let mut complete = false;
    for _ in 0..MAX_RUNS {
        let report = client
            .downloads()
            .to_dir(dir.path())
            .stream(client.assets().list().page_size(7).stream())
            .concurrency(4)
            .stall_timeout(Duration::from_secs(5))
            .await
            .unwrap();
        // Whatever a run calls done is whole, and the asset's own file.
        for file in report.written.iter().chain(&report.skipped) {
            assert_eq!(
                digest_of(&file.path),
                server.asset_sha256(&file.asset_id).unwrap(),
                "seed {seed}: {} was called done",
                file.asset_id
            );
        }
        failures.extend(report.failed.iter().map(|f| f.error.to_string()));
        if let Some(err) = &report.listing_error {
            failures.push(err.to_string());
        }
        if report.is_complete() && report.written.len() + report.skipped.len() == assets {
            complete = true;
            break;
        }
    }
    assert!(complete, "seed {seed}: never complete: {failures:#?}");

    // One whole file per asset, and nothing else: no partial file, no record
    // of a version, no temporary file left behind.
    let expected: BTreeSet<String> = names.iter().cloned().collect();
    assert_eq!(names_in(dir.path()), expected, "seed {seed}");
    for (asset, name) in listed.iter().zip(&names) {
        assert_eq!(
            digest_of(&dir.path().join(name)),
            server.asset_sha256(&asset.id).unwrap(),
            "seed {seed}: {name}"
        );
    }
    #[cfg(unix)]
    for (path, content) in victims {
        assert!(
            std::fs::read(&path).unwrap() == content,
            "seed {seed}: {} outside the directory was written",
            path.display()
        );
    }
    assert!(
        !server.faults_injected().is_empty(),
        "seed {seed}: the soak injected no fault"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_soak_short() {
    let soak = async {
        for seed in 1..=5 {
            soak_one(seed, 12).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(120), soak)
        .await
        .expect("the download soak hung");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the long download soak: cargo test -p scenario-sdk --test soak_downloads -- --ignored"]
async fn download_soak_long() {
    let soak = async {
        for seed in 100..112 {
            soak_one(seed, 40).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(900), soak)
        .await
        .expect("the download soak hung");
}
