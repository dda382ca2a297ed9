//! Property tests (proptest, seeded and bounded so they run in CI in seconds):
//!
//! - response decoding: the reference pages' examples (the seed fixtures of
//!   scenario-api) mutated (fields dropped, values replaced by other JSON types,
//!   unknown fields and enum values inserted, bytes truncated) decode or fail
//!   cleanly, and the SDK's pipeline agrees with plain serde: `Ok` exactly when
//!   serde decodes, `Error::Decode` otherwise, never a panic or a hang;
//! - pagination: any sequence of tokens from a server ends the stream (last
//!   page, or `Error::Pagination` on a repeated token) within one request per
//!   token, never a loop.

use std::time::Duration;

use futures::TryStreamExt;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use scenario_sdk::types::{AssetListResponse, UploadCreateResponse, UploadRetrieveResponse};
use scenario_sdk::{Client, Error};
use scenario_testkit::{
    Reply, SEED_CREATE_UPLOAD as SEED_CREATE, SEED_GET_UPLOAD as SEED_GET,
    SEED_LISTING as SEED_LIST, ScriptedServer, asset_with_id, listing,
};
use serde_json::Value;

/// A deterministic runner: the same cases on every run.
fn runner(cases: u32) -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    )
}

/// One edit of a JSON document.
#[derive(Clone, Debug)]
enum Mutation {
    /// Remove the key at this (wrapped) index of the object reached by the path.
    Drop,
    /// Replace the value with another JSON type.
    Replace(Value),
    /// Insert an unknown field.
    Insert(String, Value),
    /// Replace a string with an unknown value (as for a newer enum value).
    UnknownString(String),
}

fn other_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        Just(Value::from(-1)),
        Just(Value::from(u64::MAX)),
        "[a-z]{0,8}".prop_map(Value::from),
        Just(serde_json::json!([])),
        Just(serde_json::json!({})),
        Just(serde_json::json!([{"x": null}])),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Drop),
        other_value().prop_map(Mutation::Replace),
        ("[a-zA-Z_]{1,10}", other_value()).prop_map(|(k, v)| Mutation::Insert(k, v)),
        "[a-z-]{1,12}".prop_map(Mutation::UnknownString),
    ]
}

