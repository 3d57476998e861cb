//! Chat history: list, search, read, rename, move, pin, archive, tag, delete, share (read-only
//! snapshots, revocable), export and import; and folders. Every route acts on the caller's own chats
//! only: another user's chat answers 404, exactly like one that does not exist.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use hearth_core::chat::{Chat, DEFAULT_TITLE, Folder, Message, MessageRole, MessageStatus, branch};
use hearth_core::time::unix_now;
use hearth_core::{ChatId, FolderId, MessageId};
use hearth_db::{ChatFilter, ChatPatch, NewMessage, normalize_tag};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

use super::auths::Done;
use super::{ApiPath, ApiQuery};
use crate::auth::{ActiveUser, Authenticated};
use crate::chat::{MAX_COMPLETION_BODY, live};
use crate::error::ErrorBody;
use crate::json::{ApiJson, double_option};
use crate::{ApiError, AppState};

/// Largest page of chats.
const MAX_PAGE: u64 = 200;
/// Most messages an imported chat may hold.
const MAX_IMPORTED_MESSAGES: usize = 10_000;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_chats, create_chat))
        .routes(routes!(search_chats))
        .routes(routes!(list_tags))
        .routes(routes!(import_chat))
        .routes(routes!(get_chat, update_chat, delete_chat))
        .routes(routes!(stop_answer))
        .routes(routes!(add_tag))
        .routes(routes!(remove_tag))
        .routes(routes!(export_chat))
        .routes(routes!(share_chat, list_shares))
        .routes(routes!(shared_chat, revoke_share))
        .routes(routes!(list_folders, create_folder))
        .routes(routes!(update_folder, delete_folder))
}

/// A chat without its messages.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChatView {
    #[schema(value_type = String)]
    id: ChatId,
    title: String,
    #[schema(value_type = Option<String>)]
    folder_id: Option<FolderId>,
    pinned: bool,
    archived: bool,
    #[schema(value_type = Option<String>)]
    current_message_id: Option<MessageId>,
    tags: Vec<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<Chat> for ChatView {
    fn from(c: Chat) -> Self {
        Self {
            id: c.id,
            title: c.title,
            folder_id: c.folder_id,
            pinned: c.pinned,
            archived: c.archived,
            current_message_id: c.current_message_id,
            tags: c.tags,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// One message of a chat's tree.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MessageView {
    #[schema(value_type = String)]
    id: MessageId,
    #[schema(value_type = Option<String>)]
    parent_id: Option<MessageId>,
    /// `system`, `user` or `assistant`.
    #[schema(value_type = String)]
    role: MessageRole,
    content: String,
    model: Option<String>,
    /// `complete`, `streaming` or `error`.
    #[schema(value_type = String)]
    status: MessageStatus,
    error: Option<String>,
    #[schema(value_type = Option<Object>)]
    usage: Option<Value>,
    /// The passages the answer was given, numbered as it cites them.
    #[schema(value_type = Option<Vec<Object>>)]
    sources: Option<Value>,
    created_at: i64,
    /// For an answer still streaming: the last realtime event its `content` includes; open
    /// the WebSocket with `?last_event_id=` this to receive the rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stream_event_id: Option<u64>,
}

impl From<Message> for MessageView {
    fn from(m: Message) -> Self {
        Self {
            id: m.id,
            parent_id: m.parent_id,
            role: m.role,
            content: m.content,
            model: m.model,
            status: m.status,
            error: m.error,
            usage: m.usage,
            sources: m.sources,
            created_at: m.created_at,
            stream_event_id: None,
        }
    }
}

/// A chat with every message of its tree; `current_message_id` marks the selected branch's leaf.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChatWithMessages {
    #[serde(flatten)]
    chat: ChatView,
    messages: Vec<MessageView>,
}

/// A page of chats, most recently updated first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChatList {
    chats: Vec<ChatView>,
    total: u64,
}

/// Which chats to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    skip: Option<u64>,
    /// At most 200 (default 50).
    limit: Option<u64>,
    /// Archived chats instead of active ones.
    #[serde(default)]
    archived: bool,
    pinned: Option<bool>,
    #[param(value_type = Option<String>)]
    folder_id: Option<FolderId>,
    tag: Option<String>,
}

fn page_limit(limit: Option<u64>) -> Result<u64, ApiError> {
    let limit = limit.unwrap_or(50);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::Unprocessable(format!(
            "limit: must be 1 to {MAX_PAGE}"
        )));
    }
    Ok(limit)
}

