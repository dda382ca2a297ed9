//! `/v1/workflows...`: workflows (create, retrieve, update, delete, list, tags),
//! their runs (a `workflow` job; a dry run answers HTTP 269 with the cost) and
//! the user's decisions on the steps a run waits on (`state::workflows`).

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use scenario_api::ops;
use scenario_api::ops::OperationId;
use scenario_api::types::{
    CostDetails, EmptyResponse, JobResponse, JobType, RunWorkflowRequest, SortDirection, Workflow,
    WorkflowApprovalAction, WorkflowCreateRequest, WorkflowListItem, WorkflowListResponse,
    WorkflowPrivacy, WorkflowResponse, WorkflowRunResponse, WorkflowSelectionAction,
    WorkflowStatus, WorkflowTagsResponse, WorkflowUpdateRequest, WorkflowUserApprovalRequest,
    WorkflowUserSelectionRequest,
};

use crate::builders::built;
use crate::http::app::App;
use crate::http::extract::{body_of, id_of, query_of};
use crate::http::models::{offset_token, page_of};
use crate::http::responses::api_error;
use crate::http::routes::Handlers;
use crate::state::workflows::{UserDecision, WorkflowError, run_cost};

/// A page of workflows when the request names no size.
const PAGE_SIZE: usize = 50;

type IdPath = Result<Path<String>, PathRejection>;
type Body = Result<Bytes, BytesRejection>;

fn refused(id: &str, error: WorkflowError) -> Response {
    let missing = |message: String| api_error(StatusCode::NOT_FOUND, message);
    let bad = |message: String| api_error(StatusCode::BAD_REQUEST, message);
    match error {
        WorkflowError::Missing => missing(format!("Workflow {id} not found")),
        WorkflowError::Asset(asset) => missing(format!("Asset {asset} not found")),
        WorkflowError::Job(job) => missing(format!("Job {job} of workflow {id} not found")),
        WorkflowError::Node(node) => missing(format!("Node {node} not found in the job")),
        WorkflowError::NoFlow => bad(format!("Workflow {id} has no flow to run")),
        WorkflowError::Locked => bad(format!(
            "Workflow {id} is locked: unlock it (isLocked false) or set bypassLock"
        )),
        WorkflowError::MissingInput(name) => bad(format!("Input {name} is required")),
        WorkflowError::NodeType(node) => bad(format!("Node {node} is not of that kind")),
        WorkflowError::NotWaiting(node) => {
            bad(format!("Node {node} is not waiting for a decision"))
        }
        WorkflowError::Selection(message) => bad(message),
    }
}

fn one(workflow: Workflow) -> Response {
    Json(built::<WorkflowResponse, _>(
        WorkflowResponse::builder().workflow(workflow),
    ))
    .into_response()
}

/// A workflow as a listing shows it: without `flow` and `editorInfo` unless `full`.
fn list_item(workflow: Workflow, full: bool) -> Option<WorkflowListItem> {
    let mut value = serde_json::to_value(workflow).ok()?;
    if !full && let Some(object) = value.as_object_mut() {
        object.remove("flow");
        object.remove("editorInfo");
    }
    serde_json::from_value(value).ok()
}

/// `POST /v1/workflows`: a new draft, with no steps yet.
pub(crate) async fn create(State(app): State<Arc<App>>, uri: Uri, body: Body) -> Response {
    let _: ops::CreateWorkflowQuery = query_of!(ops::CreateWorkflow, uri);
    let request: WorkflowCreateRequest = body_of!(body);
    if request.name.trim().is_empty() {
        return api_error(StatusCode::BAD_REQUEST, "name must not be empty");
    }
    one(app.state.create_workflow(request.name, request.description))
}

/// `GET /v1/workflows`: most recently updated first (`sortDirection=asc`
/// reverses); the token is the offset of the next page. Without `status`, a
/// listing of public workflows holds the `ready` ones only.
pub(crate) async fn list(State(app): State<Arc<App>>, uri: Uri) -> Response {
    let query: ops::ListWorkflowsQuery = query_of!(ops::ListWorkflows, uri);
    if let Err(error) = query.validate() {
        return api_error(StatusCode::BAD_REQUEST, error.to_string());
    }
    let offset = offset_token("workflows", query.pagination_token.as_deref());
    let tags: Vec<&str> = query
        .tags
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    let status = query
        .status
        .as_ref()
        .map(|s| WorkflowStatus::from(s.as_str()));
    let status = match (&query.privacy, status) {
        (Some(WorkflowPrivacy::Public), None) => Some(WorkflowStatus::Ready),
        (_, status) => status,
    };
    let mut found: Vec<Workflow> = app
        .state
        .workflows()
        .into_iter()
        .filter(|w| query.privacy.as_ref().is_none_or(|p| &w.privacy == p))
        .filter(|w| status.as_ref().is_none_or(|s| &w.status == s))
        .filter(|w| tags.iter().all(|t| w.tag_set.iter().any(|have| have == t)))
        .collect();
    if query.sort_direction == Some(SortDirection::Asc) {
        found.reverse();
    }
    let size = query.page_size.map_or(PAGE_SIZE, |n| n as usize);
    let (page, next) = page_of(&found, "workflows", offset, size);
    let full = query.full.unwrap_or(true);
    let items: Vec<WorkflowListItem> = page
        .into_iter()
        .filter_map(|w| list_item(w, full))
        .collect();
    Json(built::<WorkflowListResponse, _>(
        WorkflowListResponse::builder()
            .workflows(items)
            .next_pagination_token(next),
    ))
    .into_response()
}

