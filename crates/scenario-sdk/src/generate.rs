//! Generations: `client.generate()`: running a model, and optionally waiting
//! for its job and fetching what it made. `Follow` (waiting for the job a run
//! starts, then fetching its assets) and its setters are shared with workflow
//! runs (`workflows.rs`).

use std::future::IntoFuture;

use futures::future::BoxFuture;
use scenario_api::ops;
#[cfg(doc)]
use scenario_api::types::WorkflowRunResponse;
use scenario_api::types::{
    Asset, AssetGetBulkRequest, DryRun, Job, RunModelRequest, RunModelResponse,
};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::jobs::{JobWaitSettings, ProgressFn, WaitForJob};
use crate::request::Request;

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

/// What a run answered: its job and, when it was waited for, its assets. `R`
/// is what starting the run answered: [`RunModelResponse`] for a model run,
/// [`WorkflowRunResponse`] for a workflow run.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Generation<R = RunModelResponse> {
    /// The job: as started, or as it ended when the run waited for it.
    pub job: Job,
    /// The assets the job made, in the job's order (empty unless the run
    /// waited for it). An asset deleted between the job's end and the fetch
    /// is left out: `job.metadata.asset_ids` still names it.
    pub assets: Vec<Asset>,
    /// What starting the run answered (its cost, its IP detection result...).
    pub response: R,
}

/// How a run follows the job it starts: whether to wait for it, how long and
/// how often to poll, and who hears of its progress.
#[derive(Clone, Default)]
pub(crate) struct Follow {
    pub(crate) wait: bool,
    pub(crate) settings: JobWaitSettings,
    pub(crate) on_progress: Option<ProgressFn>,
}

impl Follow {
    /// The run's result: `job` as started or, with `wait`, as it ended, with
    /// its assets.
    pub(crate) async fn finish<R>(
        self,
        client: &Client,
        job: Job,
        response: R,
    ) -> Result<Generation<R>> {
        if !self.wait {
            return Ok(Generation {
                job,
                assets: Vec::new(),
                response,
            });
        }
        let job = WaitForJob {
            jobs: client.jobs(),
            job_id: job.job_id,
            settings: self.settings,
            on_progress: self.on_progress,
        }
        .send()
        .await?;
        let assets = fetch_assets(client, &job).await?;
        Ok(Generation {
            job,
            assets,
            response,
        })
    }
}

/// The setters of a run builder with a `follow: Follow` field: whether and how
/// to wait for its job.
macro_rules! follow_setters {
    () => {
        /// Whether to wait for the job to end and fetch its assets (no by
        /// default): one request for all the assets, whatever their number.
        pub fn wait(mut self, wait: bool) -> Self {
            self.follow.wait = wait;
            self
        }

        /// How long to wait for the job (see
        /// [`WaitForJob::timeout`](crate::WaitForJob::timeout); 300 s by default).
        pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
            self.follow.settings.timeout = timeout;
            self
        }

        /// The first pause between two polls of the job (see
        /// [`WaitForJob::interval`](crate::WaitForJob::interval)).
        pub fn interval(mut self, interval: std::time::Duration) -> Self {
            self.follow.settings.interval = interval;
            self
        }

        /// The longest pause between two polls of the job (see
        /// [`WaitForJob::max_interval`](crate::WaitForJob::max_interval)).
        pub fn max_interval(mut self, max_interval: std::time::Duration) -> Self {
            self.follow.settings.max_interval = max_interval;
            self
        }

        /// Called while waiting (see
        /// [`WaitForJob::on_progress`](crate::WaitForJob::on_progress)).
        pub fn on_progress(
            mut self,
            callback: impl Fn(&scenario_api::types::JobStatus, f64) + Send + Sync + 'static,
        ) -> Self {
            self.follow.on_progress = Some(std::sync::Arc::new(callback));
            self
        }
    };
}
pub(crate) use follow_setters;

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
    /// the cost fields set and no job).
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
    pub async fn send(self) -> Result<Generation> {
        let response = self.request.send().await?;
        let Some(job) = response.job.clone() else {
            return Err(Error::InvalidInput(
                "the service started no job (was dryRun set? use CustomRun::dry_run)".into(),
            ));
        };
        self.follow.finish(&self.client, job, response).await
    }
}

impl IntoFuture for CustomRun {
    type Output = Result<Generation>;
    type IntoFuture = BoxFuture<'static, Result<Generation>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// The job's assets in one get-bulk request (not one per asset), in the job's order.
async fn fetch_assets(client: &Client, job: &Job) -> Result<Vec<Asset>> {
    let ids = &job.metadata.asset_ids;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let body = AssetGetBulkRequest {
        asset_ids: ids.clone(),
        ..AssetGetBulkRequest::default()
    };
    let mut found = client
        .request(ops::GetAssetsBulk::new(body))
        .send()
        .await?
        .assets;
    let mut ordered = Vec::with_capacity(found.len());
    for id in ids {
        if let Some(at) = found.iter().position(|a| &a.id == id) {
            ordered.push(found.swap_remove(at));
        }
    }
    Ok(ordered)
}
