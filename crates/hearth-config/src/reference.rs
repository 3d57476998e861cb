//! Generates `docs/configuration.md` from the settings' doc comments, types and defaults.

use std::collections::BTreeSet;
use std::fmt::Write;

use schemars::{JsonSchema, Schema};
use serde_json::Value;

use crate::load::{self, Kind};
use crate::sections::*;

/// Each section's heading and schema, in the order the reference lists them.
fn sections() -> Vec<(&'static str, Schema)> {
    fn schema<T: JsonSchema>() -> Schema {
        schemars::schema_for!(T)
    }
    vec![
        ("Core", schema::<CoreSettings>()),
        ("Database", schema::<DatabaseSettings>()),
        ("Redis and realtime", schema::<RedisSettings>()),
        ("Vector index", schema::<VectorSettings>()),
        ("File storage", schema::<StorageSettings>()),
        ("Retrieval (RAG)", schema::<RagSettings>()),
        ("Model connections", schema::<ModelSettings>()),
        ("Security", schema::<SecuritySettings>()),
        ("Background jobs", schema::<JobSettings>()),
        ("Observability", schema::<ObservabilitySettings>()),
    ]
}

/// Every setting name Hearth reads.
pub(crate) fn known_names() -> BTreeSet<String> {
    sections()
        .iter()
        .flat_map(|(_, schema)| {
            load::properties(schema)
                .map(|(name, _)| name.clone())
                .collect::<Vec<_>>()
        })
        .chain([crate::CONFIG_FILE_VAR.to_owned()])
        .collect()
}

/// The configuration reference as Markdown.
pub fn reference_markdown() -> String {
    let mut out = String::new();
    out.push_str("# Configuration reference\n\n");
    out.push_str("<!-- Generated from crates/hearth-config/src/sections.rs by its tests; do not edit by hand. -->\n\n");
    out.push_str(
        "Hearth reads its settings from environment variables. A TOML file of `NAME = value` pairs \
         (names in any case) can be named with `HEARTH_CONFIG_FILE` or `hearth --config FILE`; \
         the environment wins over the file, and an empty variable means \"unset\". Unknown keys in the \
         file are refused. Settings are validated at start: a setting that cannot work stops the process \
         with a one-line reason, a probable mistake is logged as a warning.\n",
    );
    for (title, schema) in sections() {
        let _ = write!(out, "\n## {title}\n\n");
        // The section's `title` is its type name; only the description is for readers.
        let about = schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .replace('\n', " ");
        if !about.is_empty() {
            let _ = write!(out, "{about}\n\n");
        }
        out.push_str("| Variable | Type | Default | Meaning |\n|---|---|---|---|\n");
        for (name, property) in load::properties(&schema) {
            let _ = writeln!(
                out,
                "| `{name}` | {} | {} | {} |",
                type_label(property, &schema),
                default_label(property.get("default")),
                description(property).replace('|', "\\|")
            );
        }
    }
    out
}

/// schemars splits a doc comment into `title` and `description` at the first blank line; join them.
pub(crate) fn description(value: &Value) -> String {
    let part = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let text = [part("title"), part("description")]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    text.replace('\n', " ")
}

/// The values a property may take when it is an enum (also inside `Option`).
pub(crate) fn choices(property: &Value, root: &Schema) -> Option<Vec<String>> {
    let resolved = load::resolve(property, root);
    enum_values(resolved).or_else(|| {
        ["anyOf", "oneOf"].iter().find_map(|key| {
            resolved
                .get(*key)?
                .as_array()?
                .iter()
                .find_map(|o| enum_values(load::resolve(o, root)))
        })
    })
}

