//! `GET /api/v1/realtime/ws`: a WebSocket carrying the signed-in user's events (job progress and
//! completion, file status, chat deltas) as JSON text frames with a `type` and, for events that
//! can be replayed, an `id` increasing by one per user.
//!
//! The server subscribes to the user's channel on the coordination bus before it answers the
//! handshake, then sends `{"type": "hello", "last_event_id": n, "resumed": …}`: anything published
//! after the client reads it arrives. A client that reconnects — to this replica or any other —
//! passes the last id it saw as `?last_event_id=` and first receives what it missed (kept for ten
//! minutes, 2,000 events); `"resumed": false` tells it that some of that is gone and it should
//! re-read its state. Each connection sees only its own user's channel.
//!
//! Heartbeats: the server pings every [`PING_INTERVAL`] and closes a connection it has heard
//! nothing from (not even a pong) for three intervals; a client may also send
//! `{"type": "ping"}` and gets `{"type": "pong"}`. Each heartbeat renews the connection's presence.

use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use futures::{SinkExt, StreamExt};
use hearth_core::seams::{MessageStream, Replay, event_id};
use hearth_core::{TenantId, UserId};
use hearth_jobs::user_channel;
use serde::Deserialize;
use tokio::time::Instant;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::ActiveUser;
use crate::error::ErrorBody;
use crate::shared::presence;
use crate::{ApiError, AppState};

/// How often the server pings, so that proxies keep the connection and dead peers are noticed.
const PING_INTERVAL: Duration = Duration::from_secs(20);

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(realtime))
}

/// Where to resume from.
#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct Resume {
    /// The bearer token, for clients that cannot send headers.
    #[allow(dead_code)] // read by the authentication extractor
    token: Option<String>,
    /// The id of the last event this client received; what came after it is sent first.
    last_event_id: Option<u64>,
}

/// Opens the event stream. Browsers, which cannot set headers on a WebSocket, pass the token as
/// `?token=`.
#[utoipa::path(
    get, path = "/api/v1/realtime/ws", tag = "realtime", security(("bearer" = [])),
    params(Resume),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket handshake", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody)
    )
)]
async fn realtime(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    Query(resume): Query<Resume>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let upgrade = upgrade.map_err(|rejection| {
        ApiError::BadRequest(format!(
            "this endpoint speaks WebSocket only: {}",
            rejection.body_text()
        ))
    })?;
    let user = caller.user.id;
    let channel = user_channel(user);
    let events =
        state.bus.subscribe(&channel).await.map_err(|e| {
            ApiError::ServiceUnavailable(format!("the event bus is unavailable: {e}"))
        })?;
    // Subscribed first, so nothing falls between the replay and the live events.
    let replay = match state
        .bus
        .replay(&channel, resume.last_event_id.unwrap_or(u64::MAX))
        .await
    {
        Ok(replay) => Some(replay),
        Err(error) => {
            tracing::warn!(%error, "cannot read missed events; the client gets live ones only");
            None
        }
    };
    let connection = Connection {
        state,
        user,
        tenant: caller.user.tenant_id,
        id: uuid::Uuid::now_v7().simple().to_string(),
    };
    Ok(upgrade
        .on_upgrade(move |socket| connection.relay(socket, events, replay, resume.last_event_id)))
}

/// One open WebSocket.
struct Connection {
    state: AppState,
    user: UserId,
    tenant: TenantId,
    id: String,
}

impl Connection {
    async fn relay(
        self,
        socket: WebSocket,
        mut events: MessageStream,
        replay: Option<Replay>,
        after: Option<u64>,
    ) {
        let (mut outgoing, mut incoming) = socket.split();
        let (latest, resumed, missed) = match (replay, after) {
            (Some(replay), Some(_)) => (Some(replay.latest), replay.complete, replay.events),
            (Some(replay), None) => (Some(replay.latest), true, Vec::new()),
            (None, after) => (None, after.is_none(), Vec::new()),
        };
        let hello = serde_json::json!({
            "type": "hello", "user_id": self.user, "last_event_id": latest, "resumed": resumed,
        })
        .to_string();
        if outgoing.send(Message::Text(hello.into())).await.is_err() {
            return;
        }
        // Live events up to the replay's newest were replayed (or predate the client): skipped.
        let mut sent = latest.unwrap_or(after.unwrap_or(0));
        for event in missed {
            let Ok(text) = Utf8Bytes::try_from(event) else {
                continue;
            };
            if outgoing.send(Message::Text(text)).await.is_err() {
                return;
            }
        }
        self.touch_presence().await;
        let mut ping = tokio::time::interval(PING_INTERVAL);
        ping.tick().await;
        let mut heard = Instant::now();
        loop {
            tokio::select! {
                event = events.next() => {
                    let Some(payload) = event else { break };
                    if let Some(id) = event_id(&payload) {
                        if id <= sent {
                            continue;
                        }
                        sent = id;
                    }
                    let Ok(text) = Utf8Bytes::try_from(payload) else { continue };
                    if outgoing.send(Message::Text(text)).await.is_err() {
                        break;
                    }
                }
                received = incoming.next() => match received {
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                    Some(Ok(Message::Text(text))) => {
                        heard = Instant::now();
                        if is_ping(&text) {
                            let pong = Utf8Bytes::from_static(r#"{"type":"pong"}"#);
                            if outgoing.send(Message::Text(pong)).await.is_err() {
                                break;
                            }
                        }
                    }
                    Some(Ok(_)) => heard = Instant::now(),
                },
                _ = ping.tick() => {
                    if heard.elapsed() > PING_INTERVAL * 3 {
                        tracing::debug!(user = %self.user, "closing a silent realtime connection");
                        break;
                    }
                    if outgoing.send(Message::Ping(Default::default())).await.is_err() {
                        break;
                    }
                    self.touch_presence().await;
                }
            }
        }
        if let Err(error) =
            presence::leave(self.state.bus.as_ref(), self.tenant, self.user, &self.id).await
        {
            tracing::debug!(%error, "could not record that a connection left");
        }
        tracing::debug!(user = %self.user, "realtime connection closed");
    }

    async fn touch_presence(&self) {
        if let Err(error) =
            presence::touch(self.state.bus.as_ref(), self.tenant, self.user, &self.id).await
        {
            tracing::debug!(%error, "could not record presence");
        }
    }
}

fn is_ping(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok_and(|message| message["type"] == "ping")
}
