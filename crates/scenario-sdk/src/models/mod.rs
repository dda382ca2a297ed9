//! Models: `client.models()`: listing, reading, waiting for a training, canceling
//! it, and training a model from a folder of images ([`Models::train_from_dir`]).

mod state;
mod train;
mod wait;

use std::path::Path;

use scenario_api::ops;
use scenario_api::types::{JobAction, Model, ModelTrainActionRequest, ModelType};

use crate::error::{Error, Result};
use crate::handle::Client;
use crate::request::Request;

pub use state::STATE_FILE;
pub use train::{TrainFromDir, TrainProgress, Training};
pub use wait::{
    DEFAULT_TRAINING_INTERVAL, DEFAULT_TRAINING_MAX_INTERVAL, DEFAULT_TRAINING_TIMEOUT,
    WaitForModel,
};

/// The models of the project: `client.models()`.
#[derive(Clone, Debug)]
pub struct Models {
    client: Client,
}

/// A listing of models: every query parameter of `GET /models` as a setter,
/// then [`Request::stream`] (every model) or [`Request::pages`].
pub type ListModels = Request<ops::ListModels>;

impl Models {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Lists models, newest first: set filters on the returned request, then
    /// take [`Request::stream`] or [`Request::pages`].
    pub fn list(&self) -> ListModels {
        self.client.request(ops::ListModels::new())
    }

    /// Reads model `model_id` (`GET /models/{modelId}`).
    pub async fn get(&self, model_id: &str) -> Result<Model> {
        check_id(model_id)?;
        Ok(self
            .client
            .request(ops::GetModel::new(model_id))
            .send()
            .await?
            .model)
    }

    /// Cancels the running training of model `model_id` (`POST
    /// /models/{modelId}/train/action`, action `cancel`) and answers the model
    /// as the service left it. A model that is not training answers 400
    /// ([`Error::is_bad_request`]).
    pub async fn cancel_training(&self, model_id: &str) -> Result<Model> {
        check_id(model_id)?;
        let body = ModelTrainActionRequest::new(JobAction::Cancel);
        Ok(self
            .client
            .request(ops::TriggerModelTrainAction::new(model_id, body))
            .send()
            .await?
            .model)
    }

    /// Waits until model `model_id` is done training: polls it with a growing
    /// pause until it is `trained` (the model is answered), ends otherwise
    /// ([`Error::WorkFailed`]), or the timeout passes
    /// ([`Error::WaitTimeout`]). Dropping the future stops polling.
    ///
    /// ```no_run
    /// # async fn run(client: scenario_sdk::Client) -> scenario_sdk::Result<()> {
    /// let model = client
    ///     .models()
    ///     .wait_trained("model_abc")
    ///     .on_progress(|status, progress| eprintln!("{status} {:.0}%", progress * 100.0))
    ///     .await?;
    /// println!("{} is {}", model.id, model.status);
    /// # Ok(()) }
    /// ```
    pub fn wait_trained(&self, model_id: impl Into<String>) -> WaitForModel {
        WaitForModel::new(self.clone(), model_id.into())
    }

    /// Trains a model of `model_type` on the images of directory `dir`: uploads
    /// them, creates the model, adds them as its training images, starts the
    /// training and waits for it. Run again after an interruption (or a
    /// failure), it goes on from where it stopped: see [`TrainFromDir`].
    ///
    /// ```no_run
    /// # async fn run(client: scenario_sdk::Client) -> scenario_sdk::Result<()> {
    /// use scenario_sdk::types::ModelType;
    ///
    /// let training = client
    ///     .models()
    ///     .train_from_dir("art/hero", ModelType::Flux1Lora)
    ///     .name("Hero")
    ///     .on_progress(|progress| eprintln!("{progress:?}"))
    ///     .await?;
    /// let made = client
    ///     .generate()
    ///     .custom(&training.model.id)
    ///     .prompt("the hero, running")
    ///     .wait(true)
    ///     .await?;
    /// # let _ = made;
    /// # Ok(()) }
    /// ```
    pub fn train_from_dir(&self, dir: impl AsRef<Path>, model_type: ModelType) -> TrainFromDir {
        TrainFromDir::new(self.clone(), dir.as_ref().to_path_buf(), model_type)
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }
}

fn check_id(model_id: &str) -> Result<()> {
    if model_id.trim().is_empty() {
        return Err(Error::InvalidInput("the model id is empty".into()));
    }
    Ok(())
}
