//! Accounts for the caller themselves: sign-up, sign-in, sign-out, the current user, password change
//! and personal API keys.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use hearth_core::time::unix_now;
use hearth_core::{ApiKeyId, Role, SessionId, TenantId, User, default_name};
use hearth_db::{ApiKeyRecord, NewApiKey, NewSession, NewUser, RoleRule};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

use super::ApiPath;
use crate::auth::{ActiveUser, Authenticated, Credential, api_key};
use crate::error::ErrorBody;
use crate::json::{self, ApiJson};
use crate::shared::{Announcement, announce};
use crate::{ApiError, AppState};

/// Keys one person may hold; more is a sign of a script gone wrong.
const MAX_API_KEYS_PER_USER: usize = 50;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(signin))
        .routes(routes!(signout))
        .routes(routes!(current_user))
        .routes(routes!(update_password))
        .routes(routes!(create_api_key))
        .routes(routes!(list_api_keys))
        .routes(routes!(delete_api_key))
}

/// A new account.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub(crate) struct SignupForm {
    /// Display name; defaults to the part of the e-mail before `@`.
    #[validate(length(max = 255, message = "must be at most 255 characters"))]
    name: Option<String>,
    #[validate(
        email(message = "must be a valid email address"),
        length(max = 254, message = "must be at most 254 characters")
    )]
    email: String,
    #[validate(length(min = 8, max = 256, message = "must be 8 to 256 characters"))]
    password: String,
}

/// Credentials.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub(crate) struct SigninForm {
    #[validate(length(min = 1, max = 254, message = "must be 1 to 254 characters"))]
    email: String,
    #[validate(length(min = 1, max = 256, message = "must be 1 to 256 characters"))]
    password: String,
}

/// A role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ApiRole {
    Admin,
    User,
    Pending,
}

impl From<Role> for ApiRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => ApiRole::Admin,
            Role::User => ApiRole::User,
            Role::Pending => ApiRole::Pending,
        }
    }
}

impl From<ApiRole> for Role {
    fn from(role: ApiRole) -> Self {
        match role {
            ApiRole::Admin => Role::Admin,
            ApiRole::User => Role::User,
            ApiRole::Pending => Role::Pending,
        }
    }
}

/// A signed-in session: the token to send as `Authorization: Bearer …`, and who it belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionResponse {
    token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Unix seconds.
    expires_at: i64,
    #[schema(value_type = String)]
    id: hearth_core::UserId,
    email: String,
    name: String,
    role: ApiRole,
}

/// An account.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserResponse {
    #[schema(value_type = String)]
    id: hearth_core::UserId,
    email: String,
    name: String,
    role: ApiRole,
    /// Unix seconds.
    created_at: i64,
    /// Unix seconds.
    updated_at: i64,
    /// Unix seconds; recorded at most once per `DATABASE_USER_ACTIVE_STATUS_UPDATE_INTERVAL`.
    last_active_at: Option<i64>,
}

impl From<User> for UserResponse {
    fn from(user: User) -> Self {
        Self {
            id: user.id,
            email: user.email,
            name: user.name,
            role: user.role.into(),
            created_at: user.created_at,
            updated_at: user.updated_at,
            last_active_at: user.last_active_at,
        }
    }
}

/// The outcome of an action with nothing else to report.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Done {
    status: bool,
}

impl Done {
    pub(crate) fn ok() -> Self {
        Self { status: true }
    }
}

/// Creates an account and signs it in. The first account becomes the administrator; later ones get
/// `DEFAULT_USER_ROLE` (`pending` until approved, by default).
#[utoipa::path(
    post,
    path = "/api/v1/auths/signup",
    tag = "auths",
    request_body = SignupForm,
    responses(
        (status = 200, description = "Success", body = SessionResponse),
        (status = 403, description = "sign-up is disabled", body = ErrorBody),
        (status = 409, description = "the e-mail is taken", body = ErrorBody),
        (status = 422, description = "The body or query breaks a rule; `detail` names the field", body = ErrorBody),
    )
)]
async fn signup(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(form): ApiJson<SignupForm>,
) -> Result<Json<SessionResponse>, ApiError> {
    let settings = state.tunables.current();
    let security = &settings.security;
    let tenant_id = TenantId::DEFAULT;
    // With sign-up disabled only the very first account may be created. Two racing first sign-ups
    // both pass this check; the store still makes exactly one of them admin and the other pending.
    if !security.enable_signup && state.store.list_users(tenant_id, 0, 1).await?.total > 0 {
        return Err(ApiError::Forbidden(
            "sign-up is disabled; ask an administrator for an account".into(),
        ));
    }
    let name = form
        .name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map_or_else(|| default_name(&form.email), str::to_owned);
    let hash = state.passwords.hash(form.password).await?;
    let otherwise = match security.default_user_role {
        hearth_config::DefaultUserRole::Pending => Role::Pending,
        hearth_config::DefaultUserRole::User => Role::User,
    };
    let new = NewUser {
        tenant_id,
        email: &form.email,
        name: &name,
        password_hash: Some(&hash),
        role: RoleRule::AdminIfFirst { otherwise },
    };
    let user = state.store.create_user(new, unix_now()).await?;
    tracing::info!(user = %user.id, role = %user.role, "account created");
    Ok(Json(start_session(&state, user, &headers).await?))
}

