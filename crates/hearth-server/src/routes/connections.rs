//! Model-server connections, for administrators: list (with health), add, change, remove, verify.
//! Connections set by the environment are listed as locked and cannot be changed here. Keys are
//! stored encrypted and only ever shown masked.

use axum::Json;
use axum::extract::State;
use hearth_core::connection::{Connection, ConnectionKind, ConnectionSource};
use hearth_core::time::unix_now;
use hearth_core::{ConnectionId, TenantId};
use hearth_db::{ConnectionPatch, StoredConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::{Validate, ValidationError};

use super::ApiPath;
use super::auths::Done;
use super::models::HealthView;
use crate::auth::AdminUser;
use crate::error::ErrorBody;
use crate::json::{ApiJson, double_option};
use crate::shared::{Announcement, tell_others};
use crate::{ApiError, AppState};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_connections, create_connection))
        .routes(routes!(update_connection, delete_connection))
        .routes(routes!(verify_connection))
        .routes(routes!(verify_new_connection))
}

/// The protocol a server speaks.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum KindView {
    Openai,
    Ollama,
}

impl From<KindView> for ConnectionKind {
    fn from(kind: KindView) -> Self {
        match kind {
            KindView::Openai => ConnectionKind::Openai,
            KindView::Ollama => ConnectionKind::Ollama,
        }
    }
}

impl From<ConnectionKind> for KindView {
    fn from(kind: ConnectionKind) -> Self {
        match kind {
            ConnectionKind::Openai => KindView::Openai,
            ConnectionKind::Ollama => KindView::Ollama,
        }
    }
}

/// A connection as administrators see it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ConnectionView {
    #[schema(value_type = String)]
    id: ConnectionId,
    kind: KindView,
    name: String,
    base_url: String,
    /// The key's last characters (`…abcd`), or `null` without a key.
    api_key: Option<String>,
    prefix: Option<String>,
    model_allow_list: Vec<String>,
    enabled: bool,
    /// Set by the environment: shown, but changed only there.
    locked: bool,
    /// The last refresh's result, when there was one.
    health: Option<HealthView>,
}

fn view(connection: &Connection, health: Option<HealthView>) -> ConnectionView {
    ConnectionView {
        id: connection.id,
        kind: connection.kind.into(),
        name: connection.name.clone(),
        base_url: connection.base_url.clone(),
        api_key: connection.masked_key(),
        prefix: connection.prefix.clone(),
        model_allow_list: connection.model_allow_list.clone(),
        enabled: connection.enabled,
        locked: connection.source == ConnectionSource::Environment,
        health,
    }
}

fn valid_url(url: &str) -> Result<(), ValidationError> {
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() > 8
        && !url.contains(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("url").with_message("must be an http:// or https:// URL".into()))
    }
}

fn valid_prefix(prefix: &str) -> Result<(), ValidationError> {
    let ok = !prefix.is_empty()
        && prefix.len() <= 64
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("prefix")
            .with_message("must be 1 to 64 letters, digits, `-` or `_`".into()))
    }
}

/// A new connection.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub(crate) struct NewConnection {
    kind: KindView,
    #[validate(length(min = 1, max = 255, message = "must be 1 to 255 characters"))]
    name: String,
    #[validate(
        length(max = 2048, message = "must be at most 2048 characters"),
        custom(function = "valid_url")
    )]
    base_url: String,
    #[validate(length(max = 4096, message = "must be at most 4096 characters"))]
    api_key: Option<String>,
    #[validate(custom(function = "valid_prefix"))]
    prefix: Option<String>,
    /// Only these upstream model ids are offered; empty offers all.
    #[serde(default)]
    model_allow_list: Vec<String>,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

/// Lists every connection with its health at the last refresh.
#[utoipa::path(get, path = "/api/v1/connections", tag = "connections", security(("bearer" = [])),
    responses((status = 200, description = "Success", body = Vec<ConnectionView>), (status = 403, description = "Administrators only", body = ErrorBody)))]
async fn list_connections(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> Result<Json<Vec<ConnectionView>>, ApiError> {
    let snapshot = state.models.catalogue().snapshot().await;
    let connections = state.models.catalogue().connections();
    Ok(Json(
        connections
            .iter()
            .map(|c| {
                view(
                    c,
                    snapshot
                        .health
                        .iter()
                        .find(|h| h.connection_id == c.id)
                        .cloned()
                        .map(Into::into),
                )
            })
            .collect(),
    ))
}

/// Adds a connection; its key is stored encrypted. The models it offers appear at once.
#[utoipa::path(post, path = "/api/v1/connections", tag = "connections", security(("bearer" = [])),
    request_body = NewConnection,
    responses((status = 200, description = "Success", body = ConnectionView), (status = 422, description = "The body breaks a rule", body = ErrorBody)))]
async fn create_connection(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    ApiJson(new): ApiJson<NewConnection>,
) -> Result<Json<ConnectionView>, ApiError> {
    let id = ConnectionId::new();
    let now = unix_now();
    let key = new.api_key.filter(|k| !k.is_empty());
    let stored = StoredConnection {
        id,
        kind: new.kind.into(),
        name: new.name.trim().to_owned(),
        base_url: new.base_url.trim_end_matches('/').to_owned(),
        api_key_encrypted: key.as_deref().map(|k| state.models.seal(id, k)),
        prefix: new.prefix,
        model_allow_list: new.model_allow_list,
        enabled: new.enabled,
        created_at: now,
        updated_at: now,
    };
    let stored = state
        .store
        .create_connection(TenantId::DEFAULT, stored)
        .await?;
    state.models.reload().await?;
    tell_others(&state, Announcement::ConnectionsChanged).await;
    tracing::info!(admin = %caller.user.id, connection = %stored.name, "connection added");
    Ok(Json(view(&state.models.open(stored), None)))
}

