//! `scenario mock serve`: the fake of the API from `scenario-mock`, in the foreground.

use std::io::Write;

use scenario_mock::{DEFAULT_API_KEY, DEFAULT_API_SECRET, MockServer, RandomFaults};
use scenario_sdk::{ENV_API_KEY, ENV_API_SECRET, ENV_BASE_URL};

use crate::cli::{GlobalArgs, ServeArgs};
use crate::error::Failure;

/// Where part URLs point: for scripts that talk to the storage directly.
const ENV_STORAGE_URL: &str = "SCENARIO_MOCK_STORAGE_URL";

/// The credentials the fake accepts: both flags, or the defaults.
///
/// The environment variables are not read here: they may hold a real secret,
/// and this command prints the credentials.
pub fn credentials(global: &GlobalArgs) -> Result<(String, String), Failure> {
    match (&global.api_key, &global.api_secret) {
        (Some(key), Some(secret)) => Ok((key.clone(), secret.clone())),
        (None, None) => Ok((DEFAULT_API_KEY.to_owned(), DEFAULT_API_SECRET.to_owned())),
        _ => Err(Failure::usage(
            "mock serve takes both --api-key and --api-secret, or neither; \
             give both, or none to accept mock-api-key / mock-api-secret",
        )),
    }
}

/// Serves the fake until Ctrl-C (or SIGTERM), after printing the `export` lines
/// that point the CLI and the SDK at it.
pub async fn serve(global: &GlobalArgs, args: ServeArgs) -> Result<(), Failure> {
    let (key, secret) = credentials(global)?;
    let mut builder = MockServer::builder()
        .api_port(args.port)
        .storage_port(args.storage_port)
        .cdn_port(args.cdn_port)
        .cdn_redirects(args.cdn_redirects)
        .assets(args.assets)
        .seed(args.seed)
        .credentials(key, secret)
        .min_part_size(args.min_part_size)
        .validation_delay(args.validation_delay)
        .part_url_ttl(args.part_url_ttl)
        .part_digests(!args.no_part_digests);
    if args.fault_rate > 0.0 {
        builder = builder.random_faults(RandomFaults {
            seed: args.fault_seed,
            api_rate: args.fault_rate,
            storage_rate: args.fault_rate,
            ..RandomFaults::default()
        });
    }
    let server = builder.start().await.map_err(|error| {
        Failure::new(format!(
            "cannot serve the fake API on 127.0.0.1:{}: {error}; pick another --port, --storage-port or --cdn-port (0 picks a free one)",
            args.port
        ))
    })?;
    let exports = format!(
        "export {ENV_BASE_URL}={}\nexport {ENV_API_KEY}={}\nexport {ENV_API_SECRET}={}\nexport {ENV_STORAGE_URL}={}\n",
        shell_quote(&server.base_url()),
        shell_quote(server.api_key()),
        shell_quote(server.api_secret()),
        shell_quote(&server.storage_url()),
    );
    {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        // The exports are the output; if nobody reads them, serving still makes sense.
        // One write: a script waiting for them in a file sees all four or none.
        let _ = out.write_all(exports.as_bytes()).and_then(|()| out.flush());
    }
    if !global.quiet {
        note!(
            "serving a fake Scenario API with {} assets at {} (uploads go to {}, files come from {})\n\
             export the lines above in the shell you use, then try `scenario assets list`\n\
             Ctrl-C stops it",
            args.assets,
            server.base_url(),
            server.storage_url(),
            server.cdn_url()
        );
    }
    stop_signal().await;
    if !global.quiet {
        note!("stopping");
    }
    server.shutdown().await;
    Ok(())
}

/// `value` quoted for a POSIX shell when it holds anything but safe characters.
fn shell_quote(value: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c);
    if !value.is_empty() && value.chars().all(safe) {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

/// Resolves on Ctrl-C, or on SIGTERM where there is one.
async fn stop_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    () = ctrl_c => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exported_values_survive_the_shell() {
        assert_eq!(
            shell_quote("http://127.0.0.1:4010/v1"),
            "http://127.0.0.1:4010/v1"
        );
        assert_eq!(shell_quote("mock-api-key"), "mock-api-key");
        assert_eq!(shell_quote("it's $HOME"), r"'it'\''s $HOME'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn credentials_come_in_pairs_and_never_from_the_environment() {
        let global = |key: Option<&str>, secret: Option<&str>| GlobalArgs {
            profile: None,
            base_url: None,
            api_key: key.map(str::to_owned),
            api_secret: secret.map(str::to_owned),
            allow_insecure_http: false,
            public: false,
            quiet: false,
            verbose: 0,
        };
        assert_eq!(
            credentials(&global(None, None)).unwrap(),
            (DEFAULT_API_KEY.to_owned(), DEFAULT_API_SECRET.to_owned())
        );
        assert_eq!(
            credentials(&global(Some("k"), Some("s"))).unwrap(),
            ("k".to_owned(), "s".to_owned())
        );
        for half in [global(Some("k"), None), global(None, Some("s"))] {
            let failure = credentials(&half).unwrap_err();
            assert_eq!(failure.exit_code(), std::process::ExitCode::from(2));
            assert!(failure.to_string().contains("--api-secret"));
        }
    }
}