/// `GET /v1/workflows/tags`: the tags of the workflows in one state (`ready` by default).
pub(crate) async fn tags(State(app): State<Arc<App>>, uri: Uri) -> Response {
    let query: ops::ListWorkflowTagsQuery = query_of!(ops::ListWorkflowTags, uri);
    let status = query.status.unwrap_or(WorkflowStatus::Ready);
    Json(built::<WorkflowTagsResponse, _>(
        WorkflowTagsResponse::builder().tags(app.state.workflow_tags(&status)),
    ))
    .into_response()
}

/// `GET /v1/workflows/{workflowId}`.
pub(crate) async fn get(State(app): State<Arc<App>>, path: IdPath, uri: Uri) -> Response {
    let id = id_of!(path);
    let _: ops::GetWorkflowQuery = query_of!(ops::GetWorkflow, uri);
    app.state
        .workflow(&id)
        .map_or_else(|| refused(&id, WorkflowError::Missing), one)
}

/// `PUT /v1/workflows/{workflowId}`: what the body sets changes, the rest stays.
pub(crate) async fn update(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let _: ops::UpdateWorkflowQuery = query_of!(ops::UpdateWorkflow, uri);
    let request: WorkflowUpdateRequest = body_of!(body);
    app.state
        .update_workflow(&id, request)
        .map_or_else(|error| refused(&id, error), one)
}

/// `DELETE /v1/workflows/{workflowId}`: the jobs it ran stay.
pub(crate) async fn delete(State(app): State<Arc<App>>, path: IdPath, uri: Uri) -> Response {
    let id = id_of!(path);
    let _: ops::DeleteWorkflowQuery = query_of!(ops::DeleteWorkflow, uri);
    match app.state.delete_workflow(&id) {
        Ok(()) => Json(EmptyResponse::from(serde_json::Map::new())).into_response(),
        Err(error) => refused(&id, error),
    }
}

/// `PUT /v1/workflows/{workflowId}/run`: starts a `workflow` job; with `dryRun`,
/// starts nothing and answers HTTP 269 with the job it would start and the cost.
pub(crate) async fn run(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let query: ops::RunWorkflowQuery = query_of!(ops::RunWorkflow, uri);
    let request: RunWorkflowRequest = body_of!(body);
    if query.dry_run.is_some() {
        let Some(workflow) = app.state.workflow(&id) else {
            return refused(&id, WorkflowError::Missing);
        };
        let cost = run_cost(&workflow);
        let job = app.state.dry_run_job(JobType::Workflow, request.0);
        let answer: WorkflowRunResponse = built(
            WorkflowRunResponse::builder()
                .job(job)
                .workflow(workflow)
                .creative_units_cost(cost)
                .creative_units_discount(0.0)
                .cost_details(built::<CostDetails, _>(
                    CostDetails::builder().custom_generation(cost),
                )),
        );
        return (
            StatusCode::from_u16(269).unwrap_or(StatusCode::OK),
            Json(answer),
        )
            .into_response();
    }
    match app.state.run_workflow(&id, request.0) {
        Ok((job, workflow)) => {
            let cost = run_cost(&workflow);
            Json(built::<WorkflowRunResponse, _>(
                WorkflowRunResponse::builder()
                    .job(job)
                    .workflow(workflow)
                    .creative_units_cost(cost)
                    .creative_units_discount(0.0),
            ))
            .into_response()
        }
        Err(error) => refused(&id, error),
    }
}

fn decided(app: &App, id: &str, job_id: &str, node_id: &str, decision: UserDecision) -> Response {
    match app.state.decide(id, job_id, node_id, decision) {
        Ok(job) => Json(built::<JobResponse, _>(JobResponse::builder().job(job))).into_response(),
        Err(error) => refused(id, error),
    }
}

/// `PUT /v1/workflows/{workflowId}/user-approval`: approve (the default) or
/// reject the user-approval step a run waits on.
pub(crate) async fn user_approval(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let _: ops::WorkflowUserApprovalQuery = query_of!(ops::WorkflowUserApproval, uri);
    let request: WorkflowUserApprovalRequest = body_of!(body);
    let approve = request.action != Some(WorkflowApprovalAction::Reject);
    decided(
        &app,
        &id,
        &request.workflow_job_id,
        &request.node_id,
        UserDecision::Approval(approve),
    )
}

/// `PUT /v1/workflows/{workflowId}/user-selection`: select items (by position)
/// of the user-selection step a run waits on, or reject it.
pub(crate) async fn user_selection(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let _: ops::WorkflowUserSelectionQuery = query_of!(ops::WorkflowUserSelection, uri);
    let request: WorkflowUserSelectionRequest = body_of!(body);
    let selection =
        (request.action == WorkflowSelectionAction::Select).then_some(request.selected_indices);
    decided(
        &app,
        &id,
        &request.workflow_job_id,
        &request.node_id,
        UserDecision::Selection(selection),
    )
}

/// Registers this area's handlers, one per operation.
pub(crate) fn register(handlers: &mut Handlers) {
    handlers
        .on(OperationId::ListWorkflows, list)
        .on(OperationId::CreateWorkflow, create)
        .on(OperationId::ListWorkflowTags, tags)
        .on(OperationId::GetWorkflow, get)
        .on(OperationId::UpdateWorkflow, update)
        .on(OperationId::DeleteWorkflow, delete)
        .on(OperationId::RunWorkflow, run)
        .on(OperationId::WorkflowUserApproval, user_approval)
        .on(OperationId::WorkflowUserSelection, user_selection);
}