/// Changes to a connection; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub(crate) struct ConnectionUpdate {
    #[validate(length(min = 1, max = 255, message = "must be 1 to 255 characters"))]
    name: Option<String>,
    #[validate(
        length(max = 2048, message = "must be at most 2048 characters"),
        custom(function = "valid_url")
    )]
    base_url: Option<String>,
    /// A new key; `null` removes the key.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    api_key: Option<Option<String>>,
    /// A new prefix; `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    prefix: Option<Option<String>>,
    model_allow_list: Option<Vec<String>>,
    enabled: Option<bool>,
}

async fn editable(state: &AppState, id: ConnectionId) -> Result<(), ApiError> {
    match state.models.catalogue().connections().iter().find(|c| c.id == id) {
        Some(c) if c.source == ConnectionSource::Environment => Err(ApiError::Forbidden(
            "this connection is set by the environment (OPENAI_API_BASE_URLS / OLLAMA_BASE_URLS); change it there".into(),
        )),
        Some(_) => Ok(()),
        None => Err(ApiError::NotFound("connection not found".into())),
    }
}

/// Changes a connection.
#[utoipa::path(patch, path = "/api/v1/connections/{id}", tag = "connections", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ConnectionUpdate,
    responses((status = 200, description = "Success", body = ConnectionView), (status = 403, description = "Set by the environment", body = ErrorBody), (status = 404, description = "No such connection", body = ErrorBody)))]
async fn update_connection(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    ApiPath(id): ApiPath<ConnectionId>,
    ApiJson(update): ApiJson<ConnectionUpdate>,
) -> Result<Json<ConnectionView>, ApiError> {
    editable(&state, id).await?;
    if let Some(Some(prefix)) = &update.prefix {
        valid_prefix(prefix).map_err(|e| {
            ApiError::Unprocessable(format!("prefix: {}", e.message.unwrap_or_default()))
        })?;
    }
    let patch = ConnectionPatch {
        name: update.name.map(|n| n.trim().to_owned()),
        base_url: update.base_url.map(|u| u.trim_end_matches('/').to_owned()),
        api_key_encrypted: update.api_key.map(|key| {
            key.filter(|k| !k.is_empty())
                .map(|k| state.models.seal(id, &k))
        }),
        prefix: update.prefix,
        model_allow_list: update.model_allow_list,
        enabled: update.enabled,
    };
    let stored = state
        .store
        .update_connection(TenantId::DEFAULT, id, patch, unix_now())
        .await?;
    state.models.reload().await?;
    tell_others(&state, Announcement::ConnectionsChanged).await;
    tracing::info!(admin = %caller.user.id, connection = %stored.name, "connection changed");
    Ok(Json(view(&state.models.open(stored), None)))
}

/// Removes a connection; its models disappear at once.
#[utoipa::path(delete, path = "/api/v1/connections/{id}", tag = "connections", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "Success", body = Done), (status = 403, description = "Set by the environment", body = ErrorBody), (status = 404, description = "No such connection", body = ErrorBody)))]
async fn delete_connection(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    ApiPath(id): ApiPath<ConnectionId>,
) -> Result<Json<Done>, ApiError> {
    editable(&state, id).await?;
    state.store.delete_connection(TenantId::DEFAULT, id).await?;
    state.models.reload().await?;
    tell_others(&state, Announcement::ConnectionsChanged).await;
    tracing::info!(admin = %caller.user.id, connection = %id, "connection removed");
    Ok(Json(Done::ok()))
}

/// Asks a saved connection for its models now.
#[utoipa::path(post, path = "/api/v1/connections/{id}/verify", tag = "connections", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The connection's health (`ok: false` with the reason when it fails)", body = HealthView), (status = 404, description = "No such connection", body = ErrorBody)))]
async fn verify_connection(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    ApiPath(id): ApiPath<ConnectionId>,
) -> Result<Json<HealthView>, ApiError> {
    let connection = state
        .models
        .catalogue()
        .connections()
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| ApiError::NotFound("connection not found".into()))?;
    Ok(Json(
        state.models.catalogue().check(&connection).await.into(),
    ))
}

/// Tries a connection before saving it.
#[utoipa::path(post, path = "/api/v1/connections/verify", tag = "connections", security(("bearer" = [])),
    request_body = NewConnection,
    responses((status = 200, description = "The connection's health", body = HealthView), (status = 422, description = "The body breaks a rule", body = ErrorBody)))]
async fn verify_new_connection(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    ApiJson(new): ApiJson<NewConnection>,
) -> Result<Json<HealthView>, ApiError> {
    let connection = Connection {
        id: ConnectionId::new(),
        kind: new.kind.into(),
        name: new.name,
        base_url: new.base_url,
        api_key: new.api_key,
        prefix: new.prefix,
        model_allow_list: new.model_allow_list,
        enabled: true,
        source: ConnectionSource::Admin,
    };
    Ok(Json(
        state.models.catalogue().check(&connection).await.into(),
    ))
}
