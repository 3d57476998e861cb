//! Groups of users, for administrators: model access is granted to groups.

use axum::Json;
use axum::extract::State;
use hearth_core::connection::Group;
use hearth_core::time::unix_now;
use hearth_core::{GroupId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

use super::ApiPath;
use super::auths::Done;
use crate::auth::AdminUser;
use crate::error::ErrorBody;
use crate::json::ApiJson;
use crate::{ApiError, AppState};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, update_group, delete_group))
        .routes(routes!(set_members))
}

/// A group and its members.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct GroupView {
    #[schema(value_type = String)]
    id: GroupId,
    name: String,
    description: String,
    #[schema(value_type = Vec<String>)]
    member_ids: Vec<UserId>,
    created_at: i64,
    updated_at: i64,
}

impl From<Group> for GroupView {
    fn from(g: Group) -> Self {
        Self {
            id: g.id,
            name: g.name,
            description: g.description,
            member_ids: g.member_ids,
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
}

/// A new group, or changes to one (absent fields stay).
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub(crate) struct GroupForm {
    #[validate(length(min = 1, max = 255, message = "must be 1 to 255 characters"))]
    name: Option<String>,
    #[validate(length(max = 1024, message = "must be at most 1024 characters"))]
    description: Option<String>,
}

/// Every group of the tenant, by name.
#[utoipa::path(get, path = "/api/v1/groups", tag = "groups", security(("bearer" = [])),
    responses((status = 200, description = "Success", body = Vec<GroupView>), (status = 403, description = "Administrators only", body = ErrorBody)))]
async fn list_groups(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
) -> Result<Json<Vec<GroupView>>, ApiError> {
    Ok(Json(
        state
            .store
            .list_groups(caller.user.tenant_id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Creates a group (names are unique).
#[utoipa::path(post, path = "/api/v1/groups", tag = "groups", security(("bearer" = [])), request_body = GroupForm,
    responses((status = 200, description = "Success", body = GroupView), (status = 409, description = "The name is taken", body = ErrorBody), (status = 422, description = "The body breaks a rule", body = ErrorBody)))]
async fn create_group(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    ApiJson(form): ApiJson<GroupForm>,
) -> Result<Json<GroupView>, ApiError> {
    let name = form
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::Unprocessable("name: is required".into()))?;
    let group = state
        .store
        .create_group(
            caller.user.tenant_id,
            name,
            form.description.as_deref().unwrap_or_default(),
            unix_now(),
        )
        .await?;
    Ok(Json(group.into()))
}

/// One group.
#[utoipa::path(get, path = "/api/v1/groups/{id}", tag = "groups", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "Success", body = GroupView), (status = 404, description = "No such group", body = ErrorBody)))]
async fn get_group(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    ApiPath(id): ApiPath<GroupId>,
) -> Result<Json<GroupView>, ApiError> {
    let group = state.store.group(caller.user.tenant_id, id).await?;
    group
        .map(|g| Json(g.into()))
        .ok_or_else(|| ApiError::NotFound("group not found".into()))
}

/// Renames or re-describes a group.
#[utoipa::path(patch, path = "/api/v1/groups/{id}", tag = "groups", security(("bearer" = [])), params(("id" = String, Path)), request_body = GroupForm,
    responses((status = 200, description = "Success", body = GroupView), (status = 404, description = "No such group", body = ErrorBody), (status = 409, description = "The name is taken", body = ErrorBody)))]
async fn update_group(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    ApiPath(id): ApiPath<GroupId>,
    ApiJson(form): ApiJson<GroupForm>,
) -> Result<Json<GroupView>, ApiError> {
    let group = state
        .store
        .update_group(
            caller.user.tenant_id,
            id,
            form.name.as_deref().map(str::trim),
            form.description.as_deref(),
            unix_now(),
        )
        .await?;
    Ok(Json(group.into()))
}

/// Deletes a group; its members lose the access it gave them at once.
#[utoipa::path(delete, path = "/api/v1/groups/{id}", tag = "groups", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "Success", body = Done), (status = 404, description = "No such group", body = ErrorBody)))]
async fn delete_group(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    ApiPath(id): ApiPath<GroupId>,
) -> Result<Json<Done>, ApiError> {
    if !state.store.delete_group(caller.user.tenant_id, id).await? {
        return Err(ApiError::NotFound("group not found".into()));
    }
    Ok(Json(Done::ok()))
}

/// A group's complete membership.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub(crate) struct Members {
    #[schema(value_type = Vec<String>)]
    #[validate(length(max = 10000, message = "must list at most 10000 users"))]
    user_ids: Vec<UserId>,
}

/// Replaces a group's members.
#[utoipa::path(put, path = "/api/v1/groups/{id}/members", tag = "groups", security(("bearer" = [])), params(("id" = String, Path)), request_body = Members,
    responses((status = 200, description = "Success", body = GroupView), (status = 404, description = "No such group or user", body = ErrorBody)))]
async fn set_members(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    ApiPath(id): ApiPath<GroupId>,
    ApiJson(members): ApiJson<Members>,
) -> Result<Json<GroupView>, ApiError> {
    let group = state
        .store
        .set_group_members(caller.user.tenant_id, id, &members.user_ids, unix_now())
        .await?;
    Ok(Json(group.into()))
}
