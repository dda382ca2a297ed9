//! Models: the store and their life cycle. A model is `new` until trained; training
//! starts a job and the model is `training` while the job runs, then `trained`,
//! `failed` or `training-canceled` as the job ends (`success`, `failure`,
//! `canceled`). Like jobs, a model follows its job when the stores are next reached
//! (no timer task). Training images, presets, examples, the description and the
//! prompt guide live with their model.

use std::collections::HashMap;

use scenario_api::types::{
    AssetConcept, AssetFrame, AssetPrivacy, Job, JobStatus, JobType, Model, ModelParameters,
    ModelPreset, ModelPresetParameters, ModelPresetType, ModelSource, ModelStatus,
    ModelTrainingImage, ModelTrainingImagePair, ModelTrainingProgress, ModelTrainingProgressStage,
    ModelTrainingStats, ModelType,
};
use sha2::{Digest, Sha256};

use crate::builders::built;
use crate::clock::{iso, parse_iso};
use crate::ids::Ids;
use crate::state::assets::{AssetStore, Identity};
use crate::state::jobs::{self, JobStore, NewJob, Outcome};
use crate::state::{State, Stores};

/// The most asset ids one call adds to the training images (the document's `maxItems`).
pub(crate) const MAX_TRAINING_IMAGES_PER_CALL: usize =
    scenario_api::types::ModelTrainingImageRequest::ASSET_IDS_MAX_ITEMS;

/// Why a model request is refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ModelError {
    NotFound,
    /// A training is running (or queued): the model cannot train again or change its images.
    AlreadyTraining,
    /// Only a training that runs can be canceled.
    NotTraining(ModelStatus),
    NoTrainingImages,
    /// Only a trained model can be downloaded.
    NotTrained,
    NotDeleted,
    AssetNotFound(String),
    TrainingImageNotFound(String),
    PresetNotFound(String),
    CollectionNotFound(String),
    /// A transfer's destination is not a project of the team.
    ProjectNotFound(String),
    /// The request is not one the service accepts, saying why.
    Invalid(String),
    /// The team already trains as many models at once as its plan allows.
    ParallelTraining {
        /// The team's `parallelTraining` limit.
        limit: u32,
    },
}

/// A model with what lives beside it.
#[derive(Debug)]
pub(crate) struct ModelEntry {
    pub(crate) model: Model,
    pub(crate) created_ms: u64,
    pub(crate) updated_ms: u64,
    pub(crate) deleted_ms: Option<u64>,
    pub(crate) presets: Vec<ModelPreset>,
    pub(crate) description: String,
    pub(crate) prompt_guide: String,
}

/// Every model, in creation order.
#[derive(Debug, Default)]
pub(crate) struct ModelStore {
    entries: HashMap<String, ModelEntry>,
    order: Vec<String>,
}

/// What a new model is made of.
#[derive(Debug, Default)]
pub(crate) struct NewModel {
    pub(crate) name: Option<String>,
    pub(crate) short_description: Option<String>,
    pub(crate) type_: Option<ModelType>,
    pub(crate) concepts: Vec<AssetConcept>,
    pub(crate) collection_ids: Vec<String>,
    pub(crate) parent_model_id: Option<String>,
}

/// Model fields an update may change (`None`: unchanged).
#[derive(Debug, Default)]
pub(crate) struct ModelEdit {
    pub(crate) name: Option<String>,
    pub(crate) short_description: Option<String>,
    pub(crate) type_: Option<ModelType>,
    pub(crate) concepts: Option<Vec<AssetConcept>>,
    pub(crate) parameters: Option<ModelParameters>,
    pub(crate) thumbnail: Option<String>,
    pub(crate) epoch: Option<String>,
}

/// What a training-image request brings: asset ids, or one image as a data URL.
#[derive(Debug)]
pub(crate) enum ImageSource {
    Assets(Vec<String>),
    Data { name: Option<String> },
}

/// The order and filters of a listing of models.
#[derive(Debug, Default)]
pub(crate) struct ModelFilter {
    pub(crate) deleted: bool,
    pub(crate) status: Option<ModelStatus>,
    pub(crate) types: Vec<ModelType>,
    pub(crate) collection_id: Option<String>,
    pub(crate) tags: Vec<String>,
    pub(crate) created_after: Option<u64>,
    pub(crate) created_before: Option<u64>,
    pub(crate) updated_after: Option<u64>,
    pub(crate) updated_before: Option<u64>,
    pub(crate) by_updated: bool,
    pub(crate) ascending: bool,
}

