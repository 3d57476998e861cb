//! Running the `hearth` binary in tests: spawn it, collect its output, find its address, stop it.
#![allow(dead_code, unreachable_pub)] // each test binary uses a different part

use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use hearth_testkit::deployment::Process;
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

pub const KEY: &str = "cli-test-secret-key-0123456789-abcdefghij";

/// The log line of a process that applied every migration to an empty database.
pub fn applied_all() -> String {
    format!(
        "applied {} migration(s)",
        hearth_db::Store::migration_names().len()
    )
}
pub const WAIT: Duration = Duration::from_secs(30);

/// A running `hearth` process whose stdout and stderr lines are collected (the harness's own
/// [`Process`], started from this package's binary).
pub struct Hearth(Process);

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
        Self(Process::spawn(
            env!("CARGO_BIN_EXE_hearth").as_ref(),
            args,
            env,
            dir,
        ))
    }
}

impl std::ops::Deref for Hearth {
    type Target = Process;

    fn deref(&self) -> &Process {
        &self.0
    }
}

impl std::ops::DerefMut for Hearth {
    fn deref_mut(&mut self) -> &mut Process {
        &mut self.0
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
