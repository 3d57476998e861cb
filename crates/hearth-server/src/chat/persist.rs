//! Storing an exchange in a chat: the question and a `streaming` answer are written before the model
//! is asked; a detached task then drives the answer to its end, relays it to the client that asked
//! and (as `chat.delta` events, see [`super::live`]) to the user's realtime connections on every
//! replica, and writes its final text, status and usage — even if the client has gone. A stop
//! (`POST /api/v1/chats/{id}/stop`, on the answer's bus channel) ends it early with what was said.

use futures::StreamExt;
use futures::stream::BoxStream;
use hearth_core::chat::{DEFAULT_TITLE, MessageRole, MessageStatus};
use hearth_core::seams::{ChatChunkStream, SeamError};
use hearth_core::time::unix_now;
use hearth_core::{ChatId, MessageId, User};
use hearth_db::{DbError, MessageOutcome, NewMessage};
use hearth_models::Accumulator;
use tokio_stream::wrappers::ReceiverStream;

use super::live::LiveAnswer;
use super::relay::Frame;
use super::{CompletionRequest, content_text, title};
use crate::{ApiError, AppState};

/// Frames buffered between the task and a slow client before the task waits for it.
const RELAY_BUFFER: usize = 64;

/// An exchange being stored.
#[derive(Debug)]
pub(super) struct Exchange {
    user: User,
    chat_id: ChatId,
    answer_id: MessageId,
    model_id: String,
    /// The question's text, for the title.
    question: String,
    /// Whether the chat still has the default title.
    untitled: bool,
    /// The passages the answer is given, stored with it.
    sources: Option<serde_json::Value>,
}

impl Exchange {
    /// Writes the question (unless regenerating) and an empty `streaming` answer.
    pub(super) async fn start(
        state: &AppState,
        caller: &User,
        chat_id: ChatId,
        request: &CompletionRequest,
        model_id: &str,
        sources: Option<serde_json::Value>,
    ) -> Result<Self, ApiError> {
        let (chat, messages) = state
            .store
            .chat(caller.tenant_id, caller.id, chat_id)
            .await?
            .ok_or_else(|| ApiError::NotFound("chat not found".into()))?;
        let mut new = Vec::new();
        let (answer_parent, question) = if request.regenerate {
            // Answer again the question the current answer replies to, or the one given.
            let parent = request.parent_id.flatten().or_else(|| {
                let current = messages
                    .iter()
                    .find(|m| Some(m.id) == chat.current_message_id)?;
                if current.role == MessageRole::Assistant {
                    current.parent_id
                } else {
                    Some(current.id)
                }
            });
            let parent = parent.ok_or_else(|| {
                ApiError::Unprocessable("regenerate: the chat has nothing to answer again".into())
            })?;
            let question = messages
                .iter()
                .find(|m| m.id == parent)
                .map(|m| m.content.clone())
                .unwrap_or_default();
            (parent, question)
        } else {
            let asked = request
                .messages
                .iter()
                .rev()
                .find(|m| m["role"] == "user")
                .ok_or_else(|| {
                    ApiError::Unprocessable(
                        "messages: storing in a chat needs a user message".into(),
                    )
                })?;
            let question = NewMessage {
                id: MessageId::new(),
                parent_id: request.parent_id.unwrap_or(chat.current_message_id),
                role: MessageRole::User,
                content: content_text(&asked["content"]),
                model: None,
                status: MessageStatus::Complete,
            };
            let parent = question.id;
            let text = question.content.clone();
            new.push(question);
            (parent, text)
        };
        let answer = NewMessage {
            id: MessageId::new(),
            parent_id: Some(answer_parent),
            role: MessageRole::Assistant,
            content: String::new(),
            model: Some(model_id.to_owned()),
            status: MessageStatus::Streaming,
        };
        let answer_id = answer.id;
        new.push(answer);
        state
            .store
            .append_messages(caller.tenant_id, caller.id, chat_id, &new, unix_now())
            .await
            .map_err(|error| match error {
                DbError::NotFound("message") => {
                    ApiError::NotFound("parent_id: no such message in this chat".into())
                }
                other => other.into(),
            })?;
        Ok(Self {
            user: caller.clone(),
            chat_id,
            answer_id,
            model_id: model_id.to_owned(),
            question,
            untitled: chat.title == DEFAULT_TITLE,
            sources,
        })
    }

