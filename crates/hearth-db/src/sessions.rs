//! Sessions: one row per sign-in. A token is accepted only while its session row exists and has not
//! expired, so deleting the row (sign-out, password change) revokes the token for every process that
//! shares the database, across restarts.

use hearth_core::{SessionId, TenantId, User, UserId};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::accounts::to_user;
use crate::entities::{session, user};
use crate::{DbError, Store};

/// A sign-in to record.
#[derive(Clone, Copy, Debug)]
pub struct NewSession<'a> {
    pub id: SessionId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    /// Unix seconds; equal to the token's `exp`.
    pub expires_at: i64,
    pub user_agent: Option<&'a str>,
}

/// Longest user agent kept (the column's width).
const USER_AGENT_MAX: usize = 512;

impl Store {
    /// Records a sign-in.
    pub async fn create_session(&self, new: NewSession<'_>, now: i64) -> Result<(), DbError> {
        let user_agent = new
            .user_agent
            .map(|ua| ua.chars().take(USER_AGENT_MAX).collect::<String>());
        let row = session::ActiveModel {
            id: Set(new.id.to_string()),
            tenant_id: Set(new.tenant_id.to_string()),
            user_id: Set(new.user_id.to_string()),
            created_at: Set(now),
            expires_at: Set(new.expires_at),
            user_agent: Set(user_agent),
        };
        session::Entity::insert(row)
            .exec_without_returning(&self.writer)
            .await?;
        Ok(())
    }

    /// The user behind a live session: one indexed join, run on every authenticated request.
    pub async fn session_user(&self, id: SessionId, now: i64) -> Result<Option<User>, DbError> {
        let found = session::Entity::find_by_id(id.to_string())
            .filter(session::Column::ExpiresAt.gt(now))
            .find_also_related(user::Entity)
            .one(&self.reader)
            .await?;
        match found {
            Some((_, Some(row))) => to_user(row).map(Some),
            _ => Ok(None),
        }
    }

    /// Revokes one session; returns whether it was live.
    pub async fn revoke_session(&self, id: SessionId) -> Result<bool, DbError> {
        let result = session::Entity::delete_by_id(id.to_string())
            .exec(&self.writer)
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// Deletes sessions that expired before `now`; their tokens are rejected anyway.
    pub async fn purge_expired_sessions(&self, now: i64) -> Result<u64, DbError> {
        let result = session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(now))
            .exec(&self.writer)
            .await?;
        Ok(result.rows_affected)
    }
}
