//! `hearth-bench`: Hearth's benchmarks, each beside what it is compared with in the same run.
//!
//! - `basics`: start-up to `/health` and `/ready`, idle memory, requests per second and latency for
//!   `/health` and an authenticated `GET /api/v1/auths/`, beside a bare axum server.
//! - `streaming`: chat completions streamed through Hearth beside the same streams taken directly
//!   from the (fake) model server: added time to first token, added per-chunk latency, streams per
//!   second at 1, 100 and 1,000 concurrent streams, and how many streams Hearth holds at once and
//!   with how much memory.
//! - `jobs`: the job queue on SQLite, PostgreSQL and Redis beside an in-memory channel: jobs per
//!   second and enqueue-to-start latency.
//! - `files`: a large file (1 GiB by default) uploaded as a streamed multipart form and downloaded
//!   through Hearth, on local storage and on S3 (SeaweedFS), beside the same bytes written and read
//!   directly with `object_store` on the same store; and Hearth's peak memory during the upload.
//! - `knowledge`: embedding throughput beside sentence-transformers, vector search on the embedded
//!   index, pgvector and Chroma at 100k vectors, and ingestion of 20 Markdown files with peak memory.
//! - `replicas`: three replicas and a worker on PostgreSQL, Redis and S3: a streamed answer's
//!   pieces on another replica's WebSocket beside the asking client's own stream, one message
//!   through Redis between two processes, and how soon a sign-out is refused elsewhere.
//! - `reference`: Hearth beside Open WebUI (the system users run today) in the same run: cold
//!   start, idle memory, `/health` and an authenticated request.
//!
//! Run it with `bench/run.sh` (which builds the release binaries first, and starts SeaweedFS).

mod api;
mod files;
mod ingest;
mod jobs;
mod load;
mod rag;
mod reference;
mod replicas;
mod report;
mod servers;
mod streams;
mod writers;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::{Parser, ValueEnum};
use report::{Compare, Machine, Report, Row};
use servers::{Binary, Server};
use streams::StreamTarget;

