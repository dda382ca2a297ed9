//! Workflows: chains of steps the project defines, and their runs. A run is a
//! `workflow` job (in the job store) that copies the workflow's flow into its
//! metadata, makes one image per model step, and stops at each user-approval or
//! user-selection step until the user decides (`state::jobs` keeps the gates).
//!
//! A deleted workflow stays in the store with status `deleted`: gone from
//! retrieval, listings, runs and search, its tags still counted for that status.

use std::collections::{BTreeSet, HashMap};

use scenario_api::types::{
    AssetFrame, AssetSource, AssetType, Job, JobFlow, JobFlowStatus, JobFlowType, JobType,
    Workflow, WorkflowPrivacy, WorkflowStatus, WorkflowUpdateRequest,
};

use crate::builders::built;
use crate::clock::iso;
use crate::state::catalog::{Generated, Plan};
use crate::state::jobs::{Decision, GateError};
use crate::state::{State, Stores};

/// Why a workflow request is refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WorkflowError {
    /// The workflow does not exist (or was deleted).
    Missing,
    /// This asset does not exist.
    Asset(String),
    /// The workflow has no steps to run.
    NoFlow,
    /// The workflow is locked: an update must unlock it or bypass the lock.
    Locked,
    /// This input is required and the run leaves it out.
    MissingInput(String),
    /// This job is not a run of the workflow.
    Job(String),
    /// The job has no such step.
    Node(String),
    /// The step is not of the kind the decision is for.
    NodeType(String),
    /// The job is not waiting on this step.
    NotWaiting(String),
    /// The selection is not a list of positions in the step's items.
    Selection(String),
}

/// What the user decided on a step that waits for them.
#[derive(Debug)]
pub(crate) enum UserDecision {
    /// Approve (`true`) or reject a user-approval step.
    Approval(bool),
    /// Select these items (by position) of a user-selection step, or reject it (`None`).
    Selection(Option<Vec<u32>>),
}

/// Every workflow, in creation order.
#[derive(Debug, Default)]
pub(crate) struct WorkflowStore {
    entries: HashMap<String, Workflow>,
    order: Vec<String>,
}

impl WorkflowStore {
    fn live(&self, id: &str) -> Option<&Workflow> {
        self.entries
            .get(id)
            .filter(|w| w.status != WorkflowStatus::Deleted)
    }

    fn live_mut(&mut self, id: &str) -> Option<&mut Workflow> {
        self.entries
            .get_mut(id)
            .filter(|w| w.status != WorkflowStatus::Deleted)
    }
}

/// Whether a step makes an image when the workflow runs.
fn makes_image(step: &JobFlowType) -> bool {
    matches!(step, JobFlowType::Model | JobFlowType::CustomModel)
}

/// What a run of `workflow` costs, in creative units: 5 per model step.
pub(crate) fn run_cost(workflow: &Workflow) -> f64 {
    let steps = workflow
        .flow
        .iter()
        .filter(|s| makes_image(&s.type_))
        .count();
    5.0 * steps.max(1) as f64
}

impl State {
    pub(crate) fn create_workflow(&self, name: String, description: String) -> Workflow {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        let id = stores.ids.next("workflow");
        let workflow: Workflow = built(
            Workflow::builder()
                .id(id.clone())
                .author_id(self.identity.author_id.clone())
                .owner_id(self.identity.owner_id.clone())
                .created_at(iso(now_ms))
                .updated_at(iso(now_ms))
                .name(name)
                .description(description)
                .short_description(String::new())
                .editor_info(serde_json::Map::new())
                .flow(Vec::new())
                .has_flow(false)
                .inputs(Vec::new())
                .privacy(WorkflowPrivacy::Private)
                .status(WorkflowStatus::Draft)
                .tag_set(Vec::new()),
        );
        stores.workflows.order.push(id.clone());
        stores.workflows.entries.insert(id, workflow.clone());
        workflow
    }

    pub(crate) fn workflow(&self, id: &str) -> Option<Workflow> {
        self.stores().workflows.live(id).cloned()
    }

    /// Every live workflow, most recently updated first (newest first among equals).
    pub(crate) fn workflows(&self) -> Vec<Workflow> {
        let stores = self.stores();
        let mut all: Vec<(usize, Workflow)> = stores
            .workflows
            .order
            .iter()
            .enumerate()
            .filter_map(|(at, id)| Some((at, stores.workflows.live(id)?.clone())))
            .collect();
        all.sort_by(|(a_at, a), (b_at, b)| {
            b.updated_at.cmp(&a.updated_at).then_with(|| b_at.cmp(a_at))
        });
        all.into_iter().map(|(_, w)| w).collect()
    }

