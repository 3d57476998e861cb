//! Connections to model servers, groups of users, and the per-model settings administrators choose.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{ConnectionId, GroupId, UserId};

/// The protocol a model server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionKind {
    /// OpenAI's API (`/models`, `/chat/completions`): OpenAI, vLLM, llama.cpp, LM Studio, OpenRouter…
    Openai,
    /// Ollama's native API (`/api/tags`, `/api/chat`).
    Ollama,
}

impl ConnectionKind {
    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionKind::Openai => "openai",
            ConnectionKind::Ollama => "ollama",
        }
    }
}

impl fmt::Display for ConnectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ConnectionKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "openai" => Ok(ConnectionKind::Openai),
            "ollama" => Ok(ConnectionKind::Ollama),
            other => Err(format!(
                "unknown connection kind `{other}` (expected openai or ollama)"
            )),
        }
    }
}

/// Where a connection is defined: in the environment (read-only) or by an administrator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionSource {
    Environment,
    Admin,
}

/// A model server and how to reach it. `api_key` is the plaintext key, held only in memory.
#[derive(Clone, PartialEq, Eq)]
pub struct Connection {
    pub id: ConnectionId,
    pub kind: ConnectionKind,
    pub name: String,
    pub base_url: String,
    pub api_key: Option<String>,
    /// Put before every model id of this connection (`prefix.model`), to keep ids unique.
    pub prefix: Option<String>,
    /// Only these upstream model ids are offered; empty offers all.
    pub model_allow_list: Vec<String>,
    pub enabled: bool,
    pub source: ConnectionSource,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("prefix", &self.prefix)
            .field("model_allow_list", &self.model_allow_list)
            .field("enabled", &self.enabled)
            .field("source", &self.source)
            .finish()
    }
}

impl Connection {
    /// The key with all but its last four characters hidden, for display.
    pub fn masked_key(&self) -> Option<String> {
        self.api_key.as_deref().map(mask_secret)
    }
}

/// `sk-…abcd`: enough to recognise a key, never enough to use it.
pub fn mask_secret(secret: &str) -> String {
    let tail: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if secret.chars().count() <= 8 {
        "…".to_owned()
    } else {
        format!("…{tail}")
    }
}

/// A group of users.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub description: String,
    pub member_ids: Vec<UserId>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Who may use something: everyone (`None` in [`ModelOverride::access`]) or these groups and users.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessList {
    #[serde(default)]
    pub group_ids: Vec<GroupId>,
    #[serde(default)]
    pub user_ids: Vec<UserId>,
}

impl AccessList {
    /// Whether a user in `groups` is on the list.
    pub fn allows(&self, user: UserId, groups: &[GroupId]) -> bool {
        self.user_ids.contains(&user) || groups.iter().any(|g| self.group_ids.contains(g))
    }
}

/// What an administrator set for one model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelOverride {
    pub model_id: String,
    pub display_name: Option<String>,
    /// Hidden models are not listed; they still answer by id to those allowed.
    #[serde(default)]
    pub hidden: bool,
    /// `None`: every user; otherwise only the listed groups and users (and admins).
    pub access: Option<AccessList>,
    /// Prepended as a system message when the request has none.
    pub system_prompt: Option<String>,
    /// Default request parameters (`temperature`, …); the request's own values win.
    pub params: serde_json::Map<String, serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_to_their_last_four_characters() {
        assert_eq!(mask_secret("sk-abcdefghijkl"), "…ijkl");
        assert_eq!(mask_secret("short"), "…");
    }

    #[test]
    fn access_lists_allow_listed_users_and_group_members() {
        let (group, user, other) = (GroupId::new(), UserId::new(), UserId::new());
        let list = AccessList {
            group_ids: vec![group],
            user_ids: vec![user],
        };
        assert!(list.allows(user, &[]));
        assert!(list.allows(other, &[group]));
        assert!(!list.allows(other, &[GroupId::new()]));
    }
}
