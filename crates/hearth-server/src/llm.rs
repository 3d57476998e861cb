//! The model directory: which connections exist (from the environment and from administrators),
//! which models each user may see and use, and the settings administrators gave each model.
//!
//! Connections and model settings belong to the default tenant for now (one catalogue per process).
//! Both are re-read from the database at most every few seconds (and at once after a change on this
//! process), so another replica picks up a change within that time.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use hearth_config::Settings;
use hearth_core::connection::{Connection, ConnectionKind, ConnectionSource, ModelOverride};
use hearth_core::seams::ModelProvider;
use hearth_core::{ConnectionId, Role, TenantId, User};
use hearth_db::{Store, StoredConnection};
use hearth_models::{Catalogue, CatalogueEntry, Http, HttpOptions, KeyCipher};

use crate::ApiError;

/// How long stored connections and model settings are trusted before they are read again (also how
/// soon another replica sees a change).
const SETTINGS_TTL: Duration = Duration::from_secs(5);

/// A model as one user sees it.
#[derive(Clone, Debug)]
pub struct VisibleModel {
    pub entry: CatalogueEntry,
    pub settings: Option<ModelOverride>,
}

impl VisibleModel {
    /// The name to show: the administrator's, or the id.
    pub fn display_name(&self) -> &str {
        self.settings
            .as_ref()
            .and_then(|s| s.display_name.as_deref())
            .unwrap_or(&self.entry.id)
    }
}

/// What a chat request needs to reach its model.
#[derive(Debug)]
pub struct ResolvedModel {
    pub provider: Arc<dyn ModelProvider>,
    pub entry: CatalogueEntry,
    pub settings: Option<ModelOverride>,
}

/// Connections, the catalogue and model settings.
#[derive(Debug)]
pub struct ModelDirectory {
    catalogue: Catalogue,
    cipher: KeyCipher,
    environment: Vec<Connection>,
    enable_openai: bool,
    enable_ollama: bool,
    store: Store,
    overrides: RwLock<Option<(Instant, Arc<Vec<ModelOverride>>)>>,
    /// When the stored connections were last read.
    connections_read: RwLock<Instant>,
}

impl ModelDirectory {
    /// Builds the directory from the settings and the stored connections.
    pub async fn load(
        settings: &Settings,
        store: Store,
        cipher: KeyCipher,
    ) -> Result<Self, ApiError> {
        let models = &settings.models;
        let http = Http::new(HttpOptions {
            connect_timeout: Duration::from_secs(models.model_connect_timeout),
            request_timeout: Duration::from_secs(models.model_request_timeout),
            allow_redirects: settings.security.outbound_allow_redirects,
        });
        let directory = Self {
            catalogue: Catalogue::new(http, Duration::from_secs(models.models_cache_ttl)),
            cipher,
            environment: environment_connections(settings),
            enable_openai: models.enable_openai_api,
            enable_ollama: models.enable_ollama_api,
            store,
            overrides: RwLock::new(None),
            connections_read: RwLock::new(Instant::now()),
        };
        directory.reload().await?;
        Ok(directory)
    }

    /// Re-reads the stored connections into the catalogue (after an administrator's change).
    pub async fn reload(&self) -> Result<(), ApiError> {
        let mut connections = self.environment.clone();
        for stored in self.store.list_connections(TenantId::DEFAULT).await? {
            connections.push(self.open(stored));
        }
        for connection in &mut connections {
            let kind_enabled = match connection.kind {
                ConnectionKind::Openai => self.enable_openai,
                ConnectionKind::Ollama => self.enable_ollama,
            };
            connection.enabled &= kind_enabled;
        }
        self.catalogue.set_connections(connections);
        *self.connections_read.write().expect("connections lock") = Instant::now();
        Ok(())
    }

    /// Re-reads the stored connections when they are older than [`SETTINGS_TTL`] (another replica may
    /// have changed them); unchanged connections keep the cached models.
    async fn sync_connections(&self) -> Result<(), ApiError> {
        if self
            .connections_read
            .read()
            .expect("connections lock")
            .elapsed()
            < SETTINGS_TTL
        {
            return Ok(());
        }
        self.reload().await
    }

    /// A stored connection with its key decrypted. An undecryptable key leaves the connection without
    /// one (its requests then fail at the server, which says so) and is logged.
    pub fn open(&self, stored: StoredConnection) -> Connection {
        let api_key = stored.api_key_encrypted.as_deref().and_then(|encrypted| {
            self.cipher
                .decrypt(encrypted, &key_context(stored.id))
                .map_err(|error| tracing::error!(connection = %stored.name, %error, "cannot decrypt the stored API key"))
                .ok()
        });
        Connection {
            id: stored.id,
            kind: stored.kind,
            name: stored.name,
            base_url: stored.base_url,
            api_key,
            prefix: stored.prefix,
            model_allow_list: stored.model_allow_list,
            enabled: stored.enabled,
            source: ConnectionSource::Admin,
        }
    }

