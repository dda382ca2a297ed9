//! Uploads and imports: `client.uploads()`.
//!
//! A file goes to the service in three steps: `POST /uploads` announces it and
//! returns one presigned storage URL per part, each part is `PUT` to its URL,
//! then `POST /uploads/{id}/action {"action": "complete"}` hands it over for
//! validation. [`Uploads::upload_file`] (and its siblings for bytes and readers)
//! does all three, with parallel parts, per-part retries and progress;
//! [`Uploads::create`], [`Uploads::get`] and [`Uploads::complete`] are the single
//! steps for callers who drive the flow themselves.

mod builder;
mod import;
mod multipart;
mod plan;
pub(crate) mod progress;
mod source;
mod wait;

use std::path::Path;

use scenario_api::ops;
use scenario_api::types::{
    Upload, UploadAction, UploadCreateRequest, UploadKind, UploadStatus, UploadTriggerActionRequest,
};
use tokio::io::AsyncRead;

use crate::attempt::RetryClass;
use crate::error::{Error, Result};
use crate::handle::Client;

#[cfg(feature = "models")]
pub(crate) use builder::BeforeComplete;
pub use builder::UploadBuilder;
pub use import::ImportBuilder;
pub use progress::{Progress, UploadPhase};
pub use wait::{
    DEFAULT_UPLOAD_WAIT_INTERVAL, DEFAULT_UPLOAD_WAIT_MAX_INTERVAL, DEFAULT_UPLOAD_WAIT_TIMEOUT,
    WaitUntilReady,
};

use source::Source;

/// Uploads and imports: `client.uploads()`.
///
/// ```no_run
/// # async fn run(client: scenario_sdk::Client) -> scenario_sdk::Result<()> {
/// use scenario_sdk::types::UploadKind;
///
/// let upload = client
///     .uploads()
///     .upload_file("textures/brick.png", UploadKind::Image)
///     .collection("col_walls")
///     .on_progress(|p| eprintln!("{}/{} bytes", p.bytes_sent, p.bytes_total))
///     .wait(true)
///     .await?;
/// println!("asset {}", upload.entity_id.unwrap_or_default());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Uploads {
    client: Client,
}

impl Uploads {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Creates an upload as given (`POST /uploads`), without sending any bytes.
    ///
    /// For a multipart upload the returned upload carries one presigned URL per
    /// part; [`Self::upload_file`] does the whole flow instead.
    ///
    /// A create is not sent again after an answer that may mean it acted (a
    /// 5xx, a connection broken after the request went out): that could create
    /// a second upload. Such an error says an upload may exist; one that is
    /// never completed is harmless.
    pub async fn create(&self, request: UploadCreateRequest) -> Result<Upload> {
        let op = ops::CreateUpload::new(request);
        match self.client.request(op).send().await {
            Ok(created) => Ok(created.upload),
            Err(Error::Api {
                status,
                mut message,
                request_id,
                body,
            }) if status.is_server_error() => {
                message.push_str(MAY_EXIST);
                Err(Error::Api {
                    status,
                    message,
                    request_id,
                    body,
                })
            }
            Err(err) => Err(err),
        }
    }

    /// The upload with this id (`GET /uploads/{id}`). While it is pending, its
    /// part URLs are freshly signed.
    pub async fn get(&self, upload_id: &str) -> Result<Upload> {
        check_id(upload_id)?;
        let op = ops::GetUpload::new(upload_id);
        Ok(self.client.request(op).send().await?.upload)
    }

    /// Tells the service that every part has been sent, which starts validation
    /// (`POST /uploads/{id}/action`, action `complete`).
    ///
    /// Completing is retried like a read: if an attempt completed the upload but
    /// its answer was lost, the next attempt is refused (the upload is no longer
    /// pending), and the SDK then reads the upload: one that is complete,
    /// validating, validated or imported is the success it is.
    pub async fn complete(&self, upload_id: &str) -> Result<Upload> {
        check_id(upload_id)?;
        let body = UploadTriggerActionRequest::new(UploadAction::Complete);
        let op = ops::TriggerUploadAction::new(upload_id, body);
        let (result, attempts) = self
            .client
            .request(op)
            .retry_class(RetryClass::Idempotent)
            .send_counting()
            .await;
        match result {
            Ok(reply) => Ok(reply.value.upload),
            // Whatever the last attempt met (a refusal because an earlier one
            // completed it, or a fault after that), the upload's state decides.
            Err(err) if attempts > 1 => {
                let Ok(upload) = self.get(upload_id).await else {
                    return Err(err);
                };
                let done = matches!(
                    upload.status,
                    UploadStatus::Complete
                        | UploadStatus::Validating
                        | UploadStatus::Validated
                        | UploadStatus::Imported
                );
                if done {
                    tracing::info!(
                        upload_id,
                        status = %upload.status,
                        "a retried complete was refused, but an earlier attempt had completed the upload"
                    );
                    Ok(upload)
                } else {
                    Err(err)
                }
            }
            Err(err) => Err(err),
        }
    }