fn type_label(property: &Value, root: &Schema) -> String {
    let resolved = load::resolve(property, root);
    if let Some(variants) = choices(property, root) {
        return format!(
            "one of {}",
            variants
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let secret = resolved.get("writeOnly") == Some(&Value::Bool(true))
        || serde_json::to_string(resolved).is_ok_and(|s| s.contains("\"writeOnly\":true"));
    match load::kind(property, root) {
        Kind::Bool => "`true`/`false`".into(),
        Kind::Integer => "integer".into(),
        Kind::Number => "number".into(),
        Kind::List { separator, .. } => format!("list (`{separator}`-separated)"),
        Kind::Text if secret => "secret".into(),
        Kind::Text if serde_json::to_string(resolved).is_ok_and(|s| s.contains("\"duration\"")) => {
            "duration".into()
        }
        Kind::Text => "text".into(),
    }
}

/// Values of a string enum, whether written as `enum` or as `oneOf` of `const`s (with doc comments).
fn enum_values(schema: &Value) -> Option<Vec<String>> {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return Some(
            values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        );
    }
    let options = schema.get("oneOf")?.as_array()?;
    let consts: Vec<String> = options
        .iter()
        .filter_map(|o| o.get("const").and_then(Value::as_str).map(str::to_owned))
        .collect();
    (consts.len() == options.len() && !consts.is_empty()).then_some(consts)
}

fn default_label(default: Option<&Value>) -> String {
    match default {
        None | Some(Value::Null) => "unset".into(),
        Some(Value::Array(items)) if items.is_empty() => "empty".into(),
        Some(Value::String(text)) => format!("`{text}`"),
        Some(other) => format!("`{other}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_name_is_a_setting() {
        let names = known_names();
        for name in [
            "DATA_DIR",
            "HOST",
            "PORT",
            "HEARTH_SECRET_KEY",
            "HEARTH_ENCRYPTION_KEY",
            "JWT_EXPIRES_IN",
            "CORS_ALLOW_ORIGIN",
            "LOG_LEVEL",
            "LOG_FORMAT",
            "DATABASE_URL",
            "DATABASE_POOL_SIZE",
            "DATABASE_POOL_MAX_OVERFLOW",
            "DATABASE_POOL_TIMEOUT",
            "DATABASE_SQLITE_PRAGMA_BUSY_TIMEOUT",
            "ENABLE_DB_MIGRATIONS",
            "DATABASE_USER_ACTIVE_STATUS_UPDATE_INTERVAL",
            "REDIS_URL",
            "REDIS_SENTINEL_HOSTS",
            "REDIS_CLUSTER",
            "REDIS_SOCKET_CONNECT_TIMEOUT",
            "WEBSOCKET_MANAGER",
            "VECTOR_DB",
            "PGVECTOR_DB_URL",
            "QDRANT_URI",
            "QDRANT_API_KEY",
            "CHROMA_HTTP_HOST",
            "CHROMA_HTTP_PORT",
            "STORAGE_PROVIDER",
            "S3_BUCKET_NAME",
            "S3_REGION_NAME",
            "S3_ENDPOINT_URL",
            "S3_ACCESS_KEY_ID",
            "S3_SECRET_ACCESS_KEY",
            "S3_KEY_PREFIX",
            "S3_ADDRESSING_STYLE",
            "CONTENT_EXTRACTION_ENGINE",
            "TIKA_SERVER_URL",
            "RAG_EMBEDDING_ENGINE",
            "RAG_EMBEDDING_MODEL",
            "RAG_EMBEDDING_BATCH_SIZE",
            "RAG_OPENAI_API_BASE_URL",
            "RAG_OPENAI_API_KEY",
            "RAG_OLLAMA_BASE_URL",
            "CHUNK_SIZE",
            "CHUNK_OVERLAP",
            "RAG_TOP_K",
            "ENABLE_RAG_HYBRID_SEARCH",
            "OPENAI_API_BASE_URLS",
            "OPENAI_API_KEYS",
            "OLLAMA_BASE_URLS",
            "ENABLE_OPENAI_API",
            "ENABLE_OLLAMA_API",
            "ENABLE_SIGNUP",
            "DEFAULT_USER_ROLE",
            "FILE_MAX_SIZE",
            "FILE_MAX_COUNT",
            "FILE_ALLOWED_EXTENSIONS",
            "ENABLE_PROFILE_IMAGE_URL_FORWARDING",
            "OUTBOUND_ALLOW_REDIRECTS",
            "WEB_FETCH_FILTER_LIST",
            "OAUTH_CLIENT_ID",
            "OAUTH_CLIENT_SECRET",
            "OPENID_PROVIDER_URL",
            "OAUTH_SESSION_TOKEN_ENCRYPTION_KEY",
            "ENABLE_OTEL",
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_SERVICE_NAME",
            "ENABLE_METRICS",
            "ENABLE_AUDIT_LOG",
            "HEARTH_INLINE_WORKER",
        ] {
            assert!(names.contains(name), "{name} is not a setting");
        }
    }

    #[test]
    fn every_setting_is_documented() {
        for (title, schema) in sections() {
            for (name, property) in load::properties(&schema) {
                assert!(
                    !description(property).is_empty(),
                    "{title}: {name} has no doc comment"
                );
            }
        }
    }

    /// Regenerates the checked-in reference; fails (after rewriting it) when it was stale, so CI
    /// catches a settings change whose documentation was not committed.
    #[test]
    fn configuration_reference_is_up_to_date() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md");
        let expected = reference_markdown();
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        if actual != expected {
            std::fs::write(&path, &expected).unwrap();
            panic!(
                "docs/configuration.md was stale and has been regenerated; review and commit it"
            );
        }
    }
}
