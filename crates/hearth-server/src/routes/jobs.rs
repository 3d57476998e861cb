//! Background jobs, for administrators: list by state and queue, inspect, retry, cancel, discard;
//! queue depths; and canary jobs that prove end to end that workers run work.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hearth_core::seams::{AdminOutcome, JobFilter, JobRecord, JobState, Queue, SeamError};
use hearth_core::time::unix_now_ms;
use hearth_jobs::{Canary, Jobs};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use validator::Validate;

use super::{ApiPath, ApiQuery};
use crate::auth::AdminUser;
use crate::error::ErrorBody;
use crate::json::ApiJson;
use crate::{ApiError, AppState};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs))
        .routes(routes!(queue_depths))
        .routes(routes!(enqueue_canaries, canary_summary))
        .routes(routes!(get_job, discard_job))
        .routes(routes!(retry_job))
        .routes(routes!(cancel_job))
}

/// The queue's store failing is the server's trouble (503), not an upstream's.
fn queue_error(error: SeamError) -> ApiError {
    match error {
        SeamError::Unavailable { .. } | SeamError::Timeout { .. } => {
            ApiError::ServiceUnavailable(format!("the job queue is unavailable: {error}"))
        }
        other => ApiError::Internal(format!("job queue: {other}")),
    }
}

/// A job as administrators see it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct JobView {
    #[schema(value_type = String)]
    id: Uuid,
    kind: String,
    /// `high`, `medium` or `low`.
    queue: String,
    /// `queued`, `running`, `succeeded`, `dead` or `cancelled`.
    state: String,
    /// The stored payload (JSON, unless corrupted).
    payload: String,
    #[schema(value_type = Option<String>)]
    owner_id: Option<hearth_core::UserId>,
    attempt: u32,
    max_attempts: u32,
    /// When the job is (or was) due, in Unix milliseconds.
    run_at_ms: i64,
    lease_until_ms: Option<i64>,
    worker: Option<String>,
    last_error: Option<String>,
    created_at_ms: i64,
    updated_at_ms: i64,
}

impl From<JobRecord> for JobView {
    fn from(r: JobRecord) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            queue: r.queue.to_string(),
            state: r.state.to_string(),
            payload: r.payload,
            owner_id: r.owner,
            attempt: r.attempt,
            max_attempts: r.max_attempts,
            run_at_ms: r.run_at_ms,
            lease_until_ms: r.lease_until_ms,
            worker: r.worker,
            last_error: r.last_error,
            created_at_ms: r.created_at_ms,
            updated_at_ms: r.updated_at_ms,
        }
    }
}

/// Which jobs to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct JobQuery {
    /// `queued`, `running`, `succeeded`, `dead` or `cancelled`.
    state: Option<String>,
    /// `high`, `medium` or `low`.
    queue: Option<String>,
    /// At most 500; 50 by default.
    limit: Option<u64>,
    offset: Option<u64>,
}

/// A page of jobs.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct JobPage {
    items: Vec<JobView>,
}

/// Jobs, most recently changed first (queued ones by when they are due), filtered by state and queue.
#[utoipa::path(
    get, path = "/api/v1/jobs", tag = "jobs", params(JobQuery), security(("bearer" = [])),
    responses((status = 200, description = "Success", body = JobPage), (status = 422, description = "Unknown state or queue", body = ErrorBody))
)]
async fn list_jobs(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiQuery(query): ApiQuery<JobQuery>,
) -> Result<Json<JobPage>, ApiError> {
    let parse_state = |s: &str| s.parse::<JobState>().map_err(ApiError::Unprocessable);
    let parse_queue = |q: &str| q.parse::<Queue>().map_err(ApiError::Unprocessable);
    let filter = JobFilter {
        state: query.state.as_deref().map(parse_state).transpose()?,
        queue: query.queue.as_deref().map(parse_queue).transpose()?,
        limit: query.limit.unwrap_or(50).clamp(1, 500),
        offset: query.offset.unwrap_or(0),
    };
    let records = state.jobs.queue().list(filter).await.map_err(queue_error)?;
    Ok(Json(JobPage {
        items: records.into_iter().map(JobView::from).collect(),
    }))
}

/// Jobs in one queue and state.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DepthView {
    queue: String,
    state: String,
    count: u64,
}

