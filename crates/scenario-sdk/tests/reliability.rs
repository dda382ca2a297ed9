//! What a misbehaving or overloaded service must not do to a caller: keep a
//! listing going forever, lose its place after an error, poison a page with
//! one bad item, hold a call past its total deadline, or get retried within
//! milliseconds after asking for an hour. Also: any 2xx is a success, and the
//! base URL never sends credentials in clear nor shows a password.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use scenario_sdk::types::Asset;
use scenario_sdk::{Client, Error, RetryPolicy, ops};
use scenario_testkit::{Reply, ScriptedServer, asset_with_id, fast_retries, listing};

/// Runs `f` with a deadline: a loop or a hang fails the test instead of CI.
async fn bounded<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("the SDK looped or hung")
}

fn page(ids: &[&str], token: Option<&str>) -> Reply {
    let assets = ids.iter().map(|id| asset_with_id(id)).collect();
    let extra = match token {
        Some(token) => serde_json::json!({ "nextPaginationToken": token }),
        None => serde_json::json!({}),
    };
    Reply::json(listing(assets, extra))
}

fn ids(assets: &[Asset]) -> Vec<&str> {
    assets.iter().map(|a| a.id.as_str()).collect()
}

#[tokio::test]
async fn empty_pages_with_fresh_tokens_end_the_listing() {
    // Far more empty pages than the bound, each with a token never seen before.
    let script = (0..500)
        .map(|n| page(&[], Some(&format!("t{n}"))))
        .collect();
    let server = ScriptedServer::start(script).await;
    let results: Vec<_> = bounded(server.client().assets().list().pages().collect()).await;
    let err = results.last().unwrap().as_ref().unwrap_err();
    assert!(
        matches!(err.cause(), Error::Pagination { message } if message.contains("empty")),
        "{err:?}"
    );
    // The bound is 100 empty pages in a row; the pages after the 100th that
    // were fetched ahead while it was decoded (2 by default) are dropped.
    let hits = server.hits();
    assert!((100..=102).contains(&hits), "{hits} pages fetched");
    // The page fetched with the 99th token is the one refused.
    assert_eq!(err.resume_token(), Some(Some("t98")));
    assert!(err.to_string().contains("\"t98\""), "{err}");
}

#[tokio::test]
async fn a_few_empty_pages_while_a_token_is_set_are_followed() {
    let mut script: Vec<Reply> = (0..20).map(|n| page(&[], Some(&format!("t{n}")))).collect();
    script.push(page(&["a"], None));
    let server = ScriptedServer::start(script).await;
    let assets: Vec<Asset> = bounded(server.client().assets().list().stream().try_collect())
        .await
        .unwrap();
    assert_eq!(ids(&assets), ["a"]);
}

#[tokio::test]
async fn the_same_items_under_fresh_tokens_end_the_listing() {
    let script = (0..50)
        .map(|n| page(&["same_1", "same_2"], Some(&format!("t{n}"))))
        .collect();
    let server = ScriptedServer::start(script).await;
    let results: Vec<_> = bounded(server.client().assets().list().pages().collect()).await;
    let err = results.last().unwrap().as_ref().unwrap_err();
    assert!(
        matches!(err.cause(), Error::Pagination { message } if message.contains("same items")),
        "{err:?}"
    );
    assert!(server.hits() <= 5, "{} pages fetched", server.hits());
    // The repeats are detected before they are given: each item once.
    let given: Vec<String> = results
        .iter()
        .filter_map(|page| page.as_ref().ok())
        .flat_map(|page| page.items.iter().map(|a| a.id.clone()))
        .collect();
    assert_eq!(given, ["same_1", "same_2"]);
}

