//! Scripted and random fault injection, and the request log.

mod common;

use std::time::{Duration, Instant};

use common::{Api, api_error, quick, s3_error};
use scenario_mock::{Fault, FaultOrigin, FaultRule, OperationId, RandomFaults, Route, Target};
use scenario_testkit::content;
use serde_json::json;

#[tokio::test]
async fn status_faults_answer_an_error_the_given_number_of_times() {
    let api = Api::with(quick()).await;
    api.server
        .inject(FaultRule::new(OperationId::ListAssets, Fault::Status(503)).times(2));
    for _ in 0..2 {
        let response = api.get("/assets").send().await.unwrap();
        let message = api_error(response, 503).await;
        assert!(message.contains("Injected"), "{message}");
    }
    assert_eq!(api.get("/assets").send().await.unwrap().status(), 200);
    // Other routes are not affected.
    api.server
        .inject(FaultRule::new(OperationId::GetUpload, Fault::Status(500)));
    assert_eq!(api.get("/assets").send().await.unwrap().status(), 200);
    let response = api.get("/uploads/upload_x").send().await.unwrap();
    api_error(response, 500).await;
    // Faults come before auth, as a proxy's would.
    api.server
        .inject(FaultRule::new(Route::AnyApi, Fault::Status(502)));
    let response = api.http.get(api.url("/assets")).send().await.unwrap();
    api_error(response, 502).await;
    assert_eq!(api.server.request_count(OperationId::ListAssets), 5);
    assert_eq!(api.server.request_count(OperationId::GetUpload), 1);
    assert_eq!(api.server.request_count(Route::AnyApi), 6);
    assert_eq!(api.server.request_count(Route::AnyStorage), 0);
}

#[tokio::test]
async fn rate_limits_carry_both_retry_headers() {
    let api = Api::with(quick()).await;
    api.server.inject(FaultRule::new(
        OperationId::CreateUpload,
        Fault::RateLimited {
            retry_after: Duration::from_millis(1500),
        },
    ));
    let response = api.post("/uploads").json(&json!({})).send().await.unwrap();
    assert_eq!(response.headers()["retry-after"], "2");
    assert_eq!(response.headers()["retry-after-ms"], "1500");
    api_error(response, 429).await;
    assert!(api.server.uploads().is_empty());

    let upload = api.create_multipart("image", &content(8), 4).await;
    api.server.inject(FaultRule::new(
        Route::PartPut,
        Fault::RateLimited {
            retry_after: Duration::from_secs(3),
        },
    ));
    let response = api.put(&upload.parts[0].url, content(4)).await;
    assert_eq!(response.headers()["retry-after"], "3");
    assert_eq!(response.headers()["retry-after-ms"], "3000");
    assert_eq!(s3_error(response, 429).await.0, "SlowDown");
    assert!(
        api.server
            .upload_receipt(&upload.id)
            .unwrap()
            .parts
            .is_empty()
    );
}

#[tokio::test]
async fn dropped_connections_have_no_effect() {
    let api = Api::with(quick()).await;
    api.server
        .inject(FaultRule::new(OperationId::CreateUpload, Fault::Drop));
    let body = json!({"fileName": "a.png", "contentType": "image/png", "fileSize": 8, "kind": "image", "parts": 2});
    let error = api.post("/uploads").json(&body).send().await.unwrap_err();
    assert!(!error.is_status(), "{error}");
    assert!(api.server.uploads().is_empty());
    let recorded = api.server.requests().pop().unwrap();
    assert_eq!((recorded.status, recorded.fault), (None, Some(Fault::Drop)));

    let upload = api.create(body).await;
    api.server
        .inject(FaultRule::new(Route::PartPut, Fault::Drop));
    let error = api
        .http
        .put(&upload.parts[0].url)
        .body(content(4))
        .send()
        .await
        .unwrap_err();
    assert!(!error.is_status(), "{error}");
    assert!(
        api.server
            .upload_receipt(&upload.id)
            .unwrap()
            .parts
            .is_empty()
    );
    // The next attempt goes through.
    assert_eq!(
        api.put(&upload.parts[0].url, content(4)).await.status(),
        200
    );
}