/// How many jobs each queue holds in each state.
#[utoipa::path(
    get, path = "/api/v1/jobs/depths", tag = "jobs", security(("bearer" = [])),
    responses((status = 200, description = "Success", body = Vec<DepthView>))
)]
async fn queue_depths(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<Json<Vec<DepthView>>, ApiError> {
    let depths = state.jobs.queue().depths().await.map_err(queue_error)?;
    Ok(Json(
        depths
            .into_iter()
            .map(|d| DepthView {
                queue: d.queue.to_string(),
                state: d.state.to_string(),
                count: d.count,
            })
            .collect(),
    ))
}

async fn find(jobs: &Jobs, id: Uuid) -> Result<JobRecord, ApiError> {
    jobs.queue()
        .get(id)
        .await
        .map_err(queue_error)?
        .ok_or_else(|| ApiError::NotFound(format!("job {id} not found")))
}

/// One job.
#[utoipa::path(
    get, path = "/api/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    responses((status = 200, description = "Success", body = JobView), (status = 404, description = "No such job", body = ErrorBody))
)]
async fn get_job(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<JobView>, ApiError> {
    Ok(Json(find(&state.jobs, id).await?.into()))
}

/// The result of an admin action: the job afterwards, or why the action did not apply.
async fn after(
    jobs: &Jobs,
    id: Uuid,
    outcome: AdminOutcome,
    action: &str,
) -> Result<Json<JobView>, ApiError> {
    match outcome {
        AdminOutcome::Done => Ok(Json(find(jobs, id).await?.into())),
        AdminOutcome::NotFound => Err(ApiError::NotFound(format!("job {id} not found"))),
        AdminOutcome::WrongState(current) => Err(ApiError::Conflict(format!(
            "cannot {action} job {id}: it is {current}"
        ))),
    }
}

/// Queues a dead or cancelled job again with fresh attempts.
#[utoipa::path(
    post, path = "/api/v1/jobs/{id}/retry", tag = "jobs", security(("bearer" = [])),
    responses((status = 200, description = "Queued again", body = JobView), (status = 404, description = "No such job", body = ErrorBody), (status = 409, description = "Not dead or cancelled", body = ErrorBody))
)]
async fn retry_job(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<JobView>, ApiError> {
    let outcome = state
        .jobs
        .queue()
        .retry(id, unix_now_ms())
        .await
        .map_err(queue_error)?;
    after(&state.jobs, id, outcome, "retry").await
}

/// Cancels a queued or running job (a running one stops at its next lease renewal).
#[utoipa::path(
    post, path = "/api/v1/jobs/{id}/cancel", tag = "jobs", security(("bearer" = [])),
    responses((status = 200, description = "Cancelled", body = JobView), (status = 404, description = "No such job", body = ErrorBody), (status = 409, description = "Already finished", body = ErrorBody))
)]
async fn cancel_job(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<JobView>, ApiError> {
    let outcome = state
        .jobs
        .queue()
        .cancel(id, unix_now_ms())
        .await
        .map_err(queue_error)?;
    after(&state.jobs, id, outcome, "cancel").await
}

/// Deletes a finished job (a dead letter, once dealt with).
#[utoipa::path(
    delete, path = "/api/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such job", body = ErrorBody), (status = 409, description = "Still queued or running", body = ErrorBody))
)]
async fn discard_job(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    match state.jobs.queue().discard(id).await.map_err(queue_error)? {
        AdminOutcome::Done => Ok(StatusCode::NO_CONTENT),
        AdminOutcome::NotFound => Err(ApiError::NotFound(format!("job {id} not found"))),
        AdminOutcome::WrongState(current) => Err(ApiError::Conflict(format!(
            "cannot discard job {id}: it is {current}; cancel it first"
        ))),
    }
}

/// Canary jobs to enqueue.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub(crate) struct CanaryForm {
    /// How many (1 to 100,000).
    #[validate(range(min = 1, max = 100_000, message = "must be between 1 and 100000"))]
    count: u32,
    /// Milliseconds each canary's first runs take (to watch leases and shutdowns).
    #[serde(default)]
    #[validate(range(max = 3_600_000, message = "must be at most 3600000 (an hour)"))]
    hold_ms: u64,
    /// How many of the first runs hold (1 by default when `hold_ms` is set).
    #[serde(default)]
    hold_attempts: Option<u32>,
}

/// What was enqueued.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Enqueued {
    #[schema(value_type = Vec<String>)]
    ids: Vec<Uuid>,
}

/// Enqueues canary jobs owned by the caller (who receives their events): each records its run, so
/// `GET /api/v1/jobs/canaries` shows whether workers run every job, and each once.
#[utoipa::path(
    post, path = "/api/v1/jobs/canaries", tag = "jobs", security(("bearer" = [])),
    request_body = CanaryForm,
    responses((status = 200, description = "Enqueued", body = Enqueued), (status = 422, description = "Invalid count", body = ErrorBody))
)]
async fn enqueue_canaries(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    ApiJson(form): ApiJson<CanaryForm>,
) -> Result<Json<Enqueued>, ApiError> {
    let canary = Canary {
        hold_ms: form.hold_ms,
        hold_attempts: form.hold_attempts.unwrap_or(u32::from(form.hold_ms > 0)),
    };
    let owner = Some(caller.user.id);
    let batch = (0..form.count)
        .map(|_| Jobs::new_job(&canary, caller.user.tenant_id, owner))
        .collect();
    let ids = state.jobs.enqueue_many(batch).await.map_err(queue_error)?;
    Ok(Json(Enqueued { ids }))
}

/// What canary jobs have recorded.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CanaryReport {
    /// Canary jobs that ran.
    jobs: u64,
    /// Their runs in all (more than `jobs` if some ran twice, which at-least-once delivery allows
    /// after a worker dies mid-job).
    runs: u64,
}

/// What canary jobs have recorded so far.
#[utoipa::path(
    get, path = "/api/v1/jobs/canaries", tag = "jobs", security(("bearer" = [])),
    responses((status = 200, description = "Success", body = CanaryReport))
)]
async fn canary_summary(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<Json<CanaryReport>, ApiError> {
    let summary = state.store.canary_summary().await?;
    Ok(Json(CanaryReport {
        jobs: summary.jobs,
        runs: summary.runs,
    }))
}
