//! The one error type of the SDK.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::StatusCode;

/// A `Result` with the SDK's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a call to the SDK.
///
/// Match on the variant for details, or use the accessors ([`Error::status`],
/// [`Error::request_id`], [`Error::is_rate_limited`], ...) that work across
/// variants. No variant ever holds the API secret.
///
/// Errors of a listing or of an upload carry where to resume ([`Error::Listing`],
/// [`Error::InUpload`]); [`Error::cause`] looks through them to what failed,
/// and the accessors do so too.
///
/// ```no_run
/// # async fn run(client: scenario_sdk::Client) {
/// use scenario_sdk::Error;
///
/// match client.uploads().get("upload_abc").await {
///     Ok(upload) => println!("{}", upload.status),
///     Err(err) if err.is_not_found() => eprintln!("no such upload"),
///     Err(err) if err.is_rate_limited() || err.is_retryable() => {
///         eprintln!("try again later (request id {:?})", err.request_id());
///     }
///     Err(err) => match err.cause() {
///         Error::Api { status, message, .. } => eprintln!("{status}: {message}"),
///         Error::InvalidInput(why) => eprintln!("fix the call: {why}"),
///         other => eprintln!("{other}"),
///     },
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with an error status (after any retries).
    #[error("{}", api_message(*.status, .message, .request_id.as_deref(), .body.as_deref()))]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// The server's message, or the start of the body when it sent no JSON error.
        message: String,
        /// The `x-request-id` of the response, to quote to Scenario's support.
        request_id: Option<String>,
        /// The error body as the server sent it, when it was the documented JSON.
        body: Option<Box<scenario_api::types::ApiError>>,
    },
    /// The request could not reach the server or the connection broke (after any retries).
    #[error(
        "could not reach the Scenario API{}: {message}; check the network and SCENARIO_BASE_URL",
        at_url(.url)
    )]
    Connection {
        /// The URL the request went to (no credentials are ever part of it).
        url: String,
        /// What failed.
        message: String,
    },
    /// The request or the response body took longer than the timeout (after any retries).
    #[error(
        "the request{} timed out after {timeout:?}; raise the timeout with ClientBuilder::timeout if the network is slow",
        to_url(.url)
    )]
    Timeout {
        /// The URL the request went to.
        url: String,
        /// The timeout that expired.
        timeout: Duration,
    },
    /// A response could not be decoded into the documented type.
    #[error("the response (status {status}{}) does not match the API description: {message}", request_suffix(.request_id.as_deref()))]
    Decode {
        /// The HTTP status of the response.
        status: StatusCode,
        /// The `x-request-id` of the response.
        request_id: Option<String>,
        /// What did not match.
        message: String,
    },
    /// A response body was larger than the SDK accepts.
    #[error("the response body is larger than {limit} bytes; refusing to buffer it")]
    ResponseTooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// An argument or a setting is out of range or missing.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Reading a local file failed.
    // The source is not repeated here: reporters (anyhow, the CLI) print it after.
    #[error("{}", .path.as_ref().map_or_else(|| "I/O error".to_owned(), |p| format!("cannot read {}", p.display())))]
    Io {
        /// The file, when there is one.
        path: Option<PathBuf>,
        /// What the operating system said: a [`std::io::Error`] (rustdoc shows
        /// it as `Error`; it is not this crate's).
        #[source]
        source: std::io::Error,
    },
    /// The server's pagination did not make progress (it repeated a token, or
    /// sent empty or repeated pages under fresh tokens for too long). A listing
    /// yields it inside [`Error::Listing`], which names the token to resume from.
    #[error("pagination stopped: {message}")]
    Pagination {
        /// What went wrong.
        message: String,
    },
    /// The work a wait followed ended without success: an upload `failed`, a
    /// job ended `failure` or `canceled`, a training failed, was canceled or
    /// is not training. `id` names the upload, job or model.
    #[error("{}", failed_text(*.work, .id, .status, .message))]
    WorkFailed {
        /// What ended: an upload, a job, a training.
        work: Work,
        /// The upload's, job's or model's id.
        id: String,
        /// Its status, as the service sent it.
        status: String,
        /// The service's reason (an upload's `errorMessage`, a job's
        /// `metadata.error`), or what happened.
        message: String,
    },
    /// A wait gave up at its deadline; the work goes on, and may still finish.
    #[error(
        "{work} {id} is still {status} after {waited:?}; {}",
        .work.wait_longer()
    )]
    WaitTimeout {
        /// What was waited for.
        work: Work,
        /// The upload's, job's or model's id.
        id: String,
        /// Its last known status.
        status: String,
        /// How long the SDK waited.
        waited: Duration,
    },

    // Uploads and storage. Kept together, after the variants above, so that
    // changes to the request errors and to these merge apart.
    /// The upload storage answered a part `PUT` with an error (after any
    /// retries). The storage is not the Scenario API: its 403 means an expired
    /// or refused part URL, not a missing permission of the API key.
    #[error(
        "the storage refused part {part} of upload {upload_id}: {status}{}{}{}",
        code.as_deref().map(|c| format!(" {c}")).unwrap_or_default(),
        storage_detail(.message, .request_id.as_deref()),
        storage_hint(*.status, .code.as_deref(), *.url_refreshes)
    )]
    Storage {
        /// The upload.
        upload_id: String,
        /// The part number (1-based).
        part: u32,
        /// The storage's HTTP status.
        status: StatusCode,
        /// S3's error `Code` (`AccessDenied`, `SlowDown`, ...), when it sent one.
        code: Option<String>,
        /// S3's error `Message`, or the start of the body.
        message: String,
        /// The storage's request id (`x-amz-request-id`).
        request_id: Option<String>,
        /// How many times the SDK fetched fresh part URLs for this part.
        url_refreshes: u32,
    },
    /// A part `PUT` got no answer from the upload storage (after any retries):
    /// the connection failed or broke, or no byte moved for the stall timeout.
    #[error(
        "part {part} of upload {upload_id} could not be sent to the storage{}: {message}{}",
        at_url(.url),
        stall_hint(*.stall_timeout)
    )]
    StorageUnreachable {
        /// The upload.
        upload_id: String,
        /// The part number (1-based).
        part: u32,
        /// The part URL without its query (the query is its signature).
        url: String,
        /// What failed.
        message: String,
        /// The stall timeout, when that is what expired.
        stall_timeout: Option<Duration>,
    },
    /// Something failed after upload `upload_id` was created: `error` says what.
    /// The upload exists (pending, unless it was completed), so it can be
    /// inspected, completed or left to expire. The message includes `error`'s
    /// sources; [`Error::cause`] gives `error` to match on.
    #[error("{}", in_upload_message(.upload_id, .error))]
    InUpload {
        /// The upload.
        upload_id: String,
        /// What failed.
        error: Box<Error>,
    },
    // Listings, deadlines and server-requested delays: the client's reliability
    // errors, kept together.
    /// A listing stopped on an error: `source` says why, `resume_token` where
    /// to start again (see [`Error::resume_token`]). The accessors
    /// ([`Error::status`], [`Error::is_retryable`], ...) answer for `source`.
    #[error("{source}; {}", resume_hint(.resume_token.as_deref()))]
    Listing {
        /// The token of the page that could not be delivered: pass it to the
        /// listing's `pagination_token` setter to get that page and the rest,
        /// each item once. `None`: the listing's first page.
        resume_token: Option<String>,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
    /// One item of a listing's page does not match the API description. The
    /// listing goes on without it, unless it is strict (`Request::strict`).
    #[error("{0}")]
    Item(Box<BadItem>),
    /// A call did not finish within its total deadline (`total_timeout`), all
    /// attempts and retry delays included.
    #[error(
        "the call to {url} did not finish within its total deadline of {total:?} \
         ({attempts} attempt(s)); raise it with total_timeout, or try again later"
    )]
    Deadline {
        /// The URL (or path) the call went to.
        url: String,
        /// The deadline that expired.
        total: Duration,
        /// How many attempts were started.
        attempts: u32,
    },
    /// The server asked to wait longer before retrying than the retry policy
    /// allows (`max_retry_after`), and no total deadline left room to wait: the
    /// SDK gave up at once rather than ask again early.
    #[error(
        "the Scenario API answered {status} and asked to retry after {retry_after:?}, longer than \
         the retry policy's max_retry_after of {limit:?}{}; try again after that, or set \
         total_timeout above it to let the SDK wait",
        request_suffix(.request_id.as_deref())
    )]
    RetryAfterTooLong {
        /// The HTTP status (429 or 503, usually).
        status: StatusCode,
        /// The delay the server asked for.
        retry_after: Duration,
        /// The policy's `max_retry_after`.
        limit: Duration,
        /// The `x-request-id` of the response.
        request_id: Option<String>,
        /// The error body as the server sent it, when it was the documented
        /// JSON (a 429's names its limit: [`Error::limit`]).
        body: Option<Box<scenario_api::types::ApiError>>,
    },

    // Downloads, kept together at the end so that changes elsewhere merge apart.
    /// A file could not be downloaded: the server of its URL refused it,
    /// every attempt failed (connection, stall, a body cut short), or what it
    /// sent is not the asset's file (another size than the asset's, a range
    /// other than the one asked for). When a transfer broke, what was received
    /// is kept beside the file (`<name>.part`) and the next download of the
    /// same file resumes from it; when the server sent something other than
    /// the file, nothing is kept.
    #[error(
        "could not download the file of {id}{}: {}{message}",
        at_url(.url),
        .status.map(|s| format!("{s}: ")).unwrap_or_default()
    )]
    Download {
        /// The asset (or, for an archive, the job) the file belongs to.
        id: String,
        /// The file's URL without its query (where signatures live).
        url: String,
        /// The status the server answered, when it answered.
        status: Option<StatusCode>,
        /// What went wrong.
        message: String,
    },
    /// Another run holds the lock of a directory's progress (a training from
    /// the same folder, say): two runs would do the same work twice, and
    /// overwrite each other's record of it.
    #[error(
        "{} is in use by another run ({holder}); wait for that run to end, or stop it, and run again",
        .path.display()
    )]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// The run that holds it, as it described itself (its process id and
        /// start time).
        holder: String,
    },
    /// A downloaded file could not be written.
    // The source is not repeated here: reporters (anyhow, the CLI) print it after.
    #[error("cannot write {}; {}", .path.display(), write_hint(.source))]
    FileWrite {
        /// The file (or directory) that could not be written.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}

fn at_url(url: &str) -> String {
    if url.is_empty() {
        String::new()
    } else {
        format!(" at {url}")
    }
}

fn to_url(url: &str) -> String {
    if url.is_empty() {
        String::new()
    } else {
        format!(" to {url}")
    }
}

fn storage_detail(message: &str, request_id: Option<&str>) -> String {
    let mut out = String::new();
    if !message.is_empty() {
        out.push_str(": ");
        out.push_str(message);
    }
    if let Some(id) = request_id {
        out.push_str(&format!(" (storage request id {id})"));
    }
    out
}

fn storage_hint(status: StatusCode, code: Option<&str>, url_refreshes: u32) -> String {
    match (status.as_u16(), code) {
        (403, _) if url_refreshes > 0 => format!(
            "; the part URL was refused even after the SDK fetched fresh ones {url_refreshes} \
             time(s): check the machine's clock, or try again later"
        ),
        (403, _) => "; the part URL was refused (expired?); try again".to_owned(),
        (400, Some("RequestTimeout")) => {
            "; the storage gave up waiting for the part's bytes: check the network".to_owned()
        }
        (429, _) | (503, Some("SlowDown")) => {
            "; the storage is throttling requests: send fewer parts at once, or try again later"
                .to_owned()
        }
        (code, _) if code >= 500 => "; the storage is in trouble: try again later".to_owned(),
        _ => String::new(),
    }
}

fn stall_hint(stall_timeout: Option<Duration>) -> String {
    match stall_timeout {
        Some(limit) => format!(
            " (no byte moved for {limit:?}); raise UploadBuilder::stall_timeout if the network is this slow"
        ),
        None => "; check the network".to_owned(),
    }
}

fn in_upload_message(upload_id: &str, error: &Error) -> String {
    let text = crate::http_text::error_chain(error);
    if text.contains(upload_id) {
        text
    } else {
        format!("{text} (upload {upload_id})")
    }
}

/// What to do about a failed write, from what the system said: the advice
/// fits the cause (a full disk is not a permission problem).
fn write_hint(source: &std::io::Error) -> &'static str {
    use std::io::ErrorKind;
    match source.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::FileTooLarge => {
            "free some space on its disk"
        }
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => {
            "check the permissions of its directory"
        }
        ErrorKind::NotFound => "its directory does not exist (any more)",
        _ => "check its directory",
    }
}

