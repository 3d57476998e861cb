//! Running the `hearth` binary in tests: spawn it, collect its output, find its address, stop it.
#![allow(dead_code, unreachable_pub)] // each test binary uses a different part

use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

pub const KEY: &str = "cli-test-secret-key-0123456789-abcdefghij";

/// The log line of a process that applied every migration to an empty database.
pub fn applied_all() -> String {
    format!(
        "applied {} migration(s)",
        hearth_db::Store::migration_names().len()
    )
}
pub const WAIT: Duration = Duration::from_secs(30);

/// A running `hearth` process whose stdout and stderr lines are collected.
pub struct Hearth {
    pub child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    log: Arc<Mutex<Vec<String>>>,
}

pub fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hearth"));
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

impl Hearth {
    pub fn spawn(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = command(dir, args, env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("hearth starts");
        let (tx, lines) = mpsc::unbounded_channel();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        for stream in [
            Box::new(stdout) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
            Box::new(stderr),
        ] {
            let (tx, log) = (tx.clone(), log.clone());
            tokio::spawn(async move {
                let mut reader = BufReader::new(stream).lines();
                while let Ok(Some(line)) = reader.next_line().await {
                    log.lock().unwrap().push(line.clone());
                    let _ = tx.send(line);
                }
            });
        }
        Self { child, lines, log }
    }

    /// Waits for a line containing `needle` and returns it.
    pub async fn wait_for(&mut self, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let line = tokio::time::timeout_at(deadline, self.lines.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!("no line containing {needle:?}; output:\n{}", self.output())
                })
                .unwrap_or_else(|| {
                    panic!(
                        "hearth exited before printing {needle:?}; output:\n{}",
                        self.output()
                    )
                });
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// Waits for the "listening" line and returns the base URL.
    pub async fn base_url(&mut self) -> String {
        let line = self.wait_for("listening").await;
        let start = line.find("http://").expect("an address");
        line[start..]
            .split(|c: char| c.is_whitespace() || c == '"')
            .next()
            .unwrap()
            .to_owned()
    }

    pub fn output(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    pub async fn terminate(&mut self) -> ExitStatus {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("exits after SIGTERM")
            .unwrap()
    }
}

pub fn local(env: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut all = vec![("HOST", "127.0.0.1"), ("PORT", "0")];
    all.extend_from_slice(env);
    all
}

pub async fn post(
    client: &reqwest::Client,
    url: &str,
    body: Value,
    token: Option<&str>,
) -> reqwest::Response {
    let mut request = client.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// Runs `hearth` to completion: (exit status, stdout, stderr).
pub async fn run(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&str>,
) -> (ExitStatus, String, String) {
    let mut child = command(dir, args, env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.unwrap();
    }
    drop(input);
    let output = tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .expect("finishes")
        .unwrap();
    (
        output.status,
        String::from_utf8_lossy(&output.stdout).into(),
        String::from_utf8_lossy(&output.stderr).into(),
    )
}
