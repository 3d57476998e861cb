//! Opening a fresh queue on each backend, and writing to its storage behind its back.

use std::sync::Arc;

use fred::prelude::{ClientLike, HashesInterface};
use hearth_core::TenantId;
use hearth_core::seams::{JobQueue, NewJob, Queue};
use hearth_db::Store;
use hearth_redis::{RedisJobQueue, RedisOptions, RedisTarget};
use hearth_testkit::{Backend, TestDatabase};
use serde_json::json;
use uuid::Uuid;

/// Where the queue under test lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueueBackend {
    Sqlite,
    Postgres,
    MySql,
    Redis,
}

/// A queue on an empty store, with the database that canary jobs record into.
pub(crate) struct TestQueue {
    pub(crate) backend: QueueBackend,
    pub(crate) queue: Arc<dyn JobQueue>,
    /// The relational store (SQLite for the Redis queue): canaries record their runs there.
    pub(crate) store: Store,
    pub(crate) db: TestDatabase,
    namespace: String,
}

impl TestQueue {
    pub(crate) async fn open(backend: QueueBackend) -> Self {
        let db_backend = match backend {
            QueueBackend::Sqlite | QueueBackend::Redis => Backend::Sqlite,
            QueueBackend::Postgres => Backend::Postgres,
            QueueBackend::MySql => Backend::MySql,
        };
        let db = TestDatabase::create(db_backend).await;
        let store = Store::connect(&db.target(), &db.settings()).await.unwrap();
        store.migrate().await.unwrap();
        let namespace = format!("{{{}:jobs}}:", hearth_testkit::unique_prefix());
        let mut opened = Self {
            backend,
            queue: Arc::new(store.job_queue()),
            store,
            db,
            namespace,
        };
        opened.queue = opened.reopen().await;
        opened
    }

    /// A second, independent handle on the same queue (as another process, or after a restart).
    pub(crate) async fn reopen(&self) -> Arc<dyn JobQueue> {
        match self.backend {
            QueueBackend::Redis => Arc::new(
                RedisJobQueue::connect(RedisOptions {
                    target: RedisTarget::url(hearth_testkit::redis_url()),
                    pool_size: 2,
                    namespace: self.namespace.clone(),
                })
                .await
                .expect("Redis is needed by this test"),
            ),
            _ => {
                let store = Store::connect(&self.db.target(), &self.db.settings())
                    .await
                    .unwrap();
                Arc::new(store.job_queue())
            }
        }
    }

    /// Overwrites a stored job's payload with text that is not JSON.
    pub(crate) async fn corrupt_payload(&self, id: Uuid) {
        match self.backend {
            QueueBackend::Redis => {
                let client = fred::prelude::Builder::from_config(
                    fred::prelude::Config::from_url(&hearth_testkit::redis_url()).unwrap(),
                )
                .build()
                .unwrap();
                client.init().await.unwrap();
                let key = format!("{}job:{id}", self.namespace);
                let _: i64 = client.hset(key, ("payload", "{not json")).await.unwrap();
            }
            QueueBackend::Sqlite => {
                use sqlx::Connection;
                let mut conn = sqlx::SqliteConnection::connect(&self.db.url).await.unwrap();
                sqlx::query("UPDATE jobs SET payload = '{not json' WHERE id = ?")
                    .bind(id.to_string())
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
            QueueBackend::Postgres => {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&self.db.url).await.unwrap();
                sqlx::query("UPDATE jobs SET payload = '{not json' WHERE id = $1")
                    .bind(id.to_string())
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
            QueueBackend::MySql => {
                use sqlx::Connection;
                let mut conn = sqlx::MySqlConnection::connect(&self.db.url).await.unwrap();
                sqlx::query("UPDATE jobs SET payload = '{not json' WHERE id = ?")
                    .bind(id.to_string())
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
        }
    }
}

/// A job of `kind` on `queue` with `max_attempts`.
pub(crate) fn job(kind: &str, queue: Queue, max_attempts: u32) -> NewJob {
    NewJob {
        kind: kind.to_owned(),
        queue,
        payload: json!({"n": 1}),
        tenant_id: TenantId::DEFAULT,
        owner: None,
        run_at_ms: None,
        max_attempts,
        dedupe_key: None,
    }
}

/// A fixed clock for queue-level tests (Unix milliseconds).
pub(crate) const T0: i64 = 1_800_000_000_000;

/// Runs each listed `async fn name(backend: QueueBackend)` on every queue backend.
#[macro_export]
macro_rules! each_queue {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() { super::$test($crate::common::QueueBackend::Sqlite).await }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() { super::$test($crate::common::QueueBackend::Postgres).await }
            )*
        }
        mod mysql {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() { super::$test($crate::common::QueueBackend::MySql).await }
            )*
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() { super::$test($crate::common::QueueBackend::Redis).await }
            )*
        }
    };
}
