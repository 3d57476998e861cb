//! Presence: `last_active_at` (and API keys' `last_used_at`) written at most once per
//! `DATABASE_USER_ACTIVE_STATUS_UPDATE_INTERVAL`, in the background, never on the request's path.
//!
//! The interval is checked three times: against the value already loaded with the caller, against
//! writes in flight from this process, and in the `UPDATE`'s own condition (for other replicas).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use hearth_core::{ApiKeyId, User};
use hearth_db::Store;
use prometheus_client::metrics::counter::Counter;
use uuid::Uuid;

/// Records activity without making requests wait for it.
#[derive(Clone, Debug)]
pub struct ActivityRecorder {
    store: Store,
    interval: i64,
    in_flight: Arc<Mutex<HashSet<Uuid>>>,
    writes: Counter,
}

impl ActivityRecorder {
    /// A recorder writing at most once per `interval` seconds per user or key; `writes` counts writes.
    pub fn new(store: Store, interval: u64, writes: Counter) -> Self {
        Self {
            store,
            interval: interval as i64,
            in_flight: Arc::default(),
            writes,
        }
    }

    /// Notes that `user` made a request at `now`; true when that is news to record (so a cached
    /// copy of the user can note it too).
    pub fn record_user_activity(&self, user: &User, now: i64) -> bool {
        if self.is_recent(user.last_active_at, now) {
            return false;
        }
        let (id, interval) = (user.id, self.interval);
        self.write_once(id.0, move |store| async move {
            store.touch_last_active(id, now, interval).await
        });
        true
    }

    /// Notes that an API key was used at `now`.
    pub fn record_api_key_use(&self, key: ApiKeyId, last_used: Option<i64>, now: i64) {
        if self.is_recent(last_used, now) {
            return;
        }
        let interval = self.interval;
        self.write_once(key.0, move |store| async move {
            store.touch_api_key(key, now, interval).await
        });
    }

    fn is_recent(&self, last: Option<i64>, now: i64) -> bool {
        self.interval > 0 && last.is_some_and(|last| now - last < self.interval)
    }

    fn write_once<F, Fut>(&self, id: Uuid, write: F)
    where
        F: FnOnce(Store) -> Fut + Send + 'static,
        Fut: Future<Output = Result<bool, hearth_db::DbError>> + Send,
    {
        if !self
            .in_flight
            .lock()
            .expect("activity set poisoned")
            .insert(id)
        {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            match write(this.store.clone()).await {
                Ok(true) => {
                    this.writes.inc();
                }
                Ok(false) => {}
                Err(error) => tracing::warn!(%error, "could not record activity"),
            }
            this.in_flight
                .lock()
                .expect("activity set poisoned")
                .remove(&id);
        });
    }
}
