//! The SDK client the API commands use, from the global flags and the environment.

use scenario_sdk::{Client, ENV_API_KEY, ENV_API_SECRET, ENV_JWT};

use crate::cli::GlobalArgs;
use crate::error::{Failure, describe};

/// A client configured from `--base-url`, `--api-key` and `--api-secret` (each
/// falling back to its environment variable), or `--public`; a bearer token and
/// extra headers come from the environment.
///
/// Missing credentials are reported in terms of the command line (the SDK's own
/// message names Rust methods). The secret appears in no message.
pub fn connect(global: &GlobalArgs) -> Result<Client, Failure> {
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let given = |flag: &Option<String>| flag.clone().filter(|v| !v.trim().is_empty());
    let mut builder = Client::builder()
        .user_agent(concat!("scenario-cli/", env!("CARGO_PKG_VERSION")))
        .allow_insecure_http(global.allow_insecure_http);
    if let Some(base_url) = given(&global.base_url) {
        builder = builder.base_url(base_url);
    }
    if global.public {
        builder = builder.public();
    } else {
        let api_key = given(&global.api_key).or_else(|| from_env(ENV_API_KEY));
        let api_secret = given(&global.api_secret).or_else(|| from_env(ENV_API_SECRET));
        let jwt = from_env(ENV_JWT);
        match (api_key, api_secret) {
            (Some(key), Some(secret)) => builder = builder.api_key(key).api_secret(secret),
            (None, None) if jwt.is_some() => {}
            (key, secret) => {
                let missing: Vec<&str> = [
                    (ENV_API_KEY, key.is_none()),
                    (ENV_API_SECRET, secret.is_none()),
                ]
                .into_iter()
                .filter(|(_, missing)| *missing)
                .map(|(name, _)| name)
                .collect();
                return Err(Failure::new(format!(
                    "missing API credentials: {} not set; set {ENV_API_KEY} and {ENV_API_SECRET} \
                     (or pass --api-key and --api-secret), or {ENV_JWT}; --public lists public \
                     assets without an account, and `scenario mock serve` runs a local fake",
                    missing.join(" and ")
                )));
            }
        }
    }
    // The rest (a JWT, extra headers, the base URL) from the environment.
    builder
        .from_env()
        .build()
        .map_err(|error| Failure::new(describe_config(&error)))
}

/// The SDK's configuration errors, pointed at the flags that cause them.
fn describe_config(error: &scenario_sdk::Error) -> String {
    match error {
        scenario_sdk::Error::InvalidInput(message) if message.contains("http://") => message
            .replace(
                "ClientBuilder::allow_insecure_http(true) (--allow-insecure-http in the CLI)",
                "--allow-insecure-http",
            ),
        scenario_sdk::Error::InvalidInput(message) => {
            format!("{message}; check --base-url, --api-key and their environment variables")
        }
        other => describe(other),
    }
}
