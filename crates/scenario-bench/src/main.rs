//! Benchmark programs driven by `cargo xtask bench`.
//!
//! Each subcommand measures one thing against a running scenario-mock (whose
//! API base URL and credentials come from the usual `SCENARIO_*` variables) and
//! prints `RESULT <name> <value>` lines that xtask parses:
//!
//! ```text
//! scenario-bench upload <file> <part-size> <concurrency>
//! scenario-bench floor <file> <part-size> <concurrency> <sink-address>
//! scenario-bench sink
//! scenario-bench list <page-size> <runs>
//! scenario-bench list-urls <page-size>
//! scenario-bench list-slow <page-size> <sleep-micros-per-page> <prefetch>
//! scenario-bench list-rss <page-size>
//! scenario-bench decode <fixture.json> <replicas> <rounds>
//! scenario-bench download-setup <file> <count>
//! scenario-bench download <dir> <concurrency> <asset-id>...
//! scenario-bench pace <job-length-ms>...
//! ```
//!
//! Each runs in its own process, so that the peak RSS (VmHWM) and the CPU time
//! (getrusage) it reports are its own, not the server's.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use scenario_api::types::AssetListResponse;
use scenario_sdk::types::UploadKind;
use scenario_sdk::{Client, Pace};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    // The baselines' own reqwest clients share reqwest's features with the SDK.
    scenario_sdk::install_tls_provider();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["upload", file, part_size, concurrency] => {
            runtime()?.block_on(upload(file, part_size.parse()?, concurrency.parse()?))
        }
        ["floor", file, part_size, concurrency, sink] => {
            floor(file, part_size.parse()?, concurrency.parse()?, sink)
        }
        ["sink"] => sink(),
        ["list", page_size, runs] => runtime()?.block_on(list(page_size.parse()?, runs.parse()?)),
        ["list-urls", page_size] => runtime()?.block_on(list_urls(page_size.parse()?)),
        ["list-slow", page_size, sleep_micros, prefetch] => runtime()?.block_on(list_slow(
            page_size.parse()?,
            Duration::from_micros(sleep_micros.parse()?),
            prefetch.parse()?,
        )),
        ["list-rss", page_size] => runtime()?.block_on(list_rss(page_size.parse()?)),
        ["decode", fixture, replicas, rounds] => {
            decode(fixture, replicas.parse()?, rounds.parse()?)
        }
        ["download-setup", file, count] => {
            runtime()?.block_on(download_setup(file, count.parse()?))
        }
        ["download", dir, concurrency, ids @ ..] if !ids.is_empty() => {
            runtime()?.block_on(download(dir, concurrency.parse()?, ids))
        }
        ["pace", lengths @ ..] if !lengths.is_empty() => pace(lengths),
        _ => Err("usage: scenario-bench upload|floor|sink|list|list-urls|list-slow|list-rss|decode|download-setup|download|pace ... (see the crate docs)".into()),
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

/// Prints the min, median and max of `xs` as `<name>_min`, `<name>_med`, `<name>_max`.
fn spread(name: &str, xs: &mut [f64]) {
    xs.sort_by(f64::total_cmp);
    result(&format!("{name}_min"), xs[0]);
    result(&format!("{name}_med"), xs[xs.len() / 2]);
    result(&format!("{name}_max"), xs[xs.len() - 1]);
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

/// User plus system CPU time of this process so far, in seconds.
fn cpu_secs() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

async fn upload(file: &str, part_size: u64, concurrency: usize) -> Result<(), BoxError> {
    let client = Client::from_env()?;
    let bytes = std::fs::metadata(file)?.len();
    let cpu = cpu_secs();
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
    let cpu = cpu_secs() - cpu;
    if upload.id.is_empty() {
        return Err("the upload came back without an id".into());
    }
    result("upload_bytes", bytes);
    result("upload_secs", elapsed);
    result("upload_cpu_secs", cpu);
    result("upload_peak_rss_bytes", peak_rss_bytes()?);
    Ok(())
}

/// The floor: the file's bytes, part by part, written by `concurrency` threads
/// to loopback TCP connections with no HTTP at all, read in 1 MiB blocks.
fn floor(file: &str, part_size: u64, concurrency: usize, sink: &str) -> Result<(), BoxError> {
    use std::os::unix::fs::FileExt;
    let handle = std::fs::File::open(file)?;
    let len = handle.metadata()?.len();
    let parts = len.div_ceil(part_size);
    let next = AtomicU64::new(0);
    let cpu = cpu_secs();
    let start = Instant::now();
    std::thread::scope(|scope| -> Result<(), BoxError> {
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                scope.spawn(|| -> Result<(), std::io::Error> {
                    let mut buf = vec![0u8; 1024 * 1024];
                    loop {
                        let part = next.fetch_add(1, Ordering::Relaxed);
                        if part >= parts {
                            return Ok(());
                        }
                        // A connection per part, like a part PUT on a fresh request.
                        let mut out = TcpStream::connect(sink)?;
                        let mut offset = part * part_size;
                        let end = (offset + part_size).min(len);
                        while offset < end {
                            let want = usize::try_from((end - offset).min(buf.len() as u64))
                                .unwrap_or(buf.len());
                            let n = handle.read_at(&mut buf[..want], offset)?;
                            if n == 0 {
                                return Err(std::io::ErrorKind::UnexpectedEof.into());
                            }
                            out.write_all(&buf[..n])?;
                            offset += n as u64;
                        }
                        out.shutdown(std::net::Shutdown::Write)?;
                        // Wait for the sink to have read it all (it closes then).
                        let _ = out.read(&mut [0u8; 1])?;
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().map_err(|_| "a floor worker panicked")??;
        }
        Ok(())
    })?;
    result("floor_secs", start.elapsed().as_secs_f64());
    result("floor_cpu_secs", cpu_secs() - cpu);
    Ok(())
}

/// A TCP sink for the floor: prints `SINK <address>`, then reads and discards
/// every connection until killed.
fn sink() -> Result<(), BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    println!("SINK {}", listener.local_addr()?);
    std::io::stdout().flush()?;
    for stream in listener.incoming() {
        let mut stream = stream?;
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 1024 * 1024];
            while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
        });
    }
    Ok(())
}

