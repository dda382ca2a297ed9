//! [`Models::train_from_dir`]: a folder of images to a trained model, resumable.

use std::collections::BTreeSet;
use std::future::IntoFuture;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{StreamExt, stream};
use scenario_api::ops;
use scenario_api::types::{
    DryRun, Model, ModelCreateRequest, ModelStatus, ModelTrainRequest, ModelTrainResponse,
    ModelTrainingImageRequest, ModelType, Upload, UploadKind, UploadStatus,
};
use tracing::Instrument;

use super::Models;
use super::state::{ImageFile, PendingUpload, RunLock, TrainState, image_files, state_path};
use super::wait::{TRAINING_PACE, WaitForModel};
use crate::error::{Error, ErrorKind, Result, Work};
use crate::poll::Pace;
use crate::uploads::{BeforeComplete, Uploads};

/// Image files uploaded at once by default.
const DEFAULT_FILES_AT_ONCE: usize = 4;

/// Where a [`TrainFromDir`] is, for [`TrainFromDir::on_progress`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum TrainProgress {
    /// Image files uploaded (those an earlier run uploaded count as done).
    Uploading {
        /// Files uploaded so far.
        done: usize,
        /// Files to have uploaded.
        total: usize,
    },
    /// Uploaded images added to the model's training images.
    AddingImages {
        /// Images added so far.
        done: usize,
        /// Images to add.
        total: usize,
    },
    /// The training started (or an earlier run had started it).
    Started {
        /// The model.
        model_id: String,
        /// Its training job, when this run started it.
        job_id: Option<String>,
    },
    /// The model's status and its training progress (0 to 1), whenever either changes.
    Training {
        /// The model's status.
        status: ModelStatus,
        /// The training progress, never going back.
        progress: f64,
    },
}

/// What [`TrainFromDir`] did.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Training {
    /// The model: trained when the run waited, else as the service left it.
    pub model: Model,
    /// Image files this run uploaded.
    pub uploaded: usize,
    /// Image files an earlier run had uploaded.
    pub reused: usize,
    /// Training images this run added to the model.
    pub images_added: usize,
    /// The training job, when this run started the training.
    pub job_id: Option<String>,
    /// The service's estimate of the training's cost, with
    /// [`TrainFromDir::dry_run`] (nothing was trained).
    pub estimate: Option<ModelTrainResponse>,
    /// The file the run's progress is kept in ([`super::STATE_FILE`]).
    pub state_file: PathBuf,
}

/// What a run did so far.
struct Progress {
    uploaded: usize,
    reused: usize,
    images_added: usize,
    job_id: Option<String>,
}

impl Progress {
    fn into_training(
        self,
        model: Model,
        estimate: Option<ModelTrainResponse>,
        dir: &std::path::Path,
    ) -> Training {
        Training {
            model,
            uploaded: self.uploaded,
            reused: self.reused,
            images_added: self.images_added,
            job_id: self.job_id,
            estimate,
            state_file: state_path(dir),
        }
    }
}

type ProgressFn = Arc<dyn Fn(&TrainProgress) + Send + Sync>;
type MapCreate = Box<dyn FnOnce(ModelCreateRequest) -> ModelCreateRequest + Send + Sync>;

/// Training a model from a directory of images: [`Models::train_from_dir`].
///
/// Every image file of the directory (by its extension; hidden files are left
/// out) is uploaded, a model is created, the images are added to its training
/// images (at most `ModelTrainingImageRequest::ASSET_IDS_MAX_ITEMS` per call),
/// the training starts, and the run waits for the model to be trained.
///
/// **Resuming.** The run keeps its progress in [`super::STATE_FILE`] beside the
/// images, saved after each step. Run again, it reads the model it created from
/// the service and goes on: a trained model is answered at once, a training
/// one is waited for, and otherwise only what is missing is done (images not
/// uploaded yet, images not added yet), then the training starts. Each
/// upload is recorded before it is completed, so an image whose upload was
/// completed by a run that stopped (killed, or its wait failed) is found by
/// the next run, not uploaded twice. [`Self::fresh`] starts over.
///
/// **One run at a time.** A run holds a lock on the directory
/// (`.scenario-training.lock`, left in place) from start to end; a second
/// run in the same directory is refused at once with [`Error::Locked`],
/// which names the process that holds it.
///
/// An image file that changed or went away after it was added to the
/// model's training images is refused (the model would train on the old
/// one): restore it, or start over.
#[must_use = "nothing is trained until you .await it"]
pub struct TrainFromDir {
    models: Models,
    dir: PathBuf,
    model_type: ModelType,
    name: Option<String>,
    map_create: Option<MapCreate>,
    train_request: ModelTrainRequest,
    files_at_once: usize,
    fresh: bool,
    dry_run: bool,
    wait: bool,
    settings: Pace,
    on_progress: Option<ProgressFn>,
}