/// Signs in with e-mail and password; pending accounts may sign in to see that they are pending.
#[utoipa::path(
    post,
    path = "/api/v1/auths/signin",
    tag = "auths",
    request_body = SigninForm,
    responses((status = 200, description = "Success", body = SessionResponse), (status = 401, description = "Missing, invalid or revoked credentials", body = ErrorBody), (status = 422, description = "The body or query breaks a rule; `detail` names the field", body = ErrorBody))
)]
async fn signin(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(form): ApiJson<SigninForm>,
) -> Result<Json<SessionResponse>, ApiError> {
    let found = state
        .store
        .user_with_password_by_email(TenantId::DEFAULT, form.email.trim())
        .await?;
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, None),
    };
    let matches = state.passwords.verify(form.password, hash).await?;
    let Some(user) = user.filter(|_| matches) else {
        return Err(ApiError::Unauthorized("incorrect email or password".into()));
    };
    Ok(Json(start_session(&state, user, &headers).await?))
}

async fn start_session(
    state: &AppState,
    user: User,
    headers: &HeaderMap,
) -> Result<SessionResponse, ApiError> {
    let now = unix_now();
    let session = SessionId::new();
    let (token, expires_at) = state.tokens.issue(user.id, user.tenant_id, session, now);
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let new = NewSession {
        id: session,
        tenant_id: user.tenant_id,
        user_id: user.id,
        expires_at,
        user_agent,
    };
    state.store.create_session(new, now).await?;
    Ok(SessionResponse {
        token,
        token_type: "Bearer",
        expires_at,
        id: user.id,
        email: user.email,
        name: user.name,
        role: user.role.into(),
    })
}

/// Revokes the presented sign-in token on every process sharing the database. API keys are revoked by
/// deleting them instead.
#[utoipa::path(
    post,
    path = "/api/v1/auths/signout",
    tag = "auths",
    security(("bearer" = [])),
    responses((status = 200, description = "Success", body = Done), (status = 400, description = "The request cannot be carried out as sent", body = ErrorBody), (status = 401, description = "Missing, invalid or revoked credentials", body = ErrorBody))
)]
async fn signout(
    State(state): State<AppState>,
    caller: Authenticated,
) -> Result<Json<Done>, ApiError> {
    match caller.credential {
        Credential::Session(session) => {
            state.store.revoke_session(session).await?;
            announce(&state, Announcement::SessionRevoked { session }).await;
            Ok(Json(Done::ok()))
        }
        Credential::ApiKey(_) => Err(ApiError::BadRequest(
            "an API key has no session to sign out of; delete the key to revoke it".into(),
        )),
    }
}

/// The signed-in account.
#[utoipa::path(
    get,
    path = "/api/v1/auths",
    tag = "auths",
    security(("bearer" = [])),
    responses((status = 200, description = "Success", body = UserResponse), (status = 401, description = "Missing, invalid or revoked credentials", body = ErrorBody))
)]
async fn current_user(caller: Authenticated) -> Json<UserResponse> {
    Json(caller.user.into())
}

/// A password change.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub(crate) struct PasswordForm {
    /// The current password.
    #[validate(length(min = 1, max = 256, message = "must be 1 to 256 characters"))]
    password: String,
    #[validate(length(min = 8, max = 256, message = "must be 8 to 256 characters"))]
    new_password: String,
}

/// The password was changed.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PasswordChanged {
    status: bool,
    /// How many other sessions were signed out.
    revoked_sessions: u64,
}

