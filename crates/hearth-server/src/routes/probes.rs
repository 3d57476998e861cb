//! Probes for orchestrators and monitoring: `/health` (liveness), `/ready` (readiness, naming the
//! failing dependency) and `/metrics` (Prometheus).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ErrorBody;
use crate::{ApiError, AppState};

/// How long `/ready` waits for a dependency before calling it down.
const READY_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
        .routes(routes!(metrics))
}

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
struct Health {
    status: bool,
}

/// Liveness: 200 while the process serves requests. Checks no dependency, so a database outage does
/// not make orchestrators restart healthy processes.
#[utoipa::path(get, path = "/health", tag = "probes", responses((status = 200, description = "Success", body = Health)))]
async fn health() -> Json<Health> {
    Json(Health { status: true })
}

/// `ok`, or why a dependency's check failed or did not answer in time.
async fn verdict<E: std::fmt::Display>(check: impl Future<Output = Result<(), E>>) -> String {
    match tokio::time::timeout(READY_CHECK_TIMEOUT, check).await {
        Ok(Ok(())) => "ok".to_owned(),
        Ok(Err(error)) => error.to_string(),
        Err(_) => format!("no answer within {} s", READY_CHECK_TIMEOUT.as_secs()),
    }
}

/// Readiness, with each dependency's state.
#[derive(Debug, Serialize, ToSchema)]
struct Readiness {
    status: bool,
    /// `ok`, or why the dependency is not ready.
    checks: BTreeMap<&'static str, String>,
    /// Present when not ready: the failing dependencies.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

/// Readiness: 200 when every configured dependency answers; 503 naming the failing one otherwise, and
/// while the server drains after SIGTERM.
#[utoipa::path(
    get,
    path = "/ready",
    tag = "probes",
    responses((status = 200, description = "Success", body = Readiness), (status = 503, description = "A dependency is unavailable", body = Readiness))
)]
async fn ready(State(state): State<AppState>) -> Response {
    let mut checks = BTreeMap::new();
    checks.insert("database", verdict(state.store.ping()).await);
    checks.insert("job_queue", verdict(state.jobs.queue().check()).await);
    checks.insert("coordination", verdict(state.bus.check()).await);
    checks.insert("storage", verdict(state.drive.blobs().check()).await);
    checks.insert(
        "vector_index",
        verdict(state.knowledge.vectors().check()).await,
    );
    checks.insert(
        "content_extraction",
        verdict(state.knowledge.extractor().check()).await,
    );
    if state.lifecycle.is_stopping() {
        checks.insert("server", "shutting down".to_owned());
    }
    let failing: Vec<String> = checks
        .iter()
        .filter(|(_, v)| *v != "ok")
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let status = if failing.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let detail = (!failing.is_empty()).then(|| failing.join("; "));
    (
        status,
        Json(Readiness {
            status: detail.is_none(),
            checks,
            detail,
        }),
    )
        .into_response()
}

/// Prometheus metrics in the OpenMetrics text format. 404 when `ENABLE_METRICS=false`.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "probes",
    responses((status = 200, description = "Success", content_type = "application/openmetrics-text", body = String), (status = 404, description = "No such resource", body = ErrorBody))
)]
async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    if !state.settings.observability.enable_metrics {
        return Err(ApiError::NotFound(
            "metrics are disabled (ENABLE_METRICS=false)".into(),
        ));
    }
    // Depths are counted at scrape time, so every process reports the shared queue as it is.
    match state.jobs.queue().depths().await {
        Ok(depths) => state.metrics.jobs.set_depths(&depths),
        Err(error) => tracing::warn!(%error, "cannot count the job queues for /metrics"),
    }
    let text = state
        .metrics
        .render(state.store.pool_stats(), state.bus.generation());
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}
