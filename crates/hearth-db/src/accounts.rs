//! Accounts: creating users (the first of a tenant becomes admin), looking them up, roles, passwords
//! and presence.

use hearth_core::{Role, SessionId, TenantId, User, UserId, normalize_email};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use crate::entities::{session, tenant, user};
use crate::{DbError, Store};

/// How a new account's role is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleRule {
    /// Exactly this role (an administrator creating an account).
    Exactly(Role),
    /// Admin when the tenant has no account yet, `otherwise` after that (self sign-up).
    AdminIfFirst { otherwise: Role },
}

/// An account to create.
#[derive(Clone, Copy, Debug)]
pub struct NewUser<'a> {
    pub tenant_id: TenantId,
    pub email: &'a str,
    pub name: &'a str,
    /// Argon2id PHC string.
    pub password_hash: Option<&'a str>,
    pub role: RoleRule,
}

/// One page of a tenant's users and the total count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserPage {
    pub users: Vec<User>,
    pub total: u64,
}

impl Store {
    /// Creates an account. With [`RoleRule::AdminIfFirst`], exactly one of many concurrent first
    /// sign-ups becomes admin. A duplicate e-mail in the tenant is a [`DbError::Conflict`].
    pub async fn create_user(&self, new: NewUser<'_>, now: i64) -> Result<User, DbError> {
        let txn = self.writer.begin().await?;
        lock_tenant(&txn, new.tenant_id, now).await?;
        let role = match new.role {
            RoleRule::Exactly(role) => role,
            RoleRule::AdminIfFirst { otherwise } => {
                let existing = user::Entity::find()
                    .select_only()
                    .column(user::Column::Id)
                    .filter(user::Column::TenantId.eq(new.tenant_id.to_string()))
                    .limit(1)
                    .into_tuple::<String>()
                    .one(&txn)
                    .await?;
                if existing.is_none() {
                    Role::Admin
                } else {
                    otherwise
                }
            }
        };
        let id = UserId::new();
        let email = normalize_email(new.email);
        let row = user::ActiveModel {
            id: Set(id.to_string()),
            tenant_id: Set(new.tenant_id.to_string()),
            email: Set(email.clone()),
            name: Set(new.name.to_owned()),
            role: Set(role.as_str().to_owned()),
            password_hash: Set(new.password_hash.map(str::to_owned)),
            created_at: Set(now),
            updated_at: Set(now),
            last_active_at: Set(None),
        };
        user::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(|e| {
                DbError::from(e).on_conflict("an account with this email already exists")
            })?;
        txn.commit().await?;
        Ok(User {
            id,
            tenant_id: new.tenant_id,
            email,
            name: new.name.to_owned(),
            role,
            created_at: now,
            updated_at: now,
            last_active_at: None,
        })
    }

    /// A user of the tenant by id.
    pub async fn user_by_id(
        &self,
        tenant_id: TenantId,
        id: UserId,
    ) -> Result<Option<User>, DbError> {
        user::Entity::find_by_id(id.to_string())
            .filter(user::Column::TenantId.eq(tenant_id.to_string()))
            .one(&self.reader)
            .await?
            .map(to_user)
            .transpose()
    }

    /// A user of the tenant by e-mail, with their password hash, for signing in.
    pub async fn user_with_password_by_email(
        &self,
        tenant_id: TenantId,
        email: &str,
    ) -> Result<Option<(User, Option<String>)>, DbError> {
        let Some(row) = user::Entity::find()
            .filter(user::Column::TenantId.eq(tenant_id.to_string()))
            .filter(user::Column::Email.eq(normalize_email(email)))
            .one(&self.reader)
            .await?
        else {
            return Ok(None);
        };
        let hash = row.password_hash.clone();
        Ok(Some((to_user(row)?, hash)))
    }

    /// A user's password hash, for checking the current password before a change.
    pub async fn password_hash(
        &self,
        tenant_id: TenantId,
        id: UserId,
    ) -> Result<Option<String>, DbError> {
        Ok(user::Entity::find_by_id(id.to_string())
            .filter(user::Column::TenantId.eq(tenant_id.to_string()))
            .one(&self.reader)
            .await?
            .and_then(|row| row.password_hash))
    }

