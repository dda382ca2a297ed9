//! `GET /v1/assets`: seeding, auth, filters, validation and pagination.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{Api, api_error};
use scenario_api::types::{Asset, AssetKind, AssetPrivacy};
use scenario_mock::MockServer;
use scenario_testkit::content;

fn ids(assets: &[Asset]) -> Vec<String> {
    assets.iter().map(|a| a.id.clone()).collect()
}

fn is_iso(date: &str) -> bool {
    let b = date.as_bytes();
    b.len() == 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z'
}

#[tokio::test]
async fn first_page_has_fifty_newest_assets_and_a_token() {
    let api = Api::start().await;
    let response = api.get("/assets").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .starts_with("req_")
    );
    let page: scenario_api::types::AssetListResponse = response.json().await.unwrap();
    assert_eq!(page.assets.len(), 50);
    assert!(page.next_pagination_token.is_some());
    let dates: Vec<&str> = page.assets.iter().map(|a| a.created_at.as_str()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert_eq!(api.server.asset_count(), 100);
}

#[tokio::test]
async fn seeded_assets_are_realistic() {
    let api = Api::with(MockServer::builder().assets(300)).await;
    let all = api.list_all(&[("pageSize", "100")]).await;
    assert_eq!(all.len(), 300);
    let kinds: HashSet<&str> = all.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, HashSet::from(["image", "3d", "audio", "video"]));
    let privacies: HashSet<&str> = all.iter().map(|a| a.privacy.as_str()).collect();
    assert_eq!(privacies, HashSet::from(["private", "public", "unlisted"]));
    let by_id: std::collections::HashMap<&str, &Asset> =
        all.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut children = 0;
    for asset in &all {
        assert!(
            asset.id.starts_with("asset_") && asset.id.len() == 28,
            "{}",
            asset.id
        );
        assert!(is_iso(&asset.created_at) && is_iso(&asset.updated_at));
        assert!(asset.updated_at >= asset.created_at);
        assert!(asset.metadata.kind == asset.kind);
        assert!(!asset.metadata.type_.is_unrecognized());
        assert!(!asset.source.is_unrecognized());
        assert!(asset.properties.size > 0);
        assert_eq!(asset.author_id.len(), 32);
        assert!(asset.owner_id.starts_with("proj_"));
        if let Some(parent) = &asset.metadata.parent_id {
            children += 1;
            let parent = by_id[parent.as_str()];
            assert!(parent.created_at < asset.created_at);
            let root = asset.metadata.root_parent_id.as_deref().unwrap();
            assert_eq!(
                root,
                parent
                    .metadata
                    .root_parent_id
                    .as_deref()
                    .unwrap_or(&parent.id)
            );
        }
        if asset.metadata.inference_id.is_some() {
            assert!(
                asset
                    .metadata
                    .model_id
                    .as_deref()
                    .unwrap()
                    .starts_with("model_")
            );
        }
    }
    assert!(children > 30, "{children} derived assets");
    assert!(all.iter().any(|a| !a.collection_ids.is_empty()));
    assert!(all.iter().any(|a| !a.tags.is_empty()));
    assert!(all.iter().any(|a| a.created_at != a.updated_at));
}

#[tokio::test]
async fn the_seed_decides_the_assets() {
    let a = Api::with(MockServer::builder().seed(7).assets(20)).await;
    let b = Api::with(MockServer::builder().seed(7).assets(20)).await;
    let c = Api::with(MockServer::builder().seed(8).assets(20)).await;
    let first = a.list_all(&[]).await;
    assert_eq!(first.len(), 20);
    assert_eq!(ids(&first), ids(&b.list_all(&[]).await));
    assert_ne!(ids(&first), ids(&c.list_all(&[]).await));
    let none = Api::with(MockServer::builder().assets(0)).await;
    let page = none.list(&[]).await;
    assert!(page.assets.is_empty() && page.next_pagination_token.is_none());
}

