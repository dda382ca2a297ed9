//! Imports: the service fetches the content itself, from a URL, Hugging Face
//! or Civitai, and the upload ends `imported`.

use std::future::IntoFuture;
use std::time::Duration;

use futures::future::BoxFuture;
use scenario_api::types::{AssetOptions, Upload, UploadCreateRequest, UploadKind};

use super::wait::{self, UPLOAD_PACE};
use super::{Uploads, asset_options};
use crate::error::{Error, Result};
use crate::poll::Pace;

/// Where an import comes from.
#[derive(Clone, Debug)]
enum Origin {
    Url { url: String, kind: UploadKind },
    HuggingFace { model_name: String },
    Civitai { model_url: String },
}

/// An import to start: [`Uploads::import_url`], [`Uploads::import_hugging_face`]
/// or [`Uploads::import_civitai`]. Adjust it, then `.await` it (or call
/// [`Self::send`]).
///
/// ```no_run
/// # async fn run(client: scenario_sdk::Client) -> scenario_sdk::Result<()> {
/// let upload = client
///     .uploads()
///     .import_hugging_face("stabilityai/stable-diffusion-xl-base-1.0")
///     .wait(true)
///     .await?;
/// println!("model {}", upload.entity_id.unwrap_or_default());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use = "an import does nothing until you .await it or call send()"]
pub struct ImportBuilder {
    uploads: Uploads,
    origin: Origin,
    asset_options: AssetOptions,
    wait: bool,
    wait_settings: Pace,
}

impl ImportBuilder {
    fn new(uploads: Uploads, origin: Origin) -> Self {
        Self {
            uploads,
            origin,
            asset_options: AssetOptions::default(),
            wait: false,
            wait_settings: UPLOAD_PACE,
        }
    }

    pub(crate) fn url(uploads: Uploads, url: String, kind: UploadKind) -> Self {
        Self::new(uploads, Origin::Url { url, kind })
    }

    pub(crate) fn hugging_face(uploads: Uploads, model_name: String) -> Self {
        Self::new(uploads, Origin::HuggingFace { model_name })
    }

    pub(crate) fn civitai(uploads: Uploads, model_url: String) -> Self {
        Self::new(uploads, Origin::Civitai { model_url })
    }

    /// Adds the resulting asset to this collection (call again for more).
    /// Asset options do not apply to models.
    pub fn collection(mut self, collection_id: impl Into<String>) -> Self {
        self.asset_options.collection_ids.push(collection_id.into());
        self
    }

    /// Makes the resulting asset a child of this asset.
    pub fn parent(mut self, parent_asset_id: impl Into<String>) -> Self {
        self.asset_options.parent_id = Some(parent_asset_id.into());
        self
    }

    /// Hides the resulting asset from the user.
    pub fn hide(mut self, hide: bool) -> Self {
        self.asset_options.hide = Some(hide);
        self
    }

    /// Waits until the service has imported the content, like
    /// [`Uploads::wait_until_ready`]. Off by default: the import is returned
    /// as soon as the service has accepted it.
    pub fn wait(mut self, wait: bool) -> Self {
        self.wait = wait;
        self
    }

    /// How long [`Self::wait`] waits (300 s by default; zero is refused with
    /// [`Error::InvalidInput`], as the wait could only time out).
    pub fn wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_settings.timeout = timeout;
        self
    }

    /// The first pause between two polls of [`Self::wait`] (1 s by default);
    /// later pauses are a tenth of the time waited so far, up to 10 s (see
    /// [`crate::Pace::pause_after`]).
    pub fn wait_interval(mut self, interval: Duration) -> Self {
        self.wait_settings.interval = interval;
        self
    }

    /// Starts the import; the same as `.await`.
    pub async fn send(self) -> Result<Upload> {
        if self.wait {
            self.wait_settings.check_before_starting("the import")?;
        }
        let mut request = UploadCreateRequest {
            asset_options: asset_options(self.asset_options),
            ..UploadCreateRequest::default()
        };
        match self.origin {
            Origin::Url { url, kind } => {
                request.url = Some(http_url("the URL to import", url)?);
                request.kind = Some(kind);
            }
            Origin::HuggingFace { model_name } => {
                let model_name = model_name.trim();
                if model_name.is_empty() {
                    return Err(Error::InvalidInput(
                        "the Hugging Face model name is empty; it looks like \
                         stabilityai/stable-diffusion-xl-base-1.0"
                            .into(),
                    ));
                }
                request.hugging_face_model_name = Some(model_name.to_owned());
            }
            Origin::Civitai { model_url } => {
                request.civitai_model_url = Some(http_url("the Civitai model URL", model_url)?);
            }
        }
        let upload = self.uploads.create(request).await?;
        tracing::debug!(upload_id = %upload.id, status = %upload.status, "import created");
        if !self.wait {
            return match wait::settled(&upload.id, &upload) {
                Some(Err(failed @ Error::WorkFailed { .. })) => Err(failed),
                _ => Ok(upload),
            };
        }
        let id = upload.id.clone();
        wait::wait(&self.uploads, &id, self.wait_settings, Some(upload)).await
    }
}

impl IntoFuture for ImportBuilder {
    type Output = Result<Upload>;
    type IntoFuture = BoxFuture<'static, Result<Upload>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// `url`, trimmed, if it is an absolute http(s) URL: the service can fetch nothing else.
fn http_url(what: &str, url: String) -> Result<String> {
    let url = url.trim();
    match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(url.to_owned()),
        _ => Err(Error::InvalidInput(format!(
            "{what} {url:?} is not an absolute http(s) URL"
        ))),
    }
}
