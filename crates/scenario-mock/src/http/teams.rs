//! `/v1/teams...`: the fake's one team (retrieve, update, list), its limits,
//! members and invitations, and IP filters; the brief, watermark and webhook
//! routes come from `http::scoped`. The state layer is `state::teams`.

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
    DeletedResponse, EmptyResponse, IpFilterCreateRequest, IpFilterDraftRequest,
    IpFilterInstructionResponse, IpFilterListResponse, IpFilterResponse, IpFilterUpdateRequest,
    TeamListResponse, TeamMemberCreateRequest, TeamMemberUpdateRequest, TeamOverview,
    TeamOverviewResponse, TeamResponse, TeamUpdateRequest,
};

use crate::builders::built;
use crate::http::app::App;
use crate::http::extract::{body_of, id_of, ids_of, query_of};
use crate::http::responses::api_error;
use crate::http::routes::Handlers;
use crate::http::scoped::scoped_handlers;
use crate::state::scoped::Scope;
use crate::state::teams::TeamError;

/// Where the fake's invitation links point.
const INVITATIONS: &str = "https://app.scenario.invalid";

type IdPath = Result<Path<String>, PathRejection>;
type IdsPath = Result<Path<(String, String)>, PathRejection>;
type Body = Result<Bytes, BytesRejection>;

scoped_handlers!(
    Scope::Team,
    ops::ListTeamWebhookEvents,
    ops::ListTeamWebhookEventsQuery
);

fn refused(id: &str, error: TeamError) -> Response {
    let missing = |message: String| api_error(StatusCode::NOT_FOUND, message);
    match error {
        TeamError::Missing => missing(format!("Team {id} not found")),
        TeamError::Member(member) => missing(format!("Member {member} not found")),
        TeamError::Invitation(email) => missing(format!("No pending invitation to {email}")),
        TeamError::Filter(filter) => missing(format!("IP filter {filter} not found")),
        TeamError::Project(project) => missing(format!("Project {project} not found")),
    }
}

fn reply<T: serde::Serialize>(id: &str, result: Result<T, TeamError>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(error) => refused(id, error),
    }
}

fn overview(id: &str, result: Result<TeamOverview, TeamError>) -> Response {
    reply(
        id,
        result.map(|t| built::<TeamOverviewResponse, _>(TeamOverviewResponse::builder().team(t))),
    )
}

fn empty(id: &str, result: Result<(), TeamError>) -> Response {
    reply(
        id,
        result.map(|()| EmptyResponse::from(serde_json::Map::new())),
    )
}

/// `GET /v1/teams`: the fake's one team.
pub(crate) async fn list(State(app): State<Arc<App>>) -> Response {
    Json(built::<TeamListResponse, _>(
        TeamListResponse::builder().teams(app.state.teams()),
    ))
    .into_response()
}

/// `GET /v1/teams/{teamId}`.
pub(crate) async fn get(State(app): State<Arc<App>>, path: IdPath) -> Response {
    let id = id_of!(path);
    let result = app.state.team(&id);
    reply(
        &id,
        result.map(|t| built::<TeamResponse, _>(TeamResponse::builder().team(t))),
    )
}

/// `PUT /v1/teams/{teamId}`.
pub(crate) async fn update(State(app): State<Arc<App>>, path: IdPath, body: Body) -> Response {
    let id = id_of!(path);
    let request: TeamUpdateRequest = body_of!(body);
    if request.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return api_error(StatusCode::BAD_REQUEST, "name must not be empty");
    }
    overview(&id, app.state.update_team(&id, request))
}

/// `DELETE /v1/teams/{teamId}/invitations?email=`.
pub(crate) async fn withdraw_invitation(
    State(app): State<Arc<App>>,
    path: IdPath,
    uri: Uri,
) -> Response {
    let id = id_of!(path);
    let query: ops::WithdrawTeamInvitationQuery = query_of!(ops::WithdrawTeamInvitation, uri);
    empty(&id, app.state.withdraw_invitation(&id, &query.email))
}

/// `GET /v1/teams/{teamId}/limits`.
pub(crate) async fn limits(State(app): State<Arc<App>>, path: IdPath) -> Response {
    let id = id_of!(path);
    reply(&id, app.state.team_limits(&id))
}

/// `POST /v1/teams/{teamId}/members`: an invitation, pending until accepted.
pub(crate) async fn invite_member(
    State(app): State<Arc<App>>,
    path: IdPath,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let request: TeamMemberCreateRequest = body_of!(body);
    overview(&id, app.state.invite_team_member(&id, request, INVITATIONS))
}

/// `PUT /v1/teams/{teamId}/members/{memberId}`.
pub(crate) async fn update_member(
    State(app): State<Arc<App>>,
    path: IdsPath,
    body: Body,
) -> Response {
    let (id, member) = ids_of!(path);
    let request: TeamMemberUpdateRequest = body_of!(body);
    empty(&id, app.state.update_team_member(&id, &member, request))
}

/// `DELETE /v1/teams/{teamId}/members/{memberId}`.
pub(crate) async fn remove_member(State(app): State<Arc<App>>, path: IdsPath) -> Response {
    let (id, member) = ids_of!(path);
    empty(&id, app.state.remove_team_member(&id, &member))
}