/// The caller's chats, most recently updated first.
#[utoipa::path(get, path = "/api/v1/chats", tag = "chats", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "Success", body = ChatList)))]
async fn list_chats(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<ChatList>, ApiError> {
    let filter = ChatFilter {
        archived: query.archived,
        pinned: query.pinned,
        folder_id: query.folder_id,
        tag: query.tag,
    };
    let user = &caller.user;
    let page = state
        .store
        .list_chats(
            user.tenant_id,
            user.id,
            &filter,
            query.skip.unwrap_or(0),
            page_limit(query.limit)?,
        )
        .await?;
    Ok(Json(ChatList {
        chats: page.chats.into_iter().map(Into::into).collect(),
        total: page.total,
    }))
}

/// A new chat.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
pub(crate) struct NewChat {
    #[validate(length(min = 1, max = 512, message = "must be 1 to 512 characters"))]
    title: Option<String>,
    #[schema(value_type = Option<String>)]
    folder_id: Option<FolderId>,
}

/// Starts an empty chat (named "New Chat" until the first answer gives it a title).
#[utoipa::path(post, path = "/api/v1/chats", tag = "chats", security(("bearer" = [])), request_body = NewChat,
    responses((status = 200, description = "Success", body = ChatView), (status = 404, description = "No such folder", body = ErrorBody)))]
async fn create_chat(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiJson(new): ApiJson<NewChat>,
) -> Result<Json<ChatView>, ApiError> {
    let user = &caller.user;
    let title = new
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(DEFAULT_TITLE);
    let chat = state
        .store
        .create_chat(user.tenant_id, user.id, title, new.folder_id, unix_now())
        .await?;
    Ok(Json(chat.into()))
}

/// What to search for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchQuery {
    /// Text looked for in titles and messages, ignoring case.
    q: String,
    skip: Option<u64>,
    limit: Option<u64>,
}

/// The caller's chats whose title or messages contain `q`.
#[utoipa::path(get, path = "/api/v1/chats/search", tag = "chats", security(("bearer" = [])), params(SearchQuery),
    responses((status = 200, description = "Success", body = ChatList), (status = 422, description = "Empty or overlong query", body = ErrorBody)))]
async fn search_chats(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<ChatList>, ApiError> {
    let text = query.q.trim();
    if text.is_empty() || text.chars().count() > 500 {
        return Err(ApiError::Unprocessable(
            "q: must be 1 to 500 characters".into(),
        ));
    }
    let user = &caller.user;
    let page = state
        .store
        .search_chats(
            user.tenant_id,
            user.id,
            text,
            query.skip.unwrap_or(0),
            page_limit(query.limit)?,
        )
        .await?;
    Ok(Json(ChatList {
        chats: page.chats.into_iter().map(Into::into).collect(),
        total: page.total,
    }))
}

/// Every tag the caller uses.
#[utoipa::path(get, path = "/api/v1/chats/tags", tag = "chats", security(("bearer" = [])),
    responses((status = 200, description = "Success", body = Vec<String>)))]
async fn list_tags(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
) -> Result<Json<Vec<String>>, ApiError> {
    Ok(Json(
        state
            .store
            .user_tags(caller.user.tenant_id, caller.user.id)
            .await?,
    ))
}

async fn owned_chat(
    state: &AppState,
    caller: &Authenticated,
    id: ChatId,
) -> Result<(Chat, Vec<Message>), ApiError> {
    state
        .store
        .chat(caller.user.tenant_id, caller.user.id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("chat not found".into()))
}

/// The answer a stop ended, as stored.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Stopped {
    #[schema(value_type = String)]
    message_id: MessageId,
    /// What the answer said when it stopped.
    content: String,
}

/// How long a stop waits for the replica driving the answer to store it.
const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Stops the answer streaming in this chat, on whichever replica drives it: the request to the
/// model server is dropped and what was said so far is stored as the answer. Returns once it is.
#[utoipa::path(post, path = "/api/v1/chats/{id}/stop", tag = "chats", security(("bearer" = [])), params(("id" = String, Path)),
    responses(
        (status = 200, description = "Success", body = Stopped),
        (status = 404, description = "No such chat", body = ErrorBody),
        (status = 409, description = "No answer is streaming in the chat", body = ErrorBody),
        (status = 503, description = "The answer could not be reached in time", body = ErrorBody),
    ))]
