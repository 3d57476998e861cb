//! The settings administrators change while Hearth runs (see [`hearth_config::TUNABLES`]): the
//! values they set are stored in the database, laid over the loaded settings, and put in force on
//! every process — here at once, elsewhere when the announcement arrives, and at the latest after
//! [`REFRESH_EVERY`] (when the bus is in-process or away).
//!
//! Handlers read these settings through [`Tunables::current`], never from `AppState::settings`,
//! which keeps what the process was started with.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use hearth_config::Settings;
use hearth_core::TenantId;
use hearth_core::time::unix_now;
use hearth_db::{DbError, Store};
use hearth_rag::Knowledge;
use hearth_storage::{Drive, Limits};
use serde_json::Value;

use crate::ApiError;

/// How often each process re-reads the stored values without being told to.
pub const REFRESH_EVERY: Duration = Duration::from_secs(10);

/// The settings in force, with administrators' values over the loaded ones.
#[derive(Debug)]
pub struct Tunables {
    loaded: Arc<Settings>,
    current: RwLock<Arc<Settings>>,
    store: Store,
    drive: Drive,
    knowledge: Knowledge,
}

impl Tunables {
    /// Settings as loaded, until [`Tunables::reload`] reads what administrators stored.
    pub fn new(loaded: Arc<Settings>, store: Store, drive: Drive, knowledge: Knowledge) -> Self {
        Self {
            current: RwLock::new(loaded.clone()),
            loaded,
            store,
            drive,
            knowledge,
        }
    }

    /// The settings in force now.
    pub fn current(&self) -> Arc<Settings> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Re-reads the stored values (at start, and when another process announces a change). Stored
    /// values that no longer fit (a newer environment, an older version's names) are logged and
    /// skipped, never fatal: the process keeps serving on the loaded settings.
    pub async fn reload(&self) -> Result<(), DbError> {
        let stored = self.store.admin_settings(TenantId::DEFAULT).await?;
        let settings = match self.loaded.with_admin_values(&stored) {
            Ok(settings) => settings,
            Err(error) => {
                tracing::warn!(%error, "stored admin settings do not apply; using the loaded settings");
                (*self.loaded).clone()
            }
        };
        self.put_in_force(Arc::new(settings));
        Ok(())
    }

    /// Applies administrators' `changes` (`null`: back to the default), stores them and puts them in
    /// force here. Refuses the whole change when one name is fixed by the environment (409) or one
    /// value is wrong (422), so nothing is half applied.
    pub async fn change(
        &self,
        changes: BTreeMap<String, Value>,
    ) -> Result<Arc<Settings>, ApiError> {
        let locked: Vec<&str> = changes
            .keys()
            .filter(|name| self.loaded.is_fixed(name))
            .map(String::as_str)
            .collect();
        if !locked.is_empty() {
            return Err(ApiError::Conflict(format!(
                "{} set by the environment; change it in the deployment instead",
                match locked.as_slice() {
                    [one] => format!("{one} is"),
                    many => format!("{} are", many.join(", ")),
                }
            )));
        }
        let mut stored = self.store.admin_settings(TenantId::DEFAULT).await?;
        for (name, value) in &changes {
            if value.is_null() {
                stored.remove(name);
            } else {
                stored.insert(name.clone(), value.clone());
            }
        }
        let settings = self
            .loaded
            .with_admin_values(&stored)
            .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
        let writes = changes
            .into_iter()
            .map(|(name, value)| (name, (!value.is_null()).then_some(value)))
            .collect();
        self.store
            .put_admin_settings(TenantId::DEFAULT, &writes, unix_now())
            .await?;
        let settings = Arc::new(settings);
        self.put_in_force(settings.clone());
        Ok(settings)
    }

    /// Re-reads the stored values every [`REFRESH_EVERY`] for as long as these settings are in use
    /// (held weakly, so a dropped application lets the task end).
    pub fn keep_fresh(self: &Arc<Self>) {
        let tunables = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(REFRESH_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(tunables) = tunables.upgrade() else {
                    return;
                };
                if let Err(error) = tunables.reload().await {
                    tracing::warn!(%error, "could not re-read the admin settings");
                }
            }
        });
    }

    fn put_in_force(&self, settings: Arc<Settings>) {
        self.drive.set_limits(Limits::from_settings(&settings));
        self.knowledge.retune(&settings.rag);
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = settings;
    }
}
