//! `cargo xtask readme`: every shell line of README.md, run in order as a newcomer pastes
//! them, in one shell, on a copy of the tree, so the README cannot drift from what works.
//!
//! Which lines run: every line of every fenced block whose language is `sh` (or `bash`,
//! `shell`), except blank lines and lines that are only a comment, and except the blocks
//! marked not runnable by an HTML comment, invisible on GitHub, as the last non-blank line
//! before the fence: `<!-- xtask readme: skip (why) -->`. A line ending in `\` goes on
//! with the next one.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

/// The README the runner reads, relative to the workspace root.
pub const README: &str = "README.md";

/// The start of the comment that keeps the next block from running.
pub const SKIP_MARKER: &str = "<!-- xtask readme: skip";

/// How long a `cargo` line may take: a first release build on a small machine.
const CARGO_TIMEOUT: Duration = Duration::from_secs(45 * 60);

/// How long any other line may take: each talks to the fake on loopback.
const LINE_TIMEOUT: Duration = Duration::from_secs(120);

/// One line of the README to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Where it starts in the README, from 1.
    pub number: usize,
    /// The line as written (continuation lines included, joined by newlines).
    pub text: String,
}

/// The lines of `readme` that run, in order (see the module's documentation).
pub fn lines(readme: &str) -> Vec<Line> {
    let mut out = Vec::new();
    // Some(runs) inside a fence.
    let mut block: Option<bool> = None;
    let mut skip_next = false;
    let mut pending: Option<Line> = None;
    for (index, raw) in readme.lines().enumerate() {
        let trimmed = raw.trim();
        let Some(runs) = block else {
            if let Some(info) = trimmed.strip_prefix("```") {
                let language = info.split_whitespace().next().unwrap_or("");
                block = Some(matches!(language, "sh" | "bash" | "shell") && !skip_next);
                skip_next = false;
            } else if trimmed.starts_with(SKIP_MARKER) {
                skip_next = true;
            } else if !trimmed.is_empty() {
                skip_next = false;
            }
            continue;
        };
        if trimmed.starts_with("```") {
            block = None;
            out.extend(pending.take());
            continue;
        }
        if !runs {
            continue;
        }
        let line = match pending.take() {
            Some(mut line) => {
                line.text.push('\n');
                line.text.push_str(raw);
                line
            }
            None if trimmed.is_empty() || trimmed.starts_with('#') => continue,
            None => Line {
                number: index + 1,
                text: raw.to_owned(),
            },
        };
        if raw.trim_end().ends_with('\\') {
            pending = Some(line);
        } else {
            out.push(line);
        }
    }
    out.extend(pending);
    out
}

/// Copies the tree to a scratch directory and runs the README's lines there.
pub fn run(root: &Path) -> Result<()> {
    let readme = std::fs::read_to_string(root.join(README)).context("reading README.md")?;
    let lines = lines(&readme);
    ensure!(!lines.is_empty(), "README.md has no shell line to run");

    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => std::path::absolute(dir)?,
        None => root.join("target"),
    };
    // Inside the target directory, which no tool looks into. cargo names a path crate's
    // build by the crate's place in its workspace, and the copy keeps the files' mtimes, so
    // the lines' cargo commands reuse what the workspace already built instead of building
    // from zero. The other way round, the builds they make record the copy's files as
    // their sources: while the copy is there, the workspace's own builds would take those
    // artifacts as fresh, whatever its sources say. So the copy goes at the end of every
    // run (the failing line's output is printed), and the next workspace build rebuilds.
    let work = target.join("readme");
    if work.exists() {
        std::fs::remove_dir_all(&work).with_context(|| format!("removing {}", work.display()))?;
    }
    let clone = work.join("clone");
    crate::copy_tracked_files(root, &clone)?;
    let install = work.join("install");
    let config = work.join("config");
    std::fs::create_dir_all(&config)?;

    let path = match std::env::var_os("PATH") {
        Some(path) => {
            let mut dirs = vec![install.join("bin")];
            dirs.extend(std::env::split_paths(&path));
            std::env::join_paths(dirs)?
        }
        None => install.join("bin").into_os_string(),
    };
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-euo", "pipefail"])
        .current_dir(&clone)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (name, _) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        // Real credentials or a profile would send the lines to the real API; the
        // variables cargo sets for this process describe xtask, not the lines.
        if name_text.starts_with("SCENARIO_")
            || name_text.starts_with("CARGO_PKG_")
            || name_text.starts_with("CARGO_MANIFEST_")
            || [
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
            ]
            .contains(&name_text.as_ref())
        {
            command.env_remove(&name);
        }
    }
    command
        .env("PATH", path)
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_INSTALL_ROOT", &install)
        .env("XDG_CONFIG_HOME", &config)
        .env("SCENARIO_CONFIG_FILE", config.join("config.toml"))
        // Nothing beyond loopback: cargo builds from what is already downloaded, and an
        // HTTP client that honours the proxy variables reaches nothing but the fake.
        .env("CARGO_NET_OFFLINE", "true")
        .env("NO_COLOR", "1")
        .env("CARGO_TERM_COLOR", "never");
    for proxy in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ] {
        command.env(proxy, "http://127.0.0.1:9");
    }
    for no_proxy in ["no_proxy", "NO_PROXY"] {
        command.env(no_proxy, "127.0.0.1,localhost,::1");
    }
    {
        use std::os::unix::process::CommandExt;
        // Its own group, so that what the lines start in the background (the fake) is
        // stopped with it.
        command.process_group(0);
    }

    println!(
        "running {} lines of {README} in {} (CLI installed into {})",
        lines.len(),
        clone.display(),
        install.display()
    );
    let mut session = Session::start(command)?;
    let result = session.run_all(&lines);
    session.stop();
    std::fs::remove_dir_all(&clone)
        .with_context(|| format!("removing {} after the run", clone.display()))?;
    result?;
    println!("every shell line of {README} ran");
    Ok(())
}

