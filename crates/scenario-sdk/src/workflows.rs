//! Workflows: `client.workflows()`: running a workflow, and optionally waiting
//! for its job and fetching what it made (the waiting is `generate::Follow`,
//! shared with model runs). The other workflow operations go through
//! [`Client::request`] with the generated `ops::…Workflow…` types.

use std::future::IntoFuture;

use futures::future::BoxFuture;
use scenario_api::ops;
use scenario_api::types::{DryRun, RunWorkflowRequest, WorkflowRunResponse};

use crate::error::{Error, Result};
use crate::handle::Client;
use crate::request::Request;
use crate::runs::{Follow, Generation, follow_setters};

/// Workflows: `client.workflows()`.
#[derive(Clone, Debug)]
pub struct Workflows {
    client: Client,
}

impl Workflows {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Runs workflow `workflow_id` (`PUT /workflows/{workflowId}/run`). The
    /// body holds a value per input of the workflow (see its inputs with
    /// `GET /workflows/{workflowId}`): set them with [`WorkflowRun::input`];
    /// the query parameters with [`WorkflowRun::query`].
    ///
    /// A workflow with a user-approval or user-selection step waits for a
    /// decision (`ops::WorkflowUserApproval`, `ops::WorkflowUserSelection`)
    /// before its job can end: [`WorkflowRun::wait`] then waits until the
    /// decision is made or its timeout passes.
    ///
    /// ```no_run
    /// # async fn run(client: scenario_sdk::Client) -> scenario_sdk::Result<()> {
    /// let made = client
    ///     .workflows()
    ///     .run("workflow_abc")
    ///     .input("prompt", "a red fox")
    ///     .query(|q| q.project_id("proj_abc"))
    ///     .wait(true)
    ///     .on_progress(|status, progress| eprintln!("{status} {:.0}%", progress * 100.0))
    ///     .await?;
    /// for asset in &made.assets {
    ///     println!("{} {}", asset.id, asset.url);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn run(&self, workflow_id: impl Into<String>) -> WorkflowRun {
        let op = ops::RunWorkflow::new(workflow_id, RunWorkflowRequest(serde_json::Map::new()));
        WorkflowRun {
            client: self.client.clone(),
            request: self.client.request(op),
            follow: Follow::default(),
        }
    }
}

/// A run of a workflow: [`Workflows::run`]. Set its inputs, then `.await` it
/// (or call [`Self::send`]) to start it, or call [`Self::dry_run`] for its cost.
#[derive(Clone)]
#[must_use = "a run does nothing until you .await it"]
pub struct WorkflowRun {
    client: Client,
    request: Request<ops::RunWorkflow>,
    follow: Follow,
}

impl std::fmt::Debug for WorkflowRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkflowRun")
            .field("operation", self.request.operation())
            .field("wait", &self.follow.wait)
            .field("settings", &self.follow.settings)
            .finish_non_exhaustive()
    }
}

impl WorkflowRun {
    /// Sets input `name` of the run to `value`: the inputs depend on the
    /// workflow (see its `inputs`).
    pub fn input(mut self, name: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        let (name, value) = (name.into(), value.into());
        self.request = self.request.map_operation(|mut op| {
            op.body.0.insert(name, value);
            op
        });
        self
    }

    /// Sets query parameters with the generated setters of
    /// [`ops::RunWorkflowQuery`], such as `.query(|q| q.project_id("proj_abc"))`.
    pub fn query(mut self, f: impl FnOnce(ops::RunWorkflowQuery) -> ops::RunWorkflowQuery) -> Self {
        self.request = self.request.map_operation(|mut op| {
            op.query = f(op.query);
            op
        });
        self
    }

    /// Changes the request itself (retries, timeouts, the operation).
    pub fn map_request(
        mut self,
        f: impl FnOnce(Request<ops::RunWorkflow>) -> Request<ops::RunWorkflow>,
    ) -> Self {
        self.request = f(self.request);
        self
    }

    follow_setters!();

    /// Asks what the run would cost, starting nothing (`dryRun=true`, unless
    /// [`Self::query`] set another `dryRun`: the service answers HTTP 269 with
    /// the cost fields set, and the job it would start, which is never started).
    pub async fn dry_run(self) -> Result<WorkflowRunResponse> {
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
    pub async fn send(self) -> Result<Generation<WorkflowRunResponse>> {
        self.follow.check()?;
        if self.request.operation().query.dry_run.is_some() {
            return Err(Error::InvalidInput(
                "dryRun is set: a dry run starts no job; use WorkflowRun::dry_run".into(),
            ));
        }
        let response = self.request.send().await?;
        let job = response.job.clone();
        self.follow.finish(&self.client, job, response).await
    }
}

impl IntoFuture for WorkflowRun {
    type Output = Result<Generation<WorkflowRunResponse>>;
    type IntoFuture = BoxFuture<'static, Result<Generation<WorkflowRunResponse>>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
