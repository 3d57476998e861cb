//! `hearth admin backup --to DIR` and `hearth admin restore --from DIR` for the embedded defaults:
//! the SQLite database, the embedded vector index, the local file store and the generated secret
//! key, copied while the server keeps running.
//!
//! Order matters. The database is copied first, in one read transaction (`VACUUM INTO`), so the
//! copy holds every write acknowledged before it began; the vector index likewise (its vectors are
//! derived from the database's passages and can be rebuilt); then the file store. Chunk objects are
//! immutable and written before the upload that names them is acknowledged, so every file the
//! copied database knows as ready has its objects in the store when they are copied after it. An
//! object deleted meanwhile (a file deleted after the database copy, then collected) is missing
//! from the backup; the storage check (`GET /api/v1/storage/check`) reports it after a restore.
//!
//! PostgreSQL, MariaDB and object stores have their own tools (pg_dump or point-in-time recovery,
//! mariadb-dump, bucket versioning): see docs/deployment.md. This command refuses them.

use std::path::{Path, PathBuf};

use hearth_config::{DatabaseTarget, Settings, StorageProvider, VectorDb};
use serde::{Deserialize, Serialize};

use crate::Failure;
use crate::startup::{self, SECRET_KEY_FILE};
use crate::telemetry::LogSink;

/// The description written beside the copied files.
const MANIFEST: &str = "hearth-backup.json";

/// What a backup holds.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    /// Unix seconds when the database copy began.
    created_at: i64,
    version: String,
    vectors: bool,
    secret_key: bool,
    files: u64,
    bytes: u64,
}

/// Where the embedded defaults keep things.
struct Layout {
    database: PathBuf,
    data_dir: PathBuf,
    /// Whether the vector index and the file store are the embedded ones.
    embedded_vectors: bool,
    local_files: bool,
}

impl Layout {
    fn of(settings: &Settings) -> Result<Self, Failure> {
        let target = settings
            .database_target()
            .map_err(|e| Failure::Config(e.to_string()))?;
        let DatabaseTarget::Sqlite { path } = target else {
            return Err(Failure::Config(format!(
                "`hearth admin backup` copies the embedded SQLite database; {} has its own tools (docs/deployment.md, \"Backups\")",
                target.backend_name()
            )));
        };
        Ok(Self {
            database: path,
            data_dir: settings.core.data_dir.clone(),
            embedded_vectors: settings.vector.vector_db == VectorDb::Embedded,
            local_files: settings.storage.storage_provider == StorageProvider::Local,
        })
    }

    fn vectors(&self) -> PathBuf {
        self.data_dir.join("vectors").join("vectors.sqlite")
    }

    fn files(&self) -> PathBuf {
        self.data_dir.join("files")
    }
}

/// `hearth admin backup --to DIR`.
pub(crate) async fn backup(config_file: Option<&Path>, to: &Path) -> Result<(), Failure> {
    let settings = startup::load_settings(config_file, LogSink::Stderr)?;
    let layout = Layout::of(&settings)?;
    let runtime = |what: &str, e: &dyn std::fmt::Display| Failure::Runtime(format!("{what}: {e}"));
    if to.exists()
        && std::fs::read_dir(to)
            .map_err(|e| runtime("cannot read the backup directory", &e))?
            .next()
            .is_some()
    {
        return Err(Failure::Config(format!(
            "{} is not empty; back up into a new directory",
            to.display()
        )));
    }
    std::fs::create_dir_all(to).map_err(|e| runtime("cannot create the backup directory", &e))?;
    let created_at = hearth_core::time::unix_now();
    hearth_db::backup::snapshot_sqlite(&layout.database, &to.join("hearth.db"))
        .await
        .map_err(|e| runtime("cannot copy the database", &e))?;
    let vectors = layout.embedded_vectors && layout.vectors().is_file();
    if vectors {
        hearth_db::backup::snapshot_sqlite(&layout.vectors(), &to.join("vectors.sqlite"))
            .await
            .map_err(|e| runtime("cannot copy the vector index", &e))?;
    }
    let (mut files, mut bytes) = (0, 0);
    if layout.local_files && layout.files().is_dir() {
        copy_tree(&layout.files(), &to.join("files"), &mut files, &mut bytes)
            .map_err(|e| runtime("cannot copy the file store", &e))?;
    }
    let key = layout.data_dir.join(SECRET_KEY_FILE);
    let secret_key = key.is_file();
    if secret_key {
        std::fs::copy(&key, to.join(SECRET_KEY_FILE))
            .map_err(|e| runtime("cannot copy the secret key", &e))?;
    }
    let manifest = Manifest {
        created_at,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        vectors,
        secret_key,
        files,
        bytes,
    };
    let text = serde_json::to_string_pretty(&manifest).expect("a manifest serialises");
    std::fs::write(to.join(MANIFEST), text)
        .map_err(|e| runtime("cannot write the manifest", &e))?;
    let stores = if layout.local_files {
        ""
    } else {
        " (files are on object storage: back them up with bucket versioning)"
    };
    report(&format!(
        "backed up the database{}, {files} stored object(s) ({bytes} bytes) into {}{stores}",
        if vectors { " and the vector index" } else { "" },
        to.display()
    ))
}

