//! Benchmark programs driven by `cargo xtask bench`.
//!
//! Each subcommand measures one thing against a running scenario-mock (whose
//! API base URL and credentials come from the usual `SCENARIO_*` variables) and
//! prints `RESULT <name> <value>` lines that xtask parses:
//!
//! ```text
//! scenario-bench upload <file> <part-size> <concurrency>
//! scenario-bench list <page-size>
//! scenario-bench list-slow <page-size> <sleep-micros-per-page> <prefetch>
//! scenario-bench decode <fixture.json> <replicas> <rounds>
//! ```
//!
//! The upload subcommand runs in its own process so that the peak RSS it reports
//! (VmHWM) is the SDK's alone.

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use scenario_sdk::Client;
use scenario_sdk::types::UploadKind;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["upload", file, part_size, concurrency] => {
            runtime()?.block_on(upload(file, part_size.parse()?, concurrency.parse()?))
        }
        ["list", page_size] => runtime()?.block_on(list(page_size.parse()?)),
        ["list-slow", page_size, sleep_micros, prefetch] => runtime()?.block_on(list_slow(
            page_size.parse()?,
            Duration::from_micros(sleep_micros.parse()?),
            prefetch.parse()?,
        )),
        ["decode", fixture, replicas, rounds] => {
            decode(fixture, replicas.parse()?, rounds.parse()?)
        }
        _ => Err(
            "usage: scenario-bench upload|list|list-slow|decode ... (see the crate docs)".into(),
        ),
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

fn result(name: &str, value: impl std::fmt::Display) {
    println!("RESULT {name} {value}");
}

/// Peak resident set size of this process, in bytes (VmHWM).
fn peak_rss_bytes() -> Result<u64, BoxError> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .ok_or("no VmHWM in /proc/self/status")?;
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kib * 1024)
}

async fn upload(file: &str, part_size: u64, concurrency: usize) -> Result<(), BoxError> {
    let client = Client::from_env()?;
    let bytes = std::fs::metadata(file)?.len();
    let start = Instant::now();
    let upload = client
        .uploads()
        .upload_file(file, UploadKind::Image)
        .content_type("application/octet-stream")
        .part_size(part_size)
        .min_part_size(part_size.min(5 * 1024 * 1024))
        .concurrency(concurrency)
        .send()
        .await?;
    let elapsed = start.elapsed().as_secs_f64();
    if upload.id.is_empty() {
        return Err("the upload came back without an id".into());
    }
    result("upload_bytes", bytes);
    result("upload_secs", elapsed);
    result("upload_peak_rss_bytes", peak_rss_bytes()?);
    Ok(())
}

async fn list(page_size: u32) -> Result<(), BoxError> {
    let client = Client::from_env()?;
    let http = reqwest::Client::new();
    // Warm both paths up (connections, allocator) before timing.
    let _ = sdk_list(&client, page_size, 0, Duration::ZERO).await?;
    let _ = raw_list(&http, page_size).await?;
    let mut sdk = Vec::new();
    let mut raw = Vec::new();
    let mut count = 0;
    for _ in 0..5 {
        let t = Instant::now();
        count = sdk_list(&client, page_size, 0, Duration::ZERO).await?;
        sdk.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let raw_count = raw_list(&http, page_size).await?;
        raw.push(t.elapsed().as_secs_f64());
        if raw_count != count {
            return Err(format!("the SDK listed {count} assets, the raw loop {raw_count}").into());
        }
    }
    result("list_assets", count);
    result("list_sdk_secs", median(&mut sdk));
    result("list_raw_secs", median(&mut raw));
    Ok(())
}

async fn list_slow(page_size: u32, sleep: Duration, prefetch: usize) -> Result<(), BoxError> {
    let client = Client::from_env()?;
    let _ = sdk_list(&client, page_size, prefetch, Duration::ZERO).await?;
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        sdk_list(&client, page_size, prefetch, sleep).await?;
        times.push(t.elapsed().as_secs_f64());
    }
    result("list_slow_secs", median(&mut times));
    Ok(())
}

/// Lists every asset with the SDK, page by page, spending `sleep` on each page.
async fn sdk_list(
    client: &Client,
    page_size: u32,
    prefetch: usize,
    sleep: Duration,
) -> Result<usize, BoxError> {
    let mut pages = client
        .assets()
        .list()
        .page_size(page_size)
        .prefetch(prefetch)
        .pages();
    let mut count = 0;
    while let Some(page) = pages.try_next().await? {
        count += page.items.len();
        if !sleep.is_zero() {
            // tokio's timer rounds up to whole milliseconds, which would make the
            // work longer than the fetch it is meant to equal; a thread sleep is
            // precise to microseconds and leaves the runtime free.
            tokio::task::spawn_blocking(move || std::thread::sleep(sleep)).await?;
        }
    }
    Ok(count)
}

/// The baseline: the same pages with reqwest and serde_json::Value, nothing else.
async fn raw_list(http: &reqwest::Client, page_size: u32) -> Result<usize, BoxError> {
    use base64::Engine;
    let base = std::env::var("SCENARIO_BASE_URL")?;
    let key = std::env::var("SCENARIO_SDK_API_KEY")?;
    let secret = std::env::var("SCENARIO_SDK_API_SECRET")?;
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"))
    );
    let mut token: Option<String> = None;
    let mut count = 0;
    loop {
        let mut query = vec![("pageSize", page_size.to_string())];
        if let Some(t) = &token {
            query.push(("paginationToken", t.clone()));
        }
        let body = http
            .get(format!("{base}/assets"))
            .header("authorization", &auth)
            .query(&query)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        let page: serde_json::Value = serde_json::from_slice(&body)?;
        count += page["assets"].as_array().map_or(0, Vec::len);
        match page["nextPaginationToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => return Ok(count),
        }
    }
}

fn decode(fixture: &str, replicas: usize, rounds: usize) -> Result<(), BoxError> {
    let seed: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixture)?)?;
    let assets = seed["assets"]
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or("the fixture has no assets")?;
    let replicated: Vec<serde_json::Value> =
        assets.iter().cycle().take(replicas).cloned().collect();
    let doc = serde_json::to_vec(&serde_json::json!({ "assets": replicated }))?;
    // Both must decode before anything is timed.
    let typed: scenario_api::types::AssetListResponse = serde_json::from_slice(&doc)?;
    if typed.assets.len() != replicas {
        return Err("the typed decode lost assets".into());
    }
    let mut typed_times = Vec::new();
    let mut value_times = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        let v: scenario_api::types::AssetListResponse = serde_json::from_slice(&doc)?;
        typed_times.push(t.elapsed().as_secs_f64());
        std::hint::black_box(v);
        let t = Instant::now();
        let v: serde_json::Value = serde_json::from_slice(&doc)?;
        value_times.push(t.elapsed().as_secs_f64());
        std::hint::black_box(v);
    }
    let mb = doc.len() as f64 / 1e6;
    result("decode_bytes", doc.len());
    result("decode_typed_mb_s", mb / median(&mut typed_times));
    result("decode_value_mb_s", mb / median(&mut value_times));
    Ok(())
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}