/// `POST /v1/teams/{teamId}/ip-filters`.
pub(crate) async fn create_ip_filter(
    State(app): State<Arc<App>>,
    path: IdPath,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let request: IpFilterCreateRequest = body_of!(body);
    if request.name.trim().is_empty() {
        return api_error(StatusCode::BAD_REQUEST, "name must not be empty");
    }
    let result = app.state.create_ip_filter(&id, request);
    reply(
        &id,
        result.map(|f| built::<IpFilterResponse, _>(IpFilterResponse::builder().filter(f))),
    )
}

/// `GET /v1/teams/{teamId}/ip-filters`.
pub(crate) async fn list_ip_filters(State(app): State<Arc<App>>, path: IdPath) -> Response {
    let id = id_of!(path);
    let result = app.state.ip_filters(&id);
    reply(
        &id,
        result
            .map(|f| built::<IpFilterListResponse, _>(IpFilterListResponse::builder().filters(f))),
    )
}

/// `PUT /v1/teams/{teamId}/ip-filters/{filterId}`.
pub(crate) async fn update_ip_filter(
    State(app): State<Arc<App>>,
    path: IdsPath,
    body: Body,
) -> Response {
    let (id, filter) = ids_of!(path);
    let request: IpFilterUpdateRequest = body_of!(body);
    let result = app.state.update_ip_filter(&id, &filter, request);
    reply(
        &id,
        result.map(|f| built::<IpFilterResponse, _>(IpFilterResponse::builder().filter(f))),
    )
}

/// `DELETE /v1/teams/{teamId}/ip-filters/{filterId}`.
pub(crate) async fn delete_ip_filter(State(app): State<Arc<App>>, path: IdsPath) -> Response {
    let (id, filter) = ids_of!(path);
    let result = app.state.delete_ip_filter(&id, &filter);
    reply(
        &id,
        result.map(|()| built::<DeletedResponse, _>(DeletedResponse::builder().deleted(true))),
    )
}

/// `POST /v1/teams/{teamId}/ip-filters/draft-instruction`: an instruction made
/// up from the asset ids; nothing is saved.
pub(crate) async fn draft_ip_filter_instruction(
    State(app): State<Arc<App>>,
    path: IdPath,
    body: Body,
) -> Response {
    let id = id_of!(path);
    let request: IpFilterDraftRequest = body_of!(body);
    if request.asset_ids.is_empty() {
        return api_error(StatusCode::BAD_REQUEST, "assetIds must not be empty");
    }
    if !app.state.team_exists(&id) {
        return refused(&id, TeamError::Missing);
    }
    let instruction = format!(
        "Flag images that reproduce what assets {} show.",
        request.asset_ids.join(", ")
    );
    Json(built::<IpFilterInstructionResponse, _>(
        IpFilterInstructionResponse::builder().instruction(instruction),
    ))
    .into_response()
}

/// Registers this area's handlers, one per operation.
pub(crate) fn register(handlers: &mut Handlers) {
    handlers
        .on(OperationId::ListTeams, list)
        .on(OperationId::GetTeam, get)
        .on(OperationId::UpdateTeam, update)
        .on(OperationId::WithdrawTeamInvitation, withdraw_invitation)
        .on(OperationId::GetTeamLimits, limits)
        .on(OperationId::InviteTeamMember, invite_member)
        .on(OperationId::UpdateTeamMember, update_member)
        .on(OperationId::RemoveTeamMember, remove_member)
        .on(OperationId::CreateTeamIpFilter, create_ip_filter)
        .on(OperationId::ListTeamIpFilters, list_ip_filters)
        .on(
            OperationId::DraftTeamIpFilterInstruction,
            draft_ip_filter_instruction,
        )
        .on(OperationId::UpdateTeamIpFilter, update_ip_filter)
        .on(OperationId::DeleteTeamIpFilter, delete_ip_filter)
        .on(OperationId::GetTeamBrief, get_brief)
        .on(OperationId::UpdateTeamBrief, update_brief)
        .on(OperationId::DeleteTeamBrief, delete_brief)
        .on(OperationId::GetTeamWatermark, get_watermark)
        .on(OperationId::UpdateTeamWatermark, update_watermark)
        .on(OperationId::DeleteTeamWatermark, delete_watermark)
        .on(OperationId::UpdateTeamWatermarkLogo, update_watermark_logo)
        .on(OperationId::DeleteTeamWatermarkLogo, delete_watermark_logo)
        .on(OperationId::PreviewTeamWatermark, preview_watermark)
        .on(
            OperationId::CreateTeamWebhookEndpoint,
            create_webhook_endpoint,
        )
        .on(
            OperationId::ListTeamWebhookEndpoints,
            list_webhook_endpoints,
        )
        .on(
            OperationId::UpdateTeamWebhookEndpoint,
            update_webhook_endpoint,
        )
        .on(
            OperationId::DeleteTeamWebhookEndpoint,
            delete_webhook_endpoint,
        )
        .on(OperationId::ListTeamWebhookEvents, list_webhook_events)
        .on(OperationId::GetTeamWebhookEvent, get_webhook_event);
}
