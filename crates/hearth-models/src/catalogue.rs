//! The model catalogue: every enabled connection's models under Hearth's ids (`prefix.model` when the
//! connection has a prefix), cached for a TTL, with each connection's health. A connection that is
//! down is reported and its models leave the list; the others keep serving.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures::future::join_all;
use hearth_core::ConnectionId;
use hearth_core::connection::{Connection, ConnectionKind};
use hearth_core::seams::{ModelInfo, ModelProvider, SeamError};
use hearth_core::time::unix_now;

use crate::http::Http;
use crate::ollama::OllamaProvider;
use crate::openai::OpenAiProvider;

/// How long an unknown model id waits before a refresh is tried for it (new models upstream).
const UNKNOWN_MODEL_REFRESH: Duration = Duration::from_secs(5);

/// One model as Hearth offers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogueEntry {
    /// Hearth's id: `prefix.upstream_id`, or the upstream id.
    pub id: String,
    /// The id on the model server.
    pub upstream_id: String,
    pub connection_id: ConnectionId,
    pub connection_name: String,
    pub owned_by: String,
}

/// Whether a connection answered the last refresh.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionHealth {
    pub connection_id: ConnectionId,
    pub name: String,
    pub ok: bool,
    /// Why not, when not.
    pub detail: Option<String>,
    pub models: usize,
    /// Unix seconds.
    pub checked_at: i64,
}

/// The catalogue at one moment.
#[derive(Debug)]
pub struct Snapshot {
    pub models: Vec<CatalogueEntry>,
    pub health: Vec<ConnectionHealth>,
    fetched: Instant,
}

struct State {
    connections: Vec<Connection>,
    providers: Vec<(Connection, Arc<dyn ModelProvider>)>,
    snapshot: Option<Arc<Snapshot>>,
}

