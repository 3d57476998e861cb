//! The state every handler shares: settings, the store, token and password services, metrics.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use hearth_config::Settings;
use hearth_core::seams::Coordinator;
use hearth_db::Store;
use hearth_jobs::Jobs;
use hearth_rag::Knowledge;
use hearth_storage::Drive;

use crate::auth::ActivityRecorder;
use crate::auth::password::PasswordHasher;
use crate::auth::tokens::TokenService;
use crate::llm::ModelDirectory;
use crate::metrics::Metrics;
use crate::shared::SessionCache;
use crate::shared::rate_limit::RateLimiter;
use crate::tunables::Tunables;

/// Shared by every request; cloning is cheap.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The settings this process started with. Those administrators may change (retrieval, upload
    /// limits, sign-up) are read from `tunables` instead.
    pub settings: Arc<Settings>,
    pub tunables: Arc<Tunables>,
    pub store: Store,
    pub tokens: Arc<TokenService>,
    pub passwords: PasswordHasher,
    pub metrics: Arc<Metrics>,
    pub activity: ActivityRecorder,
    pub lifecycle: Lifecycle,
    /// Connections, the model catalogue and model settings.
    pub models: Arc<ModelDirectory>,
    /// The background job queue.
    pub jobs: Jobs,
    /// Events and shared state between processes (in-process on embedded defaults).
    pub bus: Arc<dyn Coordinator>,
    /// Files: uploads, reads, chunks and their collection.
    pub drive: Drive,
    /// Knowledge: ingestion, the vector index and retrieval.
    pub knowledge: Knowledge,
    /// Sessions recently found valid (the revocation fast path).
    pub sessions: Arc<SessionCache>,
    /// Requests per user and per address, counted across replicas.
    pub rate_limiter: RateLimiter,
}

/// Whether the server is draining; `/ready` turns 503 so load balancers stop sending traffic.
#[derive(Clone, Debug, Default)]
pub struct Lifecycle {
    stopping: Arc<AtomicBool>,
}

impl Lifecycle {
    /// Marks the server as stopping.
    pub fn begin_shutdown(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Whether shutdown has begun.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }
}
