//! `hearth-bench`: measures Hearth on embedded defaults — start-up to `/health` and `/ready`, idle
//! memory, requests per second and latency for `/health` and an authenticated `GET /api/v1/auths/` —
//! side by side with a bare axum server in the same run, and writes a Markdown and a JSON table.
//!
//! Run it with `bench/run.sh` (which builds the release binaries first).

mod load;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde::Serialize;
use tokio::process::{Child, Command};

/// Benchmarks Hearth against a bare axum baseline.
#[derive(Debug, Parser)]
struct Args {
    /// Measure Hearth only (quick check).
    #[arg(long)]
    only_hearth: bool,
    /// Seconds of measured load per endpoint.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Seconds of unmeasured load before each measurement.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Start-ups measured per system (the median is reported).
    #[arg(long, default_value_t = 5)]
    starts: usize,
    /// Directory for `latest.md` and `latest.json`.
    #[arg(long, default_value = "bench/results")]
    out: PathBuf,
}

/// A server binary under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
enum System {
    Hearth,
    BareAxum,
}

impl System {
    fn binary(self) -> Result<PathBuf> {
        let dir = std::env::current_exe()?
            .parent()
            .context("the harness has a directory")?
            .to_path_buf();
        let name = match self {
            System::Hearth => "hearth",
            System::BareAxum => "bench-baseline",
        };
        let path = dir.join(name);
        if !path.is_file() {
            bail!(
                "{} is missing; build it with `cargo build --release -p hearth -p hearth-bench`",
                path.display()
            );
        }
        Ok(path)
    }

    fn label(self) -> &'static str {
        match self {
            System::Hearth => "Hearth",
            System::BareAxum => "bare axum",
        }
    }
}

/// A started server.
struct Server {
    child: Child,
    addr: String,
    _data: tempfile::TempDir,
    time_to_health: Duration,
    time_to_ready: Option<Duration>,
}

impl Server {
    async fn start(system: System) -> Result<Self> {
        let data = tempfile::tempdir()?;
        let port = free_port()?;
        let addr = format!("127.0.0.1:{port}");
        let mut command = Command::new(system.binary()?);
        // Embedded defaults, as a user runs them (LOG_LEVEL=info included); only the address is set.
        command
            .current_dir(data.path())
            .env_clear()
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        let started = Instant::now();
        let child = command.spawn()?;
        let time_to_health = wait_for(&addr, "/health", started).await?;
        let time_to_ready = if system == System::Hearth {
            Some(wait_for(&addr, "/ready", started).await?)
        } else {
            None
        };
        Ok(Self {
            child,
            addr,
            _data: data,
            time_to_health,
            time_to_ready,
        })
    }

    fn rss_mib(&self) -> Result<f64> {
        let pid = self.child.id().context("running")?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .context("VmRSS")?
            .parse()?;
        Ok(kib / 1024.0)
    }

    async fn stop(mut self) -> Result<()> {
        self.child.kill().await?;
        Ok(())
    }
}