fn resume_hint(token: Option<&str>) -> String {
    match token {
        Some(token) => format!(
            "to go on, resume the listing with pagination_token {token:?} (the page that failed)"
        ),
        None => "to go on, start the listing again (its first page failed)".to_owned(),
    }
}

impl Error {
    /// Where a failed listing resumes: `Some(token)` of the page that could not
    /// be delivered (`Some(None)`: its first page), for an error a listing
    /// yielded; `None` for any other error.
    pub fn resume_token(&self) -> Option<Option<&str>> {
        match self {
            Error::Listing { resume_token, .. } => Some(resume_token.as_deref()),
            _ => None,
        }
    }

    /// The error itself, without the context of a listing ([`Error::Listing`])
    /// or of an upload ([`Error::InUpload`]), to match on its variant.
    pub fn cause(&self) -> &Error {
        match self {
            Error::Listing { source, .. } => source.cause(),
            Error::InUpload { error, .. } => error.cause(),
            other => other,
        }
    }

    /// Like [`Error::cause`], by value.
    pub fn into_cause(self) -> Error {
        match self {
            Error::Listing { source, .. } => source.into_cause(),
            Error::InUpload { error, .. } => error.into_cause(),
            other => other,
        }
    }

    /// The delay the server asked for before a retry, when the SDK gave up
    /// because it was longer than the policy allows.
    pub fn retry_after(&self) -> Option<Duration> {
        match self.cause() {
            Error::RetryAfterTooLong { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// A total deadline (`total_timeout`) expired.
    pub fn is_deadline(&self) -> bool {
        matches!(self.cause(), Error::Deadline { .. })
    }

    /// For an item of a listing that did not decode: which, where, and its JSON.
    pub fn bad_item(&self) -> Option<&BadItem> {
        match self.cause() {
            Error::Item(item) => Some(item),
            _ => None,
        }
    }
}

/// An item of a listing's page that does not match the API description.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "item {index} of a listing page does not match the API description at `{path}`: {message}{}",
    request_suffix(.request_id.as_deref())
)]
#[non_exhaustive]
pub struct BadItem {
    /// Its position in the page (0-based).
    pub index: usize,
    /// Where in the item decoding failed, such as `properties.size`.
    pub path: String,
    /// What did not match.
    pub message: String,
    /// The item's JSON as the server sent it.
    pub raw: String,
    /// The `x-request-id` of the page's response.
    pub request_id: Option<String>,
}

fn request_suffix(request_id: Option<&str>) -> String {
    request_id
        .map(|id| format!(", request id {id}"))
        .unwrap_or_default()
}

fn api_message(
    status: StatusCode,
    message: &str,
    request_id: Option<&str>,
    body: Option<&scenario_api::types::ApiError>,
) -> String {
    let limit = body.and_then(|body| Limit::of(status, body));
    let hint = match (status.as_u16(), &limit) {
        (401, _) => "; check SCENARIO_SDK_API_KEY and SCENARIO_SDK_API_SECRET".to_owned(),
        (403, _) => "; the API key has no access to this resource".to_owned(),
        (404, _) => "; check the id".to_owned(),
        (429, Some(Limit::Concurrency { action, limit, .. })) => format!(
            "; the team already runs {} `{action}` at once, as its plan allows: \
             try again when one has finished (Error::limit tells which limit)",
            limit.map_or_else(|| "as many".to_owned(), |n| n.to_string()),
        ),
        (429, Some(Limit::Cooldown { remaining })) => format!(
            "; try again in {} s (Error::limit gives the time left)",
            remaining.as_secs_f64().ceil()
        ),
        (429, _) => "; the rate limit was hit, slow down or raise max_retries".to_owned(),
        _ => String::new(),
    };
    let message = if message.is_empty() {
        status.canonical_reason().unwrap_or("error")
    } else {
        message
    };
    format!(
        "the Scenario API answered {status}: {message}{}{hint}",
        request_suffix(request_id)
    )
}

/// The work a wait follows, as [`Error::WorkFailed`] and
/// [`Error::WaitTimeout`] name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Work {
    /// An upload (or an import) the service validates.
    Upload,
    /// A job: a generation, a workflow run, an archive, a training's job.
    Job,
    /// A model's training (its id is the model's).
    Training,
}

