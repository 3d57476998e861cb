//! The processes under test: Hearth, the bare-axum baseline and fake model servers, started from the
//! release binaries next to the harness, each in a fresh directory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::process::{Child, Command};

use crate::load;

/// A server binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Binary {
    Hearth,
    BareAxum,
    FakeLlm,
    /// The reference system, Open WebUI (`scripts/open-webui.sh` installs it; `bench/run.sh` passes
    /// its command as `HEARTH_BENCH_OPEN_WEBUI`).
    OpenWebUi,
}

impl Binary {
    pub(crate) fn path(self) -> Result<PathBuf> {
        if self == Binary::OpenWebUi {
            #[allow(clippy::disallowed_methods)]
            // the harness finds the reference system in its environment
            let command = std::env::var("HEARTH_BENCH_OPEN_WEBUI").context(
                "HEARTH_BENCH_OPEN_WEBUI (the open-webui command; bench/run.sh sets it)",
            )?;
            return Ok(PathBuf::from(command));
        }
        let dir = std::env::current_exe()?
            .parent()
            .context("the harness has a directory")?
            .to_path_buf();
        let name = match self {
            Binary::Hearth => "hearth",
            Binary::BareAxum => "bench-baseline",
            Binary::FakeLlm => "hearth-fake-llm",
            Binary::OpenWebUi => unreachable!("found above"),
        };
        let path = dir.join(name);
        if !path.is_file() {
            bail!(
                "{} is missing; build it with `cargo build --release -p hearth -p hearth-bench -p hearth-fakes`",
                path.display()
            );
        }
        Ok(path)
    }
}

/// A started server.
pub(crate) struct Server {
    child: Child,
    pub(crate) addr: String,
    data: tempfile::TempDir,
    pub(crate) time_to_health: Duration,
    pub(crate) time_to_ready: Option<Duration>,
}

impl Server {
    /// Starts `binary` on a free port with these extra environment variables and arguments, and
    /// waits until it answers (`/health`, then `/ready` for Hearth and Open WebUI; `/v1/models` for
    /// the fake).
    pub(crate) async fn start(
        binary: Binary,
        env: &[(&str, String)],
        args: &[String],
    ) -> Result<Self> {
        let data = tempfile::tempdir()?;
        let port = hearth_testkit::deployment::free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut command = Command::new(binary.path()?);
        // Embedded defaults, as a user runs them (LOG_LEVEL=info included); only the address is set.
        command
            .current_dir(data.path())
            .env_clear()
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        if binary == Binary::FakeLlm {
            command.args(["--port", &port.to_string()]);
        }
        if binary == Binary::OpenWebUi {
            // Offline, on its own defaults (SQLite, Chroma, local files) in the fresh directory, with
            // the same local MiniLM model Hearth uses; only the address and the key are set.
            let model = hearth_testkit::model_dir();
            command
                .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
                .env("HOME", data.path())
                .env("DATA_DIR", data.path().join("data"))
                .env(
                    "WEBUI_SECRET_KEY",
                    "bench-secret-key-0123456789-abcdefghijkl",
                )
                .env("HF_HUB_OFFLINE", "1")
                .env("OFFLINE_MODE", "true")
                .env("RAG_EMBEDDING_MODEL", model)
                .env("ENABLE_OLLAMA_API", "false")
                .env("PATH", "/usr/local/bin:/usr/bin:/bin");
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let started = Instant::now();
        let child = command.spawn()?;
        let probe = if binary == Binary::FakeLlm {
            "/v1/models"
        } else {
            "/health"
        };
        let time_to_health = wait_for(&addr, probe, started).await?;
        // Readiness: both systems answer `/ready` with 200 once their start-up is done and their
        // database answers.
        let time_to_ready = if matches!(binary, Binary::Hearth | Binary::OpenWebUi) {
            Some(wait_for(&addr, "/ready", started).await?)
        } else {
            None
        };
        Ok(Self {
            child,
            addr,
            data,
            time_to_health,
            time_to_ready,
        })
    }

    pub(crate) fn pid(&self) -> Result<u32> {
        self.child.id().context("running")
    }

    /// The fresh directory the server runs in (Hearth's `DATA_DIR` is `data/` inside it); removed
    /// when the server is dropped.
    pub(crate) fn dir(&self) -> &Path {
        self.data.path()
    }

    /// Resident memory in MiB.
    pub(crate) fn rss_mib(&self) -> Result<f64> {
        rss_mib(self.pid()?)
    }

    pub(crate) async fn stop(mut self) -> Result<()> {
        self.child.kill().await?;
        Ok(())
    }
}

/// Resident memory of a process in MiB.
pub(crate) fn rss_mib(pid: u32) -> Result<f64> {
    status_mib(pid, "VmRSS")
}

/// The most resident memory a process has had (`VmHWM`: since it started, or since
/// [`reset_peak_rss`]), in MiB.
pub(crate) fn peak_rss_mib(pid: u32) -> Result<f64> {
    status_mib(pid, "VmHWM")
}

/// Resets a process's peak resident memory to its current size (`5` to `clear_refs`, Linux 4.0+), so
/// that `VmHWM` then covers only what follows.
pub(crate) fn reset_peak_rss(pid: u32) -> Result<()> {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")?;
    Ok(())
}

/// A `kB` field of `/proc/<pid>/status`, in MiB.
fn status_mib(pid: u32, field: &str) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next())
        .with_context(|| field.to_owned())?
        .parse()?;
    Ok(kib / 1024.0)
}

/// Polls `path` every 2 ms until it answers 200; returns the time since `started`.
async fn wait_for(addr: &str, path: &str, started: Instant) -> Result<Duration> {
    while started.elapsed() < Duration::from_secs(180) {
        if let Ok((200, _)) = load::request(addr, "GET", path, None, None).await {
            return Ok(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    bail!("{addr}{path} did not answer 200 within 180 s")
}

/// Signs up the first user (the same request on Hearth and on Open WebUI) and returns their
/// session token.
pub(crate) async fn session_token(addr: &str) -> Result<String> {
    let body = r#"{"name": "Bench", "email": "bench@example.org", "password": "bench-password"}"#;
    let (status, text) =
        load::request(addr, "POST", "/api/v1/auths/signup", Some(body), None).await?;
    if status != 200 {
        bail!("sign-up failed with {status}: {text}");
    }
    let session: serde_json::Value = serde_json::from_str(&text)?;
    Ok(session["token"].as_str().context("a token")?.to_owned())
}

/// Signs up the first user and returns an API key for them.
pub(crate) async fn api_key(addr: &str) -> Result<String> {
    let body = r#"{"email": "bench@example.org", "password": "bench-password"}"#;
    let (status, text) =
        load::request(addr, "POST", "/api/v1/auths/signup", Some(body), None).await?;
    if status != 200 {
        bail!("sign-up failed with {status}: {text}");
    }
    let session: serde_json::Value = serde_json::from_str(&text)?;
    let token = session["token"].as_str().context("a token")?;
    let (status, text) = load::request(
        addr,
        "POST",
        "/api/v1/auths/api_key",
        Some("{}"),
        Some(token),
    )
    .await?;
    if status != 200 {
        bail!("API key creation failed with {status}: {text}");
    }
    let key: serde_json::Value = serde_json::from_str(&text)?;
    Ok(key["api_key"].as_str().context("an api key")?.to_owned())
}
