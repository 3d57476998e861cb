//! What the web UI asks before anyone signs in (`GET /api/config`: is this a first run, may people
//! sign up), and the settings administrators change while Hearth runs (`/api/v1/configs`), each
//! shown locked when the environment fixes it.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use hearth_config::{Settings, TunableSetting};
use hearth_core::TenantId;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::{Validate, ValidationErrors};

use crate::auth::AdminUser;
use crate::error::ErrorBody;
use crate::json::ApiJson;
use crate::shared::{Announcement, tell_others};
use crate::{ApiError, AppState};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(public_config))
        .routes(routes!(list_settings, change_settings))
}

/// What a client needs before signing in.
#[derive(Debug, Serialize, ToSchema)]
struct PublicConfig {
    name: &'static str,
    version: &'static str,
    /// No account exists yet: the next sign-up creates the administrator.
    onboarding: bool,
    features: Features,
}

#[derive(Debug, Serialize, ToSchema)]
struct Features {
    /// Whether people may create accounts (the first account always may).
    enable_signup: bool,
}

/// The instance's name, version and whether it awaits its first account. No authentication.
#[utoipa::path(get, path = "/api/config", tag = "configs",
    responses((status = 200, description = "Success", body = PublicConfig)))]
async fn public_config(State(state): State<AppState>) -> Result<Json<PublicConfig>, ApiError> {
    let onboarding = state.store.list_users(TenantId::DEFAULT, 0, 1).await?.total == 0;
    Ok(Json(PublicConfig {
        name: "Hearth",
        version: env!("CARGO_PKG_VERSION"),
        onboarding,
        features: Features {
            enable_signup: state.tunables.current().security.enable_signup,
        },
    }))
}

/// One setting as administrators see it.
#[derive(Debug, Serialize, ToSchema)]
struct SettingView {
    /// The environment variable's name, e.g. `RAG_TOP_K`.
    name: &'static str,
    /// `rag`, `limits`, `accounts` or `models`.
    #[schema(value_type = String)]
    group: hearth_config::TunableGroup,
    description: String,
    /// `integer`, `number`, `boolean`, `string`, `list` (of strings) or `choice`.
    kind: &'static str,
    /// The values a `choice` may take.
    #[serde(skip_serializing_if = "Option::is_none")]
    choices: Option<Vec<String>>,
    /// The value in force.
    value: Value,
    /// The value when neither the environment nor an administrator sets it.
    default: Value,
    /// Set by the environment or the config file: shown, but changed only there.
    locked: bool,
}

impl From<TunableSetting> for SettingView {
    fn from(setting: TunableSetting) -> Self {
        Self {
            name: setting.name,
            group: setting.group,
            description: setting.description,
            kind: setting.kind,
            choices: setting.choices,
            value: setting.value,
            default: setting.default,
            locked: setting.locked,
        }
    }
}

/// The settings administrators may change.
#[derive(Debug, Serialize, ToSchema)]
struct SettingList {
    settings: Vec<SettingView>,
}

fn listing(settings: &Settings) -> SettingList {
    SettingList {
        settings: settings.tunables().into_iter().map(Into::into).collect(),
    }
}

/// Every setting administrators may change, with its value in force and whether the environment
/// fixes it.
#[utoipa::path(get, path = "/api/v1/configs", tag = "configs", security(("bearer" = [])),
    responses(
        (status = 200, description = "Success", body = SettingList),
        (status = 403, description = "Administrators only", body = ErrorBody),
    ))]
async fn list_settings(State(state): State<AppState>, _admin: AdminUser) -> Json<SettingList> {
    Json(listing(&state.tunables.current()))
}

/// A change's body: setting names and values.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
struct SettingChanges(BTreeMap<String, Value>);

impl Validate for SettingChanges {
    // Names and values are checked by `Tunables::change`, against the settings' own types.
    fn validate(&self) -> Result<(), ValidationErrors> {
        Ok(())
    }
}

/// Changes settings by name (`{"RAG_TOP_K": 8, "FILE_MAX_SIZE": null}`; `null` restores the
/// default), on every replica. All or nothing: a name the environment fixes is a 409, an unknown
/// name or a wrong value a 422.
#[utoipa::path(patch, path = "/api/v1/configs", tag = "configs", security(("bearer" = [])),
    request_body(content = Object, description = "Setting names and their new values"),
    responses(
        (status = 200, description = "Success", body = SettingList),
        (status = 403, description = "Administrators only", body = ErrorBody),
        (status = 409, description = "A setting is fixed by the environment", body = ErrorBody),
        (status = 422, description = "An unknown setting or a wrong value", body = ErrorBody),
    ))]
async fn change_settings(
    State(state): State<AppState>,
    admin: AdminUser,
    ApiJson(SettingChanges(changes)): ApiJson<SettingChanges>,
) -> Result<Json<SettingList>, ApiError> {
    if changes.is_empty() {
        return Err(ApiError::Unprocessable(
            "give at least one setting to change".into(),
        ));
    }
    let names: Vec<String> = changes.keys().cloned().collect();
    let settings = state.tunables.change(changes).await?;
    tracing::info!(admin = %admin.0.user.id, settings = ?names, "settings changed");
    tell_others(&state, Announcement::SettingsChanged).await;
    Ok(Json(listing(&settings)))
}
