//! Typed identifiers: a `UserId` cannot be passed where a `TenantId` is expected.
//!
//! Identifiers are UUIDv7 (time-ordered, so new rows append to indexes) and are stored as their
//! 36-character text form on every database backend.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(text).map(Self)
            }
        }
    };
}

id_type!(
    /// An organisation. Every user-owned row carries one; a single-organisation install has one.
    TenantId
);
id_type!(
    /// A person's account.
    UserId
);
id_type!(
    /// One sign-in: the token's `sid` claim. Revoking it signs that token out everywhere.
    SessionId
);
id_type!(
    /// A personal API key.
    ApiKeyId
);
id_type!(
    /// A group of users, used to grant access to models (and later knowledge bases).
    GroupId
);
id_type!(
    /// A connection to a model server.
    ConnectionId
);
id_type!(
    /// A chat.
    ChatId
);
id_type!(
    /// A message in a chat's tree.
    MessageId
);
id_type!(
    /// A folder of chats.
    FolderId
);
id_type!(
    /// A file in the drive; while it is being uploaded, also the id of its resumable upload.
    FileId
);
id_type!(
    /// A folder of the drive (a tree per user, separate from chat folders).
    DriveFolderId
);
id_type!(
    /// A knowledge base: a set of files answered from together.
    KnowledgeId
);

impl TenantId {
    /// The tenant created by the first migration; single-organisation installs use only this one.
    pub const DEFAULT: TenantId = TenantId(Uuid::nil());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let id = UserId::new();
        assert_eq!(id.to_string().len(), 36);
        assert_eq!(id.to_string().parse::<UserId>().unwrap(), id);
        assert!("not-a-uuid".parse::<UserId>().is_err());
    }

    #[test]
    fn new_ids_are_time_ordered() {
        let first = SessionId::new();
        let second = SessionId::new();
        assert!(first < second);
    }
}
