//! `scenario mock serve`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{bare, bin, json_lines, stderr, stdout, wait_until};

/// Kills the server if the test fails before stopping it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The first `n` lines of the child's stdout, waiting at most 20 s for them.
fn first_lines(child: &mut Child, n: usize) -> Vec<String> {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().take(n) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (0..n)
        .map(|i| {
            rx.recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("line {i} did not come"))
                .expect("a line of text")
        })
        .collect()
}

#[test]
fn serve_prints_exports_that_point_the_cli_at_it() {
    let child = Command::new(bin())
        .args(["mock", "serve", "--port", "0", "--assets", "3"])
        .env_remove("SCENARIO_SDK_API_KEY")
        // A real secret in the environment must never be echoed.
        .env("SCENARIO_SDK_API_SECRET", "real-secret-value")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Running(child);
    let lines = first_lines(&mut server.0, 3);

    let mut env = Vec::new();
    for line in &lines {
        let (name, value) = line
            .strip_prefix("export ")
            .and_then(|rest| rest.split_once('='))
            .unwrap_or_else(|| panic!("not an export line: {line:?}"));
        env.push((name.to_owned(), value.to_owned()));
    }
    let names: Vec<&str> = env.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "SCENARIO_BASE_URL",
            "SCENARIO_SDK_API_KEY",
            "SCENARIO_SDK_API_SECRET"
        ]
    );
    assert!(env[0].1.starts_with("http://127.0.0.1:"), "{}", env[0].1);
    assert!(env[0].1.ends_with("/v1"), "{}", env[0].1);
    assert_eq!(env[1].1, "mock-api-key");
    assert_eq!(env[2].1, "mock-api-secret");

    let listing = bare(["assets", "list", "--json"])
        .envs(env.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        .output()
        .unwrap();
    assert!(listing.status.success(), "{}", stderr(&listing));
    assert_eq!(json_lines(&listing).len(), 3);

    // SIGTERM (like Ctrl-C) stops it cleanly.
    #[cfg(unix)]
    {
        crate::support::send_signal(server.0.id(), "TERM");
        wait_until(Duration::from_secs(20), "the server to stop", || {
            server.0.try_wait().unwrap().is_some()
        });
        assert_eq!(server.0.try_wait().unwrap().and_then(|s| s.code()), Some(0));
    }
}

#[test]
fn serve_accepts_the_credentials_it_is_given() {
    let child = Command::new(bin())
        .args(["mock", "serve", "--port", "0", "--assets", "1", "-q"])
        .args(["--api-key", "cli-key", "--api-secret", "it's secret"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Running(child);
    let lines = first_lines(&mut server.0, 3);
    assert_eq!(lines[1], "export SCENARIO_SDK_API_KEY=cli-key");
    // Quoted for the shell.
    assert_eq!(lines[2], r"export SCENARIO_SDK_API_SECRET='it'\''s secret'");
    let base_url = lines[0].trim_start_matches("export SCENARIO_BASE_URL=");
    let listing = bare(["assets", "list", "--json"])
        .args(["--base-url", base_url, "--api-key", "cli-key"])
        .args(["--api-secret", "it's secret"])
        .output()
        .unwrap();
    assert!(listing.status.success(), "{}", stderr(&listing));
    assert_eq!(json_lines(&listing).len(), 1);
}

#[test]
fn serve_with_half_the_credentials_is_a_usage_error() {
    let output = bare(["mock", "serve", "--port", "0", "--api-key", "k"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    let err = stderr(&output);
    assert!(
        err.starts_with("error: mock serve takes both --api-key and --api-secret"),
        "{err}"
    );
}

#[test]
fn serve_on_a_busy_port_fails_with_advice() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = bare(["mock", "serve", "--port", &port]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "error: cannot serve the fake API on 127.0.0.1:{port}"
        )),
        "{err}"
    );
    assert!(err.contains("pick another --port"), "{err}");
}

#[test]
fn serve_takes_the_settings_of_the_fake_and_exports_its_storage() {
    let child = Command::new(bin())
        .args([
            "mock", "serve", "--port", "0", "--assets", "3", "--seed", "9",
        ])
        .args(["--api-key", "k", "--api-secret", "s", "-q"])
        .args(["--storage-port", "0", "--min-part-size", "1KiB"])
        .args(["--validation-delay", "10ms", "--part-url-ttl", "1m"])
        .args(["--fault-rate", "0", "--fault-seed", "3"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Running(child);
    let lines = first_lines(&mut server.0, 4);
    let value = |name: &str| {
        lines
            .iter()
            .find_map(|line| line.strip_prefix(&format!("export {name}=")))
            .unwrap_or_else(|| panic!("{name} in {lines:?}"))
            .to_owned()
    };
    let base_url = value("SCENARIO_BASE_URL");
    assert!(base_url.starts_with("http://127.0.0.1:") && base_url.ends_with("/v1"));
    assert_eq!(value("SCENARIO_SDK_API_KEY"), "k");
    assert_eq!(value("SCENARIO_SDK_API_SECRET"), "s");
    assert!(value("SCENARIO_MOCK_STORAGE_URL").starts_with("http://127.0.0.1:"));

    let listing = bare(["assets", "list", "--json"])
        .args([
            "--base-url",
            &base_url,
            "--api-key",
            "k",
            "--api-secret",
            "s",
        ])
        .output()
        .unwrap();
    assert!(listing.status.success(), "{}", stderr(&listing));
    assert_eq!(json_lines(&listing).len(), 3);
}

#[test]
fn serve_refuses_a_fault_rate_outside_0_to_1() {
    let output = bare(["mock", "serve", "--port", "0", "--fault-rate", "1.5"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is not a rate"),
        "{}",
        stderr(&output)
    );
}
