//! Model-server connections added by administrators, and per-model settings.
//!
//! API keys arrive here already encrypted (by `hearth-models`' key cipher); this layer never sees
//! them in plaintext.

use hearth_core::connection::{AccessList, ConnectionKind, ModelOverride};
use hearth_core::{ConnectionId, TenantId};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entities::{connection, model_override};
use crate::groups::parse_id;
use crate::{DbError, Store};

/// A stored connection, its key still encrypted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredConnection {
    pub id: ConnectionId,
    pub kind: ConnectionKind,
    pub name: String,
    pub base_url: String,
    pub api_key_encrypted: Option<String>,
    pub prefix: Option<String>,
    pub model_allow_list: Vec<String>,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Changes to a connection; `None` leaves a field as it is, `Some(None)` clears an optional one.
#[derive(Clone, Debug, Default)]
pub struct ConnectionPatch {
    pub name: Option<String>,
    pub base_url: Option<String>,
    pub api_key_encrypted: Option<Option<String>>,
    pub prefix: Option<Option<String>>,
    pub model_allow_list: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

impl Store {
    /// The tenant's stored connections, oldest first.
    pub async fn list_connections(
        &self,
        tenant_id: TenantId,
    ) -> Result<Vec<StoredConnection>, DbError> {
        connection::Entity::find()
            .filter(connection::Column::TenantId.eq(tenant_id.to_string()))
            .order_by_asc(connection::Column::CreatedAt)
            .order_by_asc(connection::Column::Id)
            .all(&self.reader)
            .await?
            .into_iter()
            .map(to_connection)
            .collect()
    }

    /// Stores a new connection.
    pub async fn create_connection(
        &self,
        tenant_id: TenantId,
        new: StoredConnection,
    ) -> Result<StoredConnection, DbError> {
        let row = connection::ActiveModel {
            id: Set(new.id.to_string()),
            tenant_id: Set(tenant_id.to_string()),
            kind: Set(new.kind.as_str().to_owned()),
            name: Set(new.name.clone()),
            base_url: Set(new.base_url.clone()),
            api_key_encrypted: Set(new.api_key_encrypted.clone()),
            prefix: Set(new.prefix.clone()),
            model_allow_list: Set(to_json(&new.model_allow_list)),
            enabled: Set(new.enabled),
            created_at: Set(new.created_at),
            updated_at: Set(new.updated_at),
        };
        connection::Entity::insert(row)
            .exec_without_returning(&self.writer)
            .await?;
        Ok(new)
    }

    /// Changes a stored connection.
    pub async fn update_connection(
        &self,
        tenant_id: TenantId,
        id: ConnectionId,
        patch: ConnectionPatch,
        now: i64,
    ) -> Result<StoredConnection, DbError> {
        let mut update = connection::Entity::update_many()
            .col_expr(connection::Column::UpdatedAt, Expr::value(now));
        if let Some(name) = patch.name {
            update = update.col_expr(connection::Column::Name, Expr::value(name));
        }
        if let Some(base_url) = patch.base_url {
            update = update.col_expr(connection::Column::BaseUrl, Expr::value(base_url));
        }
        if let Some(key) = patch.api_key_encrypted {
            update = update.col_expr(connection::Column::ApiKeyEncrypted, Expr::value(key));
        }
        if let Some(prefix) = patch.prefix {
            update = update.col_expr(connection::Column::Prefix, Expr::value(prefix));
        }
        if let Some(list) = patch.model_allow_list {
            update = update.col_expr(
                connection::Column::ModelAllowList,
                Expr::value(to_json(&list)),
            );
        }
        if let Some(enabled) = patch.enabled {
            update = update.col_expr(connection::Column::Enabled, Expr::value(enabled));
        }
        let result = update
            .filter(connection::Column::Id.eq(id.to_string()))
            .filter(connection::Column::TenantId.eq(tenant_id.to_string()))
            .exec(&self.writer)
            .await?;
        if result.rows_affected == 0 {
            return Err(DbError::NotFound("connection"));
        }
        let row = connection::Entity::find_by_id(id.to_string())
            .one(&self.writer)
            .await?;
        row.map(to_connection)
            .transpose()?
            .ok_or(DbError::NotFound("connection"))
    }

