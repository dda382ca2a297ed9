//! Waiting for a model's training: polls the model itself, so a wait can begin
//! from nothing but the model's id (another process may have started it).

use std::future::{Future, IntoFuture};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use scenario_api::types::{Model, ModelStatus};
use tracing::Instrument;

use super::{Models, check_id};
use crate::error::{Error, Result, Work};
use crate::poll::{Pace, Polled, until_settled};

/// How long [`Models::wait_trained`] waits by default: trainings take from
/// minutes to about an hour, more when queued.
pub const DEFAULT_TRAINING_TIMEOUT: Duration = Duration::from_secs(2 * 3600);
/// The first pause between two polls of a training by default.
pub const DEFAULT_TRAINING_INTERVAL: Duration = Duration::from_secs(5);
/// The longest pause between two polls of a training by default.
pub const DEFAULT_TRAINING_MAX_INTERVAL: Duration = Duration::from_secs(30);

/// A callback of [`WaitForModel::on_progress`]: the model's status and its
/// training progress (0 to 1).
pub(crate) type ModelProgressFn = Arc<dyn Fn(&ModelStatus, f64) + Send + Sync>;

/// How many polls in a row may see a model still `new` before the wait ends
/// with "not training": right after a training is started, a read may reach a
/// replica that has not heard of it yet.
const NEW_GRACE: u32 = 3;

/// How long, and how often, to poll a training by default.
pub(crate) const TRAINING_PACE: Pace = Pace {
    timeout: DEFAULT_TRAINING_TIMEOUT,
    interval: DEFAULT_TRAINING_INTERVAL,
    max_interval: DEFAULT_TRAINING_MAX_INTERVAL,
};

/// Waiting for a training: [`Models::wait_trained`]. Set the timeout, the
/// polling pace and a progress callback, then `.await` it (or call
/// [`Self::send`]).
#[derive(Clone)]
#[must_use = "waiting does nothing until you .await it"]
pub struct WaitForModel {
    models: Models,
    model_id: String,
    pub(crate) settings: Pace,
    pub(crate) on_progress: Option<ModelProgressFn>,
}

impl std::fmt::Debug for WaitForModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitForModel")
            .field("model_id", &self.model_id)
            .field("settings", &self.settings)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

impl WaitForModel {
    pub(crate) fn new(models: Models, model_id: String) -> Self {
        Self {
            models,
            model_id,
            settings: TRAINING_PACE,
            on_progress: None,
        }
    }

    /// How long to wait before giving up with [`Error::WaitTimeout`]
    /// (2 hours by default). The training goes on when the wait gives up.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// The first pause between two polls (5 s by default, at least 10 ms); each
    /// later pause is a tenth of the time waited so far, up to
    /// [`Self::max_interval`] (see [`Pace::pause_after`]; an interval above
    /// that is kept as it is).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.settings.interval = interval;
        self
    }

    /// The longest pause between two polls (30 s by default).
    pub fn max_interval(mut self, max_interval: Duration) -> Self {
        self.settings.max_interval = max_interval;
        self
    }

    /// Called with the model's status and training progress (0 to 1) whenever
    /// either changes, the first poll included; the progress never goes back.
    pub fn on_progress(
        mut self,
        callback: impl Fn(&ModelStatus, f64) + Send + Sync + 'static,
    ) -> Self {
        self.on_progress = Some(Arc::new(callback));
        self
    }

    /// Polls until the training is over; the same as `.await`.
    pub async fn send(self) -> Result<Model> {
        check_id(&self.model_id)?;
        let span = tracing::info_span!("scenario_training_wait", model_id = %self.model_id);
        let pace = self.settings;
        let poll = ModelPoll {
            models: &self.models,
            model_id: &self.model_id,
            callback: self.on_progress,
            last: None,
            new_in_a_row: 0,
        };
        until_settled(poll, pace, None).instrument(span).await
    }
}

impl IntoFuture for WaitForModel {
    type Output = Result<Model>;
    type IntoFuture = BoxFuture<'static, Result<Model>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A model, as the wait polls it, reporting progress as it goes.
struct ModelPoll<'a> {
    models: &'a Models,
    model_id: &'a str,
    callback: Option<ModelProgressFn>,
    last: Option<(ModelStatus, f64)>,
    /// How many polls in a row saw the model `new`.
    new_in_a_row: u32,
}

/// The training progress of `model`, 0 to 1 (1 once trained).
fn progress_of(model: &Model) -> f64 {
    if model.status == ModelStatus::Trained {
        return 1.0;
    }
    model
        .training_progress
        .as_ref()
        .and_then(|p| p.progress)
        .filter(|p| p.is_finite())
        .map_or(0.0, |p| p.clamp(0.0, 1.0))
}

impl Polled for ModelPoll<'_> {
    type Item = Model;

    fn get(&self) -> impl Future<Output = Result<Model>> + Send {
        self.models.get(self.model_id)
    }

    fn settled(&self, model: &Model) -> Option<Result<()>> {
        if model.status == ModelStatus::New && self.new_in_a_row <= NEW_GRACE {
            return None;
        }
        settled(model)
    }

    fn seen(&mut self, model: &Model) {
        self.new_in_a_row = match model.status {
            ModelStatus::New => self.new_in_a_row + 1,
            _ => 0,
        };
        let floor = self.last.as_ref().map_or(0.0, |(_, p)| *p);
        let progress = progress_of(model).max(floor);
        let changed = self
            .last
            .as_ref()
            .is_none_or(|(status, p)| *status != model.status || *p != progress);
        if changed {
            if let Some(callback) = &self.callback {
                callback(&model.status, progress);
            }
            self.last = Some((model.status.clone(), progress));
        }
    }

    fn timed_out(&self, last: Option<&Model>, waited: Duration) -> Error {
        Error::WaitTimeout {
            work: Work::Training,
            id: self.model_id.to_owned(),
            status: last.map_or_else(|| "not yet known".to_owned(), |m| m.status.to_string()),
            waited,
        }
    }

    fn status(model: &Model) -> String {
        model.status.to_string()
    }

    fn unrecognized(model: &Model) -> bool {
        model.status.is_unrecognized()
    }
}

/// `Some` once the training is over: `Ok` when trained, [`Error::WorkFailed`]
/// when it failed or was canceled or is not training (`new`, once past
/// [`NEW_GRACE`] polls); `None` while it trains, and for a status this SDK does
/// not know (polled on to the deadline).
pub(crate) fn settled(model: &Model) -> Option<Result<()>> {
    let failed = |message: &str| {
        Some(Err(Error::WorkFailed {
            work: Work::Training,
            id: model.id.clone(),
            status: model.status.to_string(),
            message: message.to_owned(),
        }))
    };
    match &model.status {
        ModelStatus::Trained => Some(Ok(())),
        ModelStatus::Training | ModelStatus::Copying => None,
        ModelStatus::Failed => failed(
            model
                .training_progress
                .as_ref()
                .and_then(|p| p.retryable_error.as_deref())
                .filter(|m| !m.trim().is_empty())
                .unwrap_or("the training failed; the service gave no reason"),
        ),
        ModelStatus::TrainingCanceled => failed("the training was canceled"),
        ModelStatus::New => failed("the model is not training (it was never started)"),
        // A status newer than the SDK is polled on to a known end or the deadline.
        status if status.is_unrecognized() => None,
        _ => failed(
            "a status this version of the SDK does not know; look at the model with \
             models().get, or update the SDK",
        ),
    }
}
