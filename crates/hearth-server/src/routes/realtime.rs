//! `GET /api/v1/realtime/ws`: a WebSocket carrying the signed-in user's events (job progress and
//! completion now; chat deltas and notifications later) as JSON text frames with a `type`.
//!
//! The server subscribes to the user's channel on the coordination bus before it answers the
//! handshake, then sends `{"type": "hello"}`: anything published after the client reads it arrives.
//! Each connection sees only its own user's channel.

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures::{SinkExt, StreamExt};
use hearth_core::UserId;
use hearth_core::seams::MessageStream;
use hearth_jobs::user_channel;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::ActiveUser;
use crate::error::ErrorBody;
use crate::{ApiError, AppState};

/// How often an idle connection is pinged, so that proxies keep it and dead peers are noticed.
const PING_INTERVAL: Duration = Duration::from_secs(30);

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(realtime))
}

/// Opens the event stream. Browsers, which cannot set headers on a WebSocket, pass the token as
/// `?token=`.
#[utoipa::path(
    get, path = "/api/v1/realtime/ws", tag = "realtime", security(("bearer" = [])),
    params(("token" = Option<String>, Query, description = "The bearer token, for clients that cannot send headers")),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket handshake", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody)
    )
)]
async fn realtime(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let upgrade = upgrade.map_err(|rejection| {
        ApiError::BadRequest(format!(
            "this endpoint speaks WebSocket only: {}",
            rejection.body_text()
        ))
    })?;
    let user = caller.user.id;
    let events = state
        .bus
        .subscribe(&user_channel(user))
        .await
        .map_err(|e| ApiError::ServiceUnavailable(format!("the event bus is unavailable: {e}")))?;
    Ok(upgrade.on_upgrade(move |socket| relay(socket, events, user)))
}

async fn relay(socket: WebSocket, mut events: MessageStream, user: UserId) {
    let (mut outgoing, mut incoming) = socket.split();
    let hello = serde_json::json!({"type": "hello", "user_id": user}).to_string();
    if outgoing.send(Message::Text(hello.into())).await.is_err() {
        return;
    }
    let mut ping = tokio::time::interval(PING_INTERVAL);
    ping.tick().await;
    loop {
        tokio::select! {
            event = events.next() => {
                let Some(payload) = event else { break };
                let Ok(text) = Utf8Bytes::try_from(payload) else { continue };
                if outgoing.send(Message::Text(text)).await.is_err() {
                    break;
                }
            }
            received = incoming.next() => match received {
                // Clients send nothing we act on yet; pings are answered by the library.
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if outgoing.send(Message::Ping(Default::default())).await.is_err() {
                    break;
                }
            }
        }
    }
    tracing::debug!(%user, "realtime connection closed");
}
