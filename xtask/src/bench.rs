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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};

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
    rounds: usize,
}

impl Config {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                quick,
                throughput_size: 64 * MIB,
                rss_sizes: [64 * MIB, 256 * MIB],
                rounds: 2,
            }
        } else {
            Self {
                quick,
                throughput_size: 1024 * MIB,
                rss_sizes: [256 * MIB, 1024 * MIB],
                rounds: 3,
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

pub fn run(root: &Path, quick: bool) -> Result<()> {
    let config = Config::new(quick);
    let machine = machine();
    println!("machine: {machine}");
    build(root)?;
    let release = root.join("target/release");
    let bench_bin = release.join("scenario-bench");
    let work = root.join("target/bench-work");
    std::fs::create_dir_all(&work)?;

    let mock = Mock::start(&release.join("scenario"), LIST_ASSETS, PART_SIZE.min(MIB))?;
    let mut rows = Vec::new();
    let curl = curl_available();
    if !curl {
        println!("curl is not installed: skipping the curl upload baseline");
    }

    // Upload throughput against curl, same file, part size, concurrency and server.
    let file = work.join(format!("upload-{}.bin", config.throughput_size));
    generate_file(&file, config.throughput_size)?;
    let mut sdk_secs = Vec::new();
    let mut curl_secs = Vec::new();
    let mut parts_dir = None;
    if curl {
        parts_dir = Some(split_parts(&file, &work.join("parts"), PART_SIZE)?);
    }
    for round in 0..config.rounds {
        let r = sdk_upload(&bench_bin, &mock, &file)?;
        println!("round {round}: SDK upload {:.3} s", r.secs);
        sdk_secs.push(r.secs);
        if let Some(parts) = &parts_dir {
            let secs = curl_upload(&mock, config.throughput_size, parts)?;
            println!("round {round}: curl upload {secs:.3} s");
            curl_secs.push(secs);
        }
    }
    let mib = config.throughput_size as f64 / MIB as f64;
    let sdk_tput = mib / median(&mut sdk_secs);
    if curl {
        let curl_tput = mib / median(&mut curl_secs);
        let ratio = sdk_tput / curl_tput;
        rows.push(Row {
            name: format!(
                "upload {} MiB, {} MiB parts, concurrency {CONCURRENCY}: SDK vs curl throughput",
                mib,
                PART_SIZE / MIB
            ),
            measured: format!("{sdk_tput:.0} MiB/s"),
            baseline: format!("{curl_tput:.0} MiB/s (curl)"),
            ratio: Some(ratio),
            target: ">= 0.95x".into(),
            met: Some(ratio >= 0.95),
        });
    } else {
        rows.push(Row {
            name: format!("upload {mib} MiB: SDK throughput (curl missing, no baseline)"),
            measured: format!("{sdk_tput:.0} MiB/s"),
            baseline: "skipped".into(),
            ratio: None,
            target: ">= 0.95x curl".into(),
            met: None,
        });
    }
    if let Some(parts) = parts_dir {
        std::fs::remove_dir_all(parts)?;
    }
    std::fs::remove_file(&file)?;

    // Peak RSS of the SDK process, at two file sizes.
    let bound = CONCURRENCY as u64 * PART_SIZE + 64 * MIB;
    for size in config.rss_sizes {
        let file = work.join(format!("upload-{size}.bin"));
        generate_file(&file, size)?;
        let r = sdk_upload(&bench_bin, &mock, &file)?;
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

    drop(mock);

    // Listing: the SDK stream against a raw reqwest + serde_json loop, on a fresh
    // mock holding exactly the seeded assets.
    let mock = Mock::start(&release.join("scenario"), LIST_ASSETS, PART_SIZE.min(MIB))?;
    let list = run_bench(&bench_bin, &mock, &["list", &PAGE_SIZE.to_string()])?;
    let sdk = get(&list, "list_sdk_secs")?;
    let raw = get(&list, "list_raw_secs")?;
    let assets = get(&list, "list_assets")?;
    ensure!(
        assets as usize == LIST_ASSETS,
        "listed {assets} assets, expected {LIST_ASSETS}"
    );
    rows.push(Row {
        name: format!("list {assets} assets, pageSize {PAGE_SIZE}: SDK stream vs raw reqwest loop"),
        measured: format!("{:.1} ms", sdk * 1e3),
        baseline: format!("{:.1} ms (raw)", raw * 1e3),
        ratio: Some(sdk / raw),
        target: "<= 1.10x".into(),
        met: Some(sdk / raw <= 1.10),
    });

    // A caller that spends the SDK's measured fetch time of a page on each page:
    // prefetch on (1, the default) vs off (0).
    let pages = (assets / f64::from(PAGE_SIZE)).ceil();
    let per_page_micros = ((sdk / pages) * 1e6).round().max(1.0) as u64;
    let slow = |prefetch: &str| -> Result<f64> {
        let r = run_bench(
            &bench_bin,
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
    let on = slow("1")?;
    rows.push(Row {
        name: format!(
            "list with {per_page_micros} us of work per page: prefetch 1 vs 0 (speed-up)"
        ),
        measured: format!("{:.1} ms (prefetch 1)", on * 1e3),
        baseline: format!("{:.1} ms (prefetch 0)", off * 1e3),
        ratio: Some(off / on),
        target: ">= 1.60x".into(),
        met: Some(off / on >= 1.6),
    });
    drop(mock);

    // Decoding: typed AssetListResponse vs serde_json::Value.
    let fixture = root.join("crates/scenario-api/tests/fixtures/seed_list_assets.json");
    let rounds = if config.quick { "200" } else { "1000" };
    let decode = run_bench_plain(
        &bench_bin,
        &["decode", &fixture.to_string_lossy(), "100", rounds],
    )?;
    let typed = get(&decode, "decode_typed_mb_s")?;
    let value = get(&decode, "decode_value_mb_s")?;
    rows.push(Row {
        name: "decode 100 seed assets: typed AssetListResponse vs serde_json::Value".into(),
        measured: format!("{typed:.0} MB/s"),
        baseline: format!("{value:.0} MB/s (Value)"),
        ratio: Some(typed / value),
        target: ">= 1.00x".into(),
        met: Some(typed >= value),
    });

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
    fn start(bin: &Path, assets: usize, min_part_size: u64) -> Result<Self> {
        let mut child = Command::new(bin)
            .args(["mock", "serve", "--quiet", "--port", "0"])
            .args(["--assets", &assets.to_string()])
            .args(["--min-part-size", &min_part_size.to_string()])
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
        let deadline = Instant::now() + Duration::from_secs(30);
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
                .map_err(|_| anyhow!("the mock did not print its address in 30 s"))?;
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

/// The baseline: create the upload with curl, PUT every part with `curl -T` at
/// the same concurrency, complete it with curl. Timed from create to complete,
/// like the SDK's `send()`.
fn curl_upload(mock: &Mock, size: u64, parts_dir: &Path) -> Result<f64> {
    let parts = size.div_ceil(PART_SIZE);
    let start = Instant::now();
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
    let urls: Vec<(u64, String)> = upload["parts"]
        .as_array()
        .context("no parts")?
        .iter()
        .map(|p| {
            Ok((
                p["number"].as_u64().context("number")?,
                p["url"].as_str().context("url")?.to_owned(),
            ))
        })
        .collect::<Result<_>>()?;
    ensure!(
        urls.len() as u64 == parts,
        "the mock signed {} parts, expected {parts}",
        urls.len()
    );
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| -> Result<()> {
        let workers: Vec<_> = (0..CONCURRENCY)
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((number, url)) = urls.get(i) else {
                            return Ok(());
                        };
                        let status = Command::new("curl")
                            .args(["-sS", "-f", "-o", "/dev/null", "-T"])
                            .arg(parts_dir.join(format!("part-{number}")))
                            .arg(url)
                            .status()?;
                        if !status.success() {
                            bail!("curl PUT of part {number} failed");
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().map_err(|_| anyhow!("a curl worker panicked"))??;
        }
        Ok(())
    })?;
    curl_json(
        mock,
        &format!("/uploads/{id}/action"),
        &serde_json::json!({ "action": "complete" }),
    )?;
    Ok(start.elapsed().as_secs_f64())
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
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
         - uploads go to `scenario mock serve` running as its own process on loopback; the curl\n  \
         baseline creates the upload with curl, PUTs the same parts (`curl -T`, part files\n  \
         split before timing) at the same concurrency, and completes it with curl; one curl\n  \
         process per part, as `xargs -P` would run them, so its process start-up is part of\n  \
         the baseline\n\
         - peak RSS is VmHWM of the SDK's process alone; the bound is concurrency x part size + 64 MiB\n\
         - listings are medians of 5 runs; the raw loop is reqwest + `serde_json::Value`\n\n\
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
    std::fs::write(&path, text)?;
    Ok(path)
}
