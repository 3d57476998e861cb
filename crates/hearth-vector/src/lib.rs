//! Hearth's vector indexes behind the [`VectorIndex`] seam, chosen by `VECTOR_DB`:
//!
//! - [`EmbeddedIndex`] (the default): durable in `DATA_DIR/vectors/vectors.sqlite`, searched in
//!   memory by a parallel scan of 4-bit codes, re-ranked by 8-bit codes and re-scored exactly.
//! - [`PgVectorIndex`]: PostgreSQL with pgvector, a table and an HNSW index per collection.
//! - [`ChromaIndex`]: a Chroma server over its HTTP API (v2).
//!
//! All three pass the same contract suite (`tests/contract.rs`).

mod chroma;
mod codes;
mod embedded;
mod pgvector;

use std::path::Path;
use std::sync::Arc;

use hearth_config::{VectorDb, VectorSettings};
use hearth_core::seams::{SeamError, VectorIndex};

pub use chroma::ChromaIndex;
pub use embedded::EmbeddedIndex;
pub use pgvector::PgVectorIndex;

/// The index the settings choose. `database_url` is the main database's URL, which pgvector uses
/// when `PGVECTOR_DB_URL` is unset.
pub async fn open_vector_index(
    settings: &VectorSettings,
    data_dir: &Path,
    database_url: Option<&str>,
) -> Result<Arc<dyn VectorIndex>, SeamError> {
    match settings.vector_db {
        VectorDb::Embedded => Ok(Arc::new(
            EmbeddedIndex::open(&data_dir.join("vectors")).await?,
        )),
        VectorDb::Pgvector => {
            let url = settings
                .pgvector_db_url
                .as_ref()
                .map(|s| s.expose().to_owned())
                .or_else(|| {
                    database_url
                        .filter(|u| u.starts_with("postgres"))
                        .map(str::to_owned)
                })
                .ok_or_else(|| {
                    SeamError::Invalid(
                        "VECTOR_DB=pgvector needs PGVECTOR_DB_URL or a PostgreSQL DATABASE_URL"
                            .into(),
                    )
                })?;
            Ok(Arc::new(PgVectorIndex::connect(&url).await?))
        }
        VectorDb::Chroma => {
            let host = settings.chroma_http_host.as_deref().ok_or_else(|| {
                SeamError::Invalid("VECTOR_DB=chroma needs CHROMA_HTTP_HOST".into())
            })?;
            Ok(Arc::new(ChromaIndex::new(host, settings.chroma_http_port)?))
        }
        VectorDb::Qdrant => Err(SeamError::Invalid(
            "VECTOR_DB=qdrant is not available in this version; use embedded, pgvector or chroma"
                .into(),
        )),
    }
}
