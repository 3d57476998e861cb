//! `reference`: Hearth beside the system users run today, Open WebUI, measured in the same run on
//! the same machine, each on its embedded defaults in a fresh directory: cold start to `/health`
//! and to readiness, idle memory, and requests per second with latency for `/health`, an
//! authenticated `GET /api/v1/auths/` (the same path and the same sign-up on both),
//! `GET /api/models` (both connected to the same fake model servers) and `GET /api/v1/chats/`
//! with 1,000 stored chats; streamed answers through each (`POST /api/chat/completions`) beside
//! the same streams taken from the fake directly: added time to first token, per-chunk latency,
//! streams per second at 1, 100 and 1,000 concurrent, streams held open and memory per stream;
//! and 200 concurrent writers sending messages into their chats (see [`crate::writers`]). Each
//! answer is checked first (the signed-up account, the fake's model, the stored chats, every
//! streamed text whole, every acknowledged message read back), so a fast wrong answer cannot win.
//!
//! With `--only-hearth` the reference system is skipped (the quick form).

use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::ingest::{self, Corpus, Ingested};
use crate::report::Compare;
use crate::servers::{self, Binary, Server};
use crate::streams::{self, LoopResult, StreamTarget};
use crate::writers::{self, WriteResult};
use crate::{Args, Table, load, median};

const S: &str = "reference";

/// One system's figures.
struct Figures {
    start_ms: f64,
    /// Start to `/ready` 200.
    ready_ms: f64,
    idle_mib: f64,
    health: load::LoadResult,
    auth: load::LoadResult,
    models: load::LoadResult,
    chats: load::LoadResult,
    streams: StreamFigures,
    writes: WriteResult,
    /// One per corpus, in order.
    ingested: Vec<Ingested>,
}

/// Streams through one system (or directly from the fake model servers).
struct StreamFigures {
    single: LoopResult,
    /// (concurrency, result) at 100 and 1,000 concurrent streams.
    concurrent: Vec<(usize, LoopResult)>,
    paced: LoopResult,
    /// Streams held open at once, and MiB of the system's memory per held stream.
    held: Option<(usize, f64)>,
}

/// The fake model servers both systems are connected to.
struct Fakes {
    fast: Server,
    paced: Server,
    slow: Server,
}

impl Fakes {
    async fn start() -> Result<Self> {
        let fake = |model: &str, extra: &[&str]| {
            let mut list = vec!["--models".to_owned(), model.to_owned()];
            list.extend(extra.iter().map(|s| (*s).to_owned()));
            list
        };
        // Fast answers (32 pieces at once), paced stamped ones (20 pieces, 20 ms apart, each stamped
        // as it leaves) and slow endless ones (a piece every 5 s) to hold open.
        Ok(Self {
            fast: Server::start(Binary::FakeLlm, &[], &fake("fast", &["--tokens", "32"])).await?,
            paced: Server::start(
                Binary::FakeLlm,
                &[],
                &fake(
                    "paced",
                    &["--tokens", "20", "--token-delay-ms", "20", "--stamp"],
                ),
            )
            .await?,
            slow: Server::start(
                Binary::FakeLlm,
                &[],
                &fake("slow", &["--tokens", "100000", "--token-delay-ms", "5000"]),
            )
            .await?,
        })
    }

    /// `OPENAI_API_BASE_URLS`, the same on both systems.
    fn urls(&self) -> String {
        [&self.fast, &self.paced, &self.slow]
            .iter()
            .map(|s| format!("http://{}/v1", s.addr))
            .collect::<Vec<_>>()
            .join(";")
    }

    async fn stop(self) -> Result<()> {
        self.fast.stop().await?;
        self.paced.stop().await?;
        self.slow.stop().await
    }
}

/// The whole text of one fast answer (`hearth-fake-llm --tokens 32`).
fn fast_answer() -> String {
    (0..32).map(|i| format!("tok{i} ")).collect()
}

