//! `GET /v1/jobs`, `GET /v1/jobs/{jobId}` and `POST /v1/jobs/{jobId}/action`: the
//! jobs generations and archives run as; their life cycle is the state layer's.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use scenario_api::ops::{self, ListJobsQuery, OperationId};
use scenario_api::types::{
    JobAction, JobListResponse, JobResponse, JobStatus, JobTriggerActionRequest,
};

use crate::builders::built;
use crate::clock::parse_iso;
use crate::http::app::App;
use crate::http::request::{parse_json, parse_query, path_id};
use crate::http::responses::api_error;
use crate::http::routes::Handlers;
use crate::state::jobs::CancelError;

/// A page of jobs when the request names no size.
const PAGE_SIZE: usize = 50;

fn not_found(id: &str) -> Response {
    api_error(StatusCode::NOT_FOUND, format!("Job {id} not found"))
}

/// `GET /v1/jobs`: newest first; the token is the offset of the next page.
pub(crate) async fn list(State(app): State<Arc<App>>, uri: Uri) -> Response {
    let query: ListJobsQuery = match parse_query::<ops::ListJobs, _>(&uri) {
        Ok(query) => query,
        Err(rejection) => return rejection.into_response(),
    };
    if let Err(error) = query.validate() {
        return api_error(StatusCode::BAD_REQUEST, error.to_string());
    }
    // The document declares no date format: a date the fake cannot read matches
    // no job (as a comparison with an invalid date in the service's JavaScript).
    let created_after: Option<Option<u64>> = query.created_after.as_deref().map(parse_iso);
    // A token the fake did not issue names no position: the listing is over.
    let offset = query
        .pagination_token
        .as_deref()
        .map_or(0, |token| decode_token(token).unwrap_or(usize::MAX));
    let jobs = app.state.jobs(|job| {
        query.status.as_ref().is_none_or(|s| &job.status == s)
            && query
                .type_
                .as_ref()
                .is_none_or(|t| t.as_str() == job.job_type.as_str())
            && query.types.as_ref().is_none_or(|types| {
                types.is_empty() || types.iter().any(|t| t.as_str() == job.job_type.as_str())
            })
            && query
                .author_id
                .as_ref()
                .is_none_or(|a| job.author_id.as_ref() == Some(a))
            && query
                .workflow_id
                .as_ref()
                .is_none_or(|w| job.metadata.workflow_id.as_ref() == Some(w))
            && created_after.is_none_or(|after| {
                after.is_some_and(|after| parse_iso(&job.created_at).is_some_and(|c| c > after))
            })
    });
    let size = query.page_size.map_or(PAGE_SIZE, |n| n as usize);
    let page: Vec<_> = jobs.iter().skip(offset).take(size).cloned().collect();
    let next =
        (offset.saturating_add(size) < jobs.len()).then(|| format!("jobs_{}", offset + size));
    let mut page: Vec<_> = page;
    if query.hide_results == Some(true) {
        for job in &mut page {
            job.metadata.asset_ids.clear();
            job.metadata.output.clear();
        }
    }
    let answer: JobListResponse = built(
        JobListResponse::builder()
            .jobs(page)
            .next_pagination_token(next),
    );
    Json(answer).into_response()
}

fn decode_token(token: &str) -> Option<usize> {
    token.strip_prefix("jobs_").and_then(|n| n.parse().ok())
}

/// `GET /v1/jobs/{jobId}`.
pub(crate) async fn get(
    State(app): State<Arc<App>>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
) -> Response {
    let id = match path_id(path) {
        Ok(id) => id,
        Err(rejection) => return rejection.into_response(),
    };
    if let Err(rejection) = parse_query::<ops::GetJob, ops::GetJobQuery>(&uri) {
        return rejection.into_response();
    }
    match app.state.job(&id) {
        Some(job) => Json(built::<JobResponse, _>(JobResponse::builder().job(job))).into_response(),
        None => not_found(&id),
    }
}

/// `POST /v1/jobs/{jobId}/action` with `{"action": "cancel"}`.
pub(crate) async fn action(
    State(app): State<Arc<App>>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let id = match path_id(path) {
        Ok(id) => id,
        Err(rejection) => return rejection.into_response(),
    };
    if let Err(rejection) = parse_query::<ops::TriggerJobAction, ops::TriggerJobActionQuery>(&uri) {
        return rejection.into_response();
    }
    let request: JobTriggerActionRequest = match parse_json(body) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    match request.action {
        Some(JobAction::Cancel) => {}
        // The document leaves `action` optional: no action does nothing, and the
        // answer is the job as it is.
        None => {
            return match app.state.job(&id) {
                Some(job) => {
                    Json(built::<JobResponse, _>(JobResponse::builder().job(job))).into_response()
                }
                None => not_found(&id),
            };
        }
        other => {
            return api_error(
                StatusCode::BAD_REQUEST,
                format!(
                    "action must be one of: {} (got {})",
                    JobAction::VALUES.join(", "),
                    other.map_or_else(|| "nothing".to_owned(), |a| format!("\"{a}\""))
                ),
            );
        }
    }
    match app.state.cancel_job(&id) {
        Ok(job) => Json(built::<JobResponse, _>(JobResponse::builder().job(job))).into_response(),
        Err(CancelError::NotFound) => not_found(&id),
        Err(CancelError::NotCancelable) => {
            api_error(StatusCode::BAD_REQUEST, "Cannot cancel this type of job")
        }
        Err(CancelError::Finished(status)) => api_error(
            StatusCode::BAD_REQUEST,
            format!(
                "Job {id} is {status}: only a job that is still running can be canceled{}",
                if status == JobStatus::Canceled {
                    " (it already was)"
                } else {
                    ""
                }
            ),
        ),
    }
}

/// Registers this area's handlers, one per operation.
pub(crate) fn register(handlers: &mut Handlers) {
    handlers
        .on(OperationId::ListJobs, list)
        .on(OperationId::GetJob, get)
        .on(OperationId::TriggerJobAction, action);
}