/// Benchmarks Hearth beside its baselines.
#[derive(Debug, Parser)]
struct Args {
    /// Which scenarios to run.
    #[arg(long, value_enum, default_value_t = Scenario::All)]
    scenario: Scenario,
    /// Measure Hearth only where a baseline would be a separate system (quick checks).
    #[arg(long)]
    only_hearth: bool,
    /// Seconds of measured load per endpoint or concurrency level.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Seconds of unmeasured load before each HTTP measurement.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Concurrent keep-alive connections for the HTTP measurements.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Cold starts measured per system (the median is reported).
    #[arg(long, default_value_t = 5)]
    starts: usize,
    /// Most streams held open at once in the streaming scenario.
    #[arg(long, default_value_t = 10_000)]
    max_streams: usize,
    /// Size in MiB of the file uploaded and downloaded in the files scenario.
    #[arg(long, default_value_t = 1024)]
    file_mb: u64,
    /// Concurrent streams measured beyond one in the reference scenario.
    #[arg(long, value_delimiter = ',', default_value = "100,1000")]
    stream_levels: Vec<usize>,
    /// Streams held open at once in the reference scenario.
    #[arg(long, default_value_t = 1_000)]
    held_streams: usize,
    /// Concurrent writers in the reference scenario, and seconds they write for.
    #[arg(long, default_value_t = 200)]
    writers: usize,
    #[arg(long, default_value_t = 30)]
    writing_secs: u64,
    /// Sizes of the Markdown sets ingested in the reference scenario (a mixed-format set follows).
    #[arg(long, value_delimiter = ',', default_value = "20,200")]
    ingest_files: Vec<usize>,
    /// Directory for `latest.md` and `latest.json`.
    #[arg(long, default_value = "bench/results")]
    out: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Scenario {
    Basics,
    Streaming,
    Jobs,
    Files,
    Knowledge,
    Replicas,
    /// Hearth beside Open WebUI (needs `HEARTH_BENCH_OPEN_WEBUI`; bench/run.sh installs it).
    Reference,
    All,
}

/// Collects rows as the scenarios run.
#[derive(Default)]
struct Table {
    rows: Vec<Row>,
}

impl Table {
    fn push(
        &mut self,
        section: &'static str,
        scenario: impl Into<String>,
        unit: &'static str,
        hearth: f64,
        baseline: Option<f64>,
        compare: Compare,
    ) {
        self.rows.push(Row {
            section,
            scenario: scenario.into(),
            unit,
            hearth,
            baseline,
            compare,
        });
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    // reqwest (here and inside object_store) has rustls without a bundled provider: install Hearth's
    // one TLS stack (ring) before the first client is built, as the server does.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args = Args::parse();
    let mut table = Table::default();
    if matches!(args.scenario, Scenario::Basics | Scenario::All) {
        basics(&args, &mut table).await?;
    }
    if matches!(args.scenario, Scenario::Streaming | Scenario::All) {
        streaming(&args, &mut table).await?;
    }
    if matches!(args.scenario, Scenario::Jobs | Scenario::All) {
        jobs::run(&mut table).await?;
    }
    if matches!(args.scenario, Scenario::Files | Scenario::All) {
        files::run(args.file_mb, &mut table).await?;
    }
    if matches!(args.scenario, Scenario::Knowledge | Scenario::All) {
        rag::run(&mut table).await?;
    }
    if matches!(args.scenario, Scenario::Replicas | Scenario::All) {
        replicas::run(&mut table).await?;
    }
    if matches!(args.scenario, Scenario::Reference | Scenario::All) {
        reference::run(&args, &mut table).await?;
    }
    let report = Report {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        machine: Machine::read()?,
        rows: table.rows,
    };
    let markdown = report::write(&args.out, &report)?;
    #[allow(clippy::print_stdout)] // the table is the harness's output
    {
        println!("{markdown}");
    }
    Ok(())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Start-up, memory and plain HTTP throughput beside a bare axum server.
async fn basics(args: &Args, table: &mut Table) -> Result<()> {
    const S: &str = "basics";
    let mut systems = vec![Binary::Hearth];
    if !args.only_hearth {
        systems.push(Binary::BareAxum);
    }
    let value = |values: &[(Binary, f64)], binary| {
        values.iter().find(|(b, _)| *b == binary).map(|(_, v)| *v)
    };

    let mut health = Vec::new();
    let mut ready = Vec::new();
    for &system in &systems {
        let mut times = Vec::new();
        for _ in 0..args.starts {
            let server = Server::start(system, &[], &[]).await?;
            times.push((server.time_to_health, server.time_to_ready));
            server.stop().await?;
        }
        health.push((
            system,
            median(times.iter().map(|t| t.0.as_secs_f64() * 1000.0).collect()),
        ));
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
        eprintln!("{system:?}: start-up measured");
    }
    let row =
        |table: &mut Table, name: &str, unit: &'static str, values: &[(Binary, f64)], compare| {
            let hearth = value(values, Binary::Hearth).unwrap_or(f64::NAN);
            table.push(
                S,
                name,
                unit,
                hearth,
                value(values, Binary::BareAxum),
                compare,
            );
        };
    row(
        table,
        &format!(
            "start to /health 200 (median of {} cold starts)",
            args.starts
        ),
        "ms",
        &health,
        Compare::Ratio,
    );
    table.push(
        S,
        format!(
            "start to /ready 200 (median of {} cold starts)",
            args.starts
        ),
        "ms",
        value(&ready, Binary::Hearth).unwrap_or(f64::NAN),
        None,
        Compare::None,
    );

    let (duration, warmup) = (
        Duration::from_secs(args.duration),
        Duration::from_secs(args.warmup),
    );
    let (mut idle, mut after, mut rps, mut p50, mut p99) = (vec![], vec![], vec![], vec![], vec![]);
    let mut auth = None;
    for &system in &systems {
        let server = Server::start(system, &[], &[]).await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        idle.push((system, server.rss_mib()?));
        let target = load::Target {
            addr: server.addr.clone(),
            path: "/health".into(),
            bearer: None,
        };
        let result = load::run(&target, args.connections, warmup, duration).await?;
        if result.errors > 0 {
            bail!("{system:?}: {} failed requests on /health", result.errors);
        }
        rps.push((system, result.requests_per_second));
        p50.push((system, result.p50_ms));
        p99.push((system, result.p99_ms));
        if system == Binary::Hearth {
            let token = servers::api_key(&server.addr).await?;
            let target = load::Target {
                addr: server.addr.clone(),
                path: "/api/v1/auths/".into(),
                bearer: Some(token),
            };
            let result = load::run(&target, args.connections, warmup, duration).await?;
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
        eprintln!("{system:?}: throughput measured");
    }
    row(table, "idle RSS after start", "MiB", &idle, Compare::Ratio);
    row(
        table,
        &format!("GET /health, {} connections", args.connections),
        "requests/s",
        &rps,
        Compare::Ratio,
    );
    row(table, "GET /health p50", "ms", &p50, Compare::Ratio);
    row(table, "GET /health p99", "ms", &p99, Compare::Ratio);
    if let Some(auth) = auth {
        table.push(
            S,
            format!(
                "GET /api/v1/auths/ (API key), {} connections",
                args.connections
            ),
            "requests/s",
            auth.requests_per_second,
            None,
            Compare::None,
        );
        table.push(
            S,
            "GET /api/v1/auths/ p50",
            "ms",
            auth.p50_ms,
            None,
            Compare::None,
        );
        table.push(
            S,
            "GET /api/v1/auths/ p99",
            "ms",
            auth.p99_ms,
            None,
            Compare::None,
        );
    }
    row(
        table,
        "RSS after the load runs",
        "MiB",
        &after,
        Compare::Ratio,
    );
    Ok(())
}

/// Streamed chat completions through Hearth beside the same streams taken directly.
async fn streaming(args: &Args, table: &mut Table) -> Result<()> {
    const S: &str = "streaming";
    let fake = |model: &str, extra: &[&str]| {
        let mut list = vec!["--models".to_owned(), model.to_owned()];
        list.extend(extra.iter().map(|s| (*s).to_owned()));
        list
    };
    // Three model servers: fast answers (32 pieces at once), paced stamped answers (20 pieces, 20 ms
    // apart, each stamped as it leaves) and slow endless answers (a piece every 5 s) to hold open.
    let fast = Server::start(Binary::FakeLlm, &[], &fake("fast", &["--tokens", "32"])).await?;
    let paced = Server::start(
        Binary::FakeLlm,
        &[],
        &fake(
            "paced",
            &["--tokens", "20", "--token-delay-ms", "20", "--stamp"],
        ),
    )
    .await?;
    let slow = Server::start(
        Binary::FakeLlm,
        &[],
        &fake("slow", &["--tokens", "100000", "--token-delay-ms", "5000"]),
    )
    .await?;
    let urls = [&fast, &paced, &slow]
        .iter()
        .map(|s| format!("http://{}/v1", s.addr))
        .collect::<Vec<_>>()
        .join(";");
    let hearth = Server::start(Binary::Hearth, &[("OPENAI_API_BASE_URLS", urls)], &[]).await?;
    let key = servers::api_key(&hearth.addr).await?;
    let through = |model: &str| StreamTarget {
        addr: hearth.addr.clone(),
        path: "/v1/chat/completions".into(),
        bearer: Some(key.clone()),
        model: model.into(),
        expect: None,
    };
    let direct = |server: &Server, model: &str| StreamTarget {
        addr: server.addr.clone(),
        path: "/v1/chat/completions".into(),
        bearer: None,
        model: model.into(),
        expect: None,
    };
    let duration = Duration::from_secs(args.duration);

    let single_direct =
        streams::closed_loop(&direct(&fast, "fast"), 1, duration, Some(500)).await?;
    let single = streams::closed_loop(&through("fast"), 1, duration, Some(500)).await?;
    eprintln!("streaming: 1 stream measured");
    table.push(
        S,
        "time to first token, 1 stream, p50",
        "ms",
        single.first_token_p50_ms,
        Some(single_direct.first_token_p50_ms),
        Compare::Added,
    );
    table.push(
        S,
        "time to first token, 1 stream, p99",
        "ms",
        single.first_token_p99_ms,
        Some(single_direct.first_token_p99_ms),
        Compare::Added,
    );
    table.push(
        S,
        "streams per second, 1 stream at a time (32 pieces each)",
        "streams/s",
        single.streams_per_second,
        Some(single_direct.streams_per_second),
        Compare::Ratio,
    );

    for concurrency in [100, 1000] {
        let via_direct =
            streams::closed_loop(&direct(&fast, "fast"), concurrency, duration, None).await?;
        let via_hearth =
            streams::closed_loop(&through("fast"), concurrency, duration, None).await?;
        eprintln!(
            "streaming: {concurrency} streams measured ({} errors through Hearth)",
            via_hearth.errors
        );
        table.push(
            S,
            format!("streams per second, {concurrency} concurrent"),
            "streams/s",
            via_hearth.streams_per_second,
            Some(via_direct.streams_per_second),
            Compare::Ratio,
        );
        table.push(
            S,
            format!("time to first token, {concurrency} concurrent, p50"),
            "ms",
            via_hearth.first_token_p50_ms,
            Some(via_direct.first_token_p50_ms),
            Compare::Added,
        );
        table.push(
            S,
            format!("time to first token, {concurrency} concurrent, p99"),
            "ms",
            via_hearth.first_token_p99_ms,
            Some(via_direct.first_token_p99_ms),
            Compare::Added,
        );
        table.push(
            S,
            format!("failed streams, {concurrency} concurrent"),
            "streams",
            via_hearth.errors as f64,
            Some(via_direct.errors as f64),
            Compare::None,
        );
    }

    let chunk_direct = streams::closed_loop(&direct(&paced, "paced"), 100, duration, None).await?;
    let chunk = streams::closed_loop(&through("paced"), 100, duration, None).await?;
    eprintln!("streaming: per-chunk latency measured");
    table.push(
        S,
        "per-chunk latency, 100 concurrent paced streams, p50",
        "ms",
        chunk.chunk_p50_ms,
        Some(chunk_direct.chunk_p50_ms),
        Compare::Added,
    );
    table.push(
        S,
        "per-chunk latency, 100 concurrent paced streams, p99",
        "ms",
        chunk.chunk_p99_ms,
        Some(chunk_direct.chunk_p99_ms),
        Compare::Added,
    );

    let idle = hearth.rss_mib()?;
    let levels: Vec<usize> = [1_000, 2_500, 5_000, 10_000]
        .into_iter()
        .filter(|l| *l <= args.max_streams)
        .collect();
    let held = streams::hold(
        &through("slow"),
        &levels,
        100,
        duration,
        hearth.pid()?,
        true,
    )
    .await?;
    table.push(
        S,
        "Hearth RSS before holding streams",
        "MiB",
        idle,
        None,
        Compare::None,
    );
    for (level, rss) in &held.levels {
        table.push(
            S,
            format!("Hearth RSS with {level} streams open"),
            "MiB",
            *rss,
            None,
            Compare::None,
        );
    }
    let (top, top_rss) = *held.levels.last().unwrap_or(&(0, idle));
    table.push(
        S,
        "streams held at once (each receiving pieces)",
        "streams",
        held.alive as f64,
        None,
        Compare::None,
    );
    table.push(
        S,
        format!(
            "Hearth RSS after holding {top} streams for {} s",
            args.duration
        ),
        "MiB",
        held.rss_after_hold,
        Some(top_rss),
        Compare::Ratio,
    );
    table.push(
        S,
        "Hearth RSS per held stream",
        "KiB",
        (top_rss - idle) * 1024.0 / top.max(1) as f64,
        None,
        Compare::None,
    );
    table.push(
        S,
        "Hearth RSS after the streams closed",
        "MiB",
        held.rss_after_close,
        None,
        Compare::None,
    );

    for server in [hearth, fast, paced, slow] {
        server.stop().await?;
    }
    Ok(())
}
