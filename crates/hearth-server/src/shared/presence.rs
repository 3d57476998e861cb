//! Presence: who has a realtime connection open, on any replica. Each WebSocket is a member
//! `{user}/{connection}` of its tenant's set, renewed with every heartbeat and removed when it
//! closes; a replica that dies leaves members that expire after [`PRESENCE_TTL`].

use std::collections::BTreeSet;
use std::time::Duration;

use hearth_core::seams::{Coordinator, SeamError};
use hearth_core::{TenantId, UserId};

/// How long a connection counts as present after its last heartbeat.
pub const PRESENCE_TTL: Duration = Duration::from_secs(75);

fn set(tenant: TenantId) -> String {
    format!("presence:{tenant}")
}

fn member(user: UserId, connection: &str) -> String {
    format!("{user}/{connection}")
}

/// Marks (or keeps) a connection present.
pub async fn touch(
    bus: &dyn Coordinator,
    tenant: TenantId,
    user: UserId,
    connection: &str,
) -> Result<(), SeamError> {
    bus.touch_member(&set(tenant), &member(user, connection), PRESENCE_TTL)
        .await
}

/// Marks a connection gone.
pub async fn leave(
    bus: &dyn Coordinator,
    tenant: TenantId,
    user: UserId,
    connection: &str,
) -> Result<(), SeamError> {
    bus.remove_member(&set(tenant), &member(user, connection))
        .await
}

/// The users of `tenant` with at least one connection open.
pub async fn online(bus: &dyn Coordinator, tenant: TenantId) -> Result<Vec<UserId>, SeamError> {
    let users: BTreeSet<UserId> = bus
        .members(&set(tenant))
        .await?
        .iter()
        .filter_map(|member| member.split_once('/')?.0.parse().ok())
        .collect();
    Ok(users.into_iter().collect())
}
