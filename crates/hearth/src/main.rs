//! The `hearth` binary: one executable, several roles (`serve`, `worker`, `migrate`, `admin …`).
//!
//! Every role loads and validates the settings first and, on a bad configuration, prints one line
//! saying what to change and exits with status 2; other failures exit with status 1.

mod admin;
mod backup;
mod startup;
mod telemetry;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Hearth: a self-hosted AI workspace.
#[derive(Debug, Parser)]
#[command(name = "hearth", version, about)]
struct Cli {
    /// A TOML file of settings; the environment overrides it. Also `HEARTH_CONFIG_FILE`.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default): migrates first unless ENABLE_DB_MIGRATIONS=false.
    Serve,
    /// Run background job workers only (no API); `/health`, `/ready` and `/metrics` stay on PORT.
    Worker,
    /// Apply pending database migrations and exit. Safe to run from many processes at once.
    Migrate,
    /// Exit 0 when this machine's server answers `GET /health` on PORT (for container
    /// health checks, without curl in the image).
    Healthcheck,
    /// Operator tasks.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
}

/// How a role failed: a bad configuration (status 2) or anything else (status 1).
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("configuration error: {0}")]
    Config(String),
    #[error("{0}")]
    Runtime(String),
}

impl Failure {
    fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Config(_) => ExitCode::from(2),
            Failure::Runtime(_) => ExitCode::from(1),
        }
    }
}

fn main() -> ExitCode {
    // A document parser run by the server in a resource-limited child process of this executable:
    // nothing else (no runtime, no logging) may start before it, stdout is its answer.
    if std::env::args().nth(1).as_deref() == Some(hearth_extract::CHILD_COMMAND) {
        return hearth_extract::child_main();
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("hearth: cannot start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => startup::serve(cli.config.as_deref()).await,
            Command::Worker => startup::worker(cli.config.as_deref()).await,
            Command::Migrate => startup::migrate(cli.config.as_deref()).await,
            Command::Admin { command } => admin::run(command, cli.config.as_deref()).await,
            Command::Healthcheck => startup::healthcheck(cli.config.as_deref()).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            // One line, so orchestrators and humans see the reason at a glance.
            let line = failure.to_string().replace('\n', " ");
            eprintln!("hearth: {line}");
            tracing::error!("{line}");
            failure.exit_code()
        }
    }
}