async fn stop_answer(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<ChatId>,
) -> Result<Json<Stopped>, ApiError> {
    let (_, messages) = owned_chat(&state, &caller, id).await?;
    let streaming: Vec<MessageId> = messages
        .iter()
        .filter(|m| m.status == MessageStatus::Streaming)
        .map(|m| m.id)
        .collect();
    let [message_id] = streaming[..] else {
        return Err(ApiError::Conflict(if streaming.is_empty() {
            "no answer is streaming in this chat".into()
        } else {
            "several answers are streaming in this chat".into()
        }));
    };
    state
        .bus
        .publish(&live::stop_channel(message_id), bytes::Bytes::new())
        .await
        .map_err(|e| ApiError::ServiceUnavailable(format!("cannot reach the answer: {e}")))?;
    // The replica driving the answer stores it and ends; wait until the store says so.
    let deadline = tokio::time::Instant::now() + STOP_WAIT;
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(20));
    loop {
        tick.tick().await;
        let (_, messages) = owned_chat(&state, &caller, id).await?;
        if let Some(message) = messages
            .into_iter()
            .find(|m| m.id == message_id && m.status != MessageStatus::Streaming)
        {
            return Ok(Json(Stopped {
                message_id,
                content: message.content,
            }));
        }
        if tokio::time::Instant::now() > deadline {
            return Err(ApiError::ServiceUnavailable(
                "the answer did not stop in time; its server may be gone (it is closed within minutes)"
                    .into(),
            ));
        }
    }
}

/// One chat with its whole message tree.
#[utoipa::path(get, path = "/api/v1/chats/{id}", tag = "chats", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "Success", body = ChatWithMessages), (status = 404, description = "No such chat", body = ErrorBody)))]
async fn get_chat(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<ChatId>,
) -> Result<Json<ChatWithMessages>, ApiError> {
    let (chat, messages) = owned_chat(&state, &caller, id).await?;
    let mut messages: Vec<MessageView> = messages.into_iter().map(Into::into).collect();
    // An answer still streaming (on any replica) shows what has been said so far.
    for message in &mut messages {
        if message.status == MessageStatus::Streaming
            && let Some(partial) = live::partial(state.bus.as_ref(), message.id).await
        {
            message.content = partial.content;
            message.stream_event_id = Some(partial.event_id);
        }
    }
    Ok(Json(ChatWithMessages {
        chat: chat.into(),
        messages,
    }))
}

/// Changes to a chat; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub(crate) struct ChatUpdate {
    #[validate(length(min = 1, max = 512, message = "must be 1 to 512 characters"))]
    title: Option<String>,
    /// A folder of the caller's, or `null` to take the chat out of its folder.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    folder_id: Option<Option<FolderId>>,
    pinned: Option<bool>,
    archived: Option<bool>,
    /// Selects a branch: the id of a message of this chat.
    #[schema(value_type = Option<String>)]
    current_message_id: Option<MessageId>,
}

/// Renames, moves, pins, archives or selects a branch of a chat.
#[utoipa::path(patch, path = "/api/v1/chats/{id}", tag = "chats", security(("bearer" = [])), params(("id" = String, Path)), request_body = ChatUpdate,
    responses((status = 200, description = "Success", body = ChatView), (status = 404, description = "No such chat, folder or message", body = ErrorBody)))]
async fn update_chat(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<ChatId>,
    ApiJson(update): ApiJson<ChatUpdate>,
) -> Result<Json<ChatView>, ApiError> {
    let patch = ChatPatch {
        title: update.title.map(|t| t.trim().to_owned()),
        folder_id: update.folder_id,
        pinned: update.pinned,
        archived: update.archived,
        current_message_id: update.current_message_id,
    };
    let chat = state
        .store
        .update_chat(caller.user.tenant_id, caller.user.id, id, patch, unix_now())
        .await?;
    Ok(Json(chat.into()))
}

/// Deletes a chat with its messages, tags and shares.
#[utoipa::path(delete, path = "/api/v1/chats/{id}", tag = "chats", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "Success", body = Done), (status = 404, description = "No such chat", body = ErrorBody)))]
async fn delete_chat(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<ChatId>,
) -> Result<Json<Done>, ApiError> {
    if !state
        .store
        .delete_chat(caller.user.tenant_id, caller.user.id, id)
        .await?
    {
        return Err(ApiError::NotFound("chat not found".into()));
    }
    Ok(Json(Done::ok()))
}