fn finished(status: &JobStatus) -> bool {
    matches!(
        status,
        JobStatus::Success | JobStatus::Failure | JobStatus::Canceled
    )
}

/// The job type a training of `type_` runs as.
fn training_job_type(type_: &ModelType) -> JobType {
    if type_.as_str().starts_with("flux") {
        JobType::FluxModelTraining
    } else {
        JobType::ModelTraining
    }
}

fn training_image(id: String, name: String, url: String, now_ms: u64) -> ModelTrainingImage {
    built(
        ModelTrainingImage::builder()
            .id(id)
            .name(name)
            .download_url(url)
            .automatic_captioning(String::new())
            .description(String::new())
            .created_at(iso(now_ms)),
    )
}

fn stamp(entry: &mut ModelEntry, now_ms: u64) {
    entry.updated_ms = now_ms.max(entry.created_ms);
    entry.model.updated_at = iso(entry.updated_ms);
}

fn image_count(model: &Model) -> f64 {
    // Counts stay far below 2^53: the conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    let count = model.training_images.len() as f64;
    count
}

impl ModelStore {
    /// A store holding `models` (each with its creation time), in that order.
    pub(crate) fn seeded(models: Vec<(Model, u64)>) -> Self {
        let mut store = Self::default();
        for (model, created_ms) in models {
            store.order.push(model.id.clone());
            store.entries.insert(
                model.id.clone(),
                ModelEntry {
                    model,
                    created_ms,
                    updated_ms: created_ms,
                    deleted_ms: None,
                    presets: Vec::new(),
                    description: String::new(),
                    prompt_guide: String::new(),
                },
            );
        }
        store
    }

    fn live(&self, id: &str) -> Option<&ModelEntry> {
        self.entries.get(id).filter(|e| e.deleted_ms.is_none())
    }

    /// How many models train now.
    fn training(&self) -> usize {
        self.entries
            .values()
            .filter(|e| e.deleted_ms.is_none() && e.model.status == ModelStatus::Training)
            .count()
    }

    fn live_mut(&mut self, id: &str) -> Result<&mut ModelEntry, ModelError> {
        self.entries
            .get_mut(id)
            .filter(|e| e.deleted_ms.is_none())
            .ok_or(ModelError::NotFound)
    }

    pub(crate) fn get(&self, id: &str) -> Option<Model> {
        self.live(id).map(|e| e.model.clone())
    }

    pub(crate) fn exists(&self, id: &str) -> bool {
        self.live(id).is_some()
    }

    /// Every live model, oldest first.
    pub(crate) fn all(&self) -> Vec<Model> {
        self.order
            .iter()
            .filter_map(|id| self.live(id))
            .map(|e| e.model.clone())
            .collect()
    }

    /// Brings every training model in line with its job.
    fn follow_jobs(&mut self, jobs: &JobStore) {
        for entry in self.entries.values_mut() {
            if entry.model.status != ModelStatus::Training {
                continue;
            }
            let Some(job) = entry.model.job_id.as_deref().and_then(|id| jobs.get(id)) else {
                continue;
            };
            follow(entry, &job);
        }
    }

    /// Applies `edit` to the collection memberships of models: `add` adds `collection`.
    pub(crate) fn set_collection(
        &mut self,
        model_id: &str,
        collection: &str,
        add: bool,
        now_ms: u64,
    ) -> bool {
        let Ok(entry) = self.live_mut(model_id) else {
            return false;
        };
        let ids = &mut entry.model.collection_ids;
        let present = ids.iter().any(|c| c == collection);
        if add && !present {
            ids.push(collection.to_owned());
        } else if !add && present {
            ids.retain(|c| c != collection);
        }
        stamp(entry, now_ms);
        true
    }

    /// Forgets a deleted collection in every model.
    pub(crate) fn drop_collection(&mut self, collection: &str) {
        for entry in self.entries.values_mut() {
            entry.model.collection_ids.retain(|c| c != collection);
        }
    }
}