/// Streams through the system that `addr` names for each model (or the fakes themselves), holding
/// streams open and measuring the memory of `hold_pid` when given.
async fn measure_streams(
    args: &Args,
    addr: &dyn Fn(&str) -> (String, String),
    bearer: Option<&str>,
    hold_pid: Option<u32>,
) -> Result<StreamFigures> {
    let duration = Duration::from_secs(args.duration);
    let target = |model: &str| {
        let (addr, path) = addr(model);
        StreamTarget {
            addr,
            path,
            bearer: bearer.map(str::to_owned),
            model: model.into(),
            expect: (model == "fast").then(fast_answer),
        }
    };
    let single = streams::closed_loop(&target("fast"), 1, duration, Some(500)).await?;
    let mut concurrent = Vec::new();
    for &level in &args.stream_levels {
        concurrent.push((
            level,
            streams::closed_loop(&target("fast"), level, duration, None).await?,
        ));
    }
    let paced = streams::closed_loop(&target("paced"), 1, duration, None).await?;
    let held = match hold_pid {
        None => None,
        Some(pid) => {
            let before = servers::rss_mib(pid)?;
            // One HTTP/1.1 connection per stream: what browsers do, and all the reference serves.
            let levels = [args.held_streams.min(100), args.held_streams];
            match streams::hold(
                &target("slow"),
                &levels,
                1,
                Duration::from_secs(5),
                pid,
                false,
            )
            .await
            {
                Ok(held) => Some((
                    held.alive,
                    (held.rss_after_hold - before) / held.alive as f64,
                )),
                Err(error) => {
                    eprintln!("holding {} streams failed: {error:#}", args.held_streams);
                    None
                }
            }
        }
    };
    Ok(StreamFigures {
        single,
        concurrent,
        paced,
        held,
    })
}

/// Chats stored before `GET /api/v1/chats/` is measured.
const CHATS: usize = 1_000;