/// Changes the password and signs out every other session of the account; the calling session stays.
#[utoipa::path(
    post,
    path = "/api/v1/auths/update/password",
    tag = "auths",
    security(("bearer" = [])),
    request_body = PasswordForm,
    responses(
        (status = 200, description = "Success", body = PasswordChanged),
        (status = 400, description = "the current password is wrong", body = ErrorBody),
        (status = 403, description = "called with an API key", body = ErrorBody),
    )
)]
async fn update_password(
    State(state): State<AppState>,
    caller: Authenticated,
    ApiJson(form): ApiJson<PasswordForm>,
) -> Result<Json<PasswordChanged>, ApiError> {
    let Credential::Session(session) = caller.credential else {
        return Err(ApiError::Forbidden(
            "changing the password needs a signed-in session, not an API key".into(),
        ));
    };
    let user = &caller.user;
    let hash = state.store.password_hash(user.tenant_id, user.id).await?;
    if !state.passwords.verify(form.password, hash).await? {
        return Err(ApiError::BadRequest(
            "the current password is incorrect".into(),
        ));
    }
    let new_hash = state.passwords.hash(form.new_password).await?;
    let revoked = state
        .store
        .set_password(
            user.tenant_id,
            user.id,
            &new_hash,
            Some(session),
            unix_now(),
        )
        .await?;
    announce(&state, Announcement::UserChanged { user: user.id }).await;
    tracing::info!(user = %user.id, revoked, "password changed");
    Ok(Json(PasswordChanged {
        status: true,
        revoked_sessions: revoked,
    }))
}

/// An optional name for a new key.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
pub(crate) struct ApiKeyForm {
    #[validate(length(max = 255, message = "must be at most 255 characters"))]
    name: Option<String>,
}

/// A key as listed to its owner.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApiKeyResponse {
    #[schema(value_type = String)]
    id: ApiKeyId,
    name: String,
    /// The first characters of the key.
    prefix: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl From<ApiKeyRecord> for ApiKeyResponse {
    fn from(record: ApiKeyRecord) -> Self {
        Self {
            id: record.id,
            name: record.name,
            prefix: record.key_prefix,
            created_at: record.created_at,
            last_used_at: record.last_used_at,
        }
    }
}

/// A new key: `api_key` is shown this once and never again.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CreatedApiKey {
    api_key: String,
    #[serde(flatten)]
    key: ApiKeyResponse,
}

/// Creates a personal API key, usable as `Authorization: Bearer sk-hearth-…`. The body is optional.
#[utoipa::path(
    post,
    path = "/api/v1/auths/api_key",
    tag = "auths",
    security(("bearer" = [])),
    request_body(content = Option<ApiKeyForm>, description = "optional"),
    responses((status = 200, description = "Success", body = CreatedApiKey), (status = 403, description = "The caller's role does not allow this", body = ErrorBody), (status = 409, description = "Conflicts with existing data", body = ErrorBody))
)]
async fn create_api_key(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    body: Bytes,
) -> Result<Json<CreatedApiKey>, ApiError> {
    let form: ApiKeyForm = if body.iter().all(u8::is_ascii_whitespace) {
        ApiKeyForm::default()
    } else {
        json::validated(json::parse(&body)?)?
    };
    let user = &caller.user;
    if state
        .store
        .list_api_keys(user.tenant_id, user.id)
        .await?
        .len()
        >= MAX_API_KEYS_PER_USER
    {
        return Err(ApiError::Conflict(format!(
            "you already have {MAX_API_KEYS_PER_USER} API keys; delete one first"
        )));
    }
    let generated = api_key::generate();
    let name = form
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("API key");
    let new = NewApiKey {
        id: ApiKeyId::new(),
        tenant_id: user.tenant_id,
        user_id: user.id,
        name,
        key_prefix: &generated.display_prefix,
        key_hash: &generated.digest,
    };
    let record = state.store.create_api_key(new, unix_now()).await?;
    Ok(Json(CreatedApiKey {
        api_key: generated.key,
        key: record.into(),
    }))
}

/// The caller's API keys (without the keys themselves).
#[utoipa::path(
    get,
    path = "/api/v1/auths/api_keys",
    tag = "auths",
    security(("bearer" = [])),
    responses((status = 200, description = "Success", body = Vec<ApiKeyResponse>))
)]
async fn list_api_keys(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
) -> Result<Json<Vec<ApiKeyResponse>>, ApiError> {
    let keys = state
        .store
        .list_api_keys(caller.user.tenant_id, caller.user.id)
        .await?;
    Ok(Json(keys.into_iter().map(Into::into).collect()))
}

/// Deletes one of the caller's API keys, revoking it at once.
#[utoipa::path(
    delete,
    path = "/api/v1/auths/api_keys/{id}",
    tag = "auths",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The key's id")),
    responses((status = 200, description = "Success", body = Done), (status = 404, description = "No such resource", body = ErrorBody))
)]
async fn delete_api_key(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<ApiKeyId>,
) -> Result<Json<Done>, ApiError> {
    if !state
        .store
        .delete_api_key(caller.user.tenant_id, caller.user.id, id)
        .await?
    {
        return Err(ApiError::NotFound("API key not found".into()));
    }
    Ok(Json(Done::ok()))
}
