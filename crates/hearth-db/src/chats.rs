//! Chats: conversations as message trees, with folders, tags, search and share snapshots.
//!
//! Every query is scoped to the owning user within the tenant: another user's chat behaves exactly as
//! a chat that does not exist.

use std::collections::{HashMap, HashSet};

use hearth_core::chat::{Chat, Folder, Message, MessageRole, MessageStatus};
use hearth_core::{ChatId, FolderId, MessageId, TenantId, UserId};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, TransactionTrait,
};

use crate::connections::{from_json, to_json};
use crate::entities::{chat, chat_share, chat_tag, folder, message};
use crate::groups::parse_id;
use crate::{DbError, Store};

/// Which of a user's chats to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChatFilter {
    /// Archived chats instead of the active ones.
    pub archived: bool,
    pub pinned: Option<bool>,
    pub folder_id: Option<FolderId>,
    pub tag: Option<String>,
}

/// A page of chats, newest first, and how many match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatPage {
    pub chats: Vec<Chat>,
    pub total: u64,
}

/// Changes to a chat; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChatPatch {
    pub title: Option<String>,
    /// `Some(None)` moves the chat out of its folder.
    pub folder_id: Option<Option<FolderId>>,
    pub pinned: Option<bool>,
    pub archived: Option<bool>,
    /// Selects a branch: must be a message of this chat.
    pub current_message_id: Option<MessageId>,
}

/// A message to add to a chat's tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMessage {
    pub id: MessageId,
    pub parent_id: Option<MessageId>,
    pub role: MessageRole,
    pub content: String,
    pub model: Option<String>,
    pub status: MessageStatus,
}

/// The final state of a message that was streaming.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageOutcome {
    pub content: String,
    pub status: MessageStatus,
    pub error: Option<String>,
    pub usage: Option<serde_json::Value>,
    pub sources: Option<serde_json::Value>,
}

impl Store {
    /// Starts an empty chat.
    pub async fn create_chat(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        title: &str,
        folder_id: Option<FolderId>,
        now: i64,
    ) -> Result<Chat, DbError> {
        if let Some(folder_id) = folder_id {
            self.ensure_folder(tenant_id, user_id, folder_id).await?;
        }
        let id = ChatId::new();
        let row = chat::ActiveModel {
            id: Set(id.to_string()),
            tenant_id: Set(tenant_id.to_string()),
            user_id: Set(user_id.to_string()),
            title: Set(title.to_owned()),
            folder_id: Set(folder_id.map(|f| f.to_string())),
            pinned: Set(false),
            archived: Set(false),
            current_message_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        };
        chat::Entity::insert(row)
            .exec_without_returning(&self.writer)
            .await?;
        Ok(Chat {
            id,
            user_id,
            title: title.to_owned(),
            folder_id,
            pinned: false,
            archived: false,
            current_message_id: None,
            tags: Vec::new(),
            created_at: now,
            updated_at: now,
        })
    }

    /// A page of the user's chats, most recently updated first.
    pub async fn list_chats(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        filter: &ChatFilter,
        offset: u64,
        limit: u64,
    ) -> Result<ChatPage, DbError> {
        let mut query =
            owned_chats(tenant_id, user_id).filter(chat::Column::Archived.eq(filter.archived));
        if let Some(pinned) = filter.pinned {
            query = query.filter(chat::Column::Pinned.eq(pinned));
        }
        if let Some(folder_id) = filter.folder_id {
            query = query.filter(chat::Column::FolderId.eq(folder_id.to_string()));
        }
        if let Some(tag) = &filter.tag {
            let tagged = Query::select()
                .column(chat_tag::Column::ChatId)
                .from(chat_tag::Entity)
                .and_where(chat_tag::Column::UserId.eq(user_id.to_string()))
                .and_where(chat_tag::Column::Tag.eq(normalize_tag(tag)))
                .to_owned();
            query = query.filter(chat::Column::Id.in_subquery(tagged));
        }
        self.page(query, offset, limit).await
    }

