//! The revocation fast path: sessions this replica has recently found valid, kept for
//! `AUTH_SESSION_CACHE_TTL` so that most requests skip the database.
//!
//! The database stays the source of truth. An entry is trusted only while the coordination bus is
//! connected on the same [generation](hearth_core::seams::Coordinator::generation) it was made on:
//! sign-out, password and role changes are announced on the bus and drop entries on every replica,
//! and a replica that may have missed an announcement (it was disconnected) trusts nothing it
//! cached before. A lookup that was already reading the database when an announcement arrived
//! does not cache its answer (the ticket's epoch moved on).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hearth_core::{SessionId, User, UserId};

/// Entries kept at most; past it the cache starts again empty (a burst of new sessions).
const CAPACITY: usize = 100_000;

#[derive(Debug)]
struct Entry {
    user: User,
    generation: u64,
    cached_at: Instant,
}

/// What a lookup saw before it read the database.
#[derive(Clone, Copy, Debug)]
pub struct Ticket {
    generation: Option<u64>,
    epoch: u64,
}

/// Recently validated sessions.
#[derive(Debug)]
pub struct SessionCache {
    ttl: Duration,
    entries: Mutex<HashMap<SessionId, Entry>>,
    /// Incremented by every invalidation.
    epoch: AtomicU64,
}

impl SessionCache {
    /// A cache trusting entries for `ttl` (zero: never caches).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::default(),
            epoch: AtomicU64::new(0),
        }
    }

    /// The user of a session validated within the time-to-live on the bus's current `generation`.
    pub fn get(&self, session: SessionId, generation: Option<u64>) -> Option<User> {
        let generation = generation?;
        let mut entries = self.entries.lock().expect("session cache lock");
        let entry = entries.get(&session)?;
        if entry.generation == generation && entry.cached_at.elapsed() < self.ttl {
            return Some(entry.user.clone());
        }
        entries.remove(&session);
        None
    }

    /// Taken before reading the database, handed back to [`put`](Self::put).
    pub fn ticket(&self, generation: Option<u64>) -> Ticket {
        Ticket {
            generation,
            epoch: self.epoch.load(Ordering::SeqCst),
        }
    }

    /// Remembers a session the database just found valid, unless something was invalidated or the
    /// bus reconnected since the ticket was taken.
    pub fn put(&self, session: SessionId, user: &User, ticket: Ticket, generation: Option<u64>) {
        let (Some(then), Some(now)) = (ticket.generation, generation) else {
            return;
        };
        if self.ttl.is_zero() || then != now {
            return;
        }
        let mut entries = self.entries.lock().expect("session cache lock");
        // Checked under the lock that invalidations also take, so none can slip in between.
        if self.epoch.load(Ordering::SeqCst) != ticket.epoch {
            return;
        }
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(
            session,
            Entry {
                user: user.clone(),
                generation: now,
                cached_at: Instant::now(),
            },
        );
    }

    /// Notes that the cached user of `session` was active at `now` (so presence is not rewritten
    /// on every request).
    pub fn touch(&self, session: SessionId, now: i64) {
        if let Some(entry) = self
            .entries
            .lock()
            .expect("session cache lock")
            .get_mut(&session)
        {
            entry.user.last_active_at = Some(now);
        }
    }

    /// Drops one session (signed out).
    pub fn forget_session(&self, session: SessionId) {
        let mut entries = self.entries.lock().expect("session cache lock");
        self.epoch.fetch_add(1, Ordering::SeqCst);
        entries.remove(&session);
    }

    /// Drops every session of a user (password, role or account changed).
    pub fn forget_user(&self, user: UserId) {
        let mut entries = self.entries.lock().expect("session cache lock");
        self.epoch.fetch_add(1, Ordering::SeqCst);
        entries.retain(|_, entry| entry.user.id != user);
    }
}

#[cfg(test)]
mod tests {
    use hearth_core::{Role, TenantId};

    use super::*;

    fn user() -> User {
        User {
            id: UserId::new(),
            tenant_id: TenantId::DEFAULT,
            email: "a@example.com".into(),
            name: "A".into(),
            role: Role::User,
            created_at: 0,
            updated_at: 0,
            last_active_at: None,
        }
    }

    #[test]
    fn entries_hold_only_on_the_generation_they_were_made_on() {
        let cache = SessionCache::new(Duration::from_secs(60));
        let (session, user) = (SessionId::new(), user());
        cache.put(session, &user, cache.ticket(Some(1)), Some(1));
        assert_eq!(cache.get(session, Some(1)).map(|u| u.id), Some(user.id));
        assert!(cache.get(session, None).is_none(), "disconnected");
        assert!(cache.get(session, Some(2)).is_none(), "reconnected");
        assert!(cache.get(session, Some(1)).is_none(), "dropped for good");
        // Disconnected or reconnected while the database was read: not cached.
        cache.put(session, &user, cache.ticket(None), None);
        cache.put(session, &user, cache.ticket(Some(1)), Some(2));
        assert!(cache.get(session, Some(2)).is_none());
    }

    #[test]
    fn invalidations_win_over_lookups_in_flight() {
        let cache = SessionCache::new(Duration::from_secs(60));
        let (session, user) = (SessionId::new(), user());
        let ticket = cache.ticket(Some(1));
        cache.forget_session(session);
        cache.put(session, &user, ticket, Some(1));
        assert!(cache.get(session, Some(1)).is_none());

        cache.put(session, &user, cache.ticket(Some(1)), Some(1));
        let other = SessionId::new();
        cache.put(other, &user, cache.ticket(Some(1)), Some(1));
        cache.forget_user(user.id);
        assert!(cache.get(session, Some(1)).is_none());
        assert!(cache.get(other, Some(1)).is_none());
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = SessionCache::new(Duration::ZERO);
        let session = SessionId::new();
        cache.put(session, &user(), cache.ticket(Some(0)), Some(0));
        assert!(cache.get(session, Some(0)).is_none());
    }
}
