//! `reference`: Hearth beside the system users run today, Open WebUI, measured in the same run on
//! the same machine, each on its embedded defaults in a fresh directory: cold start to `/health`,
//! idle memory, and requests per second with latency for `/health`, an authenticated
//! `GET /api/v1/auths/` (the same path and the same sign-up on both), `GET /api/models` (both
//! connected to the same fake model server) and `GET /api/v1/chats/` with 1,000 stored chats. Each
//! answer is checked first (the signed-up account, the fake's model, the stored chats), so a fast
//! wrong answer cannot win.
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
    models: load::LoadResult,
    chats: load::LoadResult,
}

/// Chats stored before `GET /api/v1/chats/` is measured.
const CHATS: usize = 1_000;

async fn measure(system: Binary, args: &Args, model_server: &str) -> Result<Figures> {
    let env = [
        ("OPENAI_API_BASE_URLS", model_server.to_owned()),
        ("OPENAI_API_KEYS", "sk-fake".to_owned()),
        ("ENABLE_OPENAI_API", "true".to_owned()),
    ];
    let mut starts = Vec::new();
    for _ in 0..args.starts.min(3) {
        let server = Server::start(system, &env, &[]).await?;
        starts.push(server.time_to_health.as_secs_f64() * 1000.0);
        server.stop().await?;
    }
    let server = Server::start(system, &env, &[]).await?;
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
    let authed = |path: &str| load::Target {
        addr: server.addr.clone(),
        path: path.into(),
        bearer: Some(token.clone()),
    };
    let auth = load::run(
        &authed("/api/v1/auths/"),
        args.connections,
        warmup,
        duration,
    )
    .await?;

    let (status, body) =
        load::request(&server.addr, "GET", "/api/models", None, Some(&token)).await?;
    if status != 200 || !body.contains("fake-model") {
        bail!("{system:?}: GET /api/models answered {status} without the fake's model: {body}");
    }
    let models = load::run(&authed("/api/models"), args.connections, warmup, duration).await?;

    // The same stored history on both: Hearth creates with `POST /api/v1/chats`, Open WebUI with
    // `POST /api/v1/chats/new`.
    for n in 0..CHATS {
        let (path, body) = match system {
            Binary::OpenWebUi => (
                "/api/v1/chats/new",
                format!(r#"{{"chat": {{"title": "chat {n}", "messages": []}}}}"#),
            ),
            _ => ("/api/v1/chats", format!(r#"{{"title": "chat {n}"}}"#)),
        };
        let (status, text) =
            load::request(&server.addr, "POST", path, Some(&body), Some(&token)).await?;
        if status != 200 {
            bail!("{system:?}: creating chat {n} answered {status}: {text}");
        }
    }
    let (status, body) =
        load::request(&server.addr, "GET", "/api/v1/chats/", None, Some(&token)).await?;
    if status != 200 || !body.contains("chat 999") {
        bail!("{system:?}: GET /api/v1/chats/ answered {status} without the newest chat");
    }
    let chats = load::run(
        &authed("/api/v1/chats/"),
        args.connections,
        warmup,
        duration,
    )
    .await?;
    for (what, result) in [
        ("/health", &health),
        ("/api/v1/auths/", &auth),
        ("/api/models", &models),
        ("/api/v1/chats/", &chats),
    ] {
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
        models,
        chats,
    })
}

pub(crate) async fn run(args: &Args, table: &mut Table) -> Result<()> {
    let fake = Server::start(
        Binary::FakeLlm,
        &[],
        &[
            "--models".into(),
            "fake-model".into(),
            "--tokens".into(),
            "32".into(),
        ],
    )
    .await?;
    let model_server = format!("http://{}/v1", fake.addr);
    let hearth = measure(Binary::Hearth, args, &model_server).await?;
    let reference = if args.only_hearth {
        None
    } else {
        Some(measure(Binary::OpenWebUi, args, &model_server).await?)
    };
    fake.stop().await?;
    let r = reference.as_ref();
    let rows: [(&str, &'static str, f64, Option<f64>); 15] = [
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
            "GET /api/models",
            "requests/s",
            hearth.models.requests_per_second,
            r.map(|f| f.models.requests_per_second),
        ),
        (
            "GET /api/models p50",
            "ms",
            hearth.models.p50_ms,
            r.map(|f| f.models.p50_ms),
        ),
        (
            "GET /api/models p99",
            "ms",
            hearth.models.p99_ms,
            r.map(|f| f.models.p99_ms),
        ),
        (
            "GET /api/v1/chats/ with 1,000 chats",
            "requests/s",
            hearth.chats.requests_per_second,
            r.map(|f| f.chats.requests_per_second),
        ),
        (
            "GET /api/v1/chats/ p50",
            "ms",
            hearth.chats.p50_ms,
            r.map(|f| f.chats.p50_ms),
        ),
        (
            "GET /api/v1/chats/ p99",
            "ms",
            hearth.chats.p99_ms,
            r.map(|f| f.chats.p99_ms),
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