/// A tag.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub(crate) struct TagForm {
    #[validate(length(min = 1, max = 64, message = "must be 1 to 64 characters"))]
    tag: String,
}

/// Tags a chat (tags are lower-cased).
#[utoipa::path(post, path = "/api/v1/chats/{id}/tags", tag = "chats", security(("bearer" = [])), params(("id" = String, Path)), request_body = TagForm,
    responses((status = 200, description = "Success", body = ChatView), (status = 404, description = "No such chat", body = ErrorBody)))]
async fn add_tag(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<ChatId>,
    ApiJson(form): ApiJson<TagForm>,
) -> Result<Json<ChatView>, ApiError> {
    if normalize_tag(&form.tag).is_empty() {
        return Err(ApiError::Unprocessable("tag: must not be blank".into()));
    }
    state
        .store
        .add_chat_tag(caller.user.tenant_id, caller.user.id, id, &form.tag)
        .await?;
    Ok(Json(owned_chat(&state, &caller, id).await?.0.into()))
}

/// Removes a tag from a chat.
#[utoipa::path(delete, path = "/api/v1/chats/{id}/tags/{tag}", tag = "chats", security(("bearer" = [])),
    params(("id" = String, Path), ("tag" = String, Path)),
    responses((status = 200, description = "Success", body = Done), (status = 404, description = "The chat has no such tag", body = ErrorBody)))]
async fn remove_tag(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath((id, tag)): ApiPath<(ChatId, String)>,
) -> Result<Json<Done>, ApiError> {
    if !state
        .store
        .remove_chat_tag(caller.user.tenant_id, caller.user.id, id, &tag)
        .await?
    {
        return Err(ApiError::NotFound("the chat has no such tag".into()));
    }
    Ok(Json(Done::ok()))
}

/// A chat as a file: its title, tags and whole message tree. Import accepts the same shape.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ChatExport {
    /// Always `hearth-chat`.
    format: String,
    /// Always 1.
    version: u32,
    title: String,
    #[serde(default)]
    tags: Vec<String>,
    #[schema(value_type = Option<String>)]
    current_message_id: Option<MessageId>,
    messages: Vec<MessageView>,
    created_at: i64,
}

/// The chat as JSON, to keep or to import elsewhere.
#[utoipa::path(get, path = "/api/v1/chats/{id}/export", tag = "chats", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "Success", body = ChatExport), (status = 404, description = "No such chat", body = ErrorBody)))]
async fn export_chat(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<ChatId>,
) -> Result<Json<ChatExport>, ApiError> {
    let (chat, messages) = owned_chat(&state, &caller, id).await?;
    Ok(Json(ChatExport {
        format: "hearth-chat".into(),
        version: 1,
        title: chat.title,
        tags: chat.tags,
        current_message_id: chat.current_message_id,
        messages: messages.into_iter().map(Into::into).collect(),
        created_at: chat.created_at,
    }))
}

impl Validate for ChatExport {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        let mut errors = validator::ValidationErrors::new();
        let mut fail = |field: &'static str, message: String| {
            errors.add(
                field,
                validator::ValidationError::new("invalid").with_message(message.into()),
            );
        };
        if self.format != "hearth-chat" || self.version != 1 {
            fail(
                "format",
                "must be `hearth-chat` version 1 (a file made by export)".into(),
            );
        }
        if self.title.trim().is_empty() || self.title.chars().count() > 512 {
            fail("title", "must be 1 to 512 characters".into());
        }
        if self.messages.len() > MAX_IMPORTED_MESSAGES {
            fail(
                "messages",
                format!("must hold at most {MAX_IMPORTED_MESSAGES} messages"),
            );
        }
        let mut seen = std::collections::HashSet::new();
        for (index, message) in self.messages.iter().enumerate() {
            if message.parent_id.is_some_and(|p| !seen.contains(&p)) {
                fail(
                    "messages",
                    format!("message {index}: its parent must come earlier in the list"),
                );
                break;
            }
            seen.insert(message.id);
        }
        if self.current_message_id.is_some_and(|c| !seen.contains(&c)) {
            fail("current_message_id", "must be one of the messages".into());
        }
        if self
            .tags
            .iter()
            .any(|t| t.trim().is_empty() || t.chars().count() > 64)
        {
            fail("tags", "must each be 1 to 64 characters".into());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Creates a chat from an export (with new ids); the tree, selected branch and tags are kept.
#[utoipa::path(post, path = "/api/v1/chats/import", tag = "chats", security(("bearer" = [])), request_body = ChatExport,
    responses((status = 200, description = "Success", body = ChatView), (status = 422, description = "Not a valid export", body = ErrorBody)))]
