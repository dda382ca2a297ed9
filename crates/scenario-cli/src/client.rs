//! The SDK client the API commands use, from the global flags, the environment
//! and the profile of the config file.

use scenario_sdk::{Client, ENV_API_KEY, ENV_API_SECRET, ENV_JWT};

use crate::cli::GlobalArgs;
use crate::error::{Failure, describe};

/// A client configured from `--base-url`, `--api-key` and `--api-secret`,
/// each falling back to its environment variable and then to the profile of
/// the config file (`config::resolve`), or `--public`; a bearer token and
/// extra headers come from the environment.
///
/// Missing credentials are reported in terms of the command line (the SDK's own
/// message names Rust methods). The secret appears in no message.
pub fn connect(global: &GlobalArgs) -> Result<Client, Failure> {
    let resolved = crate::config::resolve(global)?;
    let mut builder = Client::builder()
        .user_agent(concat!("scenario-cli/", env!("CARGO_PKG_VERSION")))
        .allow_insecure_http(global.allow_insecure_http);
    if let Some(base_url) = &resolved.base_url {
        builder = builder.base_url(base_url.value.clone());
    }
    if global.public {
        builder = builder.public();
    } else if !resolved.jwt {
        match (&resolved.api_key, &resolved.api_secret) {
            (Some(key), Some(secret)) => {
                builder = builder
                    .api_key(key.value.clone())
                    .api_secret(secret.value.expose().to_owned());
            }
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
                     (or pass --api-key and --api-secret, or store them with `scenario configure`), \
                     or {ENV_JWT}; --public lists public assets without an account, and \
                     `scenario mock serve` runs a local fake",
                    missing.join(" and ")
                )));
            }
        }
    }
    // The rest (a JWT, extra headers) from the environment.
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
            format!(
                "{message}; check --base-url, --api-key, their environment variables and the profile (`scenario auth status`)"
            )
        }
        other => describe(other),
    }
}
