//! SDK clients of the fake API, and of any other loopback server, with fast
//! retries.

use scenario_mock::{MockServer, MockServerBuilder};
use scenario_sdk::{Client, ClientBuilder};

use crate::fast_retries;

/// A client builder for `base_url` with these credentials and
/// [`fast_retries`]; tests add their own timeouts or retry counts.
pub fn client_builder(base_url: &str, api_key: &str, api_secret: &str) -> ClientBuilder {
    Client::builder()
        .base_url(base_url)
        .api_key(api_key)
        .api_secret(api_secret)
        .retry_policy(fast_retries())
}

/// A client builder for the fake, with its URL and credentials and
/// [`fast_retries`].
pub fn mock_client_builder(server: &MockServer) -> ClientBuilder {
    client_builder(&server.base_url(), server.api_key(), server.api_secret())
}

/// A client of the fake, with its URL and credentials and [`fast_retries`].
pub fn mock_client(server: &MockServer) -> Client {
    mock_client_builder(server)
        .build()
        .expect("the fake's settings make a valid client")
}

/// Starts the fake configured by `builder`, and a client of it.
pub async fn start_mock(builder: MockServerBuilder) -> (MockServer, Client) {
    let server = builder
        .start()
        .await
        .expect("the fake listens on 127.0.0.1");
    let client = mock_client(&server);
    (server, client)
}

/// A plain reqwest client, for tests that speak HTTP to a server themselves.
///
/// In the workspace's builds reqwest has the provider-less rustls that the
/// SDK's default TLS stack turns on, and `reqwest::Client::new()` would panic
/// for want of a provider: this installs the SDK's first, as an application
/// would ([`scenario_sdk::install_tls_provider`]).
pub fn plain_http() -> scenario_sdk::reqwest::Client {
    scenario_sdk::install_tls_provider();
    scenario_sdk::reqwest::Client::new()
}
