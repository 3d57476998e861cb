//! Accounts and roles.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{TenantId, UserId};

/// What an account may do. The first account of a tenant is an admin; later ones get the configured
/// default role (`pending` until an admin approves them, unless configured otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages users, connections and settings, and may do everything a user may.
    Admin,
    /// Uses Hearth.
    User,
    /// Signed up, may sign in and see their own account, but may do nothing else until approved.
    Pending,
}

impl Role {
    /// The role's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::User => "user",
            Role::Pending => "pending",
        }
    }

    /// Whether the role may use Hearth's features (users and admins).
    pub fn is_active(self) -> bool {
        matches!(self, Role::Admin | Role::User)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not `admin`, `user` or `pending`.
#[derive(Debug, thiserror::Error)]
#[error("unknown role `{0}` (expected admin, user or pending)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "admin" => Ok(Role::Admin),
            "user" => Ok(Role::User),
            "pending" => Ok(Role::Pending),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

/// An account, without its credentials.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    /// Lower-cased; unique within the tenant.
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// Unix seconds of the last recorded activity; written at most once per configured interval.
    pub last_active_at: Option<i64>,
}

/// The form an e-mail address is stored and compared in: trimmed and lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The display name of an account created without one: the part of the normalised e-mail before `@`.
pub fn default_name(email: &str) -> String {
    normalize_email(email)
        .split('@')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_compared_trimmed_and_lower_cased() {
        assert_eq!(normalize_email("  Ada@Example.ORG "), "ada@example.org");
        assert_eq!(default_name(" Ada@example.org"), "ada");
    }
}
