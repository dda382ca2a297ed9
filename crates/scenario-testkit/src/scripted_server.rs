//! A scripted HTTP server: a loopback listener that answers a script of
//! replies and records the requests, for what the fake API never does on its
//! own (proxies' HTML pages, redirects, broken pagination, malformed HTTP,
//! silence, hang-ups).
//!
//! It speaks HTTP/1.1 over plain TCP itself, rather than through a framework,
//! so that a reply can break the protocol on purpose.

use std::sync::{Arc, Mutex, MutexGuard};

use scenario_sdk::{Client, ClientBuilder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::client_builder;

/// The API key the clients of [`ScriptedServer`] send.
const KEY: &str = "key";
/// The API secret the clients of [`ScriptedServer`] send.
const SECRET: &str = "secret";

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A well-formed response with a `Content-Length`, an `x-request-id` of
    /// `scripted_<n>` (`n` counting requests from 0) and `headers`.
    Response {
        /// The status code.
        status: u16,
        /// The `Content-Type` header.
        content_type: &'static str,
        /// The body, as bytes (it may be cut in the middle of a character).
        body: Vec<u8>,
        /// More headers, such as `location`.
        headers: Vec<(&'static str, String)>,
    },
    /// A `200` JSON answer in `chunks` chunks of `size` spaces, chunked, with no
    /// `Content-Length`.
    Chunked {
        /// How many chunks.
        chunks: usize,
        /// The bytes in each chunk.
        size: usize,
    },
    /// These bytes as they are, then the connection closes.
    Raw(Vec<u8>),
    /// No answer: the connection stays open until the server is dropped.
    Silent,
    /// The connection closes without a byte.
    Hangup,
}

impl Reply {
    /// A response with this status, content type and body.
    pub fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Self::Response {
            status,
            content_type,
            body: body.into(),
            headers: Vec::new(),
        }
    }

    /// A `200` with this JSON body.
    pub fn json(body: impl Into<Vec<u8>>) -> Self {
        Self::new(200, "application/json", body)
    }

    /// This response with one more header.
    ///
    /// # Panics
    ///
    /// On any reply but [`Reply::Response`], which alone has headers to add to.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        match &mut self {
            Self::Response { headers, .. } => headers.push((name, value.into())),
            other => panic!("only a Reply::Response takes headers, not {other:?}"),
        }
        self
    }
}

/// A request the server received.
#[derive(Clone, Debug)]
pub struct Request {
    /// The request line and headers as sent, without the blank line after them.
    pub head: String,
}

impl Request {
    /// The path and query of the request line.
    pub fn target(&self) -> &str {
        let line = self.head.lines().next().unwrap_or_default();
        line.split(' ').nth(1).unwrap_or_default()
    }

    /// The query string (without `?`), empty when there is none.
    pub fn query(&self) -> &str {
        self.target().split_once('?').map_or("", |(_, query)| query)
    }

    /// The value of the header `name` (matched without regard to case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

#[derive(Default)]
struct State {
    script: Vec<Reply>,
    /// The script's next reply; a new script starts over.
    next: usize,
    requests: Vec<Request>,
}

/// A loopback server that answers the n-th request with the n-th reply of its
/// script (the last reply repeats), and records every request. Dropping it
/// closes its listener and its connections.
pub struct ScriptedServer {
    url: String,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl ScriptedServer {
    /// Starts a server with `script`, which must not be empty.
    pub async fn start(script: Vec<Reply>) -> Self {
        assert!(!script.is_empty(), "a script needs at least one reply");
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let url = format!("http://{}/v1", listener.local_addr().expect("bound"));
        let state = Arc::new(Mutex::new(State {
            script,
            ..State::default()
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            // Owned here so that aborting this task closes every connection too.
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                connections.spawn(serve(stream, shared.clone()));
            }
        });
        Self { url, state, task }
    }

    /// The base URL of the API it stands for (`http://127.0.0.1:<port>/v1`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A client of this server with [`crate::fast_retries`].
    pub fn client(&self) -> Client {
        self.client_builder()
            .build()
            .expect("the server's settings make a valid client")
    }

    /// A client builder for this server, with the API key `key`, the secret
    /// `secret` and [`crate::fast_retries`].
    pub fn client_builder(&self) -> ClientBuilder {
        client_builder(&self.url, KEY, SECRET)
    }

    /// Replaces the script: the next request gets the first reply of `script`.
    pub fn set_script(&self, script: Vec<Reply>) {
        assert!(!script.is_empty(), "a script needs at least one reply");
        let mut state = lock(&self.state);
        state.script = script;
        state.next = 0;
    }

    /// The requests received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.state).requests.clone()
    }

    /// How many requests were received.
    pub fn hits(&self) -> usize {
        lock(&self.state).requests.len()
    }

    /// The query strings of the requests, in order.
    pub fn queries(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|request| request.query().to_owned())
            .collect()
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panicking test thread must not turn every later request into a panic.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Answers the requests of one connection (kept alive between them) until a
/// reply closes it or the client does.
async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) {
    let mut received = Vec::new();
    loop {
        let Some(request) = read_request(&mut stream, &mut received).await else {
            return;
        };
        let (n, reply) = {
            let mut state = lock(&state);
            let reply = state.script[state.next.min(state.script.len() - 1)].clone();
            state.next += 1;
            state.requests.push(request);
            (state.requests.len() - 1, reply)
        };
        let bytes = match reply {
            Reply::Response {
                status,
                content_type,
                body,
                headers,
            } => {
                let reason = http::StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("Scripted");
                let mut head = format!(
                    "HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\n\
                     content-length: {}\r\nx-request-id: scripted_{n}\r\n",
                    body.len()
                );
                for (name, value) in headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str("\r\n");
                let mut bytes = head.into_bytes();
                bytes.extend_from_slice(&body);
                bytes
            }
            Reply::Chunked { chunks, size } => {
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                            transfer-encoding: chunked\r\n\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("{size:x}\r\n{}\r\n", " ".repeat(size));
                for _ in 0..chunks {
                    if stream.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                }
                b"0\r\n\r\n".to_vec()
            }
            Reply::Raw(bytes) => {
                let _ = stream.write_all(&bytes).await;
                return;
            }
            Reply::Silent => std::future::pending().await,
            Reply::Hangup => return,
        };
        if stream.write_all(&bytes).await.is_err() {
            return;
        }
    }
}

/// Reads one request from `stream` (after what `received` holds from before);
/// its body, by `Content-Length`, is read and dropped, and what follows stays
/// in `received` for the next request. `None` when the connection ends first.
async fn read_request(stream: &mut TcpStream, received: &mut Vec<u8>) -> Option<Request> {
    let head_end = loop {
        if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        read_more(stream, received).await?;
    };
    let request = Request {
        head: String::from_utf8_lossy(&received[..head_end]).into_owned(),
    };
    let body_len = request
        .header("content-length")
        .and_then(|len| len.parse::<usize>().ok())
        .unwrap_or(0);
    let end = head_end + 4 + body_len;
    while received.len() < end {
        read_more(stream, received).await?;
    }
    received.drain(..end);
    Some(request)
}

async fn read_more(stream: &mut TcpStream, received: &mut Vec<u8>) -> Option<()> {
    let mut buf = [0u8; 8192];
    match stream.read(&mut buf).await {
        Ok(0) | Err(_) => None,
        Ok(n) => {
            received.extend_from_slice(&buf[..n]);
            Some(())
        }
    }
}
