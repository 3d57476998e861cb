//! The vector index seam: nearest-neighbour search over embedded passages.

use std::fmt;

use async_trait::async_trait;
use serde_json::Value;

use super::SeamError;

/// A passage and its embedding.
#[derive(Clone, Debug, PartialEq)]
pub struct VectorRecord {
    /// Stable id, so re-indexing the same passage replaces it instead of duplicating it.
    pub id: String,
    pub vector: Vec<f32>,
    pub text: String,
    /// Source file, page, heading, tenant… returned with hits for citations and filtering.
    pub metadata: Value,
}

/// A search result; higher `score` is closer (cosine similarity).
#[derive(Clone, Debug, PartialEq)]
pub struct VectorHit {
    pub id: String,
    pub score: f32,
    pub text: String,
    pub metadata: Value,
}

/// Which records a search may return: for every condition, the record's metadata field `key` must be
/// a string equal to one of `values`. No conditions: every record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VectorFilter {
    pub conditions: Vec<FieldIn>,
}

/// One condition of a [`VectorFilter`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldIn {
    pub key: String,
    pub values: Vec<String>,
}

impl VectorFilter {
    /// Every record.
    pub fn all() -> Self {
        Self::default()
    }

    /// Adds the condition that `key` is one of `values`.
    pub fn field_in(mut self, key: &str, values: impl IntoIterator<Item = String>) -> Self {
        self.conditions.push(FieldIn {
            key: key.to_owned(),
            values: values.into_iter().collect(),
        });
        self
    }

    /// Whether a record's metadata passes.
    pub fn matches(&self, metadata: &Value) -> bool {
        self.conditions.iter().all(|condition| {
            metadata
                .get(&condition.key)
                .and_then(Value::as_str)
                .is_some_and(|value| condition.values.iter().any(|v| v == value))
        })
    }
}

/// Checks a collection name: 1 to 48 characters of `a-z`, `0-9` and `_`, starting with a letter, so
/// every backend can use it as a table or collection name as it is.
pub fn check_collection_name(name: &str) -> Result<(), SeamError> {
    let valid = (1..=48).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(SeamError::Invalid(format!(
            "`{name}` is not a collection name (a-z, 0-9 and _, starting with a letter, at most 48)"
        )))
    }
}

/// Checks an upsert's records: the length every vector shares, or `None` for no records. Every
/// backend refuses mixed or empty vectors the same way.
pub fn upsert_dimensions(records: &[VectorRecord]) -> Result<Option<usize>, SeamError> {
    let Some(dims) = records.first().map(|r| r.vector.len()) else {
        return Ok(None);
    };
    if dims == 0 || records.iter().any(|r| r.vector.len() != dims) {
        return Err(SeamError::Invalid(
            "every vector of an upsert must have the same, non-zero length".into(),
        ));
    }
    Ok(Some(dims))
}

/// The error for a vector whose length is not the collection's.
pub fn wrong_dimensions(collection: &str, stored: usize, given: usize) -> SeamError {
    SeamError::Invalid(format!(
        "collection `{collection}` holds {stored}-dimensional vectors, not {given}"
    ))
}

/// `delete_matching` with no condition would delete everything: refused.
pub fn refuse_empty_filter(filter: &VectorFilter) -> Result<(), SeamError> {
    if filter.conditions.is_empty() {
        Err(SeamError::Invalid(
            "delete_matching needs at least one condition".into(),
        ))
    } else {
        Ok(())
    }
}

/// Collections of vectors searched by cosine similarity. Backends must return equivalent results for
/// the same data, and the embedded one must be safe under concurrent readers and writers.
#[async_trait]
pub trait VectorIndex: Send + Sync + fmt::Debug + 'static {
    /// The backend's name (`embedded`, `pgvector`, …).
    fn backend(&self) -> &'static str;
    /// Inserts or replaces records by id, creating the collection on first use; every vector of a
    /// collection has the same length. Durable once it returns.
    async fn upsert(&self, collection: &str, records: Vec<VectorRecord>) -> Result<(), SeamError>;
    /// The `k` records closest to `vector` among those `filter` lets through, closest first. A
    /// collection that does not exist has no records.
    async fn search(
        &self,
        collection: &str,
        vector: &[f32],
        k: usize,
        filter: &VectorFilter,
    ) -> Result<Vec<VectorHit>, SeamError>;
    /// How many records the collection holds (0 when it does not exist).
    async fn count(&self, collection: &str) -> Result<u64, SeamError>;
    /// Removes records by id; missing ids are ignored.
    async fn delete(&self, collection: &str, ids: &[String]) -> Result<(), SeamError>;
    /// Removes every record `filter` lets through (a file's passages when it is re-indexed or goes).
    /// An empty filter is refused, so a mistake cannot empty a collection.
    async fn delete_matching(
        &self,
        collection: &str,
        filter: &VectorFilter,
    ) -> Result<(), SeamError>;
    /// Removes a collection and everything in it.
    async fn drop_collection(&self, collection: &str) -> Result<(), SeamError>;
    /// Whether the index answers, for `/ready`.
    async fn check(&self) -> Result<(), SeamError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_need_every_condition_and_collection_names_are_plain() {
        let filter = VectorFilter::all()
            .field_in("file", ["a".to_owned(), "b".to_owned()])
            .field_in("tenant", ["t".to_owned()]);
        assert!(filter.matches(&serde_json::json!({"file": "b", "tenant": "t"})));
        assert!(!filter.matches(&serde_json::json!({"file": "c", "tenant": "t"})));
        assert!(!filter.matches(&serde_json::json!({"file": "a"})));
        assert!(VectorFilter::all().matches(&serde_json::json!({})));
        assert!(check_collection_name("t1_minilm").is_ok());
        for bad in ["", "1abc", "Abc", "a-b", "a b", &"a".repeat(49)] {
            assert!(check_collection_name(bad).is_err(), "{bad:?}");
        }
    }
}