async fn import_chat(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiJson(export): ApiJson<ChatExport, MAX_COMPLETION_BODY>,
) -> Result<Json<ChatView>, ApiError> {
    let user = &caller.user;
    let now = unix_now();
    let chat = state
        .store
        .create_chat(user.tenant_id, user.id, export.title.trim(), None, now)
        .await?;
    let ids: HashMap<MessageId, MessageId> = export
        .messages
        .iter()
        .map(|m| (m.id, MessageId::new()))
        .collect();
    let messages: Vec<NewMessage> = export
        .messages
        .iter()
        .map(|m| NewMessage {
            id: ids[&m.id],
            parent_id: m.parent_id.map(|p| ids[&p]),
            role: m.role,
            content: m.content.clone(),
            model: m.model.clone(),
            // An answer that was still arriving when exported will never finish here.
            status: if m.status == MessageStatus::Streaming {
                MessageStatus::Error
            } else {
                m.status
            },
        })
        .collect();
    state
        .store
        .append_messages(user.tenant_id, user.id, chat.id, &messages, now)
        .await?;
    let current = export.current_message_id.map(|c| ids[&c]);
    let patch = ChatPatch {
        current_message_id: current,
        ..ChatPatch::default()
    };
    state
        .store
        .update_chat(user.tenant_id, user.id, chat.id, patch, now)
        .await?;
    for tag in &export.tags {
        state
            .store
            .add_chat_tag(user.tenant_id, user.id, chat.id, tag)
            .await?;
    }
    Ok(Json(owned_chat(&state, &caller, chat.id).await?.0.into()))
}

/// A share link.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ShareView {
    share_id: String,
    /// Where signed-in users of this Hearth can read it.
    url: String,
    created_at: i64,
}

fn share_view(share_id: String, created_at: i64) -> ShareView {
    ShareView {
        url: format!("/api/v1/chats/shared/{share_id}"),
        share_id,
        created_at,
    }
}

/// Shares a read-only snapshot of the chat as it is now (the selected branch). Later messages are
/// not part of it; revoking the share ends the link.
#[utoipa::path(post, path = "/api/v1/chats/{id}/share", tag = "chats", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "Success", body = ShareView), (status = 404, description = "No such chat", body = ErrorBody)))]
async fn share_chat(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<ChatId>,
) -> Result<Json<ShareView>, ApiError> {
    let (chat, messages) = owned_chat(&state, &caller, id).await?;
    let visible: Vec<MessageView> = branch(&messages, chat.current_message_id)
        .into_iter()
        .cloned()
        .map(Into::into)
        .collect();
    let now = unix_now();
    let snapshot = serde_json::json!({"title": chat.title, "messages": visible, "shared_at": now});
    let share_id = share_token();
    state
        .store
        .create_share(
            caller.user.tenant_id,
            caller.user.id,
            id,
            &share_id,
            &snapshot,
            now,
        )
        .await?;
    Ok(Json(share_view(share_id, now)))
}

/// 256 random bits, URL-safe: unguessable.
fn share_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The chat's live share links.
#[utoipa::path(get, path = "/api/v1/chats/{id}/share", tag = "chats", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "Success", body = Vec<ShareView>), (status = 404, description = "No such chat", body = ErrorBody)))]
async fn list_shares(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<ChatId>,
) -> Result<Json<Vec<ShareView>>, ApiError> {
    owned_chat(&state, &caller, id).await?;
    let shares = state
        .store
        .chat_shares(caller.user.tenant_id, caller.user.id, id)
        .await?;
    Ok(Json(
        shares
            .into_iter()
            .map(|(id, at)| share_view(id, at))
            .collect(),
    ))
}

/// A shared snapshot, readable by any signed-in user of this Hearth.
#[utoipa::path(get, path = "/api/v1/chats/shared/{share_id}", tag = "chats", security(("bearer" = [])), params(("share_id" = String, Path)),
    responses((status = 200, description = "`{title, messages, shared_at}`", body = Object), (status = 404, description = "No such share, or revoked", body = ErrorBody)))]
