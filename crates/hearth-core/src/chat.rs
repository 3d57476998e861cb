//! Chats: a tree of messages (edits and regenerations are siblings), a selected branch, folders, tags
//! and read-only share snapshots.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{ChatId, FolderId, MessageId, UserId};

/// The title of a chat nobody (and no title model) has named yet.
pub const DEFAULT_TITLE: &str = "New Chat";

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageRole {
    System,
    User,
    Assistant,
}

/// Where an assistant message is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    /// Written in full.
    Complete,
    /// The answer is still arriving.
    Streaming,
    /// The model server failed; `error` says why. The content holds what arrived before.
    Error,
}

macro_rules! text_enum {
    ($type:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $type {
            /// The stored and shown name.
            pub fn as_str(self) -> &'static str {
                match self { $($type::$variant => $text),* }
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $type {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text => Ok($type::$variant),)*
                    other => Err(format!(concat!("unknown ", stringify!($type), " `{}`"), other)),
                }
            }
        }
    };
}

text_enum!(MessageRole { System => "system", User => "user", Assistant => "assistant" });
text_enum!(MessageStatus { Complete => "complete", Streaming => "streaming", Error => "error" });

/// A chat without its messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chat {
    pub id: ChatId,
    pub user_id: UserId,
    pub title: String,
    pub folder_id: Option<FolderId>,
    pub pinned: bool,
    pub archived: bool,
    /// The leaf of the selected branch.
    pub current_message_id: Option<MessageId>,
    pub tags: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One message in a chat's tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub parent_id: Option<MessageId>,
    pub role: MessageRole,
    pub content: String,
    /// The model that wrote an assistant message.
    pub model: Option<String>,
    pub status: MessageStatus,
    pub error: Option<String>,
    /// Token usage as reported by the model server.
    pub usage: Option<serde_json::Value>,
    /// The passages the answer was given (file, page or heading, text), numbered as cited.
    pub sources: Option<serde_json::Value>,
    pub created_at: i64,
}

/// A folder of chats (folders may nest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Folder {
    pub id: FolderId,
    pub parent_id: Option<FolderId>,
    pub name: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The messages on the path from the root to `leaf`, root first.
pub fn branch(messages: &[Message], leaf: Option<MessageId>) -> Vec<&Message> {
    let mut path = Vec::new();
    let mut next = leaf;
    while let Some(id) = next {
        let Some(message) = messages.iter().find(|m| m.id == id) else {
            break;
        };
        path.push(message);
        next = message.parent_id;
        if path.len() > messages.len() {
            break; // a cycle would be a corrupt tree; never loop forever
        }
    }
    path.reverse();
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: MessageId, parent: Option<MessageId>, content: &str) -> Message {
        Message {
            id,
            parent_id: parent,
            role: MessageRole::User,
            content: content.into(),
            model: None,
            status: MessageStatus::Complete,
            error: None,
            usage: None,
            sources: None,
            created_at: 0,
        }
    }

    #[test]
    fn a_branch_is_the_path_from_the_root_to_the_leaf() {
        let (a, b, c, d) = (
            MessageId::new(),
            MessageId::new(),
            MessageId::new(),
            MessageId::new(),
        );
        let tree = vec![
            message(a, None, "a"),
            message(b, Some(a), "b"),
            message(c, Some(a), "c"),
            message(d, Some(c), "d"),
        ];
        let contents: Vec<&str> = branch(&tree, Some(d))
            .iter()
            .map(|m| m.content.as_str())
            .collect();
        assert_eq!(contents, ["a", "c", "d"]);
        assert_eq!(branch(&tree, Some(b)).len(), 2);
        assert!(branch(&tree, None).is_empty());
    }

    #[test]
    fn roles_and_statuses_round_trip_through_text() {
        assert_eq!(
            "assistant".parse::<MessageRole>().unwrap(),
            MessageRole::Assistant
        );
        assert_eq!(MessageStatus::Streaming.to_string(), "streaming");
        assert!("robot".parse::<MessageRole>().is_err());
    }
}
