//! https:// through the default TLS stack (rustls with Graviola): a whole
//! request against a loopback TLS server whose certificate chains to a test CA,
//! and a refused certificate that chains to nothing trusted.
//!
//! One test in its own binary, because trust comes from `SSL_CERT_FILE`, which
//! is read from the process environment.
#![cfg(all(
    feature = "rustls-graviola",
    any(target_arch = "x86_64", target_arch = "aarch64"),
    not(any(
        feature = "rustls-ring",
        feature = "rustls-aws-lc-rs",
        feature = "native-tls"
    ))
))]

use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use scenario_sdk::{Client, Error, RetryPolicy};
use scenario_testkit::{listing, seed_asset};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

/// Serves `body` as JSON over TLS with the certificate `name`, to every
/// connection, until the test ends.
async fn tls_server(name: &str, body: String) -> String {
    let certs = CertificateDer::pem_file_iter(fixture(&format!("{name}.pem")))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(fixture(&format!("{name}.key"))).unwrap();
    let config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls_graviola::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let body = body.clone();
            tokio::spawn(async move {
                // A refused handshake is the client's doing; nothing to serve.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    format!("https://localhost:{port}/v1")
}

fn client(base_url: &str) -> Client {
    Client::builder()
        .api_key("key")
        .api_secret("secret")
        .base_url(base_url)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn https_goes_through_rustls_with_graviola_and_verifies_the_certificate() {
    // SAFETY: the only test of this binary, and it sets the variable before
    // any thread of its own reads the environment.
    unsafe { std::env::set_var("SSL_CERT_FILE", fixture("trusted-ca.pem")) };
    assert_eq!(scenario_sdk::tls_backend(), Some("rustls-graviola"));

    let page = listing(vec![seed_asset()], serde_json::json!({}));
    let trusted = tls_server("server", page.clone()).await;
    let got = client(&trusted).assets().list().first_page().await.unwrap();
    assert_eq!(got.items.len(), 1, "the listing came through TLS");

    let impostor = tls_server("impostor", page).await;
    let err = client(&impostor)
        .assets()
        .list()
        .first_page()
        .await
        .unwrap_err();
    let text = format!("{err:?} {err}");
    assert!(
        text.to_lowercase().contains("certificate"),
        "an untrusted certificate is named as the reason: {text}"
    );
    assert!(!matches!(err, Error::Api { .. }), "{err:?}");
}