async fn shared_chat(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(share_id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let snapshot = state
        .store
        .shared_snapshot(caller.user.tenant_id, &share_id)
        .await?;
    snapshot
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("share not found (it may have been revoked)".into()))
}

/// Revokes one of the caller's share links.
#[utoipa::path(delete, path = "/api/v1/chats/shared/{share_id}", tag = "chats", security(("bearer" = [])), params(("share_id" = String, Path)),
    responses((status = 200, description = "Success", body = Done), (status = 404, description = "No such share of the caller's", body = ErrorBody)))]
async fn revoke_share(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(share_id): ApiPath<String>,
) -> Result<Json<Done>, ApiError> {
    if !state
        .store
        .revoke_share(caller.user.tenant_id, caller.user.id, &share_id)
        .await?
    {
        return Err(ApiError::NotFound("share not found".into()));
    }
    Ok(Json(Done::ok()))
}

/// A folder of chats.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FolderView {
    #[schema(value_type = String)]
    id: FolderId,
    #[schema(value_type = Option<String>)]
    parent_id: Option<FolderId>,
    name: String,
    created_at: i64,
    updated_at: i64,
}

impl From<Folder> for FolderView {
    fn from(f: Folder) -> Self {
        Self {
            id: f.id,
            parent_id: f.parent_id,
            name: f.name,
            created_at: f.created_at,
            updated_at: f.updated_at,
        }
    }
}

/// A new folder, or changes to one (absent fields stay; `parent_id: null` moves it to the top).
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub(crate) struct FolderForm {
    #[validate(length(min = 1, max = 255, message = "must be 1 to 255 characters"))]
    name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    parent_id: Option<Option<FolderId>>,
}

/// The caller's folders.
#[utoipa::path(get, path = "/api/v1/folders", tag = "chats", security(("bearer" = [])),
    responses((status = 200, description = "Success", body = Vec<FolderView>)))]
async fn list_folders(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
) -> Result<Json<Vec<FolderView>>, ApiError> {
    Ok(Json(
        state
            .store
            .list_folders(caller.user.tenant_id, caller.user.id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Creates a folder, optionally inside another.
#[utoipa::path(post, path = "/api/v1/folders", tag = "chats", security(("bearer" = [])), request_body = FolderForm,
    responses((status = 200, description = "Success", body = FolderView), (status = 404, description = "No such parent folder", body = ErrorBody)))]
async fn create_folder(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiJson(form): ApiJson<FolderForm>,
) -> Result<Json<FolderView>, ApiError> {
    let name = form
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::Unprocessable("name: is required".into()))?;
    let folder = state
        .store
        .create_folder(
            caller.user.tenant_id,
            caller.user.id,
            name,
            form.parent_id.flatten(),
            unix_now(),
        )
        .await?;
    Ok(Json(folder.into()))
}

/// Renames or moves a folder (not into itself or its subfolders).
#[utoipa::path(patch, path = "/api/v1/folders/{id}", tag = "chats", security(("bearer" = [])), params(("id" = String, Path)), request_body = FolderForm,
    responses((status = 200, description = "Success", body = FolderView), (status = 404, description = "No such folder", body = ErrorBody), (status = 409, description = "A move into itself", body = ErrorBody)))]
async fn update_folder(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<FolderId>,
    ApiJson(form): ApiJson<FolderForm>,
) -> Result<Json<FolderView>, ApiError> {
    let folder = state
        .store
        .update_folder(
            caller.user.tenant_id,
            caller.user.id,
            id,
            form.name.as_deref().map(str::trim),
            form.parent_id,
            unix_now(),
        )
        .await?;
    Ok(Json(folder.into()))
}

/// Deletes a folder; its chats stay (outside any folder) and its subfolders move up.
#[utoipa::path(delete, path = "/api/v1/folders/{id}", tag = "chats", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "Success", body = Done), (status = 404, description = "No such folder", body = ErrorBody)))]
async fn delete_folder(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<FolderId>,
) -> Result<Json<Done>, ApiError> {
    if !state
        .store
        .delete_folder(caller.user.tenant_id, caller.user.id, id, unix_now())
        .await?
    {
        return Err(ApiError::NotFound("folder not found".into()));
    }
    Ok(Json(Done::ok()))
}
