//! Downloads: `client.downloads()`: asset files into a directory (one asset, a
//! list of ids, or any stream of assets such as a listing), and the archives the
//! service makes of many assets.
//!
//! Files are fetched from their signed URLs with the SDK's own HTTP client:
//! redirects are followed, and no API credential or extra header is ever sent
//! (the URL is the permission). Each file is streamed to `<name>.part` and
//! renamed once whole, so a file under its final name is complete; a partial
//! file left by a failure or an interrupted run is resumed with `Range`.

mod archive;
mod file;
mod progress;

use std::collections::HashSet;
use std::fmt;
use std::future::IntoFuture;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt};
use reqwest::Url;
use scenario_api::ops;
use scenario_api::types::{Asset, AssetDownloadRequest, AssetGetBulkRequest, DownloadTargetFormat};
use tracing::Instrument;

pub use archive::{Archive, ArchiveDownload};
pub use progress::DownloadProgress;

use crate::error::{Error, Result};
use crate::handle::Client;
use file::{FileGet, Refresh};
use progress::{Counters, ProgressFn};

/// How many files are fetched at once by default.
pub const DEFAULT_DOWNLOAD_CONCURRENCY: usize = 4;
/// How long a file transfer may go without a byte arriving, by default.
pub const DEFAULT_DOWNLOAD_STALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How many ids one `get-bulk` request looks up.
const LOOKUP_BATCH: usize = 100;

/// Downloads: `client.downloads()`.
#[derive(Clone, Debug)]
pub struct Downloads {
    client: Client,
}

impl Downloads {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Downloads asset files into `dir` (created if missing): add assets, ids
    /// or a stream of assets to the returned builder, then `.await` it.
    ///
    /// Each file is named `<asset id>.<extension of its MIME type>`.
    ///
    /// ```no_run
    /// # async fn run(client: scenario_sdk::Client) -> scenario_sdk::Result<()> {
    /// // Every image tagged "hero", four files at a time.
    /// let listing = client.assets().list().tag("hero").stream();
    /// let report = client.downloads().to_dir("out").stream(listing).await?;
    /// println!(
    ///     "{} written, {} already there, {} failed",
    ///     report.written.len(),
    ///     report.skipped.len(),
    ///     report.failed.len()
    /// );
    /// # Ok(()) }
    /// ```
    pub fn to_dir(&self, dir: impl Into<PathBuf>) -> DownloadToDir {
        DownloadToDir {
            client: self.client.clone(),
            dir: dir.into(),
            assets: Vec::new(),
            ids: Vec::new(),
            stream: None,
            concurrency: DEFAULT_DOWNLOAD_CONCURRENCY,
            format: None,
            stall_timeout: DEFAULT_DOWNLOAD_STALL_TIMEOUT,
            on_progress: None,
        }
    }

    /// An archive of the files of `asset_ids`, made by the service
    /// (`POST /assets/download`): `.to_file(path)` then `.await` waits for the
    /// archive job and streams the archive to `path`.
    pub fn archive<I, S>(&self, asset_ids: I) -> ArchiveDownload
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ArchiveDownload::new(
            self.client.clone(),
            asset_ids.into_iter().map(Into::into).collect(),
        )
    }
}

/// Asset files to download into a directory: built by
/// [`Downloads::to_dir`], run by `.await` (or [`DownloadToDir::send`]).
///
/// Files already in the directory with the asset's size are skipped; a
/// `<name>.part` left by an earlier run is resumed. Each file is retried as the
/// client's retry policy allows (from where it stopped); one file failing does
/// not stop the others, and the report says what happened to each.
#[must_use = "a download does nothing until it is awaited"]
pub struct DownloadToDir {
    client: Client,
    dir: PathBuf,
    assets: Vec<Asset>,
    ids: Vec<String>,
    stream: Option<BoxStream<'static, Result<Asset>>>,
    concurrency: usize,
    format: Option<DownloadTargetFormat>,
    stall_timeout: Duration,
    on_progress: Option<ProgressFn>,
}