impl Work {
    /// How a caller waits longer for this work.
    fn wait_longer(self) -> &'static str {
        match self {
            Work::Upload => "wait longer with uploads().wait_until_ready(..).timeout",
            Work::Job => "wait longer with jobs().wait(..).timeout",
            Work::Training => {
                "the training goes on; wait longer with models().wait_trained(..).timeout"
            }
        }
    }
}

impl fmt::Display for Work {
    /// What the id names: `upload`, `job`, or `model` for a training.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Work::Upload => "upload",
            Work::Job => "job",
            Work::Training => "model",
        })
    }
}

/// The message of [`Error::WorkFailed`]: each kind of work says its end its
/// own way ("upload u failed", "job j ended canceled", "model m is failed").
fn failed_text(work: Work, id: &str, status: &str, message: &str) -> String {
    match work {
        Work::Upload => format!("upload {id} failed: {message}"),
        Work::Job => format!("job {id} ended {status}: {message}"),
        Work::Training => format!("model {id} is {status}: {message}"),
    }
}

/// What kind of failure an [`Error`] is: [`Error::kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The credentials were refused, or give no access (401 or 403 from the API).
    Auth,
    /// The resource does not exist (404): check the id.
    NotFound,
    /// A rate limit, a cooldown or the team's concurrency limit (429), or a
    /// wait asked for longer than the retry policy allows.
    RateLimited,
    /// The service or the storage refused the request as it was (a 4xx not
    /// covered above: 400, 409, 422, a refused part URL...).
    Refused,
    /// The service or the storage failed (5xx), after any retries.
    Server,
    /// No answer in time: a request, a stalled transfer, or the total deadline.
    Timeout,
    /// The connection failed or broke, after any retries.
    Connection,
    /// An answer the SDK cannot use: it does not match the API description, is
    /// too large, or a listing does not make progress.
    UnexpectedResponse,
    /// The service ended the work without success: a job, an upload or a
    /// training failed or was canceled.
    WorkFailed,
    /// A wait gave up before the work ended; the work may still finish.
    WaitTimeout,
    /// An argument or setting was refused before anything was sent.
    InvalidInput,
    /// A local file could not be read or written, or another run holds it.
    Local,
    /// None of the above (a download the server refused in another way, say).
    Other,
}

