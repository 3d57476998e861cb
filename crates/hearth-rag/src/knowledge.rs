//! The knowledge service: queues files for ingestion, runs ingestion (extract → chunk → embed →
//! index), and retrieves passages for a question.
//!
//! Vectors live in one collection per tenant and embedding model (`p_{tenant}_{model}`), one
//! vector per passage under the passage's id; the relational passages are the source of truth and
//! a knowledge base is a list of files, so a file in several knowledge bases is embedded once.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use bytes::Bytes;
use futures::TryStreamExt;
use hearth_config::RagSettings;
use hearth_core::drive::{FileState, StoredFile};
use hearth_core::knowledge::{IngestStatus, Passage};
use hearth_core::seams::{
    Coordinator, Embedder, ExtractInput, Extractor, SeamError, VectorFilter, VectorIndex,
    VectorRecord,
};
use hearth_core::time::unix_now;
use hearth_core::{FileId, KnowledgeId, TenantId};
use hearth_db::Store;
use hearth_jobs::{JobContext, JobError, Jobs, user_channel};
use hearth_storage::Drive;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::chunk::{Chunker, embedding_text};
use crate::jobs::IngestFile;
use crate::{RagError, fusion};

/// Largest file ingestion reads (its text is then bounded by the extraction limits).
pub const MAX_DOCUMENT_BYTES: u64 = 256 * 1024 * 1024;
/// Passages embedded per progress step.
const EMBED_STEP: usize = 64;

/// Everything knowledge needs; cheap to clone.
#[derive(Clone, Debug)]
pub struct Knowledge {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    drive: Drive,
    jobs: Jobs,
    bus: Arc<dyn Coordinator>,
    extractor: Arc<dyn Extractor>,
    embedder: Arc<dyn Embedder>,
    vectors: Arc<dyn VectorIndex>,
    /// Replaced whole when an administrator changes chunking or fusion ([`Knowledge::retune`]).
    tuning: RwLock<Arc<Tuning>>,
}

/// The settings ingestion and retrieval read on every use (the rest is fixed at start).
#[derive(Debug)]
struct Tuning {
    chunker: Chunker,
    bm25_weight: f32,
}

impl Tuning {
    fn from_settings(settings: &RagSettings) -> Self {
        Self {
            chunker: Chunker::new(
                settings.chunk_size as usize,
                settings.chunk_overlap as usize,
            ),
            bm25_weight: settings.rag_hybrid_bm25_weight,
        }
    }
}

/// A passage found for a question, with what a citation shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Retrieved {
    pub passage: Passage,
    pub filename: String,
    /// The fused score (reciprocal rank fusion), or the cosine similarity without hybrid search.
    pub score: f32,
    /// Cosine similarity to the question, when the vector search found it.
    pub vector_score: Option<f32>,
    /// The full-text score, when full-text search found it.
    pub text_score: Option<f32>,
}

/// An event about a file's ingestion, sent to its owner's connections.
#[derive(Clone, Debug, Serialize)]
struct FileStatusEvent<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    file_id: FileId,
    status: IngestStatus,
    error: Option<&'a str>,
    passages: usize,
    knowledge_ids: &'a [KnowledgeId],
}

