//! Start-up shared by the roles: settings, logging, the data directory, the secret key, and the checks
//! that need the filesystem (SQLite on a network filesystem, a second server on one SQLite file).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hearth_config::{DatabaseTarget, Secret, Settings};
use hearth_db::Store;
use hearth_server::{Application, StartError};

use crate::Failure;
use crate::telemetry::{self, LogSink};

/// File in `DATA_DIR` holding the generated secret key of a single SQLite node.
pub(crate) const SECRET_KEY_FILE: &str = ".hearth_secret_key";

/// Loads and validates the settings, installs logging and logs the warnings.
pub(crate) fn load_settings(
    config_file: Option<&Path>,
    sink: LogSink,
) -> Result<Settings, Failure> {
    let settings =
        Settings::from_process_env(config_file).map_err(|e| Failure::Config(e.to_string()))?;
    let warnings = settings
        .validate()
        .map_err(|e| Failure::Config(e.to_string()))?;
    // Every role refuses backends this build lacks, not only `serve`.
    hearth_server::check_supported(&settings).map_err(|e| Failure::Config(e.to_string()))?;
    telemetry::init(&settings.core, sink)?;
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    Ok(settings)
}

/// `hearth serve`.
pub(crate) async fn serve(config_file: Option<&Path>) -> Result<(), Failure> {
    let mut settings = load_settings(config_file, LogSink::Stdout)?;
    let target = settings
        .database_target()
        .map_err(|e| Failure::Config(e.to_string()))?;
    prepare_data_dir(&settings.core.data_dir)?;
    // Held until the process exits: a second server on the same SQLite file is refused.
    let _instance_lock = match &target {
        DatabaseTarget::Sqlite { path } => {
            refuse_network_filesystem(path)?;
            Some(lock_single_server(path)?)
        }
        _ => None,
    };
    if settings.core.hearth_secret_key.is_none() {
        settings.core.hearth_secret_key = Some(generated_secret_key(&settings.core.data_dir)?);
    }
    let app = Application::build_with(settings, build_options())
        .await
        .map_err(start_failure)?;
    tracing::info!(address = %format!("http://{}", app.local_addr()), backend = %target.backend_name(), "listening");
    app.run_until_stopped(shutdown_signal())
        .await
        .map_err(|e| Failure::Runtime(format!("server error: {e}")))?;
    tracing::info!("stopped");
    Ok(())
}

/// `hearth worker`: job workers without the API, beside `hearth serve` processes on a shared database.
pub(crate) async fn worker(config_file: Option<&Path>) -> Result<(), Failure> {
    let settings = load_settings(config_file, LogSink::Stdout)?;
    let target = settings
        .database_target()
        .map_err(|e| Failure::Config(e.to_string()))?;
    if matches!(target, DatabaseTarget::Sqlite { .. }) {
        return Err(Failure::Config(
            "`hearth worker` needs a database that several processes share, and SQLite belongs to the one `hearth serve`, which runs the workers itself (HEARTH_INLINE_WORKER=true); point DATABASE_URL at PostgreSQL or MariaDB to run separate workers".into(),
        ));
    }
    let app = Application::build_worker_with(settings, build_options())
        .await
        .map_err(start_failure)?;
    tracing::info!(address = %format!("http://{}", app.local_addr()), backend = %target.backend_name(), "worker running; probes listening");
    app.run_until_stopped(shutdown_signal())
        .await
        .map_err(|e| Failure::Runtime(format!("worker error: {e}")))?;
    tracing::info!("stopped");
    Ok(())
}

/// `hearth migrate`.
pub(crate) async fn migrate(config_file: Option<&Path>) -> Result<(), Failure> {
    let store = open_store(config_file, LogSink::Stdout).await?.1;
    let report = store
        .migrate()
        .await
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    if report.applied.is_empty() {
        tracing::info!("database schema is up to date");
    } else {
        tracing::info!(applied = ?report.applied, "applied {} migration(s)", report.applied.len());
    }
    store.close().await;
    Ok(())
}

/// `hearth healthcheck`: asks the local server for `/health` on `PORT`, with a short time limit.
pub(crate) async fn healthcheck(config_file: Option<&Path>) -> Result<(), Failure> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let settings =
        Settings::from_process_env(config_file).map_err(|e| Failure::Config(e.to_string()))?;
    let address = ("127.0.0.1", settings.core.port);
    let ask = async {
        let mut stream = tokio::net::TcpStream::connect(address).await?;
        stream
            .write_all(b"GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        std::io::Result::Ok(answer)
    };
    let answer = tokio::time::timeout(std::time::Duration::from_secs(5), ask)
        .await
        .map_err(|_| Failure::Runtime("no answer from /health within 5 s".into()))?
        .map_err(|e| Failure::Runtime(format!("cannot reach 127.0.0.1:{}: {e}", address.1)))?;
    let status_line = String::from_utf8_lossy(&answer);
    let status_line = status_line.lines().next().unwrap_or_default();
    if status_line.split_whitespace().nth(1) == Some("200") {
        Ok(())
    } else {
        Err(Failure::Runtime(format!(
            "/health answered `{status_line}`"
        )))
    }
}

/// Settings and a connected store, for `migrate` and `admin` (which do not take the server lock).
pub(crate) async fn open_store(
    config_file: Option<&Path>,
    sink: LogSink,
) -> Result<(Settings, Store), Failure> {
    let settings = load_settings(config_file, sink)?;
    let target = settings
        .database_target()
        .map_err(|e| Failure::Config(e.to_string()))?;
    prepare_data_dir(&settings.core.data_dir)?;
    if let DatabaseTarget::Sqlite { path } = &target {
        refuse_network_filesystem(path)?;
    }
    let store = Store::connect(&target, &settings.database)
        .await
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    Ok((settings, store))
}

