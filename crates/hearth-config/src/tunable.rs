//! The settings an administrator may change while Hearth runs (retrieval, upload limits, sign-up,
//! title generation), unless the environment or the config file sets them: what an operator fixes
//! in the deployment wins, and the admin UI shows it locked.
//!
//! Values set in the UI are stored by the server and laid over the loaded settings with
//! [`Settings::with_admin_values`]; they are typed and checked exactly like the environment's.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::load::{Kind, kind, properties};
use crate::reference::{choices, description};
use crate::{ConfigError, RagSettings, SecuritySettings, Settings};

/// Where a tunable setting belongs in the admin UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TunableGroup {
    Rag,
    Limits,
    Accounts,
    Models,
}

/// One setting as the admin UI shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TunableSetting {
    pub name: &'static str,
    pub group: TunableGroup,
    pub description: String,
    /// `integer`, `number`, `boolean`, `string`, `list` (of strings) or `choice` (one of `choices`).
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<String>>,
    /// The value in force.
    pub value: Value,
    /// The value when neither the environment nor an administrator sets it.
    pub default: Value,
    /// Set by the environment or the config file: administrators cannot change it.
    pub locked: bool,
}

/// Generates, for each tunable setting, how to read it, write it and describe it, from one list of
/// `NAME => group, section type, section field, field`.
macro_rules! tunables {
    ($($name:literal => $group:ident, $section_type:ty, $section:ident . $field:ident;)*) => {
        /// The names of the settings administrators may change, in the order the UI shows them.
        pub const TUNABLES: &[&str] = &[$($name),*];

        fn group_of(name: &str) -> Option<TunableGroup> {
            match name {
                $($name => Some(TunableGroup::$group),)*
                _ => None,
            }
        }

        fn current(settings: &Settings, name: &str) -> Value {
            match name {
                $($name => serde_json::to_value(&settings.$section.$field)
                    .expect("plain settings serialise"),)*
                _ => Value::Null,
            }
        }

        fn assign(settings: &mut Settings, name: &str, value: Value) -> Result<(), String> {
            match name {
                $($name => settings.$section.$field = typed(value)?,)*
                _ => return Err("is not a setting administrators can change".into()),
            }
            Ok(())
        }

        fn describe(name: &str) -> (String, &'static str, Option<Vec<String>>) {
            match name {
                $($name => property::<$section_type>(name),)*
                _ => (String::new(), "string", None),
            }
        }
    };
}

tunables! {
    "RAG_TOP_K" => Rag, RagSettings, rag.rag_top_k;
    "ENABLE_RAG_HYBRID_SEARCH" => Rag, RagSettings, rag.enable_rag_hybrid_search;
    "RAG_HYBRID_BM25_WEIGHT" => Rag, RagSettings, rag.rag_hybrid_bm25_weight;
    "CHUNK_SIZE" => Rag, RagSettings, rag.chunk_size;
    "CHUNK_OVERLAP" => Rag, RagSettings, rag.chunk_overlap;
    "FILE_MAX_SIZE" => Limits, SecuritySettings, security.file_max_size;
    "FILE_MAX_COUNT" => Limits, SecuritySettings, security.file_max_count;
    "FILE_USER_QUOTA" => Limits, SecuritySettings, security.file_user_quota;
    "FILE_ALLOWED_EXTENSIONS" => Limits, SecuritySettings, security.file_allowed_extensions;
    "ENABLE_SIGNUP" => Accounts, SecuritySettings, security.enable_signup;
    "DEFAULT_USER_ROLE" => Accounts, SecuritySettings, security.default_user_role;
    "ENABLE_TITLE_GENERATION" => Models, crate::ModelSettings, models.enable_title_generation;
}

fn typed<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_json::from_value(value).map_err(|e| e.to_string())
}

/// The description, kind and choices of one property of a section, from its JSON schema (the same
/// doc comments that make docs/configuration.md).
fn property<T: JsonSchema>(name: &str) -> (String, &'static str, Option<Vec<String>>) {
    let schema = schemars::schema_for!(T);
    let Some((_, value)) = properties(&schema).find(|(key, _)| key.as_str() == name) else {
        return (String::new(), "string", None);
    };
    let choices = choices(value, &schema);
    let kind = match (kind(value, &schema), &choices) {
        (_, Some(_)) => "choice",
        (Kind::Bool, _) => "boolean",
        (Kind::Integer, _) => "integer",
        (Kind::Number, _) => "number",
        (Kind::List { .. }, _) => "list",
        (Kind::Text, _) => "string",
    };
    (description(value), kind, choices)
}

impl Settings {
    /// Whether the environment or the config file set `name` (so administrators cannot change it).
    pub fn is_fixed(&self, name: &str) -> bool {
        self.fixed.contains(name)
    }

    /// Treats `name` as set by the environment (for settings built in code, such as tests').
    pub fn mark_fixed(&mut self, name: &str) {
        self.fixed.insert(name.to_owned());
    }