impl fmt::Debug for DownloadToDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DownloadToDir")
            .field("dir", &self.dir)
            .field("assets", &self.assets.len())
            .field("ids", &self.ids.len())
            .field("stream", &self.stream.is_some())
            .field("concurrency", &self.concurrency)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl DownloadToDir {
    /// Adds an asset (one you listed or fetched: no lookup is needed).
    pub fn asset(mut self, asset: Asset) -> Self {
        self.assets.push(asset);
        self
    }

    /// Adds assets.
    pub fn assets(mut self, assets: impl IntoIterator<Item = Asset>) -> Self {
        self.assets.extend(assets);
        self
    }

    /// Adds an asset by id (looked up with `get-bulk`, many ids per request).
    pub fn id(mut self, asset_id: impl Into<String>) -> Self {
        self.ids.push(asset_id.into());
        self
    }

    /// Adds assets by id.
    pub fn ids<I, S>(mut self, asset_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.ids.extend(asset_ids.into_iter().map(Into::into));
        self
    }

    /// Downloads every asset of a stream as it arrives (a listing's
    /// `stream()`, say), after the assets and ids given. If the stream ends
    /// with an error, the assets it gave before are still downloaded and the
    /// error is in [`DownloadReport::listing_error`].
    pub fn stream<S>(mut self, assets: S) -> Self
    where
        S: futures::Stream<Item = Result<Asset>> + Send + 'static,
    {
        self.stream = Some(assets.boxed());
        self
    }

    /// How many files are fetched at once (default
    /// [`DEFAULT_DOWNLOAD_CONCURRENCY`]).
    pub fn concurrency(mut self, files: usize) -> Self {
        self.concurrency = files;
        self
    }

    /// Converts each file to `format` first (`POST /assets/{assetId}/download`
    /// with `targetFormat`); the files get the format as extension. The size of
    /// a converted file is not known in advance, so existing files are fetched
    /// again rather than skipped.
    pub fn format(mut self, format: DownloadTargetFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// How long one file may go without a byte arriving before its attempt
    /// is abandoned (and retried from where it stopped); default
    /// [`DEFAULT_DOWNLOAD_STALL_TIMEOUT`].
    pub fn stall_timeout(mut self, timeout: Duration) -> Self {
        self.stall_timeout = timeout;
        self
    }

    /// Called as bytes arrive (at most every 50 ms, or on 1% of the known total)
    /// and as each file ends; counts never go back.
    pub fn on_progress(mut self, f: impl Fn(&DownloadProgress) + Send + Sync + 'static) -> Self {
        self.on_progress = Some(Arc::new(f));
        self
    }

    /// Downloads the files. Fails only when the directory cannot be made or
    /// an option is invalid; what happened to each file is in the report.
    pub async fn send(self) -> Result<DownloadReport> {
        if self.concurrency == 0 {
            return Err(Error::InvalidInput(
                "concurrency must be at least 1 file at a time".into(),
            ));
        }
        if self.stall_timeout.is_zero() {
            return Err(Error::InvalidInput(
                "stall_timeout must be above zero: every transfer would time out".into(),
            ));
        }
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|source| Error::FileWrite {
                path: self.dir.clone(),
                source,
            })?;
        let span = tracing::info_span!("scenario_download", dir = %self.dir.display());
        self.run().instrument(span).await
    }

    async fn run(self) -> Result<DownloadReport> {
        let files_total =
            (self.stream.is_none()).then(|| self.assets.len() + unique(&self.ids).len());
        let counters = Counters::new(files_total);
        let job = Arc::new(Job {
            client: self.client.clone(),
            dir: self.dir,
            format: self.format,
            stall_timeout: self.stall_timeout,
            counters: counters.clone(),
        });
        let inputs = inputs(&self.client, self.assets, self.ids, self.stream);
        let mut seen = HashSet::new();
        let outcomes = inputs
            // The same asset twice would write one partial file from two tasks.
            .filter(move |input| {
                let fresh = match input {
                    Input::Asset(asset) => seen.insert(asset.id.clone()),
                    Input::Missing { .. } | Input::ListingFailed(_) => true,
                };
                futures::future::ready(fresh)
            })
            .map(|input| {
                let job = job.clone();
                async move { job.handle(input).await }
            })
            .buffer_unordered(self.concurrency);
        let report = progress::reporting(counters, self.on_progress, collect(outcomes)).await;
        tracing::info!(
            written = report.written.len(),
            skipped = report.skipped.len(),
            failed = report.failed.len(),
            "download finished"
        );
        Ok(report)
    }
}

impl IntoFuture for DownloadToDir {
    type Output = Result<DownloadReport>;
    type IntoFuture = BoxFuture<'static, Result<DownloadReport>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// What a download did, file by file.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct DownloadReport {
    /// Files written by this download.
    pub written: Vec<DownloadedFile>,
    /// Files that were already complete in the directory.
    pub skipped: Vec<DownloadedFile>,
    /// Assets whose file could not be downloaded, with why.
    pub failed: Vec<FailedDownload>,
    /// The error the stream of assets ended with, if it did: the assets it
    /// would have given after it were not downloaded.
    pub listing_error: Option<Error>,
}

impl DownloadReport {
    /// Every asset asked for is on disk: nothing failed and the stream of
    /// assets (if any) ended normally.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty() && self.listing_error.is_none()
    }

    /// The bytes this download wrote.
    pub fn bytes_written(&self) -> u64 {
        self.written.iter().map(|f| f.bytes).sum()
    }
}

/// A file in the directory.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadedFile {
    /// The asset.
    pub asset_id: String,
    /// Where its file is.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
}