#[tokio::test]
async fn a_failed_stream_resumes_from_its_error_and_yields_every_item_once() {
    let failure = Reply::new(500, "application/json", r#"{"message": "boom"}"#);
    let server = ScriptedServer::start(vec![
        page(&["a", "b"], Some("t1")),
        page(&["c", "d"], Some("t2")),
        failure,
    ])
    .await;
    let client = server.client().with_max_retries(0);
    let mut seen = Vec::new();
    let mut stream = client.assets().list().stream();
    let err = loop {
        match bounded(stream.next()).await {
            Some(Ok(asset)) => seen.push(asset.id),
            Some(Err(err)) => break err,
            None => panic!("the listing ended without the scripted failure"),
        }
    };
    drop(stream);
    assert_eq!(seen, ["a", "b", "c", "d"]);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500), "{err:?}");
    let token = err.resume_token().flatten().map(str::to_owned);
    assert_eq!(token.as_deref(), Some("t2"), "{err:?}");
    assert!(err.to_string().contains("pagination_token \"t2\""), "{err}");

    server.set_script(vec![page(&["e", "f"], Some("t3")), page(&["g"], None)]);
    let rest: Vec<Asset> = bounded(
        client
            .assets()
            .list()
            .pagination_token(token.unwrap())
            .stream()
            .try_collect(),
    )
    .await
    .unwrap();
    seen.extend(rest.into_iter().map(|a| a.id));
    assert_eq!(seen, ["a", "b", "c", "d", "e", "f", "g"], "each item once");
    let queries = server.queries();
    assert!(queries[3].contains("paginationToken=t2"), "{queries:?}");
}

/// A page of three assets whose middle one has a fractional size.
fn page_with_a_bad_item() -> Reply {
    let mut bad = asset_with_id("bad");
    bad["properties"]["size"] = serde_json::json!(1.5);
    let mut floaty = asset_with_id("c");
    floaty["properties"]["size"] = serde_json::json!(2048.0);
    floaty["tags"] = serde_json::Value::Null;
    Reply::json(listing(
        vec![asset_with_id("a"), bad, floaty],
        serde_json::json!({"nextPaginationToken": "t1"}),
    ))
}

