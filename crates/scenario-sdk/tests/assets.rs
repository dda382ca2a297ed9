//! Listing assets: complete, resumable, bounded prefetch, and safe against a
//! server whose pagination misbehaves.

use std::collections::HashSet;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use scenario_mock::{MockServer, OperationId};
use scenario_sdk::types::{AssetPrivacy, AssetSortBy};
use scenario_sdk::{Client, Error};
use scenario_testkit::{Reply, ScriptedServer, asset_with_id, listing, start_mock};

async fn server_with(assets: usize) -> (MockServer, Client) {
    start_mock(MockServer::builder().assets(assets)).await
}

/// Polls `condition` for up to five seconds.
async fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn the_stream_yields_every_asset_exactly_once() {
    let (server, client) = server_with(237).await;
    let assets: Vec<_> = client
        .assets()
        .list()
        .page_size(10)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(assets.len(), 237);
    let ids: HashSet<_> = assets.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids.len(), 237, "no asset twice");
    assert_eq!(server.request_count(OperationId::ListAssets), 24);
}

#[tokio::test]
async fn filters_and_sorting_reach_the_server() {
    let (_server, client) = server_with(120).await;
    let public: Vec<_> = client
        .assets()
        .list()
        .privacy(AssetPrivacy::Public.as_str())
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(!public.is_empty());
    assert!(public.iter().all(|a| a.privacy == AssetPrivacy::Public));

    let ascending: Vec<_> = client
        .assets()
        .list()
        .sort_by(AssetSortBy::CreatedAt.as_str())
        .sort_direction("asc")
        .page_size(7)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ascending.len(), 120);
    assert!(
        ascending
            .windows(2)
            .all(|w| w[0].created_at <= w[1].created_at)
    );

    let middle = &ascending[60].created_at;
    let later: Vec<_> = client
        .assets()
        .list()
        .sort_by(AssetSortBy::CreatedAt.as_str())
        .sort_direction("asc")
        .created_after(middle.clone())
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(!later.is_empty() && later.iter().all(|a| &a.created_at > middle));
}

#[tokio::test]
async fn a_page_token_resumes_the_listing_after_that_page() {
    let (_server, client) = server_with(30).await;
    let mut pages = client.assets().list().page_size(10).pages();
    let first = pages.try_next().await.unwrap().unwrap();
    drop(pages);
    let token = first.next_token.clone().expect("more pages follow");
    let rest: Vec<_> = client
        .assets()
        .list()
        .page_size(10)
        .pagination_token(token)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rest.len(), 20);
    let mut all: Vec<_> = first
        .items
        .iter()
        .chain(&rest)
        .map(|a| a.id.clone())
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 30);
}

#[tokio::test]
async fn prefetch_stays_two_pages_ahead_of_the_consumer() {
    let (server, client) = server_with(100).await;
    let mut pages = client.assets().list().page_size(10).pages();
    pages.try_next().await.unwrap().unwrap();
    // While the caller holds page 1, pages 2 and 3 are fetched, and nothing more.
    assert!(eventually(|| server.request_count(OperationId::ListAssets) == 3).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.request_count(OperationId::ListAssets), 3);

    pages.try_next().await.unwrap().unwrap();
    assert!(eventually(|| server.request_count(OperationId::ListAssets) == 4).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.request_count(OperationId::ListAssets), 4);

    // Dropping the stream stops the fetching.
    drop(pages);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.request_count(OperationId::ListAssets), 4);
}

#[tokio::test]
async fn a_few_items_of_the_first_page_cost_one_request() {
    let (server, client) = server_with(100).await;
    let mut items = client.assets().list().page_size(10).stream();
    for _ in 0..5 {
        items.try_next().await.unwrap().unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        server.request_count(OperationId::ListAssets),
        1,
        "nothing fetched ahead while the first half of the first page is taken"
    );

    // The sixth item shows the caller goes on: the second page comes ahead.
    items.try_next().await.unwrap().unwrap();
    assert!(eventually(|| server.request_count(OperationId::ListAssets) >= 2).await);
    let rest: Vec<_> = items.try_collect().await.unwrap();
    assert_eq!(rest.len(), 100 - 6, "every item, once");
    assert_eq!(server.request_count(OperationId::ListAssets), 10);
}

#[tokio::test]
async fn prefetch_can_be_widened_or_turned_off() {
    let (server, client) = server_with(100).await;
    let mut pages = client.assets().list().page_size(10).prefetch(0).pages();
    pages.try_next().await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        server.request_count(OperationId::ListAssets),
        1,
        "no page fetched ahead"
    );
    drop(pages);

    let mut pages = client.assets().list().page_size(10).prefetch(3).pages();
    pages.try_next().await.unwrap().unwrap();
    assert!(eventually(|| server.request_count(OperationId::ListAssets) == 1 + 4).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        server.request_count(OperationId::ListAssets),
        5,
        "three pages ahead"
    );
}

