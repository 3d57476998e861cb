//! The OpenAI-compatible chat completion endpoints, under Hearth's path and under `/v1` for SDKs.

use axum::extract::State;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::ActiveUser;
use crate::chat::{self, CompletionRequest, MAX_COMPLETION_BODY};
use crate::error::ErrorBody;
use crate::json::ApiJson;
use crate::{ApiError, AppState};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_chat_completions))
        .routes(routes!(v1_chat_completions))
}

/// Chat completion in OpenAI's request and response shapes, streamed as Server-Sent Events with
/// `"stream": true`. Optional extra fields: `chat_id` stores the last user message and the answer in
/// that chat (the answer is completed and stored even if the client disconnects); `parent_id` answers
/// under another message of the chat (edits, branches); `regenerate` answers again without a new
/// message. Without `chat_id`, disconnecting cancels the request to the model server.
#[utoipa::path(
    post,
    path = "/api/chat/completions",
    tag = "chat",
    security(("bearer" = [])),
    request_body(content = serde_json::Value, description = "An OpenAI chat completion request"),
    responses(
        (status = 200, description = "A `chat.completion` object, or `text/event-stream` of `chat.completion.chunk`s ending with `[DONE]`", body = serde_json::Value),
        (status = 403, description = "The model's access list leaves the caller out", body = ErrorBody),
        (status = 404, description = "No connection offers the model, or no such chat", body = ErrorBody),
        (status = 422, description = "Malformed messages; `detail` names the problem", body = ErrorBody),
        (status = 502, description = "The model server failed or answered with an error", body = ErrorBody),
        (status = 504, description = "The model server did not answer in time", body = ErrorBody),
    )
)]
async fn api_chat_completions(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiJson(request): ApiJson<CompletionRequest, MAX_COMPLETION_BODY>,
) -> Result<Response, ApiError> {
    chat::complete(&state, &caller.user, request).await
}

/// The same endpoint at the path OpenAI's SDKs use (`base_url=http://host/v1`).
#[utoipa::path(
    post,
    path = "/v1/chat/completions",
    tag = "chat",
    security(("bearer" = [])),
    request_body(content = serde_json::Value, description = "An OpenAI chat completion request"),
    responses(
        (status = 200, description = "As for /api/chat/completions", body = serde_json::Value),
        (status = 404, description = "No connection offers the model", body = ErrorBody),
        (status = 502, description = "The model server failed", body = ErrorBody),
    )
)]
async fn v1_chat_completions(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiJson(request): ApiJson<CompletionRequest, MAX_COMPLETION_BODY>,
) -> Result<Response, ApiError> {
    chat::complete(&state, &caller.user, request).await
}