/// `hearth admin restore --from DIR`: into this configuration's `DATA_DIR`, with no server running
/// on it; an existing database is replaced only with `--force`.
pub(crate) async fn restore(
    config_file: Option<&Path>,
    from: &Path,
    force: bool,
) -> Result<(), Failure> {
    let settings = startup::load_settings(config_file, LogSink::Stderr)?;
    let layout = Layout::of(&settings)?;
    let runtime = |what: &str, e: &dyn std::fmt::Display| Failure::Runtime(format!("{what}: {e}"));
    let manifest: Manifest = std::fs::read_to_string(from.join(MANIFEST))
        .map_err(|e| Failure::Config(format!("{} is not a Hearth backup: {e}", from.display())))
        .and_then(|text| {
            serde_json::from_str(&text).map_err(|e| {
                Failure::Config(format!("{}: unreadable manifest: {e}", from.display()))
            })
        })?;
    let verdict = hearth_db::backup::check_sqlite(&from.join("hearth.db"))
        .await
        .map_err(|e| runtime("cannot read the backed-up database", &e))?;
    if verdict != "ok" {
        return Err(Failure::Runtime(format!(
            "the backed-up database fails its integrity check: {verdict}"
        )));
    }
    std::fs::create_dir_all(&layout.data_dir).map_err(|e| runtime("cannot create DATA_DIR", &e))?;
    // No server may write while the files are replaced (the same lock `hearth serve` takes).
    let _lock = startup::lock_single_server(&layout.database)?;
    if layout.database.exists() && !force {
        return Err(Failure::Config(format!(
            "{} already exists; pass --force to replace it with the backup",
            layout.database.display()
        )));
    }
    replace_file(&from.join("hearth.db"), &layout.database)
        .map_err(|e| runtime("cannot restore the database", &e))?;
    if manifest.vectors {
        let target = layout.vectors();
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| runtime("cannot create the vector directory", &e))?;
        }
        replace_file(&from.join("vectors.sqlite"), &target)
            .map_err(|e| runtime("cannot restore the vector index", &e))?;
    }
    let (mut files, mut bytes) = (0, 0);
    if from.join("files").is_dir() {
        copy_tree(&from.join("files"), &layout.files(), &mut files, &mut bytes)
            .map_err(|e| runtime("cannot restore the file store", &e))?;
    }
    if manifest.secret_key {
        std::fs::copy(
            from.join(SECRET_KEY_FILE),
            layout.data_dir.join(SECRET_KEY_FILE),
        )
        .map_err(|e| runtime("cannot restore the secret key", &e))?;
    }
    let verdict = hearth_db::backup::check_sqlite(&layout.database)
        .await
        .map_err(|e| runtime("cannot read the restored database", &e))?;
    report(&format!(
        "restored the backup of {} into {} ({files} stored object(s), {bytes} bytes); integrity check: {verdict}",
        manifest.created_at,
        layout.data_dir.display()
    ))
}

/// Replaces `target` (and its WAL files, which belong to the old database) with a copy of `source`,
/// through a temporary file renamed into place.
fn replace_file(source: &Path, target: &Path) -> std::io::Result<()> {
    let partial = target.with_extension("restoring");
    std::fs::copy(source, &partial)?;
    std::fs::File::open(&partial)?.sync_all()?;
    for suffix in ["-wal", "-shm"] {
        let mut name = target.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(PathBuf::from(name)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    std::fs::rename(&partial, target)
}

/// Copies every file under `from` to the same place under `to`, skipping the local store's
/// half-written temporaries (`name#n`).
fn copy_tree(from: &Path, to: &Path, files: &mut u64, bytes: &mut u64) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &to.join(&name), files, bytes)?;
        } else if kind.is_file() && !name.to_string_lossy().contains('#') {
            match std::fs::copy(entry.path(), to.join(&name)) {
                Ok(copied) => {
                    *files += 1;
                    *bytes += copied;
                }
                // Deleted since it was listed (collected): it belonged to no file the copy knows.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

fn report(message: &str) -> Result<(), Failure> {
    use std::io::Write;
    writeln!(std::io::stdout(), "{message}")
        .map_err(|e| Failure::Runtime(format!("cannot write to stdout: {e}")))
}
