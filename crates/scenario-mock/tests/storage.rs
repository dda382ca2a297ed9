//! The storage listener standing in for S3 presigned part URLs.

mod common;

use std::time::Duration;

use common::{Api, quick, s3_error};
use scenario_mock::{Route, Target};
use scenario_testkit::{content, sha256_hex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends raw bytes to the storage listener and reads the whole answer.
async fn raw(api: &Api, request: &[u8], close_write: bool) -> String {
    let address = api
        .server
        .storage_url()
        .trim_start_matches("http://")
        .to_owned();
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    if close_write {
        stream.shutdown().await.unwrap();
    }
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("the storage answers")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

fn path_and_query(url: &str) -> &str {
    let without_scheme = url.trim_start_matches("http://");
    &without_scheme[without_scheme.find('/').unwrap()..]
}

#[tokio::test]
async fn only_put_on_part_urls() {
    let api = Api::with(quick()).await;
    let upload = api.create_multipart("image", &content(8), 4).await;
    let url = &upload.parts[0].url;
    for method in [
        reqwest::Method::GET,
        reqwest::Method::POST,
        reqwest::Method::DELETE,
    ] {
        let response = api.http.request(method.clone(), url).send().await.unwrap();
        assert!(response.headers().contains_key("x-amz-request-id"));
        assert_eq!(
            s3_error(response, 405).await.0,
            "MethodNotAllowed",
            "{method}"
        );
    }
    let elsewhere = format!("{}/objects/x", api.server.storage_url());
    let response = api.http.put(elsewhere).body("x").send().await.unwrap();
    assert_eq!(s3_error(response, 404).await.0, "NoSuchKey");
    let bad_number = url.replace("/1?expires", "/0?expires");
    let response = api.put(&bad_number, vec![1]).await;
    assert_eq!(s3_error(response, 400).await.0, "InvalidArgument");
    assert!(
        api.server
            .upload_receipt(&upload.id)
            .unwrap()
            .parts
            .is_empty()
    );
}

#[tokio::test]
async fn authorization_headers_are_refused() {
    let api = Api::with(quick()).await;
    let upload = api.create_multipart("image", &content(8), 4).await;
    let response = api
        .http
        .put(&upload.parts[0].url)
        .basic_auth(api.server.api_key(), Some(api.server.api_secret()))
        .body(content(4))
        .send()
        .await
        .unwrap();
    let (code, message) = s3_error(response, 400).await;
    assert_eq!(code, "InvalidArgument");
    assert!(message.contains("Only one auth mechanism allowed"));
    assert!(
        api.server
            .upload_receipt(&upload.id)
            .unwrap()
            .parts
            .is_empty()
    );
    let recorded = api
        .server
        .requests()
        .into_iter()
        .find(|r| r.target == Target::Storage)
        .unwrap();
    assert!(recorded.authorization);
    assert_eq!(recorded.route, Some(Route::PartPut));
    assert_eq!(recorded.status, Some(400));
}

#[tokio::test]
async fn signatures_and_expiry_are_checked() {
    let api = Api::with(quick()).await;
    let upload = api.create_multipart("image", &content(8), 4).await;
    let url = upload.parts[0].url.clone();
    let (base, query) = url.split_once('?').unwrap();
    let mut params = query.split('&');
    let expires = params.next().unwrap();
    let signature = params.next().unwrap();
    let cases = [
        format!("{base}?{expires}&signature=deadbeef"),
        format!("{base}?expires=99999999999&{signature}"),
        // A valid signature for part 1 does not sign part 2.
        format!("{}/2?{query}", base.strip_suffix("/1").unwrap()),
        format!("{base}?{expires}"),
        base.to_owned(),
    ];
    for (i, bad) in cases.iter().enumerate() {
        let (code, _) = s3_error(api.put(bad, content(4)).await, 403).await;
        let expected = if i < 3 {
            "SignatureDoesNotMatch"
        } else {
            "AccessDenied"
        };
        assert_eq!(code, expected, "{bad}");
    }
    assert_eq!(api.put(&url, content(4)).await.status(), 200);

    let expiring = Api::with(quick().part_url_ttl(Duration::ZERO)).await;
    let upload = expiring.create_multipart("image", &content(8), 4).await;
    let (code, message) = s3_error(expiring.put(&upload.parts[0].url, content(4)).await, 403).await;
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("AccessDenied", "Request has expired")
    );
}

#[tokio::test]
async fn content_length_is_required() {
    let api = Api::with(quick()).await;
    let upload = api.create_multipart("image", &content(8), 4).await;
    let chunks = futures::stream::iter([Ok::<_, std::io::Error>(vec![1u8, 2]), Ok(vec![3, 4])]);
    let response = api
        .http
        .put(&upload.parts[0].url)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(s3_error(response, 411).await.0, "MissingContentLength");
    assert!(
        api.server
            .upload_receipt(&upload.id)
            .unwrap()
            .parts
            .is_empty()
    );
}

#[tokio::test]
async fn a_short_body_is_rejected() {
    let api = Api::with(quick()).await;
    let upload = api.create_multipart("image", &content(8), 4).await;
    let target = path_and_query(&upload.parts[0].url);
    let request = format!("PUT {target} HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\nabcd");
    let answer = raw(&api, request.as_bytes(), true).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("<Code>IncompleteBody</Code>"), "{answer}");
    assert!(
        api.server
            .upload_receipt(&upload.id)
            .unwrap()
            .parts
            .is_empty()
    );

    // A client that stops sending without closing gets RequestTimeout.
    let api = Api::with(quick().body_idle_timeout(Duration::from_millis(100))).await;
    let upload = api.create_multipart("image", &content(8), 4).await;
    let target = path_and_query(&upload.parts[0].url);
    let request = format!(
        "PUT {target} HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\nconnection: close\r\n\r\nab"
    );
    let answer = raw(&api, request.as_bytes(), false).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("<Code>RequestTimeout</Code>"), "{answer}");
}