fn start_failure(error: StartError) -> Failure {
    match error {
        StartError::Config(_) | StartError::Unsupported(_) | StartError::BadOrigin(_) => {
            Failure::Config(error.to_string())
        }
        other => Failure::Runtime(other.to_string()),
    }
}

fn prepare_data_dir(dir: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::Config(format!("DATA_DIR: cannot create {}: {e}", dir.display())))
}

/// Reads the key kept in `DATA_DIR`, or generates and keeps one. Only reached on SQLite: settings
/// validation refuses a shared database without an explicit key.
fn generated_secret_key(data_dir: &Path) -> Result<Secret, Failure> {
    let path = data_dir.join(SECRET_KEY_FILE);
    let failure = |e: std::io::Error| {
        Failure::Config(format!(
            "cannot keep the secret key in {}: {e}",
            path.display()
        ))
    };
    let mut bytes = [0u8; 48];
    rand::fill(&mut bytes);
    let fresh = STANDARD.encode(bytes);
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
    {
        Ok(mut file) => {
            file.write_all(fresh.as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(failure)?;
            tracing::info!(path = %path.display(), "generated a secret key for this node");
            Ok(Secret::new(fresh))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let mut key = String::new();
            File::open(&path)
                .and_then(|mut f| f.read_to_string(&mut key))
                .map_err(failure)?;
            let key = key.trim();
            if key.len() < 32 {
                return Err(Failure::Config(format!(
                    "{} holds fewer than 32 characters; delete it to generate a new key (signs everyone out)",
                    path.display()
                )));
            }
            Ok(Secret::new(key))
        }
        Err(e) => Err(failure(e)),
    }
}

/// Filesystems on which SQLite's locking and WAL shared memory are unreliable, by `statfs` magic.
const NETWORK_FILESYSTEMS: &[(i64, &str)] = &[
    (0x6969, "NFS"),
    (0x517B, "SMB"),
    (0xFF53_4D42, "CIFS"),
    (0xFE53_4D42, "SMB2"),
    (0x00C3_6400, "CephFS"),
    (0x0102_1997, "9P"),
    (0x5346_414F, "AFS"),
    (0x0BD0_0BD0, "Lustre"),
    (0x0116_1970, "GFS2"),
    (0x7461_636F, "OCFS2"),
];
const FUSE: i64 = 0x6573_5546;

/// Refuses a SQLite file on a network filesystem (locking and WAL are unreliable there), and warns on
/// FUSE, which may or may not be remote.
fn refuse_network_filesystem(database: &Path) -> Result<(), Failure> {
    let dir = database
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Ok(stat) = rustix::fs::statfs(dir) else {
        return Ok(());
    };
    #[allow(clippy::unnecessary_cast)] // f_type's width differs between platforms
    let magic = stat.f_type as i64;
    if let Some(name) = network_filesystem(magic) {
        return Err(Failure::Config(format!(
            "the SQLite database {} is on {name}, a network filesystem where SQLite's locks and WAL are unreliable (corruption, \"database is locked\"); keep DATA_DIR on a local disk, or set DATABASE_URL to PostgreSQL",
            database.display()
        )));
    }
    if magic == FUSE {
        tracing::warn!(path = %dir.display(), "the SQLite database is on a FUSE filesystem; if it is remote, SQLite's locking is unreliable there");
    }
    Ok(())
}

/// The name of the network filesystem with this `statfs` magic number, if it is one.
fn network_filesystem(magic: i64) -> Option<&'static str> {
    NETWORK_FILESYSTEMS
        .iter()
        .find(|(m, _)| *m == magic)
        .map(|(_, name)| *name)
}

/// Takes the lock that makes a second `hearth serve` on the same SQLite file refuse to start.
pub(crate) fn lock_single_server(database: &Path) -> Result<File, Failure> {
    let path = sibling(database, ".server-lock");
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| Failure::Config(format!("cannot create {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => {
            // The pid helps an operator find the other server; the lock itself is what counts.
            let _ = file
                .set_len(0)
                .and_then(|()| writeln!(file, "{}", std::process::id()));
            Ok(file)
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            Err(Failure::Config(format!(
                "another Hearth server (pid {}) is already using {}: SQLite serves one server process; to run several, set DATABASE_URL to PostgreSQL",
                holder.trim(),
                database.display()
            )))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(Failure::Runtime(format!(
            "cannot lock {}: {e}",
            path.display()
        ))),
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

/// This executable parses documents in child processes of itself (`hearth extract-child`).
fn build_options() -> hearth_server::app::BuildOptions {
    let helper = std::env::current_exe()
        .inspect_err(|error| {
            tracing::warn!(%error, "cannot find this executable; documents will be parsed in-process");
        })
        .ok();
    hearth_server::app::BuildOptions {
        extraction_helper: helper,
        web_ui: Some(hearth_web::router()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_filesystems_are_recognised_by_their_magic_number() {
        assert_eq!(network_filesystem(0x6969), Some("NFS"));
        assert_eq!(network_filesystem(0xFF53_4D42), Some("CIFS"));
        assert_eq!(network_filesystem(0x00C3_6400), Some("CephFS"));
        assert_eq!(network_filesystem(0xEF53), None, "ext4 is local");
        assert_eq!(network_filesystem(0x0102_1994), None, "tmpfs is local");
        assert_eq!(network_filesystem(FUSE), None, "FUSE is only warned about");
    }

    #[test]
    fn the_data_directory_here_is_local() {
        let dir = tempfile::tempdir().unwrap();
        assert!(refuse_network_filesystem(&dir.path().join("hearth.db")).is_ok());
    }
}
