//! Personal API keys: stored as a SHA-256 digest and looked up by it, usable as `Authorization: Bearer`.

use hearth_core::{ApiKeyId, TenantId, User, UserId};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};

use crate::accounts::to_user;
use crate::entities::{api_key, user};
use crate::{DbError, Store};

/// A key to record; the key itself is never stored.
#[derive(Clone, Copy, Debug)]
pub struct NewApiKey<'a> {
    pub id: ApiKeyId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub name: &'a str,
    pub key_prefix: &'a str,
    /// Hex SHA-256 of the key.
    pub key_hash: &'a str,
}

/// A stored key as shown to its owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: ApiKeyId,
    pub name: String,
    pub key_prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl Store {
    /// Records a new key.
    pub async fn create_api_key(
        &self,
        new: NewApiKey<'_>,
        now: i64,
    ) -> Result<ApiKeyRecord, DbError> {
        let row = api_key::ActiveModel {
            id: Set(new.id.to_string()),
            tenant_id: Set(new.tenant_id.to_string()),
            user_id: Set(new.user_id.to_string()),
            name: Set(new.name.to_owned()),
            key_prefix: Set(new.key_prefix.to_owned()),
            key_hash: Set(new.key_hash.to_owned()),
            created_at: Set(now),
            last_used_at: Set(None),
        };
        api_key::Entity::insert(row)
            .exec_without_returning(&self.writer)
            .await?;
        Ok(ApiKeyRecord {
            id: new.id,
            name: new.name.to_owned(),
            key_prefix: new.key_prefix.to_owned(),
            created_at: now,
            last_used_at: None,
        })
    }

    /// The owner of the key with this digest, the key's id and when it was last used.
    pub async fn api_key_user(
        &self,
        key_hash: &str,
    ) -> Result<Option<(User, ApiKeyId, Option<i64>)>, DbError> {
        let found = api_key::Entity::find()
            .filter(api_key::Column::KeyHash.eq(key_hash))
            .find_also_related(user::Entity)
            .one(&self.reader)
            .await?;
        let Some((key, Some(owner))) = found else {
            return Ok(None);
        };
        let id = key
            .id
            .parse()
            .map_err(|_| DbError::Corrupt(format!("api key {}: id is not a UUID", key.id)))?;
        Ok(Some((to_user(owner)?, id, key.last_used_at)))
    }

    /// A user's keys, newest first.
    pub async fn list_api_keys(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Vec<ApiKeyRecord>, DbError> {
        api_key::Entity::find()
            .filter(api_key::Column::TenantId.eq(tenant_id.to_string()))
            .filter(api_key::Column::UserId.eq(user_id.to_string()))
            .order_by_desc(api_key::Column::CreatedAt)
            .order_by_desc(api_key::Column::Id)
            .all(&self.reader)
            .await?
            .into_iter()
            .map(|row| {
                Ok(ApiKeyRecord {
                    id: row.id.parse().map_err(|_| {
                        DbError::Corrupt(format!("api key {}: id is not a UUID", row.id))
                    })?,
                    name: row.name,
                    key_prefix: row.key_prefix,
                    created_at: row.created_at,
                    last_used_at: row.last_used_at,
                })
            })
            .collect()
    }

    /// Deletes one of a user's keys; returns whether it existed.
    pub async fn delete_api_key(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        id: ApiKeyId,
    ) -> Result<bool, DbError> {
        let result = api_key::Entity::delete_many()
            .filter(api_key::Column::Id.eq(id.to_string()))
            .filter(api_key::Column::TenantId.eq(tenant_id.to_string()))
            .filter(api_key::Column::UserId.eq(user_id.to_string()))
            .exec(&self.writer)
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// Records a key's use unless it was recorded less than `min_interval` seconds ago.
    pub async fn touch_api_key(
        &self,
        id: ApiKeyId,
        now: i64,
        min_interval: i64,
    ) -> Result<bool, DbError> {
        let result = api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
            .filter(api_key::Column::Id.eq(id.to_string()))
            .filter(
                Condition::any()
                    .add(api_key::Column::LastUsedAt.is_null())
                    .add(api_key::Column::LastUsedAt.lte(now - min_interval)),
            )
            .exec(&self.writer)
            .await?;
        Ok(result.rows_affected > 0)
    }
}