/// One `bash` reading the lines from its stdin, its output read by a thread.
struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    output: Receiver<String>,
}

impl Session {
    fn start(mut command: Command) -> Result<Self> {
        let mut child = command.spawn().context("starting bash")?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (send, output) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut buf = Vec::new();
            while matches!(reader.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
                let line = String::from_utf8_lossy(&buf).trim_end().to_owned();
                if send.send(line).is_err() {
                    break;
                }
                buf.clear();
            }
        });
        // One stream, so that a line's errors come with its output, in order.
        stdin.write_all(b"exec 2>&1\n")?;
        Ok(Self {
            child,
            stdin: Some(stdin),
            output,
        })
    }

    fn run_all(&mut self, lines: &[Line]) -> Result<()> {
        for line in lines {
            self.run_one(line)?;
        }
        Ok(())
    }

    fn run_one(&mut self, line: &Line) -> Result<()> {
        println!("\n$ {}", line.text);
        let done = format!("xtask-readme-done-{}-{}", std::process::id(), line.number);
        let timeout = if line.text.trim_start().starts_with("cargo ") {
            CARGO_TIMEOUT
        } else {
            LINE_TIMEOUT
        };
        // The braces keep the line's own stdin off the script (a command reading stdin
        // would eat the next lines); the newline keeps a trailing comment off the brace.
        let script = format!("{{\n{}\n}} </dev/null\necho {done}\n", line.text);
        let stdin = self.stdin.as_mut().expect("the session is running");
        stdin
            .write_all(script.as_bytes())
            .and_then(|()| stdin.flush())
            .with_context(|| format!("README.md:{}: the shell is gone", line.number))?;

        let started = Instant::now();
        let mut output = Vec::new();
        loop {
            match self.output.recv_timeout(Duration::from_millis(200)) {
                Ok(text) if text == done => return Ok(()),
                Ok(text) => {
                    println!("  {text}");
                    output.push(text);
                    continue;
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
            }
            // The fake keeps the output open after the shell exits, so the shell's own
            // status says when a line failed.
            if let Some(status) = self.child.try_wait()? {
                while let Ok(text) = self.output.recv_timeout(Duration::from_millis(200)) {
                    println!("  {text}");
                    output.push(text);
                }
                bail!(
                    "README.md:{}: this line failed ({status}):\n{}\nits output:\n{}",
                    line.number,
                    line.text,
                    output.join("\n")
                );
            }
            if started.elapsed() > timeout {
                bail!(
                    "README.md:{}: this line did not finish within {:?}:\n{}\nits output:\n{}",
                    line.number,
                    timeout,
                    line.text,
                    output.join("\n")
                );
            }
        }
    }

    /// Ends the shell and everything the lines started.
    fn stop(&mut self) {
        drop(self.stdin.take());
        let group = self.child.id() as libc::pid_t;
        for (signal, wait) in [(libc::SIGTERM, 50), (libc::SIGKILL, 50)] {
            // SAFETY: kill(2) with a negative pid signals our own process group (the
            // shell's, created for it); it touches no memory.
            if unsafe { libc::kill(-group, signal) } != 0 {
                break;
            }
            for _ in 0..wait {
                // SAFETY: signal 0 only asks whether the group still has a process.
                if unsafe { libc::kill(-group, 0) } != 0 {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
                let _ = self.child.try_wait();
            }
        }
        let _ = self.child.wait();
    }
}
