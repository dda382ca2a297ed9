//! Every way the SDK authenticates, against the fake: HTTP Basic, a bearer
//! token, public access; and extra headers from the environment.

use futures::TryStreamExt;
use scenario_mock::{DEFAULT_BEARER_TOKEN, MockServer};
use scenario_sdk::types::{AssetPrivacy, UploadKind};
use scenario_sdk::{Client, ENV_API_KEY, ENV_API_SECRET, ENV_CUSTOM_HEADERS, ENV_JWT};
use scenario_testkit::{fast_retries, mock_client};

async fn fake() -> MockServer {
    MockServer::builder().assets(60).start().await.unwrap()
}

#[tokio::test]
async fn a_bearer_token_lists_and_a_wrong_one_is_an_auth_error() {
    let server = fake().await;
    let client = Client::builder()
        .base_url(server.base_url())
        .jwt(DEFAULT_BEARER_TOKEN)
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let assets: Vec<_> = client.assets().list().stream().try_collect().await.unwrap();
    assert_eq!(assets.len(), 60);
    assert!(!format!("{client:?}").contains(DEFAULT_BEARER_TOKEN));

    let wrong = Client::builder()
        .base_url(server.base_url())
        .jwt("not-the-token")
        .build()
        .unwrap();
    let err = wrong.assets().list().pages().try_next().await.unwrap_err();
    assert!(err.is_auth(), "{err}");
}

#[tokio::test]
async fn public_access_lists_public_assets_only_and_nothing_else() {
    let server = fake().await;
    let client = Client::builder()
        .base_url(server.base_url())
        .public()
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let public: Vec<_> = client.assets().list().stream().try_collect().await.unwrap();
    let expected: Vec<_> = mock_client(&server)
        .assets()
        .list()
        .privacy(AssetPrivacy::Public.as_str())
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(!public.is_empty());
    assert!(public.iter().all(|a| a.privacy == AssetPrivacy::Public));
    assert_eq!(public.len(), expected.len());

    let err = client
        .uploads()
        .upload_bytes(b"abc".to_vec(), "a.png", UploadKind::Image)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_auth(), "{err}");
}

#[test]
fn credentials_cannot_be_mixed() {
    let err = Client::builder()
        .api_key("k")
        .api_secret("s")
        .jwt("t")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("choose one"), "{err}");
    let err = Client::builder()
        .public()
        .api_key("k")
        .api_secret("s")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("public access"), "{err}");
    // Public drops what was set before it.
    assert!(Client::builder().api_key("k").public().build().is_ok());
}

/// The environment is the process's: everything that sets it is in this one test.
#[tokio::test]
async fn the_environment_gives_a_jwt_and_extra_headers() {
    let server = fake().await;
    // SAFETY: no other test of this binary reads or writes the environment.
    unsafe {
        std::env::remove_var(ENV_API_KEY);
        std::env::remove_var(ENV_API_SECRET);
        std::env::set_var(ENV_JWT, DEFAULT_BEARER_TOKEN);
        std::env::set_var(ENV_CUSTOM_HEADERS, "X-Team: art\n\nX-Trace: 7\n");
        std::env::set_var("SCENARIO_BASE_URL", server.base_url());
    }
    let client = Client::from_env().unwrap();
    let page = client.assets().list().pages().try_next().await.unwrap();
    assert!(page.is_some(), "the JWT from the environment was accepted");
    let debug = format!("{client:?}");
    assert!(
        !debug.contains("art") && !debug.contains(DEFAULT_BEARER_TOKEN),
        "{debug}"
    );

    // SAFETY: as above.
    unsafe { std::env::set_var(ENV_CUSTOM_HEADERS, "no colon here") };
    let err = Client::from_env().unwrap_err();
    assert!(err.to_string().contains("line 1"), "{err}");
    assert!(!err.to_string().contains("no colon"), "{err}");
    // SAFETY: as above.
    unsafe {
        std::env::remove_var(ENV_JWT);
        std::env::remove_var(ENV_CUSTOM_HEADERS);
        std::env::remove_var("SCENARIO_BASE_URL");
    }
}
