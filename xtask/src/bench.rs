//! `cargo xtask bench [--quick]`: the SDK against baselines measured in the same run.
//!
//! Builds `scenario-bench` and `scenario-cli` in release mode, runs the mock as
//! its own process with `scenario mock serve` (so the SDK's peak RSS is its own),
//! runs each benchmark program as a subprocess and parses its `RESULT <name> <value>` lines, runs
//! the curl baseline for uploads, then prints a table of ratios and writes it to
//! BENCHMARKS.md (`--quick` writes `target/bench-work/BENCHMARKS-quick.md`
//! instead, so that smoke runs leave the checked-in figures alone). Missed targets are reported, never fatal: only a broken
//! benchmark fails the command.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, ensure};

const MIB: u64 = 1024 * 1024;
const PART_SIZE: u64 = 8 * MIB;
const CONCURRENCY: usize = 4;
const LIST_ASSETS: usize = 10_000;
const PAGE_SIZE: u32 = 100;

struct Config {
    quick: bool,
    /// The file whose upload throughput is compared with curl.
    throughput_size: u64,
    /// The files whose peak RSS is measured.
    rss_sizes: [u64; 2],
    /// The long listing whose peak RSS is compared with the usual one's.
    rss_assets: usize,
    /// How many files, of what size, the download throughput is measured with.
    download_files: usize,
    download_size: u64,
    /// The file whose download's peak RSS is measured.
    download_rss_size: u64,
    /// How many small files the per-file cost of downloads is measured with.
    small_files: usize,
    rounds: usize,
}

impl Config {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                quick,
                throughput_size: 64 * MIB,
                rss_sizes: [64 * MIB, 256 * MIB],
                rss_assets: 3 * LIST_ASSETS,
                download_files: 4,
                download_size: 16 * MIB,
                download_rss_size: 64 * MIB,
                small_files: 200,
                rounds: 3,
            }
        } else {
            Self {
                quick,
                throughput_size: 1024 * MIB,
                rss_sizes: [256 * MIB, 1024 * MIB],
                rss_assets: 10 * LIST_ASSETS,
                download_files: 8,
                download_size: 128 * MIB,
                download_rss_size: 1024 * MIB,
                small_files: 2000,
                rounds: 5,
            }
        }
    }
}

/// One line of the results table.
struct Row {
    name: String,
    measured: String,
    baseline: String,
    ratio: Option<f64>,
    target: String,
    met: Option<bool>,
}

/// Min, median and max of one measurement over the rounds.
#[derive(Clone, Copy, Debug)]
struct Spread {
    min: f64,
    med: f64,
    max: f64,
}

impl Spread {
    fn of(xs: &[f64]) -> Self {
        let mut xs = xs.to_vec();
        xs.sort_by(f64::total_cmp);
        Self {
            min: xs[0],
            med: xs[xs.len() / 2],
            max: xs[xs.len() - 1],
        }
    }

    /// From the `<name>_min/_med/_max` lines of scenario-bench.
    fn from_results(results: &Results, name: &str) -> Result<Self> {
        Ok(Self {
            min: get(results, &format!("{name}_min"))?,
            med: get(results, &format!("{name}_med"))?,
            max: get(results, &format!("{name}_max"))?,
        })
    }

    fn map(self, f: impl Fn(f64) -> f64) -> Self {
        let (a, b) = (f(self.min), f(self.max));
        Self {
            min: a.min(b),
            med: f(self.med),
            max: a.max(b),
        }
    }

    fn show(self, unit: &str, digits: usize) -> String {
        format!(
            "{:.d$} {unit} ({:.d$}-{:.d$})",
            self.med,
            self.min,
            self.max,
            d = digits
        )
    }
}

/// A row comparing two spreads by their medians; `lower_is_better` picks the
/// direction of the target.
#[allow(clippy::too_many_arguments)]
fn compare(
    name: String,
    measured: Spread,
    baseline: Spread,
    baseline_name: &str,
    unit: &str,
    digits: usize,
    target: f64,
    lower_is_better: bool,
) -> Row {
    let ratio = measured.med / baseline.med;
    Row {
        name,
        measured: measured.show(unit, digits),
        baseline: format!("{} ({baseline_name})", baseline.show(unit, digits)),
        ratio: Some(ratio),
        target: if lower_is_better {
            format!("<= {target:.2}x")
        } else {
            format!(">= {target:.2}x")
        },
        met: Some(if lower_is_better {
            ratio <= target
        } else {
            ratio >= target
        }),
    }
}

pub fn run(root: &Path, quick: bool) -> Result<()> {
    let config = Config::new(quick);
    let machine = machine();
    println!("machine: {machine}");
    build(root)?;
    let release = root.join("target/release");
    let bench_bin = release.join("scenario-bench");
    let cli = release.join("scenario");
    let work = root.join("target/bench-work");
    std::fs::create_dir_all(&work)?;
    let curl = curl_available();
    if !curl {
        println!("curl is not installed: skipping the curl baselines");
    }
    let python = Python::prepare(&work);
    if let Err(why) = &python {
        println!("skipping the official Python SDK baselines: {why:#}");
    }
    let mut rows = Vec::new();
    uploads(
        &config,
        &bench_bin,
        &cli,
        &work,
        curl,
        python.as_ref().ok(),
        &mut rows,
    )?;
    listings(
        &config,
        &bench_bin,
        &cli,
        &work,
        curl,
        python.as_ref().ok(),
        &mut rows,
    )?;
    downloads(&config, &bench_bin, &cli, &work, curl, &mut rows)?;
    if curl {
        small_downloads(&config, &bench_bin, &cli, &work, &mut rows)?;
    }
    job_waits(&config, &bench_bin, &cli, &work, &mut rows)?;

    // Decoding: typed AssetListResponse vs serde_json::Value.
    let fixture = root.join("crates/scenario-api/tests/fixtures/seed_list_assets.json");
    let rounds = if config.quick { "200" } else { "1000" };
    let decode = run_bench_plain(
        &bench_bin,
        &["decode", &fixture.to_string_lossy(), "100", rounds],
    )?;
    rows.push(compare(
        "decode 100 seed assets: typed AssetListResponse vs serde_json::Value (throughput)".into(),
        Spread::from_results(&decode, "decode_typed_mb_s")?,
        Spread::from_results(&decode, "decode_value_mb_s")?,
        "Value",
        "MB/s",
        0,
        1.0,
        false,
    ));

    let table = table(&rows);
    println!("\n{table}");
    let missed: Vec<&Row> = rows.iter().filter(|r| r.met == Some(false)).collect();
    for row in &missed {
        println!("target missed: {} ({})", row.name, row.target);
    }
    let report = write_report(root, &config, &machine, &table)?;
    println!("wrote {}", report.display());
    Ok(())
}

