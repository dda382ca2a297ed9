//! `/v1/projects...`: projects (create, list, retrieve, update, delete), their API
//! keys, members, instructions and memory; the brief, watermark and webhook
//! routes come from `http::scoped`. The state layer is `state::projects`.

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
    ApiKeyCreateRequest, EmptyResponse, MemoryUpdateRequest, Project, ProjectCreateRequest,
    ProjectListResponse, ProjectMemberCreateRequest, ProjectMemberUpdateRequest, ProjectResponse,
    ProjectUpdateRequest,
};

use crate::builders::built;
use crate::http::app::App;
use crate::http::extract::{body_of, id_of, ids_of, query_of};
use crate::http::models::{offset_token, page_of};
use crate::http::responses::api_error;
use crate::http::routes::Handlers;
use crate::http::scoped::{self, scoped_handlers};
use crate::state::projects::ProjectError;
use crate::state::scoped::{Document, Scope};

/// A page of projects when the request names no size.
const PAGE_SIZE: usize = 10;

type IdPath = Result<Path<String>, PathRejection>;
type IdsPath = Result<Path<(String, String)>, PathRejection>;
type Body = Result<Bytes, BytesRejection>;

scoped_handlers!(
    Scope::Project,
    ops::ListProjectWebhookEvents,
    ops::ListProjectWebhookEventsQuery
);

fn refused(id: &str, error: ProjectError) -> Response {
    let missing = |message: String| api_error(StatusCode::NOT_FOUND, message);
    match error {
        ProjectError::Missing => missing(format!("Project {id} not found")),
        ProjectError::Team(team) => missing(format!("Team {team} not found")),
        ProjectError::Key(key) => missing(format!("API key {key} not found")),
        ProjectError::Member(member) => missing(format!("Member {member} not found")),
    }
}

fn one(project: Project) -> Response {
    Json(built::<ProjectResponse, _>(
        ProjectResponse::builder().project(project),
    ))
    .into_response()
}

fn answer(result: Result<Project, ProjectError>, id: &str) -> Response {
    result.map_or_else(|error| refused(id, error), one)
}

fn empty() -> Response {
    Json(EmptyResponse::from(serde_json::Map::new())).into_response()
}

/// `POST /v1/projects`.
pub(crate) async fn create(State(app): State<Arc<App>>, uri: Uri, body: Body) -> Response {
    let query: ops::CreateProjectQuery = query_of!(ops::CreateProject, uri);
    let request: ProjectCreateRequest = body_of!(body);
    if request.name.trim().is_empty() {
        return api_error(StatusCode::BAD_REQUEST, "name must not be empty");
    }
    let result = app.state.create_project(
        query.team_id,
        request.name,
        request.auto_join.unwrap_or(true),
        request.privacy_mode.unwrap_or(false),
    );
    answer(result, "")
}

/// `GET /v1/projects`: oldest first; the token is the offset of the next page.
pub(crate) async fn list(State(app): State<Arc<App>>, uri: Uri) -> Response {
    let query: ops::ListProjectsQuery = query_of!(ops::ListProjects, uri);
    if let Err(error) = query.validate() {
        return api_error(StatusCode::BAD_REQUEST, error.to_string());
    }
    let offset = offset_token("projects", query.pagination_token.as_deref());
    let all = match app.state.projects(query.team_id.as_deref()) {
        Ok(all) => all,
        Err(error) => return refused("", error),
    };
    let size = query.page_size.map_or(PAGE_SIZE, |n| n as usize);
    let (page, next) = page_of(&all, "projects", offset, size);
    Json(built::<ProjectListResponse, _>(
        ProjectListResponse::builder()
            .projects(page)
            .next_pagination_token(next),
    ))
    .into_response()
}

/// `GET /v1/projects/{projectId}`.
pub(crate) async fn get(State(app): State<Arc<App>>, path: IdPath) -> Response {
    let id = id_of!(path);
    answer(app.state.project(&id), &id)
}

/// `PUT /v1/projects/{projectId}`.
pub(crate) async fn update(State(app): State<Arc<App>>, path: IdPath, body: Body) -> Response {
    let id = id_of!(path);
    let request: ProjectUpdateRequest = body_of!(body);
    if request.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return api_error(StatusCode::BAD_REQUEST, "name must not be empty");
    }
    answer(app.state.update_project(&id, request), &id)
}

/// `DELETE /v1/projects/{projectId}`.
pub(crate) async fn delete(State(app): State<Arc<App>>, path: IdPath) -> Response {
    let id = id_of!(path);
    app.state
        .delete_project(&id)
        .map_or_else(|error| refused(&id, error), |()| empty())
}

/// `POST /v1/projects/{projectId}/api-keys`: the secret is in this answer only.
pub(crate) async fn create_api_key(
    State(app): State<Arc<App>>,
    path: IdPath,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let request: ApiKeyCreateRequest = body_of!(body);
    if request
        .max_consumption
        .is_some_and(|m| m < 0.0 && m != -1.0)
    {
        return api_error(
            StatusCode::BAD_REQUEST,
            "maxConsumption must be at least 0, or -1 for no cap",
        );
    }
    match app.state.create_api_key(&id, request) {
        Ok(created) => Json(created).into_response(),
        Err(error) => refused(&id, error),
    }
}