/// Moves a training model to where its job is.
fn follow(entry: &mut ModelEntry, job: &Job) {
    let model = &mut entry.model;
    let done_ms = parse_iso(&job.updated_at).unwrap_or(entry.updated_ms);
    #[allow(clippy::cast_precision_loss)]
    let at = done_ms as f64;
    if finished(&job.status) {
        model.status = match job.status {
            JobStatus::Success => ModelStatus::Trained,
            JobStatus::Canceled => ModelStatus::TrainingCanceled,
            _ => ModelStatus::Failed,
        };
        model.training_progress = None;
        if job.status == JobStatus::Success {
            model.epoch = Some("000001".to_owned());
        }
        let stats: ModelTrainingStats = built(
            ModelTrainingStats::builder()
                .started_at(job.created_at.clone())
                .ended_at(job.updated_at.clone())
                .queue_duration(0.0)
                .train_duration(0.0),
        );
        model.training_stats = Some(stats);
        entry.updated_ms = done_ms.max(entry.created_ms);
        model.updated_at = iso(entry.updated_ms);
    } else {
        let stage = if matches!(job.status, JobStatus::Queued | JobStatus::Pending) {
            ModelTrainingProgressStage::QueuedForTrain
        } else {
            ModelTrainingProgressStage::RunningTrain
        };
        let progress: ModelTrainingProgress = built(
            ModelTrainingProgress::builder()
                .stage(stage)
                .progress(job.progress)
                .updated_at(at),
        );
        model.training_progress = Some(progress);
    }
}

