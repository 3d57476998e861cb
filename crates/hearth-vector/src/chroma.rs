//! `VECTOR_DB=chroma`: a Chroma server over its HTTP API (v2, `chroma run`), collections in the
//! default tenant and database, cosine space. Chroma stores only scalar metadata, so nulls are left
//! out and nested values are stored as JSON text.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use hearth_core::seams::{
    SeamError, VectorFilter, VectorHit, VectorIndex, VectorRecord, check_collection_name,
    refuse_empty_filter, upsert_dimensions,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// Records sent per request (Chroma refuses batches past its `max_batch_size`, 5461 by default).
const BATCH: usize = 1000;

/// A client of a Chroma server.
#[derive(Debug)]
pub struct ChromaIndex {
    client: reqwest::Client,
    base: String,
    /// Collection name → Chroma's id for it.
    ids: tokio::sync::Mutex<HashMap<String, String>>,
}

#[derive(Deserialize)]
struct CollectionInfo {
    id: String,
}

#[derive(Deserialize)]
struct QueryResult {
    ids: Vec<Vec<String>>,
    distances: Option<Vec<Vec<Option<f32>>>>,
    documents: Option<Vec<Vec<Option<String>>>>,
    metadatas: Option<Vec<Vec<Option<Value>>>>,
}

impl ChromaIndex {
    /// A client of the server at `host:port` (`CHROMA_HTTP_HOST` may carry a scheme).
    pub fn new(host: &str, port: u16) -> Result<Self, SeamError> {
        // rustls with ring is the build's one TLS stack; installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let origin = if host.starts_with("http://") || host.starts_with("https://") {
            format!("{}:{port}", host.trim_end_matches('/'))
        } else {
            format!("http://{host}:{port}")
        };
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| SeamError::Backend(format!("chroma client: {e}")))?;
        Ok(Self {
            client,
            base: format!(
                "{origin}/api/v2/tenants/default_tenant/databases/default_database/collections"
            ),
            ids: tokio::sync::Mutex::new(HashMap::new()),
        })
    }

    /// Chroma's id for a collection; `create` makes it when missing, otherwise `None`.
    async fn collection_id(&self, name: &str, create: bool) -> Result<Option<String>, SeamError> {
        if let Some(id) = self.ids.lock().await.get(name) {
            return Ok(Some(id.clone()));
        }
        let response = if create {
            self.client
                .post(&self.base)
                .json(&json!({
                    "name": name,
                    "get_or_create": true,
                    "metadata": {"hnsw:space": "cosine"},
                }))
                .send()
                .await
        } else {
            self.client
                .get(format!("{}/{name}", self.base))
                .send()
                .await
        };
        let response = response.map_err(unreachable)?;
        if !create && response.status().as_u16() == 404 {
            return Ok(None);
        }
        let info: CollectionInfo = answer(response).await?;
        self.ids
            .lock()
            .await
            .insert(name.to_owned(), info.id.clone());
        Ok(Some(info.id))
    }

    async fn post(
        &self,
        id: &str,
        action: &str,
        body: Value,
    ) -> Result<reqwest::Response, SeamError> {
        let response = self
            .client
            .post(format!("{}/{id}/{action}", self.base))
            .json(&body)
            .send()
            .await
            .map_err(unreachable)?;
        if response.status().as_u16() == 404 {
            // The collection went away behind our back (dropped by another replica).
            self.ids.lock().await.retain(|_, known| known != id);
        }
        Ok(response)
    }
}

