//! The embedded vector index: durable in a SQLite file under `DATA_DIR`, searched in memory.
//!
//! Every record is written to `vectors.sqlite` (WAL, `synchronous=FULL`) before `upsert` returns, so
//! an acknowledged vector survives `kill -9`; the in-memory index is only ever built from that file
//! (lazily, per collection, on first use), so rebuilding it is opening the collection again.
//!
//! Search runs in three stages, each on fewer candidates with more precision (see [`crate::codes`]):
//! a scan of 4-bit codes of the whole collection on every core (192 bytes a vector at 384
//! dimensions, so ~19 MB at 100k), a re-ranking of the best few hundred by their 8-bit codes, and
//! an exact re-scoring of the best few dozen from their stored `f32` vectors. Metadata filters
//! (`file_id`, …) use an inverted index, so a search within a few files scores only theirs, by
//! their 8-bit codes. Quantisation only decides which candidates reach the exact stage.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use hearth_core::seams::{
    SeamError, VectorFilter, VectorHit, VectorIndex, VectorRecord, check_collection_name,
    refuse_empty_filter, upsert_dimensions, wrong_dimensions,
};
use rayon::prelude::*;
use serde_json::Value;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Row};

use crate::codes::{Query, bytes_per_vector4, dot8, quantize4, quantize8};

/// Candidates the 4-bit scan keeps for re-ranking: `k × COARSE_FACTOR + COARSE_EXTRA`.
const COARSE_FACTOR: usize = 16;
const COARSE_EXTRA: usize = 100;
/// Candidates the 8-bit re-ranking keeps for exact scoring: `k × EXACT_FACTOR + EXACT_EXTRA`.
const EXACT_FACTOR: usize = 2;
const EXACT_EXTRA: usize = 10;
/// Slots scanned per parallel task.
const SCAN_CHUNK: usize = 8192;

/// The default vector index: a SQLite file plus an in-memory scan index per collection.
#[derive(Debug)]
pub struct EmbeddedIndex {
    pool: SqlitePool,
    collections: tokio::sync::Mutex<HashMap<String, Arc<Collection>>>,
    arch: pulp::Arch,
}

#[derive(Debug)]
struct Collection {
    slots: RwLock<Slots>,
    /// Serialises writers, so memory always follows the order of commits.
    writer: tokio::sync::Mutex<()>,
}

/// A collection in memory: one slot per record ever loaded or added; deleted slots are dead until
/// the collection is compacted.
#[derive(Debug, Default)]
struct Slots {
    dims: usize,
    /// 8-bit codes, `dims` a slot, and their scales.
    codes: Vec<i8>,
    scales: Vec<f32>,
    /// 4-bit codes, `bytes_per_vector4(dims)` a slot, and their scales.
    nibbles: Vec<u8>,
    nibble_scales: Vec<f32>,
    rowids: Vec<i64>,
    ids: Vec<String>,
    metadata: Vec<Value>,
    live: Vec<bool>,
    slot_of: HashMap<String, usize>,
    /// Metadata key → string value → slots that had it when written (checked again on use).
    fields: HashMap<String, HashMap<String, Vec<u32>>>,
    dead: usize,
}

impl EmbeddedIndex {
    /// Opens (creating) the index in `dir/vectors.sqlite`.
    pub async fn open(dir: &Path) -> Result<Self, SeamError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| backend(format!("cannot create {}: {e}", dir.display())))?;
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(|e| backend(e.to_string()))?
            .filename(dir.join("vectors.sqlite"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| backend(format!("cannot open the vector index: {e}")))?;
        for statement in [
            "CREATE TABLE IF NOT EXISTS vector_collections (name TEXT PRIMARY KEY, dims INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS vectors (rowid INTEGER PRIMARY KEY, collection TEXT NOT NULL, \
             id TEXT NOT NULL, vector BLOB NOT NULL, text TEXT NOT NULL, metadata TEXT NOT NULL, \
             UNIQUE (collection, id))",
        ] {
            sqlx::query(statement).execute(&pool).await.map_err(db)?;
        }
        Ok(Self {
            pool,
            collections: tokio::sync::Mutex::new(HashMap::new()),
            arch: pulp::Arch::new(),
        })
    }

    /// The collection in memory, loading it from disk on first use.
    async fn collection(&self, name: &str) -> Result<Arc<Collection>, SeamError> {
        let mut collections = self.collections.lock().await;
        if let Some(collection) = collections.get(name) {
            return Ok(collection.clone());
        }
        let collection = Arc::new(Collection {
            slots: RwLock::new(self.load(name).await?),
            writer: tokio::sync::Mutex::new(()),
        });
        collections.insert(name.to_owned(), collection.clone());
        Ok(collection)
    }

    async fn load(&self, name: &str) -> Result<Slots, SeamError> {
        let mut slots = Slots::default();
        let rows =
            sqlx::query("SELECT rowid, id, vector, metadata FROM vectors WHERE collection = ?")
                .bind(name)
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        for row in rows {
            let vector = decode(row.get::<&[u8], _>("vector"));
            let metadata =
                serde_json::from_str(row.get::<&str, _>("metadata")).unwrap_or(Value::Null);
            slots.put(row.get("id"), row.get("rowid"), &vector, metadata);
        }
        Ok(slots)
    }

    async fn dims_of(&self, name: &str) -> Result<Option<usize>, SeamError> {
        let dims: Option<i64> =
            sqlx::query_scalar("SELECT dims FROM vector_collections WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        Ok(dims.map(|d| d as usize))
    }
}