impl State {
    /// The stores with every model following its training job.
    pub(super) fn model_stores(&self) -> std::sync::MutexGuard<'_, Stores> {
        let mut stores = self.stores();
        let Stores { models, jobs, .. } = &mut *stores;
        models.follow_jobs(jobs);
        stores
    }

    pub(crate) fn create_model(&self, new: NewModel) -> Result<Model, ModelError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.model_stores();
        if let Some(missing) = new
            .collection_ids
            .iter()
            .find(|c| !stores.collections.exists(c))
        {
            return Err(ModelError::CollectionNotFound(missing.clone()));
        }
        let id = stores.ids.next("model");
        let created = iso(now_ms);
        let model: Model = built(
            Model::builder()
                .id(id.clone())
                .author_id(self.identity.author_id.clone())
                .owner_id(self.identity.owner_id.clone())
                .name(new.name.unwrap_or_default())
                .short_description(new.short_description)
                .type_(new.type_.unwrap_or(ModelType::Flux1Lora))
                .concepts(new.concepts)
                .capabilities(Vec::new())
                .collection_ids(new.collection_ids.clone())
                .created_at(created.clone())
                .updated_at(created)
                .custom(true)
                .example_asset_ids(Vec::<String>::new())
                .privacy(AssetPrivacy::Private)
                .source(ModelSource::Scenario)
                .status(ModelStatus::New)
                .tags(Vec::<String>::new())
                .training_images(Vec::new())
                .training_images_number(0.0)
                .parent_model_id(new.parent_model_id),
        );
        for collection in &new.collection_ids {
            stores.collections.set_model(collection, &id, true, now_ms);
        }
        stores.models.order.push(id.clone());
        stores.models.entries.insert(
            id,
            ModelEntry {
                model: model.clone(),
                created_ms: now_ms,
                updated_ms: now_ms,
                deleted_ms: None,
                presets: Vec::new(),
                description: String::new(),
                prompt_guide: String::new(),
            },
        );
        Ok(model)
    }

    pub(crate) fn model(&self, id: &str) -> Option<Model> {
        self.model_stores().models.get(id)
    }

    pub(crate) fn models_bulk(&self, ids: &[String]) -> Vec<Model> {
        let stores = self.model_stores();
        ids.iter().filter_map(|id| stores.models.get(id)).collect()
    }

    /// The models `filter` lets through, in its order, with `deletedAt` set on deleted ones.
    pub(crate) fn list_models(&self, filter: &ModelFilter) -> Vec<Model> {
        let stores = self.model_stores();
        // Creation order breaks ties between models made in the same millisecond.
        let mut listed: Vec<(usize, &ModelEntry)> = stores
            .models
            .order
            .iter()
            .filter_map(|id| stores.models.entries.get(id))
            .enumerate()
            .filter(|(_, e)| e.deleted_ms.is_some() == filter.deleted)
            .filter(|(_, e)| {
                let m = &e.model;
                filter.status.as_ref().is_none_or(|s| &m.status == s)
                    && (filter.types.is_empty() || filter.types.contains(&m.type_))
                    && filter
                        .collection_id
                        .as_ref()
                        .is_none_or(|c| m.collection_ids.contains(c))
                    && (filter.tags.is_empty() || filter.tags.iter().any(|t| m.tags.contains(t)))
                    && filter
                        .created_after
                        .is_none_or(|after| e.created_ms > after)
                    && filter
                        .created_before
                        .is_none_or(|before| e.created_ms < before)
                    && filter
                        .updated_after
                        .is_none_or(|after| e.updated_ms > after)
                    && filter
                        .updated_before
                        .is_none_or(|before| e.updated_ms < before)
            })
            .collect();
        listed.sort_by_key(|(index, e)| {
            let ms = if filter.by_updated {
                e.updated_ms
            } else {
                e.created_ms
            };
            (ms, *index)
        });
        if !filter.ascending {
            listed.reverse();
        }
        listed
            .into_iter()
            .map(|(_, e)| {
                let mut model = e.model.clone();
                model.deleted_at = e.deleted_ms.map(iso);
                model
            })
            .collect()
    }

    pub(crate) fn update_model(&self, id: &str, edit: ModelEdit) -> Result<Model, ModelError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.model_stores();
        let Stores { models, assets, .. } = &mut *stores;
        let thumbnail = match edit.thumbnail {
            Some(asset_id) => {
                let asset = assets
                    .get(&asset_id)
                    .ok_or(ModelError::AssetNotFound(asset_id))?;
                Some(built::<AssetFrame, _>(
                    AssetFrame::builder().asset_id(asset.id).url(asset.url),
                ))
            }
            None => None,
        };
        let entry = models.live_mut(id)?;
        let model = &mut entry.model;
        if let Some(name) = edit.name {
            model.name = Some(name);
        }
        if let Some(description) = edit.short_description {
            model.short_description = Some(description);
        }
        if let Some(type_) = edit.type_ {
            model.type_ = type_;
        }
        if let Some(concepts) = edit.concepts {
            model.concepts = concepts;
        }
        if let Some(parameters) = edit.parameters {
            model.parameters = Some(parameters);
        }
        if let Some(epoch) = edit.epoch {
            model.epoch = Some(epoch);
        }
        if thumbnail.is_some() {
            model.thumbnail = thumbnail;
        }
        stamp(entry, now_ms);
        Ok(entry.model.clone())
    }

    pub(crate) fn delete_model(&self, id: &str) -> Result<(), ModelError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.model_stores();
        let entry = stores.models.live_mut(id)?;
        entry.deleted_ms = Some(now_ms);
        Ok(())
    }

    pub(crate) fn restore_model(&self, id: &str) -> Result<Model, ModelError> {
        let mut stores = self.model_stores();
        let entry = stores
            .models
            .entries
            .get_mut(id)
            .ok_or(ModelError::NotFound)?;
        if entry.deleted_ms.take().is_none() {
            return Err(ModelError::NotDeleted);
        }
        entry.model.deleted_at = None;
        Ok(entry.model.clone())
    }

    /// A new model with the settings and training images of `id`; trained too when
    /// `as_trained` and the original is.
    pub(crate) fn copy_model(
        &self,
        id: &str,
        as_trained: bool,
        examples: bool,
    ) -> Result<Model, ModelError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.model_stores();
        let original = stores.models.live(id).ok_or(ModelError::NotFound)?;
        let mut model = original.model.clone();
        let presets = original.presets.clone();
        let description = original.description.clone();
        let prompt_guide = original.prompt_guide.clone();
        let copy_id = stores.ids.next("model");
        model.id.clone_from(&copy_id);
        model.parent_model_id = Some(id.to_owned());
        model.created_at = iso(now_ms);
        model.updated_at = iso(now_ms);
        model.job_id = None;
        model.training_progress = None;
        model.collection_ids.clear();
        if !examples {
            model.example_asset_ids.clear();
        }
        if !(as_trained && model.status == ModelStatus::Trained) {
            model.status = ModelStatus::New;
            model.epoch = None;
            model.training_stats = None;
        }
        stores.models.order.push(copy_id.clone());
        stores.models.entries.insert(
            copy_id,
            ModelEntry {
                model: model.clone(),
                created_ms: now_ms,
                updated_ms: now_ms,
                deleted_ms: None,
                presets,
                description,
                prompt_guide,
            },
        );
        Ok(model)
    }

    /// Moves a model to another project: it leaves this one.
    pub(crate) fn transfer_model(&self, id: &str, project_id: &str) -> Result<Model, ModelError> {
        let mut stores = self.model_stores();
        stores.models.live(id).ok_or(ModelError::NotFound)?;
        // Only to a project of the team: the model is not lost on the way.
        if !stores.projects.contains(project_id) {
            return Err(ModelError::ProjectNotFound(project_id.to_owned()));
        }
        let Some(mut entry) = stores.models.entries.remove(id) else {
            return Err(ModelError::NotFound);
        };
        stores.models.order.retain(|other| other != id);
        for collection in entry.model.collection_ids.clone() {
            stores
                .collections
                .set_model(&collection, id, false, self.clock.now_ms());
        }
        entry.model.collection_ids.clear();
        entry.model.owner_id = Some(project_id.to_owned());
        Ok(entry.model)
    }

    /// Adds and removes tags; answers the tags actually added and removed.
    pub(crate) fn update_model_tags(
        &self,
        id: &str,
        add: &[String],
        delete: &[String],
        strict: bool,
    ) -> Result<(Vec<String>, Vec<String>), ModelError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.model_stores();
        let entry = stores.models.live_mut(id)?;
        let tags = &mut entry.model.tags;
        if strict {
            if let Some(tag) = add.iter().find(|tag| tags.contains(tag)) {
                return Err(ModelError::Invalid(format!(
                    "Tag \"{tag}\" is already on the model"
                )));
            }
            if let Some(tag) = delete.iter().find(|tag| !tags.contains(tag)) {
                return Err(ModelError::Invalid(format!(
                    "Tag \"{tag}\" is not on the model"
                )));
            }
        }
        let mut added = Vec::new();
        for tag in add {
            if !tags.contains(tag) && !added.contains(tag) {
                tags.push(tag.clone());
                added.push(tag.clone());
            }
        }
        let mut deleted = Vec::new();
        tags.retain(|tag| {
            let gone = delete.contains(tag);
            if gone {
                deleted.push(tag.clone());
            }
            !gone
        });
        stamp(entry, now_ms);
        Ok((added, deleted))
    }

    /// Starts the training of a model: its job, and the model `training`. With
    /// `dry_run`, only checks that it could start, and answers the model as it is
    /// and the job it would start (never stored).
    pub(crate) fn train_model(
        &self,
        id: &str,
        parameters: Option<ModelParameters>,
        dry_run: bool,
    ) -> Result<(Model, Job), ModelError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.model_stores();
        let Stores {
            models,
            jobs,
            assets,
            ids,
            ..
        } = &mut *stores;
        let entry = models.live_mut(id)?;
        if entry.model.status == ModelStatus::Training {
            return Err(ModelError::AlreadyTraining);
        }
        let mut input = serde_json::Map::new();
        input.insert("modelId".into(), serde_json::Value::String(id.to_owned()));
        if let Some(parameters) = &parameters
            && let Ok(value) = serde_json::to_value(parameters)
        {
            input.insert("parameters".into(), value);
        }
        let job_type = training_job_type(&entry.model.type_);
        if dry_run {
            let job = jobs::queued(&ids.next("job"), job_type, input, now_ms, &self.identity);
            return Ok((entry.model.clone(), job));
        }
        if entry.model.training_images.is_empty() {
            return Err(ModelError::NoTrainingImages);
        }
        let limit = crate::state::teams::parallel_training_limit();
        if models.training() >= limit as usize {
            return Err(ModelError::ParallelTraining { limit });
        }
        let entry = models.live_mut(id)?;
        // A training image whose asset was deleted since makes the training fail.
        let outcome = entry
            .model
            .training_images
            .iter()
            .find(|image| image.id.starts_with("asset_") && assets.get(&image.id).is_none())
            .map_or(Outcome::Nothing, |image| {
                Outcome::Failure(format!("Training image {} not found", image.id))
            });
        let job_id = ids.next("job");
        let job = jobs.create(
            NewJob {
                id: job_id.clone(),
                job_type,
                input,
                outcome,
                cancelable: true,
                now_ms,
            },
            &self.identity,
        );
        let model = &mut entry.model;
        if parameters.is_some() {
            model.parameters = parameters;
        }
        model.status = ModelStatus::Training;
        model.job_id = Some(job_id);
        model.epoch = None;
        follow(entry, &job);
        stamp(entry, now_ms);
        Ok((entry.model.clone(), job))
    }

    /// Cancels the running training of a model.
    pub(crate) fn cancel_training(&self, id: &str) -> Result<Model, ModelError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.model_stores();
        let Stores { models, jobs, .. } = &mut *stores;
        let entry = models.live_mut(id)?;
        if entry.model.status != ModelStatus::Training {
            return Err(ModelError::NotTraining(entry.model.status.clone()));
        }
        let job_id = entry.model.job_id.clone().unwrap_or_default();
        if let Ok(job) = jobs.cancel(&job_id, now_ms) {
            follow(entry, &job);
        } else {
            entry.model.status = ModelStatus::TrainingCanceled;
            entry.model.training_progress = None;
        }
        stamp(entry, now_ms);
        Ok(entry.model.clone())
    }

    /// Adds training images; an asset already among them is not added again. Answers
    /// the first image of the request.
    pub(crate) fn add_training_images(
        &self,
        id: &str,
        source: ImageSource,
    ) -> Result<ModelTrainingImage, ModelError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.model_stores();
        let Stores {
            models,
            assets,
            ids,
            ..
        } = &mut *stores;
        let entry = models.live_mut(id)?;
        if entry.model.status == ModelStatus::Training {
            return Err(ModelError::AlreadyTraining);
        }
        let images = new_images(source, assets, ids, &self.identity, now_ms)?;
        let mut first = None;
        for image in images {
            let existing = entry
                .model
                .training_images
                .iter()
                .find(|known| known.id == image.id)
                .cloned();
            let image = existing.unwrap_or_else(|| {
                entry.model.training_images.push(image.clone());
                image
            });
            first.get_or_insert(image);
        }
        entry.model.training_images_number = image_count(&entry.model);
        stamp(entry, now_ms);
        first.ok_or_else(|| ModelError::Invalid("Give assetId, assetIds or data".into()))
    }

    /// Replaces one training image by another.
    pub(crate) fn replace_training_image(
        &self,
        id: &str,
        image_id: &str,
        source: ImageSource,
    ) -> Result<ModelTrainingImage, ModelError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.model_stores();
        let Stores {
            models,
            assets,
            ids,
            ..
        } = &mut *stores;
        let entry = models.live_mut(id)?;
        if entry.model.status == ModelStatus::Training {
            return Err(ModelError::AlreadyTraining);
        }
        let position = entry
            .model
            .training_images
            .iter()
            .position(|image| image.id == image_id)
            .ok_or_else(|| ModelError::TrainingImageNotFound(image_id.to_owned()))?;
        let mut images = new_images(source, assets, ids, &self.identity, now_ms)?;
        if images.len() != 1 {
            return Err(ModelError::Invalid(
                "Replacing a training image takes one image: assetId or data".into(),
            ));
        }
        let image = images.remove(0);
        let elsewhere = entry
            .model
            .training_images
            .iter()
            .any(|known| known.id == image.id && known.id != image_id);
        if elsewhere {
            // Already a training image: the replaced one just goes.
            entry.model.training_images.remove(position);
        } else if let Some(slot) = entry.model.training_images.get_mut(position) {
            *slot = image.clone();
        }
        entry.model.training_images_number = image_count(&entry.model);
        stamp(entry, now_ms);
        Ok(image)
    }

    pub(crate) fn delete_training_image(&self, id: &str, image_id: &str) -> Result<(), ModelError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.model_stores();
        let entry = stores.models.live_mut(id)?;
        if entry.model.status == ModelStatus::Training {
            return Err(ModelError::AlreadyTraining);
        }
        let before = entry.model.training_images.len();
        entry
            .model
            .training_images
            .retain(|image| image.id != image_id);
        if entry.model.training_images.len() == before {
            return Err(ModelError::TrainingImageNotFound(image_id.to_owned()));
        }
        entry.model.training_image_pairs.retain(|pair| {
            pair.source_id.as_deref() != Some(image_id)
                && pair.target_id.as_deref() != Some(image_id)
        });
        entry.model.training_images_number = image_count(&entry.model);
        stamp(entry, now_ms);
        Ok(())
    }

    /// Sets every pair of training images; each side must be a training image.
    pub(crate) fn replace_training_pairs(
        &self,
        id: &str,
        pairs: Vec<ModelTrainingImagePair>,
    ) -> Result<Vec<ModelTrainingImagePair>, ModelError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.model_stores();
        let entry = stores.models.live_mut(id)?;
        let known = |side: &Option<String>| {
            side.as_ref().is_none_or(|side| {
                entry
                    .model
                    .training_images
                    .iter()
                    .any(|image| &image.id == side)
            })
        };
        if let Some(pair) = pairs
            .iter()
            .find(|p| !known(&p.source_id) || !known(&p.target_id))
        {
            let side = if known(&pair.source_id) {
                &pair.target_id
            } else {
                &pair.source_id
            };
            return Err(ModelError::TrainingImageNotFound(
                side.clone().unwrap_or_default(),
            ));
        }
        entry.model.training_image_pairs.clone_from(&pairs);
        stamp(entry, now_ms);
        Ok(pairs)
    }

    pub(crate) fn model_presets(&self, id: &str) -> Result<Vec<ModelPreset>, ModelError> {
        let stores = self.model_stores();
        Ok(stores
            .models
            .live(id)
            .ok_or(ModelError::NotFound)?
            .presets
            .clone())
    }

    /// A preset made from an inference (a job of this fake), the prompt of its input.
    pub(crate) fn create_preset(
        &self,
        id: &str,
        inference_id: &str,
        is_default: bool,
    ) -> Result<ModelPreset, ModelError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.model_stores();
        let Stores {
            models, jobs, ids, ..
        } = &mut *stores;
        let entry = models.live_mut(id)?;
        let prompt = jobs
            .get(inference_id)
            .and_then(|job| job.metadata.input.get("prompt").cloned())
            .and_then(|prompt| prompt.as_str().map(str::to_owned))
            .unwrap_or_default();
        let parameters: ModelPresetParameters = built(
            ModelPresetParameters::builder()
                .prompt(prompt)
                .type_(ModelPresetType::Txt2img),
        );
        let preset: ModelPreset = built(
            ModelPreset::builder()
                .id(ids.next("preset"))
                .author_id(self.identity.author_id.clone())
                .owner_id(self.identity.owner_id.clone())
                .model_id(id.to_owned())
                .created_at(iso(now_ms))
                .updated_at(iso(now_ms))
                .is_default(is_default)
                .parameters(parameters),
        );
        if is_default {
            for other in &mut entry.presets {
                other.is_default = false;
            }
        }
        entry.presets.push(preset.clone());
        Ok(preset)
    }

    pub(crate) fn update_preset(
        &self,
        id: &str,
        preset_id: &str,
        is_default: bool,
    ) -> Result<ModelPreset, ModelError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.model_stores();
        let entry = stores.models.live_mut(id)?;
        if !entry.presets.iter().any(|p| p.id == preset_id) {
            return Err(ModelError::PresetNotFound(preset_id.to_owned()));
        }
        let mut answer = None;
        for preset in &mut entry.presets {
            if preset.id == preset_id {
                preset.is_default = is_default;
                preset.updated_at = iso(now_ms);
                answer = Some(preset.clone());
            } else if is_default {
                preset.is_default = false;
            }
        }
        answer.ok_or_else(|| ModelError::PresetNotFound(preset_id.to_owned()))
    }

    pub(crate) fn delete_preset(&self, id: &str, preset_id: &str) -> Result<(), ModelError> {
        let mut stores = self.model_stores();
        let entry = stores.models.live_mut(id)?;
        let before = entry.presets.len();
        entry.presets.retain(|p| p.id != preset_id);
        if entry.presets.len() == before {
            return Err(ModelError::PresetNotFound(preset_id.to_owned()));
        }
        Ok(())
    }

    /// The example assets of a model that still exist.
    pub(crate) fn model_examples(
        &self,
        id: &str,
    ) -> Result<Vec<scenario_api::types::Asset>, ModelError> {
        let stores = self.model_stores();
        let entry = stores.models.live(id).ok_or(ModelError::NotFound)?;
        Ok(entry
            .model
            .example_asset_ids
            .iter()
            .filter_map(|asset| stores.assets.get(asset))
            .collect())
    }

    pub(crate) fn set_model_examples(
        &self,
        id: &str,
        asset_ids: Vec<String>,
    ) -> Result<Vec<scenario_api::types::Asset>, ModelError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.model_stores();
        let Stores { models, assets, .. } = &mut *stores;
        let entry = models.live_mut(id)?;
        let mut found = Vec::with_capacity(asset_ids.len());
        for asset_id in &asset_ids {
            found.push(
                assets
                    .get(asset_id)
                    .ok_or_else(|| ModelError::AssetNotFound(asset_id.clone()))?,
            );
        }
        entry.model.example_asset_ids = asset_ids;
        stamp(entry, now_ms);
        Ok(found)
    }

    /// The long description of a model (`Some` sets it first).
    pub(crate) fn model_description(
        &self,
        id: &str,
        set: Option<String>,
    ) -> Result<String, ModelError> {
        let mut stores = self.model_stores();
        let entry = stores.models.live_mut(id)?;
        if let Some(value) = set {
            entry.description = value;
        }
        Ok(entry.description.clone())
    }

    /// The prompt guide of a model (`Some` sets it first).
    pub(crate) fn model_prompt_guide(
        &self,
        id: &str,
        set: Option<String>,
    ) -> Result<String, ModelError> {
        let mut stores = self.model_stores();
        let entry = stores.models.live_mut(id)?;
        if let Some(value) = set {
            entry.prompt_guide = value;
        }
        Ok(entry.prompt_guide.clone())
    }

    /// Deletes the assets a model generated among `ids` (others are left alone).
    pub(crate) fn delete_model_images(&self, id: &str, ids: &[String]) -> Result<(), ModelError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.model_stores();
        stores.models.live(id).ok_or(ModelError::NotFound)?;
        for asset_id in ids {
            let made_here = stores
                .assets
                .get(asset_id)
                .is_some_and(|asset| asset.metadata.model_id.as_deref() == Some(id));
            if made_here {
                stores.assets.delete(asset_id, now_ms);
            }
        }
        Ok(())
    }

    /// Starts the job that packs a trained model's weights; a dry run answers the
    /// job it would start (never stored).
    pub(crate) fn download_model(&self, id: &str, dry_run: bool) -> Result<Job, ModelError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.model_stores();
        let Stores {
            models, jobs, ids, ..
        } = &mut *stores;
        let entry = models.live(id).ok_or(ModelError::NotFound)?;
        if entry.model.status != ModelStatus::Trained {
            return Err(ModelError::NotTrained);
        }
        let mut input = serde_json::Map::new();
        input.insert("modelId".into(), serde_json::Value::String(id.to_owned()));
        if dry_run {
            let job_type = JobType::ModelDownload;
            return Ok(jobs::queued(
                &ids.next("job"),
                job_type,
                input,
                now_ms,
                &self.identity,
            ));
        }
        let job = jobs.create(
            NewJob {
                id: ids.next("job"),
                job_type: JobType::ModelDownload,
                input,
                outcome: Outcome::Nothing,
                cancelable: false,
                now_ms,
            },
            &self.identity,
        );
        Ok(job)
    }
}