/// Uploads `file` `count` times and prints `ASSET <id> <url>` for each asset
/// made: the files the download benchmark fetches.
async fn download_setup(file: &str, count: usize) -> Result<(), BoxError> {
    let client = Client::from_env()?;
    for _ in 0..count {
        let upload = client
            .uploads()
            .upload_file(file, UploadKind::Image)
            .content_type("image/png")
            .part_size(8 * 1024 * 1024)
            .wait(true)
            .send()
            .await?;
        let id = upload.entity_id.ok_or("the upload made no asset")?;
        let asset = client
            .request(scenario_sdk::ops::GetAsset::new(id.as_str()))
            .await?
            .asset;
        println!("ASSET {id} {}", asset.url);
    }
    Ok(())
}

/// Downloads the assets into `dir` (emptied first, so nothing is skipped).
async fn download(dir: &str, concurrency: usize, ids: &[&str]) -> Result<(), BoxError> {
    let client = Client::from_env()?;
    let _ = std::fs::remove_dir_all(dir);
    let cpu = cpu_secs();
    let start = Instant::now();
    let report = client
        .downloads()
        .to_dir(dir)
        .concurrency(concurrency)
        .ids(ids.iter().copied())
        .await?;
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu;
    if !report.is_complete() || report.written.len() != ids.len() {
        return Err(format!("the download was not complete: {report:?}").into());
    }
    result("download_bytes", report.bytes_written());
    result("download_secs", elapsed);
    result("download_cpu_secs", cpu);
    result("download_peak_rss_bytes", peak_rss_bytes()?);
    Ok(())
}

struct Credentials {
    base: String,
    authorization: String,
}

fn credentials() -> Result<Credentials, BoxError> {
    use base64::Engine;
    let key = std::env::var("SCENARIO_SDK_API_KEY")?;
    let secret = std::env::var("SCENARIO_SDK_API_SECRET")?;
    Ok(Credentials {
        base: std::env::var("SCENARIO_BASE_URL")?,
        authorization: format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"))
        ),
    })
}

async fn list(page_size: u32, runs: usize) -> Result<(), BoxError> {
    let client = Client::from_env()?;
    let http = reqwest::Client::new();
    let creds = credentials()?;
    // Warm every path up (connections, allocator) before timing.
    let expected = sdk_stream(&client, page_size).await?;
    raw_list::<AssetListResponse>(&http, &creds, page_size).await?;
    raw_list::<serde_json::Value>(&http, &creds, page_size).await?;
    let (mut sdk, mut typed, mut value) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let count = sdk_stream(&client, page_size).await?;
        sdk.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let typed_count = raw_list::<AssetListResponse>(&http, &creds, page_size).await?;
        typed.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let value_count = raw_list::<serde_json::Value>(&http, &creds, page_size).await?;
        value.push(t.elapsed().as_secs_f64());
        if [count, typed_count, value_count] != [expected; 3] {
            return Err(format!(
                "listed {count} (SDK), {typed_count} (typed), {value_count} (Value), expected {expected}"
            )
            .into());
        }
    }
    result("list_assets", expected);
    spread("list_sdk_secs", &mut sdk);
    spread("list_typed_secs", &mut typed);
    spread("list_value_secs", &mut value);
    Ok(())
}