/// Uploads against a storage that only counts bytes (so the client is what is
/// measured): the SDK, one `curl --parallel` process, the no-HTTP floor and the
/// official Python SDK, in paired rounds; then peak RSS.
fn uploads(
    config: &Config,
    bench_bin: &Path,
    cli: &Path,
    work: &Path,
    curl: bool,
    python: Option<&Python>,
    rows: &mut Vec<Row>,
) -> Result<()> {
    let counting = Mock::start(cli, 0, PART_SIZE.min(MIB), &["--no-part-digests"])?;
    let hashing = Mock::start(cli, 0, PART_SIZE.min(MIB), &[])?;
    let sink = Sink::start(bench_bin)?;
    let size = config.throughput_size;
    let file = work.join(format!("upload-{size}.bin"));
    generate_file(&file, size)?;
    let parts_dir = if curl {
        Some(split_parts(&file, &work.join("parts"), PART_SIZE)?)
    } else {
        None
    };
    let (mut sdk, mut sdk_cpu, mut hashed) = (Vec::new(), Vec::new(), Vec::new());
    let (mut curl_secs, mut curl_cpu) = (Vec::new(), Vec::new());
    let (mut floor, mut floor_cpu, mut py) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..config.rounds {
        let r = sdk_upload(bench_bin, &counting, &file)?;
        sdk.push(r.secs);
        sdk_cpu.push(r.cpu_secs);
        if let Some(parts) = &parts_dir {
            let (secs, cpu) = curl_upload(&counting, size, parts)?;
            curl_secs.push(secs);
            curl_cpu.push(cpu);
        }
        let f = run_bench_plain(
            bench_bin,
            &[
                "floor",
                &file.to_string_lossy(),
                &PART_SIZE.to_string(),
                &CONCURRENCY.to_string(),
                &sink.address,
            ],
        )?;
        floor.push(get(&f, "floor_secs")?);
        floor_cpu.push(get(&f, "floor_cpu_secs")?);
        hashed.push(sdk_upload(bench_bin, &hashing, &file)?.secs);
        if let Some(python) = python {
            py.push(python.upload(&counting, &file)?);
        }
        println!(
            "round {round}: SDK {:.3} s, curl {:.3} s, floor {:.3} s, SDK on hashing storage {:.3} s",
            sdk[round],
            curl_secs.get(round).copied().unwrap_or(f64::NAN),
            floor[round],
            hashed[round]
        );
    }
    let mib = size / MIB;
    let gib = size as f64 / (1024.0 * MIB as f64);
    let label = format!(
        "upload {mib} MiB, {} MiB parts, concurrency {CONCURRENCY}, storage counting bytes",
        PART_SIZE / MIB
    );
    let sdk = Spread::of(&sdk);
    if curl {
        rows.push(compare(
            format!("{label}: SDK vs one `curl --parallel` process, wall time"),
            sdk,
            Spread::of(&curl_secs),
            "curl",
            "s",
            3,
            1.0,
            true,
        ));
        rows.push(compare(
            format!("{label}: SDK vs curl, CPU-s per GiB"),
            Spread::of(&sdk_cpu).map(|c| c / gib),
            Spread::of(&curl_cpu).map(|c| c / gib),
            "curl",
            "CPU-s/GiB",
            2,
            1.0,
            true,
        ));
    }
    rows.push(compare(
        format!("{label}: SDK vs the no-HTTP floor (4 threads, file to loopback TCP), wall time"),
        sdk,
        Spread::of(&floor),
        "floor",
        "s",
        3,
        1.25,
        true,
    ));
    rows.push(Row {
        name: format!("{label}: the floor's CPU-s per GiB (for reference)"),
        measured: Spread::of(&floor_cpu).map(|c| c / gib).show("CPU-s/GiB", 2),
        baseline: "-".into(),
        ratio: None,
        target: "-".into(),
        met: None,
    });
    // What hashing on the fake's side costs the upload: information, no target.
    let hashed = Spread::of(&hashed);
    rows.push(Row {
        name: format!(
            "upload {mib} MiB: SDK on a hashing storage vs on a counting one (the bench's own cost)"
        ),
        measured: hashed.show("s", 3),
        baseline: format!("{} (counting storage)", sdk.show("s", 3)),
        ratio: Some(hashed.med / sdk.med),
        target: "-".into(),
        met: None,
    });
    if python.is_some() {
        rows.push(compare(
            format!("{label}: official Python SDK vs this SDK, wall time (slow-down)"),
            Spread::of(&py),
            sdk,
            "this SDK",
            "s",
            3,
            2.5,
            false,
        ));
    }
    if let Some(parts) = parts_dir {
        std::fs::remove_dir_all(parts)?;
    }
    std::fs::remove_file(&file)?;

    // Peak RSS of the SDK process, at two file sizes: flat in the file's size.
    let bound = CONCURRENCY as u64 * PART_SIZE + 64 * MIB;
    for size in config.rss_sizes {
        let file = work.join(format!("upload-{size}.bin"));
        generate_file(&file, size)?;
        let r = sdk_upload(bench_bin, &counting, &file)?;
        std::fs::remove_file(&file)?;
        rows.push(Row {
            name: format!("upload {} MiB: SDK peak RSS (VmHWM)", size / MIB),
            measured: format!("{:.1} MiB", r.peak_rss as f64 / MIB as f64),
            baseline: format!("{} MiB (concurrency x part size + 64 MiB)", bound / MIB),
            ratio: Some(r.peak_rss as f64 / bound as f64),
            target: "<= 1.00x".into(),
            met: Some(r.peak_rss <= bound),
        });
    }
    Ok(())
}

