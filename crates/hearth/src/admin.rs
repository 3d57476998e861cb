//! `hearth admin …`: operator tasks run against the configured database.

use std::io::{BufRead, Write};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::{Subcommand, ValueEnum};
use hearth_core::time::unix_now;
use hearth_core::{Role, TenantId, default_name};
use hearth_db::{NewUser, RoleRule, Store};
use hearth_redis::{RedisBus, RedisTarget};
use hearth_server::auth::password::PasswordHasher;
use hearth_server::shared::{Announcement, publish};

use crate::telemetry::LogSink;
use crate::{Failure, startup};

#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// Create an account. Prints a generated password unless --password-stdin is given.
    CreateUser {
        #[arg(long)]
        email: String,
        /// Display name (default: the part of the e-mail before `@`).
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_enum, default_value_t = RoleArg::User)]
        role: RoleArg,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password and sign the account out everywhere. Prints a generated password unless
    /// --password-stdin is given.
    ResetPassword {
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Validate the configuration and check that the database answers; exits non-zero otherwise.
    CheckConfig,
    /// Copy the SQLite database, the embedded vector index, the local file store and the generated
    /// key into a new directory, while the server keeps running.
    Backup {
        /// A directory that does not exist yet (or is empty).
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Put a backup in place of this configuration's DATA_DIR contents (no server may be running).
    Restore {
        /// A directory written by `hearth admin backup`.
        #[arg(long)]
        from: std::path::PathBuf,
        /// Replace an existing database.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum RoleArg {
    Admin,
    User,
    Pending,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Admin => Role::Admin,
            RoleArg::User => Role::User,
            RoleArg::Pending => Role::Pending,
        }
    }
}

pub(crate) async fn run(command: AdminCommand, config_file: Option<&Path>) -> Result<(), Failure> {
    match command {
        AdminCommand::CreateUser {
            email,
            name,
            role,
            password_stdin,
        } => {
            let store = migrated_store(config_file).await?;
            let (password, generated) = password(password_stdin)?;
            let hash = hasher().hash(password.clone()).await.map_err(runtime)?;
            let name = name.unwrap_or_else(|| default_name(&email));
            let new = NewUser {
                tenant_id: TenantId::DEFAULT,
                email: &email,
                name: &name,
                password_hash: Some(&hash),
                role: RoleRule::Exactly(role.into()),
            };
            let user = store.create_user(new, unix_now()).await.map_err(runtime)?;
            report(
                &format!("created {} ({}) with id {}", user.email, user.role, user.id),
                generated.then_some(&password),
            )
        }
        AdminCommand::ResetPassword {
            email,
            password_stdin,
        } => {
            let (settings, store) = startup::open_store(config_file, LogSink::Stderr).await?;
            if settings.database.enable_db_migrations {
                store.migrate().await.map_err(runtime)?;
            }
            let (user, _) = store
                .user_with_password_by_email(TenantId::DEFAULT, &email)
                .await
                .map_err(runtime)?
                .ok_or_else(|| Failure::Runtime(format!("no account with the email {email}")))?;
            let (password, generated) = password(password_stdin)?;
            let hash = hasher().hash(password.clone()).await.map_err(runtime)?;
            let revoked = store
                .set_password(user.tenant_id, user.id, &hash, None, unix_now())
                .await
                .map_err(runtime)?;
            let told = tell_replicas(&settings, Announcement::UserChanged { user: user.id }).await;
            report(
                &format!(
                    "reset the password of {}; signed out {revoked} session(s){told}",
                    user.email
                ),
                generated.then_some(&password),
            )
        }
        AdminCommand::CheckConfig => check_config(config_file).await,
        AdminCommand::Backup { to } => crate::backup::backup(config_file, &to).await,
        AdminCommand::Restore { from, force } => {
            crate::backup::restore(config_file, &from, force).await
        }
    }
}

async fn check_config(config_file: Option<&Path>) -> Result<(), Failure> {
    let (settings, store) = startup::open_store(config_file, LogSink::Stderr).await?;
    store.ping().await.map_err(runtime)?;
    let pending = store.pending_migrations().await.map_err(runtime)?;
    let limit = store.server_max_connections().await.map_err(runtime)?;
    let lines = [
        format!("database: {} (reachable)", store.backend_name()),
        format!("data directory: {}", settings.core.data_dir.display()),
        format!("pending migrations: {}", pending.len()),
        format!(
            "pool: {} + {} overflow per process{}",
            settings.database.database_pool_size,
            settings.database.database_pool_max_overflow,
            limit
                .map(|n| format!(" (server allows {n} connections in all)"))
                .unwrap_or_default()
        ),
        "configuration OK".to_owned(),
    ];
    report(&lines.join("\n"), None)
}

/// Tells running replicas (through Redis, when configured) to drop what they cached about a change;
/// returns what to add to the report. Without Redis there is one server, whose cached sessions
/// expire within `AUTH_SESSION_CACHE_TTL`.
async fn tell_replicas(settings: &hearth_config::Settings, announcement: Announcement) -> String {
    let Some(target) = RedisTarget::from_settings(&settings.redis) else {
        return format!(
            " (a running server may accept them for up to {} s more)",
            settings.security.auth_session_cache_ttl
        );
    };
    let published = match RedisBus::connect(&target, &settings.redis.redis_key_prefix).await {
        Ok(bus) => publish(&bus, &announcement).await,
        Err(error) => Err(error),
    };
    match published {
        Ok(()) => " on every replica".to_owned(),
        Err(error) => format!(
            " (the replicas could not be told: {error}; they may accept them for up to {} s more)",
            settings.security.auth_session_cache_ttl
        ),
    }
}

/// Opens the store, migrating it first unless `ENABLE_DB_MIGRATIONS=false`.
async fn migrated_store(config_file: Option<&Path>) -> Result<Store, Failure> {
    let (settings, store) = startup::open_store(config_file, LogSink::Stderr).await?;
    if settings.database.enable_db_migrations {
        store.migrate().await.map_err(runtime)?;
    }
    Ok(store)
}

fn hasher() -> PasswordHasher {
    PasswordHasher::new(1)
}

/// The password to set and whether it was generated (and so must be shown).
fn password(from_stdin: bool) -> Result<(String, bool), Failure> {
    if !from_stdin {
        let mut bytes = [0u8; 18];
        rand::fill(&mut bytes);
        return Ok((URL_SAFE_NO_PAD.encode(bytes), true));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::Runtime(format!("cannot read stdin: {e}")))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if !(8..=256).contains(&password.chars().count()) {
        return Err(Failure::Runtime(
            "the password must be 8 to 256 characters".into(),
        ));
    }
    Ok((password, false))
}

/// Prints the outcome on stdout (for scripts), with a generated password when there is one.
fn report(message: &str, generated_password: Option<&String>) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    let mut text = format!("{message}\n");
    if let Some(password) = generated_password {
        text.push_str(&format!("password: {password}\n"));
    }
    out.write_all(text.as_bytes())
        .map_err(|e| Failure::Runtime(format!("cannot write to stdout: {e}")))
}

fn runtime(error: impl std::fmt::Display) -> Failure {
    Failure::Runtime(error.to_string())
}