    /// Deletes a stored connection; returns whether it existed.
    pub async fn delete_connection(
        &self,
        tenant_id: TenantId,
        id: ConnectionId,
    ) -> Result<bool, DbError> {
        let result = connection::Entity::delete_many()
            .filter(connection::Column::Id.eq(id.to_string()))
            .filter(connection::Column::TenantId.eq(tenant_id.to_string()))
            .exec(&self.writer)
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// Every model setting of the tenant.
    pub async fn model_overrides(
        &self,
        tenant_id: TenantId,
    ) -> Result<Vec<ModelOverride>, DbError> {
        model_override::Entity::find()
            .filter(model_override::Column::TenantId.eq(tenant_id.to_string()))
            .order_by_asc(model_override::Column::ModelId)
            .all(&self.reader)
            .await?
            .into_iter()
            .map(|row| {
                let access = row
                    .access
                    .as_deref()
                    .map(from_json::<AccessList>)
                    .transpose()?;
                Ok(ModelOverride {
                    model_id: row.model_id,
                    display_name: row.display_name,
                    hidden: row.hidden,
                    access,
                    system_prompt: row.system_prompt,
                    params: from_json(&row.params)?,
                })
            })
            .collect()
    }

    /// Creates or replaces the settings of one model.
    pub async fn put_model_override(
        &self,
        tenant_id: TenantId,
        settings: &ModelOverride,
        now: i64,
    ) -> Result<(), DbError> {
        let row = model_override::ActiveModel {
            tenant_id: Set(tenant_id.to_string()),
            model_id: Set(settings.model_id.clone()),
            display_name: Set(settings.display_name.clone()),
            hidden: Set(settings.hidden),
            access: Set(settings.access.as_ref().map(to_json)),
            system_prompt: Set(settings.system_prompt.clone()),
            params: Set(to_json(&settings.params)),
            updated_at: Set(now),
        };
        let on_conflict = OnConflict::columns([
            model_override::Column::TenantId,
            model_override::Column::ModelId,
        ])
        .update_columns([
            model_override::Column::DisplayName,
            model_override::Column::Hidden,
            model_override::Column::Access,
            model_override::Column::SystemPrompt,
            model_override::Column::Params,
            model_override::Column::UpdatedAt,
        ])
        .to_owned();
        model_override::Entity::insert(row)
            .on_conflict(on_conflict)
            .exec_without_returning(&self.writer)
            .await?;
        Ok(())
    }

    /// Removes the settings of one model; returns whether there were any.
    pub async fn delete_model_override(
        &self,
        tenant_id: TenantId,
        model_id: &str,
    ) -> Result<bool, DbError> {
        let result = model_override::Entity::delete_many()
            .filter(model_override::Column::TenantId.eq(tenant_id.to_string()))
            .filter(model_override::Column::ModelId.eq(model_id))
            .exec(&self.writer)
            .await?;
        Ok(result.rows_affected > 0)
    }
}

fn to_connection(row: connection::Model) -> Result<StoredConnection, DbError> {
    Ok(StoredConnection {
        id: parse_id(&row.id)?,
        kind: row.kind.parse().map_err(DbError::Corrupt)?,
        name: row.name,
        base_url: row.base_url,
        api_key_encrypted: row.api_key_encrypted,
        prefix: row.prefix,
        model_allow_list: from_json(&row.model_allow_list)?,
        enabled: row.enabled,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, DbError> {
    serde_json::from_str(text)
        .map_err(|e| DbError::Corrupt(format!("stored JSON is unreadable: {e}")))
}