/// What the service said it refused for now: the reason of a 429 it explained
/// (see [`Error::limit`]).
///
/// ```
/// # fn handle(error: &scenario_sdk::Error) {
/// use scenario_sdk::Limit;
///
/// match error.limit() {
///     Some(Limit::Cooldown { remaining }) => println!("try again in {remaining:?}"),
///     Some(Limit::Concurrency { action, limit, .. }) => {
///         println!("at most {limit:?} {action} at once for this team")
///     }
///     _ => println!("{error}"),
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Limit {
    /// A cooldown: the action is allowed again once `remaining` has passed.
    Cooldown {
        /// The time left, as the service counted it when it answered.
        remaining: Duration,
    },
    /// The team already runs as many actions of a kind as its plan allows at
    /// once (its limits: `client.request(ops::GetTeamLimits::new(team))`).
    Concurrency {
        /// The limited action, as the service names it.
        action: String,
        /// How many may run at once, when the service said.
        limit: Option<u64>,
        /// The time left before one may start, when the service said.
        remaining: Option<Duration>,
    },
}

impl Limit {
    /// The time left before the action is allowed again, when the service said.
    pub fn remaining(&self) -> Option<Duration> {
        match self {
            Limit::Cooldown { remaining } => Some(*remaining),
            Limit::Concurrency { remaining, .. } => *remaining,
        }
    }

