//! Archives: the service zips many assets in a job (`POST /assets/download`);
//! the SDK waits for the job, then streams the archive to a file like any
//! other download (resumable, renamed into place once whole).

use std::future::IntoFuture;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use futures::future::BoxFuture;
use scenario_api::ops;
use scenario_api::types::{AssetsDownloadOptions, AssetsDownloadQuery, AssetsDownloadRequest};

use super::file::{FileGet, Refresh};
use super::{DEFAULT_DOWNLOAD_STALL_TIMEOUT, parse_url};
use crate::error::{Error, Result};
use crate::handle::Client;
use crate::jobs::DEFAULT_JOB_TIMEOUT;

/// How files are named inside the archive unless told otherwise: by asset id.
const DEFAULT_FILE_NAME_TEMPLATE: &str = "<id>";

/// An archive of assets to make and download: built by
/// [`Downloads::archive`](super::Downloads::archive), run by `.await`.
///
/// ```no_run
/// # async fn run(client: scenario_sdk::Client) -> scenario_sdk::Result<()> {
/// let archive = client
///     .downloads()
///     .archive(["asset_a", "asset_b"])
///     .to_file("assets.zip")
///     .await?;
/// println!("{} bytes in {}", archive.bytes, archive.path.display());
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "an archive download does nothing until it is awaited"]
pub struct ArchiveDownload {
    client: Client,
    asset_ids: Vec<String>,
    path: Option<PathBuf>,
    file_name_template: String,
    timeout: Duration,
    stall_timeout: Duration,
}

/// A downloaded archive.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Archive {
    /// The job that made it.
    pub job_id: String,
    /// Where it is.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
}

impl ArchiveDownload {
    pub(crate) fn new(client: Client, asset_ids: Vec<String>) -> Self {
        Self {
            client,
            asset_ids,
            path: None,
            file_name_template: DEFAULT_FILE_NAME_TEMPLATE.to_owned(),
            timeout: DEFAULT_JOB_TIMEOUT,
            stall_timeout: DEFAULT_DOWNLOAD_STALL_TIMEOUT,
        }
    }

    /// Where the archive goes (required).
    pub fn to_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// How files are named in the archive (`fileNameTemplate`, default `<id>`).
    pub fn file_name_template(mut self, template: impl Into<String>) -> Self {
        self.file_name_template = template.into();
        self
    }

    /// How long to wait for the archive job (default [`DEFAULT_JOB_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long the transfer may go without a byte arriving before its
    /// attempt is abandoned and resumed.
    pub fn stall_timeout(mut self, timeout: Duration) -> Self {
        self.stall_timeout = timeout;
        self
    }

    /// Starts the archive job, waits for it and downloads the archive.
    pub async fn send(self) -> Result<Archive> {
        let Some(path) = self.path.clone() else {
            return Err(Error::InvalidInput(
                "an archive needs a file to go to: call to_file(path)".into(),
            ));
        };
        if self.asset_ids.is_empty() {
            return Err(Error::InvalidInput(
                "an archive needs at least one asset id".into(),
            ));
        }
        if self.stall_timeout.is_zero() {
            return Err(Error::InvalidInput(
                "stall_timeout must be above zero: every transfer would time out".into(),
            ));
        }
        let body = AssetsDownloadRequest::new(
            AssetsDownloadOptions::new(self.file_name_template),
            AssetsDownloadQuery::new(self.asset_ids, Vec::<String>::new(), Vec::<String>::new()),
        );
        let started = self
            .client
            .request(ops::RequestAssetsDownload::new(body))
            .send()
            .await?;
        let job_id = started.job_id;
        self.client
            .jobs()
            .wait(job_id.clone())
            .timeout(self.timeout)
            .send()
            .await?;
        let url = archive_url(&self.client, &job_id).await?;
        let refresh: Refresh = {
            let client = self.client.clone();
            let job_id = job_id.clone();
            Box::new(move || {
                let client = client.clone();
                let job_id = job_id.clone();
                Box::pin(async move { archive_url(&client, &job_id).await })
            })
        };
        let reached = AtomicU64::new(0);
        let bytes = FileGet {
            client: &self.client,
            id: &job_id,
            url,
            refresh,
            path: &path,
            declared: None,
            stall_timeout: self.stall_timeout,
            reached: &reached,
            on_bytes: &|_| {},
        }
        .run()
        .await?;
        Ok(Archive {
            job_id,
            path,
            bytes,
        })
    }
}

impl IntoFuture for ArchiveDownload {
    type Output = Result<Archive>;
    type IntoFuture = BoxFuture<'static, Result<Archive>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// The archive's URL, once its job succeeded.
async fn archive_url(client: &Client, job_id: &str) -> Result<reqwest::Url> {
    let status = client
        .request(ops::GetAssetsDownload::new(job_id))
        .send()
        .await?;
    let Some(url) = status.download_url.filter(|url| !url.is_empty()) else {
        return Err(Error::Download {
            id: job_id.to_owned(),
            url: String::new(),
            status: None,
            message: format!(
                "the archive job is {} but the service gives no download URL yet",
                status.job_status
            ),
        });
    };
    parse_url(job_id, &url)
}