/// Every page's URL, token included, so that a baseline can fetch the same
/// pages without having to decode them first.
async fn list_urls(page_size: u32) -> Result<(), BoxError> {
    let client = Client::from_env()?;
    let mut pages = client
        .assets()
        .list()
        .page_size(page_size)
        .prefetch(0)
        .pages();
    let base = std::env::var("SCENARIO_BASE_URL")?;
    let mut token: Option<String> = None;
    let url_of = |token: &Option<String>| -> Result<String, BoxError> {
        let mut url = reqwest::Url::parse(&format!("{base}/assets"))?;
        url.query_pairs_mut()
            .append_pair("pageSize", &page_size.to_string());
        if let Some(token) = token {
            url.query_pairs_mut().append_pair("paginationToken", token);
        }
        Ok(url.to_string())
    };
    while let Some(page) = pages.try_next().await? {
        println!("URL {}", url_of(&token)?);
        token = page.next_token;
    }
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
    times.sort_by(f64::total_cmp);
    result("list_slow_secs", times[times.len() / 2]);
    Ok(())
}

/// A job wait's pacing on a simulated clock: for a job of each length (ms),
/// how many polls [`Jobs::wait`](scenario_sdk::Jobs::wait) makes with its
/// default pace and how late it sees the job done. Requests take no time
/// here: each poll is at the instant the SDK's own schedule
/// ([`Pace::pause_after`]) puts it, the first one pause after the create.
fn pace(lengths: &[&str]) -> Result<(), BoxError> {
    let pace = Pace::new(
        scenario_sdk::DEFAULT_JOB_TIMEOUT,
        scenario_sdk::DEFAULT_JOB_INTERVAL,
        scenario_sdk::DEFAULT_JOB_MAX_INTERVAL,
    );
    for length in lengths {
        let ms: u64 = length.parse()?;
        let length = Duration::from_millis(ms);
        let (mut at, mut polls) = (Duration::ZERO, 0u64);
        while at < length {
            at += pace.pause_after(at);
            polls += 1;
        }
        result(&format!("pace_{ms}_polls"), polls);
        result(&format!("pace_{ms}_late_ms"), (at - length).as_millis());
    }
    Ok(())
}

/// Streams the whole listing item by item, as a caller would, and reports the
/// process's peak RSS: it must not grow with the number of assets.
async fn list_rss(page_size: u32) -> Result<(), BoxError> {
    let client = Client::from_env()?;
    let mut assets = client.assets().list().page_size(page_size).stream();
    let mut count = 0u64;
    while let Some(asset) = assets.try_next().await? {
        std::hint::black_box(&asset);
        count += 1;
    }
    result("list_rss_assets", count);
    result("list_rss_peak_bytes", peak_rss_bytes()?);
    Ok(())
}

/// Lists every asset with the SDK as users do: `stream()`, default settings.
async fn sdk_stream(client: &Client, page_size: u32) -> Result<usize, BoxError> {
    let mut assets = client.assets().list().page_size(page_size).stream();
    let mut count = 0;
    while let Some(asset) = assets.try_next().await? {
        std::hint::black_box(&asset);
        count += 1;
    }
    Ok(count)
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

/// What a page decodes to in a raw loop: its item count and the next token.
trait RawPage: serde::de::DeserializeOwned {
    fn count(&self) -> usize;
    fn token(&self) -> Option<String>;
}

impl RawPage for AssetListResponse {
    fn count(&self) -> usize {
        self.assets.len()
    }
    fn token(&self) -> Option<String> {
        self.next_pagination_token.clone()
    }
}

impl RawPage for serde_json::Value {
    fn count(&self) -> usize {
        self["assets"].as_array().map_or(0, Vec::len)
    }
    fn token(&self) -> Option<String> {
        self["nextPaginationToken"].as_str().map(str::to_owned)
    }
}

/// A baseline: the same pages with reqwest and serde, nothing else.
async fn raw_list<P: RawPage>(
    http: &reqwest::Client,
    creds: &Credentials,
    page_size: u32,
) -> Result<usize, BoxError> {
    let mut token: Option<String> = None;
    let mut count = 0;
    loop {
        let mut query = vec![("pageSize", page_size.to_string())];
        if let Some(t) = &token {
            query.push(("paginationToken", t.clone()));
        }
        let body = http
            .get(format!("{}/assets", creds.base))
            .header("authorization", &creds.authorization)
            .query(&query)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        let page: P = serde_json::from_slice(&body)?;
        count += page.count();
        match page.token().filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t),
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
    let typed: AssetListResponse = serde_json::from_slice(&doc)?;
    if typed.assets.len() != replicas {
        return Err("the typed decode lost assets".into());
    }
    let mut typed_times = Vec::new();
    let mut value_times = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        let v: AssetListResponse = serde_json::from_slice(&doc)?;
        typed_times.push(t.elapsed().as_secs_f64());
        std::hint::black_box(v);
        let t = Instant::now();
        let v: serde_json::Value = serde_json::from_slice(&doc)?;
        value_times.push(t.elapsed().as_secs_f64());
        std::hint::black_box(v);
    }
    let mb = doc.len() as f64 / 1e6;
    let throughput = |times: &mut Vec<f64>| -> Vec<f64> { times.iter().map(|t| mb / t).collect() };
    result("decode_bytes", doc.len());
    spread("decode_typed_mb_s", &mut throughput(&mut typed_times));
    spread("decode_value_mb_s", &mut throughput(&mut value_times));
    Ok(())
}