    /// Records that the model server refused the request.
    pub(super) async fn fail(self, state: &AppState, error: &SeamError) {
        let outcome = MessageOutcome {
            content: String::new(),
            status: MessageStatus::Error,
            error: Some(error.to_string()),
            usage: None,
            sources: self.sources.clone(),
        };
        self.finish(state, &outcome).await;
    }

    async fn finish(&self, state: &AppState, outcome: &MessageOutcome) {
        if let Err(error) = state
            .store
            .finish_message(self.chat_id, self.answer_id, outcome, unix_now())
            .await
        {
            tracing::error!(%error, chat = %self.chat_id, "could not store the answer");
        }
    }

    /// Drives the answer to its end in a task of its own and returns what the client should see.
    pub(super) fn drive(
        self,
        state: AppState,
        mut upstream: ChatChunkStream,
    ) -> BoxStream<'static, Frame> {
        let (tx, rx) = tokio::sync::mpsc::channel(RELAY_BUFFER);
        let live = LiveAnswer::start(
            state.bus.clone(),
            self.user.id,
            self.chat_id,
            self.answer_id,
        );
        tokio::spawn(async move {
            // The user may stop the answer from any tab on any replica; without the bus it runs to
            // the end (the client's disconnecting never stops it).
            let stop_channel = super::live::stop_channel(self.answer_id);
            let mut stop = match state.bus.subscribe(&stop_channel).await {
                Ok(stop) => stop,
                Err(error) => {
                    tracing::warn!(%error, "this answer cannot be stopped: the bus is away");
                    futures::stream::pending().boxed()
                }
            };
            let mut answer = Accumulator::default();
            let mut failure = None;
            loop {
                let item = tokio::select! {
                    item = upstream.next() => item,
                    _ = stop.next() => {
                        tracing::info!(chat = %self.chat_id, "answer stopped by the user");
                        break;
                    }
                };
                let Some(item) = item else { break };
                match item {
                    Ok(chunk) => {
                        answer.push(&chunk);
                        // The first choice is the one stored (as the accumulator does).
                        if let Some(text) = chunk["choices"][0]["delta"]["content"].as_str() {
                            live.delta(text);
                        }
                        // A client that left makes this fail at once; the answer goes on regardless.
                        let _ = tx.send(Frame::Chunk(chunk)).await;
                    }
                    Err(error) => {
                        failure = Some(error);
                        break;
                    }
                }
            }
            // Dropping the request to the model server cancels it (after a stop).
            drop(upstream);
            drop(stop);
            let outcome = MessageOutcome {
                content: answer.content().to_owned(),
                status: if failure.is_some() {
                    MessageStatus::Error
                } else {
                    MessageStatus::Complete
                },
                error: failure.as_ref().map(ToString::to_string),
                usage: answer.usage().cloned(),
                sources: self.sources.clone(),
            };
            self.finish(&state, &outcome).await;
            live.finish(outcome.status, outcome.error.clone());
            state.metrics.record_usage(&self.model_id, answer.usage());
            if let Some(error) = failure {
                let _ = tx.send(Frame::Failed(error)).await;
                return;
            }
            // The client's stream ends here; the title comes afterwards.
            drop(tx);
            if self.untitled && state.tunables.current().models.enable_title_generation {
                title::generate(
                    &state,
                    &self.user,
                    self.chat_id,
                    &self.question,
                    answer.content(),
                    &self.model_id,
                )
                .await;
            }
        });
        ReceiverStream::new(rx).boxed()
    }
}
