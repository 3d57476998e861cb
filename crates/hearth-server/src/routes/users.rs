//! Account administration for admins: list, create, inspect, change role or name, delete.

use axum::Json;
use axum::extract::State;
use hearth_core::time::unix_now;
use hearth_core::{TenantId, UserId};
use hearth_db::{NewUser, RoleRule};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

use super::auths::{ApiRole, Done, UserResponse};
use super::{ApiPath, ApiQuery};
use crate::auth::AdminUser;
use crate::error::ErrorBody;
use crate::json::ApiJson;
use crate::shared::{Announcement, announce, presence};
use crate::{ApiError, AppState};

/// Largest page of users.
const MAX_PAGE: u64 = 500;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(online_users))
        .routes(routes!(get_user, update_user, delete_user))
}

/// Which page of users.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// Users to skip (default 0).
    skip: Option<u64>,
    /// Users to return (default 50, at most 500).
    limit: Option<u64>,
}

/// A page of users.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserList {
    users: Vec<UserResponse>,
    /// Users in the tenant.
    total: u64,
}

/// Lists the tenant's users, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "users",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "Success", body = UserList), (status = 403, description = "The caller's role does not allow this", body = ErrorBody))
)]
async fn list_users(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<UserList>, ApiError> {
    let limit = page.limit.unwrap_or(50);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::Unprocessable(format!(
            "limit: must be 1 to {MAX_PAGE}"
        )));
    }
    let page = state
        .store
        .list_users(caller.user.tenant_id, page.skip.unwrap_or(0), limit)
        .await?;
    Ok(Json(UserList {
        users: page.users.into_iter().map(Into::into).collect(),
        total: page.total,
    }))
}

/// An account created by an administrator.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub(crate) struct NewUserForm {
    #[validate(length(min = 1, max = 255, message = "must be 1 to 255 characters"))]
    name: String,
    #[validate(
        email(message = "must be a valid email address"),
        length(max = 254, message = "must be at most 254 characters")
    )]
    email: String,
    #[validate(length(min = 8, max = 256, message = "must be 8 to 256 characters"))]
    password: String,
    role: ApiRole,
}

/// Creates an account with the given role.
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "users",
    security(("bearer" = [])),
    request_body = NewUserForm,
    responses((status = 200, description = "Success", body = UserResponse), (status = 409, description = "Conflicts with existing data", body = ErrorBody), (status = 422, description = "The body or query breaks a rule; `detail` names the field", body = ErrorBody))
)]
async fn create_user(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    ApiJson(form): ApiJson<NewUserForm>,
) -> Result<Json<UserResponse>, ApiError> {
    let hash = state.passwords.hash(form.password).await?;
    let new = NewUser {
        tenant_id: caller.user.tenant_id,
        email: &form.email,
        name: form.name.trim(),
        password_hash: Some(&hash),
        role: RoleRule::Exactly(form.role.into()),
    };
    let user = state.store.create_user(new, unix_now()).await?;
    tracing::info!(admin = %caller.user.id, user = %user.id, "account created by an administrator");
    Ok(Json(user.into()))
}

/// One user.
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}",
    tag = "users",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "Success", body = UserResponse), (status = 404, description = "No such resource", body = ErrorBody))
)]
async fn get_user(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    ApiPath(id): ApiPath<UserId>,
) -> Result<Json<UserResponse>, ApiError> {
    let user = state.store.user_by_id(caller.user.tenant_id, id).await?;
    user.map(|u| Json(u.into()))
        .ok_or_else(|| ApiError::NotFound("user not found".into()))
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub(crate) struct UserUpdate {
    /// Approve a pending account with `user`; promote with `admin`.
    role: Option<ApiRole>,
    #[validate(length(min = 1, max = 255, message = "must be 1 to 255 characters"))]
    name: Option<String>,
}

/// Changes a user's role (approving pending accounts) or name. The last administrator cannot be
/// demoted.
#[utoipa::path(
    patch,
    path = "/api/v1/users/{id}",
    tag = "users",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body = UserUpdate,
    responses((status = 200, description = "Success", body = UserResponse), (status = 404, description = "No such resource", body = ErrorBody), (status = 409, description = "Conflicts with existing data", body = ErrorBody))
)]
async fn update_user(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(update): ApiJson<UserUpdate>,
) -> Result<Json<UserResponse>, ApiError> {
    let tenant: TenantId = caller.user.tenant_id;
    let name = update.name.as_deref().map(str::trim);
    let user = state
        .store
        .update_user(tenant, id, update.role.map(Into::into), name, unix_now())
        .await?;
    announce(&state, Announcement::UserChanged { user: user.id }).await;
    tracing::info!(admin = %caller.user.id, user = %user.id, role = %user.role, "account updated");
    Ok(Json(user.into()))
}

/// Deletes an account with its sessions and API keys. The last administrator cannot be deleted.
#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}",
    tag = "users",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "Success", body = Done), (status = 404, description = "No such resource", body = ErrorBody), (status = 409, description = "Conflicts with existing data", body = ErrorBody))
)]
async fn delete_user(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    ApiPath(id): ApiPath<UserId>,
) -> Result<Json<Done>, ApiError> {
    state
        .store
        .delete_user(caller.user.tenant_id, id, unix_now())
        .await?;
    announce(&state, Announcement::UserChanged { user: id }).await;
    tracing::info!(admin = %caller.user.id, user = %id, "account deleted");
    Ok(Json(Done::ok()))
}

/// Who is online: the users with a realtime connection open on any replica.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Online {
    #[schema(value_type = Vec<String>)]
    user_ids: Vec<UserId>,
}

/// The users with a realtime connection open, on every replica.
#[utoipa::path(
    get,
    path = "/api/v1/users/online",
    tag = "users",
    security(("bearer" = [])),
    responses((status = 200, description = "Success", body = Online), (status = 403, description = "Not allowed for this caller", body = ErrorBody), (status = 503, description = "A dependency is unavailable", body = ErrorBody))
)]
async fn online_users(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
) -> Result<Json<Online>, ApiError> {
    let user_ids = presence::online(state.bus.as_ref(), caller.user.tenant_id)
        .await
        .map_err(|e| ApiError::ServiceUnavailable(format!("presence is unavailable: {e}")))?;
    Ok(Json(Online { user_ids }))
}