/// A listing answer of assets with these ids, and this next token.
fn page(ids: &[&str], token: Option<&str>) -> Reply {
    let assets = ids.iter().map(|id| asset_with_id(id)).collect();
    let extra = match token {
        Some(token) => serde_json::json!({ "nextPaginationToken": token }),
        None => serde_json::json!({}),
    };
    Reply::json(listing(assets, extra))
}

#[tokio::test]
async fn an_empty_page_that_carries_a_token_continues_and_an_empty_token_ends() {
    let server = ScriptedServer::start(vec![
        page(&["a"], Some("t1")),
        page(&[], Some("t2")),
        page(&["b"], Some("")),
    ])
    .await;
    let ids: Vec<_> = server
        .client()
        .assets()
        .list()
        .stream()
        .map_ok(|a| a.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(server.hits(), 3);
    let queries = server.queries();
    assert!(
        queries[1].contains("paginationToken=t1") && queries[2].contains("paginationToken=t2"),
        "{queries:?}"
    );
}

#[tokio::test]
async fn a_repeated_token_is_an_error_not_an_endless_loop() {
    let server = ScriptedServer::start(vec![
        page(&["a"], Some("t1")),
        page(&["b"], Some("t2")),
        page(&["c"], Some("t1")),
    ])
    .await;
    let mut results: Vec<_> = server.client().assets().list().pages().collect().await;
    assert_eq!(results.len(), 3, "two pages, then the error, then the end");
    let err = results.pop().unwrap().unwrap_err();
    assert_eq!(
        err.resume_token(),
        Some(Some("t2")),
        "the page fetched with t2 failed"
    );
    results.push(Err(err.into_cause()));
    assert!(
        matches!(&results[2], Err(Error::Pagination { message }) if message.contains("t1")),
        "{:?}",
        results[2]
    );
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn after_an_error_the_listing_resumes_from_the_last_good_token() {
    let error = Reply::new(400, "application/json", r#"{"message": "bad token"}"#);
    let server =
        ScriptedServer::start(vec![page(&["a"], Some("t1")), error, page(&["b"], None)]).await;
    let client = server.client();
    let mut last_token = None;
    let mut pages = client.assets().list().pages();
    let failure = loop {
        match pages.try_next().await {
            Ok(Some(page)) => last_token = page.next_token,
            Ok(None) => panic!("the script has an error"),
            Err(err) => break err,
        }
    };
    assert!(failure.to_string().contains("bad token"), "{failure}");
    assert!(
        pages.next().await.is_none(),
        "the stream ends after an error"
    );
    let rest: Vec<_> = client
        .assets()
        .list()
        .pagination_token(last_token.unwrap())
        .stream()
        .map_ok(|a| a.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rest, ["b"]);
    assert!(server.queries()[2].contains("paginationToken=t1"));
}

#[tokio::test]
async fn a_listing_whose_every_item_is_unreadable_stops_with_the_token_to_resume_from() {
    // Every page: items that do not decode (an id that is not a string), and
    // a fresh token, for longer than any bound.
    let unreadable = |i: usize| {
        let items = vec![
            serde_json::json!({"id": 2 * i}),
            serde_json::json!({"id": 2 * i + 1}),
        ];
        Reply::json(listing(
            items,
            serde_json::json!({"nextPaginationToken": format!("t{i}")}),
        ))
    };
    let server = ScriptedServer::start((0..40).map(unreadable).collect()).await;
    let results: Vec<_> = server.client().assets().list().stream().collect().await;
    let (bad, rest): (Vec<_>, Vec<_>) = results
        .into_iter()
        .partition(|r| matches!(r, Err(Error::Item(_))));
    assert_eq!(rest.len(), 1, "one error ends it: {rest:?}");
    let err = rest.into_iter().next().unwrap().unwrap_err();
    let token = err
        .resume_token()
        .expect("a listing error")
        .map(str::to_owned);
    assert!(token.is_some(), "{err}");
    assert!(
        matches!(err.cause(), Error::Pagination { message } if message.contains("could be read")),
        "{err}"
    );
    assert!(bad.len() <= 2 * 10, "{} bad items reported", bad.len());
    // Stopped after about ten pages (and those fetched ahead), not forty.
    assert!(server.hits() <= 13, "{} requests", server.hits());
}