#[tokio::test]
async fn credentials_are_required() {
    let api = Api::start().await;
    let url = api.url("/assets");
    let cases = [
        (api.http.get(&url), "Missing credentials"),
        (
            api.http.get(&url).basic_auth("mock-api-key", Some("wrong")),
            "Invalid",
        ),
        (
            api.http
                .get(&url)
                .basic_auth("wrong", Some("mock-api-secret")),
            "Invalid",
        ),
        (api.http.get(&url).bearer_auth("mock-api-key"), "Invalid"),
        (
            api.http
                .get(&url)
                .header("authorization", "Basic %%%not-base64"),
            "Invalid",
        ),
        (
            api.http
                .post(api.url("/uploads"))
                .json(&serde_json::json!({})),
            "Missing credentials",
        ),
        (
            api.http.get(api.url("/uploads/upload_x")),
            "Missing credentials",
        ),
        (
            api.http.post(api.url("/uploads/upload_x/action")),
            "Missing credentials",
        ),
    ];
    for (request, expected) in cases {
        let message = api_error(request.send().await.unwrap(), 401).await;
        assert!(message.contains(expected), "{message}");
    }
    let custom = Api::with(MockServer::builder().credentials("k", "s")).await;
    assert_eq!(custom.server.api_key(), "k");
    assert_eq!(custom.server.api_secret(), "s");
    assert_eq!(custom.get("/assets").send().await.unwrap().status(), 200);
    let old = custom
        .http
        .get(custom.url("/assets"))
        .basic_auth("mock-api-key", Some("mock-api-secret"));
    api_error(old.send().await.unwrap(), 401).await;
}

#[tokio::test]
async fn request_ids_are_unique_and_unknown_routes_are_404() {
    let api = Api::start().await;
    let mut seen = HashSet::new();
    for path in ["/assets", "/nothing", "/assets", "/uploads/u/x/y"] {
        let response = api.get(path).send().await.unwrap();
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(seen.insert(id));
        if path != "/assets" {
            let message = api_error(response, 404).await;
            assert_eq!(message, format!("Cannot GET /v1{path}"));
        }
    }
    let response = api.http.patch(api.url("/assets")).send().await.unwrap();
    assert_eq!(api_error(response, 404).await, "Cannot PATCH /v1/assets");
}

#[tokio::test]
async fn invalid_queries_are_rejected() {
    let api = Api::start().await;
    let token = api
        .list(&[("pageSize", "5")])
        .await
        .next_pagination_token
        .unwrap();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("pageSize", "0")], "pageSize"),
        (vec![("pageSize", "101")], "pageSize"),
        (vec![("pageSize", "ten")], "pageSize"),
        (vec![("pageSize", "2.5")], "pageSize"),
        (vec![("pageSize", "-3")], "pageSize"),
        (vec![("type", "hologram")], "type"),
        (vec![("deleted", "maybe")], "deleted"),
        (
            vec![("paginationToken", &token), ("sortDirection", "asc")],
            "paginationToken",
        ),
        (
            vec![("paginationToken", &token), ("sortBy", "updatedAt")],
            "paginationToken",
        ),
    ];
    for (query, field) in cases {
        let message = api.list_error(&query).await;
        assert!(message.contains(field), "{query:?}: {message}");
    }
    // The document declares no format for tokens and dates: a token the fake did
    // not issue ends the listing, a date it cannot read matches no asset. The
    // listing's privacy is a plain string: a value no asset has lists nothing.
    for query in [
        vec![("privacy", "secret")],
        vec![("paginationToken", "not a token")],
        vec![("paginationToken", "djE6Y3JlYXRlZEF0")],
        vec![
            ("paginationToken", "paginationToken"),
            ("sortDirection", "asc"),
        ],
        vec![("createdAfter", "last tuesday"), ("sortBy", "createdAt")],
        vec![("updatedBefore", "updatedBefore"), ("sortBy", "updatedAt")],
    ] {
        let page = api.list(&query).await;
        assert!(page.assets.is_empty(), "{query:?}");
        assert!(page.next_pagination_token.is_none(), "{query:?}");
    }
    // Unknown parameters are ignored, empty ones are absent.
    let page = api
        .list(&[("color", "red"), ("pageSize", "3"), ("privacy", "")])
        .await;
    assert_eq!(page.assets.len(), 3);
    // The fake has no deleted assets.
    let deleted = api.list(&[("deleted", "true")]).await;
    assert!(deleted.assets.is_empty() && deleted.next_pagination_token.is_none());
}