/// An asset whose file could not be downloaded.
#[derive(Debug)]
#[non_exhaustive]
pub struct FailedDownload {
    /// The asset.
    pub asset_id: String,
    /// Why.
    pub error: Error,
}

/// What the downloader works through.
enum Input {
    Asset(Box<Asset>),
    /// An id the lookup did not find (or could not look up).
    Missing {
        asset_id: String,
        error: Error,
    },
    ListingFailed(Error),
}

/// What became of one input.
enum Done {
    Written(DownloadedFile),
    Skipped(DownloadedFile),
    Failed(FailedDownload),
    ListingFailed(Error),
}

fn unique(ids: &[String]) -> HashSet<&str> {
    ids.iter().map(String::as_str).collect()
}

/// The assets given, then the ids looked up in batches, then the stream (up
/// to its first error).
fn inputs(
    client: &Client,
    assets: Vec<Asset>,
    ids: Vec<String>,
    listing: Option<BoxStream<'static, Result<Asset>>>,
) -> BoxStream<'static, Input> {
    let given = stream::iter(assets.into_iter().map(|a| Input::Asset(Box::new(a))));
    let mut seen = HashSet::new();
    let ids: Vec<String> = ids
        .into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect();
    let batches: Vec<Vec<String>> = ids.chunks(LOOKUP_BATCH).map(<[String]>::to_vec).collect();
    let client = client.clone();
    let looked_up = stream::iter(batches)
        .then(move |batch| {
            let client = client.clone();
            async move { look_up(&client, batch).await }
        })
        .flat_map(stream::iter);
    let listed = match listing {
        None => stream::empty().boxed(),
        Some(listing) => listing
            .scan(false, |ended, item| {
                if *ended {
                    return futures::future::ready(None);
                }
                let input = match item {
                    Ok(asset) => Input::Asset(Box::new(asset)),
                    Err(error) => {
                        *ended = true;
                        Input::ListingFailed(error)
                    }
                };
                futures::future::ready(Some(input))
            })
            .boxed(),
    };
    given.chain(looked_up).chain(listed).boxed()
}

/// One `get-bulk` for a batch of ids, in their order; ids it does not answer
/// are missing.
async fn look_up(client: &Client, ids: Vec<String>) -> Vec<Input> {
    let body = AssetGetBulkRequest {
        asset_ids: ids.clone(),
        ..AssetGetBulkRequest::default()
    };
    let found = client
        .request(ops::GetAssetsBulk::new(body))
        .send()
        .await
        .map(|reply| reply.assets);
    match found {
        Ok(mut assets) => ids
            .into_iter()
            .map(|id| match assets.iter().position(|a| a.id == id) {
                Some(at) => Input::Asset(Box::new(assets.swap_remove(at))),
                None => Input::Missing {
                    error: Error::Download {
                        id: id.clone(),
                        url: String::new(),
                        status: None,
                        message: "the service does not know this asset (deleted, or a wrong id?)"
                            .into(),
                    },
                    asset_id: id,
                },
            })
            .collect(),
        Err(error) => {
            let message = format!("could not look the asset up: {error}");
            ids.into_iter()
                .map(|id| Input::Missing {
                    error: Error::Download {
                        id: id.clone(),
                        url: String::new(),
                        status: error.status(),
                        message: message.clone(),
                    },
                    asset_id: id,
                })
                .collect()
        }
    }
}

async fn collect(outcomes: impl futures::Stream<Item = Done>) -> DownloadReport {
    let mut report = DownloadReport::default();
    futures::pin_mut!(outcomes);
    while let Some(done) = outcomes.next().await {
        match done {
            Done::Written(file) => report.written.push(file),
            Done::Skipped(file) => report.skipped.push(file),
            Done::Failed(failed) => report.failed.push(failed),
            Done::ListingFailed(error) => report.listing_error = Some(error),
        }
    }
    report
}

/// What every file of one download shares.
struct Job {
    client: Client,
    dir: PathBuf,
    format: Option<DownloadTargetFormat>,
    stall_timeout: Duration,
    counters: Arc<Counters>,
}

impl Job {
    async fn handle(&self, input: Input) -> Done {
        let done = match input {
            Input::Asset(asset) => {
                let asset_id = asset.id.clone();
                self.file(*asset)
                    .instrument(
                        tracing::debug_span!("scenario_download_file", asset_id = %asset_id),
                    )
                    .await
                    .unwrap_or_else(|error| Done::Failed(FailedDownload { asset_id, error }))
            }
            Input::Missing { asset_id, error } => Done::Failed(FailedDownload { asset_id, error }),
            Input::ListingFailed(error) => Done::ListingFailed(error),
        };
        self.counters.finished(&done);
        done
    }

