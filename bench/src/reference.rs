//! `reference`: Hearth beside the system users run today, Open WebUI, measured in the same run on
//! the same machine, each on its embedded defaults in a fresh directory: cold start to `/health`,
//! idle memory, and requests per second with latency for `/health` and an authenticated
//! `GET /api/v1/auths/` (the same path and the same sign-up on both). Each authenticated answer is
//! checked to be the signed-up account, so a fast wrong answer cannot win.
//!
//! With `--only-hearth` the reference system is skipped (the quick form).

use std::time::Duration;

use anyhow::{Result, bail};

use crate::report::Compare;
use crate::servers::{self, Binary, Server};
use crate::{Args, Table, load, median};

const S: &str = "reference";

/// One system's figures.
struct Figures {
    start_ms: f64,
    idle_mib: f64,
    health: load::LoadResult,
    auth: load::LoadResult,
}

async fn measure(system: Binary, args: &Args) -> Result<Figures> {
    let mut starts = Vec::new();
    for _ in 0..args.starts.min(3) {
        let server = Server::start(system, &[], &[]).await?;
        starts.push(server.time_to_health.as_secs_f64() * 1000.0);
        server.stop().await?;
    }
    let server = Server::start(system, &[], &[]).await?;
    // Settled: what a server holds when nothing happens.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let idle_mib = server.rss_mib()?;
    let (duration, warmup) = (
        Duration::from_secs(args.duration),
        Duration::from_secs(args.warmup),
    );
    let health = load::run(
        &load::Target {
            addr: server.addr.clone(),
            path: "/health".into(),
            bearer: None,
        },
        args.connections,
        warmup,
        duration,
    )
    .await?;
    let token = servers::session_token(&server.addr).await?;
    let (status, body) =
        load::request(&server.addr, "GET", "/api/v1/auths/", None, Some(&token)).await?;
    let me: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    if status != 200 || me["email"] != "bench@example.org" {
        bail!("{system:?}: GET /api/v1/auths/ answered {status}: {body}");
    }
    let auth = load::run(
        &load::Target {
            addr: server.addr.clone(),
            path: "/api/v1/auths/".into(),
            bearer: Some(token),
        },
        args.connections,
        warmup,
        duration,
    )
    .await?;
    for (what, result) in [("/health", &health), ("/api/v1/auths/", &auth)] {
        if result.errors > 0 {
            bail!("{system:?}: {} failed requests on {what}", result.errors);
        }
    }
    server.stop().await?;
    eprintln!("{system:?}: measured");
    Ok(Figures {
        start_ms: median(starts),
        idle_mib,
        health,
        auth,
    })
}

pub(crate) async fn run(args: &Args, table: &mut Table) -> Result<()> {
    let hearth = measure(Binary::Hearth, args).await?;
    let reference = if args.only_hearth {
        None
    } else {
        Some(measure(Binary::OpenWebUi, args).await?)
    };
    let r = reference.as_ref();
    let rows: [(&str, &'static str, f64, Option<f64>); 9] = [
        (
            "cold start to /health 200 (median)",
            "ms",
            hearth.start_ms,
            r.map(|f| f.start_ms),
        ),
        (
            "idle RSS, 5 s after start",
            "MiB",
            hearth.idle_mib,
            r.map(|f| f.idle_mib),
        ),
        (
            "GET /health",
            "requests/s",
            hearth.health.requests_per_second,
            r.map(|f| f.health.requests_per_second),
        ),
        (
            "GET /health p50",
            "ms",
            hearth.health.p50_ms,
            r.map(|f| f.health.p50_ms),
        ),
        (
            "GET /health p99",
            "ms",
            hearth.health.p99_ms,
            r.map(|f| f.health.p99_ms),
        ),
        (
            "authenticated GET /api/v1/auths/",
            "requests/s",
            hearth.auth.requests_per_second,
            r.map(|f| f.auth.requests_per_second),
        ),
        (
            "authenticated GET /api/v1/auths/ p50",
            "ms",
            hearth.auth.p50_ms,
            r.map(|f| f.auth.p50_ms),
        ),
        (
            "authenticated GET /api/v1/auths/ p99",
            "ms",
            hearth.auth.p99_ms,
            r.map(|f| f.auth.p99_ms),
        ),
        (
            "requests made in the authenticated run",
            "requests",
            hearth.auth.requests as f64,
            r.map(|f| f.auth.requests as f64),
        ),
    ];
    for (name, unit, ours, theirs) in rows {
        let name = if name.contains("GET") || name.contains("requests made") {
            format!("{name}, {} connections", args.connections)
        } else {
            name.to_owned()
        };
        table.push(S, name, unit, ours, theirs, Compare::Ratio);
    }
    Ok(())
}
