//! The router: every route with its OpenAPI description, JSON fallbacks for unknown routes and
//! methods, and extractor wrappers whose rejections are JSON too.

mod auths;
mod chats;
mod completions;
mod configs;
mod connections;
mod files;
mod groups;
mod jobs;
pub(crate) mod knowledge;
mod models;
mod probes;
mod realtime;
mod tus;
mod users;

use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Request};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Router, middleware};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::{ApiError, AppState, metrics};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hearth API",
        description = "Hearth's HTTP API. Paths are also accepted with a trailing slash. Errors are `{\"detail\": …}`.",
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "probes", description = "Liveness, readiness and metrics"),
        (name = "auths", description = "Sign-up, sign-in, tokens and API keys"),
        (name = "users", description = "Account administration (admin role)"),
        (name = "groups", description = "Groups of users (admin role)"),
        (name = "connections", description = "Model-server connections (admin role)"),
        (name = "models", description = "Models: what each user may use, and their settings"),
        (name = "chat", description = "OpenAI-compatible chat completions"),
        (name = "chats", description = "Chat history, folders, tags and share links"),
        (name = "jobs", description = "Background jobs (admin role)"),
        (name = "files", description = "The drive: uploads, downloads, folders, quotas, avatars, storage collection"),
        (name = "tus", description = "Resumable uploads (tus 1.0: creation, creation-with-upload, termination, checksum, expiration)"),
        (name = "realtime", description = "The WebSocket of a user's events"),
        (name = "knowledge", description = "Knowledge bases, file ingestion and retrieval"),
        (name = "configs", description = "What the web UI reads before sign-in, and settings administrators change while Hearth runs"),
    )
)]
struct ApiDoc;

/// Declares the `bearer` scheme: a sign-in token or a personal API key.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or sk-hearth-… API key")
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().split_for_parts().1
}

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(probes::routes())
        .merge(auths::routes())
        .merge(users::routes())
        .merge(groups::routes())
        .merge(connections::routes())
        .merge(models::routes())
        .merge(completions::routes())
        .merge(configs::routes())
        .merge(chats::routes())
        .merge(jobs::routes())
        .merge(files::routes())
        .merge(tus::routes())
        .merge(realtime::routes())
        .merge(knowledge::routes())
}

/// The application's router with its state.
pub fn router(state: AppState) -> Router {
    router_with_ui(state, None)
}

/// The application's router, with `ui` answering every path outside the API (`/api/…`, `/v1/…`,
/// the probes), whose unknown paths stay JSON 404s.
pub fn router_with_ui(state: AppState, ui: Option<Router>) -> Router {
    let (router, openapi) = routes().split_for_parts();
    let document: Arc<str> = serde_json::to_string(&openapi)
        .expect("the OpenAPI document serialises")
        .into();
    router
        .route(
            "/api/openapi.json",
            get(move || {
                let document = document.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        document.to_string(),
                    )
                }
            }),
        )
        .fallback(move |request: Request| fallback(ui.clone(), request))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.rate_limiter.clone(),
            crate::shared::rate_limit::limit_by_address,
        ))
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .with_state(state)
}

/// The probes alone, for `hearth worker`.
pub fn probe_router(state: AppState) -> Router {
    let (router, _) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(probes::routes())
        .split_for_parts();
    router
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .with_state(state)
}

/// Paths the API owns: a miss there is a JSON 404, never the UI's page.
fn is_api_path(path: &str) -> bool {
    ["/api", "/v1", "/health", "/ready", "/metrics"]
        .iter()
        .any(|prefix| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
}

async fn fallback(ui: Option<Router>, request: Request) -> axum::response::Response {
    match ui {
        Some(ui) if !is_api_path(request.uri().path()) => {
            use tower::ServiceExt as _;
            match ui.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        }
        _ => unknown_route(request).await.into_response(),
    }
}

async fn unknown_route(request: Request) -> ApiError {
    ApiError::NotFound(format!(
        "no route for {} {}",
        request.method(),
        request.uri().path()
    ))
}

async fn method_not_allowed() -> impl IntoResponse {
    ApiError::MethodNotAllowed
}

/// `axum::extract::Path` with a JSON rejection.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// `axum::extract::Query` with a JSON rejection.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::NotFound(format!("invalid path parameter: {}", rejection.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::Unprocessable(format!("invalid query string: {}", rejection.body_text()))
    }
}