async fn measure(
    system: Binary,
    args: &Args,
    fakes: &Fakes,
    corpora: &[Corpus],
) -> Result<Figures> {
    let mut env = vec![
        ("OPENAI_API_BASE_URLS", fakes.urls()),
        ("OPENAI_API_KEYS", "sk-fake;sk-fake;sk-fake".to_owned()),
        ("ENABLE_OPENAI_API", "true".to_owned()),
    ];
    // Open WebUI shows models to users only when access control is bypassed (or per-model grants
    // are made); Hearth offers every model to every user unless an administrator restricts it.
    if system == Binary::OpenWebUi {
        env.push(("BYPASS_MODEL_ACCESS_CONTROL", "true".to_owned()));
    }
    // Both embed with the same local MiniLM (the reference's is set where it starts); Hearth on
    // ONNX Runtime when its library is there (one setting), as the reference runs on PyTorch.
    if system == Binary::Hearth {
        env.push((
            "RAG_EMBEDDING_MODEL",
            hearth_testkit::model_dir().display().to_string(),
        ));
        if let Some(library) = crate::rag::onnx_runtime() {
            env.push(("RAG_EMBEDDING_ONNX_RUNTIME", library.display().to_string()));
        }
    }
    let (mut starts, mut readies) = (Vec::new(), Vec::new());
    for _ in 0..args.starts.min(3) {
        let server = Server::start(system, &env, &[]).await?;
        starts.push(server.time_to_health.as_secs_f64() * 1000.0);
        let ready = server.time_to_ready.context("readiness is probed")?;
        readies.push(ready.as_secs_f64() * 1000.0);
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
    if status != 200 || !body.contains("\"fast\"") {
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
    let api = |_: &str| (server.addr.clone(), "/api/chat/completions".to_owned());
    let streams = measure_streams(args, &api, Some(&token), Some(server.pid()?)).await?;
    eprintln!("{system:?}: streams measured");
    let writing = Duration::from_secs(args.writing_secs);
    let writes = writers::run(system, &server.addr, &token, "fast", args.writers, writing).await?;
    eprintln!("{system:?}: writers measured");
    let mut ingested = Vec::new();
    for corpus in corpora {
        let result = ingest::run(system, &server.addr, server.pid()?, &token, corpus).await?;
        eprintln!("{system:?}: {} ingested: {result:?}", corpus.name);
        ingested.push(result);
    }
    server.stop().await?;
    Ok(Figures {
        start_ms: median(starts),
        ready_ms: median(readies),
        idle_mib,
        health,
        auth,
        models,
        chats,
        streams,
        writes,
        ingested,
    })
}

pub(crate) async fn run(args: &Args, table: &mut Table) -> Result<()> {
    let fakes = Fakes::start().await?;
    let mut corpora = Vec::new();
    for &count in &args.ingest_files {
        corpora.push(ingest::markdown(count)?);
    }
    corpora.push(ingest::mixed()?);
    let direct = |model: &str| {
        let server = match model {
            "fast" => &fakes.fast,
            "paced" => &fakes.paced,
            _ => &fakes.slow,
        };
        (server.addr.clone(), "/v1/chat/completions".to_owned())
    };
    let direct = measure_streams(args, &direct, None, None).await?;
    let hearth = measure(Binary::Hearth, args, &fakes, &corpora).await?;
    let reference = if args.only_hearth {
        None
    } else {
        Some(measure(Binary::OpenWebUi, args, &fakes, &corpora).await?)
    };
    fakes.stop().await?;
    let r = reference.as_ref();
    let rows: [(&str, &'static str, f64, Option<f64>); 16] = [
        (
            "cold start to /health 200 (median)",
            "ms",
            hearth.start_ms,
            r.map(|f| f.start_ms),
        ),
        (
            "cold start to /ready 200 (median)",
            "ms",
            hearth.ready_ms,
            r.map(|f| f.ready_ms),
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
    push_streams(table, args, &direct, &hearth, r);
    push_writes(table, args, &hearth.writes, r.map(|f| &f.writes));
    for (i, corpus) in corpora.iter().enumerate() {
        push_ingestion(
            table,
            corpus,
            &hearth.ingested[i],
            r.map(|f| &f.ingested[i]),
        );
    }
    Ok(())
}

fn push_ingestion(table: &mut Table, corpus: &Corpus, ours: &Ingested, theirs: Option<&Ingested>) {
    let name = |what: &str| format!("{}: {what}", corpus.name);
    table.push(
        S,
        name("upload to all searchable"),
        "s",
        ours.seconds,
        theirs.map(|t| t.seconds),
        Compare::Ratio,
    );
    table.push(
        S,
        name("peak RSS meanwhile"),
        "MiB",
        ours.peak_mib,
        theirs.map(|t| t.peak_mib),
        Compare::Ratio,
    );
    table.push(
        S,
        name("files failed"),
        "files",
        ours.failed as f64,
        theirs.map(|t| t.failed as f64),
        Compare::Ratio,
    );
    table.push(
        S,
        name(&format!(
            "facts found in the top 5 passages (of {})",
            ours.checked
        )),
        "facts",
        ours.found as f64,
        theirs.map(|t| t.found as f64),
        Compare::Ratio,
    );
    table.push(
        S,
        name("retrieval query p50"),
        "ms",
        ours.query_p50_ms,
        theirs.map(|t| t.query_p50_ms),
        Compare::Ratio,
    );
    table.push(
        S,
        name("retrieval query p99"),
        "ms",
        ours.query_p99_ms,
        theirs.map(|t| t.query_p99_ms),
        Compare::Ratio,
    );
}

/// Milliseconds a system adds to what the fake alone takes.
fn added(through: f64, direct: f64) -> f64 {
    (through - direct).max(0.0)
}

fn push_streams(
    table: &mut Table,
    args: &Args,
    direct: &StreamFigures,
    hearth: &Figures,
    r: Option<&Figures>,
) {
    let (ours, theirs) = (&hearth.streams, r.map(|f| &f.streams));
    table.push(
        S,
        "added time to first token, 1 stream, p50 (fake alone: see streams/s rows)",
        "ms",
        added(
            ours.single.first_token_p50_ms,
            direct.single.first_token_p50_ms,
        ),
        theirs.map(|t| {
            added(
                t.single.first_token_p50_ms,
                direct.single.first_token_p50_ms,
            )
        }),
        Compare::Ratio,
    );
    table.push(
        S,
        "added time to first token, 1 stream, p99",
        "ms",
        added(
            ours.single.first_token_p99_ms,
            direct.single.first_token_p99_ms,
        ),
        theirs.map(|t| {
            added(
                t.single.first_token_p99_ms,
                direct.single.first_token_p99_ms,
            )
        }),
        Compare::Ratio,
    );
    table.push(
        S,
        "added per-chunk latency, p50 (20 pieces 20 ms apart)",
        "ms",
        added(ours.paced.chunk_p50_ms, direct.paced.chunk_p50_ms),
        theirs.map(|t| added(t.paced.chunk_p50_ms, direct.paced.chunk_p50_ms)),
        Compare::Ratio,
    );
    table.push(
        S,
        "added per-chunk latency, p99",
        "ms",
        added(ours.paced.chunk_p99_ms, direct.paced.chunk_p99_ms),
        theirs.map(|t| added(t.paced.chunk_p99_ms, direct.paced.chunk_p99_ms)),
        Compare::Ratio,
    );
    let levels = std::iter::once((1, &ours.single, theirs.map(|t| &t.single))).chain(
        ours.concurrent
            .iter()
            .enumerate()
            .map(|(i, (level, result))| (*level, result, theirs.map(|t| &t.concurrent[i].1))),
    );
    for (level, our, their) in levels {
        table.push(
            S,
            format!("streams per second, {level} concurrent (32 pieces, each checked whole)"),
            "streams/s",
            our.streams_per_second,
            their.map(|t| t.streams_per_second),
            Compare::Ratio,
        );
        table.push(
            S,
            format!("failed or incomplete streams, {level} concurrent"),
            "streams",
            our.errors as f64,
            their.map(|t| t.errors as f64),
            Compare::Ratio,
        );
    }
    let held = |f: &StreamFigures| f.held.map_or(0.0, |(n, _)| n as f64);
    table.push(
        S,
        format!(
            "streams held open at once (of {} tried, one connection each)",
            args.held_streams
        ),
        "streams",
        held(ours),
        theirs.map(held),
        Compare::Ratio,
    );
    let per_stream = |f: &StreamFigures| f.held.map_or(f64::NAN, |(_, mib)| mib * 1024.0);
    table.push(
        S,
        "memory per held stream",
        "KiB",
        per_stream(ours),
        theirs.map(per_stream),
        Compare::Ratio,
    );
}

fn push_writes(table: &mut Table, args: &Args, ours: &WriteResult, theirs: Option<&WriteResult>) {
    let name = |what: &str| {
        format!(
            "{} writers for {} s: {what}",
            args.writers, args.writing_secs
        )
    };
    table.push(
        S,
        name("messages acknowledged"),
        "messages",
        ours.completed as f64,
        theirs.map(|t| t.completed as f64),
        Compare::Ratio,
    );
    table.push(
        S,
        name("messages per second"),
        "messages/s",
        ours.per_second,
        theirs.map(|t| t.per_second),
        Compare::Ratio,
    );
    table.push(
        S,
        name("failed requests"),
        "requests",
        ours.errors as f64,
        theirs.map(|t| t.errors as f64),
        Compare::Ratio,
    );
    table.push(
        S,
        name("acknowledged but not read back"),
        "messages",
        ours.lost as f64,
        theirs.map(|t| t.lost as f64),
        Compare::Ratio,
    );
}