#[async_trait]
impl VectorIndex for ChromaIndex {
    fn backend(&self) -> &'static str {
        "chroma"
    }

    async fn upsert(&self, collection: &str, records: Vec<VectorRecord>) -> Result<(), SeamError> {
        check_collection_name(collection)?;
        if upsert_dimensions(&records)?.is_none() {
            return Ok(());
        }
        let id = self
            .collection_id(collection, true)
            .await?
            .unwrap_or_default();
        for batch in records.chunks(BATCH) {
            let body = json!({
                "ids": batch.iter().map(|r| &r.id).collect::<Vec<_>>(),
                "embeddings": batch.iter().map(|r| &r.vector).collect::<Vec<_>>(),
                "documents": batch.iter().map(|r| &r.text).collect::<Vec<_>>(),
                "metadatas": batch.iter().map(|r| scalar_metadata(&r.metadata)).collect::<Vec<_>>(),
            });
            let response = self.post(&id, "upsert", body).await?;
            answer::<Value>(response).await?;
        }
        Ok(())
    }

    async fn search(
        &self,
        collection: &str,
        vector: &[f32],
        k: usize,
        filter: &VectorFilter,
    ) -> Result<Vec<VectorHit>, SeamError> {
        check_collection_name(collection)?;
        let Some(id) = self.collection_id(collection, false).await? else {
            return Ok(Vec::new());
        };
        if k == 0 {
            return Ok(Vec::new());
        }
        let mut body = json!({
            "query_embeddings": [vector],
            "n_results": k,
            "include": ["documents", "metadatas", "distances"],
        });
        if let Some(clause) = where_clause(filter) {
            body["where"] = clause;
        }
        let response = self.post(&id, "query", body).await?;
        let result: QueryResult = answer(response).await?;
        let ids = result.ids.into_iter().next().unwrap_or_default();
        let distances = result
            .distances
            .and_then(|d| d.into_iter().next())
            .unwrap_or_default();
        let documents = result
            .documents
            .and_then(|d| d.into_iter().next())
            .unwrap_or_default();
        let metadatas = result
            .metadatas
            .and_then(|m| m.into_iter().next())
            .unwrap_or_default();
        Ok(ids
            .into_iter()
            .enumerate()
            .map(|(i, id)| VectorHit {
                id,
                // Chroma's cosine distance is 1 − cosine similarity.
                score: 1.0 - distances.get(i).copied().flatten().unwrap_or(1.0),
                text: documents.get(i).cloned().flatten().unwrap_or_default(),
                metadata: metadatas.get(i).cloned().flatten().unwrap_or(Value::Null),
            })
            .collect())
    }

    async fn count(&self, collection: &str) -> Result<u64, SeamError> {
        check_collection_name(collection)?;
        let Some(id) = self.collection_id(collection, false).await? else {
            return Ok(0);
        };
        let response = self
            .client
            .get(format!("{}/{id}/count", self.base))
            .send()
            .await
            .map_err(unreachable)?;
        answer(response).await
    }

    async fn delete(&self, collection: &str, ids: &[String]) -> Result<(), SeamError> {
        check_collection_name(collection)?;
        if ids.is_empty() {
            return Ok(());
        }
        let Some(id) = self.collection_id(collection, false).await? else {
            return Ok(());
        };
        for batch in ids.chunks(BATCH) {
            let response = self.post(&id, "delete", json!({"ids": batch})).await?;
            answer::<Value>(response).await?;
        }
        Ok(())
    }

    async fn delete_matching(
        &self,
        collection: &str,
        filter: &VectorFilter,
    ) -> Result<(), SeamError> {
        check_collection_name(collection)?;
        refuse_empty_filter(filter)?;
        let Some(clause) = where_clause(filter) else {
            return Ok(());
        };
        let Some(id) = self.collection_id(collection, false).await? else {
            return Ok(());
        };
        let response = self.post(&id, "delete", json!({"where": clause})).await?;
        answer::<Value>(response).await.map(|_| ())
    }

    async fn drop_collection(&self, collection: &str) -> Result<(), SeamError> {
        check_collection_name(collection)?;
        self.ids.lock().await.remove(collection);
        let response = self
            .client
            .delete(format!("{}/{collection}", self.base))
            .send()
            .await
            .map_err(unreachable)?;
        // Chroma reports a missing collection as 404 (or 400 on some versions): already gone.
        if response.status().is_success() || matches!(response.status().as_u16(), 400 | 404) {
            return Ok(());
        }
        answer::<Value>(response).await.map(|_| ())
    }

    async fn check(&self) -> Result<(), SeamError> {
        let origin = self.base.split("/api/").next().unwrap_or_default();
        let response = self
            .client
            .get(format!("{origin}/api/v2/heartbeat"))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(unreachable)?;
        answer::<Value>(response).await.map(|_| ())
    }
}

/// Chroma's `where` for a filter: `{"key": {"$in": [...]}}`, several joined by `$and`.
fn where_clause(filter: &VectorFilter) -> Option<Value> {
    let mut clauses: Vec<Value> = filter
        .conditions
        .iter()
        .map(|c| json!({ c.key.clone(): {"$in": c.values} }))
        .collect();
    match clauses.len() {
        0 => None,
        1 => clauses.pop(),
        _ => Some(json!({"$and": clauses})),
    }
}

/// Metadata as Chroma stores it: scalars only, no nulls.
fn scalar_metadata(metadata: &Value) -> Value {
    let Value::Object(fields) = metadata else {
        return Value::Null;
    };
    let kept: Map<String, Value> = fields
        .iter()
        .filter_map(|(key, value)| match value {
            Value::Null => None,
            Value::Bool(_) | Value::Number(_) | Value::String(_) => {
                Some((key.clone(), value.clone()))
            }
            nested => Some((key.clone(), Value::String(nested.to_string()))),
        })
        .collect();
    if kept.is_empty() {
        Value::Null
    } else {
        Value::Object(kept)
    }
}

async fn answer<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, SeamError> {
    let status = response.status();
    if status.is_success() {
        return response
            .json()
            .await
            .map_err(|e| SeamError::Backend(format!("chroma answered something unexpected: {e}")));
    }
    let message = response.text().await.unwrap_or_default();
    Err(SeamError::Upstream {
        service: "chroma".into(),
        status: status.as_u16(),
        message: message.chars().take(500).collect(),
    })
}

fn unreachable(error: reqwest::Error) -> SeamError {
    if error.is_timeout() {
        SeamError::Timeout {
            service: "chroma".into(),
        }
    } else {
        SeamError::Unavailable {
            service: "chroma".into(),
            reason: error.to_string(),
        }
    }
}