#[tokio::test]
async fn delays_hold_the_response_back() {
    let api = Api::with(quick()).await;
    let upload = api.create_multipart("image", &content(8), 4).await;
    api.server.inject(FaultRule::new(
        OperationId::GetUpload,
        Fault::Delay(Duration::from_millis(150)),
    ));
    let started = Instant::now();
    assert_eq!(api.get_upload(&upload.id).await.id, upload.id);
    assert!(started.elapsed() >= Duration::from_millis(150));

    api.server.inject(FaultRule::new(
        Route::AnyStorage,
        Fault::Delay(Duration::from_millis(100)),
    ));
    let started = Instant::now();
    assert_eq!(
        api.put(&upload.parts[0].url, content(4)).await.status(),
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(
        api.server.upload_receipt(&upload.id).unwrap().parts.len(),
        1
    );
}

#[tokio::test]
async fn truncated_responses_break_the_body_after_the_effect() {
    let api = Api::with(quick()).await;
    api.server
        .inject(FaultRule::new(OperationId::ListAssets, Fault::Truncate));
    let response = api.get("/assets").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let declared: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(declared > 100);
    assert!(response.bytes().await.is_err());

    // The upload is created even though its response is cut.
    api.server
        .inject(FaultRule::new(OperationId::CreateUpload, Fault::Truncate));
    let body = json!({"fileName": "a.png", "contentType": "image/png", "fileSize": 8, "kind": "image", "parts": 2});
    let response = api.post("/uploads").json(&body).send().await.unwrap();
    assert!(response.json::<serde_json::Value>().await.is_err());
    let upload = api.server.uploads().pop().expect("created");

    // A part PUT is stored even though its response is cut.
    let parts = api.get_upload(&upload.id).await.parts;
    api.server
        .inject(FaultRule::new(Route::PartPut, Fault::Truncate));
    let outcome = api.http.put(&parts[0].url).body(content(4)).send().await;
    let failed = match outcome {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(failed);
    assert_eq!(
        api.server.upload_receipt(&upload.id).unwrap().parts.len(),
        1
    );
}

#[tokio::test]
async fn act_then_fail_faults_keep_the_effect_and_lose_the_answer() {
    let api = Api::with(quick()).await;
    let body = json!({"fileName": "a.png", "contentType": "image/png", "fileSize": 8, "kind": "image", "parts": 2});

    // A create answered 502 after it created the upload.
    api.server.inject(FaultRule::new(
        OperationId::CreateUpload,
        Fault::ActThenStatus(502),
    ));
    let response = api.post("/uploads").json(&body).send().await.unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap()["statusCode"],
        502
    );
    let upload = api.server.uploads().pop().expect("created all the same");
    let recorded = api.server.requests().pop().unwrap();
    assert_eq!(recorded.status, Some(502));

    // A part stored, then the connection cut before the answer.
    let parts = api.get_upload(&upload.id).await.parts;
    api.server
        .inject(FaultRule::new(Route::PartPut, Fault::ActThenDrop));
    let error = api
        .http
        .put(&parts[0].url)
        .body(content(4))
        .send()
        .await
        .unwrap_err();
    assert!(!error.is_status(), "{error}");
    assert_eq!(
        api.server.upload_receipt(&upload.id).unwrap().parts.len(),
        1
    );
    let recorded = api.server.requests().pop().unwrap();
    assert_eq!(
        (recorded.status, recorded.fault),
        (None, Some(Fault::ActThenDrop))
    );

    // A part stored, then answered with an S3 error.
    api.server
        .inject(FaultRule::new(Route::PartPut, Fault::ActThenStatus(503)));
    let response = api.put(&parts[1].url, content(4)).await;
    assert_eq!(response.status(), 503);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<Code>SlowDown</Code>")
    );
    assert_eq!(
        api.server.upload_receipt(&upload.id).unwrap().parts.len(),
        2
    );
}