/// Polls `path` every 2 ms until it answers 200; returns the time since `started`.
async fn wait_for(addr: &str, path: &str, started: Instant) -> Result<Duration> {
    while started.elapsed() < Duration::from_secs(120) {
        if let Ok((200, _)) = load::request(addr, "GET", path, None, None).await {
            return Ok(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    bail!("{addr}{path} did not answer 200 within 120 s")
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// One row of the results table.
#[derive(Debug, Serialize)]
struct Row {
    scenario: String,
    unit: &'static str,
    hearth: f64,
    baseline: Option<f64>,
    /// Hearth divided by the baseline.
    ratio: Option<f64>,
    /// Whether a larger number is better.
    higher_is_better: bool,
}

#[derive(Debug, Serialize)]
struct Machine {
    cores: usize,
    memory_gib: f64,
    cpu: String,
    kernel: String,
}

#[derive(Debug, Serialize)]
struct Report {
    command: String,
    machine: Machine,
    connections: usize,
    duration_seconds: u64,
    rows: Vec<Row>,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    let args = Args::parse();
    let mut systems = vec![System::Hearth];
    if !args.only_hearth {
        systems.push(System::BareAxum);
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut push =
        |scenario: &str, unit: &'static str, higher_is_better: bool, values: &[(System, f64)]| {
            let value = |system| values.iter().find(|(s, _)| *s == system).map(|(_, v)| *v);
            let hearth = value(System::Hearth).unwrap_or(f64::NAN);
            let baseline = value(System::BareAxum);
            rows.push(Row {
                scenario: scenario.to_owned(),
                unit,
                hearth,
                baseline,
                ratio: baseline.map(|b| hearth / b),
                higher_is_better,
            });
        };

    // Start-up: the median of several cold starts, each in a fresh, empty directory.
    let mut health = Vec::new();
    let mut ready = Vec::new();
    for &system in &systems {
        let mut times = Vec::new();
        for _ in 0..args.starts {
            let server = Server::start(system).await?;
            times.push((server.time_to_health, server.time_to_ready));
            server.stop().await?;
        }
        health.push((
            system,
            median(times.iter().map(|t| t.0.as_secs_f64() * 1000.0).collect()),
        ));
        if system == System::Hearth {
            ready.push((
                system,
                median(
                    times
                        .iter()
                        .filter_map(|t| t.1)
                        .map(|d| d.as_secs_f64() * 1000.0)
                        .collect(),
                ),
            ));
        }
        eprintln!("{}: start-up measured", system.label());
    }
    push(
        "start to /health 200 (median of cold starts)",
        "ms",
        false,
        &health,
    );
    push(
        "start to /ready 200 (median of cold starts)",
        "ms",
        false,
        &ready,
    );

    // Memory and throughput on one running server per system.
    let duration = Duration::from_secs(args.duration);
    let warmup = Duration::from_secs(args.warmup);
    let mut idle = Vec::new();
    let mut after = Vec::new();
    let mut health_rps = Vec::new();
    let mut health_p50 = Vec::new();
    let mut health_p99 = Vec::new();
    let mut auth = None;
    for &system in &systems {
        let server = Server::start(system).await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        idle.push((system, server.rss_mib()?));
        let target = load::Target {
            addr: server.addr.clone(),
            path: "/health".into(),
            bearer: None,
        };
        let result = load::run(&target, args.connections, warmup, duration).await?;
        eprintln!("{}: /health {result:?}", system.label());
        if result.errors > 0 {
            bail!(
                "{}: {} failed requests on /health",
                system.label(),
                result.errors
            );
        }
        health_rps.push((system, result.requests_per_second));
        health_p50.push((system, result.p50_ms));
        health_p99.push((system, result.p99_ms));
        if system == System::Hearth {
            let token = sign_up(&server.addr).await?;
            let target = load::Target {
                addr: server.addr.clone(),
                path: "/api/v1/auths/".into(),
                bearer: Some(token),
            };
            let result = load::run(&target, args.connections, warmup, duration).await?;
            eprintln!("Hearth: /api/v1/auths/ {result:?}");
            if result.errors > 0 {
                bail!(
                    "Hearth: {} failed requests on /api/v1/auths/",
                    result.errors
                );
            }
            auth = Some(result);
        }
        after.push((system, server.rss_mib()?));
        server.stop().await?;
    }
    push("idle RSS after start", "MiB", false, &idle);
    push("GET /health", "requests/s", true, &health_rps);
    push("GET /health p50", "ms", false, &health_p50);
    push("GET /health p99", "ms", false, &health_p99);
    if let Some(auth) = auth {
        push(
            "GET /api/v1/auths/ (Bearer token)",
            "requests/s",
            true,
            &[(System::Hearth, auth.requests_per_second)],
        );
        push(
            "GET /api/v1/auths/ p50",
            "ms",
            false,
            &[(System::Hearth, auth.p50_ms)],
        );
        push(
            "GET /api/v1/auths/ p99",
            "ms",
            false,
            &[(System::Hearth, auth.p99_ms)],
        );
    }
    push("RSS after the load runs", "MiB", false, &after);

    let report = Report {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        machine: machine()?,
        connections: args.connections,
        duration_seconds: args.duration,
        rows,
    };
    write_report(&args.out, &report)
}

/// Signs up the first user and returns their token.
async fn sign_up(addr: &str) -> Result<String> {
    let body = r#"{"email": "bench@example.org", "password": "bench-password"}"#;
    let (status, text) =
        load::request(addr, "POST", "/api/v1/auths/signup", Some(body), None).await?;
    if status != 200 {
        bail!("sign-up failed with {status}: {text}");
    }
    let value: serde_json::Value = serde_json::from_str(&text)?;
    Ok(value["token"].as_str().context("a token")?.to_owned())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn machine() -> Result<Machine> {
    let meminfo = std::fs::read_to_string("/proc/meminfo")?;
    let kib: f64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next())
        .context("MemTotal")?
        .parse()?;
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned());
    Ok(Machine {
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        memory_gib: kib / 1024.0 / 1024.0,
        cpu: cpu.unwrap_or_else(|| "unknown".into()),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_owned(),
    })
}

fn write_report(out: &Path, report: &Report) -> Result<()> {
    std::fs::create_dir_all(out)?;
    std::fs::write(
        out.join("latest.json"),
        serde_json::to_string_pretty(report)? + "\n",
    )?;
    let mut md = String::new();
    md.push_str(&format!(
        "Machine: {} cores, {:.1} GiB, {} (Linux {}). Load: {} keep-alive connections, {} s per endpoint, generator on the same machine.\n\n",
        report.machine.cores, report.machine.memory_gib, report.machine.cpu, report.machine.kernel, report.connections, report.duration_seconds
    ));
    md.push_str(
        "| scenario | unit | Hearth | bare axum | Hearth / bare axum |\n|---|---|---:|---:|---:|\n",
    );
    for row in &report.rows {
        let fmt = |v: f64| {
            if v >= 100.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.2}")
            }
        };
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            row.scenario,
            row.unit,
            fmt(row.hearth),
            row.baseline.map_or_else(|| "—".into(), fmt),
            row.ratio.map_or_else(|| "—".into(), |r| format!("{r:.2}")),
        ));
    }
    std::fs::write(out.join("latest.md"), &md)?;
    #[allow(clippy::print_stdout)] // the table is the harness's output
    {
        println!("{md}");
    }
    Ok(())
}