/// Downloads: the SDK writing files into a directory against one `curl
/// --parallel` process fetching the same files at the same concurrency (paired
/// rounds, each starting from an empty directory); then the peak RSS of one
/// large file's download.
fn downloads(
    config: &Config,
    bench_bin: &Path,
    cli: &Path,
    work: &Path,
    curl: bool,
    rows: &mut Vec<Row>,
) -> Result<()> {
    let mock = Mock::start(cli, 0, PART_SIZE.min(MIB), &["--no-part-digests"])?;
    let size = config.download_size;
    let assets = download_assets(bench_bin, &mock, work, size, config.download_files)?;
    let dir = work.join("downloads");
    let dir_arg = dir.to_string_lossy().into_owned();
    let concurrency = CONCURRENCY.to_string();
    let mut args = vec!["download", dir_arg.as_str(), concurrency.as_str()];
    args.extend(assets.iter().map(|(id, _)| id.as_str()));
    let (mut sdk, mut sdk_cpu, mut curl_secs, mut curl_cpu) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..config.rounds {
        let r = run_bench(bench_bin, &mock, &args)?;
        ensure!(
            get(&r, "download_bytes")? as u64 == size * assets.len() as u64,
            "the SDK downloaded {} bytes",
            get(&r, "download_bytes")?
        );
        sdk.push(get(&r, "download_secs")?);
        sdk_cpu.push(get(&r, "download_cpu_secs")?);
        if curl {
            let (secs, cpu) = curl_download(&assets, &dir, size)?;
            curl_secs.push(secs);
            curl_cpu.push(cpu);
        }
        println!(
            "round {round}: download SDK {:.3} s, curl {:.3} s",
            sdk[round],
            curl_secs.get(round).copied().unwrap_or(f64::NAN)
        );
    }
    let total = size * assets.len() as u64;
    let gib = total as f64 / (1024.0 * MIB as f64);
    let label = format!(
        "download {} files x {} MiB, concurrency {CONCURRENCY}, into a directory",
        assets.len(),
        size / MIB
    );
    if curl {
        rows.push(compare(
            format!("{label}: SDK vs one `curl --parallel` process, wall time"),
            Spread::of(&sdk),
            Spread::of(&curl_secs),
            "curl",
            "s",
            3,
            1.0,
            true,
        ));
        rows.push(compare(
            format!("{label}: SDK vs curl, CPU-s per GiB"),
            Spread::of(&sdk_cpu).map(|c| c / gib),
            Spread::of(&curl_cpu).map(|c| c / gib),
            "curl",
            "CPU-s/GiB",
            2,
            1.0,
            true,
        ));
    } else {
        rows.push(Row {
            name: format!("{label}: SDK wall time (curl missing: no baseline)"),
            measured: Spread::of(&sdk).show("s", 3),
            baseline: "-".into(),
            ratio: None,
            target: "-".into(),
            met: None,
        });
    }

    // Peak RSS of one large file: flat in the file's size.
    let big = download_assets(bench_bin, &mock, work, config.download_rss_size, 1)?;
    let r = run_bench(
        bench_bin,
        &mock,
        &["download", &dir_arg, &concurrency, big[0].0.as_str()],
    )?;
    let _ = std::fs::remove_dir_all(&dir);
    let bound = 64 * MIB + CONCURRENCY as u64 * MIB;
    let peak = get(&r, "download_peak_rss_bytes")? as u64;
    rows.push(Row {
        name: format!(
            "download one {} MiB file: SDK peak RSS (VmHWM)",
            config.download_rss_size / MIB
        ),
        measured: format!("{:.1} MiB", peak as f64 / MIB as f64),
        baseline: format!(
            "{} MiB (64 MiB + concurrency x 1 MiB write block)",
            bound / MIB
        ),
        ratio: Some(peak as f64 / bound as f64),
        target: "<= 1.00x".into(),
        met: Some(peak <= bound),
    });
    Ok(())
}

/// The size of each file of the small-files download.
const SMALL_FILE: u64 = 16 * 1024;