    /// The limit a 429's documented error body names, if it names one.
    pub(crate) fn of(status: StatusCode, body: &scenario_api::types::ApiError) -> Option<Limit> {
        if status != StatusCode::TOO_MANY_REQUESTS {
            return None;
        }
        let details = body.details.clone().and_then(|details| {
            serde_json::from_value::<scenario_api::types::ApiErrorLimitDetails>(details).ok()
        });
        let seconds = |s: f64| (s.is_finite() && s >= 0.0).then(|| Duration::from_secs_f64(s));
        let remaining = body
            .remaining_seconds
            .or_else(|| details.as_ref().and_then(|d| d.remaining_seconds))
            .and_then(seconds);
        match details {
            Some(details) if details.action_name.is_some() => Some(Limit::Concurrency {
                action: details.action_name.unwrap_or_default(),
                limit: details
                    .action_limit
                    .filter(|n| n.is_finite() && *n >= 0.0)
                    .map(|n| n.round() as u64),
                remaining,
            }),
            _ => remaining.map(|remaining| Limit::Cooldown { remaining }),
        }
    }
}

impl Error {
    /// The limit a 429 answer named: a cooldown with the time left, or a team
    /// concurrency limit with the action and how many may run at once. `None`
    /// for any other error, and for a 429 that did not say.
    pub fn limit(&self) -> Option<Limit> {
        match self.cause() {
            Error::Api {
                status,
                body: Some(body),
                ..
            }
            | Error::RetryAfterTooLong {
                status,
                body: Some(body),
                ..
            } => Limit::of(*status, body),
            _ => None,
        }
    }