/// Applies `mutation` at the node chosen by `path` (indices wrapped to what exists).
fn apply(value: &mut Value, path: &[usize], mutation: &Mutation) {
    let (first, rest) = match path.split_first() {
        Some(split) => split,
        None => (&0, &[][..]),
    };
    let descend = !rest.is_empty();
    match value {
        Value::Object(map) if !map.is_empty() => {
            let key = map.keys().nth(first % map.len()).unwrap().clone();
            if descend && matches!(map[&key], Value::Object(_) | Value::Array(_)) {
                return apply(map.get_mut(&key).unwrap(), rest, mutation);
            }
            match mutation {
                Mutation::Drop => {
                    map.remove(&key);
                }
                Mutation::Replace(v) => map[&key] = v.clone(),
                Mutation::Insert(k, v) => {
                    map.insert(format!("zz{k}"), v.clone());
                }
                Mutation::UnknownString(s) => {
                    if map[&key].is_string() {
                        map[&key] = Value::from(s.clone());
                    }
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let index = first % items.len();
            if descend {
                return apply(&mut items[index], rest, mutation);
            }
            match mutation {
                Mutation::Drop => {
                    items.remove(index);
                }
                Mutation::Replace(v) => items[index] = v.clone(),
                Mutation::Insert(_, v) => items.push(v.clone()),
                Mutation::UnknownString(s) => {
                    if items[index].is_string() {
                        items[index] = Value::from(s.clone());
                    }
                }
            }
        }
        other => {
            if let Mutation::Replace(v) = mutation {
                *other = v.clone();
            }
        }
    }
}

/// A seed, mutated 1 to 4 times, as bytes, maybe truncated.
fn mutated(seed: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let edits = prop::collection::vec((prop::collection::vec(0usize..64, 1..6), mutation()), 1..5);
    (edits, prop::option::weighted(0.2, 0.0f64..1.0)).prop_map(move |(edits, cut)| {
        let mut value: Value = serde_json::from_str(seed).unwrap();
        for (path, m) in &edits {
            apply(&mut value, path, m);
        }
        let mut bytes = serde_json::to_vec(&value).unwrap();
        if let Some(cut) = cut {
            bytes.truncate((bytes.len() as f64 * cut) as usize);
        }
        bytes
    })
}

#[test]
fn mutated_seed_documents_decode_or_fail_without_panicking() {
    for (name, seed) in [
        ("list", SEED_LIST),
        ("create", SEED_CREATE),
        ("get", SEED_GET),
    ] {
        let decoded = std::cell::Cell::new(0);
        let refused = std::cell::Cell::new(0);
        runner(256)
            .run(&mutated(seed), |bytes| {
                let ok = match name {
                    "list" => serde_json::from_slice::<AssetListResponse>(&bytes).is_ok(),
                    "create" => serde_json::from_slice::<UploadCreateResponse>(&bytes).is_ok(),
                    _ => serde_json::from_slice::<UploadRetrieveResponse>(&bytes).is_ok(),
                };
                if ok {
                    decoded.set(decoded.get() + 1);
                } else {
                    refused.set(refused.get() + 1);
                }
                Ok(())
            })
            .unwrap();
        let (decoded, refused) = (decoded.get(), refused.get());
        println!("{name}: {decoded} mutants decoded, {refused} refused");
        assert!(decoded > 0, "{name}: some mutants (unknown fields) decode");
        assert!(
            refused > 0,
            "{name}: some mutants (wrong types) are refused"
        );
    }
}

/// A client of `server` that never retries, so that each case is one request.
fn client(server: &ScriptedServer) -> Client {
    server
        .client_builder()
        .timeout(Duration::from_secs(5))
        .max_retries(0)
        .build()
        .unwrap()
}

#[test]
fn the_sdk_pipeline_agrees_with_serde_on_mutated_listings() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(ScriptedServer::start(vec![Reply::json("")]));
    let client = client(&server);
    runner(48)
        .run(&mutated(SEED_LIST), |bytes| {
            let direct = serde_json::from_slice::<AssetListResponse>(&bytes);
            server.set_script(vec![Reply::json(bytes.clone())]);
            let page = rt.block_on(async {
                tokio::time::timeout(
                    Duration::from_secs(10),
                    client.assets().list().prefetch(0).pages().try_next(),
                )
                .await
                .expect("the SDK hung on a mutated body")
            });
            let page = page.map_err(Error::into_cause);
            match (direct, page) {
                (Ok(list), Ok(Some(page))) => {
                    prop_assert_eq!(list.assets.len(), page.items.len());
                    prop_assert!(page.skipped.is_empty(), "{:?}", page.skipped);
                }
                (Err(_), Err(Error::Decode { .. })) => {}
                // The page decodes but some of its items do not: each is
                // reported (and fails on its own), the others arrive.
                (Err(_), Ok(Some(page))) if !page.skipped.is_empty() => {
                    let raw: Value = serde_json::from_slice(&bytes).unwrap();
                    let listed = raw["assets"].as_array().map_or(0, Vec::len);
                    prop_assert_eq!(page.items.len() + page.skipped.len(), listed);
                    for bad in &page.skipped {
                        prop_assert!(
                            serde_json::from_str::<scenario_sdk::types::Asset>(&bad.raw).is_err(),
                            "{:?}",
                            bad
                        );
                    }
                }
                (direct, page) => {
                    prop_assert!(false, "serde said {:?}, the SDK {:?}", direct.is_ok(), page);
                }
            }
            Ok(())
        })
        .unwrap();
}

/// The script of a server that answers one page per request: `tokens[n]` is
/// the n-th page's next token (none after the script), each page with one
/// asset of its own (a page repeating the previous one's items is refused).
fn token_pages(tokens: &[Option<String>]) -> Vec<Reply> {
    let page = |n: usize, token: Option<&String>| {
        let extra = match token {
            Some(token) => serde_json::json!({ "nextPaginationToken": token }),
            None => serde_json::json!({}),
        };
        Reply::json(listing(vec![asset_with_id(&format!("asset_{n}"))], extra))
    };
    tokens
        .iter()
        .enumerate()
        .map(|(n, token)| page(n, token.as_ref()))
        .chain([page(tokens.len(), None)])
        .collect()
}

/// What the listing must do with `tokens`: how many pages, and whether it ends
/// with a pagination error.
fn expected(tokens: &[Option<String>]) -> (usize, bool) {
    let mut seen = std::collections::HashSet::new();
    for (n, token) in tokens.iter().enumerate() {
        match token.as_deref() {
            None | Some("") => return (n + 1, false),
            Some(t) if !seen.insert(t.to_owned()) => return (n, true),
            Some(_) => {}
        }
    }
    (tokens.len() + 1, false)
}

#[test]
fn any_token_sequence_ends_the_listing_without_looping() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let token = prop_oneof![
        4 => "[a-e]".prop_map(Some),
        1 => Just(Some(String::new())),
        1 => Just(None),
        1 => "[ -~]{0,40}".prop_map(Some),
    ];
    let tokens = prop::collection::vec(token, 0..24);
    runner(64)
        .run(&(tokens, 0usize..3), |(tokens, prefetch)| {
            let (pages, pagination_error) = expected(&tokens);
            let (got, hits) = rt.block_on(async {
                let server = ScriptedServer::start(token_pages(&tokens)).await;
                let stream = client(&server).assets().list().prefetch(prefetch).pages();
                let got: Vec<Result<_, Error>> = tokio::time::timeout(
                    Duration::from_secs(10),
                    futures::StreamExt::collect::<Vec<_>>(stream),
                )
                .await
                .expect("the listing looped or hung");
                let hits = server.hits();
                (got, hits)
            });
            let ok = got.iter().filter(|p| p.is_ok()).count();
            let errors: Vec<_> = got.iter().filter_map(|p| p.as_ref().err()).collect();
            if pagination_error {
                prop_assert_eq!(ok, pages);
                prop_assert_eq!(errors.len(), 1);
                prop_assert!(
                    matches!(errors[0].cause(), Error::Pagination { .. }),
                    "{:?}",
                    errors
                );
                prop_assert_eq!(hits, pages + 1);
            } else {
                prop_assert_eq!(ok, pages);
                prop_assert!(errors.is_empty(), "{:?}", errors);
                prop_assert_eq!(hits, pages);
            }
            Ok(())
        })
        .unwrap();
}