/// The models of every connection, cached.
pub struct Catalogue {
    http: Http,
    ttl: Duration,
    state: RwLock<State>,
    /// One refresh at a time; callers arriving meanwhile reuse its result.
    refreshing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalogue")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Catalogue {
    /// An empty catalogue; call [`Catalogue::set_connections`].
    pub fn new(http: Http, ttl: Duration) -> Self {
        let state = State {
            connections: Vec::new(),
            providers: Vec::new(),
            snapshot: None,
        };
        Self {
            http,
            ttl,
            state: RwLock::new(state),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// Replaces the connections (enabled ones get a provider) and forgets the cached models. The same
    /// connections again change nothing, so callers may re-read them as often as they like.
    pub fn set_connections(&self, connections: Vec<Connection>) {
        if self.state.read().expect("catalogue lock").connections == connections {
            return;
        }
        let providers = connections
            .iter()
            .filter(|c| c.enabled)
            .map(|c| (c.clone(), provider(c, self.http.clone())))
            .collect();
        let mut state = self.state.write().expect("catalogue lock");
        *state = State {
            connections,
            providers,
            snapshot: None,
        };
    }

    /// The configured connections, enabled or not.
    pub fn connections(&self) -> Vec<Connection> {
        self.state
            .read()
            .expect("catalogue lock")
            .connections
            .clone()
    }

    /// The models, refreshed when older than the TTL.
    pub async fn snapshot(&self) -> Arc<Snapshot> {
        if let Some(snapshot) = self.cached(self.ttl) {
            return snapshot;
        }
        let _refreshing = self.refreshing.lock().await;
        // Another caller may have refreshed while this one waited.
        if let Some(snapshot) = self.cached(self.ttl) {
            return snapshot;
        }
        self.fetch().await
    }

    /// The models, fetched now.
    pub async fn refresh(&self) -> Arc<Snapshot> {
        let _refreshing = self.refreshing.lock().await;
        self.fetch().await
    }

    /// The provider and entry for a Hearth model id; an id not in the cache triggers one refresh when
    /// the cache is more than a few seconds old (the model may be new upstream).
    pub async fn resolve(
        &self,
        model_id: &str,
    ) -> Option<(Arc<dyn ModelProvider>, CatalogueEntry)> {
        let mut snapshot = self.snapshot().await;
        if !snapshot.models.iter().any(|m| m.id == model_id)
            && snapshot.fetched.elapsed() > UNKNOWN_MODEL_REFRESH
        {
            snapshot = self.refresh().await;
        }
        let entry = snapshot.models.iter().find(|m| m.id == model_id)?.clone();
        let state = self.state.read().expect("catalogue lock");
        let provider = state
            .providers
            .iter()
            .find(|(c, _)| c.id == entry.connection_id)?
            .1
            .clone();
        Some((provider, entry))
    }

    /// Asks one connection (saved or not) for its models, to verify it.
    pub async fn check(&self, connection: &Connection) -> ConnectionHealth {
        let provider = provider(connection, self.http.clone());
        health(
            connection,
            provider
                .list_models()
                .await
                .map(|m| allowed(connection, m).len()),
        )
    }

    fn cached(&self, ttl: Duration) -> Option<Arc<Snapshot>> {
        let state = self.state.read().expect("catalogue lock");
        state
            .snapshot
            .as_ref()
            .filter(|s| s.fetched.elapsed() < ttl)
            .cloned()
    }

    async fn fetch(&self) -> Arc<Snapshot> {
        let providers = self.state.read().expect("catalogue lock").providers.clone();
        let answers = join_all(providers.iter().map(|(_, provider)| provider.list_models())).await;
        let mut models: Vec<CatalogueEntry> = Vec::new();
        let mut health_list = Vec::new();
        for ((connection, _), answer) in providers.iter().zip(answers) {
            let listed = answer.map(|found| allowed(connection, found));
            if let Ok(found) = &listed {
                for model in found {
                    let id = match &connection.prefix {
                        Some(prefix) if !prefix.is_empty() => format!("{prefix}.{}", model.id),
                        _ => model.id.clone(),
                    };
                    if models.iter().any(|m| m.id == id) {
                        tracing::warn!(model = %id, connection = %connection.name, "two connections offer the same model id; give one of them a prefix");
                        continue;
                    }
                    models.push(CatalogueEntry {
                        id,
                        upstream_id: model.id.clone(),
                        connection_id: connection.id,
                        connection_name: connection.name.clone(),
                        owned_by: model.owned_by.clone(),
                    });
                }
            }
            let health = health(connection, listed.map(|l| l.len()));
            if let Some(detail) = &health.detail {
                tracing::warn!(connection = %connection.name, %detail, "model server is down");
            }
            health_list.push(health);
        }
        let snapshot = Arc::new(Snapshot {
            models,
            health: health_list,
            fetched: Instant::now(),
        });
        let mut state = self.state.write().expect("catalogue lock");
        // Connections changed while fetching: keep the fetch out of the cache.
        if state.providers.len() == providers.len()
            && state
                .providers
                .iter()
                .zip(&providers)
                .all(|((a, _), (b, _))| a == b)
        {
            state.snapshot = Some(snapshot.clone());
        }
        snapshot
    }
}

/// The models a connection offers after its allow-list.
fn allowed(connection: &Connection, models: Vec<ModelInfo>) -> Vec<ModelInfo> {
    if connection.model_allow_list.is_empty() {
        return models;
    }
    models
        .into_iter()
        .filter(|m| connection.model_allow_list.contains(&m.id))
        .collect()
}

fn health(connection: &Connection, result: Result<usize, SeamError>) -> ConnectionHealth {
    let (ok, detail, models) = match result {
        Ok(count) => (true, None, count),
        Err(error) => (false, Some(error.to_string()), 0),
    };
    ConnectionHealth {
        connection_id: connection.id,
        name: connection.name.clone(),
        ok,
        detail,
        models,
        checked_at: unix_now(),
    }
}

/// The provider for a connection's protocol.
pub fn provider(connection: &Connection, http: Http) -> Arc<dyn ModelProvider> {
    match connection.kind {
        ConnectionKind::Openai => Arc::new(OpenAiProvider::new(
            connection.id,
            &connection.name,
            &connection.base_url,
            connection.api_key.clone(),
            http,
        )),
        ConnectionKind::Ollama => Arc::new(OllamaProvider::new(
            connection.id,
            &connection.name,
            &connection.base_url,
            http,
        )),
    }
}