    /// Chats whose title or any message contains `text` (case-insensitive), most recent first.
    pub async fn search_chats(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        text: &str,
        offset: u64,
        limit: u64,
    ) -> Result<ChatPage, DbError> {
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        let in_messages = Query::select()
            .column(message::Column::ChatId)
            .from(message::Entity)
            .and_where(message::Column::TenantId.eq(tenant_id.to_string()))
            .and_where(
                Expr::expr(Func::lower(Expr::col(message::Column::Content)))
                    .like(LikeExpr::new(pattern.clone()).escape('\\')),
            )
            .to_owned();
        let query = owned_chats(tenant_id, user_id).filter(
            Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(chat::Column::Title)))
                        .like(LikeExpr::new(pattern).escape('\\')),
                )
                .add(chat::Column::Id.in_subquery(in_messages)),
        );
        self.page(query, offset, limit).await
    }

    async fn page(
        &self,
        query: Select<chat::Entity>,
        offset: u64,
        limit: u64,
    ) -> Result<ChatPage, DbError> {
        let total = query.clone().count(&self.reader).await?;
        let rows = query
            .order_by_desc(chat::Column::UpdatedAt)
            .order_by_desc(chat::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(&self.reader)
            .await?;
        let mut tags = tags_of(&self.reader, rows.iter().map(|r| r.id.clone()).collect()).await?;
        let chats = rows
            .into_iter()
            .map(|row| {
                let chat_tags = tags.remove(&row.id).unwrap_or_default();
                to_chat(row, chat_tags)
            })
            .collect::<Result<_, _>>()?;
        Ok(ChatPage { chats, total })
    }

    /// One of the user's chats with every message of its tree (in creation order).
    pub async fn chat(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        id: ChatId,
    ) -> Result<Option<(Chat, Vec<Message>)>, DbError> {
        let Some(row) = owned_chats(tenant_id, user_id)
            .filter(chat::Column::Id.eq(id.to_string()))
            .one(&self.reader)
            .await?
        else {
            return Ok(None);
        };
        let tags = tags_of(&self.reader, vec![row.id.clone()])
            .await?
            .remove(&row.id)
            .unwrap_or_default();
        let messages = message::Entity::find()
            .filter(message::Column::ChatId.eq(id.to_string()))
            .order_by_asc(message::Column::Id)
            .all(&self.reader)
            .await?
            .into_iter()
            .map(to_message)
            .collect::<Result<_, _>>()?;
        Ok(Some((to_chat(row, tags)?, messages)))
    }

    /// Renames, moves, pins, archives or selects a branch of a chat.
    pub async fn update_chat(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        id: ChatId,
        patch: ChatPatch,
        now: i64,
    ) -> Result<Chat, DbError> {
        if let Some(Some(folder_id)) = patch.folder_id {
            self.ensure_folder(tenant_id, user_id, folder_id).await?;
        }
        let txn = self.writer.begin().await?;
        let mut update =
            chat::Entity::update_many().col_expr(chat::Column::UpdatedAt, Expr::value(now));
        if let Some(title) = &patch.title {
            update = update.col_expr(chat::Column::Title, Expr::value(title.clone()));
        }
        if let Some(folder_id) = patch.folder_id {
            update = update.col_expr(
                chat::Column::FolderId,
                Expr::value(folder_id.map(|f| f.to_string())),
            );
        }
        if let Some(pinned) = patch.pinned {
            update = update.col_expr(chat::Column::Pinned, Expr::value(pinned));
        }
        if let Some(archived) = patch.archived {
            update = update.col_expr(chat::Column::Archived, Expr::value(archived));
        }
        if let Some(current) = patch.current_message_id {
            update = update.col_expr(
                chat::Column::CurrentMessageId,
                Expr::value(current.to_string()),
            );
        }
        let result = update
            .filter(chat::Column::Id.eq(id.to_string()))
            .filter(chat::Column::TenantId.eq(tenant_id.to_string()))
            .filter(chat::Column::UserId.eq(user_id.to_string()))
            .exec(&txn)
            .await?;
        if result.rows_affected == 0 {
            return Err(DbError::NotFound("chat"));
        }
        if let Some(current) = patch.current_message_id {
            ensure_message_in_chat(&txn, id, current).await?;
        }
        let row = chat::Entity::find_by_id(id.to_string())
            .one(&txn)
            .await?
            .ok_or(DbError::NotFound("chat"))?;
        let tags = tags_of(&txn, vec![row.id.clone()])
            .await?
            .remove(&row.id)
            .unwrap_or_default();
        txn.commit().await?;
        to_chat(row, tags)
    }

    /// Deletes a chat with its messages, tags and shares; returns whether it existed.
    pub async fn delete_chat(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        id: ChatId,
    ) -> Result<bool, DbError> {
        let result = chat::Entity::delete_many()
            .filter(chat::Column::Id.eq(id.to_string()))
            .filter(chat::Column::TenantId.eq(tenant_id.to_string()))
            .filter(chat::Column::UserId.eq(user_id.to_string()))
            .exec(&self.writer)
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// Adds messages to a chat's tree in one transaction and selects the last one's branch. Each
    /// parent must be a message of this chat (or one added earlier in `messages`).
    pub async fn append_messages(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        chat_id: ChatId,
        messages: &[NewMessage],
        now: i64,
    ) -> Result<(), DbError> {
        let Some(last) = messages.last() else {
            return Ok(());
        };
        let txn = self.writer.begin().await?;
        let touched = chat::Entity::update_many()
            .col_expr(chat::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                chat::Column::CurrentMessageId,
                Expr::value(last.id.to_string()),
            )
            .filter(chat::Column::Id.eq(chat_id.to_string()))
            .filter(chat::Column::TenantId.eq(tenant_id.to_string()))
            .filter(chat::Column::UserId.eq(user_id.to_string()))
            .exec(&txn)
            .await?;
        if touched.rows_affected == 0 {
            return Err(DbError::NotFound("chat"));
        }
        let mut added = HashSet::new();
        for new in messages {
            if let Some(parent) = new.parent_id
                && !added.contains(&parent)
            {
                ensure_message_in_chat(&txn, chat_id, parent).await?;
            }
            added.insert(new.id);
        }
        let rows = messages.iter().map(|new| message::ActiveModel {
            id: Set(new.id.to_string()),
            tenant_id: Set(tenant_id.to_string()),
            chat_id: Set(chat_id.to_string()),
            parent_id: Set(new.parent_id.map(|p| p.to_string())),
            role: Set(new.role.as_str().to_owned()),
            content: Set(new.content.clone()),
            model: Set(new.model.clone()),
            status: Set(new.status.as_str().to_owned()),
            error: Set(None),
            usage: Set(None),
            sources: Set(None),
            created_at: Set(now),
        });
        message::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Answers still `streaming` that were started before `before` (Unix seconds), oldest first, at
    /// most `limit`: candidates for [`interrupt_message`](Self::interrupt_message).
    pub async fn streaming_messages_before(
        &self,
        before: i64,
        limit: u64,
    ) -> Result<Vec<(ChatId, MessageId)>, DbError> {
        let rows = message::Entity::find()
            .filter(message::Column::Status.eq(MessageStatus::Streaming.as_str()))
            .filter(message::Column::CreatedAt.lt(before))
            .order_by_asc(message::Column::CreatedAt)
            .limit(limit)
            .all(&self.reader)
            .await?;
        rows.iter()
            .map(|row| Ok((parse_id(&row.chat_id)?, parse_id(&row.id)?)))
            .collect()
    }

    /// Marks an answer that is still `streaming` as failed with `reason` (its answering process is
    /// gone); false when it had finished meanwhile.
    pub async fn interrupt_message(
        &self,
        chat_id: ChatId,
        id: MessageId,
        reason: &str,
    ) -> Result<bool, DbError> {
        let result = message::Entity::update_many()
            .col_expr(
                message::Column::Status,
                Expr::value(MessageStatus::Error.as_str()),
            )
            .col_expr(message::Column::Error, Expr::value(reason.to_owned()))
            .filter(message::Column::Id.eq(id.to_string()))
            .filter(message::Column::ChatId.eq(chat_id.to_string()))
            .filter(message::Column::Status.eq(MessageStatus::Streaming.as_str()))
            .exec(&self.writer)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Records how a streamed message ended.
    pub async fn finish_message(
        &self,
        chat_id: ChatId,
        id: MessageId,
        outcome: &MessageOutcome,
        now: i64,
    ) -> Result<(), DbError> {
        let txn = self.writer.begin().await?;
        let result = message::Entity::update_many()
            .col_expr(
                message::Column::Content,
                Expr::value(outcome.content.clone()),
            )
            .col_expr(
                message::Column::Status,
                Expr::value(outcome.status.as_str()),
            )
            .col_expr(message::Column::Error, Expr::value(outcome.error.clone()))
            .col_expr(
                message::Column::Usage,
                Expr::value(outcome.usage.as_ref().map(to_json)),
            )
            .col_expr(
                message::Column::Sources,
                Expr::value(outcome.sources.as_ref().map(to_json)),
            )
            .filter(message::Column::Id.eq(id.to_string()))
            .filter(message::Column::ChatId.eq(chat_id.to_string()))
            .exec(&txn)
            .await?;
        if result.rows_affected == 0 {
            return Err(DbError::NotFound("message"));
        }
        chat::Entity::update_many()
            .col_expr(chat::Column::UpdatedAt, Expr::value(now))
            .filter(chat::Column::Id.eq(chat_id.to_string()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Tags a chat (tags are lower-cased); tagging twice is harmless.
    pub async fn add_chat_tag(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        chat_id: ChatId,
        tag: &str,
    ) -> Result<(), DbError> {
        self.ensure_chat(tenant_id, user_id, chat_id).await?;
        let row = chat_tag::ActiveModel {
            chat_id: Set(chat_id.to_string()),
            tag: Set(normalize_tag(tag)),
            tenant_id: Set(tenant_id.to_string()),
            user_id: Set(user_id.to_string()),
        };
        // A second insert of the same tag violates the primary key; that is the idempotent case.
        let inserted = chat_tag::Entity::insert(row)
            .exec_without_returning(&self.writer)
            .await;
        match inserted.map_err(DbError::from) {
            Ok(_) | Err(DbError::Conflict(_)) => Ok(()),
            Err(other) => Err(other),
        }
    }

    /// Removes a tag from a chat; returns whether it had it.
    pub async fn remove_chat_tag(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        chat_id: ChatId,
        tag: &str,
    ) -> Result<bool, DbError> {
        let result = chat_tag::Entity::delete_many()
            .filter(chat_tag::Column::ChatId.eq(chat_id.to_string()))
            .filter(chat_tag::Column::TenantId.eq(tenant_id.to_string()))
            .filter(chat_tag::Column::UserId.eq(user_id.to_string()))
            .filter(chat_tag::Column::Tag.eq(normalize_tag(tag)))
            .exec(&self.writer)
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// Every tag the user has used, alphabetically.
    pub async fn user_tags(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Vec<String>, DbError> {
        Ok(chat_tag::Entity::find()
            .select_only()
            .column(chat_tag::Column::Tag)
            .distinct()
            .filter(chat_tag::Column::TenantId.eq(tenant_id.to_string()))
            .filter(chat_tag::Column::UserId.eq(user_id.to_string()))
            .order_by_asc(chat_tag::Column::Tag)
            .into_tuple::<String>()
            .all(&self.reader)
            .await?)
    }

    /// Stores a read-only snapshot of a chat under `share_id`.
    pub async fn create_share(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        chat_id: ChatId,
        share_id: &str,
        snapshot: &serde_json::Value,
        now: i64,
    ) -> Result<(), DbError> {
        self.ensure_chat(tenant_id, user_id, chat_id).await?;
        let row = chat_share::ActiveModel {
            id: Set(share_id.to_owned()),
            tenant_id: Set(tenant_id.to_string()),
            chat_id: Set(chat_id.to_string()),
            user_id: Set(user_id.to_string()),
            snapshot: Set(to_json(snapshot)),
            created_at: Set(now),
        };
        chat_share::Entity::insert(row)
            .exec_without_returning(&self.writer)
            .await?;
        Ok(())
    }

    /// The ids and creation times of a chat's live shares.
    pub async fn chat_shares(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        chat_id: ChatId,
    ) -> Result<Vec<(String, i64)>, DbError> {
        Ok(chat_share::Entity::find()
            .select_only()
            .column(chat_share::Column::Id)
            .column(chat_share::Column::CreatedAt)
            .filter(chat_share::Column::ChatId.eq(chat_id.to_string()))
            .filter(chat_share::Column::TenantId.eq(tenant_id.to_string()))
            .filter(chat_share::Column::UserId.eq(user_id.to_string()))
            .order_by_asc(chat_share::Column::CreatedAt)
            .into_tuple::<(String, i64)>()
            .all(&self.reader)
            .await?)
    }

    /// Revokes one of the user's shares; returns whether it existed.
    pub async fn revoke_share(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        share_id: &str,
    ) -> Result<bool, DbError> {
        let result = chat_share::Entity::delete_many()
            .filter(chat_share::Column::Id.eq(share_id))
            .filter(chat_share::Column::TenantId.eq(tenant_id.to_string()))
            .filter(chat_share::Column::UserId.eq(user_id.to_string()))
            .exec(&self.writer)
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// The snapshot behind a share, for any user of the tenant.
    pub async fn shared_snapshot(
        &self,
        tenant_id: TenantId,
        share_id: &str,
    ) -> Result<Option<serde_json::Value>, DbError> {
        let row = chat_share::Entity::find_by_id(share_id.to_owned())
            .filter(chat_share::Column::TenantId.eq(tenant_id.to_string()))
            .one(&self.reader)
            .await?;
        row.map(|r| from_json(&r.snapshot)).transpose()
    }

    /// Creates a folder (inside `parent_id`, which must be the user's).
    pub async fn create_folder(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        name: &str,
        parent_id: Option<FolderId>,
        now: i64,
    ) -> Result<Folder, DbError> {
        if let Some(parent) = parent_id {
            self.ensure_folder(tenant_id, user_id, parent).await?;
        }
        let id = FolderId::new();
        let row = folder::ActiveModel {
            id: Set(id.to_string()),
            tenant_id: Set(tenant_id.to_string()),
            user_id: Set(user_id.to_string()),
            parent_id: Set(parent_id.map(|p| p.to_string())),
            name: Set(name.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
        };
        folder::Entity::insert(row)
            .exec_without_returning(&self.writer)
            .await?;
        Ok(Folder {
            id,
            parent_id,
            name: name.to_owned(),
            created_at: now,
            updated_at: now,
        })
    }

    /// The user's folders, by name.
    pub async fn list_folders(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Vec<Folder>, DbError> {
        folder::Entity::find()
            .filter(folder::Column::TenantId.eq(tenant_id.to_string()))
            .filter(folder::Column::UserId.eq(user_id.to_string()))
            .order_by_asc(folder::Column::Name)
            .all(&self.reader)
            .await?
            .into_iter()
            .map(to_folder)
            .collect()
    }

    /// Renames or moves a folder. A folder cannot move into itself or its descendants.
    pub async fn update_folder(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        id: FolderId,
        name: Option<&str>,
        parent_id: Option<Option<FolderId>>,
        now: i64,
    ) -> Result<Folder, DbError> {
        let folders = self.list_folders(tenant_id, user_id).await?;
        if !folders.iter().any(|f| f.id == id) {
            return Err(DbError::NotFound("folder"));
        }
        if let Some(Some(parent)) = parent_id {
            let tree: Vec<_> = folders.iter().map(|f| (f.id, f.parent_id)).collect();
            check_folder_move(&tree, id, parent)?;
        }
        let mut update =
            folder::Entity::update_many().col_expr(folder::Column::UpdatedAt, Expr::value(now));
        if let Some(name) = name {
            update = update.col_expr(folder::Column::Name, Expr::value(name));
        }
        if let Some(parent) = parent_id {
            update = update.col_expr(
                folder::Column::ParentId,
                Expr::value(parent.map(|p| p.to_string())),
            );
        }
        update
            .filter(folder::Column::Id.eq(id.to_string()))
            .filter(folder::Column::UserId.eq(user_id.to_string()))
            .exec(&self.writer)
            .await?;
        let row = folder::Entity::find_by_id(id.to_string())
            .one(&self.writer)
            .await?;
        row.map(to_folder)
            .transpose()?
            .ok_or(DbError::NotFound("folder"))
    }

    /// Deletes a folder: its chats leave it and its subfolders move up to its parent.
    pub async fn delete_folder(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        id: FolderId,
        now: i64,
    ) -> Result<bool, DbError> {
        let txn = self.writer.begin().await?;
        let Some(row) = folder::Entity::find_by_id(id.to_string())
            .filter(folder::Column::TenantId.eq(tenant_id.to_string()))
            .filter(folder::Column::UserId.eq(user_id.to_string()))
            .one(&txn)
            .await?
        else {
            return Ok(false);
        };
        folder::Entity::update_many()
            .col_expr(folder::Column::ParentId, Expr::value(row.parent_id.clone()))
            .col_expr(folder::Column::UpdatedAt, Expr::value(now))
            .filter(folder::Column::ParentId.eq(id.to_string()))
            .exec(&txn)
            .await?;
        chat::Entity::update_many()
            .col_expr(chat::Column::FolderId, Expr::value(Option::<String>::None))
            .filter(chat::Column::FolderId.eq(id.to_string()))
            .filter(chat::Column::UserId.eq(user_id.to_string()))
            .exec(&txn)
            .await?;
        folder::Entity::delete_by_id(id.to_string())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(true)
    }

    async fn ensure_chat(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        id: ChatId,
    ) -> Result<(), DbError> {
        let found = owned_chats(tenant_id, user_id)
            .select_only()
            .column(chat::Column::Id)
            .filter(chat::Column::Id.eq(id.to_string()))
            .into_tuple::<String>()
            .one(&self.reader)
            .await?;
        found.map(|_| ()).ok_or(DbError::NotFound("chat"))
    }

    async fn ensure_folder(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        id: FolderId,
    ) -> Result<(), DbError> {
        let found = folder::Entity::find_by_id(id.to_string())
            .filter(folder::Column::TenantId.eq(tenant_id.to_string()))
            .filter(folder::Column::UserId.eq(user_id.to_string()))
            .one(&self.reader)
            .await?;
        found.map(|_| ()).ok_or(DbError::NotFound("folder"))
    }
}

fn owned_chats(tenant_id: TenantId, user_id: UserId) -> Select<chat::Entity> {
    chat::Entity::find()
        .filter(chat::Column::TenantId.eq(tenant_id.to_string()))
        .filter(chat::Column::UserId.eq(user_id.to_string()))
}

async fn ensure_message_in_chat(
    conn: &impl ConnectionTrait,
    chat_id: ChatId,
    id: MessageId,
) -> Result<(), DbError> {
    let found = message::Entity::find_by_id(id.to_string())
        .select_only()
        .column(message::Column::Id)
        .filter(message::Column::ChatId.eq(chat_id.to_string()))
        .into_tuple::<String>()
        .one(conn)
        .await?;
    found.map(|_| ()).ok_or(DbError::NotFound("message"))
}

async fn tags_of(
    conn: &impl ConnectionTrait,
    chat_ids: Vec<String>,
) -> Result<HashMap<String, Vec<String>>, DbError> {
    let mut tags: HashMap<String, Vec<String>> = HashMap::new();
    if chat_ids.is_empty() {
        return Ok(tags);
    }
    let rows = chat_tag::Entity::find()
        .filter(chat_tag::Column::ChatId.is_in(chat_ids))
        .order_by_asc(chat_tag::Column::Tag)
        .all(conn)
        .await?;
    for row in rows {
        tags.entry(row.chat_id).or_default().push(row.tag);
    }
    Ok(tags)
}

/// Tags are compared lower-cased and trimmed.
pub fn normalize_tag(tag: &str) -> String {
    tag.trim().to_lowercase()
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

fn to_chat(row: chat::Model, tags: Vec<String>) -> Result<Chat, DbError> {
    Ok(Chat {
        id: parse_id(&row.id)?,
        user_id: parse_id(&row.user_id)?,
        title: row.title,
        folder_id: row.folder_id.as_deref().map(parse_id).transpose()?,
        pinned: row.pinned,
        archived: row.archived,
        current_message_id: row
            .current_message_id
            .as_deref()
            .map(parse_id)
            .transpose()?,
        tags,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn to_message(row: message::Model) -> Result<Message, DbError> {
    Ok(Message {
        id: parse_id(&row.id)?,
        parent_id: row.parent_id.as_deref().map(parse_id).transpose()?,
        role: row.role.parse().map_err(DbError::Corrupt)?,
        content: row.content,
        model: row.model,
        status: row.status.parse().map_err(DbError::Corrupt)?,
        error: row.error,
        usage: row.usage.as_deref().map(from_json).transpose()?,
        sources: row.sources.as_deref().map(from_json).transpose()?,
        created_at: row.created_at,
    })
}

fn to_folder(row: folder::Model) -> Result<Folder, DbError> {
    Ok(Folder {
        id: parse_id(&row.id)?,
        parent_id: row.parent_id.as_deref().map(parse_id).transpose()?,
        name: row.name,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Refuses to move folder `id` under `parent` when `parent` is not in the tree (`(id, parent)` pairs
/// of the user's folders) or is `id` itself or one of its subfolders. Chat and drive folders share it.
pub(crate) fn check_folder_move<I: Copy + PartialEq>(
    tree: &[(I, Option<I>)],
    id: I,
    parent: I,
) -> Result<(), DbError> {
    if !tree.iter().any(|(f, _)| *f == parent) {
        return Err(DbError::NotFound("folder"));
    }
    let mut ancestor = Some(parent);
    while let Some(current) = ancestor {
        if current == id {
            return Err(DbError::Conflict(
                "a folder cannot move into itself or its subfolders".into(),
            ));
        }
        ancestor = tree
            .iter()
            .find(|(f, _)| *f == current)
            .and_then(|(_, p)| *p);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(normalize_tag("  Work "), "work");
    }
}