    /// What kind of failure this is, to match on without naming every
    /// variant: one answer for each error, from its cause (an error inside an
    /// upload or a listing answers for what went wrong there).
    ///
    /// ```
    /// use scenario_sdk::{Error, ErrorKind};
    ///
    /// fn advice(error: &Error) -> &'static str {
    ///     match error.kind() {
    ///         ErrorKind::Auth => "check the API key and secret",
    ///         ErrorKind::NotFound => "check the id",
    ///         ErrorKind::RateLimited | ErrorKind::Server | ErrorKind::Connection => "try again later",
    ///         _ => "see the message",
    ///     }
    /// }
    /// assert_eq!(advice(&Error::InvalidInput("empty id".into())), "see the message");
    /// ```
    pub fn kind(&self) -> ErrorKind {
        let cause = self.cause();
        if self.is_auth() {
            return ErrorKind::Auth;
        }
        if self.is_not_found() {
            return ErrorKind::NotFound;
        }
        if self.is_rate_limited() || self.limit().is_some() {
            return ErrorKind::RateLimited;
        }
        if self.is_timeout() {
            return ErrorKind::Timeout;
        }
        if self.is_connection() {
            return ErrorKind::Connection;
        }
        match cause {
            Error::InvalidInput(_) => ErrorKind::InvalidInput,
            Error::Io { .. } | Error::FileWrite { .. } | Error::Locked { .. } => ErrorKind::Local,
            Error::Decode { .. }
            | Error::ResponseTooLarge { .. }
            | Error::Pagination { .. }
            | Error::Item(_) => ErrorKind::UnexpectedResponse,
            Error::WorkFailed { .. } => ErrorKind::WorkFailed,
            Error::WaitTimeout { .. } => ErrorKind::WaitTimeout,
            Error::RetryAfterTooLong { .. } => ErrorKind::RateLimited,
            _ if self.is_server_error() => ErrorKind::Server,
            _ if self.is_bad_request() => ErrorKind::Refused,
            _ if self.status().is_some_and(|s| s.is_client_error()) => ErrorKind::Refused,
            _ => ErrorKind::Other,
        }
    }