#[async_trait]
impl VectorIndex for EmbeddedIndex {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    async fn upsert(&self, collection: &str, records: Vec<VectorRecord>) -> Result<(), SeamError> {
        check_collection_name(collection)?;
        let Some(dims) = upsert_dimensions(&records)? else {
            return Ok(());
        };
        let target = self.collection(collection).await?;
        let _writer = target.writer.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("INSERT INTO vector_collections (name, dims) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")
            .bind(collection)
            .bind(dims as i64)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let stored: i64 = sqlx::query_scalar("SELECT dims FROM vector_collections WHERE name = ?")
            .bind(collection)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        if stored as usize != dims {
            return Err(wrong_dimensions(collection, stored as usize, dims));
        }
        let mut rowids = Vec::with_capacity(records.len());
        for record in &records {
            let rowid: i64 = sqlx::query_scalar(
                "INSERT INTO vectors (collection, id, vector, text, metadata) VALUES (?, ?, ?, ?, ?) \
                 ON CONFLICT (collection, id) DO UPDATE SET vector = excluded.vector, \
                 text = excluded.text, metadata = excluded.metadata RETURNING rowid",
            )
            .bind(collection)
            .bind(&record.id)
            .bind(encode(&record.vector))
            .bind(&record.text)
            .bind(record.metadata.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            rowids.push(rowid);
        }
        tx.commit().await.map_err(db)?;
        let mut slots = target.slots.write().unwrap_or_else(|e| e.into_inner());
        for (record, rowid) in records.into_iter().zip(rowids) {
            slots.put(record.id, rowid, &record.vector, record.metadata);
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
        if k == 0 {
            return Ok(Vec::new());
        }
        match self.dims_of(collection).await? {
            None => return Ok(Vec::new()),
            Some(dims) if dims != vector.len() => {
                return Err(wrong_dimensions(collection, dims, vector.len()));
            }
            Some(_) => {}
        }
        let target = self.collection(collection).await?;
        let query = Query::new(vector);
        let arch = self.arch;
        let filter = filter.clone();
        let candidates = tokio::task::spawn_blocking(move || {
            let slots = target.slots.read().unwrap_or_else(|e| e.into_inner());
            slots.candidates(arch, &query, &filter, k)
        })
        .await
        .map_err(|e| backend(e.to_string()))?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        // Re-score the candidates exactly from their stored vectors.
        let placeholders = vec!["?"; candidates.len()].join(",");
        let sql = format!(
            "SELECT id, vector, text, metadata FROM vectors WHERE rowid IN ({placeholders})"
        );
        let mut statement = sqlx::query(AssertSqlSafe(sql.as_str()));
        for rowid in &candidates {
            statement = statement.bind(*rowid);
        }
        let rows = statement.fetch_all(&self.pool).await.map_err(db)?;
        let query_norm = norm(vector);
        let mut hits: Vec<VectorHit> = rows
            .into_iter()
            .map(|row| {
                let stored = decode(row.get::<&[u8], _>("vector"));
                VectorHit {
                    id: row.get("id"),
                    score: cosine(vector, query_norm, &stored),
                    text: row.get("text"),
                    metadata: serde_json::from_str(row.get::<&str, _>("metadata"))
                        .unwrap_or(Value::Null),
                }
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        hits.truncate(k);
        Ok(hits)
    }

    async fn count(&self, collection: &str) -> Result<u64, SeamError> {
        check_collection_name(collection)?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM vectors WHERE collection = ?")
            .bind(collection)
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        Ok(count as u64)
    }

    async fn delete(&self, collection: &str, ids: &[String]) -> Result<(), SeamError> {
        check_collection_name(collection)?;
        if ids.is_empty() || self.dims_of(collection).await?.is_none() {
            return Ok(());
        }
        let target = self.collection(collection).await?;
        let _writer = target.writer.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        for id in ids {
            sqlx::query("DELETE FROM vectors WHERE collection = ? AND id = ?")
                .bind(collection)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        let mut slots = target.slots.write().unwrap_or_else(|e| e.into_inner());
        for id in ids {
            slots.remove(id);
        }
        slots.compact_if_sparse();
        Ok(())
    }

    async fn delete_matching(
        &self,
        collection: &str,
        filter: &VectorFilter,
    ) -> Result<(), SeamError> {
        check_collection_name(collection)?;
        refuse_empty_filter(filter)?;
        if self.dims_of(collection).await?.is_none() {
            return Ok(());
        }
        let target = self.collection(collection).await?;
        let ids: Vec<String> = {
            let slots = target.slots.read().unwrap_or_else(|e| e.into_inner());
            slots
                .allowed(filter)
                .into_iter()
                .filter(|&slot| slots.live[slot] && filter.matches(&slots.metadata[slot]))
                .map(|slot| slots.ids[slot].clone())
                .collect()
        };
        self.delete(collection, &ids).await
    }

    async fn drop_collection(&self, collection: &str) -> Result<(), SeamError> {
        check_collection_name(collection)?;
        let mut collections = self.collections.lock().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("DELETE FROM vectors WHERE collection = ?")
            .bind(collection)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("DELETE FROM vector_collections WHERE name = ?")
            .bind(collection)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        collections.remove(collection);
        Ok(())
    }

    async fn check(&self) -> Result<(), SeamError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }
}

impl Slots {
    /// Adds a record, or replaces the one with the same id in place.
    fn put(&mut self, id: String, rowid: i64, vector: &[f32], metadata: Value) {
        if self.dims == 0 {
            self.dims = vector.len();
        }
        let (code, scale) = quantize8(vector);
        let (nibbles, nibble_scale) = quantize4(vector);
        let slot = match self.slot_of.get(&id) {
            Some(&slot) => {
                self.codes[slot * self.dims..(slot + 1) * self.dims].copy_from_slice(&code);
                self.scales[slot] = scale;
                self.nibbles[slot * nibbles.len()..(slot + 1) * nibbles.len()]
                    .copy_from_slice(&nibbles);
                self.nibble_scales[slot] = nibble_scale;
                self.rowids[slot] = rowid;
                self.metadata[slot] = metadata;
                slot
            }
            None => {
                let slot = self.ids.len();
                self.codes.extend_from_slice(&code);
                self.scales.push(scale);
                self.nibbles.extend_from_slice(&nibbles);
                self.nibble_scales.push(nibble_scale);
                self.rowids.push(rowid);
                self.ids.push(id.clone());
                self.metadata.push(metadata);
                self.live.push(true);
                self.slot_of.insert(id, slot);
                slot
            }
        };
        if let Value::Object(fields) = &self.metadata[slot] {
            for (key, value) in fields {
                if let Value::String(value) = value {
                    let slots = self
                        .fields
                        .entry(key.clone())
                        .or_default()
                        .entry(value.clone())
                        .or_default();
                    if slots.last() != Some(&(slot as u32)) {
                        slots.push(slot as u32);
                    }
                }
            }
        }
    }

    fn remove(&mut self, id: &str) {
        if let Some(slot) = self.slot_of.remove(id) {
            self.live[slot] = false;
            self.dead += 1;
        }
    }

    /// Rebuilds the collection without its dead slots once they are a quarter of it.
    fn compact_if_sparse(&mut self) {
        if self.dead < 1024 || self.dead * 4 < self.ids.len() {
            return;
        }
        let old = std::mem::take(self);
        let dims = old.dims;
        self.dims = dims;
        for slot in (0..old.ids.len()).filter(|&s| old.live[s]) {
            let code = &old.codes[slot * dims..(slot + 1) * dims];
            let vector: Vec<f32> = code
                .iter()
                .map(|&c| f32::from(c) * old.scales[slot])
                .collect();
            // Re-quantising a dequantised 8-bit code gives the same code back (and 4-bit codes
            // within a rounding step).
            self.put(
                old.ids[slot].clone(),
                old.rowids[slot],
                &vector,
                old.metadata[slot].clone(),
            );
        }
    }

    /// The row ids of the candidates for the `k` best matches that pass `filter`, for exact
    /// scoring.
    fn candidates(
        &self,
        arch: pulp::Arch,
        query: &Query,
        filter: &VectorFilter,
        k: usize,
    ) -> Vec<i64> {
        let dims = self.dims;
        let score8 = |slot: usize| -> f32 {
            let code = &self.codes[slot * dims..(slot + 1) * dims];
            dot8(code, &query.code) as f32 * self.scales[slot] * query.scale
        };
        let coarse = if filter.conditions.is_empty() {
            self.scan4(query, k * COARSE_FACTOR + COARSE_EXTRA)
                .into_slots()
        } else {
            let allowed = self.allowed(filter);
            allowed
                .into_iter()
                .filter(|&slot| self.live[slot] && filter.matches(&self.metadata[slot]))
                .collect()
        };
        // Compiled for the best instruction set this CPU has (AVX-512, AVX2, …).
        let best = arch.dispatch(|| {
            let mut best = Best::new(k * EXACT_FACTOR + EXACT_EXTRA);
            for slot in coarse {
                best.offer(score8(slot), slot);
            }
            best
        });
        best.into_slots()
            .into_iter()
            .map(|slot| self.rowids[slot])
            .collect()
    }

    /// The `wanted` best live slots by their 4-bit codes, scanned in parallel.
    fn scan4(&self, query: &Query, wanted: usize) -> Best {
        let bytes = bytes_per_vector4(self.dims);
        let starts: Vec<usize> = (0..self.ids.len()).step_by(SCAN_CHUNK).collect();
        starts
            .into_par_iter()
            .map(|start| {
                let end = (start + SCAN_CHUNK).min(self.ids.len());
                let mut scores = vec![0; end - start];
                query.dot4_many(&self.nibbles[start * bytes..end * bytes], &mut scores);
                let mut best = Best::new(wanted);
                for (slot, score) in (start..end).zip(scores) {
                    if self.live[slot] {
                        best.offer(score as f32 * self.nibble_scales[slot], slot);
                    }
                }
                best
            })
            .reduce(|| Best::new(wanted), Best::merge)
    }

    /// Slots that may pass `filter`: those listed under every condition's values (the smallest
    /// condition's list is enough, the rest is checked per slot).
    fn allowed(&self, filter: &VectorFilter) -> Vec<usize> {
        let lists = filter.conditions.iter().map(|condition| {
            let values = self.fields.get(&condition.key);
            condition
                .values
                .iter()
                .filter_map(|v| values.and_then(|m| m.get(v)))
                .flatten()
                .map(|&s| s as usize)
                .collect::<Vec<_>>()
        });
        let mut smallest = lists.min_by_key(Vec::len).unwrap_or_default();
        smallest.sort_unstable();
        smallest.dedup();
        smallest
    }
}

/// The best `capacity` (score, slot) pairs offered so far.
struct Best {
    capacity: usize,
    heap: BinaryHeap<Scored>,
}

/// Ordered so the heap's top is the worst kept candidate.
#[derive(PartialEq)]
struct Scored(f32, usize);
impl Eq for Scored {}
impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scored {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .0
            .total_cmp(&self.0)
            .then_with(|| self.1.cmp(&other.1))
    }
}

impl Best {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            heap: BinaryHeap::with_capacity(capacity + 1),
        }
    }

    fn offer(&mut self, score: f32, slot: usize) {
        if self.heap.len() < self.capacity {
            self.heap.push(Scored(score, slot));
        } else if self.heap.peek().is_some_and(|worst| score > worst.0) {
            self.heap.pop();
            self.heap.push(Scored(score, slot));
        }
    }

    fn merge(mut self, other: Best) -> Best {
        for Scored(score, slot) in other.heap {
            self.offer(score, slot);
        }
        self
    }

    fn into_slots(self) -> Vec<usize> {
        self.heap.into_iter().map(|s| s.1).collect()
    }
}

fn norm(vector: &[f32]) -> f32 {
    vector.iter().map(|x| x * x).sum::<f32>().sqrt()
}

fn cosine(query: &[f32], query_norm: f32, stored: &[f32]) -> f32 {
    let dot: f32 = query.iter().zip(stored).map(|(a, b)| a * b).sum();
    let denominator = query_norm * norm(stored);
    if denominator == 0.0 {
        0.0
    } else {
        dot / denominator
    }
}

fn encode(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn decode(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn db(error: sqlx::Error) -> SeamError {
    SeamError::Backend(format!("vector index: {error}"))
}

fn backend(message: String) -> SeamError {
    SeamError::Backend(message)
}
