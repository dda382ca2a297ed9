//! What runs of models and of workflows share: following the job a run starts
//! (waiting for it, then fetching its assets in one request) and the setters
//! that ask for it.

use scenario_api::ops;
use scenario_api::types::{Asset, AssetGetBulkRequest, Job};

use crate::error::Result;
use crate::handle::Client;
use crate::jobs::{JOB_PACE, ProgressFn, WaitForJob};
use crate::poll::Pace;

/// What a run answered: its job and, when it was waited for, its assets. `R`
/// is what starting the run answered: `RunModelResponse` for a model run
/// ([`Generate::custom`](crate::Generate::custom), with the `generate`
/// feature), `WorkflowRunResponse` for a workflow run (with `workflows`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Generation<R> {
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
#[derive(Clone)]
pub(crate) struct Follow {
    pub(crate) wait: bool,
    pub(crate) settings: Pace,
    pub(crate) on_progress: Option<ProgressFn>,
}

impl Default for Follow {
    fn default() -> Self {
        Self {
            wait: false,
            settings: JOB_PACE,
            on_progress: None,
        }
    }
}

impl Follow {
    /// Refuses, before the paid run is started, a wait that could only time
    /// out (a zero timeout) or would poll without pause (a zero interval).
    pub(crate) fn check(&self) -> Result<()> {
        if !self.wait {
            return Ok(());
        }
        self.settings
            .check_before_starting("the run (and paid for)")
    }

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