    /// The HTTP status of the response the error came from (the API's or the
    /// storage's), if any.
    pub fn status(&self) -> Option<StatusCode> {
        match self.cause() {
            Error::Api { status, .. }
            | Error::Decode { status, .. }
            | Error::Storage { status, .. }
            | Error::RetryAfterTooLong { status, .. } => Some(*status),
            Error::Download { status, .. } => *status,
            _ => None,
        }
    }

    /// The request id of the response the error came from (`x-request-id`, or
    /// the storage's `x-amz-request-id`), if any.
    pub fn request_id(&self) -> Option<&str> {
        match self.cause() {
            Error::Api { request_id, .. }
            | Error::Decode { request_id, .. }
            | Error::Storage { request_id, .. }
            | Error::RetryAfterTooLong { request_id, .. } => request_id.as_deref(),
            Error::Item(item) => item.request_id.as_deref(),
            _ => None,
        }
    }

    /// The server's error body, when it sent the documented JSON.
    pub fn api_error(&self) -> Option<&scenario_api::types::ApiError> {
        match self.cause() {
            Error::Api { body, .. } => body.as_deref(),
            _ => None,
        }
    }

    /// Bad or missing credentials, or no access (401 or 403 from the API; a
    /// storage 403 is a refused part URL, not this).
    pub fn is_auth(&self) -> bool {
        matches!(self.cause(), Error::Api { .. })
            && matches!(
                self.status(),
                Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
            )
    }

    /// The resource does not exist (404).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// The server rejected the request as malformed (400 or 422).
    pub fn is_bad_request(&self) -> bool {
        matches!(
            self.status(),
            Some(StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY)
        )
    }

    /// The rate limit was hit (429).
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// The server failed (5xx).
    pub fn is_server_error(&self) -> bool {
        self.status().is_some_and(|s| s.is_server_error())
    }

    /// The request timed out (a part included: no byte moved for the stall timeout).
    pub fn is_timeout(&self) -> bool {
        matches!(
            self.cause(),
            Error::Timeout { .. }
                | Error::Deadline { .. }
                | Error::StorageUnreachable {
                    stall_timeout: Some(_),
                    ..
                }
        )
    }

    /// The connection failed or broke (to the API or to the storage).
    pub fn is_connection(&self) -> bool {
        matches!(
            self.cause(),
            Error::Connection { .. }
                | Error::StorageUnreachable {
                    stall_timeout: None,
                    ..
                }
        )
    }

    /// Whether trying the same call again later may succeed (the SDK already
    /// retried it as many times as configured).
    pub fn is_retryable(&self) -> bool {
        match self.cause() {
            Error::Connection { .. }
            | Error::Timeout { .. }
            | Error::Deadline { .. }
            | Error::RetryAfterTooLong { .. }
            | Error::StorageUnreachable { .. } => true,
            Error::Api { status, .. } => crate::retry::is_retryable_status(*status),
            Error::Storage { status, .. } => {
                crate::retry::is_retryable_status(*status) || *status == StatusCode::FORBIDDEN
            }
            Error::Download { status, .. } => status
                .is_none_or(|s| crate::retry::is_retryable_status(s) || s == StatusCode::FORBIDDEN),
            _ => false,
        }
    }

    /// The upload the error is about, when one was created: to resume it,
    /// complete it or look at it with `uploads().get`.
    pub fn upload_id(&self) -> Option<&str> {
        match self {
            Error::InUpload { upload_id, .. }
            | Error::Storage { upload_id, .. }
            | Error::StorageUnreachable { upload_id, .. } => Some(upload_id),
            Error::WorkFailed {
                work: Work::Upload,
                id,
                ..
            }
            | Error::WaitTimeout {
                work: Work::Upload,
                id,
                ..
            } => Some(id),
            _ => None,
        }
    }

    /// The job the error is about, when it comes from waiting for one.
    pub fn job_id(&self) -> Option<&str> {
        match self.cause() {
            Error::WorkFailed {
                work: Work::Job,
                id,
                ..
            }
            | Error::WaitTimeout {
                work: Work::Job,
                id,
                ..
            } => Some(id),
            _ => None,
        }
    }

    /// The model this error is about, for the errors of a training.
    pub fn model_id(&self) -> Option<&str> {
        match self {
            Error::WorkFailed {
                work: Work::Training,
                id,
                ..
            }
            | Error::WaitTimeout {
                work: Work::Training,
                id,
                ..
            } => Some(id),
            _ => None,
        }
    }

