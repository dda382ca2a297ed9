//! Generations: `client.generate()`: running a model, and optionally waiting
//! for its job and fetching what it made (with `runs.rs`, shared with workflow
//! runs).

use std::future::IntoFuture;

use futures::future::BoxFuture;
use scenario_api::ops;
use scenario_api::types::{DryRun, RunModelRequest, RunModelResponse};

use crate::error::{Error, Result};
use crate::handle::Client;
use crate::request::Request;
use crate::runs::{Follow, Generation, follow_setters};

/// Generations: `client.generate()`.
#[derive(Clone, Debug)]
pub struct Generate {
    client: Client,
}

impl Generate {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Runs model `model_id` (`POST /generate/custom/{modelId}`). The body is
    /// the model's own input: set it with [`CustomRun::prompt`] and
    /// [`CustomRun::param`]; the query parameters with [`CustomRun::query`].
    ///
    /// ```no_run
    /// # async fn run(client: scenario_sdk::Client) -> scenario_sdk::Result<()> {
    /// let estimate = client.generate().custom("model_abc").prompt("a red fox").dry_run().await?;
    /// println!("it would cost {:?} creative units", estimate.creative_units_cost);
    ///
    /// let made = client
    ///     .generate()
    ///     .custom("model_abc")
    ///     .prompt("a red fox")
    ///     .param("numOutputs", 2)
    ///     .query(|q| q.ip_detection(true))
    ///     .wait(true)
    ///     .on_progress(|status, progress| eprintln!("{status} {:.0}%", progress * 100.0))
    ///     .await?;
    /// for asset in &made.assets {
    ///     println!("{} {}", asset.id, asset.url);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn custom(&self, model_id: impl Into<String>) -> CustomRun {
        let op = ops::RunModel::new(model_id, RunModelRequest(serde_json::Map::new()));
        CustomRun {
            client: self.client.clone(),
            request: self.client.request(op),
            follow: Follow::default(),
        }
    }
}

/// A run of a model: [`Generate::custom`]. Set its input, then `.await` it (or
/// call [`Self::send`]) to start it, or call [`Self::dry_run`] for its cost.
#[derive(Clone)]
#[must_use = "a run does nothing until you .await it"]
pub struct CustomRun {
    client: Client,
    request: Request<ops::RunModel>,
    follow: Follow,
}

impl std::fmt::Debug for CustomRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomRun")
            .field("operation", self.request.operation())
            .field("wait", &self.follow.wait)
            .field("settings", &self.follow.settings)
            .finish_non_exhaustive()
    }
}

impl CustomRun {
    /// The `prompt` field of the body.
    pub fn prompt(self, prompt: impl Into<String>) -> Self {
        self.param("prompt", prompt.into())
    }

    /// Sets field `name` of the body to `value`: the fields depend on the
    /// model (see its inputs with `GET /models/{modelId}`).
    pub fn param(mut self, name: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        let (name, value) = (name.into(), value.into());
        self.request = self.request.map_operation(|mut op| {
            op.body.0.insert(name, value);
            op
        });
        self
    }

    /// Sets query parameters with the generated setters of
    /// [`ops::RunModelQuery`], such as `.query(|q| q.ip_detection(true))`.
    pub fn query(mut self, f: impl FnOnce(ops::RunModelQuery) -> ops::RunModelQuery) -> Self {
        self.request = self.request.map_operation(|mut op| {
            op.query = f(op.query);
            op
        });
        self
    }

    /// Changes the request itself (retries, timeouts, the operation).
    pub fn map_request(
        mut self,
        f: impl FnOnce(Request<ops::RunModel>) -> Request<ops::RunModel>,
    ) -> Self {
        self.request = f(self.request);
        self
    }

    follow_setters!();

    /// Asks what the run would cost, starting nothing (`dryRun=true`, unless
    /// [`Self::query`] set another `dryRun`: the service answers HTTP 269 with
    /// the cost fields set, and the job it would start, which is never started).
    pub async fn dry_run(self) -> Result<RunModelResponse> {
        self.request
            .map_operation(|mut op| {
                op.query.dry_run.get_or_insert(DryRun::True);
                op
            })
            .send()
            .await
    }

    /// Starts the run and, with [`Self::wait`], waits for its job and fetches
    /// its assets; the same as `.await`.
    pub async fn send(self) -> Result<Generation<RunModelResponse>> {
        self.follow.check()?;
        if self.request.operation().query.dry_run.is_some() {
            return Err(Error::InvalidInput(
                "dryRun is set: a dry run starts no job; use CustomRun::dry_run".into(),
            ));
        }
        let response = self.request.send().await?;
        let job = response.job.clone();
        self.follow.finish(&self.client, job, response).await
    }
}

impl IntoFuture for CustomRun {
    type Output = Result<Generation<RunModelResponse>>;
    type IntoFuture = BoxFuture<'static, Result<Generation<RunModelResponse>>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