    /// A page of the tenant's users, oldest first.
    pub async fn list_users(
        &self,
        tenant_id: TenantId,
        offset: u64,
        limit: u64,
    ) -> Result<UserPage, DbError> {
        let query = user::Entity::find().filter(user::Column::TenantId.eq(tenant_id.to_string()));
        let total = query.clone().count(&self.reader).await?;
        let users = query
            .order_by_asc(user::Column::CreatedAt)
            .order_by_asc(user::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(&self.reader)
            .await?
            .into_iter()
            .map(to_user)
            .collect::<Result<_, _>>()?;
        Ok(UserPage { users, total })
    }

    /// Changes a user's role and/or name. Refuses to demote the tenant's last admin.
    pub async fn update_user(
        &self,
        tenant_id: TenantId,
        id: UserId,
        role: Option<Role>,
        name: Option<&str>,
        now: i64,
    ) -> Result<User, DbError> {
        let txn = self.writer.begin().await?;
        lock_tenant(&txn, tenant_id, now).await?;
        let current = find_user(&txn, tenant_id, id).await?;
        if current.role == Role::Admin && role.is_some_and(|r| r != Role::Admin) {
            ensure_another_admin(&txn, tenant_id, id).await?;
        }
        let mut row = user::ActiveModel {
            id: Set(id.to_string()),
            updated_at: Set(now),
            ..Default::default()
        };
        if let Some(role) = role {
            row.role = Set(role.as_str().to_owned());
        }
        if let Some(name) = name {
            row.name = Set(name.to_owned());
        }
        user::Entity::update(row).exec(&txn).await?;
        txn.commit().await?;
        Ok(User {
            role: role.unwrap_or(current.role),
            name: name.map_or(current.name, str::to_owned),
            updated_at: now,
            ..current
        })
    }

    /// Deletes a user with their sessions and API keys. Refuses to delete the tenant's last admin.
    pub async fn delete_user(
        &self,
        tenant_id: TenantId,
        id: UserId,
        now: i64,
    ) -> Result<(), DbError> {
        let txn = self.writer.begin().await?;
        lock_tenant(&txn, tenant_id, now).await?;
        let current = find_user(&txn, tenant_id, id).await?;
        if current.role == Role::Admin {
            ensure_another_admin(&txn, tenant_id, id).await?;
        }
        // Their files' references go with them; the chunks nobody else holds are then collected.
        crate::drive::remove_user_drive(&txn, tenant_id, id, now).await?;
        user::Entity::delete_by_id(id.to_string())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Replaces a user's password hash and signs out every other session of theirs (all of them when
    /// `keep` is `None`), in one transaction.
    pub async fn set_password(
        &self,
        tenant_id: TenantId,
        id: UserId,
        password_hash: &str,
        keep: Option<SessionId>,
        now: i64,
    ) -> Result<u64, DbError> {
        let txn = self.writer.begin().await?;
        let updated = user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, Expr::value(password_hash))
            .col_expr(user::Column::UpdatedAt, Expr::value(now))
            .filter(user::Column::Id.eq(id.to_string()))
            .filter(user::Column::TenantId.eq(tenant_id.to_string()))
            .exec(&txn)
            .await?;
        if updated.rows_affected == 0 {
            return Err(DbError::NotFound("user"));
        }
        let mut sessions =
            session::Entity::delete_many().filter(session::Column::UserId.eq(id.to_string()));
        if let Some(keep) = keep {
            sessions = sessions.filter(session::Column::Id.ne(keep.to_string()));
        }
        let revoked = sessions.exec(&txn).await?.rows_affected;
        txn.commit().await?;
        Ok(revoked)
    }

    /// Records activity unless it was recorded less than `min_interval` seconds ago (checked in the
    /// database, so replicas do not double-write). Returns whether a write happened.
    pub async fn touch_last_active(
        &self,
        id: UserId,
        now: i64,
        min_interval: i64,
    ) -> Result<bool, DbError> {
        let result = user::Entity::update_many()
            .col_expr(user::Column::LastActiveAt, Expr::value(now))
            .filter(user::Column::Id.eq(id.to_string()))
            .filter(
                Condition::any()
                    .add(user::Column::LastActiveAt.is_null())
                    .add(user::Column::LastActiveAt.lte(now - min_interval)),
            )
            .exec(&self.writer)
            .await?;
        Ok(result.rows_affected > 0)
    }
}

/// Serialises account changes within a tenant: the update row-locks the tenant on PostgreSQL and
/// MariaDB until commit, and SQLite has a single writer anyway. Portable, unlike `SELECT … FOR UPDATE`.
async fn lock_tenant(
    conn: &impl ConnectionTrait,
    tenant_id: TenantId,
    now: i64,
) -> Result<(), DbError> {
    tenant::Entity::update_many()
        .col_expr(tenant::Column::UpdatedAt, Expr::value(now))
        .filter(tenant::Column::Id.eq(tenant_id.to_string()))
        .exec(conn)
        .await?;
    Ok(())
}

async fn find_user(
    conn: &impl ConnectionTrait,
    tenant_id: TenantId,
    id: UserId,
) -> Result<User, DbError> {
    user::Entity::find_by_id(id.to_string())
        .filter(user::Column::TenantId.eq(tenant_id.to_string()))
        .one(conn)
        .await?
        .map(to_user)
        .transpose()?
        .ok_or(DbError::NotFound("user"))
}

async fn ensure_another_admin(
    conn: &impl ConnectionTrait,
    tenant_id: TenantId,
    except: UserId,
) -> Result<(), DbError> {
    let others = user::Entity::find()
        .filter(user::Column::TenantId.eq(tenant_id.to_string()))
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .filter(user::Column::Id.ne(except.to_string()))
        .count(conn)
        .await?;
    if others == 0 {
        return Err(DbError::Conflict(
            "the last administrator cannot be demoted or deleted".into(),
        ));
    }
    Ok(())
}

pub(crate) fn to_user(row: user::Model) -> Result<User, DbError> {
    let corrupt = |what: &str| DbError::Corrupt(format!("user {}: {what}", row.id));
    Ok(User {
        id: row.id.parse().map_err(|_| corrupt("id is not a UUID"))?,
        tenant_id: row
            .tenant_id
            .parse()
            .map_err(|_| corrupt("tenant id is not a UUID"))?,
        role: row.role.parse().map_err(|e| corrupt(&format!("{e}")))?,
        email: row.email,
        name: row.name,
        created_at: row.created_at,
        updated_at: row.updated_at,
        last_active_at: row.last_active_at,
    })
}