/// Many small files, where the cost per file dominates: the SDK in-process,
/// the `scenario` process, and ONE `curl --parallel` process, in paired rounds
/// into an emptied directory.
fn small_downloads(
    config: &Config,
    bench_bin: &Path,
    cli: &Path,
    work: &Path,
    rows: &mut Vec<Row>,
) -> Result<()> {
    let mock = Mock::start(cli, 0, PART_SIZE.min(MIB), &["--no-part-digests"])?;
    let assets = download_assets(bench_bin, &mock, work, SMALL_FILE, config.small_files)?;
    let dir = work.join("small-downloads");
    let dir_arg = dir.to_string_lossy().into_owned();
    let concurrency = CONCURRENCY.to_string();
    let ids: Vec<&str> = assets.iter().map(|(id, _)| id.as_str()).collect();
    let mut sdk_args = vec!["download", dir_arg.as_str(), concurrency.as_str()];
    sdk_args.extend(&ids);
    let (mut sdk_cpu, mut cli_wall, mut cli_cpu, mut curl_wall, mut curl_cpu) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..config.rounds {
        let _ = std::fs::remove_dir_all(&dir);
        let r = run_bench(bench_bin, &mock, &sdk_args)?;
        sdk_cpu.push(get(&r, "download_cpu_secs")? * 1e3);

        let _ = std::fs::remove_dir_all(&dir);
        let mut cmd = Command::new(cli);
        cmd.args([
            "assets",
            "download",
            "--dir",
            &dir_arg,
            "--concurrency",
            &concurrency,
        ])
        .args(&ids)
        .envs(mock.env.iter().map(|(k, v)| (k, v)));
        let (wall, cpu) = timed(cmd, "scenario assets download")?;
        let written = std::fs::read_dir(&dir)?.count();
        ensure!(
            written == ids.len(),
            "the CLI wrote {written} files of {}",
            ids.len()
        );
        cli_wall.push(wall * 1e3);
        cli_cpu.push(cpu * 1e3);

        let (wall, cpu) = curl_download(&assets, &dir, SMALL_FILE)?;
        curl_wall.push(wall * 1e3);
        curl_cpu.push(cpu * 1e3);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let label = format!(
        "download {} files x {} KiB, concurrency {CONCURRENCY}",
        ids.len(),
        SMALL_FILE / 1024
    );
    rows.push(compare(
        format!("{label}: SDK vs one `curl --parallel` process, CPU time"),
        Spread::of(&sdk_cpu),
        Spread::of(&curl_cpu),
        "curl",
        "CPU-ms",
        0,
        1.0,
        true,
    ));
    rows.push(compare(
        format!("{label}: `scenario assets download` vs curl, wall time"),
        Spread::of(&cli_wall),
        Spread::of(&curl_wall),
        "curl",
        "ms",
        0,
        1.0,
        true,
    ));
    rows.push(compare(
        format!("{label}: `scenario assets download` vs curl, CPU time"),
        Spread::of(&cli_cpu),
        Spread::of(&curl_cpu),
        "curl",
        "CPU-ms",
        0,
        1.0,
        true,
    ));
    Ok(())
}

/// Generate, wait, download as users run it (the `scenario` process), for a
/// short and a medium job: how late the job is seen done. The ideal is the
/// same command against a job that is done at once, polling every 10 ms,
/// plus the job's length: what the CLI costs when it waits not at all. Then
/// the pacing's requests per job and lateness on a simulated clock, a long
/// job included.
fn job_waits(
    config: &Config,
    bench_bin: &Path,
    cli: &Path,
    work: &Path,
    rows: &mut Vec<Row>,
) -> Result<()> {
    let dir = work.join("job-downloads");
    let dir_arg = dir.to_string_lossy().into_owned();
    let generate = |mock: &Mock, interval: Option<&str>| -> Result<f64> {
        let _ = std::fs::remove_dir_all(&dir);
        let mut cmd = Command::new(cli);
        cmd.args([
            "generate",
            "model_abc",
            "--prompt",
            "a stone bridge",
            "--wait",
        ])
        .args(["--download", &dir_arg])
        .args(interval.map(|i| ["--poll-interval", i]).iter().flatten())
        .envs(mock.env.iter().map(|(k, v)| (k, v)));
        let (wall, _) = timed(cmd, "scenario generate --wait --download")?;
        ensure!(
            std::fs::read_dir(&dir)?.count() > 0,
            "scenario generate downloaded nothing"
        );
        Ok(wall * 1e3)
    };
    let at_once = Mock::start(cli, 0, MIB, &["--validation-delay", "0ms"])?;
    let mut overhead = Vec::new();
    for _ in 0..config.rounds {
        overhead.push(generate(&at_once, Some("10ms"))?);
    }
    drop(at_once);
    let overhead = Spread::of(&overhead);
    let lengths_ms = [200u64, 5000];
    for length in lengths_ms {
        let mock = Mock::start(cli, 0, MIB, &["--validation-delay", &format!("{length}ms")])?;
        let mut walls = Vec::new();
        for _ in 0..config.rounds {
            walls.push(generate(&mock, None)?);
        }
        let ideal = overhead.map(|ms| ms + length as f64);
        // Seen at most 300 ms + a tenth of the job's age late.
        let allowed = 300.0 + length as f64 / 10.0;
        rows.push(compare(
            format!(
                "generate -> wait -> download, a {length} ms job: `scenario generate --wait --download` \
                 vs the ideal (the same command on a job done at once, polling every 10 ms, + {length} ms); \
                 target: seen <= 300 ms + 10% of the job's age late"
            ),
            Spread::of(&walls),
            ideal,
            "ideal",
            "ms",
            0,
            (ideal.med + allowed) / ideal.med,
            true,
        ));
    }
    let lengths: Vec<String> = [200u64, 5_000, 300_000]
        .iter()
        .map(u64::to_string)
        .collect();
    let mut args = vec!["pace"];
    args.extend(lengths.iter().map(String::as_str));
    let pace = run_bench_plain(bench_bin, &args)?;
    for length in &lengths {
        let polls = get(&pace, &format!("pace_{length}_polls"))?;
        let late = get(&pace, &format!("pace_{length}_late_ms"))?;
        let length: f64 = length.parse()?;
        let allowed = 300.0 + length / 10.0;
        rows.push(Row {
            name: format!(
                "job wait pacing (the SDK's defaults), a {} job, simulated clock: polls, and how late it is seen",
                human_ms(length)
            ),
            measured: format!("{polls:.0} polls, seen {late:.0} ms late"),
            baseline: format!("{allowed:.0} ms (300 ms + 10% of its age)"),
            ratio: Some(late / allowed),
            target: "<= 1.00x".into(),
            met: Some(late <= allowed),
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// `ms` as people write it: 200 ms, 5 s, 5 min.
fn human_ms(ms: f64) -> String {
    if ms >= 60_000.0 {
        format!("{} min", ms / 60_000.0)
    } else if ms >= 1_000.0 {
        format!("{} s", ms / 1_000.0)
    } else {
        format!("{ms} ms")
    }
}

/// Uploads `count` files of `size` bytes to the mock (whose counting storage
/// keeps no bytes, so the CDN serves made-up files of that size) and answers
/// the assets' ids and file URLs.
fn download_assets(
    bench_bin: &Path,
    mock: &Mock,
    work: &Path,
    size: u64,
    count: usize,
) -> Result<Vec<(String, String)>> {
    let file = work.join(format!("download-source-{size}.bin"));
    generate_file(&file, size)?;
    let out = Command::new(bench_bin)
        .args([
            "download-setup",
            &file.to_string_lossy(),
            &count.to_string(),
        ])
        .envs(mock.env.iter().map(|(k, v)| (k, v)))
        .stderr(Stdio::inherit())
        .output()
        .context("running scenario-bench download-setup")?;
    std::fs::remove_file(&file)?;
    ensure!(
        out.status.success(),
        "download-setup failed ({})",
        out.status
    );
    let assets: Vec<(String, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.strip_prefix("ASSET "))
        .filter_map(|rest| rest.split_once(' '))
        .map(|(id, url)| (id.to_owned(), url.to_owned()))
        .collect();
    ensure!(
        assets.len() == count,
        "download-setup made {} assets",
        assets.len()
    );
    Ok(assets)
}

/// The baseline: ONE curl process fetching every file with `--parallel
/// --parallel-max 4` into an empty directory.
fn curl_download(assets: &[(String, String)], dir: &Path, size: u64) -> Result<(f64, f64)> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let mut config = String::new();
    for (id, url) in assets {
        config.push_str(&format!(
            "url = \"{url}\"\noutput = \"{}\"\n",
            dir.join(format!("{id}.png")).display()
        ));
    }
    let config_file = dir.with_extension("curl.config");
    std::fs::write(&config_file, config)?;
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--fail", "--parallel", "--parallel-max"])
        .arg(CONCURRENCY.to_string())
        .arg("--config")
        .arg(&config_file);
    let timing = timed(cmd, "curl --parallel download")?;
    for (id, _) in assets {
        let got = std::fs::metadata(dir.join(format!("{id}.png")))?.len();
        ensure!(
            got == size,
            "curl wrote {got} bytes of {id}, expected {size}"
        );
    }
    Ok(timing)
}

/// Listings: the SDK's stream against a typed raw reqwest loop, curl fetching
/// the same pages on one connection, a `serde_json::Value` loop and the official
/// Python SDK; prefetch; peak RSS as the listing grows tenfold.
fn listings(
    config: &Config,
    bench_bin: &Path,
    cli: &Path,
    work: &Path,
    curl: bool,
    python: Option<&Python>,
    rows: &mut Vec<Row>,
) -> Result<()> {
    let mock = Mock::start(cli, LIST_ASSETS, PART_SIZE.min(MIB), &[])?;
    let runs = config.rounds.max(3) + 2;
    let list = run_bench(
        bench_bin,
        &mock,
        &["list", &PAGE_SIZE.to_string(), &runs.to_string()],
    )?;
    let assets = get(&list, "list_assets")?;
    ensure!(
        assets as usize == LIST_ASSETS,
        "listed {assets} assets, expected {LIST_ASSETS}"
    );
    let sdk = Spread::from_results(&list, "list_sdk_secs")?.map(|s| s * 1e3);
    let label = format!("list {assets} assets, pageSize {PAGE_SIZE}");
    rows.push(compare(
        format!("{label}: SDK stream vs a typed raw reqwest loop"),
        sdk,
        Spread::from_results(&list, "list_typed_secs")?.map(|s| s * 1e3),
        "typed raw",
        "ms",
        1,
        1.0,
        true,
    ));
    if curl {
        let urls = bench_lines(
            bench_bin,
            &mock,
            &["list-urls", &PAGE_SIZE.to_string()],
            "URL ",
        )?;
        let mut times = Vec::new();
        for _ in 0..runs {
            times.push(curl_fetch_all(&mock, &urls, work, false)?.0 * 1e3);
        }
        rows.push(compare(
            format!("{label}: SDK stream vs curl fetching the same pages on one connection"),
            sdk,
            Spread::of(&times),
            "curl",
            "ms",
            1,
            1.3,
            true,
        ));

        // As users run it: the `scenario` process writing JSON lines to a
        // pipe, beside curl writing the same pages' bodies to a pipe, in
        // paired rounds.
        let (mut cli_wall, mut cli_cpu, mut curl_wall, mut curl_cpu) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            let mut cmd = Command::new(cli);
            cmd.args(["assets", "list", "--json", "--page-size"])
                .arg(PAGE_SIZE.to_string())
                .envs(mock.env.iter().map(|(k, v)| (k, v)));
            let (wall, cpu) = timed(cmd, "scenario assets list --json")?;
            cli_wall.push(wall * 1e3);
            cli_cpu.push(cpu * 1e3);
            let (wall, cpu) = curl_fetch_all(&mock, &urls, work, true)?;
            curl_wall.push(wall * 1e3);
            curl_cpu.push(cpu * 1e3);
        }
        let cli_label = format!("{label}: `scenario assets list --json` to a pipe vs curl");
        rows.push(compare(
            format!("{cli_label}, wall time"),
            Spread::of(&cli_wall),
            Spread::of(&curl_wall),
            "curl",
            "ms",
            1,
            1.1,
            true,
        ));
        rows.push(compare(
            format!("{cli_label}, CPU time"),
            Spread::of(&cli_cpu),
            Spread::of(&curl_cpu),
            "curl",
            "CPU-ms",
            1,
            2.0,
            true,
        ));
    }
    rows.push(compare(
        format!("{label}: SDK stream vs a reqwest + serde_json::Value loop"),
        sdk,
        Spread::from_results(&list, "list_value_secs")?.map(|s| s * 1e3),
        "Value",
        "ms",
        1,
        1.0,
        true,
    ));
    if let Some(python) = python {
        let mut times = Vec::new();
        for _ in 0..config.rounds {
            times.push(python.list(&mock, LIST_ASSETS)? * 1e3);
        }
        rows.push(compare(
            format!("{label}: official Python SDK vs this SDK (slow-down)"),
            Spread::of(&times),
            sdk,
            "this SDK",
            "ms",
            1,
            20.0,
            false,
        ));
    }

    // A caller that spends the SDK's measured fetch time of a page on each page:
    // prefetch on (2, the default) vs off (0).
    let pages = (assets / f64::from(PAGE_SIZE)).ceil();
    let per_page_micros = ((sdk.med / 1e3 / pages) * 1e6).round().max(1.0) as u64;
    let slow = |prefetch: &str| -> Result<f64> {
        let r = run_bench(
            bench_bin,
            &mock,
            &[
                "list-slow",
                &PAGE_SIZE.to_string(),
                &per_page_micros.to_string(),
                prefetch,
            ],
        )?;
        get(&r, "list_slow_secs")
    };
    let off = slow("0")?;
    let on = slow("2")?;
    rows.push(Row {
        name: format!(
            "list with {per_page_micros} us of work per page: prefetch 2 (the default) vs 0 (speed-up)"
        ),
        measured: format!("{:.1} ms (prefetch 2)", on * 1e3),
        baseline: format!("{:.1} ms (prefetch 0)", off * 1e3),
        ratio: Some(off / on),
        target: ">= 1.60x".into(),
        met: Some(off / on >= 1.6),
    });
    let small = run_bench(bench_bin, &mock, &["list-rss", &PAGE_SIZE.to_string()])?;
    drop(mock);

    // Memory: the same stream over ten times the assets keeps a flat peak RSS.
    let big_count = config.rss_assets;
    let big_mock = Mock::start(cli, big_count, PART_SIZE.min(MIB), &[])?;
    let big = run_bench(bench_bin, &big_mock, &["list-rss", &PAGE_SIZE.to_string()])?;
    drop(big_mock);
    ensure!(
        get(&big, "list_rss_assets")? as usize == big_count,
        "the RSS listing did not see every asset"
    );
    let small_rss = get(&small, "list_rss_peak_bytes")?;
    let big_rss = get(&big, "list_rss_peak_bytes")?;
    rows.push(Row {
        name: format!(
            "stream {big_count} assets vs {LIST_ASSETS}: SDK peak RSS (VmHWM), flat in the listing's length"
        ),
        measured: format!("{:.1} MiB", big_rss / MIB as f64),
        baseline: format!("{:.1} MiB ({LIST_ASSETS} assets)", small_rss / MIB as f64),
        ratio: Some(big_rss / small_rss),
        target: "<= 1.25x".into(),
        met: Some(big_rss / small_rss <= 1.25),
    });
    Ok(())
}

fn build(root: &Path) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args([
            "build",
            "--release",
            "-p",
            "scenario-bench",
            "-p",
            "scenario-cli",
        ])
        .status()
        .context("running cargo build")?;
    ensure!(status.success(), "cargo build --release failed");
    Ok(())
}

fn curl_available() -> bool {
    Command::new("sh")
        .args(["-c", "command -v curl"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn machine() -> String {
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!("{nproc} CPUs ({cpu}), {date}")
}

/// The mock, as its own process (`scenario mock serve`); killed on drop.
struct Mock {
    child: Child,
    env: Vec<(String, String)>,
}

impl Mock {
    fn start(bin: &Path, assets: usize, min_part_size: u64, extra: &[&str]) -> Result<Self> {
        let mut child = Command::new(bin)
            .args(["mock", "serve", "--quiet", "--port", "0"])
            .args(["--assets", &assets.to_string()])
            .args(["--min-part-size", &min_part_size.to_string()])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().context("mock stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut mock = Self {
            child,
            env: Vec::new(),
        };
        // Seeding a long listing takes a while.
        let deadline = Instant::now() + Duration::from_secs(120);
        while ![
            "SCENARIO_BASE_URL",
            "SCENARIO_SDK_API_KEY",
            "SCENARIO_SDK_API_SECRET",
        ]
        .iter()
        .all(|k| mock.env.iter().any(|(name, _)| name == k))
        {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx
                .recv_timeout(left)
                .map_err(|_| anyhow!("the mock did not print its address in 120 s"))?;
            if let Some((k, v)) = line.trim().trim_start_matches("export ").split_once('=') {
                mock.env.push((k.to_owned(), v.to_owned()));
            }
        }
        Ok(mock)
    }

    fn var(&self, name: &str) -> &str {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

type Results = HashMap<String, f64>;

fn run_bench(bin: &Path, mock: &Mock, args: &[&str]) -> Result<Results> {
    let mut cmd = Command::new(bin);
    cmd.args(args).envs(mock.env.iter().map(|(k, v)| (k, v)));
    collect(cmd, args)
}

fn run_bench_plain(bin: &Path, args: &[&str]) -> Result<Results> {
    let mut cmd = Command::new(bin);
    cmd.args(args);
    collect(cmd, args)
}

fn collect(mut cmd: Command, args: &[&str]) -> Result<Results> {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .context("running scenario-bench")?;
    ensure!(
        out.status.success(),
        "scenario-bench {} failed ({})",
        args.join(" "),
        out.status
    );
    let mut results = Results::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(rest) = line.strip_prefix("RESULT ") {
            let (name, value) = rest.split_once(' ').context("malformed RESULT line")?;
            results.insert(
                name.to_owned(),
                value.trim().parse().with_context(|| line.to_owned())?,
            );
        }
    }
    Ok(results)
}

fn get(results: &Results, name: &str) -> Result<f64> {
    results
        .get(name)
        .copied()
        .ok_or_else(|| anyhow!("scenario-bench printed no {name}"))
}

struct UploadRun {
    secs: f64,
    cpu_secs: f64,
    peak_rss: u64,
}

fn sdk_upload(bin: &Path, mock: &Mock, file: &Path) -> Result<UploadRun> {
    let r = run_bench(
        bin,
        mock,
        &[
            "upload",
            &file.to_string_lossy(),
            &PART_SIZE.to_string(),
            &CONCURRENCY.to_string(),
        ],
    )?;
    Ok(UploadRun {
        secs: get(&r, "upload_secs")?,
        cpu_secs: get(&r, "upload_cpu_secs")?,
        peak_rss: get(&r, "upload_peak_rss_bytes")? as u64,
    })
}

/// Writes `size` bytes of pseudo-random (incompressible) data.
fn generate_file(path: &Path, size: u64) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15 ^ size;
    let mut block = vec![0u8; MIB as usize];
    let mut left = size;
    while left > 0 {
        for chunk in block.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes());
        }
        let n = left.min(MIB);
        out.write_all(&block[..n as usize])?;
        left -= n;
    }
    out.flush()?;
    Ok(())
}

/// Splits the file into part files before the timed curl run (curl at its best:
/// each part is a plain file it can send with `-T`).
fn split_parts(file: &Path, dir: &Path, part_size: u64) -> Result<PathBuf> {
    use std::io::Read;
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let mut input = std::fs::File::open(file)?;
    let mut buf = vec![0u8; part_size as usize];
    for number in 1.. {
        let mut filled = 0;
        while filled < buf.len() {
            let n = input.read(&mut buf[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            break;
        }
        std::fs::write(dir.join(format!("part-{number}")), &buf[..filled])?;
    }
    Ok(dir.to_path_buf())
}

fn curl_json(mock: &Mock, path: &str, body: &serde_json::Value) -> Result<serde_json::Value> {
    let auth = format!(
        "{}:{}",
        mock.var("SCENARIO_SDK_API_KEY"),
        mock.var("SCENARIO_SDK_API_SECRET")
    );
    let out = Command::new("curl")
        .args([
            "-sS",
            "-f",
            "-X",
            "POST",
            "-u",
            &auth,
            "-H",
            "content-type: application/json",
        ])
        .args(["--data-binary", &body.to_string()])
        .arg(format!("{}{path}", mock.var("SCENARIO_BASE_URL")))
        .output()
        .context("running curl")?;
    ensure!(
        out.status.success(),
        "curl POST {path} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// CPU time (user + system) of the children this process has waited for.
fn children_cpu_secs() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// Runs `cmd` to completion and returns its wall and CPU seconds.
fn timed(mut cmd: Command, what: &str) -> Result<(f64, f64)> {
    let cpu = children_cpu_secs();
    let start = Instant::now();
    let out = cmd.output().with_context(|| format!("running {what}"))?;
    let secs = start.elapsed().as_secs_f64();
    ensure!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((secs, children_cpu_secs() - cpu))
}

/// The baseline: create the upload with curl, PUT every part from ONE curl
/// process with `--parallel --parallel-max 4` (part files split before timing),
/// complete it with curl. The wall and CPU time are those of the parallel PUT
/// process: the create and complete each start a curl process of their own,
/// which would charge curl for process start-ups the SDK does not pay (its own
/// create and complete, timed with its parts, take about a millisecond here).
fn curl_upload(mock: &Mock, size: u64, parts_dir: &Path) -> Result<(f64, f64)> {
    let parts = size.div_ceil(PART_SIZE);
    let created = curl_json(
        mock,
        "/uploads",
        &serde_json::json!({
            "fileName": "bench.bin", "contentType": "application/octet-stream",
            "fileSize": size, "kind": "image", "parts": parts,
        }),
    )?;
    let upload = &created["upload"];
    let id = upload["id"].as_str().context("no upload id")?.to_owned();
    let mut config = String::new();
    let mut count = 0;
    for part in upload["parts"].as_array().context("no parts")? {
        let number = part["number"].as_u64().context("number")?;
        let url = part["url"].as_str().context("url")?;
        let file = parts_dir.join(format!("part-{number}"));
        config.push_str(&format!(
            "upload-file = \"{}\"\nurl = \"{url}\"\noutput = \"/dev/null\"\n",
            file.display()
        ));
        count += 1;
    }
    ensure!(
        count == parts,
        "the mock signed {count} parts, expected {parts}"
    );
    let config_file = parts_dir.join("curl.config");
    std::fs::write(&config_file, config)?;
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--fail", "--parallel", "--parallel-max"])
        .arg(CONCURRENCY.to_string())
        .arg("--config")
        .arg(&config_file);
    let (secs, cpu) = timed(cmd, "curl --parallel")?;
    curl_json(
        mock,
        &format!("/uploads/{id}/action"),
        &serde_json::json!({ "action": "complete" }),
    )?;
    Ok((secs, cpu))
}

/// The listing floor: one curl process fetching every page URL in turn, on one
/// keep-alive connection (the URLs are known beforehand, so nothing is
/// decoded); its bodies go to `/dev/null`, or with `to_pipe` to its standard
/// output, a pipe this process reads. Its wall and CPU seconds.
fn curl_fetch_all(mock: &Mock, urls: &[String], work: &Path, to_pipe: bool) -> Result<(f64, f64)> {
    let mut config = String::new();
    for url in urls {
        config.push_str(&format!("url = \"{url}\"\n"));
        if !to_pipe {
            config.push_str("output = \"/dev/null\"\n");
        }
    }
    let config_file = work.join("list-urls.config");
    std::fs::write(&config_file, config)?;
    let auth = format!(
        "{}:{}",
        mock.var("SCENARIO_SDK_API_KEY"),
        mock.var("SCENARIO_SDK_API_SECRET")
    );
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--fail", "-u", &auth, "--config"])
        .arg(&config_file);
    timed(cmd, "curl listing")
}

/// The floor's receiving end: `scenario-bench sink`, as its own process.
struct Sink {
    child: Child,
    address: String,
}

impl Sink {
    fn start(bench_bin: &Path) -> Result<Self> {
        let mut child = Command::new(bench_bin)
            .arg("sink")
            .stdout(Stdio::piped())
            .spawn()
            .context("starting scenario-bench sink")?;
        let stdout = child.stdout.take().context("sink stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let address = line
            .trim()
            .strip_prefix("SINK ")
            .context("the sink did not print its address")?
            .to_owned();
        Ok(Self { child, address })
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines of a scenario-bench run that start with `prefix`, without it.
fn bench_lines(bin: &Path, mock: &Mock, args: &[&str], prefix: &str) -> Result<Vec<String>> {
    let out = Command::new(bin)
        .args(args)
        .envs(mock.env.iter().map(|(k, v)| (k, v)))
        .stderr(Stdio::inherit())
        .output()
        .context("running scenario-bench")?;
    ensure!(
        out.status.success(),
        "scenario-bench {} failed",
        args.join(" ")
    );
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix(prefix).map(str::to_owned))
        .collect())
}

/// The official Python SDK (`scenario-sdk` from PyPI) in a venv under the work
/// directory, for the baselines only a Python user would run.
struct Python {
    bin: PathBuf,
    scripts: PathBuf,
}

const PYTHON_SDK: &str = "scenario-sdk==2.4.0";

const PYTHON_LIST: &str = r#"
import os, sys, time
from scenario_sdk import Scenario
client = Scenario(api_key=os.environ["SCENARIO_SDK_API_KEY"], api_secret=os.environ["SCENARIO_SDK_API_SECRET"], base_url=os.environ["SCENARIO_BASE_URL"])
start = time.perf_counter()
count = sum(1 for _ in client.assets.list(page_size=int(sys.argv[1])))
print("RESULT py_list_secs", time.perf_counter() - start)
print("RESULT py_list_assets", count)
"#;

const PYTHON_UPLOAD: &str = r#"
import os, sys, time, httpx
from concurrent.futures import ThreadPoolExecutor
from scenario_sdk import Scenario
path, part_size, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
client = Scenario(api_key=os.environ["SCENARIO_SDK_API_KEY"], api_secret=os.environ["SCENARIO_SDK_API_SECRET"], base_url=os.environ["SCENARIO_BASE_URL"])
size = os.path.getsize(path)
parts = -(-size // part_size)
start = time.perf_counter()
upload = client.uploads.create(file_name="bench.bin", content_type="application/octet-stream", file_size=size, kind="image", parts=parts).upload
storage = httpx.Client(timeout=60)
def put(part):
    with open(path, "rb") as f:
        # The SDK types part numbers as floats.
        f.seek((int(part.number) - 1) * part_size)
        data = f.read(part_size)
    storage.put(part.url, content=data).raise_for_status()
with ThreadPoolExecutor(concurrency) as pool:
    list(pool.map(put, upload.parts))
client.uploads.trigger_action(upload.id, action="complete")
print("RESULT py_upload_secs", time.perf_counter() - start)
"#;

impl Python {
    /// The venv, made and filled on first use (PyPI only).
    fn prepare(work: &Path) -> Result<Self> {
        let venv = work.join("python-sdk");
        let bin = venv.join("bin/python");
        if !bin.is_file() {
            let status = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .context("python3 is not available")?;
            ensure!(status.success(), "python3 -m venv failed");
        }
        let status = Command::new(&bin)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                PYTHON_SDK,
            ])
            .status()
            .context("running pip")?;
        ensure!(status.success(), "pip install {PYTHON_SDK} failed");
        let scripts = work.join("python-scripts");
        std::fs::create_dir_all(&scripts)?;
        std::fs::write(scripts.join("list.py"), PYTHON_LIST)?;
        std::fs::write(scripts.join("upload.py"), PYTHON_UPLOAD)?;
        Ok(Self { bin, scripts })
    }

    fn run(&self, mock: &Mock, script: &str, args: &[&str]) -> Result<Results> {
        let mut cmd = Command::new(&self.bin);
        cmd.arg(self.scripts.join(script))
            .args(args)
            .envs(mock.env.iter().map(|(k, v)| (k, v)));
        collect(cmd, args)
    }

    fn list(&self, mock: &Mock, expected: usize) -> Result<f64> {
        let r = self.run(mock, "list.py", &[&PAGE_SIZE.to_string()])?;
        ensure!(
            get(&r, "py_list_assets")? as usize == expected,
            "the Python SDK listed another number of assets"
        );
        get(&r, "py_list_secs")
    }

    fn upload(&self, mock: &Mock, file: &Path) -> Result<f64> {
        let r = self.run(
            mock,
            "upload.py",
            &[
                &file.to_string_lossy(),
                &PART_SIZE.to_string(),
                &CONCURRENCY.to_string(),
            ],
        )?;
        get(&r, "py_upload_secs")
    }
}

fn table(rows: &[Row]) -> String {
    let mut s = String::from(
        "| benchmark | measured | baseline | ratio | target | met |\n|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let ratio = r.ratio.map_or("-".into(), |x| format!("{x:.2}x"));
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        s.push_str(&format!(
            "| {} | {} | {} | {ratio} | {} | {met} |\n",
            r.name, r.measured, r.baseline, r.target
        ));
    }
    s
}

fn write_report(root: &Path, config: &Config, machine: &str, table: &str) -> Result<PathBuf> {
    let command = if config.quick {
        "cargo xtask bench --quick"
    } else {
        "cargo xtask bench"
    };
    let text = format!(
        "# Benchmarks\n\n\
         Written by `{command}` (see `xtask/src/bench.rs` and `crates/scenario-bench`).\n\
         Every ratio is against a baseline measured in the same run, on the same machine:\n\n\
         - machine: {machine}\n\
         - mode: {}\n\
         - every figure is the median of paired rounds, with (min-max) beside it; the ratio\n  \
         is of the medians\n\
         - uploads go to `scenario mock serve --no-part-digests` (its own process, loopback),\n  \
         whose storage counts bytes without hashing them, so that the client is what is\n  \
         measured; one row shows what hashing storage costs\n\
         - the curl baseline is ONE `curl --parallel --parallel-max 4` process PUTting the\n  \
         same parts (split into files before timing); its wall and CPU time are that\n  \
         process's (the create and complete are timed with the SDK only)\n\
         - the floor writes the file's parts from 4 threads to loopback TCP with no HTTP\n\
         - the official Python SDK (`scenario-sdk` 2.4.0 from PyPI, in a venv the bench\n  \
         makes) lists and uploads against the same fake when Python is available\n\
         - peak RSS is VmHWM of the SDK's process alone; the upload bound is concurrency x\n  \
         part size + 64 MiB\n\
         - listing baselines: a typed reqwest loop (AssetListResponse), curl fetching the\n  \
         same page URLs on one keep-alive connection (nothing decoded), a\n  \
         `serde_json::Value` loop\n\
         - downloads: the files are uploads the fake made into assets (its CDN serves\n  \
         made-up bytes of their size); the SDK and ONE `curl --parallel --parallel-max 4`\n  \
         process each fetch them into an emptied directory, in paired rounds\n\n\
         {table}",
        if config.quick {
            "quick (small files; `cargo xtask bench` gives the full sizes)"
        } else {
            "full"
        }
    );
    // The quick smoke run (CI's) must not replace the checked-in full figures.
    let path = if config.quick {
        root.join("target/bench-work/BENCHMARKS-quick.md")
    } else {
        root.join("BENCHMARKS.md")
    };
    // The build-cost section is written by its own command; keep it.
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    let text = match crate::build_cost::section_of(&kept) {
        Some(section) => format!("{}\n\n{section}\n", text.trim_end()),
        None => text,
    };
    std::fs::write(&path, text)?;
    Ok(path)
}