    /// Encrypts a key for storage in the given connection's row.
    pub fn seal(&self, connection: ConnectionId, key: &str) -> String {
        self.cipher.encrypt(key, &key_context(connection))
    }

    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// The model settings, cached for a few seconds.
    pub async fn overrides(&self) -> Result<Arc<Vec<ModelOverride>>, ApiError> {
        if let Some((at, cached)) = self.overrides.read().expect("overrides lock").as_ref()
            && at.elapsed() < SETTINGS_TTL
        {
            return Ok(cached.clone());
        }
        let fresh = Arc::new(self.store.model_overrides(TenantId::DEFAULT).await?);
        *self.overrides.write().expect("overrides lock") = Some((Instant::now(), fresh.clone()));
        Ok(fresh)
    }

    /// Forgets the cached model settings (after a change on this process).
    pub fn forget_overrides(&self) {
        *self.overrides.write().expect("overrides lock") = None;
    }

    /// The models `user` may see: not hidden, and open to them (administrators see every model that
    /// is not hidden).
    pub async fn visible_models(&self, user: &User) -> Result<Vec<VisibleModel>, ApiError> {
        self.sync_connections().await?;
        let snapshot = self.catalogue.snapshot().await;
        let overrides = self.overrides().await?;
        let groups = self.groups_if_needed(user, &overrides).await?;
        Ok(snapshot
            .models
            .iter()
            .filter_map(|entry| {
                let settings = overrides.iter().find(|o| o.model_id == entry.id).cloned();
                let hidden = settings.as_ref().is_some_and(|s| s.hidden);
                (!hidden && may_use(user, &groups, settings.as_ref())).then(|| VisibleModel {
                    entry: entry.clone(),
                    settings,
                })
            })
            .collect())
    }

    /// The model a chat request names, if `user` may use it: 404 when no connection offers it, 403
    /// when its access list leaves the user out. Hidden models are usable by those allowed.
    pub async fn resolve(&self, user: &User, model_id: &str) -> Result<ResolvedModel, ApiError> {
        self.sync_connections().await?;
        let Some((provider, entry)) = self.catalogue.resolve(model_id).await else {
            return Err(ApiError::NotFound(format!("model `{model_id}` not found")));
        };
        let overrides = self.overrides().await?;
        let settings = overrides.iter().find(|o| o.model_id == entry.id).cloned();
        let groups = self.groups_if_needed(user, &overrides).await?;
        if !may_use(user, &groups, settings.as_ref()) {
            return Err(ApiError::Forbidden(format!(
                "you may not use model `{model_id}`"
            )));
        }
        Ok(ResolvedModel {
            provider,
            entry,
            settings,
        })
    }

    /// A user's groups, read only when some model restricts access.
    async fn groups_if_needed(
        &self,
        user: &User,
        overrides: &[ModelOverride],
    ) -> Result<Vec<hearth_core::GroupId>, ApiError> {
        if user.role == Role::Admin || overrides.iter().all(|o| o.access.is_none()) {
            return Ok(Vec::new());
        }
        Ok(self.store.user_group_ids(user.tenant_id, user.id).await?)
    }
}

fn may_use(user: &User, groups: &[hearth_core::GroupId], settings: Option<&ModelOverride>) -> bool {
    match settings.and_then(|s| s.access.as_ref()) {
        None => true,
        Some(_) if user.role == Role::Admin => true,
        Some(access) => access.allows(user.id, groups),
    }
}

/// Associated data binding an encrypted key to its connection's row.
fn key_context(id: ConnectionId) -> String {
    format!("connection:{id}")
}

/// The connections named by `OPENAI_API_BASE_URLS`/`OPENAI_API_KEYS` and `OLLAMA_BASE_URLS`, with ids
/// that stay the same across restarts and replicas.
fn environment_connections(settings: &Settings) -> Vec<Connection> {
    let models = &settings.models;
    let mut connections = Vec::new();
    for (index, url) in models.openai_api_base_urls.iter().enumerate() {
        let key = models
            .openai_api_keys
            .get(index)
            .map(|k| k.expose().to_owned())
            .filter(|k| !k.is_empty());
        connections.push(environment_connection(
            ConnectionKind::Openai,
            index,
            url,
            key,
        ));
    }
    for (index, url) in models.ollama_base_urls.iter().enumerate() {
        connections.push(environment_connection(
            ConnectionKind::Ollama,
            index,
            url,
            None,
        ));
    }
    connections
}

fn environment_connection(
    kind: ConnectionKind,
    index: usize,
    url: &str,
    api_key: Option<String>,
) -> Connection {
    let name = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or(url)
        .to_owned();
    let seed = format!("hearth-environment-connection:{kind}:{index}:{url}");
    Connection {
        id: ConnectionId(uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_URL,
            seed.as_bytes(),
        )),
        kind,
        name,
        base_url: url.to_owned(),
        api_key,
        prefix: None,
        model_allow_list: Vec::new(),
        enabled: true,
        source: ConnectionSource::Environment,
    }
}
