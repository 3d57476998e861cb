//! Models: the list each caller may use (OpenAI's shape, also at `/v1/models`), and the
//! administrators' view with per-model settings, connection health and refresh.

use axum::Json;
use axum::extract::State;
use hearth_core::connection::{AccessList, ModelOverride};
use hearth_core::time::unix_now;
use hearth_core::{GroupId, TenantId, UserId};
use hearth_models::ConnectionHealth;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

use super::ApiQuery;
use super::auths::Done;
use crate::auth::{ActiveUser, AdminUser};
use crate::error::ErrorBody;
use crate::json::ApiJson;
use crate::shared::{Announcement, tell_others};
use crate::{ApiError, AppState};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_models))
        .routes(routes!(v1_models))
        .routes(routes!(admin_models))
        .routes(routes!(refresh_models))
        .routes(routes!(put_model_settings, delete_model_settings))
}

/// A model in OpenAI's list shape, with Hearth's display name and connection.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ModelObject {
    id: String,
    /// Always `model`.
    object: &'static str,
    created: i64,
    owned_by: String,
    /// The administrator's display name, or the id.
    name: String,
    /// The connection that serves it.
    connection: String,
}

/// Models in OpenAI's list shape.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ModelList {
    /// Always `list`.
    object: &'static str,
    data: Vec<ModelObject>,
}

async fn list_for(
    state: &AppState,
    caller: &hearth_core::User,
) -> Result<Json<ModelList>, ApiError> {
    let models = state.models.visible_models(caller).await?;
    let data = models
        .into_iter()
        .map(|model| ModelObject {
            name: model.display_name().to_owned(),
            id: model.entry.id,
            object: "model",
            created: 0,
            owned_by: model.entry.owned_by,
            connection: model.entry.connection_name,
        })
        .collect();
    Ok(Json(ModelList {
        object: "list",
        data,
    }))
}

/// The models the caller may use: every connection's models, minus hidden ones and those whose
/// access list leaves the caller out. Connections that are down are left out (see
/// `/api/v1/models` for their health).
#[utoipa::path(get, path = "/api/models", tag = "models", security(("bearer" = [])),
    responses((status = 200, description = "Success", body = ModelList)))]
async fn api_models(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
) -> Result<Json<ModelList>, ApiError> {
    list_for(&state, &caller.user).await
}

/// The same list at the path OpenAI's SDKs use.
#[utoipa::path(get, path = "/v1/models", tag = "models", security(("bearer" = [])),
    responses((status = 200, description = "Success", body = ModelList)))]
async fn v1_models(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
) -> Result<Json<ModelList>, ApiError> {
    list_for(&state, &caller.user).await
}

/// Who may use a model.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub(crate) struct AccessView {
    #[schema(value_type = Vec<String>)]
    group_ids: Vec<GroupId>,
    #[schema(value_type = Vec<String>)]
    user_ids: Vec<UserId>,
}

/// What an administrator set for a model.
#[derive(Debug, Deserialize, Serialize, ToSchema, Validate)]
pub(crate) struct ModelSettingsView {
    #[validate(length(min = 1, max = 255, message = "must be 1 to 255 characters"))]
    model_id: String,
    #[validate(length(min = 1, max = 255, message = "must be 1 to 255 characters"))]
    display_name: Option<String>,
    /// Hidden models are not listed, but still answer those allowed.
    #[serde(default)]
    hidden: bool,
    /// `null`: every user. Otherwise only these groups and users (and administrators).
    access: Option<AccessView>,
    #[validate(length(max = 100000, message = "must be at most 100000 characters"))]
    system_prompt: Option<String>,
    /// Default request parameters, e.g. `{"temperature": 0.2}`; requests' own values win.
    #[serde(default)]
    #[schema(value_type = Object)]
    params: Map<String, Value>,
}

impl From<ModelOverride> for ModelSettingsView {
    fn from(o: ModelOverride) -> Self {
        Self {
            model_id: o.model_id,
            display_name: o.display_name,
            hidden: o.hidden,
            access: o.access.map(|a| AccessView {
                group_ids: a.group_ids,
                user_ids: a.user_ids,
            }),
            system_prompt: o.system_prompt,
            params: o.params,
        }
    }
}

/// A model as administrators see it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AdminModel {
    id: String,
    upstream_id: String,
    #[schema(value_type = String)]
    connection_id: hearth_core::ConnectionId,
    connection_name: String,
    settings: Option<ModelSettingsView>,
}

/// A connection's health at the last refresh.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HealthView {
    #[schema(value_type = String)]
    connection_id: hearth_core::ConnectionId,
    name: String,
    ok: bool,
    detail: Option<String>,
    models: usize,
    checked_at: i64,
}

impl From<ConnectionHealth> for HealthView {
    fn from(h: ConnectionHealth) -> Self {
        Self {
            connection_id: h.connection_id,
            name: h.name,
            ok: h.ok,
            detail: h.detail,
            models: h.models,
            checked_at: h.checked_at,
        }
    }
}

