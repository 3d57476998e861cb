//! Drive metrics for `/metrics`: bytes stored and served, chunks written or deduplicated, files
//! completed, chunks collected.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ChunkLabels {
    /// `written` (a new object) or `deduplicated` (the content was stored already).
    pub(crate) outcome: &'static str,
}

/// The drive's counters. `Default` gives unregistered ones (for tools and tests that need no
/// `/metrics`).
#[derive(Clone, Debug, Default)]
pub struct DriveMetrics {
    pub(crate) uploaded_bytes: Counter,
    pub(crate) downloaded_bytes: Counter,
    pub(crate) chunks: Family<ChunkLabels, Counter>,
    pub(crate) files_completed: Counter,
    pub(crate) chunks_collected: Counter,
}

impl DriveMetrics {
    /// Creates the counters and registers them in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register(
            "hearth_drive_uploaded_bytes",
            "Upload bytes acknowledged (stored and referenced)",
            metrics.uploaded_bytes.clone(),
        );
        registry.register(
            "hearth_drive_downloaded_bytes",
            "File bytes served",
            metrics.downloaded_bytes.clone(),
        );
        registry.register(
            "hearth_drive_chunks",
            "Content chunks uploaded, by whether they were written or already stored",
            metrics.chunks.clone(),
        );
        registry.register(
            "hearth_drive_files_completed",
            "Uploads that became ready files",
            metrics.files_completed.clone(),
        );
        registry.register(
            "hearth_drive_chunks_collected",
            "Unreferenced chunks deleted by the collector",
            metrics.chunks_collected.clone(),
        );
        metrics
    }

    pub(crate) fn chunk(&self, written: bool) {
        let outcome = if written { "written" } else { "deduplicated" };
        self.chunks.get_or_create(&ChunkLabels { outcome }).inc();
    }
}
