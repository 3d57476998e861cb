//! Groups of users: created by administrators, used to grant access to models.

use std::collections::HashMap;

use hearth_core::connection::Group;
use hearth_core::{GroupId, TenantId, UserId};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};

use crate::entities::{group, group_member, user};
use crate::{DbError, Store};

impl Store {
    /// Creates a group; a name already used in the tenant is a [`DbError::Conflict`].
    pub async fn create_group(
        &self,
        tenant_id: TenantId,
        name: &str,
        description: &str,
        now: i64,
    ) -> Result<Group, DbError> {
        let id = GroupId::new();
        let row = group::ActiveModel {
            id: Set(id.to_string()),
            tenant_id: Set(tenant_id.to_string()),
            name: Set(name.to_owned()),
            description: Set(description.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
        };
        group::Entity::insert(row)
            .exec_without_returning(&self.writer)
            .await
            .map_err(|e| DbError::from(e).on_conflict("a group with this name already exists"))?;
        Ok(Group {
            id,
            name: name.to_owned(),
            description: description.to_owned(),
            member_ids: Vec::new(),
            created_at: now,
            updated_at: now,
        })
    }

    /// The tenant's groups with their members, by name.
    pub async fn list_groups(&self, tenant_id: TenantId) -> Result<Vec<Group>, DbError> {
        let groups = group::Entity::find()
            .filter(group::Column::TenantId.eq(tenant_id.to_string()))
            .order_by_asc(group::Column::Name)
            .all(&self.reader)
            .await?;
        let members = group_member::Entity::find()
            .filter(group_member::Column::TenantId.eq(tenant_id.to_string()))
            .all(&self.reader)
            .await?;
        let mut by_group: HashMap<String, Vec<UserId>> = HashMap::new();
        for member in members {
            by_group
                .entry(member.group_id)
                .or_default()
                .push(parse_id(&member.user_id)?);
        }
        groups
            .into_iter()
            .map(|row| {
                let members = by_group.remove(&row.id).unwrap_or_default();
                to_group(row, members)
            })
            .collect()
    }

    /// One group with its members.
    pub async fn group(&self, tenant_id: TenantId, id: GroupId) -> Result<Option<Group>, DbError> {
        find_group(&self.reader, tenant_id, id).await
    }

    /// Renames or re-describes a group.
    pub async fn update_group(
        &self,
        tenant_id: TenantId,
        id: GroupId,
        name: Option<&str>,
        description: Option<&str>,
        now: i64,
    ) -> Result<Group, DbError> {
        let mut update =
            group::Entity::update_many().col_expr(group::Column::UpdatedAt, Expr::value(now));
        if let Some(name) = name {
            update = update.col_expr(group::Column::Name, Expr::value(name));
        }
        if let Some(description) = description {
            update = update.col_expr(group::Column::Description, Expr::value(description));
        }
        update
            .filter(group::Column::Id.eq(id.to_string()))
            .filter(group::Column::TenantId.eq(tenant_id.to_string()))
            .exec(&self.writer)
            .await
            .map_err(|e| DbError::from(e).on_conflict("a group with this name already exists"))?;
        find_group(&self.writer, tenant_id, id)
            .await?
            .ok_or(DbError::NotFound("group"))
    }

    /// Deletes a group (its members stay users); returns whether it existed.
    pub async fn delete_group(&self, tenant_id: TenantId, id: GroupId) -> Result<bool, DbError> {
        let result = group::Entity::delete_many()
            .filter(group::Column::Id.eq(id.to_string()))
            .filter(group::Column::TenantId.eq(tenant_id.to_string()))
            .exec(&self.writer)
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// Replaces a group's members. Every user must belong to the tenant.
    pub async fn set_group_members(
        &self,
        tenant_id: TenantId,
        id: GroupId,
        members: &[UserId],
        now: i64,
    ) -> Result<Group, DbError> {
        let txn = self.writer.begin().await?;
        let touched = group::Entity::update_many()
            .col_expr(group::Column::UpdatedAt, Expr::value(now))
            .filter(group::Column::Id.eq(id.to_string()))
            .filter(group::Column::TenantId.eq(tenant_id.to_string()))
            .exec(&txn)
            .await?;
        if touched.rows_affected == 0 {
            return Err(DbError::NotFound("group"));
        }
        let mut unique: Vec<UserId> = members.to_vec();
        unique.sort();
        unique.dedup();
        let known = user::Entity::find()
            .filter(user::Column::TenantId.eq(tenant_id.to_string()))
            .filter(user::Column::Id.is_in(unique.iter().map(ToString::to_string)))
            .count(&txn)
            .await?;
        if known != unique.len() as u64 {
            return Err(DbError::NotFound("user"));
        }
        group_member::Entity::delete_many()
            .filter(group_member::Column::GroupId.eq(id.to_string()))
            .exec(&txn)
            .await?;
        if !unique.is_empty() {
            let rows = unique.iter().map(|user| group_member::ActiveModel {
                group_id: Set(id.to_string()),
                user_id: Set(user.to_string()),
                tenant_id: Set(tenant_id.to_string()),
                created_at: Set(now),
            });
            group_member::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await?;
        }
        let group = find_group(&txn, tenant_id, id)
            .await?
            .ok_or(DbError::NotFound("group"))?;
        txn.commit().await?;
        Ok(group)
    }

    /// The groups a user belongs to.
    pub async fn user_group_ids(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Vec<GroupId>, DbError> {
        group_member::Entity::find()
            .filter(group_member::Column::TenantId.eq(tenant_id.to_string()))
            .filter(group_member::Column::UserId.eq(user_id.to_string()))
            .all(&self.reader)
            .await?
            .into_iter()
            .map(|m| parse_id(&m.group_id))
            .collect()
    }
}

async fn find_group(
    conn: &impl ConnectionTrait,
    tenant_id: TenantId,
    id: GroupId,
) -> Result<Option<Group>, DbError> {
    let Some(row) = group::Entity::find_by_id(id.to_string())
        .filter(group::Column::TenantId.eq(tenant_id.to_string()))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let members = group_member::Entity::find()
        .filter(group_member::Column::GroupId.eq(id.to_string()))
        .all(conn)
        .await?
        .iter()
        .map(|m| parse_id(&m.user_id))
        .collect::<Result<Vec<UserId>, _>>()?;
    to_group(row, members).map(Some)
}

fn to_group(row: group::Model, member_ids: Vec<UserId>) -> Result<Group, DbError> {
    Ok(Group {
        id: parse_id(&row.id)?,
        name: row.name,
        description: row.description,
        member_ids,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Parses a stored id, reporting a corrupt row rather than panicking.
pub(crate) fn parse_id<T: std::str::FromStr>(text: &str) -> Result<T, DbError> {
    text.parse()
        .map_err(|_| DbError::Corrupt(format!("`{text}` is not an id")))
}