    /// The file of one asset, unless it is already there.
    async fn file(&self, asset: Asset) -> Result<Done> {
        let (url, extension, size) = match &self.format {
            None => {
                let extension = scenario_api::files::extension_for(&asset.mime_type)
                    .unwrap_or("bin")
                    .to_owned();
                (asset.url.clone(), extension, Some(asset.properties.size))
            }
            Some(format) => {
                let url = converted_url(&self.client, &asset.id, format).await?;
                (url, format.as_str().to_owned(), None)
            }
        };
        let path = self.dir.join(file_name(&asset.id, &extension)?);
        if let Some(size) = size {
            self.counters.expect(size);
            if file::file_len_now(&path).await == Some(size) {
                self.counters.skipped(size);
                return Ok(Done::Skipped(DownloadedFile {
                    asset_id: asset.id,
                    path,
                    bytes: size,
                }));
            }
        }
        let url = parse_url(&asset.id, &url)?;
        let refresh = self.refresher(&asset.id);
        let reached = AtomicU64::new(0);
        let counters = self.counters.clone();
        let on_bytes = move |n: u64| counters.received(n);
        let bytes = FileGet {
            client: &self.client,
            id: &asset.id,
            url,
            refresh,
            path: &path,
            declared: size,
            stall_timeout: self.stall_timeout,
            reached: &reached,
            on_bytes: &on_bytes,
        }
        .run()
        .await?;
        Ok(Done::Written(DownloadedFile {
            asset_id: asset.id,
            path,
            bytes,
        }))
    }

    /// How a refused URL is renewed: the asset's URL again, or a new conversion.
    fn refresher(&self, asset_id: &str) -> Refresh {
        let client = self.client.clone();
        let asset_id = asset_id.to_owned();
        let format = self.format.clone();
        Box::new(move || {
            let client = client.clone();
            let asset_id = asset_id.clone();
            let format = format.clone();
            Box::pin(async move {
                let url = match &format {
                    Some(format) => converted_url(&client, &asset_id, format).await?,
                    None => {
                        client
                            .request(ops::GetAsset::new(asset_id.clone()))
                            .send()
                            .await?
                            .asset
                            .url
                    }
                };
                parse_url(&asset_id, &url)
            })
        })
    }
}

/// The URL of the asset's file converted to `format`.
async fn converted_url(
    client: &Client,
    asset_id: &str,
    format: &DownloadTargetFormat,
) -> Result<String> {
    let body = AssetDownloadRequest {
        target_format: Some(format.clone()),
        ..AssetDownloadRequest::default()
    };
    Ok(client
        .request(ops::RequestAssetDownload::new(asset_id, body))
        .send()
        .await?
        .url)
}

fn parse_url(id: &str, url: &str) -> Result<Url> {
    let failed = |message: &str| Error::Download {
        id: id.to_owned(),
        url: String::new(),
        status: None,
        message: message.to_owned(),
    };
    if url.is_empty() {
        return Err(failed("the service gave no URL for its file"));
    }
    let parsed =
        Url::parse(url).map_err(|_| failed("the service gave a URL that does not parse"))?;
    match parsed.scheme() {
        "https" | "http" => Ok(parsed),
        _ => Err(failed("the service gave a URL that is not http(s)")),
    }
}

/// `<id>.<extension>`, refusing ids and extensions that are not plain names: a
/// name from the network must not reach outside the directory.
fn file_name(id: &str, extension: &str) -> Result<String> {
    let plain = |s: &str| {
        !s.is_empty()
            && s.len() <= 200
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if !plain(id) || !plain(extension) {
        return Err(Error::Download {
            id: id.chars().take(100).collect(),
            url: String::new(),
            status: None,
            message: "the asset id or its format cannot be used as a file name \
                      (only letters, digits, - and _ are)"
                .into(),
        });
    }
    Ok(format!("{id}.{extension}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_never_leave_the_directory() {
        assert_eq!(file_name("asset_1-a", "png").unwrap(), "asset_1-a.png");
        for id in ["../etc/passwd", "a/b", "", "a.b", "..", "a\\b", "\u{202e}x"] {
            assert!(file_name(id, "png").is_err(), "{id:?}");
        }
        assert!(file_name("asset_1", "png/../x").is_err());
    }

    #[test]
    fn only_http_urls_are_fetched() {
        assert!(parse_url("a", "https://cdn.example/x.png").is_ok());
        assert!(parse_url("a", "file:///etc/passwd").is_err());
        assert!(parse_url("a", "").is_err());
    }

    #[test]
    fn builders_are_send_and_static() {
        fn assert_send_static<T: Send + 'static>(_: &T) {}
        let client = Client::builder()
            .api_key("k")
            .api_secret("s")
            .build()
            .unwrap();
        assert_send_static(&client.downloads().to_dir("out").send());
        assert_send_static(&client.downloads().archive(["a"]).to_file("a.zip").send());
    }
}