/// The training images a request names: live assets (at most
/// [`MAX_TRAINING_IMAGES_PER_CALL`]), or one new image from a data URL.
fn new_images(
    source: ImageSource,
    assets: &AssetStore,
    ids: &mut Ids,
    identity: &Identity,
    now_ms: u64,
) -> Result<Vec<ModelTrainingImage>, ModelError> {
    match source {
        ImageSource::Assets(asset_ids) => {
            if asset_ids.len() > MAX_TRAINING_IMAGES_PER_CALL {
                return Err(ModelError::Invalid(format!(
                    "assetIds takes at most {MAX_TRAINING_IMAGES_PER_CALL} asset ids per call, got {}",
                    asset_ids.len()
                )));
            }
            let mut images: Vec<ModelTrainingImage> = Vec::with_capacity(asset_ids.len());
            for asset_id in asset_ids {
                let asset = assets
                    .get(&asset_id)
                    .ok_or_else(|| ModelError::AssetNotFound(asset_id.clone()))?;
                if images.iter().any(|image| image.id == asset.id) {
                    continue;
                }
                let name = asset
                    .metadata
                    .name
                    .clone()
                    .unwrap_or_else(|| asset.id.clone());
                images.push(training_image(asset.id, name, asset.url, now_ms));
            }
            Ok(images)
        }
        ImageSource::Data { name } => {
            let id = ids.next("image");
            let url = identity.file_url(&id, "png");
            let name = name.unwrap_or_else(|| id.clone());
            Ok(vec![training_image(id, name, url, now_ms)])
        }
    }
}

/// A score from a text, the same every time: what the fake "computes", in 0..1.
pub(crate) fn digest_score(text: &str) -> f64 {
    let digest = Sha256::digest(text.as_bytes());
    f64::from(u16::from_le_bytes([digest[0], digest[1]])) / f64::from(u16::MAX)
}