/// Every query below, listed with several page sizes, gives the same assets in the
/// same order, each once, in sort order, and exactly those that match the filter.
#[tokio::test]
async fn pagination_is_complete_for_every_page_size_filter_and_order() {
    let api = Api::with(MockServer::builder().assets(230).seed(11)).await;
    let everything = api.list_all(&[("pageSize", "100")]).await;
    assert_eq!(everything.len(), 230);
    let sample = everything
        .iter()
        .find(|a| a.metadata.parent_id.is_some() && a.metadata.inference_id.is_some())
        .unwrap()
        .clone();
    let collection = everything
        .iter()
        .find_map(|a| a.collection_ids.first().cloned())
        .unwrap();
    let tagged = everything
        .iter()
        .find_map(|a| a.tags.first().cloned())
        .unwrap();
    let parent = sample.metadata.parent_id.clone().unwrap();
    let root = sample.metadata.root_parent_id.clone().unwrap();
    let model = sample.metadata.model_id.clone().unwrap();
    let inference = sample.metadata.inference_id.clone().unwrap();
    let type_ = sample.metadata.type_.as_str().to_owned();
    let tags = format!("{tagged},no-such-tag");
    type Check = Box<dyn Fn(&Asset) -> bool>;
    let filters: Vec<(Vec<(&str, String)>, Check)> = vec![
        (vec![], Box::new(|_| true)),
        (
            vec![("privacy", "public".into())],
            Box::new(|a| a.privacy == AssetPrivacy::Public),
        ),
        (
            vec![("parentAssetId", parent.clone())],
            Box::new(move |a| a.metadata.parent_id.as_ref() == Some(&parent)),
        ),
        (
            vec![("rootAssetId", root.clone())],
            Box::new(move |a| a.metadata.root_parent_id.as_ref() == Some(&root)),
        ),
        (
            vec![("modelId", model.clone())],
            Box::new(move |a| a.metadata.model_id.as_ref() == Some(&model)),
        ),
        (
            vec![("inferenceId", inference.clone())],
            Box::new(move |a| a.metadata.inference_id.as_ref() == Some(&inference)),
        ),
        (
            vec![("authorId", sample.author_id.clone())],
            Box::new({
                let author = sample.author_id.clone();
                move |a| a.author_id == author
            }),
        ),
        (
            vec![("collectionId", collection.clone())],
            Box::new(move |a| a.collection_ids.contains(&collection)),
        ),
        (
            vec![("type", type_.clone())],
            Box::new(move |a| a.metadata.type_.as_str() == type_),
        ),
        (
            vec![("tags", tags)],
            Box::new(move |a| a.tags.contains(&tagged)),
        ),
    ];
    for (filter, check) in &filters {
        let expected: Vec<&Asset> = everything.iter().filter(|a| check(a)).collect();
        assert!(!expected.is_empty(), "{filter:?} matches something");
        for sort_by in ["createdAt", "updatedAt"] {
            for direction in ["asc", "desc"] {
                let mut reference: Option<Vec<String>> = None;
                for page_size in ["1", "7", "50", "100"] {
                    if page_size == "1" && expected.len() > 40 {
                        continue;
                    }
                    let mut query: Vec<(&str, &str)> =
                        filter.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    query.extend([
                        ("sortBy", sort_by),
                        ("sortDirection", direction),
                        ("pageSize", page_size),
                    ]);
                    let listed = api.list_all(&query).await;
                    let listed_ids = ids(&listed);
                    let unique: HashSet<&String> = listed_ids.iter().collect();
                    assert_eq!(unique.len(), listed_ids.len(), "no duplicates: {query:?}");
                    assert_eq!(listed.len(), expected.len(), "complete: {query:?}");
                    assert!(listed.iter().all(check), "filtered: {query:?}");
                    let keys: Vec<(&str, &str)> = listed
                        .iter()
                        .map(|a| {
                            let date = if sort_by == "createdAt" {
                                &a.created_at
                            } else {
                                &a.updated_at
                            };
                            (date.as_str(), a.id.as_str())
                        })
                        .collect();
                    let ordered = keys.windows(2).all(|w| {
                        if direction == "asc" {
                            w[0] < w[1]
                        } else {
                            w[0] > w[1]
                        }
                    });
                    assert!(ordered, "sorted by date then id: {query:?}");
                    match &reference {
                        None => reference = Some(listed_ids),
                        Some(reference) => assert_eq!(reference, &listed_ids, "{query:?}"),
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn sort_ties_are_broken_by_id() {
    // Outputs of one generation job share their creation date.
    let api = Api::with(MockServer::builder().assets(200)).await;
    let all = api.list_all(&[("pageSize", "100")]).await;
    let mut dates = HashSet::new();
    let ties = all
        .iter()
        .filter(|a| !dates.insert(a.created_at.clone()))
        .count();
    assert!(ties > 5, "{ties} ties");
    for page_size in ["1", "2", "3"] {
        let listed = api.list_all(&[("pageSize", page_size)]).await;
        assert_eq!(ids(&listed), ids(&all));
    }
}

#[tokio::test]
async fn date_filters_are_exclusive() {
    let api = Api::with(MockServer::builder().assets(120)).await;
    let all = api
        .list_all(&[("pageSize", "100"), ("sortDirection", "asc")])
        .await;
    let pivot = &all[40].created_at;
    let after = api
        .list_all(&[
            ("pageSize", "100"),
            ("sortBy", "createdAt"),
            ("createdAfter", pivot),
        ])
        .await;
    assert!(!after.is_empty());
    assert!(after.iter().all(|a| &a.created_at > pivot));
    assert_eq!(
        after.len(),
        all.iter().filter(|a| &a.created_at > pivot).count()
    );
    let before = api
        .list_all(&[
            ("pageSize", "100"),
            ("sortBy", "createdAt"),
            ("createdBefore", pivot),
        ])
        .await;
    assert_eq!(
        before.len(),
        all.iter().filter(|a| &a.created_at < pivot).count()
    );
    let updated_pivot = all[60].updated_at.clone();
    let updated = api
        .list_all(&[
            ("sortBy", "updatedAt"),
            ("updatedAfter", &updated_pivot),
            ("updatedBefore", "2030-01-01"),
        ])
        .await;
    assert_eq!(
        updated.len(),
        all.iter().filter(|a| a.updated_at > updated_pivot).count()
    );
}

#[tokio::test]
async fn pages_stay_consistent_while_uploads_add_assets() {
    let api = Api::with(
        MockServer::builder()
            .assets(60)
            .min_part_size(1)
            .validation_delay(Duration::ZERO),
    )
    .await;
    for direction in ["asc", "desc"] {
        let before: HashSet<String> = ids(&api.list_all(&[("pageSize", "100")]).await)
            .into_iter()
            .collect();
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut added = Vec::new();
        for page in 0..100 {
            let mut query = vec![("pageSize", "9"), ("sortDirection", direction)];
            if let Some(token) = &token {
                query.push(("paginationToken", token.as_str()));
            }
            let response = api.list(&query).await;
            seen.extend(ids(&response.assets));
            if page < 3 {
                // A new asset appears between two pages.
                let bytes = content(10);
                let upload = api.create_multipart("image", &bytes, 10).await;
                api.put_all(&upload, &bytes, 10).await;
                api.complete_ok(&upload.id).await;
                added.push(api.wait(&upload.id).await.entity_id.unwrap());
            }
            match response.next_pagination_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no asset twice ({direction})");
        for id in &before {
            assert!(seen.contains(id), "{id} listed ({direction})");
        }
        let new_seen = seen.iter().filter(|id| added.contains(id)).count();
        if direction == "asc" {
            // Newer than every seeded asset: they come at the end.
            assert_eq!(new_seen, added.len());
        } else {
            assert_eq!(new_seen, 0);
        }
    }
    assert_eq!(api.server.asset_count(), 66);
    let kinds: Vec<AssetKind> = api
        .list(&[("pageSize", "6")])
        .await
        .assets
        .into_iter()
        .map(|a| a.kind)
        .collect();
    assert!(kinds.iter().all(|k| *k == AssetKind::Image));
}

/// `sortBy` and `sortDirection` are plain strings in the document (as in the
/// official SDK): another value sorts as when they are absent. A date filter
/// applies whatever the sort, and `type` with `types` must both match.
#[tokio::test]
async fn sorts_and_filters_as_plain_strings() {
    let api = Api::with(MockServer::builder().assets(40)).await;
    let default = api.list_all(&[("pageSize", "100")]).await;
    let odd = api
        .list_all(&[
            ("pageSize", "100"),
            ("sortBy", "sortBy"),
            ("sortDirection", "up"),
        ])
        .await;
    let ids = |assets: &[Asset]| assets.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&odd), ids(&default));
    let pivot = default[20].created_at.clone();
    let after = api
        .list_all(&[
            ("pageSize", "100"),
            ("createdAfter", &pivot),
            ("sortBy", "updatedAt"),
        ])
        .await;
    assert_eq!(
        after.len(),
        default.iter().filter(|a| a.created_at > pivot).count()
    );
    let type_ = default[0].metadata.type_.as_str().to_owned();
    let both = api
        .list_all(&[("pageSize", "100"), ("type", &type_), ("types", &type_)])
        .await;
    assert!(!both.is_empty());
    assert!(both.iter().all(|a| a.metadata.type_.as_str() == type_));
}
