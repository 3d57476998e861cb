//! Reads raw values from the environment and a TOML file, types them by each section's JSON schema, and
//! deserialises the sections.
//!
//! Environment variables are strings; the schema says whether a name holds a boolean, a number, a list
//! (and with which separator) or text, so `PORT=8080` becomes a number while `HEARTH_SECRET_KEY=12345`
//! stays text.

use std::collections::BTreeMap;
use std::path::Path;

use schemars::{JsonSchema, Schema};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::ConfigError;

/// Raw setting values by upper-case name; the environment has already overridden the file.
#[derive(Debug, Default)]
pub(crate) struct RawValues {
    values: BTreeMap<String, RawValue>,
}

#[derive(Debug)]
enum RawValue {
    /// From the environment: text to be typed by the schema.
    Text { text: String },
    /// From the TOML file: already typed.
    Typed { value: Value, origin: String },
}

impl RawValues {
    /// Values from a TOML file: a flat table whose keys are setting names in any case.
    pub(crate) fn from_toml_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::invalid(format!("cannot read config file {}: {e}", path.display()))
        })?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| {
            let message = e.message().to_owned();
            ConfigError::invalid(format!(
                "config file {} is not valid TOML: {message}",
                path.display()
            ))
        })?;
        let mut values = BTreeMap::new();
        for (key, value) in table {
            let value = serde_json::to_value(&value)
                .map_err(|e| ConfigError::invalid(format!("{}: {key}: {e}", path.display())))?;
            let origin = format!("{} key {key}", path.display());
            values.insert(key.to_ascii_uppercase(), RawValue::Typed { value, origin });
        }
        Ok(Self { values })
    }

    /// Lays environment variables over the values, keeping only names in `known`. An empty variable
    /// counts as unset, so `FOO=` restores the default.
    pub(crate) fn overlay_env(
        &mut self,
        env: impl IntoIterator<Item = (String, String)>,
        known: &dyn Fn(&str) -> bool,
    ) {
        for (name, text) in env {
            if !known(&name) {
                continue;
            }
            if text.trim().is_empty() {
                self.values.remove(&name);
            } else {
                self.values.insert(name, RawValue::Text { text });
            }
        }
    }

    /// Every name that has a value.
    pub(crate) fn names(&self) -> std::collections::BTreeSet<String> {
        self.values.keys().cloned().collect()
    }

    /// Names present in the values that no section declares (typos in the config file).
    pub(crate) fn unknown_names(&self, known: &dyn Fn(&str) -> bool) -> Vec<String> {
        self.values
            .keys()
            .filter(|name| !known(name))
            .cloned()
            .collect()
    }

    /// Builds one section from the values whose names it declares.
    pub(crate) fn section<T: DeserializeOwned + JsonSchema>(&self) -> Result<T, ConfigError> {
        let schema = schemars::schema_for!(T);
        let mut object = Map::new();
        for (name, property) in properties(&schema) {
            let Some(raw) = self.values.get(name) else {
                continue;
            };
            let value = match raw {
                RawValue::Typed { value, .. } => value.clone(),
                RawValue::Text { text } => typed_from_text(name, text, &kind(property, &schema))?,
            };
            object.insert(name.clone(), value);
        }
        serde_path_to_error::deserialize::<_, T>(Value::Object(object)).map_err(|e| {
            let name = e.path().to_string();
            let origin = match self.values.get(&name) {
                Some(RawValue::Typed { origin, .. }) => origin.clone(),
                _ => name,
            };
            ConfigError::invalid(format!("{origin}: {}", e.inner()))
        })
    }
}

/// The properties of a section's schema, in declaration order.
pub(crate) fn properties(schema: &Schema) -> impl Iterator<Item = (&String, &Value)> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|props| props.iter())
}

/// What kind of value a property holds, as far as reading text goes.
#[derive(Debug, PartialEq)]
pub(crate) enum Kind {
    Bool,
    Integer,
    Number,
    Text,
    /// `positional` lists keep empty items, because their position pairs them with another list.
    List {
        separator: String,
        positional: bool,
    },
}

/// Resolves `$ref`, `anyOf`/`oneOf` (for `Option<T>`) and `type` arrays down to one kind.
pub(crate) fn kind(property: &Value, root: &Schema) -> Kind {
    let property = resolve(property, root);
    if property.get("type").and_then(Value::as_str) == Some("array")
        || property
            .get("type")
            .and_then(Value::as_array)
            .is_some_and(|types| types.iter().any(|t| t == "array"))
    {
        let separator = property
            .get("x-separator")
            .and_then(Value::as_str)
            .unwrap_or(";");
        let positional = property
            .get("x-positional")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        return Kind::List {
            separator: separator.to_owned(),
            positional,
        };
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = property.get(key).and_then(Value::as_array)
            && let Some(first) = options
                .iter()
                .find(|o| o.get("type") != Some(&"null".into()))
        {
            return kind(first, root);
        }
    }
    let type_name = match property.get("type") {
        Some(Value::String(name)) => name.as_str(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string"),
        _ => "string",
    };
    match type_name {
        "boolean" => Kind::Bool,
        "integer" => Kind::Integer,
        "number" => Kind::Number,
        _ => Kind::Text,
    }
}

/// Follows a local `$ref` (`#/$defs/Name`) to its definition.
pub(crate) fn resolve<'a>(property: &'a Value, root: &'a Schema) -> &'a Value {
    let Some(reference) = property.get("$ref").and_then(Value::as_str) else {
        return property;
    };
    reference
        .strip_prefix("#/$defs/")
        .and_then(|name| root.get("$defs")?.get(name))
        .unwrap_or(property)
}

fn typed_from_text(name: &str, text: &str, kind: &Kind) -> Result<Value, ConfigError> {
    let text = text.trim();
    let fail =
        |expected: &str| ConfigError::invalid(format!("{name}: expected {expected}, got `{text}`"));
    Ok(match kind {
        Kind::Bool => match text.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Value::Bool(true),
            "false" | "0" | "no" | "off" => Value::Bool(false),
            _ => return Err(fail("true or false")),
        },
        Kind::Integer => text
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| text.parse::<u64>().map(Value::from))
            .map_err(|_| fail("a whole number"))?,
        Kind::Number => text
            .parse::<f64>()
            .ok()
            .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
            .ok_or_else(|| fail("a number"))?,
        Kind::Text => Value::String(text.to_owned()),
        Kind::List {
            separator,
            positional,
        } => Value::Array(
            text.split(separator.as_str())
                .map(str::trim)
                .filter(|item| *positional || !item.is_empty())
                .map(|item| Value::String(item.to_owned()))
                .collect(),
        ),
    })
}