impl std::fmt::Debug for TrainFromDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrainFromDir")
            .field("dir", &self.dir)
            .field("model_type", &self.model_type)
            .field("name", &self.name)
            .field("files_at_once", &self.files_at_once)
            .field("fresh", &self.fresh)
            .field("dry_run", &self.dry_run)
            .field("wait", &self.wait)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl TrainFromDir {
    pub(crate) fn new(models: Models, dir: PathBuf, model_type: ModelType) -> Self {
        Self {
            models,
            dir,
            model_type,
            name: None,
            map_create: None,
            train_request: ModelTrainRequest::default(),
            files_at_once: DEFAULT_FILES_AT_ONCE,
            fresh: false,
            dry_run: false,
            wait: true,
            settings: TRAINING_PACE,
            on_progress: None,
        }
    }

    /// The model's name (by default, the directory's name).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Edits the model's creation request (a description, a base model,
    /// collections, ...); the name and type are already set in it.
    pub fn map_create(
        mut self,
        f: impl FnOnce(ModelCreateRequest) -> ModelCreateRequest + Send + Sync + 'static,
    ) -> Self {
        self.map_create = Some(Box::new(f));
        self
    }

    /// The training request (its parameters); empty by default, which trains
    /// with the service's defaults for the model type.
    pub fn train_request(mut self, request: ModelTrainRequest) -> Self {
        self.train_request = request;
        self
    }

    /// How many image files are uploaded at once (4 by default).
    pub fn concurrency(mut self, files: usize) -> Self {
        self.files_at_once = files;
        self
    }

    /// Ignores what an earlier run in the same directory did and starts over
    /// (a new model; every image uploaded again). Off by default.
    pub fn fresh(mut self, fresh: bool) -> Self {
        self.fresh = fresh;
        self
    }

    /// Prepares everything (uploads, model, training images) but asks the
    /// service only for the cost of the training ([`Training::estimate`]);
    /// a run without it later starts the training. Off by default.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Whether to wait for the training to end (on by default); without it the
    /// run ends once the training has started.
    pub fn wait(mut self, wait: bool) -> Self {
        self.wait = wait;
        self
    }

    /// How long to wait for the training (2 hours by default); see
    /// [`WaitForModel::timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// The first pause between two polls of the training (5 s by default).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.settings.interval = interval;
        self
    }

    /// The longest pause between two polls of the training (30 s by default).
    pub fn max_interval(mut self, max_interval: Duration) -> Self {
        self.settings.max_interval = max_interval;
        self
    }

    /// Called as the run goes: uploads, training images, the start of the
    /// training, and the training's progress.
    pub fn on_progress(
        mut self,
        callback: impl Fn(&TrainProgress) + Send + Sync + 'static,
    ) -> Self {
        self.on_progress = Some(Arc::new(callback));
        self
    }

    fn report(&self, progress: TrainProgress) {
        if let Some(callback) = &self.on_progress {
            callback(&progress);
        }
    }

    /// Runs it; the same as `.await`.
    pub async fn send(self) -> Result<Training> {
        if self.files_at_once == 0 {
            return Err(Error::InvalidInput(
                "concurrency must be at least 1 (image files uploaded at once)".into(),
            ));
        }
        if self.wait && !self.dry_run {
            self.settings.check_before_starting("the training")?;
        }
        let span = tracing::info_span!("scenario_train_from_dir", dir = %self.dir.display());
        self.run().instrument(span).await
    }

    async fn run(mut self) -> Result<Training> {
        let files = image_files(&self.dir).await?;
        if files.is_empty() {
            return Err(Error::InvalidInput(format!(
                "{} has no image files (found by their extension: .png, .jpg, .webp, ...)",
                self.dir.display()
            )));
        }
        // Held to the end of the run: a second run here is refused at once.
        let _lock = RunLock::take(&self.dir).await?;
        let mut state = if self.fresh {
            TrainState::new()
        } else {
            TrainState::load(&self.dir).await?
        };
        let mut training = Progress {
            uploaded: 0,
            reused: 0,
            images_added: 0,
            job_id: None,
        };

        // The service decides where the model is.
        let mut model = self.known_model(&mut state).await?;
        if let Some(found) = &model {
            match found.status {
                ModelStatus::Trained => {
                    training.reused = files.len();
                    return Ok(training.into_training(found.clone(), None, &self.dir));
                }
                ModelStatus::Training => {
                    self.report(TrainProgress::Started {
                        model_id: found.id.clone(),
                        job_id: None,
                    });
                    training.reused = files.len();
                    return self.finish(training, found.clone()).await;
                }
                _ => {}
            }
        }
        check_unchanged(&files, &state, model.as_ref())?;

        self.upload(&files, &mut state, &mut training).await?;

        let model_now = match model.take() {
            Some(model) => model,
            None => {
                let map = self.map_create.take();
                self.create(&mut state, map).await?
            }
        };
        self.add_images(&files, &model_now.id, &mut state, &mut training)
            .await?;

        if self.dry_run {
            let estimate = self
                .models
                .client()
                .request(ops::TrainModel::new(
                    &model_now.id,
                    self.train_request.clone(),
                ))
                .dry_run(DryRun::True)
                .send()
                .await?;
            return Ok(training.into_training(model_now, Some(estimate), &self.dir));
        }
        let started = self
            .models
            .client()
            .request(ops::TrainModel::new(
                &model_now.id,
                std::mem::take(&mut self.train_request),
            ))
            .send()
            .await?;
        training.job_id = Some(started.job.job_id.clone());
        self.report(TrainProgress::Started {
            model_id: model_now.id.clone(),
            job_id: training.job_id.clone(),
        });
        self.finish(training, started.model).await
    }

    /// The model an earlier run created, as the service has it now (`None`
    /// when there is none, or it was deleted since: a new one is made).
    async fn known_model(&self, state: &mut TrainState) -> Result<Option<Model>> {
        let Some(id) = state.model_id.clone() else {
            return Ok(None);
        };
        if let Some(earlier) = &state.model_type
            && *earlier != self.model_type
        {
            return Err(Error::InvalidInput(format!(
                "{} was prepared for model {id} of type {earlier}, not {}; train that type, \
                 or start over with fresh(true) (--fresh)",
                self.dir.display(),
                self.model_type
            )));
        }
        match self.models.get(&id).await {
            Ok(model) => Ok(Some(model)),
            Err(err) if err.is_not_found() => {
                tracing::info!(model_id = %id, "the model of an earlier run is gone; making a new one");
                state.model_id = None;
                state.added.clear();
                state.save(&self.dir).await?;
                Ok(None)
            }
            Err(err) => Err(err),
        }
    }

    /// Uploads the files no earlier run uploaded as they are now; records each
    /// as it completes. One failed upload does not stop the others; the first
    /// error is answered once they are all done (and recorded).
    ///
    /// An upload is recorded as pending before its completion is asked for:
    /// a run that stopped after that point (killed, or a poll that failed)
    /// left an upload that may have made its asset, and the next run looks it
    /// up ([`Self::resume_pending`]) instead of uploading the file again.
    async fn upload(
        &self,
        files: &[ImageFile],
        state: &mut TrainState,
        training: &mut Progress,
    ) -> Result<()> {
        let total = files.len();
        let mut first_error = None;
        // Files whose earlier upload could not be looked up: uploading them
        // again could make a second asset.
        let unresolved = self.resume_pending(files, state, &mut first_error).await?;
        let pending: Vec<ImageFile> = files
            .iter()
            .filter(|file| !state.files.get(&file.name).is_some_and(|r| file.matches(r)))
            .filter(|file| !unresolved.contains(&file.name))
            .cloned()
            .collect();
        let recorded = files
            .iter()
            .filter(|file| state.files.get(&file.name).is_some_and(|r| file.matches(r)))
            .count();
        training.reused = recorded;
        let mut done = recorded;
        self.report(TrainProgress::Uploading { done, total });
        // Saves come from the uploads' hooks and from this loop: one state,
        // one writer at a time, in order.
        let shared = Arc::new(tokio::sync::Mutex::new(std::mem::take(state)));
        let uploads = self.models.client().uploads();
        // Each upload records its own outcome: every wait for the state's lock
        // is inside the futures the stream polls, never in this loop's body,
        // which would stop polling the upload that holds it.
        let sends: Vec<_> = pending
            .into_iter()
            .map(|file| {
                let upload = uploads
                    .upload_file(&file.path, UploadKind::Image)
                    .wait(true)
                    .before_complete(record_pending(&shared, &self.dir, &file));
                let shared = shared.clone();
                let dir = self.dir.clone();
                async move {
                    let recorded = async {
                        let asset_id = upload.send().await.and_then(|u| asset_of(&u))?;
                        let mut state = shared.lock().await;
                        state.pending.remove(&file.name);
                        state.files.insert(file.name.clone(), file.record(asset_id));
                        state.save(&dir).await
                    };
                    let outcome = recorded.await;
                    (file.name, outcome)
                }
            })
            .collect();
        let mut results = stream::iter(sends).buffer_unordered(self.files_at_once);
        while let Some((name, outcome)) = results.next().await {
            match outcome {
                Ok(()) => {
                    training.uploaded += 1;
                    done += 1;
                    self.report(TrainProgress::Uploading { done, total });
                }
                Err(err) => {
                    tracing::warn!(file = %name, error = %err, "upload failed");
                    first_error.get_or_insert(err);
                }
            }
        }
        drop(results);
        *state = shared.lock().await.clone();
        first_error.map_or(Ok(()), Err)
    }

    /// Looks up the uploads an earlier run asked to complete without
    /// recording their assets: a finished one is recorded (its file is not
    /// uploaded again), one that never completed or failed is forgotten (the
    /// file is uploaded again). Answers the files whose upload could not be
    /// looked up; their first error goes to `first_error`.
    async fn resume_pending(
        &self,
        files: &[ImageFile],
        state: &mut TrainState,
        first_error: &mut Option<Error>,
    ) -> Result<BTreeSet<String>> {
        let mut unresolved = BTreeSet::new();
        if state.pending.is_empty() {
            return Ok(unresolved);
        }
        let earlier = std::mem::take(&mut state.pending);
        let uploads = self.models.client().uploads();
        let mut lookups = Vec::new();
        for (name, pending) in earlier {
            // A file changed or gone since: its upload is of content no longer there.
            let Some(file) = files
                .iter()
                .find(|file| file.name == name && file.matches_pending(&pending))
                .cloned()
            else {
                continue;
            };
            let uploads = uploads.clone();
            lookups.push(async move {
                let found = earlier_asset(&uploads, &pending.upload_id).await;
                (file, pending, found)
            });
        }
        let mut results = stream::iter(lookups).buffer_unordered(self.files_at_once);
        while let Some((file, pending, found)) = results.next().await {
            match found {
                Ok(Some(asset_id)) => {
                    tracing::info!(file = %file.name, upload_id = %pending.upload_id, "an earlier run's upload made its asset");
                    state.files.insert(file.name.clone(), file.record(asset_id));
                }
                Ok(None) => {
                    tracing::info!(file = %file.name, upload_id = %pending.upload_id, "an earlier run's upload did not finish; uploading the file again");
                }
                Err(err) => {
                    tracing::warn!(file = %file.name, upload_id = %pending.upload_id, error = %err, "cannot look up an earlier run's upload");
                    unresolved.insert(file.name.clone());
                    state.pending.insert(file.name.clone(), pending);
                    first_error.get_or_insert(err);
                }
            }
        }
        state.save(&self.dir).await?;
        Ok(unresolved)
    }

    async fn create(&self, state: &mut TrainState, map: Option<MapCreate>) -> Result<Model> {
        let name = self.name.clone().unwrap_or_else(|| {
            self.dir
                .file_name()
                .map_or_else(|| "model".to_owned(), |n| n.to_string_lossy().into_owned())
        });
        let request = ModelCreateRequest {
            name: Some(name),
            type_: Some(self.model_type.clone()),
            ..ModelCreateRequest::default()
        };
        let request = match map {
            Some(map) => map(request),
            None => request,
        };
        let model = self
            .models
            .client()
            .request(ops::CreateModel::new(request))
            .send()
            .await?
            .model;
        state.model_id = Some(model.id.clone());
        state.model_type = Some(self.model_type.clone());
        state.added.clear();
        state.save(&self.dir).await?;
        Ok(model)
    }

    /// Adds the uploaded images the model does not have yet, in batches of the
    /// most one call takes; records each batch as it is added.
    async fn add_images(
        &self,
        files: &[ImageFile],
        model_id: &str,
        state: &mut TrainState,
        training: &mut Progress,
    ) -> Result<()> {
        let assets: Vec<String> = files
            .iter()
            .filter_map(|file| state.files.get(&file.name))
            .map(|record| record.asset_id.clone())
            .collect();
        let total = assets.len();
        let pending: Vec<String> = assets
            .into_iter()
            .filter(|id| !state.added.contains(id))
            .collect();
        let mut done = total - pending.len();
        self.report(TrainProgress::AddingImages { done, total });
        let batch = ModelTrainingImageRequest::ASSET_IDS_MAX_ITEMS.max(1);
        for ids in pending.chunks(batch) {
            let body = ModelTrainingImageRequest {
                asset_ids: ids.to_vec(),
                ..ModelTrainingImageRequest::default()
            };
            self.models
                .client()
                .request(ops::AddModelTrainingImages::new(model_id, body))
                .send()
                .await?;
            state.added.extend(ids.iter().cloned());
            state.save(&self.dir).await?;
            training.images_added += ids.len();
            done += ids.len();
            self.report(TrainProgress::AddingImages { done, total });
        }
        Ok(())
    }

    /// Waits for the training when asked to, and answers.
    async fn finish(&self, training: Progress, model: Model) -> Result<Training> {
        if !self.wait {
            return Ok(training.into_training(model, None, &self.dir));
        }
        let mut wait = WaitForModel::new(self.models.clone(), model.id.clone());
        wait.settings = self.settings;
        if let Some(callback) = self.on_progress.clone() {
            wait = wait.on_progress(move |status, progress| {
                callback(&TrainProgress::Training {
                    status: status.clone(),
                    progress,
                });
            });
        }
        let model = wait.send().await?;
        Ok(training.into_training(model, None, &self.dir))
    }
}