#[tokio::test]
async fn a_later_put_replaces_a_part() {
    let api = Api::with(quick()).await;
    let upload = api.create_multipart("image", &content(8), 4).await;
    let first = api.put(&upload.parts[0].url, b"AAAA".to_vec()).await;
    assert_eq!(
        first.headers()["etag"],
        format!("\"{}\"", sha256_hex(b"AAAA")).as_str()
    );
    let second = api.put(&upload.parts[0].url, b"BBBB".to_vec()).await;
    assert_eq!(second.status(), 200);
    api.put(&upload.parts[1].url, b"CCCC".to_vec()).await;
    let receipt = api.server.upload_receipt(&upload.id).unwrap();
    assert_eq!(receipt.part(1).unwrap().puts, 2);
    assert_eq!(receipt.part(1).unwrap().sha256, sha256_hex(b"BBBB"));
    assert_eq!(receipt.part(2).unwrap().puts, 1);
    assert_eq!(receipt.bytes(), Some(&b"BBBBCCCC"[..]));
    assert_eq!(receipt.total_bytes, 8);
    assert_eq!(api.server.request_count(Route::PartPut), 3);
}

#[tokio::test]
async fn receipts_keep_bytes_only_under_the_retain_limit() {
    let api = Api::with(quick().retain_limit(1024)).await;
    let big = content(4000);
    let upload = api.create_multipart("image", &big, 1000).await;
    // Before every part is in, there is no whole file.
    api.put(&upload.parts[0].url, big[..1000].to_vec()).await;
    let partial = api.server.upload_receipt(&upload.id).unwrap();
    assert!(!partial.has_all_parts() && partial.bytes().is_none());
    api.put_all(&upload, &big, 1000).await;
    let receipt = api.server.upload_receipt(&upload.id).unwrap();
    assert!(receipt.has_all_parts());
    assert_eq!(receipt.total_bytes, 4000);
    assert!(receipt.bytes().is_none() && receipt.sha256().is_none());
    for (i, chunk) in big.chunks(1000).enumerate() {
        let part = &receipt.parts[i];
        assert_eq!((part.number, part.size), (i as u32 + 1, 1000));
        assert_eq!(part.sha256, sha256_hex(chunk));
    }
    let small = content(1024);
    let upload = api.create_multipart("image", &small, 512).await;
    api.put_all(&upload, &small, 512).await;
    let receipt = api.server.upload_receipt(&upload.id).unwrap();
    assert_eq!(receipt.bytes(), Some(small.as_slice()));
    assert_eq!(receipt.sha256(), Some(sha256_hex(&small).as_str()));
    assert!(api.server.upload_receipt("upload_unknown").is_none());
}

#[tokio::test]
async fn parts_of_finished_or_unknown_uploads_are_refused() {
    let api = Api::with(quick()).await;
    let bytes = content(8);
    let upload = api.create_multipart("image", &bytes, 4).await;
    api.put_all(&upload, &bytes, 4).await;
    api.complete_ok(&upload.id).await;
    // While validating, and once complete.
    let response = api.put(&upload.parts[0].url, bytes[..4].to_vec()).await;
    assert_eq!(s3_error(response, 404).await.0, "NoSuchUpload");
    api.wait(&upload.id).await;
    let response = api.put(&upload.parts[1].url, bytes[4..].to_vec()).await;
    assert_eq!(s3_error(response, 404).await.0, "NoSuchUpload");
    assert_eq!(
        api.server
            .upload_receipt(&upload.id)
            .unwrap()
            .part(1)
            .unwrap()
            .puts,
        1
    );
}

#[tokio::test]
async fn a_large_part_streams_through() {
    let api = Api::with(quick().retain_limit(0)).await;
    let size = 32 * 1024 * 1024;
    let upload = api
        .create(
            serde_json::json!({"fileName": "big.bin", "contentType": "application/octet-stream",
                                   "fileSize": size, "kind": "model", "parts": 1}),
        )
        .await;
    let chunk = vec![7u8; 1024 * 1024];
    let chunks =
        futures::stream::iter((0..32).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    let response = api
        .http
        .put(&upload.parts[0].url)
        .header("content-length", size)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let receipt = api.server.upload_receipt(&upload.id).unwrap();
    assert_eq!(receipt.total_bytes, size as u64);
    assert_eq!(receipt.parts[0].sha256, sha256_hex(&vec![7u8; size]));
}