    /// Polls the upload until the service is done with it: set a timeout and a
    /// polling interval on the returned value, then `.await` it.
    ///
    /// It resolves to the upload once it is `complete` or `imported` or names
    /// what it created (`entity_id`), to [`Error::WorkFailed`] with the
    /// server's message if it `failed`, and to [`Error::WaitTimeout`] when the
    /// timeout (300 s by default) passes first.
    ///
    /// ```no_run
    /// # async fn run(client: scenario_sdk::Client) -> scenario_sdk::Result<()> {
    /// use std::time::Duration;
    ///
    /// let upload = client
    ///     .uploads()
    ///     .wait_until_ready("upload_abc")
    ///     .timeout(Duration::from_secs(60))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn wait_until_ready(&self, upload_id: impl Into<String>) -> WaitUntilReady {
        WaitUntilReady::new(self.clone(), upload_id.into())
    }

    /// Uploads a local file: its name becomes the upload's `fileName` and the
    /// content type is guessed from it (both can be overridden on the builder).
    ///
    /// The file is streamed from disk part by part, never read whole. Nothing is
    /// sent until the builder is sent or awaited.
    pub fn upload_file(&self, path: impl AsRef<Path>, kind: UploadKind) -> UploadBuilder {
        UploadBuilder::new(
            self.client.clone(),
            Source::File(path.as_ref().to_path_buf()),
            kind,
        )
    }

    /// Uploads bytes already in memory, under `file_name` (which also gives the
    /// content type). The parts are slices of `bytes`: nothing is copied.
    pub fn upload_bytes(
        &self,
        bytes: impl Into<bytes::Bytes>,
        file_name: impl Into<String>,
        kind: UploadKind,
    ) -> UploadBuilder {
        UploadBuilder::new(self.client.clone(), Source::Bytes(bytes.into()), kind)
            .file_name(file_name)
    }

    /// Uploads exactly `len` bytes read from `reader`, under `file_name`.
    ///
    /// The service needs the size up front, hence `len`. The reader is read
    /// sequentially, one part at a time, into at most `concurrency` part-sized
    /// buffers; bytes after the first `len` are not read. A reader that ends
    /// before `len` bytes fails the upload, which is then not completed.
    pub fn upload_reader<R>(
        &self,
        reader: R,
        len: u64,
        file_name: impl Into<String>,
        kind: UploadKind,
    ) -> UploadBuilder
    where
        R: AsyncRead + Send + Unpin + 'static,
    {
        let source = Source::Reader {
            reader: Box::new(reader),
            len,
        };
        UploadBuilder::new(self.client.clone(), source, kind).file_name(file_name)
    }

    /// Has the service download a file from `url` (it must be reachable from
    /// the service) and turn it into `kind`.
    pub fn import_url(&self, url: impl Into<String>, kind: UploadKind) -> ImportBuilder {
        ImportBuilder::url(self.clone(), url.into(), kind)
    }

    /// Imports a model from huggingface.co by its name, such as
    /// `stabilityai/stable-diffusion-xl-base-1.0`.
    pub fn import_hugging_face(&self, model_name: impl Into<String>) -> ImportBuilder {
        ImportBuilder::hugging_face(self.clone(), model_name.into())
    }

    /// Imports a model from civitai.com by the URL of its page, such as
    /// `https://civitai.com/models/370194/some-model?modelVersionId=413566`.
    pub fn import_civitai(&self, model_url: impl Into<String>) -> ImportBuilder {
        ImportBuilder::civitai(self.clone(), model_url.into())
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }
}

/// What a failed create may have left behind, and why it is not tried again.
const MAY_EXIST: &str = "; an upload may have been created all the same: the request was not \
     sent again, as that could create a second one. An upload that is never completed is \
     harmless (the service discards it)";

/// An empty id would turn `/uploads/{id}` into `/uploads/`, another endpoint.
fn check_id(upload_id: &str) -> Result<()> {
    if upload_id.trim().is_empty() {
        return Err(Error::InvalidInput("the upload id is empty".into()));
    }
    Ok(())
}

/// The asset options to send: none at all when nothing was set, so that kinds
/// that produce no asset (models) are not sent an empty object.
fn asset_options(
    options: scenario_api::types::AssetOptions,
) -> Option<scenario_api::types::AssetOptions> {
    let empty =
        options.collection_ids.is_empty() && options.hide.is_none() && options.parent_id.is_none();
    (!empty).then_some(options)
}
