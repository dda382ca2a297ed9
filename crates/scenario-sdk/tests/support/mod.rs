//! Helpers shared by the integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use scenario_sdk::{Client, RetryPolicy};

/// The default policy with short delays, so that retry tests take milliseconds.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        ..RetryPolicy::default()
    }
}

/// A server that answers a fixed script of responses, one per request (the last
/// one repeats), for shapes the fake API never produces: proxies' HTML pages,
/// redirects, misbehaving pagination.
pub struct ScriptedServer {
    url: String,
    state: Arc<Mutex<State>>,
    _task: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct State {
    script: Vec<(u16, &'static str, String)>,
    extra: Vec<(&'static str, &'static str)>,
    hits: usize,
    queries: Vec<String>,
    last_headers: HeaderMap,
}

impl ScriptedServer {
    pub async fn start(
        script: Vec<(u16, &'static str, String)>,
        extra_headers: &[(&'static str, &'static str)],
    ) -> Self {
        let state = Arc::new(Mutex::new(State {
            script,
            extra: extra_headers.to_vec(),
            ..State::default()
        }));
        let shared = state.clone();
        let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
            let state = shared.clone();
            async move { answer(&state, &uri, headers) }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url,
            state,
            _task: task,
        }
    }

    /// A client of this server with key `key` and secret `secret`.
    pub fn client(&self) -> Client {
        Client::builder()
            .base_url(&self.url)
            .api_key("key")
            .api_secret("secret")
            .retry_policy(fast_retries())
            .build()
            .unwrap()
    }

    pub fn hits(&self) -> usize {
        self.state.lock().unwrap().hits
    }

    /// The query strings of the requests, in order.
    pub fn queries(&self) -> Vec<String> {
        self.state.lock().unwrap().queries.clone()
    }

    pub fn last_headers(&self) -> HeaderMap {
        self.state.lock().unwrap().last_headers.clone()
    }
}

fn answer(state: &Mutex<State>, uri: &Uri, headers: HeaderMap) -> Response {
    let mut state = state.lock().unwrap();
    let index = state.hits.min(state.script.len() - 1);
    state.hits += 1;
    state
        .queries
        .push(uri.query().unwrap_or_default().to_owned());
    state.last_headers = headers;
    let (status, content_type, body) = state.script[index].clone();
    let mut response = (StatusCode::from_u16(status).unwrap(), body).into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    for (name, value) in &state.extra {
        response.headers_mut().insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    response
}

/// A `tracing` writer that keeps everything written to it, for asserting on logs.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