    /// The tags of the workflows in `status`, sorted, each once.
    pub(crate) fn workflow_tags(&self, status: &WorkflowStatus) -> Vec<String> {
        let stores = self.stores();
        let tags: BTreeSet<String> = stores
            .workflows
            .entries
            .values()
            .filter(|w| &w.status == status)
            .flat_map(|w| w.tag_set.iter().cloned())
            .collect();
        tags.into_iter().collect()
    }

    /// Changes what `update` sets; `after`, `before` and `thumbnail` name assets.
    /// A locked workflow changes only when the update unlocks it (`isLocked`
    /// false) or bypasses the lock (`bypassLock`).
    pub(crate) fn update_workflow(
        &self,
        id: &str,
        update: WorkflowUpdateRequest,
    ) -> Result<Workflow, WorkflowError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        let Stores {
            workflows, assets, ..
        } = &mut *stores;
        let locked = workflows
            .live(id)
            .ok_or(WorkflowError::Missing)?
            .is_locked
            .unwrap_or(false);
        if locked && update.is_locked != Some(false) && update.bypass_lock != Some(true) {
            return Err(WorkflowError::Locked);
        }
        let frame = |asset_id: Option<String>| -> Result<Option<AssetFrame>, WorkflowError> {
            let Some(asset_id) = asset_id else {
                return Ok(None);
            };
            let asset = assets
                .get(&asset_id)
                .ok_or(WorkflowError::Asset(asset_id))?;
            Ok(Some(built::<AssetFrame, _>(
                AssetFrame::builder().asset_id(asset.id).url(asset.url),
            )))
        };
        let (after, before, thumbnail) = (
            frame(update.after)?,
            frame(update.before)?,
            frame(update.thumbnail)?,
        );
        let workflow = workflows.live_mut(id).ok_or(WorkflowError::Missing)?;
        macro_rules! set {
            ($($field:ident),*) => {$(
                if let Some(value) = update.$field {
                    workflow.$field = value;
                }
            )*};
        }
        set!(description, name, short_description, privacy);
        if let Some(status) = update.status {
            workflow.status = WorkflowStatus::from(status.as_str());
        }
        if !update.editor_info.is_empty() {
            workflow.editor_info = update.editor_info;
        }
        if !update.flow.is_empty() {
            workflow.flow = update.flow;
        }
        if !update.inputs.is_empty() {
            workflow.inputs = update.inputs;
        }
        if !update.output_asset_kinds.is_empty() {
            workflow.output_asset_kinds = update.output_asset_kinds;
        }
        if !update.tag_set.is_empty() {
            workflow.tag_set = update.tag_set;
        }
        if let Some(locked) = update.is_locked
            && workflow.is_locked != Some(locked)
        {
            workflow.is_locked = Some(locked);
            workflow.locked_state_changed_at = Some(iso(now_ms));
            workflow.locked_state_changed_by = Some(self.identity.author_id.clone());
        }
        workflow.after = after.or(workflow.after.take());
        workflow.before = before.or(workflow.before.take());
        workflow.thumbnail = thumbnail.or(workflow.thumbnail.take());
        workflow.has_flow = !workflow.flow.is_empty();
        workflow.updated_at = iso(now_ms);
        Ok(workflow.clone())
    }

    /// Marks a workflow deleted; the jobs it ran stay.
    pub(crate) fn delete_workflow(&self, id: &str) -> Result<(), WorkflowError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        let workflow = stores
            .workflows
            .live_mut(id)
            .ok_or(WorkflowError::Missing)?;
        workflow.status = WorkflowStatus::Deleted;
        workflow.updated_at = iso(now_ms);
        Ok(())
    }

    /// Starts a run of workflow `id` with `input` (a value per input name): a
    /// `workflow` job whose metadata carries the flow, each step `pending`.
    pub(crate) fn run_workflow(
        &self,
        id: &str,
        input: serde_json::Map<String, serde_json::Value>,
    ) -> Result<(Job, Workflow), WorkflowError> {
        let workflow = self.workflow(id).ok_or(WorkflowError::Missing)?;
        if workflow.flow.is_empty() {
            return Err(WorkflowError::NoFlow);
        }
        if let Some(missing) = workflow.inputs.iter().find(|i| {
            i.required.as_ref().and_then(|r| r.always) == Some(true)
                && i.default.is_none()
                && input.get(&i.name).is_none_or(serde_json::Value::is_null)
        }) {
            return Err(WorkflowError::MissingInput(missing.name.clone()));
        }
        let prompt = input
            .values()
            .find_map(|v| v.as_str().filter(|s| !s.starts_with("asset_")))
            .map(str::to_owned);
        let made = workflow
            .flow
            .iter()
            .filter(|step| makes_image(&step.type_))
            .map(|step| Generated {
                type_: AssetType::InferenceTxt2img,
                source: AssetSource::InferenceTxt,
                parent_id: None,
                model_id: step.model_id.clone(),
                prompt: prompt.clone(),
            })
            .collect();
        let job = self.start_job(JobType::Workflow, input, Plan::Assets(made), true);
        let mut stores = self.stores();
        let candidates = stores.jobs.planned_assets(&job.job_id);
        let mut gates = Vec::new();
        let flow: Vec<JobFlow> = workflow
            .flow
            .iter()
            .filter_map(|step| {
                let mut value = serde_json::to_value(step).ok()?;
                let object = value.as_object_mut()?;
                object.insert("status".into(), JobFlowStatus::Pending.as_str().into());
                if step.type_ == JobFlowType::UserSelection && step.items.is_empty() {
                    object.insert("items".into(), candidates.clone().into());
                }
                if matches!(
                    step.type_,
                    JobFlowType::UserApproval | JobFlowType::UserSelection
                ) {
                    gates.push(step.id.clone());
                }
                serde_json::from_value(value).ok()
            })
            .collect();
        let job = stores
            .jobs
            .attach_flow(&job.job_id, workflow.id.clone(), flow, gates)
            .unwrap_or(job);
        Ok((job, workflow))
    }

    /// Applies the user's decision on step `node_id` of job `job_id`, a run of
    /// workflow `workflow_id` waiting on that step.
    pub(crate) fn decide(
        &self,
        workflow_id: &str,
        job_id: &str,
        node_id: &str,
        decision: UserDecision,
    ) -> Result<Job, WorkflowError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        if stores.workflows.live(workflow_id).is_none() {
            return Err(WorkflowError::Missing);
        }
        let job = stores
            .jobs
            .get(job_id)
            .filter(|job| job.metadata.workflow_id.as_deref() == Some(workflow_id))
            .ok_or_else(|| WorkflowError::Job(job_id.to_owned()))?;
        let step = job
            .metadata
            .flow
            .iter()
            .find(|step| step.id == node_id)
            .ok_or_else(|| WorkflowError::Node(node_id.to_owned()))?;
        let decision = match (decision, &step.type_) {
            (UserDecision::Approval(true), JobFlowType::UserApproval) => Decision::Accept(None),
            (UserDecision::Approval(false), JobFlowType::UserApproval)
            | (UserDecision::Selection(None), JobFlowType::UserSelection) => Decision::Reject,
            (UserDecision::Selection(Some(indices)), JobFlowType::UserSelection) => {
                if step.status != JobFlowStatus::Processing {
                    return Err(WorkflowError::NotWaiting(node_id.to_owned()));
                }
                let picked: Option<Vec<String>> = indices
                    .iter()
                    .map(|&i| step.items.get(usize::try_from(i).ok()?).cloned())
                    .collect();
                match picked {
                    Some(picked) if !picked.is_empty() => {
                        Decision::Accept(Some(serde_json::json!(picked)))
                    }
                    _ => {
                        return Err(WorkflowError::Selection(format!(
                            "selectedIndices must name at least one of the {} items of node {node_id}",
                            step.items.len()
                        )));
                    }
                }
            }
            _ => return Err(WorkflowError::NodeType(node_id.to_owned())),
        };
        stores
            .jobs
            .resume(
                job_id,
                node_id,
                decision,
                tokio::time::Instant::now(),
                now_ms,
            )
            .map_err(|error| match error {
                GateError::NotFound => WorkflowError::Job(job_id.to_owned()),
                GateError::NotWaiting => WorkflowError::NotWaiting(node_id.to_owned()),
            })
    }

    /// The live workflows whose name, descriptions or tags contain `text`;
    /// `public`: only public ones.
    pub(crate) fn search_workflows(&self, text: &str, public: bool) -> Vec<Workflow> {
        let needle = text.trim().to_lowercase();
        self.workflows()
            .into_iter()
            .filter(|w| !public || w.privacy == WorkflowPrivacy::Public)
            .filter(|w| {
                needle.is_empty()
                    || [&w.name, &w.description, &w.short_description]
                        .into_iter()
                        .chain(&w.tag_set)
                        .any(|text| text.to_lowercase().contains(&needle))
            })
            .collect()
    }
}
