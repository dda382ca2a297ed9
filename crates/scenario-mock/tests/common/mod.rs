//! What only the mock's own tests share: a reqwest client bound to a server,
//! which checks the fake's wire format (error bodies, ETags) on every call.

#![allow(dead_code, reason = "each test file uses a different subset")]

use std::time::Duration;

use scenario_api::types::{
    ApiError, Asset, AssetListResponse, Upload, UploadCreateResponse, UploadRetrieveResponse,
    UploadStatus, UploadTriggerActionResponse,
};
use scenario_mock::{MockServer, MockServerBuilder};
use scenario_testkit::sha256_hex;
use serde_json::{Value, json};

/// A fake with ten seeded assets that takes parts of 4 bytes and validates
/// uploads in 20 ms, so that multipart life cycles fit in a few bytes and
/// milliseconds.
pub fn quick() -> MockServerBuilder {
    MockServer::builder()
        .assets(10)
        .min_part_size(4)
        .validation_delay(Duration::from_millis(20))
}

pub struct Api {
    pub server: MockServer,
    pub http: reqwest::Client,
}

impl Api {
    pub async fn start() -> Self {
        Self::with(MockServer::builder()).await
    }

    pub async fn with(builder: MockServerBuilder) -> Self {
        let server = builder.start().await.expect("the mock starts");
        Self {
            server,
            http: scenario_testkit::plain_http(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(self.url(path))
            .basic_auth(self.server.api_key(), Some(self.server.api_secret()))
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(self.url(path))
            .basic_auth(self.server.api_key(), Some(self.server.api_secret()))
    }

    /// `GET /assets` with a query; panics unless 200.
    pub async fn list(&self, query: &[(&str, &str)]) -> AssetListResponse {
        let response = self.get("/assets").query(query).send().await.unwrap();
        assert_eq!(response.status(), 200, "{query:?}");
        response.json().await.unwrap()
    }

    /// Every page of `GET /assets` for a query.
    pub async fn list_all(&self, query: &[(&str, &str)]) -> Vec<Asset> {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..10_000 {
            let mut params: Vec<(&str, &str)> = query.to_vec();
            if let Some(token) = &token {
                params.push(("paginationToken", token));
            }
            let page = self.list(&params).await;
            all.extend(page.assets);
            match page.next_pagination_token {
                Some(next) => token = Some(next),
                None => return all,
            }
        }
        panic!("pagination did not end");
    }

    /// `GET /assets` expecting a 400; returns the message.
    pub async fn list_error(&self, query: &[(&str, &str)]) -> String {
        let response = self.get("/assets").query(query).send().await.unwrap();
        assert_eq!(response.status(), 400, "{query:?}");
        api_error(response, 400).await
    }

    pub async fn create(&self, body: Value) -> Upload {
        let response = self.post("/uploads").json(&body).send().await.unwrap();
        assert_eq!(response.status(), 200, "{body}");
        response
            .json::<UploadCreateResponse>()
            .await
            .unwrap()
            .upload
    }

    pub async fn create_error(&self, body: Value) -> String {
        let response = self.post("/uploads").json(&body).send().await.unwrap();
        api_error(response, 400).await
    }

    /// A multipart upload of `file` in parts of `part_size` bytes.
    pub async fn create_multipart(&self, kind: &str, file: &[u8], part_size: usize) -> Upload {
        let parts = file.len().div_ceil(part_size).max(1);
        self.create(json!({
            "fileName": "hero.png",
            "contentType": "image/png",
            "fileSize": file.len(),
            "kind": kind,
            "parts": parts,
        }))
        .await
    }

    pub async fn put(&self, url: &str, bytes: Vec<u8>) -> reqwest::Response {
        self.http.put(url).body(bytes).send().await.unwrap()
    }

    /// PUTs each chunk of `file` to the upload's part URLs; asserts 200 and the ETag.
    pub async fn put_all(&self, upload: &Upload, file: &[u8], part_size: usize) {
        for (part, chunk) in upload.parts.iter().zip(file.chunks(part_size)) {
            let response = self.put(&part.url, chunk.to_vec()).await;
            assert_eq!(response.status(), 200);
            let etag = response.headers()["etag"].to_str().unwrap().to_owned();
            assert_eq!(etag, format!("\"{}\"", sha256_hex(chunk)));
        }
    }

    pub async fn complete(&self, id: &str) -> reqwest::Response {
        self.post(&format!("/uploads/{id}/action"))
            .json(&json!({"action": "complete"}))
            .send()
            .await
            .unwrap()
    }

    pub async fn complete_ok(&self, id: &str) -> Upload {
        let response = self.complete(id).await;
        assert_eq!(response.status(), 200);
        response
            .json::<UploadTriggerActionResponse>()
            .await
            .unwrap()
            .upload
    }

    pub async fn get_upload(&self, id: &str) -> Upload {
        let response = self.get(&format!("/uploads/{id}")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response
            .json::<UploadRetrieveResponse>()
            .await
            .unwrap()
            .upload
    }

    /// Polls the upload until it leaves `pending`/`validating` (bounded).
    pub async fn wait(&self, id: &str) -> Upload {
        for _ in 0..200 {
            let upload = self.get_upload(id).await;
            if !matches!(
                upload.status,
                UploadStatus::Pending | UploadStatus::Validating
            ) {
                return upload;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("upload {id} did not finish");
    }
}

/// Reads an `ApiError` body and checks its status fields.
pub async fn api_error(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status(), status);
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let error: ApiError = response.json().await.unwrap();
    assert_eq!(error.status_code, Some(status));
    assert!(error.error.is_some());
    error.message.expect("the error has a message")
}

/// Reads an S3 XML error body; returns (code, message).
pub async fn s3_error(response: reqwest::Response, status: u16) -> (String, String) {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/xml"
    );
    let body = response.text().await.unwrap();
    let field = |name: &str| {
        let start = body.find(&format!("<{name}>")).expect(&body) + name.len() + 2;
        let end = body.find(&format!("</{name}>")).expect(&body);
        body[start..end].to_owned()
    };
    (field("Code"), field("Message"))
}