/// `DELETE /v1/projects/{projectId}/api-keys/{keyId}`.
pub(crate) async fn delete_api_key(State(app): State<Arc<App>>, path: IdsPath) -> Response {
    let (id, key) = ids_of!(path);
    app.state
        .delete_api_key(&id, &key)
        .map_or_else(|error| refused(&id, error), |()| empty())
}

/// `GET /v1/projects/{projectId}/instructions`.
pub(crate) async fn get_instructions(State(app): State<Arc<App>>, path: IdPath) -> Response {
    let id = id_of!(path);
    scoped::document(&app, &Scope::Project(id), Document::Instructions)
}

/// `PUT /v1/projects/{projectId}/instructions`.
pub(crate) async fn update_instructions(
    State(app): State<Arc<App>>,
    path: IdPath,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let request: MemoryUpdateRequest = body_of!(body);
    scoped::set_document(
        &app,
        &Scope::Project(id),
        Document::Instructions,
        request.content,
    )
}

/// `GET /v1/projects/{projectId}/memory`.
pub(crate) async fn get_memory(State(app): State<Arc<App>>, path: IdPath) -> Response {
    let id = id_of!(path);
    scoped::document(&app, &Scope::Project(id), Document::Memory)
}

/// `PUT /v1/projects/{projectId}/memory`.
pub(crate) async fn update_memory(
    State(app): State<Arc<App>>,
    path: IdPath,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let request: MemoryUpdateRequest = body_of!(body);
    scoped::set_document(&app, &Scope::Project(id), Document::Memory, request.content)
}

/// `POST /v1/projects/{projectId}/members`: a member of the team joins the project.
pub(crate) async fn add_member(State(app): State<Arc<App>>, path: IdPath, body: Body) -> Response {
    let id = id_of!(path);
    let request: ProjectMemberCreateRequest = body_of!(body);
    if request.role.trim().is_empty() {
        return api_error(StatusCode::BAD_REQUEST, "role must not be empty");
    }
    answer(
        app.state
            .add_project_member(&id, &request.user_id, request.role),
        &id,
    )
}

/// `PUT /v1/projects/{projectId}/members/{memberId}`.
pub(crate) async fn update_member(
    State(app): State<Arc<App>>,
    path: IdsPath,
    body: Body,
) -> Response {
    let (id, member) = ids_of!(path);
    let request: ProjectMemberUpdateRequest = body_of!(body);
    answer(
        app.state.update_project_member(&id, &member, request.role),
        &id,
    )
}

/// `DELETE /v1/projects/{projectId}/members/{memberId}`.
pub(crate) async fn remove_member(State(app): State<Arc<App>>, path: IdsPath) -> Response {
    let (id, member) = ids_of!(path);
    answer(app.state.remove_project_member(&id, &member), &id)
}

/// Registers this area's handlers, one per operation.
pub(crate) fn register(handlers: &mut Handlers) {
    handlers
        .on(OperationId::CreateProject, create)
        .on(OperationId::ListProjects, list)
        .on(OperationId::GetProject, get)
        .on(OperationId::UpdateProject, update)
        .on(OperationId::DeleteProject, delete)
        .on(OperationId::CreateProjectApiKey, create_api_key)
        .on(OperationId::DeleteProjectApiKey, delete_api_key)
        .on(OperationId::GetProjectInstructions, get_instructions)
        .on(OperationId::UpdateProjectInstructions, update_instructions)
        .on(OperationId::GetProjectMemory, get_memory)
        .on(OperationId::UpdateProjectMemory, update_memory)
        .on(OperationId::AddProjectMember, add_member)
        .on(OperationId::UpdateProjectMember, update_member)
        .on(OperationId::RemoveProjectMember, remove_member)
        .on(OperationId::GetProjectBrief, get_brief)
        .on(OperationId::UpdateProjectBrief, update_brief)
        .on(OperationId::DeleteProjectBrief, delete_brief)
        .on(OperationId::GetProjectWatermark, get_watermark)
        .on(OperationId::UpdateProjectWatermark, update_watermark)
        .on(OperationId::DeleteProjectWatermark, delete_watermark)
        .on(
            OperationId::UpdateProjectWatermarkLogo,
            update_watermark_logo,
        )
        .on(
            OperationId::DeleteProjectWatermarkLogo,
            delete_watermark_logo,
        )
        .on(OperationId::PreviewProjectWatermark, preview_watermark)
        .on(
            OperationId::CreateProjectWebhookEndpoint,
            create_webhook_endpoint,
        )
        .on(
            OperationId::ListProjectWebhookEndpoints,
            list_webhook_endpoints,
        )
        .on(
            OperationId::UpdateProjectWebhookEndpoint,
            update_webhook_endpoint,
        )
        .on(
            OperationId::DeleteProjectWebhookEndpoint,
            delete_webhook_endpoint,
        )
        .on(OperationId::ListProjectWebhookEvents, list_webhook_events)
        .on(OperationId::GetProjectWebhookEvent, get_webhook_event);
}
