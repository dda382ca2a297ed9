//! `scenario assets list`.

use std::collections::{HashMap, HashSet};

use scenario_mock::{OperationId, Route};

use crate::support::{Fake, bare, json_lines, one_error_line, stderr, stdout};

#[test]
fn the_table_lists_assets_in_aligned_columns() {
    let fake = Fake::with_assets(12);
    let output = fake
        .scenario(["assets", "list", "--limit", "8"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
    // Seed 0 always gives the same assets, dates included.
    insta::assert_snapshot!(stdout(&output));
    // The limit became the page size: one request, nothing fetched ahead.
    assert_eq!(fake.server.request_count(OperationId::ListAssets), 1);
    assert_eq!(
        last_query(&fake).get("pageSize").map(String::as_str),
        Some("8")
    );
}

#[test]
fn json_prints_one_object_per_line_and_stops_at_the_limit() {
    let fake = Fake::with_assets(40);
    let output = fake
        .scenario([
            "assets",
            "list",
            "--json",
            "--limit",
            "7",
            "--page-size",
            "3",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let assets = json_lines(&output);
    assert_eq!(assets.len(), 7);
    let ids: HashSet<&str> = assets.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 7, "no asset twice");
    for asset in &assets {
        let id = asset["id"].as_str().unwrap();
        let stored = fake.server.asset(id).expect("an asset of the fake");
        // The object is the asset as the API sent it.
        assert_eq!(asset, &serde_json::to_value(&stored).unwrap());
    }
    // Three pages of 3 hold 7 assets; nothing was fetched past the limit but
    // what the SDK prefetches (two pages ahead at most, by default).
    let pages = fake.server.request_count(OperationId::ListAssets);
    assert!((3..=5).contains(&pages), "{pages} pages fetched");
}

#[test]
fn without_a_limit_every_page_is_listed() {
    let fake = Fake::with_assets(30);
    let output = fake
        .scenario(["assets", "list", "--json", "--page-size", "7"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json_lines(&output).len(), fake.server.asset_count());
    assert_eq!(fake.server.request_count(OperationId::ListAssets), 5);
}

#[test]
fn the_privacy_filter_prints_only_matching_assets() {
    let fake = Fake::with_assets(60);
    let all = fake
        .scenario(["assets", "list", "--json"])
        .output()
        .unwrap();
    let public_count = json_lines(&all)
        .iter()
        .filter(|a| a["privacy"] == "public")
        .count();
    assert!(
        public_count > 0 && public_count < 60,
        "the seed mixes privacies"
    );

    let output = fake
        .scenario(["assets", "list", "--json", "--privacy", "public"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let public = json_lines(&output);
    assert_eq!(public.len(), public_count);
    assert!(public.iter().all(|a| a["privacy"] == "public"));
}

/// The query parameters of the last request to the API, decoded.
fn last_query(fake: &Fake) -> HashMap<String, String> {
    let request = fake
        .server
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.route == Some(Route::Api(OperationId::ListAssets)))
        .expect("a listing request");
    let query = request.query.unwrap_or_default();
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

#[test]
fn every_filter_flag_reaches_the_api() {
    let fake = Fake::with_assets(5);
    let output = fake
        .scenario([
            "assets",
            "list",
            "--author-id",
            "author_1",
            "--collection-id",
            "coll_1",
            "--created-after",
            "2020-01-01T00:00:00.000Z",
            "--created-before",
            "2030-01-01T00:00:00.000Z",
            "--deleted",
            "--inference-id",
            "inf_1",
            "--model-id",
            "model_1",
            "--original-assets",
            "--parent-asset-id",
            "asset_parent",
            "--privacy",
            "unlisted",
            "--project-id",
            "proj_1",
            "--root-asset-id",
            "asset_root",
            "--sort-direction",
            "asc",
            "--tags",
            "sci-fi,forest",
            "--type",
            "img2img",
            "--page-size",
            "9",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let query = last_query(&fake);
    let expected = [
        ("authorId", "author_1"),
        ("collectionId", "coll_1"),
        ("createdAfter", "2020-01-01T00:00:00.000Z"),
        ("createdBefore", "2030-01-01T00:00:00.000Z"),
        ("deleted", "true"),
        ("inferenceId", "inf_1"),
        ("modelId", "model_1"),
        ("originalAssets", "true"),
        ("parentAssetId", "asset_parent"),
        ("privacy", "unlisted"),
        ("projectId", "proj_1"),
        ("rootAssetId", "asset_root"),
        // Implied by the creation date filters.
        ("sortBy", "createdAt"),
        ("sortDirection", "asc"),
        ("tags", "sci-fi,forest"),
        ("type", "img2img"),
        ("pageSize", "9"),
    ];
    for (name, value) in expected {
        assert_eq!(
            query.get(name).map(String::as_str),
            Some(value),
            "{name} in {query:?}"
        );
    }
    assert_eq!(query.len(), expected.len(), "{query:?}");
}

#[test]
fn update_date_filters_imply_sorting_by_update_date() {
    let fake = Fake::with_assets(20);
    let output = fake
        .scenario([
            "assets",
            "list",
            "--json",
            "--updated-after",
            "2000-01-01T00:00:00.000Z",
            "--updated-before",
            "2100-01-01T00:00:00.000Z",
        ])
        .output()
        .unwrap();
    // The fake, like the API, refuses date filters without the matching sortBy.
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json_lines(&output).len(), 20);
    assert_eq!(
        last_query(&fake).get("sortBy").map(String::as_str),
        Some("updatedAt")
    );
}

#[test]
fn creation_and_update_date_filters_do_not_mix() {
    let output = bare([
        "assets",
        "list",
        "--created-after",
        "2020-01-01T00:00:00.000Z",
        "--updated-after",
        "2020-01-01T00:00:00.000Z",
    ])
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot be used with"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_page_size_out_of_bounds_is_a_usage_error() {
    let fake = Fake::with_assets(1);
    for size in ["0", "101"] {
        let output = fake
            .scenario(["assets", "list", "--page-size", size])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let err = stderr(&output);
        assert!(err.starts_with("error: invalid value"), "{err}");
        assert!(err.contains("--page-size"), "{err}");
        assert!(err.contains("1..=100"), "{err}");
    }
    assert_eq!(fake.server.request_count(Route::AnyApi), 0);
}

/// The listing's privacy is a plain string in the document (as in the official
/// SDK): a value no asset has is sent as it is, and lists nothing.
#[test]
fn an_unknown_privacy_is_sent_and_lists_nothing() {
    let fake = Fake::with_assets(5);
    let output = fake
        .scenario(["assets", "list", "--json", "--privacy", "secret"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(json_lines(&output).is_empty());
    assert_eq!(last_query(&fake)["privacy"], "secret");
}

#[test]
fn an_unknown_type_lists_the_known_types() {
    let output = bare(["assets", "list", "--type", "txt2imgg"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("txt2img"), "{err}");
    assert!(err.contains("uploaded-video"), "{err}");
}

#[test]
fn bad_credentials_fail_in_one_line_that_says_what_to_check() {
    let fake = Fake::with_assets(3);
    let output = fake
        .scenario(["assets", "list", "-v"])
        .env("SCENARIO_SDK_API_SECRET", "wrong-secret-value")
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert_eq!(stdout(&output), "");
    // -v logs requests, but never the secret.
    assert!(!err.contains("wrong-secret-value"), "{err}");
    let last = err.lines().last().unwrap();
    assert!(
        last.starts_with("error: cannot list assets: the Scenario API answered 401"),
        "{last}"
    );
    assert!(
        last.contains("check SCENARIO_SDK_API_KEY and SCENARIO_SDK_API_SECRET"),
        "{last}"
    );

    // Without -v the error is the only line.
    let output = fake
        .scenario(["assets", "list"])
        .env("SCENARIO_SDK_API_SECRET", "wrong-secret-value")
        .output()
        .unwrap();
    one_error_line(&output, 1);
}

#[test]
fn flags_override_the_environment() {
    let fake = Fake::with_assets(2);
    let output = fake
        .scenario(["assets", "list", "--json"])
        .env("SCENARIO_SDK_API_SECRET", "wrong")
        .args(["--api-secret", fake.server.api_secret()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json_lines(&output).len(), 2);

    let output = bare(["assets", "list", "--json"])
        .env("SCENARIO_BASE_URL", "http://127.0.0.1:9/v1")
        .env("SCENARIO_SDK_API_KEY", fake.server.api_key())
        .env("SCENARIO_SDK_API_SECRET", fake.server.api_secret())
        .args(["--base-url", &fake.server.base_url()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn missing_credentials_name_the_variables_to_set() {
    let fake = Fake::with_assets(1);
    let output = bare(["assets", "list"])
        .env("SCENARIO_BASE_URL", fake.server.base_url())
        .env("SCENARIO_SDK_API_SECRET", fake.server.api_secret())
        .output()
        .unwrap();
    let line = one_error_line(&output, 1);
    assert!(line.contains("SCENARIO_SDK_API_KEY not set"), "{line}");
    assert_eq!(fake.server.request_count(Route::AnyApi), 0);
}

#[test]
fn an_empty_listing_says_so_on_stderr_only() {
    let fake = Fake::with_assets(0);
    let output = fake.scenario(["assets", "list"]).output().unwrap();
    assert!(output.status.success());
    assert_eq!(stdout(&output), "");
    assert_eq!(stderr(&output), "no assets match\n");

    let quiet = fake.scenario(["assets", "list", "-q"]).output().unwrap();
    assert_eq!(stderr(&quiet), "");
}

#[test]
fn public_lists_only_public_assets_without_credentials() {
    let fake = Fake::with_assets(40);
    let output = fake
        .scenario(["--public", "assets", "list", "--json"])
        .env_remove("SCENARIO_SDK_API_KEY")
        .env_remove("SCENARIO_SDK_API_SECRET")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let assets = json_lines(&output);
    assert!(!assets.is_empty());
    assert!(
        assets.iter().all(|a| a["privacy"] == "public"),
        "{assets:?}"
    );
    let all = json_lines(
        &fake
            .scenario(["assets", "list", "--json"])
            .output()
            .unwrap(),
    );
    let public = all.iter().filter(|a| a["privacy"] == "public").count();
    assert_eq!(assets.len(), public);

    let output = fake
        .scenario(["--public", "uploads", "get", "upload_x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("401"), "{}", stderr(&output));
}

#[test]
fn a_limit_of_zero_is_a_usage_error_saying_what_to_type() {
    let fake = Fake::with_assets(1);
    let output = fake
        .scenario(["assets", "list", "--limit", "0"])
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("--limit must be at least 1"), "{err}");
    assert!(!err.contains("18446744073709551615"), "{err}");
    assert_eq!(fake.server.request_count(Route::AnyApi), 0);
}
