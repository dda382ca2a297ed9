//! What the examples share: a client of the real API when credentials are set,
//! otherwise of an embedded fake, so that every example runs anywhere.

use scenario_mock::MockServer;
use scenario_sdk::{Client, ENV_API_KEY, ENV_API_SECRET};

/// A client, and the fake it talks to when there are no credentials (keep it
/// alive as long as the client is used).
pub async fn connect() -> Result<(Client, Option<MockServer>), Box<dyn std::error::Error>> {
    let has_credentials = [ENV_API_KEY, ENV_API_SECRET]
        .iter()
        .all(|name| std::env::var(name).is_ok_and(|v| !v.is_empty()));
    if has_credentials {
        let client = Client::from_env()?;
        eprintln!("using the Scenario API at {}", client.base_url());
        return Ok((client, None));
    }
    let server = MockServer::builder().assets(42).start().await?;
    eprintln!(
        "{ENV_API_KEY}/{ENV_API_SECRET} are not set: using an embedded fake of the API at {}",
        server.base_url()
    );
    let client = Client::builder()
        .base_url(server.base_url())
        .api_key(server.api_key())
        .api_secret(server.api_secret())
        .build()?;
    Ok((client, Some(server)))
}