#[tokio::test]
async fn a_bad_item_is_reported_with_its_place_and_the_listing_goes_on() {
    let server = ScriptedServer::start(vec![page_with_a_bad_item(), page(&["d"], None)]).await;
    let results: Vec<_> = bounded(server.client().assets().list().stream().collect()).await;
    assert_eq!(results.len(), 4, "{results:?}");
    let good: Vec<&str> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(good, ["a", "c", "d"]);
    let err = results[1].as_ref().unwrap_err();
    let bad = err.bad_item().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(bad.index, 1);
    assert_eq!(bad.path, "properties.size");
    assert!(bad.raw.contains("\"id\":\"bad\""), "{}", bad.raw);
    assert!(err.to_string().contains("properties.size"), "{err}");
    assert_eq!(err.request_id(), Some("scripted_0"));
    let size = results[2].as_ref().unwrap().properties.size;
    assert_eq!(size, 2048, "an integral float is an integer");

    // A page carries the same report beside the good items. (first_page():
    // a dropped pages() stream may already have asked for the second page,
    // which would take the next script's first answer.)
    server.set_script(vec![page_with_a_bad_item(), page(&["d"], None)]);
    let first = bounded(server.client().assets().list().first_page())
        .await
        .unwrap();
    assert_eq!(ids(&first.items), ["a", "c"]);
    assert_eq!(first.skipped.len(), 1);
    assert_eq!(first.next_token.as_deref(), Some("t1"));
    assert!(first.raw_items.is_empty(), "no copies unless asked");

    // keep_raw: each good item's JSON beside it, as sent; the bad one is in skipped.
    server.set_script(vec![page_with_a_bad_item(), page(&["d"], None)]);
    let first = bounded(server.client().assets().list().keep_raw(true).first_page())
        .await
        .unwrap();
    assert_eq!(ids(&first.items), ["a", "c"]);
    assert_eq!(first.raw_items.len(), 2);
    assert_eq!(first.raw_items[0].get(), asset_with_id("a").to_string());
    assert!(first.raw_items[1].get().contains(r#""id":"c""#));
    assert!(first.raw_items[1].get().contains(r#""size":2048.0"#));
    assert_eq!(first.skipped.len(), 1);

    // raw_only: every item as sent, the bad one in its place, none decoded;
    // the pages still follow their tokens to the end.
    server.set_script(vec![page_with_a_bad_item(), page(&["d"], None)]);
    let pages: Vec<_> = bounded(
        server
            .client()
            .assets()
            .list()
            .raw_only(true)
            .pages()
            .try_collect::<Vec<_>>(),
    )
    .await
    .unwrap();
    let raw: Vec<&str> = pages
        .iter()
        .flat_map(|page| page.raw_items.iter().map(|item| item.get()))
        .collect();
    assert_eq!(raw.len(), 4, "{raw:?}");
    assert_eq!(raw[0], asset_with_id("a").to_string());
    assert!(raw[1].contains(r#""id":"bad""#), "{}", raw[1]);
    assert!(raw[2].contains(r#""size":2048.0"#), "{}", raw[2]);
    assert!(raw[3].contains(r#""id":"d""#), "{}", raw[3]);
    assert!(
        pages
            .iter()
            .all(|p| p.items.is_empty() && p.skipped.is_empty())
    );
    assert_eq!(pages[0].next_token.as_deref(), Some("t1"));

    // stream() yields decoded items whatever raw_only says.
    server.set_script(vec![page_with_a_bad_item(), page(&["d"], None)]);
    let streamed: Vec<_> = bounded(
        server
            .client()
            .assets()
            .list()
            .raw_only(true)
            .stream()
            .collect(),
    )
    .await;
    assert_eq!(streamed.len(), 4, "{streamed:?}");
}

#[tokio::test]
async fn a_strict_listing_stops_at_a_bad_item() {
    let server = ScriptedServer::start(vec![page_with_a_bad_item(), page(&["d"], None)]).await;
    let results: Vec<_> = bounded(
        server
            .client()
            .assets()
            .list()
            .strict(true)
            .stream()
            .collect(),
    )
    .await;
    assert_eq!(results.len(), 1, "{results:?}");
    let err = results[0].as_ref().unwrap_err();
    assert_eq!(err.bad_item().map(|b| b.index), Some(1), "{err:?}");
    assert_eq!(err.resume_token(), Some(None));
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_page_that_does_not_decode_names_the_field() {
    let server = ScriptedServer::start(vec![Reply::json(
        r#"{"assets": [], "nextPaginationToken": 12}"#,
    )])
    .await;
    let err = bounded(server.client().assets().list().pages().try_next())
        .await
        .unwrap_err();
    assert!(matches!(err.cause(), Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("nextPaginationToken"), "{err}");
}

fn patient_policy() -> RetryPolicy {
    fast_retries().with_max_retries(10)
}

#[tokio::test]
async fn a_total_deadline_bounds_every_attempt_and_delay() {
    let server = ScriptedServer::start(vec![Reply::Silent]).await;
    let client = server
        .client_builder()
        .timeout(Duration::from_secs(5))
        .retry_policy(patient_policy())
        .total_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = bounded(client.request(ops::GetUpload::new("up_1")).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Deadline { .. }), "{err:?}");
    assert!(err.is_deadline() && err.is_timeout(), "{err:?}");
    assert!(err.to_string().contains("total deadline of 300ms"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_retry_that_cannot_start_before_the_deadline_is_not_made() {
    let unavailable =
        Reply::new(503, "application/json", r#"{"message": "busy"}"#).header("retry-after", "2");
    let server = ScriptedServer::start(vec![unavailable]).await;
    let client = server.client().with_retry_policy(patient_policy());
    let started = Instant::now();
    let err = bounded(
        client
            .request(ops::GetUpload::new("up_1"))
            .total_timeout(Duration::from_millis(500))
            .send(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503), "{err:?}");
    assert_eq!(server.hits(), 1);
    assert!(started.elapsed() < Duration::from_millis(1500));
}

fn rate_limited(seconds: u64) -> Reply {
    Reply::new(429, "application/json", r#"{"message": "slow down"}"#)
        .header("retry-after", seconds.to_string())
}

#[tokio::test]
async fn a_retry_after_above_the_cap_gives_up_at_once_with_the_delay() {
    let server = ScriptedServer::start(vec![rate_limited(3600), page(&["a"], None)]).await;
    let started = Instant::now();
    let err = bounded(server.client().request(ops::GetUpload::new("up_1")).send())
        .await
        .unwrap_err();
    assert_eq!(
        err.retry_after(),
        Some(Duration::from_secs(3600)),
        "{err:?}"
    );
    assert!(err.is_rate_limited() && err.is_retryable(), "{err:?}");
    assert!(err.to_string().contains("3600s"), "{err}");
    assert_eq!(server.hits(), 1, "not asked again within milliseconds");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_deadline_with_room_waits_for_a_long_retry_after() {
    let upload = include_str!("../../scenario-api/tests/fixtures/seed_get_upload.json");
    let server = ScriptedServer::start(vec![rate_limited(1), Reply::json(upload)]).await;
    // The cap is below the server's delay; the deadline leaves room for it.
    let policy = fast_retries().with_max_retry_after(Duration::from_millis(100));
    let client = server.client().with_retry_policy(policy);
    let err = bounded(client.request(ops::GetUpload::new("up_1")).send())
        .await
        .unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)), "{err:?}");

    server.set_script(vec![rate_limited(1), Reply::json(upload)]);
    let started = Instant::now();
    let reply = bounded(
        client
            .request(ops::GetUpload::new("up_1"))
            .total_timeout(Duration::from_secs(10))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(reply.upload.id, "id");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited as asked"
    );
}

/// A 429 whose error body says how long the cooldown lasts, with no header.
fn cooling_down(seconds: f64) -> Reply {
    Reply::new(
        429,
        "application/json",
        format!(r#"{{"message": "Too many requests", "remainingSeconds": {seconds}}}"#),
    )
}

#[tokio::test]
async fn a_cooldown_named_in_the_body_is_waited_as_asked() {
    let upload = include_str!("../../scenario-api/tests/fixtures/seed_get_upload.json");
    // Backoff alone would retry after 1-2 ms and be refused again.
    let server = ScriptedServer::start(vec![cooling_down(0.4), Reply::json(upload)]).await;
    let client = server.client().with_retry_policy(fast_retries());
    let started = Instant::now();
    let reply = bounded(client.request(ops::GetUpload::new("up_1")).send())
        .await
        .unwrap();
    assert_eq!(reply.upload.id, "id");
    assert_eq!(server.hits(), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(390),
        "retried after {:?}, before the cooldown ended",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_cooldown_above_the_cap_gives_up_at_once_and_keeps_the_limit() {
    let server = ScriptedServer::start(vec![cooling_down(120.0), page(&["a"], None)]).await;
    let started = Instant::now();
    let err = bounded(server.client().request(ops::GetUpload::new("up_1")).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RetryAfterTooLong { .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)), "{err:?}");
    assert_eq!(
        err.limit(),
        Some(scenario_sdk::Limit::Cooldown {
            remaining: Duration::from_secs(120)
        }),
        "the body's limit survives giving up early"
    );
    assert_eq!(server.hits(), 1, "not asked again within milliseconds");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn any_2xx_with_a_valid_body_is_a_success() {
    let upload = include_str!("../../scenario-api/tests/fixtures/seed_get_upload.json");
    for status in [201, 203] {
        let server =
            ScriptedServer::start(vec![Reply::new(status, "application/json", upload)]).await;
        let reply = bounded(
            server
                .client()
                .request(ops::GetUpload::new("up_1"))
                .send_with_details(),
        )
        .await
        .unwrap();
        assert_eq!(reply.status.as_u16(), status);
        assert_eq!(reply.value.upload.id, "id");
        assert_eq!(server.hits(), 1);
    }
}

fn builder(url: &str) -> scenario_sdk::ClientBuilder {
    Client::builder()
        .api_key("key")
        .api_secret("secret")
        .base_url(url)
}

#[test]
fn plain_http_to_another_host_needs_an_explicit_opt_in() {
    for url in ["http://example.com/v1", "http://10.0.0.8:8080/v1"] {
        let err = builder(url).build().unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
        assert!(text.contains("in clear"), "{text}");
        assert!(text.contains("allow_insecure_http"), "{text}");
        builder(url).allow_insecure_http(true).build().unwrap();
    }
    for url in [
        "http://localhost:4010/v1",
        "http://127.0.0.1:4010/v1",
        "http://[::1]:4010/v1",
        "https://example.com/v1",
    ] {
        builder(url)
            .build()
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}

#[tokio::test]
async fn a_password_in_the_base_url_never_shows() {
    let client = builder("https://user:hunter2@example.com/v1")
        .build()
        .unwrap();
    let debug = format!("{client:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("user:***@example.com"), "{debug}");

    let builder_debug = format!("{:?}", builder("https://user:hunter2@example.com/v1"));
    assert!(!builder_debug.contains("hunter2"), "{builder_debug}");

    for url in [
        "https://user:hunter2@exa mple.com/v1",
        "ftp://user:hunter2@example.com",
    ] {
        let err = builder(url).build().unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }

    // Nothing listens on port 1: the connection error names the URL without it.
    let client = builder("http://user:hunter2@127.0.0.1:1/v1")
        .max_retries(0)
        .build()
        .unwrap();
    let err = bounded(client.request(ops::GetUpload::new("up_1")).send())
        .await
        .unwrap_err();
    assert!(err.is_connection(), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("hunter2"), "{err:?}");
}