#[tokio::test]
async fn storage_status_faults_answer_xml() {
    let api = Api::with(quick()).await;
    let upload = api.create_multipart("image", &content(8), 4).await;
    api.server
        .inject(FaultRule::new(Route::PartPut, Fault::Status(500)));
    api.server
        .inject(FaultRule::new(Route::AnyStorage, Fault::Status(503)));
    let response = api.put(&upload.parts[0].url, content(4)).await;
    assert_eq!(s3_error(response, 500).await.0, "InternalError");
    let response = api.put(&upload.parts[0].url, content(4)).await;
    assert_eq!(s3_error(response, 503).await.0, "SlowDown");
    assert!(
        api.server
            .upload_receipt(&upload.id)
            .unwrap()
            .parts
            .is_empty()
    );
    // API faults do not touch storage and the other way round.
    api.server
        .inject(FaultRule::new(Route::AnyApi, Fault::Status(500)));
    assert_eq!(
        api.put(&upload.parts[0].url, content(4)).await.status(),
        200
    );
    api.server.clear_faults();
    assert_eq!(api.get("/assets").send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn injected_faults_are_recorded_with_their_request() {
    let api = Api::with(quick()).await;
    api.server
        .inject(FaultRule::new(OperationId::ListAssets, Fault::Status(500)));
    let response = api
        .get("/assets")
        .query(&[("pageSize", "2")])
        .send()
        .await
        .unwrap();
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let faults = api.server.faults_injected();
    assert_eq!(faults.len(), 1);
    let fault = &faults[0];
    assert_eq!(fault.target, Target::Api);
    assert_eq!(fault.route, Some(Route::Api(OperationId::ListAssets)));
    assert_eq!(fault.fault, Fault::Status(500));
    assert_eq!(fault.origin, FaultOrigin::Scripted);
    assert_eq!(
        (fault.method.as_str(), fault.path.as_str()),
        ("GET", "/v1/assets")
    );
    assert_eq!(fault.request_id, request_id);
    let recorded = api.server.requests().pop().unwrap();
    assert_eq!(recorded.request_id, request_id);
    assert_eq!(recorded.status, Some(500));
    assert_eq!(recorded.query.as_deref(), Some("pageSize=2"));
    assert!(recorded.authorization);
    let rule = FaultRule::new(Route::PartPut, Fault::Drop);
    assert_eq!((rule.route(), rule.fault()), (Route::PartPut, &Fault::Drop));
}

/// What a client sees for each of `n` list requests: a status, or "dropped".
async fn outcomes(api: &Api, n: usize) -> Vec<String> {
    let mut seen = Vec::new();
    for _ in 0..n {
        seen.push(
            match api.get("/assets").query(&[("pageSize", "1")]).send().await {
                Ok(response) => response.status().as_u16().to_string(),
                Err(_) => "dropped".to_owned(),
            },
        );
    }
    seen
}

#[tokio::test]
async fn random_faults_are_reproducible() {
    let faults = |seed| RandomFaults {
        seed,
        api_rate: 0.5,
        storage_rate: 0.0,
        retry_after: Duration::from_millis(10),
        slow_delay: Duration::from_millis(5),
    };
    let a = Api::with(quick().random_faults(faults(42))).await;
    let b = Api::with(quick().random_faults(faults(42))).await;
    let c = Api::with(quick().random_faults(faults(43))).await;
    let seen_a = outcomes(&a, 40).await;
    assert_eq!(seen_a, outcomes(&b, 40).await);
    assert_ne!(seen_a, outcomes(&c, 40).await);
    let injected: Vec<Fault> = a
        .server
        .faults_injected()
        .into_iter()
        .map(|f| f.fault)
        .collect();
    let injected_b: Vec<Fault> = b
        .server
        .faults_injected()
        .into_iter()
        .map(|f| f.fault)
        .collect();
    assert_eq!(injected, injected_b);
    assert!(
        (8..=32).contains(&injected.len()),
        "{} faults",
        injected.len()
    );
    assert!(
        a.server
            .faults_injected()
            .iter()
            .all(|f| f.origin == FaultOrigin::Random)
    );
    for kind in ["429", "dropped"] {
        assert!(seen_a.iter().any(|s| s == kind), "{kind} in {seen_a:?}");
    }
    assert!(
        seen_a
            .iter()
            .any(|s| ["500", "502", "503"].contains(&s.as_str()))
    );
    // storage_rate 0: part PUTs are never hit.
    let quiet = Api::with(quick().random_faults(faults(42))).await;
    let mut created = None;
    for _ in 0..20 {
        let response = quiet
            .post("/uploads")
            .json(&json!({"fileName": "a", "contentType": "x/y", "fileSize": 4, "kind": "image", "parts": 1}))
            .send()
            .await;
        if let Ok(response) = response
            && response.status() == 200
        {
            created = Some(
                response
                    .json::<scenario_api::types::UploadCreateResponse>()
                    .await
                    .unwrap()
                    .upload,
            );
            break;
        }
    }
    let upload = created.expect("some create succeeds");
    for _ in 0..10 {
        assert_eq!(
            quiet.put(&upload.parts[0].url, content(4)).await.status(),
            200
        );
    }
    assert!(
        quiet
            .server
            .faults_injected()
            .iter()
            .all(|f| f.target == Target::Api)
    );
}

#[tokio::test]
async fn random_storage_faults_hit_part_puts() {
    let api = Api::with(quick().random_faults(RandomFaults {
        seed: 5,
        api_rate: 0.0,
        storage_rate: 1.0,
        retry_after: Duration::from_millis(10),
        slow_delay: Duration::from_millis(5),
    }))
    .await;
    let upload = api.create_multipart("image", &content(8), 4).await;
    let mut failures = 0;
    for _ in 0..12 {
        match api
            .http
            .put(&upload.parts[0].url)
            .body(content(4))
            .send()
            .await
        {
            Ok(response) if response.status() == 200 => {}
            _ => failures += 1,
        }
    }
    // Every PUT gets a fault; slow ones still succeed.
    let faults = api.server.faults_injected();
    assert_eq!(faults.len(), 12);
    let slow = faults
        .iter()
        .filter(|f| matches!(f.fault, Fault::Delay(_)))
        .count();
    assert_eq!(failures, 12 - slow);
    assert!(
        faults
            .iter()
            .all(|f| f.target == Target::Storage && f.route == Some(Route::PartPut))
    );
    assert_eq!(api.server.request_count(Route::PartPut), 12);
}