    /// This error, tied to upload `upload_id` unless it already names an upload.
    pub(crate) fn in_upload(self, upload_id: &str) -> Self {
        if self.upload_id().is_some() {
            return self;
        }
        Error::InUpload {
            upload_id: upload_id.to_owned(),
            error: Box::new(self),
        }
    }

    /// The error of an API answer whose body is the documented JSON error: its
    /// message is the first of `message`, `reason`, `error` the server filled.
    pub(crate) fn from_api_body(
        status: StatusCode,
        request_id: Option<String>,
        body: scenario_api::types::ApiError,
    ) -> Self {
        let message = body
            .message
            .clone()
            .or_else(|| body.reason.clone())
            .or_else(|| body.error.clone())
            .unwrap_or_default();
        Error::Api {
            status,
            message,
            request_id,
            body: Some(Box::new(body)),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: Some(path.into()),
            source,
        }
    }
}

/// The raw client's errors (see `Client::raw`, with the `raw-client` feature), as the SDK's.
impl From<progenitor_client::Error<scenario_api::types::ApiError>> for Error {
    fn from(err: progenitor_client::Error<scenario_api::types::ApiError>) -> Self {
        use progenitor_client::Error as Raw;
        match err {
            Raw::ErrorResponse(value) => {
                let status = value.status();
                let request_id = value
                    .headers()
                    .get(crate::http_text::REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                Error::from_api_body(status, request_id, value.into_inner())
            }
            // The raw sender turns every error status into an error response, so a
            // payload that does not decode came with a success status.
            Raw::InvalidResponsePayload(_, err) => Error::Decode {
                status: StatusCode::OK,
                request_id: None,
                message: err.to_string(),
            },
            Raw::UnexpectedResponse(response) => {
                let status = response.status();
                Error::Api {
                    status,
                    message: format!("unexpected status {status}"),
                    request_id: None,
                    body: None,
                }
            }
            Raw::CommunicationError(err)
            | Raw::ResponseBodyError(err)
            | Raw::InvalidUpgrade(err) => Error::Connection {
                url: err.url().map(crate::http_text::redact).unwrap_or_default(),
                message: crate::http_text::error_chain(&err.without_url()),
            },
            Raw::InvalidRequest(message) => Error::InvalidInput(message),
            Raw::Custom(message) => Error::Connection {
                url: String::new(),
                message,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, body: serde_json::Value) -> Error {
        let body = serde_json::from_value(body).unwrap();
        Error::from_api_body(StatusCode::from_u16(status).unwrap(), None, body)
    }

    #[test]
    fn a_cooldown_429_gives_the_time_left_and_says_when_to_try_again() {
        let err = api(
            429,
            serde_json::json!({"message": "Too many trainings", "remainingSeconds": 41.2}),
        );
        assert_eq!(
            err.limit(),
            Some(Limit::Cooldown {
                remaining: Duration::from_secs_f64(41.2)
            })
        );
        assert!(err.to_string().contains("try again in 42 s"), "{err}");
    }

    #[test]
    fn only_a_429_that_says_which_limit_names_one() {
        let plain = api(429, serde_json::json!({"message": "slow down"}));
        assert_eq!(plain.limit(), None);
        assert!(plain.to_string().contains("rate limit"), "{plain}");
        let not_429 = api(400, serde_json::json!({"remainingSeconds": 3}));
        assert_eq!(not_429.limit(), None);
        let odd = api(
            429,
            serde_json::json!({"remainingSeconds": -1, "details": "text"}),
        );
        assert_eq!(odd.limit(), None, "nonsense is not a limit");
        let listed = Error::Listing {
            resume_token: None,
            source: Box::new(api(
                429,
                serde_json::json!({"details": {"actionName": "inference", "actionLimit": 8}}),
            )),
        };
        assert_eq!(
            listed.limit(),
            Some(Limit::Concurrency {
                action: "inference".into(),
                limit: Some(8),
                remaining: None
            }),
            "read through the listing's context"
        );
    }
}
