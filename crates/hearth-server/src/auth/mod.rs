//! Authentication and roles: who is calling (a session token or a personal API key) and whether their
//! role allows the route. Handlers ask for [`Authenticated`], [`ActiveUser`] or [`AdminUser`]; the
//! extractor has already rejected everyone else.

mod activity;
pub mod api_key;
pub mod password;
pub mod tokens;

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, UPGRADE};
use axum::http::request::Parts;
use hearth_core::time::unix_now;
use hearth_core::{ApiKeyId, Role, SessionId, User};

pub use activity::ActivityRecorder;

use crate::{ApiError, AppState};

/// How the caller proved who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A sign-in token; the id is the session it belongs to.
    Session(SessionId),
    /// A personal API key.
    ApiKey(ApiKeyId),
}

/// Any signed-in caller, whatever their role (pending users may look at their own account).
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub user: User,
    pub credential: Credential,
}

/// A caller whose role is `user` or `admin`.
#[derive(Clone, Debug)]
pub struct ActiveUser(pub Authenticated);

/// A caller whose role is `admin`.
#[derive(Clone, Debug)]
pub struct AdminUser(pub Authenticated);

/// The bearer credential: from `Authorization`, or for a WebSocket handshake (where browsers cannot
/// set headers) from the `token` query parameter.
fn credential(parts: &Parts) -> Result<String, ApiError> {
    let Some(header) = parts.headers.get(AUTHORIZATION) else {
        let websocket = parts
            .headers
            .get(UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
        let from_query = websocket
            .then(|| parts.uri.query())
            .flatten()
            .and_then(|query| {
                form_urlencoded::parse(query.as_bytes())
                    .find(|(name, _)| name == "token")
                    .map(|(_, value)| value.into_owned())
            })
            .filter(|token| !token.is_empty());
        return from_query.ok_or_else(|| {
            ApiError::Unauthorized(
                "not authenticated: send Authorization: Bearer <token> (WebSockets may pass ?token=)".into(),
            )
        });
    };
    header
        .to_str()
        .ok()
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
        })
}

fn unauthorized() -> ApiError {
    ApiError::Unauthorized("invalid or expired credentials".into())
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let credential = credential(parts)?;
        let credential = credential.as_str();
        let now = unix_now();
        let authenticated = if api_key::is_api_key(credential) {
            let (user, key_id, last_used) = state
                .store
                .api_key_user(&api_key::digest(credential))
                .await?
                .ok_or_else(unauthorized)?;
            state.activity.record_api_key_use(key_id, last_used, now);
            Authenticated {
                user,
                credential: Credential::ApiKey(key_id),
            }
        } else {
            let claims = state.tokens.verify(credential).ok_or_else(unauthorized)?;
            let generation = state.bus.generation();
            let user = match state.sessions.get(claims.sid, generation) {
                Some(user) => user,
                None => {
                    let ticket = state.sessions.ticket(generation);
                    let user = state
                        .store
                        .session_user(claims.sid, now)
                        .await?
                        .ok_or_else(unauthorized)?;
                    state
                        .sessions
                        .put(claims.sid, &user, ticket, state.bus.generation());
                    user
                }
            };
            if user.id != claims.sub || user.tenant_id != claims.tid {
                return Err(unauthorized());
            }
            Authenticated {
                user,
                credential: Credential::Session(claims.sid),
            }
        };
        if state
            .activity
            .record_user_activity(&authenticated.user, now)
            && let Credential::Session(session) = authenticated.credential
        {
            state.sessions.touch(session, now);
        }
        state.rate_limiter.check_user(authenticated.user.id).await?;
        Ok(authenticated)
    }
}

impl FromRequestParts<AppState> for ActiveUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = Authenticated::from_request_parts(parts, state).await?;
        if !caller.user.role.is_active() {
            return Err(ApiError::Forbidden(
                "your account is waiting for an administrator's approval".into(),
            ));
        }
        Ok(Self(caller))
    }
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = Authenticated::from_request_parts(parts, state).await?;
        if caller.user.role != Role::Admin {
            return Err(ApiError::Forbidden(
                "this needs the administrator role".into(),
            ));
        }
        Ok(Self(caller))
    }
}
