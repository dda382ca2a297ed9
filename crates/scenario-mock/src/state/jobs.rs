//! Jobs: the store and their life cycle. A job is `queued` for the first quarter of
//! its duration, then `in-progress` with a progress rising towards 1, then
//! `success` (creating its assets, or its archive) or `failure`; a cancel makes it
//! `canceled` at once.
//!
//! A workflow job may wait for the user: at each of its gates (user-approval and
//! user-selection steps, in order) it stays `in-progress` with that step
//! `processing` until [`JobStore::resume`] hears the decision; each gate passed
//! gives the job another full duration.
//!
//! Like uploads, a job moves on when the stores are next reached after its time has
//! come (no timer task), so a paused tokio clock is honoured.

use std::collections::HashMap;
use std::time::Duration;

use scenario_api::types::{
    Job, JobFlow, JobFlowStatus, JobMetadata, JobStatus, JobStatusHistory, JobType,
};
use tokio::time::Instant;

use crate::builders::built;
use crate::clock::{iso, millis};
use crate::state::assets::{AssetStore, Identity, StoredAsset};

/// What a job makes when it succeeds.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// These assets (already built, not yet in the store).
    Assets(Vec<StoredAsset>),
    /// An archive of assets, served at this URL.
    Archive(String),
    /// Nothing beyond its answer (captions, prompts... are in the creating response).
    Nothing,
    /// It fails, saying why.
    Failure(String),
}

/// What creating a job needs.
pub(crate) struct NewJob {
    pub(crate) id: String,
    pub(crate) job_type: JobType,
    pub(crate) input: serde_json::Map<String, serde_json::Value>,
    pub(crate) outcome: Outcome,
    /// Whether a cancel is accepted while the job runs.
    pub(crate) cancelable: bool,
    pub(crate) now_ms: u64,
}

#[derive(Debug)]
struct JobEntry {
    job: Job,
    started: Instant,
    started_ms: u64,
    outcome: Option<Outcome>,
    cancelable: bool,
    /// The archive URL, once an archive job succeeded.
    download_url: Option<String>,
    /// The steps of its flow that wait for the user, in order (workflow jobs).
    gates: Vec<String>,
}

/// What the user decided on a step that waits for them.
#[derive(Debug)]
pub(crate) enum Decision {
    /// Go on; the step's output, if any.
    Accept(Option<serde_json::Value>),
    /// Stop the step and cancel the job.
    Reject,
}

/// Why a decision is refused.
#[derive(Debug)]
pub(crate) enum GateError {
    NotFound,
    /// The job is not (or no longer, or not yet) waiting on this step.
    NotWaiting,
}

/// Why a job cannot be canceled.
#[derive(Debug)]
pub(crate) enum CancelError {
    NotFound,
    NotCancelable,
    Finished(JobStatus),
}

/// Every job, in creation order.
#[derive(Debug, Default)]
pub(crate) struct JobStore {
    entries: HashMap<String, JobEntry>,
    order: Vec<String>,
}

/// A job as it is when it starts: queued, no progress yet.
pub(crate) fn queued(
    id: &str,
    job_type: JobType,
    input: serde_json::Map<String, serde_json::Value>,
    now_ms: u64,
    identity: &Identity,
) -> Job {
    let created = iso(now_ms);
    let metadata: JobMetadata = built(JobMetadata::builder().input(input));
    built(
        Job::builder()
            .author_id(identity.author_id.clone())
            .created_at(created.clone())
            .job_id(id.to_owned())
            .job_type(job_type)
            .metadata(metadata)
            .owner_id(identity.owner_id.clone())
            .progress(0.0)
            .status(JobStatus::Queued)
            .status_history(vec![history(JobStatus::Queued, now_ms)])
            .updated_at(created),
    )
}

fn history(status: JobStatus, ms: u64) -> JobStatusHistory {
    built(JobStatusHistory::builder().date(iso(ms)).status(status))
}

fn finished(status: &JobStatus) -> bool {
    matches!(
        status,
        JobStatus::Success | JobStatus::Failure | JobStatus::Canceled
    )
}

impl JobStore {
    pub(crate) fn create(&mut self, new: NewJob, identity: &Identity) -> Job {
        let job = queued(&new.id, new.job_type, new.input, new.now_ms, identity);
        self.entries.insert(
            new.id.clone(),
            JobEntry {
                job: job.clone(),
                started: Instant::now(),
                started_ms: new.now_ms,
                outcome: Some(new.outcome),
                cancelable: new.cancelable,
                download_url: None,
                gates: Vec::new(),
            },
        );
        self.order.push(new.id);
        job
    }

    pub(crate) fn get(&self, id: &str) -> Option<Job> {
        self.entries.get(id).map(|entry| entry.job.clone())
    }

    /// Makes a job run `flow` for `workflow_id`, stopping at `gates` (ids of
    /// steps of `flow`) until the user decides.
    pub(crate) fn attach_flow(
        &mut self,
        id: &str,
        workflow_id: String,
        flow: Vec<JobFlow>,
        gates: Vec<String>,
    ) -> Option<Job> {
        let entry = self.entries.get_mut(id)?;
        entry.job.metadata.workflow_id = Some(workflow_id);
        entry.job.metadata.flow = flow;
        entry.gates = gates;
        Some(entry.job.clone())
    }

    /// The ids of the assets a job will make when it succeeds.
    pub(crate) fn planned_assets(&self, id: &str) -> Vec<String> {
        match self
            .entries
            .get(id)
            .and_then(|entry| entry.outcome.as_ref())
        {
            Some(Outcome::Assets(made)) => made.iter().map(|a| a.asset.id.clone()).collect(),
            _ => Vec::new(),
        }
    }

