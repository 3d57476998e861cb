//! Test support: an isolated, freshly created database per test on each backend, dropped afterwards,
//! and a macro that runs one test body against SQLite, PostgreSQL and MariaDB.
//!
//! The servers are real: PostgreSQL at `HEARTH_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable`; tests stay on loopback, where TLS only
//! costs handshakes) and MariaDB at `HEARTH_TEST_MYSQL_URL` (default
//! `mysql://root@127.0.0.1:3306/test`). `scripts/services.sh` starts them when they are down. A test
//! whose server is unreachable fails; nothing is skipped.

pub mod deployment;
pub mod vectors;

use std::path::{Path, PathBuf};

use hearth_config::{DatabaseSettings, DatabaseTarget, Secret};
use sqlx::{Connection, Executor};

/// The relational backends every contract test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

/// Base URL of the PostgreSQL server used by tests.
pub fn postgres_admin_url() -> String {
    #[allow(clippy::disallowed_methods)] // tests choose their servers from the environment
    std::env::var("HEARTH_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".into())
}

/// Base URL of the MariaDB/MySQL server used by tests.
pub fn mysql_admin_url() -> String {
    #[allow(clippy::disallowed_methods)] // tests choose their servers from the environment
    std::env::var("HEARTH_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

/// A database that exists for one test. Dropping it drops the database.
#[derive(Debug)]
pub struct TestDatabase {
    pub backend: Backend,
    /// A `DATA_DIR` for the test (holds the SQLite file on that backend).
    pub data_dir: tempfile::TempDir,
    /// The value for `DATABASE_URL`.
    pub url: String,
    name: String,
    /// The server's administrative URL, to drop the database again.
    admin: String,
}

impl TestDatabase {
    /// Creates an empty database on `backend`.
    pub async fn create(backend: Backend) -> Self {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let name = format!("hearth_t_{}", uuid::Uuid::now_v7().simple());
        let mut admin = String::new();
        let url = match backend {
            Backend::Sqlite => format!("sqlite://{}", data_dir.path().join("hearth.db").display()),
            Backend::Postgres => {
                admin = postgres_admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("PostgreSQL at {admin} is needed by this test: {e}")
                    });
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .expect("create database");
                replace_database(&admin, &name)
            }
            Backend::MySql => {
                admin = mysql_admin_url();
                let mut conn = sqlx::MySqlConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("MariaDB at {admin} is needed by this test: {e}"));
                conn.execute(sqlx::AssertSqlSafe(format!(
                    "CREATE DATABASE {name} CHARACTER SET utf8mb4"
                )))
                .await
                .expect("create database");
                replace_database(&admin, &name)
            }
        };
        Self {
            backend,
            data_dir,
            url,
            name,
            admin,
        }
    }

    /// Creates an empty PostgreSQL database with the `vector` extension, on the pgvector server
    /// ([`pgvector_url`]): a deployment's one database for everything, vectors included.
    pub async fn create_with_pgvector() -> Self {
        let admin = pgvector_url();
        let name = format!("hearth_t_{}", uuid::Uuid::now_v7().simple());
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("pgvector at {admin} is needed by this test: {e}"));
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("create database");
        let url = replace_database(&admin, &name);
        let mut fresh = sqlx::PgConnection::connect(&url).await.expect("connect");
        fresh
            .execute("CREATE EXTENSION IF NOT EXISTS vector")
            .await
            .expect("the vector extension");
        Self {
            backend: Backend::Postgres,
            data_dir: tempfile::tempdir().expect("temporary directory"),
            url,
            name,
            admin,
        }
    }

    /// The `DATA_DIR` path.
    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// Database settings for this database with default pool knobs.
    pub fn settings(&self) -> DatabaseSettings {
        DatabaseSettings {
            database_url: Some(Secret::new(self.url.clone())),
            ..DatabaseSettings::default()
        }
    }

    /// Where the database is, as the application resolves it.
    pub fn target(&self) -> DatabaseTarget {
        match self.backend {
            Backend::Sqlite => DatabaseTarget::Sqlite {
                path: self.sqlite_path(),
            },
            Backend::Postgres => DatabaseTarget::Postgres {
                url: Secret::new(self.url.clone()),
            },
            Backend::MySql => DatabaseTarget::MySql {
                url: Secret::new(self.url.clone()),
            },
        }
    }

    /// The SQLite file (meaningful on the SQLite backend only).
    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.path().join("hearth.db")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (backend, name, admin) = (self.backend, self.name.clone(), self.admin.clone());
        if backend == Backend::Sqlite {
            return;
        }
        // Drop runs inside the test's runtime, which cannot block on async work: use a thread with
        // its own runtime.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                if backend == Backend::Postgres {
                    let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    conn.execute(sqlx::AssertSqlSafe(sql)).await.ok()?;
                } else {
                    let mut conn = sqlx::MySqlConnection::connect(&admin).await.ok()?;
                    conn.execute(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name}"
                    )))
                    .await
                    .ok()?;
                }
                Some(())
            })
        })
        .join();
    }
}

/// `scheme://user@host:port/olddb?params` → same URL with the database replaced.
fn replace_database(admin_url: &str, database: &str) -> String {
    let (base, query) = admin_url
        .split_once('?')
        .map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_end..]
        .find('/')
        .map_or(base.len(), |i| authority_end + i);
    let mut url = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// The Python interpreter with the real client SDKs (`scripts/test.sh` prepares it).