impl IntoFuture for TrainFromDir {
    type Output = Result<Training>;
    type IntoFuture = BoxFuture<'static, Result<Training>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// The hook that records `file`'s upload as pending in the shared state
/// before the upload is completed.
fn record_pending(
    shared: &Arc<tokio::sync::Mutex<TrainState>>,
    dir: &Path,
    file: &ImageFile,
) -> BeforeComplete {
    let shared = shared.clone();
    let dir = dir.to_owned();
    let name = file.name.clone();
    let (size, modified_ms) = (file.size, file.modified_ms);
    Box::new(move |upload_id| {
        Box::pin(async move {
            let mut state = shared.lock().await;
            state.pending.insert(
                name,
                PendingUpload {
                    size,
                    modified_ms,
                    upload_id,
                },
            );
            state.save(&dir).await
        })
    })
}

/// The asset a finished upload made.
fn asset_of(upload: &Upload) -> Result<String> {
    upload
        .entity_id
        .clone()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Error::WorkFailed {
            work: Work::Upload,
            id: upload.id.clone(),
            status: upload.status.to_string(),
            message: "the upload is complete but names no asset".into(),
        })
}

/// The asset an earlier run's upload made, once the service is done with it;
/// `None` when it never will (it was never completed, it failed, or it is
/// gone).
async fn earlier_asset(uploads: &Uploads, upload_id: &str) -> Result<Option<String>> {
    let upload = match uploads.get(upload_id).await {
        Ok(upload) => upload,
        Err(err) if err.is_not_found() => return Ok(None),
        Err(err) => return Err(err),
    };
    if matches!(upload.status, UploadStatus::Pending | UploadStatus::Failed) {
        return Ok(None);
    }
    match uploads.wait_until_ready(upload_id).await {
        Ok(upload) => asset_of(&upload).map(Some),
        Err(err) if err.kind() == ErrorKind::WorkFailed => Ok(None),
        Err(err) => Err(err),
    }
}

/// Refuses to go on when an image already among the model's training images
/// changed or went away since it was uploaded: the model would train on the
/// old image.
fn check_unchanged(files: &[ImageFile], state: &TrainState, model: Option<&Model>) -> Result<()> {
    let Some(model) = model else {
        return Ok(());
    };
    for (name, record) in &state.files {
        if !state.added.contains(&record.asset_id) {
            continue;
        }
        let now = files.iter().find(|file| &file.name == name);
        let what = match now {
            None => "was removed",
            Some(file) if !file.matches(record) => "changed",
            Some(_) => continue,
        };
        return Err(Error::InvalidInput(format!(
            "{name} {what} after it was added to the training images of model {}; restore it, \
             or start over with fresh(true) (--fresh)",
            model.id
        )));
    }
    Ok(())
}