/// Every model with its settings, and every connection's health.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AdminModelList {
    models: Vec<AdminModel>,
    connections: Vec<HealthView>,
    /// Settings for models no connection offers at the moment.
    orphaned_settings: Vec<ModelSettingsView>,
}

async fn admin_list(
    state: &AppState,
    snapshot: std::sync::Arc<hearth_models::Snapshot>,
) -> Result<AdminModelList, ApiError> {
    let overrides = state.models.overrides().await?;
    let models = snapshot
        .models
        .iter()
        .map(|entry| AdminModel {
            id: entry.id.clone(),
            upstream_id: entry.upstream_id.clone(),
            connection_id: entry.connection_id,
            connection_name: entry.connection_name.clone(),
            settings: overrides
                .iter()
                .find(|o| o.model_id == entry.id)
                .cloned()
                .map(Into::into),
        })
        .collect();
    let orphaned_settings = overrides
        .iter()
        .filter(|o| !snapshot.models.iter().any(|m| m.id == o.model_id))
        .cloned()
        .map(Into::into)
        .collect();
    Ok(AdminModelList {
        models,
        connections: snapshot.health.iter().cloned().map(Into::into).collect(),
        orphaned_settings,
    })
}

/// Every model (hidden ones too) with its settings, and each connection's health.
#[utoipa::path(get, path = "/api/v1/models", tag = "models", security(("bearer" = [])),
    responses((status = 200, description = "Success", body = AdminModelList), (status = 403, description = "Administrators only", body = ErrorBody)))]
async fn admin_models(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> Result<Json<AdminModelList>, ApiError> {
    let snapshot = state.models.catalogue().snapshot().await;
    Ok(Json(admin_list(&state, snapshot).await?))
}

/// Asks every connection for its models now, instead of waiting for the cache to expire.
#[utoipa::path(post, path = "/api/v1/models/refresh", tag = "models", security(("bearer" = [])),
    responses((status = 200, description = "Success", body = AdminModelList), (status = 403, description = "Administrators only", body = ErrorBody)))]
async fn refresh_models(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> Result<Json<AdminModelList>, ApiError> {
    let snapshot = state.models.catalogue().refresh().await;
    Ok(Json(admin_list(&state, snapshot).await?))
}

/// Sets a model's display name, visibility, access list, system prompt and default parameters
/// (replacing earlier settings). Groups and users in the access list must exist.
#[utoipa::path(put, path = "/api/v1/models/settings", tag = "models", security(("bearer" = [])),
    request_body = ModelSettingsView,
    responses((status = 200, description = "Success", body = ModelSettingsView), (status = 404, description = "An unknown group or user", body = ErrorBody), (status = 422, description = "The body breaks a rule", body = ErrorBody)))]
async fn put_model_settings(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    ApiJson(view): ApiJson<ModelSettingsView>,
) -> Result<Json<ModelSettingsView>, ApiError> {
    let tenant = caller.user.tenant_id;
    if let Some(access) = &view.access {
        let groups = state.store.list_groups(tenant).await?;
        if let Some(missing) = access
            .group_ids
            .iter()
            .find(|g| !groups.iter().any(|known| known.id == **g))
        {
            return Err(ApiError::NotFound(format!("group {missing} not found")));
        }
        for user in &access.user_ids {
            if state.store.user_by_id(tenant, *user).await?.is_none() {
                return Err(ApiError::NotFound(format!("user {user} not found")));
            }
        }
    }
    let settings = ModelOverride {
        model_id: view.model_id,
        display_name: view.display_name,
        hidden: view.hidden,
        access: view.access.map(|a| AccessList {
            group_ids: a.group_ids,
            user_ids: a.user_ids,
        }),
        system_prompt: view.system_prompt,
        params: view.params,
    };
    state
        .store
        .put_model_override(TenantId::DEFAULT, &settings, unix_now())
        .await?;
    state.models.forget_overrides();
    tell_others(&state, Announcement::ModelSettingsChanged).await;
    tracing::info!(admin = %caller.user.id, model = %settings.model_id, "model settings changed");
    Ok(Json(settings.into()))
}

/// Which model's settings.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ModelQuery {
    model_id: String,
}

/// Removes a model's settings: it returns to being visible to everyone under its own id.
#[utoipa::path(delete, path = "/api/v1/models/settings", tag = "models", security(("bearer" = [])),
    params(ModelQuery),
    responses((status = 200, description = "Success", body = Done), (status = 404, description = "The model has no settings", body = ErrorBody)))]
async fn delete_model_settings(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    ApiQuery(query): ApiQuery<ModelQuery>,
) -> Result<Json<Done>, ApiError> {
    if !state
        .store
        .delete_model_override(TenantId::DEFAULT, &query.model_id)
        .await?
    {
        return Err(ApiError::NotFound(format!(
            "model `{}` has no settings",
            query.model_id
        )));
    }
    state.models.forget_overrides();
    tell_others(&state, Announcement::ModelSettingsChanged).await;
    Ok(Json(Done::ok()))
}
