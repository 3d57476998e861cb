//! Values administrators set for the settings the environment leaves open, by name.

use std::collections::BTreeMap;

use hearth_core::TenantId;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde_json::Value;

use crate::connections::{from_json, to_json};
use crate::entities::admin_setting;
use crate::{DbError, Store};

impl Store {
    /// Every value an administrator set in the tenant, by setting name.
    pub async fn admin_settings(
        &self,
        tenant_id: TenantId,
    ) -> Result<BTreeMap<String, Value>, DbError> {
        admin_setting::Entity::find()
            .filter(admin_setting::Column::TenantId.eq(tenant_id.to_string()))
            .all(&self.reader)
            .await?
            .into_iter()
            .map(|row| Ok((row.name, from_json(&row.value)?)))
            .collect()
    }

    /// Sets (`Some`) or clears (`None`, back to the default) several values in one transaction.
    pub async fn put_admin_settings(
        &self,
        tenant_id: TenantId,
        changes: &BTreeMap<String, Option<Value>>,
        now: i64,
    ) -> Result<(), DbError> {
        let tenant = tenant_id.to_string();
        let txn = self.writer.begin().await?;
        for (name, value) in changes {
            match value {
                Some(value) => {
                    let row = admin_setting::ActiveModel {
                        tenant_id: Set(tenant.clone()),
                        name: Set(name.clone()),
                        value: Set(to_json(value)),
                        updated_at: Set(now),
                    };
                    let on_conflict = OnConflict::columns([
                        admin_setting::Column::TenantId,
                        admin_setting::Column::Name,
                    ])
                    .update_columns([
                        admin_setting::Column::Value,
                        admin_setting::Column::UpdatedAt,
                    ])
                    .to_owned();
                    admin_setting::Entity::insert(row)
                        .on_conflict(on_conflict)
                        .exec_without_returning(&txn)
                        .await?;
                }
                None => {
                    admin_setting::Entity::delete_many()
                        .filter(admin_setting::Column::TenantId.eq(tenant.clone()))
                        .filter(admin_setting::Column::Name.eq(name.clone()))
                        .exec(&txn)
                        .await?;
                }
            }
        }
        txn.commit().await?;
        Ok(())
    }
}
