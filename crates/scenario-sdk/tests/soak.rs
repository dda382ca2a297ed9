//! Soak under faults: many uploads of seeded random sizes, several at once, and
//! complete listings, against the fake service injecting ~20% random faults (429
//! with `Retry-After`, 500/502/503, dropped connections, slow responses) on the API
//! and on the part PUTs.
//!
//! `soak_short` runs in plain `cargo test` (12 uploads of 1 B..3 MiB, 5 listings,
//! a few seconds). The full soak (50 uploads of 1 B..40 MiB, 20 listings) is
//! ignored by default: `cargo test -p scenario-sdk --test soak -- --ignored --nocapture`.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use scenario_mock::{Fault, FaultRule, MockServer, OperationId, RandomFaults, Target};
use scenario_sdk::Error;
use scenario_sdk::types::{UploadKind, UploadStatus};
use scenario_testkit::{fast_retries, mock_client_builder, seeded_content, sha256_hex};

struct Soak {
    seed: u64,
    uploads: usize,
    min_size: u64,
    max_size: u64,
    listings: usize,
    concurrency: usize,
    budget: Duration,
}

/// The mock's smallest part: small, so that multi-part uploads happen with small files.
const MIN_PART: u64 = 64 * 1024;

/// Counts the SDK's `retrying` warnings (API requests and parts), from every thread.
#[derive(Clone, Default)]
struct RetryCounter(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for RetryCounter {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let meta = event.metadata();
        if *meta.level() == tracing::Level::WARN && meta.target().starts_with("scenario_sdk") {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn retry_counter() -> RetryCounter {
    use tracing_subscriber::layer::SubscriberExt as _;
    static COUNTER: std::sync::OnceLock<RetryCounter> = std::sync::OnceLock::new();
    COUNTER
        .get_or_init(|| {
            let counter = RetryCounter::default();
            let subscriber = tracing_subscriber::registry().with(counter.clone());
            // Another test of this binary may have installed it first: then ours counts nothing.
            let _ = tracing::subscriber::set_global_default(subscriber);
            counter
        })
        .clone()
}

/// A size between `min` and `max`, skewed towards small ones (like real files).
fn size(rng: &mut fastrand::Rng, min: u64, max: u64) -> u64 {
    let f = rng.f64();
    let span = (max - min) as f64;
    min + (span * f * f * f) as u64
}

fn fault_kind(fault: &Fault) -> String {
    match fault {
        Fault::Status(code) => format!("status {code}"),
        Fault::RateLimited { .. } => "429 retry-after".into(),
        Fault::Drop => "dropped connection".into(),
        Fault::Delay(_) => "slow response".into(),
        Fault::Truncate => "truncated body".into(),
        other => format!("{other:?}"),
    }
}

struct Sent {
    name: String,
    len: u64,
    part_size: u64,
    sha256: String,
    part_sha256: Vec<String>,
    result: Result<scenario_sdk::types::Upload, Error>,
}

async fn run(soak: Soak) {
    let retries = retry_counter();
    let retries_before = retries.0.load(Ordering::Relaxed);
    let started = Instant::now();
    let server = MockServer::builder()
        .min_part_size(MIN_PART)
        .validation_delay(Duration::from_millis(5))
        // Whole-file digests for every upload; part digests are always kept.
        .retain_limit(4 * 1024 * 1024)
        .random_faults(RandomFaults {
            seed: soak.seed,
            api_rate: 0.2,
            storage_rate: 0.2,
            retry_after: Duration::from_millis(30),
            slow_delay: Duration::from_millis(60),
        })
        .start()
        .await
        .expect("the fake server starts");
    // Besides the random faults, answers lost after the service acted: on
    // completes (the SDK recovers) and on creates (the caller tries again).
    for rule in [
        FaultRule::new(OperationId::TriggerUploadAction, Fault::ActThenStatus(503)).times(2),
        FaultRule::new(OperationId::TriggerUploadAction, Fault::ActThenDrop).times(2),
        FaultRule::new(OperationId::CreateUpload, Fault::ActThenStatus(502)).times(2),
    ] {
        server.inject(rule);
    }
    let client = mock_client_builder(&server)
        .timeout(Duration::from_secs(20))
        // 20% faults: 12 retries make a failure 0.2^13 per request.
        .retry_policy(
            fast_retries()
                .with_max_retries(12)
                .with_max_retry_after(Duration::from_secs(1)),
        )
        .build()
        .expect("a valid client");

    // Sizes and contents come from the seed; the i-th upload is made when it starts,
    // so that only `concurrency` contents are in memory at once.
    let mut sizes = fastrand::Rng::with_seed(soak.seed);
    let plans: Vec<(usize, u64, u64)> = (0..soak.uploads)
        .map(|i| {
            (
                i,
                size(&mut sizes, soak.min_size, soak.max_size),
                sizes.u64(..),
            )
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let create_retries = AtomicUsize::new(0);
    let sent: Vec<Sent> = futures::stream::iter(plans)
        .map(|(i, len, content_seed)| {
            let client = client.clone();
            let dir = dir.path().to_owned();
            let server = &server;
            let create_retries = &create_retries;
            async move {
                let bytes = seeded_content(content_seed, usize::try_from(len).unwrap());
                // About six parts each, never below the mock's minimum.
                let part_size = len.div_ceil(6).max(MIN_PART);
                let name = format!("soak-{i:03}.png");
                let sha256 = sha256_hex(&bytes);
                let part_sha256 = bytes
                    .chunks(usize::try_from(part_size).unwrap())
                    .map(sha256_hex)
                    .collect();
                // A create refused with an error that may mean the service acted
                // is not retried by the SDK (it could create twice); like a careful
                // caller, try again when the service completed nothing for this
                // file (an abandoned pending upload is harmless), a few times.
                let mut tries = 0;
                let result = loop {
                    tries += 1;
                    let uploads = client.uploads();
                    // Every third upload streams from a file, the others from memory.
                    let builder = if i % 3 == 0 {
                        let path = dir.join(&name);
                        tokio::fs::write(&path, &bytes).await.unwrap();
                        uploads.upload_file(&path, UploadKind::Image)
                    } else {
                        uploads.upload_bytes(bytes.clone(), name.clone(), UploadKind::Image)
                    };
                    let result = builder
                        .min_part_size(MIN_PART)
                        .part_size(part_size)
                        .concurrency(3)
                        .stall_timeout(Duration::from_secs(5))
                        .wait(true)
                        .wait_interval(Duration::from_millis(10))
                        .wait_timeout(Duration::from_secs(30))
                        .await;
                    let completed = || {
                        server
                            .uploads()
                            .iter()
                            .any(|u| u.file_name == name && u.status != UploadStatus::Pending)
                    };
                    match result {
                        // Never a failure for an upload the service completed.
                        Err(err) if completed() => {
                            panic!("{name}: reported failed, but the service completed it: {err}")
                        }
                        Err(err) if tries < 5 && err.is_retryable() => {
                            create_retries.fetch_add(1, Ordering::Relaxed);
                        }
                        other => break other,
                    }
                };
                Sent {
                    name,
                    len,
                    part_size,
                    sha256,
                    part_sha256,
                    result,
                }
            }
        })
        .buffer_unordered(soak.concurrency)
        .collect()
        .await;
    let uploads_done = started.elapsed();

    // Every upload: either complete with an asset and byte-exact, or (the SDK
    // said it failed) never completed.
    let mut failures = Vec::new();
    let mut bytes_total = 0u64;
    let mut entity_ids = HashSet::new();
    for s in &sent {
        match &s.result {
            Ok(upload) => {
                assert_eq!(upload.status, UploadStatus::Complete, "{}", s.name);
                let entity = upload
                    .entity_id
                    .clone()
                    .expect("a complete upload names its asset");
                assert!(entity_ids.insert(entity), "{}: asset id reused", s.name);
                let receipt = server.upload_receipt(&upload.id).expect("known upload");
                assert!(receipt.has_all_parts(), "{}: {receipt:?}", s.name);
                assert_eq!(receipt.total_bytes, s.len, "{}", s.name);
                let mut parts = receipt.parts.clone();
                parts.sort_by_key(|p| p.number);
                let received: Vec<&str> = parts.iter().map(|p| p.sha256.as_str()).collect();
                assert_eq!(received, s.part_sha256, "{}: part digests", s.name);
                if let Some(sha) = receipt.sha256() {
                    assert_eq!(sha, s.sha256, "{}: file digest", s.name);
                }
                assert_eq!(
                    receipt.parts.len() as u64,
                    s.len.div_ceil(s.part_size),
                    "{}",
                    s.name
                );
                bytes_total += s.len;
            }
            Err(err) => failures.push(format!("{}: {err}", s.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "uploads failed under 20% faults: {failures:#?}"
    );
    // Nothing half-done: every upload the server knows of is one of ours and
    // complete, or (a create whose answer was lost) pending with no part completed.
    let ours: HashSet<String> = sent
        .iter()
        .filter_map(|s| s.result.as_ref().ok().map(|u| u.id.clone()))
        .collect();
    let mut completed_names = BTreeMap::<String, usize>::new();
    for upload in server.uploads() {
        if upload.status == UploadStatus::Complete {
            *completed_names.entry(upload.file_name.clone()).or_default() += 1;
        }
    }
    for s in &sent {
        assert_eq!(
            completed_names.get(&s.name).copied().unwrap_or(0),
            1,
            "{} must be completed exactly once (no duplicate)",
            s.name
        );
    }
    let mut orphans = 0;
    for upload in server.uploads() {
        if ours.contains(&upload.id) {
            continue;
        }
        orphans += 1;
        assert_eq!(
            upload.status,
            UploadStatus::Pending,
            "an upload the SDK did not report was completed: {upload:?}"
        );
    }

    // Complete listings: every asset exactly once, ours included.
    let expected = server.asset_count();
    for n in 0..soak.listings {
        let page_size = [7u32, 25, 50, 100][n % 4];
        let ids: Vec<String> = client
            .assets()
            .list()
            .page_size(page_size)
            .stream()
            .map_ok(|a| a.id)
            .try_collect()
            .await
            .unwrap_or_else(|e| panic!("listing {n} failed under faults: {e}"));
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(
            unique.len(),
            ids.len(),
            "listing {n}: an asset listed twice"
        );
        assert_eq!(ids.len(), expected, "listing {n}: assets missing");
        for id in &entity_ids {
            assert!(
                unique.contains(id),
                "listing {n}: uploaded asset {id} missing"
            );
        }
    }
    let elapsed = started.elapsed();

    let faults = server.faults_injected();
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for f in &faults {
        let target = match f.target {
            Target::Api => "api",
            _ => "storage",
        };
        *by_kind
            .entry(format!("{target} {}", fault_kind(&f.fault)))
            .or_default() += 1;
    }
    let requests = server.requests();
    let part_puts = requests
        .iter()
        .filter(|r| r.target == Target::Storage)
        .count();
    println!(
        "soak (seed {}): {} uploads, {} bytes, {} parts PUT, {} API requests, {} listings of {} assets, \
         {} orphan creates, {} creates tried again by the caller, {} faults injected, {} retries logged, uploads {:.1?}, total {:.1?}",
        soak.seed,
        sent.len(),
        bytes_total,
        part_puts,
        requests.len() - part_puts,
        soak.listings,
        expected,
        orphans,
        create_retries.load(Ordering::Relaxed),
        faults.len(),
        retries.0.load(Ordering::Relaxed) - retries_before,
        uploads_done,
        elapsed,
    );
    for (kind, n) in &by_kind {
        println!("  {kind}: {n}");
    }
    assert!(
        faults.len() * 10 >= requests.len(),
        "the faults were injected ({} of {} requests)",
        faults.len(),
        requests.len()
    );
    assert!(
        elapsed < soak.budget,
        "took {elapsed:?}, budget {:?}",
        soak.budget
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_short() {
    let soak = Soak {
        seed: 7,
        uploads: 12,
        min_size: 1,
        max_size: 3 * 1024 * 1024,
        listings: 5,
        concurrency: 4,
        budget: Duration::from_secs(45),
    };
    tokio::time::timeout(Duration::from_secs(60), run(soak))
        .await
        .expect("the short soak hung");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the long soak: cargo test -p scenario-sdk --test soak -- --ignored --nocapture"]
async fn soak_long() {
    let soak = Soak {
        seed: 2024,
        uploads: 50,
        min_size: 1,
        max_size: 40 * 1024 * 1024,
        listings: 20,
        concurrency: 4,
        budget: Duration::from_secs(300),
    };
    tokio::time::timeout(Duration::from_secs(420), run(soak))
        .await
        .expect("the soak hung");
}