    /// Applies the user's decision on step `node_id`, which the job must be
    /// waiting on: accepted, the job goes on for another full duration;
    /// rejected, it is canceled.
    pub(crate) fn resume(
        &mut self,
        id: &str,
        node_id: &str,
        decision: Decision,
        now: Instant,
        now_ms: u64,
    ) -> Result<Job, GateError> {
        let entry = self.entries.get_mut(id).ok_or(GateError::NotFound)?;
        let waiting = !finished(&entry.job.status)
            && entry.gates.first().is_some_and(|gate| gate == node_id)
            && entry
                .job
                .metadata
                .flow
                .iter()
                .any(|step| step.id == node_id && step.status == JobFlowStatus::Processing);
        if !waiting {
            return Err(GateError::NotWaiting);
        }
        entry.gates.remove(0);
        let step = entry.job.metadata.flow.iter_mut().find(|s| s.id == node_id);
        match decision {
            Decision::Accept(output) => {
                if let Some(step) = step {
                    step.status = JobFlowStatus::Success;
                    step.output = output;
                }
                entry.started = now;
                entry.started_ms = now_ms;
                entry.job.updated_at = iso(now_ms);
            }
            Decision::Reject => {
                if let Some(step) = step {
                    step.status = JobFlowStatus::Rejected;
                }
                entry.outcome = None;
                set_status(&mut entry.job, JobStatus::Canceled, now_ms);
            }
        }
        Ok(entry.job.clone())
    }

    /// The archive URL of a successful archive job.
    pub(crate) fn download_url(&self, id: &str) -> Option<String> {
        self.entries.get(id)?.download_url.clone()
    }

    /// The jobs, newest first, that `keep` lets through.
    pub(crate) fn newest_first(&self, keep: impl Fn(&Job) -> bool) -> Vec<Job> {
        self.order
            .iter()
            .rev()
            .filter_map(|id| self.entries.get(id))
            .map(|entry| &entry.job)
            .filter(|job| keep(job))
            .cloned()
            .collect()
    }

    pub(crate) fn cancel(&mut self, id: &str, now_ms: u64) -> Result<Job, CancelError> {
        let entry = self.entries.get_mut(id).ok_or(CancelError::NotFound)?;
        if finished(&entry.job.status) {
            return Err(CancelError::Finished(entry.job.status.clone()));
        }
        if !entry.cancelable {
            return Err(CancelError::NotCancelable);
        }
        entry.outcome = None;
        set_status(&mut entry.job, JobStatus::Canceled, now_ms);
        Ok(entry.job.clone())
    }

    /// Moves every running job to where its time says it is; a job that succeeds
    /// puts its assets in the store.
    pub(crate) fn advance(&mut self, now: Instant, duration: Duration, assets: &mut AssetStore) {
        let queued_for = duration / 4;
        for entry in self.entries.values_mut() {
            if finished(&entry.job.status) {
                continue;
            }
            let elapsed = now.saturating_duration_since(entry.started);
            let at = |offset: Duration| entry.started_ms.saturating_add(millis(offset));
            if elapsed >= duration && !entry.gates.is_empty() {
                if entry.job.status == JobStatus::Queued {
                    set_status(&mut entry.job, JobStatus::InProgress, at(queued_for));
                }
                entry.job.progress = entry.job.progress.clamp(0.5, 0.99);
                wait_at(&mut entry.job.metadata.flow, &entry.gates[0]);
            } else if elapsed >= duration {
                if entry.job.status == JobStatus::Queued {
                    set_status(&mut entry.job, JobStatus::InProgress, at(queued_for));
                }
                let done_ms = at(duration);
                match entry.outcome.take() {
                    Some(Outcome::Failure(message)) => {
                        entry.job.metadata.error = Some(message);
                        set_status(&mut entry.job, JobStatus::Failure, done_ms);
                    }
                    outcome => {
                        match outcome {
                            Some(Outcome::Assets(made)) => {
                                for asset in made {
                                    entry.job.metadata.asset_ids.push(asset.asset.id.clone());
                                    assets.insert(asset);
                                }
                            }
                            Some(Outcome::Archive(url)) => entry.download_url = Some(url),
                            _ => {}
                        }
                        entry.job.progress = 1.0;
                        for step in &mut entry.job.metadata.flow {
                            if step.status != JobFlowStatus::Success {
                                step.status = JobFlowStatus::Success;
                            }
                        }
                        set_status(&mut entry.job, JobStatus::Success, done_ms);
                    }
                }
                tracing::debug!(job = %entry.job.job_id, status = %entry.job.status, "job finished");
            } else if elapsed >= queued_for {
                if entry.job.status == JobStatus::Queued {
                    set_status(&mut entry.job, JobStatus::InProgress, at(queued_for));
                }
                let running = (elapsed - queued_for).as_secs_f64();
                let total = (duration - queued_for).as_secs_f64().max(f64::EPSILON);
                entry.job.progress = (running / total).clamp(0.0, 0.99);
                entry.job.updated_at = iso(at(elapsed));
            }
        }
    }
}

/// The flow as it stands when the job reaches gate `gate`: the steps before it
/// done, the gate `processing`.
fn wait_at(flow: &mut [JobFlow], gate: &str) {
    for step in flow {
        if step.id == gate {
            step.status = JobFlowStatus::Processing;
            return;
        }
        if step.status == JobFlowStatus::Pending {
            step.status = JobFlowStatus::Success;
        }
    }
}

fn set_status(job: &mut Job, status: JobStatus, ms: u64) {
    job.status_history.push(history(status.clone(), ms));
    job.status = status;
    job.updated_at = iso(ms);
}