pub fn python() -> std::path::PathBuf {
    #[allow(clippy::disallowed_methods)] // tests choose their tools from the environment
    let configured = std::env::var("HEARTH_TEST_PYTHON").ok();
    #[allow(clippy::disallowed_methods)]
    let home = std::env::var("HOME").unwrap_or_default();
    let path = configured.map_or_else(
        || Path::new(&home).join(".cache/hearth/venv/bin/python"),
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "{} is missing: run scripts/test.sh, which prepares the Python client SDKs",
        path.display()
    );
    path
}

/// An HTTP client for tests. Hearth builds with one TLS stack (rustls with ring) and reqwest without a
/// default provider, so the provider is installed before the first client is built.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("a test HTTP client")
}

/// The Redis server tests use (`HEARTH_TEST_REDIS_URL`, default the local one). Tests share it and
/// keep apart by key prefix.
pub fn redis_url() -> String {
    #[allow(clippy::disallowed_methods)] // tests choose their servers from the environment
    std::env::var("HEARTH_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Storage settings for the real S3 server tests use (SeaweedFS, started by `scripts/s3.sh`;
/// `HEARTH_TEST_S3_*` override it), under a key prefix no other test uses.
pub fn s3_storage() -> hearth_config::StorageSettings {
    #[allow(clippy::disallowed_methods)] // tests choose their servers from the environment
    let var =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    hearth_config::StorageSettings {
        storage_provider: hearth_config::StorageProvider::S3,
        s3_bucket_name: Some(var("HEARTH_TEST_S3_BUCKET", "hearth")),
        s3_region_name: Some("us-east-1".into()),
        s3_endpoint_url: Some(var("HEARTH_TEST_S3_ENDPOINT", "http://127.0.0.1:8333")),
        s3_access_key_id: Some(var("HEARTH_TEST_S3_ACCESS_KEY", "hearthkey")),
        s3_secret_access_key: Some(Secret::new(var(
            "HEARTH_TEST_S3_SECRET_KEY",
            "hearthsecret",
        ))),
        s3_key_prefix: Some(unique_prefix()),
        ..hearth_config::StorageSettings::default()
    }
}

/// A key prefix no other test uses.
pub fn unique_prefix() -> String {
    format!("hearth_t_{}", uuid::Uuid::now_v7().simple())
}

/// Waits until `condition` holds, checking every 10 ms, for at most 10 s.
pub async fn eventually<F, Fut>(what: &str, condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    eventually_within(what, std::time::Duration::from_secs(10), condition).await;
}

/// Waits until `condition` holds, checking every 10 ms, for at most `limit`.
pub async fn eventually_within<F, Fut>(what: &str, limit: std::time::Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Runs each listed `async fn name(backend: Backend)` once per backend, as tests named
/// `sqlite::name`, `postgres::name` and `mysql::name`.
#[macro_export]
macro_rules! each_backend {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() { super::$test($crate::Backend::Sqlite).await }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() { super::$test($crate::Backend::Postgres).await }
            )*
        }
        mod mysql {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() { super::$test($crate::Backend::MySql).await }
            )*
        }
    };
}

/// An environment variable a test reads to find its servers and tools, or `default`.
pub fn env_or(name: &str, default: &str) -> String {
    #[allow(clippy::disallowed_methods)] // tests choose their servers from the environment
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// The local embedding model's directory: `HEARTH_TEST_MODEL_DIR`, or where `scripts/model.sh`
/// puts all-MiniLM-L6-v2.
pub fn model_dir() -> PathBuf {
    let home = env_or("HOME", "/root");
    PathBuf::from(env_or(
        "HEARTH_TEST_MODEL_DIR",
        &format!("{home}/.cache/hearth/models/all-MiniLM-L6-v2"),
    ))
}

/// ONNX Runtime's shared library: `HEARTH_TEST_ONNX_RUNTIME`, or where `scripts/onnxruntime.sh`
/// puts it.
pub fn onnx_runtime() -> PathBuf {
    let home = env_or("HOME", "/root");
    PathBuf::from(env_or(
        "HEARTH_TEST_ONNX_RUNTIME",
        &format!("{home}/.cache/hearth/onnxruntime/lib/libonnxruntime.so"),
    ))
}

/// PostgreSQL with pgvector (`scripts/pgvector.sh`): `HEARTH_TEST_PGVECTOR_URL`.
pub fn pgvector_url() -> String {
    env_or(
        "HEARTH_TEST_PGVECTOR_URL",
        "postgres://postgres@127.0.0.1:55432/postgres",
    )
}

/// The Chroma server (`scripts/chroma.sh`) as `(host, port)`: `HEARTH_TEST_CHROMA`.
pub fn chroma_address() -> (String, u16) {
    let address = env_or("HEARTH_TEST_CHROMA", "127.0.0.1:8011");
    let (host, port) = address
        .rsplit_once(':')
        .expect("HEARTH_TEST_CHROMA is host:port");
    (host.to_owned(), port.parse().expect("a port number"))
}

/// The Tika server (`scripts/tika.sh`): `HEARTH_TEST_TIKA_URL`.
pub fn tika_url() -> String {
    env_or("HEARTH_TEST_TIKA_URL", "http://127.0.0.1:9998")
}

/// The repository's `tests/fixtures` directory.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_in_a_url() {
        assert_eq!(
            replace_database("postgres://p@h:5432/postgres", "x"),
            "postgres://p@h:5432/x"
        );
        assert_eq!(
            replace_database("mysql://root@h:3306/test?ssl-mode=disabled", "x"),
            "mysql://root@h:3306/x?ssl-mode=disabled"
        );
        assert_eq!(replace_database("postgres://p@h", "x"), "postgres://p@h/x");
    }
}
