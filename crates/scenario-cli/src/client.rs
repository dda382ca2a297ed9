//! The SDK client the API commands use, from the global flags and the environment.

use scenario_sdk::{Client, ENV_API_KEY, ENV_API_SECRET, ENV_BASE_URL};

use crate::cli::GlobalArgs;
use crate::error::{Failure, describe};

/// A client configured from `--base-url`, `--api-key` and `--api-secret`, each
/// falling back to its environment variable.
///
/// Missing credentials are reported in terms of the command line (the SDK's own
/// message names Rust methods). The secret appears in no message.
pub fn connect(global: &GlobalArgs) -> Result<Client, Failure> {
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let given = |flag: &Option<String>| flag.clone().filter(|v| !v.trim().is_empty());
    let api_key = given(&global.api_key).or_else(|| from_env(ENV_API_KEY));
    let api_secret = given(&global.api_secret).or_else(|| from_env(ENV_API_SECRET));
    let base_url = given(&global.base_url).or_else(|| from_env(ENV_BASE_URL));

    let missing: Vec<&str> = [(ENV_API_KEY, &api_key), (ENV_API_SECRET, &api_secret)]
        .into_iter()
        .filter(|(_, value)| value.is_none())
        .map(|(name, _)| name)
        .collect();
    let (Some(api_key), Some(api_secret)) = (api_key, api_secret) else {
        return Err(Failure::new(format!(
            "missing API credentials: {} not set; set {ENV_API_KEY} and {ENV_API_SECRET} \
             (or pass --api-key and --api-secret), or try `scenario mock serve` for a local fake",
            missing.join(" and ")
        )));
    };

    let mut builder = Client::builder()
        .api_key(api_key)
        .api_secret(api_secret)
        .user_agent(concat!("scenario-cli/", env!("CARGO_PKG_VERSION")))
        .allow_insecure_http(global.allow_insecure_http);
    if let Some(base_url) = base_url {
        builder = builder.base_url(base_url);
    }
    builder
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
