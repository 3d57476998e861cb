//! Events about jobs, published on the coordination bus to the channel of the job's owner and
//! relayed to their WebSocket connections.

use hearth_core::UserId;
use serde::Serialize;
use uuid::Uuid;

/// The bus channel that carries one user's events.
pub fn user_channel(user: UserId) -> String {
    format!("user:{user}")
}

/// An event about a job, as JSON with a `type`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum JobEvent {
    /// The handler reported how far it got.
    #[serde(rename = "job.progress")]
    Progress {
        job_id: Uuid,
        kind: String,
        done: u64,
        total: u64,
        message: String,
    },
    /// The job finished successfully.
    #[serde(rename = "job.succeeded")]
    Succeeded { job_id: Uuid, kind: String },
    /// A run failed; `retrying` says whether another attempt follows.
    #[serde(rename = "job.failed")]
    Failed {
        job_id: Uuid,
        kind: String,
        reason: String,
        retrying: bool,
    },
}
