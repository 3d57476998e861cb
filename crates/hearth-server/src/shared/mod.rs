//! What replicas share beyond the database: announcements that drop each other's caches
//! (revoked sessions, changed users, changed settings), the session cache they protect, rate
//! limits and presence — all over the coordination bus, in-process on embedded defaults.
//!
//! An announcement is applied on this process first and then published, so the replica that
//! made a change never depends on the bus for it; the others apply it when it arrives (each
//! replica's listener, [`listen`]). When the bus is away, caches stop being trusted (sessions) or
//! fall back to their few seconds of time-to-live (model settings).

pub mod presence;
pub mod rate_limit;
pub mod sessions;

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use hearth_core::seams::Coordinator;
use hearth_core::{SessionId, UserId};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::llm::ModelDirectory;
use crate::tunables::Tunables;
pub use sessions::SessionCache;

/// The bus channel announcements travel on.
pub const SYSTEM_CHANNEL: &str = "system";

/// A change other replicas must know of at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Announcement {
    /// A session was signed out.
    SessionRevoked { session: SessionId },
    /// A user's password, role or account changed (or the account was deleted).
    UserChanged { user: UserId },
    /// Model settings (names, visibility, access, defaults) changed.
    ModelSettingsChanged,
    /// Connections to model servers changed.
    ConnectionsChanged,
    /// An administrator changed settings in the UI (retrieval, upload limits, sign-up).
    SettingsChanged,
}

/// Applies `announcement` here, then tells the other replicas.
pub async fn announce(state: &AppState, announcement: Announcement) {
    apply(
        &state.sessions,
        &state.models,
        &state.tunables,
        &announcement,
    )
    .await;
    tell_others(state, announcement).await;
}

/// Tells the other replicas of a change already applied here.
pub async fn tell_others(state: &AppState, announcement: Announcement) {
    if let Err(error) = publish(state.bus.as_ref(), &announcement).await {
        state.metrics.coordination_fallbacks.inc();
        tracing::warn!(%error, ?announcement, "could not tell the other replicas; their caches expire by themselves");
    }
}

/// Publishes `announcement` to every replica on `bus` (for processes without an application, such
/// as `hearth admin`).
pub async fn publish(
    bus: &dyn Coordinator,
    announcement: &Announcement,
) -> Result<(), hearth_core::seams::SeamError> {
    let payload = Bytes::from(serde_json::to_vec(announcement).expect("announcements serialise"));
    bus.publish(SYSTEM_CHANNEL, payload).await
}

async fn apply(
    sessions: &SessionCache,
    models: &ModelDirectory,
    tunables: &Tunables,
    announcement: &Announcement,
) {
    match announcement {
        Announcement::SessionRevoked { session } => sessions.forget_session(*session),
        Announcement::UserChanged { user } => sessions.forget_user(*user),
        Announcement::ModelSettingsChanged => models.forget_overrides(),
        Announcement::ConnectionsChanged => {
            if let Err(error) = models.reload().await {
                tracing::warn!(%error, "could not re-read the connections another replica changed");
            }
        }
        Announcement::SettingsChanged => {
            if let Err(error) = tunables.reload().await {
                tracing::warn!(%error, "could not re-read the settings another replica changed");
            }
        }
    }
}

/// Applies the other replicas' announcements for as long as the application lives. It holds the
/// caches weakly, so an application that is dropped (as tests do) lets the listener end.
pub async fn listen(
    bus: &Arc<dyn Coordinator>,
    sessions: &Arc<SessionCache>,
    models: &Arc<ModelDirectory>,
    tunables: &Arc<Tunables>,
) -> Result<(), hearth_core::seams::SeamError> {
    let mut messages = bus.subscribe(SYSTEM_CHANNEL).await?;
    let (sessions, models, tunables) = (
        Arc::downgrade(sessions),
        Arc::downgrade(models),
        Arc::downgrade(tunables),
    );
    tokio::spawn(async move {
        while let Some(message) = messages.next().await {
            let (Some(sessions), Some(models), Some(tunables)) =
                (sessions.upgrade(), models.upgrade(), tunables.upgrade())
            else {
                return;
            };
            match serde_json::from_slice::<Announcement>(&message) {
                Ok(announcement) => apply(&sessions, &models, &tunables, &announcement).await,
                Err(error) => tracing::warn!(%error, "an unreadable announcement on the bus"),
            }
        }
    });
    Ok(())
}