    /// Every tunable setting with its value in force, for the admin UI.
    pub fn tunables(&self) -> Vec<TunableSetting> {
        let defaults = Settings::default();
        TUNABLES
            .iter()
            .map(|&name| {
                let (description, kind, choices) = describe(name);
                TunableSetting {
                    name,
                    group: group_of(name).unwrap_or(TunableGroup::Rag),
                    description,
                    kind,
                    choices,
                    value: current(self, name),
                    default: current(&defaults, name),
                    locked: self.is_fixed(name),
                }
            })
            .collect()
    }

    /// These settings with administrators' `values` laid over them (`null` means the default).
    /// Names the environment fixes are skipped: the deployment wins. Unknown names and values of
    /// the wrong type are refused, as are combinations the start-up checks refuse.
    pub fn with_admin_values(&self, values: &BTreeMap<String, Value>) -> Result<Self, ConfigError> {
        let defaults = Settings::default();
        let mut settings = self.clone();
        let mut problems = Vec::new();
        for (name, value) in values {
            if group_of(name).is_none() {
                problems.push(format!("{name} is not a setting administrators can change"));
                continue;
            }
            if self.is_fixed(name) {
                continue;
            }
            let value = if value.is_null() && !current(&defaults, name).is_null() {
                current(&defaults, name)
            } else {
                value.clone()
            };
            let shown = value.to_string();
            if assign(&mut settings, name, value).is_err() {
                let (_, kind, choices) = describe(name);
                let expected = match choices {
                    Some(choices) => format!("one of {}", choices.join(", ")),
                    None if kind == "list" => "a list of strings".to_owned(),
                    None => format!("a{} {kind}", if kind == "integer" { "n" } else { "" }),
                };
                problems.push(format!("{name}: expected {expected}, got {shown}"));
            }
        }
        problems.extend(settings.tunable_problems());
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(ConfigError { problems })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Settings {
        Settings::from_sources(
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            None,
        )
        .unwrap()
    }

    fn values(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn the_environment_locks_what_it_sets() {
        let settings = env(&[("RAG_TOP_K", "3"), ("ENABLE_SIGNUP", "")]);
        let listing = settings.tunables();
        let top_k = listing.iter().find(|s| s.name == "RAG_TOP_K").unwrap();
        assert!(top_k.locked);
        assert_eq!(top_k.value, Value::from(3));
        assert_eq!(top_k.default, Value::from(5));
        assert_eq!(top_k.kind, "integer");
        assert!(!top_k.description.is_empty());
        // An empty variable counts as unset, so it does not lock.
        let signup = listing.iter().find(|s| s.name == "ENABLE_SIGNUP").unwrap();
        assert!(!signup.locked);
        assert_eq!(signup.kind, "boolean");
        let role = listing
            .iter()
            .find(|s| s.name == "DEFAULT_USER_ROLE")
            .unwrap();
        assert_eq!(role.kind, "choice");
        assert_eq!(
            role.choices.as_deref(),
            Some(&["pending".to_owned(), "user".to_owned()][..])
        );
        let extensions = listing
            .iter()
            .find(|s| s.name == "FILE_ALLOWED_EXTENSIONS")
            .unwrap();
        assert_eq!(extensions.kind, "list");
        assert_eq!(listing.len(), TUNABLES.len());
    }

    #[test]
    fn admin_values_apply_where_the_environment_is_silent() {
        let settings = env(&[("RAG_TOP_K", "3")]);
        let changed = settings
            .with_admin_values(&values(&[
                ("RAG_TOP_K", Value::from(9)),
                ("CHUNK_SIZE", Value::from(800)),
                ("FILE_MAX_SIZE", Value::from(10)),
                ("FILE_ALLOWED_EXTENSIONS", serde_json::json!(["pdf", "md"])),
                ("DEFAULT_USER_ROLE", Value::from("user")),
            ]))
            .unwrap();
        assert_eq!(changed.rag.rag_top_k, 3, "the environment wins");
        assert_eq!(changed.rag.chunk_size, 800);
        assert_eq!(changed.security.file_max_size, Some(10));
        assert_eq!(changed.security.file_allowed_extensions, ["pdf", "md"]);
        assert_eq!(
            changed.security.default_user_role,
            crate::DefaultUserRole::User
        );
        // Null is the default again: no limit, and the default chunk size.
        let cleared = changed
            .with_admin_values(&values(&[
                ("FILE_MAX_SIZE", Value::Null),
                ("CHUNK_SIZE", Value::Null),
            ]))
            .unwrap();
        assert_eq!(cleared.security.file_max_size, None);
        assert_eq!(cleared.rag.chunk_size, Settings::default().rag.chunk_size);
    }

    #[test]
    fn wrong_values_are_refused_with_their_names() {
        let settings = env(&[]);
        let error = settings
            .with_admin_values(&values(&[
                ("RAG_TOP_K", Value::from("many")),
                ("DATABASE_URL", Value::from("postgres://x")),
                ("CHUNK_OVERLAP", Value::from(5000)),
            ]))
            .unwrap_err();
        let text = error.to_string();
        assert!(text.contains("RAG_TOP_K:"), "{text}");
        assert!(text.contains("DATABASE_URL is not a setting"), "{text}");
        assert!(
            text.contains("CHUNK_OVERLAP (5000) must be smaller"),
            "{text}"
        );
    }
}