impl Knowledge {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Store,
        drive: Drive,
        jobs: Jobs,
        bus: Arc<dyn Coordinator>,
        extractor: Arc<dyn Extractor>,
        embedder: Arc<dyn Embedder>,
        vectors: Arc<dyn VectorIndex>,
        settings: RagSettings,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                drive,
                jobs,
                bus,
                extractor,
                embedder,
                vectors,
                tuning: RwLock::new(Arc::new(Tuning::from_settings(&settings))),
            }),
        }
    }

    pub fn vectors(&self) -> &Arc<dyn VectorIndex> {
        &self.inner.vectors
    }

    pub fn extractor(&self) -> &Arc<dyn Extractor> {
        &self.inner.extractor
    }

    pub fn embedder(&self) -> &Arc<dyn Embedder> {
        &self.inner.embedder
    }

    /// Puts new chunking and fusion settings in force for the documents and questions that
    /// come next (documents already indexed keep their passages until re-indexed).
    pub fn retune(&self, settings: &RagSettings) {
        *self
            .inner
            .tuning
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(Tuning::from_settings(settings));
    }

    fn tuning(&self) -> Arc<Tuning> {
        self.inner
            .tuning
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The vector collection of a tenant's passages under the current embedding model.
    pub fn collection(&self, tenant: TenantId) -> String {
        collection_name(tenant, self.inner.embedder.model())
    }

    /// Marks files pending and queues a job for each (their owners receive the progress).
    pub async fn queue_ingestion(&self, files: &[StoredFile]) -> Result<(), RagError> {
        let now = unix_now();
        let mut jobs = Vec::with_capacity(files.len());
        for file in files {
            self.inner
                .store
                .set_ingestion(file.tenant_id, file.id, IngestStatus::Pending, None, now)
                .await?;
            let job = IngestFile {
                file_id: file.id,
                user_id: file.user_id,
            };
            jobs.push(Jobs::new_job(&job, file.tenant_id, Some(file.user_id)));
        }
        self.inner.jobs.enqueue_many(jobs).await?;
        Ok(())
    }

    /// Runs one file's ingestion. Idempotent: a re-run replaces the file's passages and vectors.
    /// A document that cannot be read fails the file (with the reason) but not the job; a service
    /// that is down fails the job so it is retried, and the file fails on the last attempt.
    pub(crate) async fn ingest(
        &self,
        job: &IngestFile,
        cx: &JobContext,
        last_attempt: bool,
    ) -> Result<(), JobError> {
        let inner = &self.inner;
        let tenant = cx.tenant_id;
        let files = inner
            .store
            .files_by_ids(tenant, &[job.file_id])
            .await
            .map_err(retry)?;
        let Some(file) = files
            .into_iter()
            .next()
            .filter(|f| f.state == FileState::Ready)
        else {
            // Deleted (or never finished) since it was queued: nothing to index.
            return Ok(());
        };
        inner
            .store
            .set_ingestion(tenant, file.id, IngestStatus::Processing, None, unix_now())
            .await
            .map_err(retry)?;
        self.announce(&file, IngestStatus::Processing, None, 0)
            .await;
        match self.index_file(&file, cx).await {
            Ok(passages) => {
                self.announce(&file, IngestStatus::Ready, None, passages)
                    .await;
                Ok(())
            }
            Err(RagError::Document(reason)) => {
                self.fail(&file, &reason).await;
                Ok(())
            }
            Err(error) if last_attempt => {
                let reason = format!("ingestion failed after every attempt: {error}");
                self.fail(&file, &reason).await;
                Err(JobError::Fatal(reason))
            }
            Err(error) => Err(JobError::Retry(error.to_string())),
        }
    }

    async fn fail(&self, file: &StoredFile, reason: &str) {
        if let Err(error) = self
            .inner
            .store
            .set_ingestion(
                file.tenant_id,
                file.id,
                IngestStatus::Failed,
                Some(reason),
                unix_now(),
            )
            .await
        {
            tracing::warn!(file = %file.id, %error, "could not record a failed ingestion");
        }
        tracing::info!(file = %file.id, reason, "file failed ingestion");
        self.announce(file, IngestStatus::Failed, Some(reason), 0)
            .await;
    }

    /// Extract, chunk, embed, index; returns the number of passages.
    async fn index_file(&self, file: &StoredFile, cx: &JobContext) -> Result<usize, RagError> {
        let inner = &self.inner;
        if file.size() > MAX_DOCUMENT_BYTES {
            return Err(RagError::Document(format!(
                "the file is larger than the {} MB ingestion reads",
                MAX_DOCUMENT_BYTES / (1024 * 1024)
            )));
        }
        let bytes: Vec<Bytes> = inner
            .drive
            .read(file, 0..file.size())
            .await
            .map_err(|e| RagError::Service(e.to_string()))?
            .try_collect()
            .await
            .map_err(|e| RagError::Service(e.to_string()))?;
        let data = Bytes::from(bytes.concat());
        let markdown = is_markdown(&file.filename, &file.content_type);
        let document = inner
            .extractor
            .extract(ExtractInput {
                filename: file.filename.clone(),
                content_type: Some(file.content_type.clone()),
                data,
            })
            .await
            .map_err(document_or_service)?;
        let passages = self.tuning().chunker.passages(&document, markdown);
        if passages.is_empty() {
            return Err(RagError::Document(
                "the document has no text to index".into(),
            ));
        }
        let texts: Vec<String> = passages.iter().map(embedding_text).collect();
        let mut vectors = Vec::with_capacity(texts.len());
        for (step, batch) in texts.chunks(EMBED_STEP).enumerate() {
            vectors.extend(inner.embedder.embed(batch).await?);
            cx.progress(
                ((step + 1) * EMBED_STEP).min(texts.len()) as u64,
                texts.len() as u64,
                "embedding",
            )
            .await;
        }
        let collection = self.collection(file.tenant_id);
        let records = passages
            .iter()
            .zip(vectors)
            .enumerate()
            .map(|(seq, (passage, vector))| VectorRecord {
                id: Passage::id_of(file.id, seq as u32),
                vector,
                text: passage.text.clone(),
                metadata: json!({
                    "file_id": file.id.to_string(),
                    "tenant_id": file.tenant_id.to_string(),
                    "seq": seq,
                    "page": passage.page,
                    "heading": passage.heading,
                }),
            })
            .collect::<Vec<_>>();
        // Replace, not add: whatever an earlier (possibly interrupted) run indexed goes first.
        inner
            .vectors
            .delete_matching(&collection, &file_filter(&[file.id]))
            .await?;
        inner.vectors.upsert(&collection, records).await?;
        inner
            .store
            .replace_passages(
                file.tenant_id,
                file.id,
                &passages,
                inner.embedder.model(),
                unix_now(),
            )
            .await?;
        Ok(passages.len())
    }

    /// Tells the file's owner where its ingestion is (with the knowledge bases holding it, so a
    /// knowledge base's page can follow its files).
    async fn announce(
        &self,
        file: &StoredFile,
        status: IngestStatus,
        error: Option<&str>,
        passages: usize,
    ) {
        let knowledge_ids = self
            .inner
            .store
            .knowledge_ids_of_file(file.id)
            .await
            .unwrap_or_default();
        let event = FileStatusEvent {
            kind: "file.status",
            file_id: file.id,
            status,
            error,
            passages,
            knowledge_ids: &knowledge_ids,
        };
        let payload = Bytes::from(serde_json::to_vec(&event).unwrap_or_default());
        if let Err(error) = self
            .inner
            .bus
            .publish_event(&user_channel(file.user_id), payload)
            .await
        {
            tracing::warn!(file = %file.id, %error, "could not publish a file status event");
        }
    }

    /// Removes a deleted file's vectors (its passages went with it).
    pub async fn forget_file(&self, tenant: TenantId, file: FileId) -> Result<(), RagError> {
        self.inner
            .vectors
            .delete_matching(&self.collection(tenant), &file_filter(&[file]))
            .await?;
        Ok(())
    }

    /// Queues every file that was ever ingested again (after the embedding model changed, or to
    /// rebuild an index). Returns how many were queued.
    pub async fn reindex_all(&self) -> Result<usize, RagError> {
        let records = self.inner.store.all_ingestions().await?;
        let mut by_tenant: HashMap<TenantId, Vec<FileId>> = HashMap::new();
        for record in records {
            by_tenant
                .entry(record.tenant_id)
                .or_default()
                .push(record.file_id);
        }
        let mut queued = 0;
        for (tenant, ids) in by_tenant {
            let files = self.inner.store.files_by_ids(tenant, &ids).await?;
            queued += files.len();
            self.queue_ingestion(&files).await?;
        }
        Ok(queued)
    }

    /// The `k` passages of `files` that best answer `query`: vector search, fused with full-text
    /// search by reciprocal rank when `hybrid`. Passages of deleted files never come back.
    pub async fn retrieve(
        &self,
        tenant: TenantId,
        files: &[FileId],
        query: &str,
        k: usize,
        hybrid: bool,
    ) -> Result<Vec<Retrieved>, RagError> {
        let inner = &self.inner;
        if files.is_empty() || k == 0 || query.trim().is_empty() {
            return Ok(Vec::new());
        }
        let candidates = (k * 4).max(20);
        let vector = inner
            .embedder
            .embed(&[query.to_owned()])
            .await?
            .pop()
            .unwrap_or_default();
        let filter = file_filter(files).field_in("tenant_id", [tenant.to_string()]);
        let vector_hits = inner
            .vectors
            .search(&self.collection(tenant), &vector, candidates, &filter)
            .await?;
        let vector_ranked: Vec<(String, f32)> =
            vector_hits.into_iter().map(|h| (h.id, h.score)).collect();
        let text_ranked = if hybrid {
            inner
                .store
                .full_text_search(tenant, files, query, candidates as u64)
                .await?
        } else {
            Vec::new()
        };
        let fused = if hybrid {
            fusion::hybrid(&vector_ranked, &text_ranked, self.tuning().bm25_weight, k)
        } else {
            vector_ranked.iter().take(k).cloned().collect()
        };
        let ids: Vec<String> = fused.iter().map(|(id, _)| id.clone()).collect();
        let mut passages: HashMap<String, Passage> = inner
            .store
            .passages_by_ids(tenant, &ids)
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        let file_ids: Vec<FileId> = passages.values().map(|p| p.file_id).collect();
        let names: HashMap<FileId, String> = inner
            .store
            .files_by_ids(tenant, &file_ids)
            .await?
            .into_iter()
            .map(|f| (f.id, f.filename))
            .collect();
        let lookup =
            |list: &[(String, f32)], id: &str| list.iter().find(|(i, _)| i == id).map(|(_, s)| *s);
        Ok(fused
            .into_iter()
            .filter_map(|(id, score)| {
                let passage = passages.remove(&id)?;
                let filename = names.get(&passage.file_id)?.clone();
                Some(Retrieved {
                    vector_score: lookup(&vector_ranked, &id),
                    text_score: lookup(&text_ranked, &id),
                    passage,
                    filename,
                    score,
                })
            })
            .collect())
    }
}

/// The vector collection of a tenant's passages embedded with `model`: `p_{tenant}_{hash of model}`.
pub fn collection_name(tenant: TenantId, model: &str) -> String {
    let model = Sha256::digest(model.as_bytes());
    format!(
        "p_{}_{:02x}{:02x}{:02x}{:02x}",
        tenant.0.simple(),
        model[0],
        model[1],
        model[2],
        model[3]
    )
}

/// Records of these files.
fn file_filter(files: &[FileId]) -> VectorFilter {
    VectorFilter::all().field_in("file_id", files.iter().map(ToString::to_string))
}

fn is_markdown(filename: &str, content_type: &str) -> bool {
    let lower = filename.to_ascii_lowercase();
    lower.ends_with(".md")
        || lower.ends_with(".markdown")
        || content_type.starts_with("text/markdown")
}

/// The document's own failures fail the file; a service's fail the run.
fn document_or_service(error: SeamError) -> RagError {
    match error {
        SeamError::Invalid(reason) => RagError::Document(reason),
        other => RagError::Service(other.to_string()),
    }
}

fn retry(error: hearth_db::DbError) -> JobError {
    JobError::Retry(error.to_string())
}
