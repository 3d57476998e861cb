//! An answer being stored, told as it grows to every connection of its user on every replica:
//! `chat.delta` events (replayable, each with the `offset` in characters where its text starts,
//! so a client stitches them exactly even after a reconnect) and `chat.done` at the end. A copy
//! of the answer so far is kept on the bus with a time-to-live ([`partial`]), so a client that
//! arrives mid-answer (a second tab, another device) reads the chat, then resumes the WebSocket
//! from the event id the copy includes.
//!
//! Publishing runs in a task of its own fed by a channel, so a slow or absent bus never slows the
//! answer itself; pieces that queue up while one is being published go out merged.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hearth_core::chat::MessageStatus;
use hearth_core::seams::Coordinator;
use hearth_core::{ChatId, MessageId, UserId};
use hearth_jobs::user_channel;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long a partial answer is kept after its last update.
const PARTIAL_TTL: Duration = Duration::from_secs(600);

/// How often the partial copy is rewritten while the answer grows.
const PARTIAL_EVERY: Duration = Duration::from_millis(200);

/// The answer so far, as kept on the bus.
#[derive(Debug, Serialize, Deserialize)]
pub struct Partial {
    pub content: String,
    /// The last `chat.delta` event whose text `content` includes.
    pub event_id: u64,
}

/// The bus channel on which a request to stop one answer reaches the replica driving it.
pub fn stop_channel(message: MessageId) -> String {
    format!("chat.stop.{message}")
}

fn partial_key(message: MessageId) -> String {
    format!("chat:partial:{message}")
}

/// The kept copy of an answer still streaming, if any.
pub async fn partial(bus: &dyn Coordinator, message: MessageId) -> Option<Partial> {
    let bytes = bus.get(&partial_key(message)).await.ok()??;
    serde_json::from_slice(&bytes).ok()
}

/// Whether an answer has a partial copy on the bus (it is alive); an error when the bus cannot tell.
pub async fn partial_exists(
    bus: &dyn Coordinator,
    message: MessageId,
) -> Result<bool, hearth_core::seams::SeamError> {
    Ok(bus.get(&partial_key(message)).await?.is_some())
}

enum Piece {
    Delta(String),
    Done {
        status: MessageStatus,
        error: Option<String>,
    },
}

/// The publishing side of one answer.
#[derive(Debug)]
pub(super) struct LiveAnswer {
    pieces: mpsc::UnboundedSender<Piece>,
}

impl LiveAnswer {
    /// Starts telling `user`'s connections about the answer `message` of `chat`.
    pub(super) fn start(
        bus: Arc<dyn Coordinator>,
        user: UserId,
        chat: ChatId,
        message: MessageId,
    ) -> Self {
        let (pieces, queue) = mpsc::unbounded_channel();
        tokio::spawn(publish(bus, user, chat, message, queue));
        Self { pieces }
    }

    /// More text of the answer.
    pub(super) fn delta(&self, text: &str) {
        if !text.is_empty() {
            let _ = self.pieces.send(Piece::Delta(text.to_owned()));
        }
    }

    /// The answer is stored with `status`.
    pub(super) fn finish(self, status: MessageStatus, error: Option<String>) {
        let _ = self.pieces.send(Piece::Done { status, error });
    }
}

async fn publish(
    bus: Arc<dyn Coordinator>,
    user: UserId,
    chat: ChatId,
    message: MessageId,
    mut queue: mpsc::UnboundedReceiver<Piece>,
) {
    let channel = user_channel(user);
    let mut content = String::new();
    let mut offset = 0usize;
    let mut last_id = 0;
    let mut written = Instant::now() - PARTIAL_EVERY;
    while let Some(first) = queue.recv().await {
        let mut text = String::new();
        let mut done = None;
        let mut next = Some(first);
        while let Some(piece) = next.take() {
            match piece {
                Piece::Delta(delta) => text.push_str(&delta),
                Piece::Done { status, error } => {
                    done = Some((status, error));
                    break;
                }
            }
            next = queue.try_recv().ok();
        }
        if !text.is_empty() {
            let event = serde_json::json!({
                "type": "chat.delta", "chat_id": chat, "message_id": message,
                "offset": offset, "content": text,
            });
            offset += text.chars().count();
            content.push_str(&text);
            match bus.publish_event(&channel, to_bytes(&event)).await {
                Ok(id) => last_id = id,
                Err(error) => tracing::debug!(%error, "a chat delta reached this replica only"),
            }
            if done.is_none() && written.elapsed() >= PARTIAL_EVERY {
                written = Instant::now();
                let partial = Partial {
                    content: content.clone(),
                    event_id: last_id,
                };
                let bytes = Bytes::from(serde_json::to_vec(&partial).expect("partials serialise"));
                let _ = bus
                    .set(&partial_key(message), bytes, Some(PARTIAL_TTL))
                    .await;
            }
        }
        if let Some((status, error)) = done {
            let event = serde_json::json!({
                "type": "chat.done", "chat_id": chat, "message_id": message,
                "status": status, "error": error, "length": offset,
            });
            let _ = bus.publish_event(&channel, to_bytes(&event)).await;
            let _ = bus.delete(&partial_key(message)).await;
            return;
        }
    }
}

fn to_bytes(event: &serde_json::Value) -> Bytes {
    Bytes::from(serde_json::to_vec(event).expect("events serialise"))
}
