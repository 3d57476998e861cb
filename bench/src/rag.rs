//! The knowledge benchmark, each part beside what users would otherwise run:
//! - embedding: sentences per second of Hearth's built-in engine, on candle and on ONNX Runtime
//!   (`HEARTH_TEST_ONNX_RUNTIME`, from `scripts/onnxruntime.sh`), beside sentence-transformers on
//!   PyTorch (`bench/reference/st_embed.py` in the venv of `HEARTH_ST_VENV`), the same sentences,
//!   batch 32, in the same run;
//! - vector search: 100,000 random unit vectors of 384 dimensions in the embedded index, pgvector
//!   and Chroma (Chroma is what the reference system runs by default): p50/p99 latency of a top-10
//!   search and recall@10 against an exact search;
//! - ingestion: 20 Markdown files of ~2,000 words (`bench/corpus/make_markdown.py`) through the
//!   real binary — upload, add to a knowledge base, time until every file is ready — and the
//!   server's peak memory meanwhile, once on each engine. The same ingestion beside the reference
//!   system, measured in the same run, is in [`crate::reference`].

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use hearth_core::seams::{VectorFilter, VectorIndex, VectorRecord};
use hearth_embed_local::LocalEmbedder;
use hearth_vector::{ChromaIndex, EmbeddedIndex, PgVectorIndex};
use serde_json::{Value, json};

use crate::Table;
use crate::report::Compare;
use crate::servers::{Binary, Server};

const S: &str = "knowledge";
const VECTORS: usize = 100_000;
const DIMS: usize = 384;
const QUERIES: usize = 200;

fn env(name: &str, default: &str) -> String {
    #[allow(clippy::disallowed_methods)] // the harness is configured by its environment
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn home() -> String {
    env("HOME", "/root")
}

/// ONNX Runtime's library (`scripts/onnxruntime.sh`, `HEARTH_TEST_ONNX_RUNTIME`) when it is
/// installed.
pub(crate) fn onnx_runtime() -> Option<PathBuf> {
    Some(hearth_testkit::onnx_runtime()).filter(|path| path.is_file())
}

pub(crate) async fn run(table: &mut Table) -> Result<()> {
    let model = hearth_testkit::model_dir();
    embedding(&model, table)?;
    vectors(table).await?;
    ingestion(&model, None, table).await?;
    ingestion(&model, Some(hearth_testkit::onnx_runtime()), table).await?;
    Ok(())
}

/// Sentences/s of both engines on the same 1,000 sentences.
fn embedding(model: &std::path::Path, table: &mut Table) -> Result<()> {
    let venv = env(
        "HEARTH_ST_VENV",
        &format!("{}/.cache/hearth/st-venv", home()),
    );
    let dump = std::env::temp_dir().join("hearth-bench-sentences.txt");
    let output = std::process::Command::new(format!("{venv}/bin/python"))
        .args(["bench/reference/st_embed.py", "--model"])
        .arg(model)
        .args([
            "--sentences",
            "1000",
            "--batch",
            "32",
            "--threads",
            "2",
            "--dump",
        ])
        .arg(&dump)
        .output()
        .context("sentence-transformers (HEARTH_ST_VENV) runs")?;
    if !output.status.success() {
        bail!(
            "st_embed.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let reference: Value = serde_json::from_slice(&output.stdout)?;
    let reference = reference["sentences_per_s"]
        .as_f64()
        .context("sentences_per_s")?;
    let sentences: Vec<String> = std::fs::read_to_string(&dump)?
        .lines()
        .map(str::to_owned)
        .collect();
    // Hearth's local engine on candle, then on ONNX Runtime (the model's onnx/model.onnx).
    let onnx_runtime = hearth_testkit::onnx_runtime();
    for runtime in [None, Some(onnx_runtime.as_path())] {
        let engine =
            LocalEmbedder::load(model, "bench", 32, runtime).map_err(|e| anyhow::anyhow!("{e}"))?;
        engine
            .embed_blocking(&sentences[..32])
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut rates = Vec::new();
        for _ in 0..3 {
            let start = Instant::now();
            engine
                .embed_blocking(&sentences)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            rates.push(sentences.len() as f64 / start.elapsed().as_secs_f64());
        }
        table.push(
            S,
            format!(
                "embedding on {}, 1,000 sentences of ~51 tokens, batch 32 (vs sentence-transformers on PyTorch)",
                engine.engine()
            ),
            "sentences/s",
            crate::median(rates),
            Some(reference),
            Compare::Ratio,
        );
    }
    eprintln!("knowledge: embedding measured");
    Ok(())
}

async fn vectors(table: &mut Table) -> Result<()> {
    let hearth_testkit::vectors::SearchWorkload {
        data,
        queries,
        exact,
    } = hearth_testkit::vectors::search_workload(VECTORS, DIMS, QUERIES);
    let dir = tempfile::tempdir()?;
    let (chroma_host, chroma_port) = hearth_testkit::chroma_address();
    let backends: Vec<(&str, Box<dyn VectorIndex>)> = vec![
        (
            "embedded",
            Box::new(
                EmbeddedIndex::open(dir.path())
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
            ),
        ),
        (
            "pgvector",
            Box::new(
                PgVectorIndex::connect(&hearth_testkit::pgvector_url())
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
            ),
        ),
        (
            "chroma",
            Box::new(
                ChromaIndex::new(&chroma_host, chroma_port).map_err(|e| anyhow::anyhow!("{e}"))?,
            ),
        ),
    ];
    let mut results = Vec::new();
    for (name, index) in &backends {
        let collection = format!("bench_{}", uuid::Uuid::now_v7().simple());
        let start = Instant::now();
        for (batch, chunk) in data.chunks(5_000).enumerate() {
            let records = chunk
                .iter()
                .enumerate()
                .map(|(i, v)| VectorRecord {
                    id: (batch * 5_000 + i).to_string(),
                    vector: v.clone(),
                    text: String::new(),
                    metadata: json!({"file_id": format!("f{}", (batch * 5_000 + i) % 100)}),
                })
                .collect();
            index
                .upsert(&collection, records)
                .await
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        }
        let load = start.elapsed().as_secs_f64();
        // One query first, so lazy loading and index warm-up are not in the latencies.
        index
            .search(&collection, &queries[0], 10, &VectorFilter::all())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut latency = Histogram::<u64>::new(3)?;
        let mut found = 0;
        for (query, truth) in queries.iter().zip(&exact) {
            let start = Instant::now();
            let hits = index
                .search(&collection, query, 10, &VectorFilter::all())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            latency.record(start.elapsed().as_micros() as u64)?;
            found += hits
                .iter()
                .filter(|h| h.id.parse::<usize>().is_ok_and(|i| truth.contains(&i)))
                .count();
        }
        let recall = found as f64 / (QUERIES * 10) as f64;
        results.push((
            *name,
            load,
            latency.value_at_quantile(0.5) as f64 / 1000.0,
            latency.value_at_quantile(0.99) as f64 / 1000.0,
            recall,
        ));
        index
            .drop_collection(&collection)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        eprintln!("knowledge: {name} measured");
    }
    let chroma = results.iter().find(|r| r.0 == "chroma").cloned();
    for (name, load, p50, p99, recall) in &results {
        let versus = |pick: fn(&(&str, f64, f64, f64, f64)) -> f64| {
            if *name == "chroma" {
                None
            } else {
                chroma.as_ref().map(pick)
            }
        };
        table.push(
            S,
            format!("vector search {name}: top-10 p50, 100k × 384 (vs Chroma)"),
            "ms",
            *p50,
            versus(|r| r.2),
            Compare::Ratio,
        );
        table.push(
            S,
            format!("vector search {name}: top-10 p99"),
            "ms",
            *p99,
            versus(|r| r.3),
            Compare::Ratio,
        );
        table.push(
            S,
            format!("vector search {name}: recall@10 against exact search"),
            "fraction",
            *recall,
            versus(|r| r.4),
            Compare::Ratio,
        );
        table.push(
            S,
            format!("vector search {name}: loading 100k vectors"),
            "s",
            *load,
            versus(|r| r.1),
            Compare::Ratio,
        );
    }
    Ok(())
}

/// Ingestion through the real server: on candle, or on ONNX Runtime given its library.
async fn ingestion(
    model: &std::path::Path,
    onnx_runtime: Option<PathBuf>,
    table: &mut Table,
) -> Result<()> {
    let engine = if onnx_runtime.is_some() {
        "onnxruntime"
    } else {
        "candle"
    };
    let corpus = tempfile::tempdir()?;
    let made = std::process::Command::new("python3")
        .args(["bench/corpus/make_markdown.py"])
        .arg(corpus.path())
        .args(["-n", "20", "--words", "2000"])
        .status()?;
    if !made.success() {
        bail!("make_markdown.py failed");
    }
    let mut env = vec![("RAG_EMBEDDING_MODEL", model.display().to_string())];
    if let Some(library) = &onnx_runtime {
        env.push(("RAG_EMBEDDING_ONNX_RUNTIME", library.display().to_string()));
    }
    let server = Server::start(Binary::Hearth, &env, &[]).await?;
    let client = reqwest::Client::new();
    let base = format!("http://{}", server.addr);
    let session: Value = client
        .post(format!("{base}/api/v1/auths/signup"))
        .json(&json!({"email": "bench@example.org", "password": "bench-password"}))
        .send()
        .await?
        .json()
        .await?;
    let token = session["token"].as_str().context("token")?.to_owned();
    let mut names: Vec<PathBuf> = std::fs::read_dir(corpus.path())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    let start = Instant::now();
    let mut ids = Vec::new();
    for path in &names {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(std::fs::read(path)?).file_name(
                path.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
            ),
        );
        let file: Value = client
            .post(format!("{base}/api/v1/files/"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await?
            .json()
            .await?;
        ids.push(file["id"].as_str().context("file id")?.to_owned());
    }
    let kb: Value = client
        .post(format!("{base}/api/v1/knowledge"))
        .bearer_auth(&token)
        .json(&json!({"name": "bench"}))
        .send()
        .await?
        .json()
        .await?;
    let kb = kb["id"].as_str().context("kb id")?.to_owned();
    client
        .post(format!("{base}/api/v1/knowledge/{kb}/files"))
        .bearer_auth(&token)
        .json(&json!({"file_ids": ids}))
        .send()
        .await?
        .error_for_status()?;
    loop {
        let body: Value = client
            .get(format!("{base}/api/v1/knowledge/{kb}"))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        let files = body["files"].as_array().cloned().unwrap_or_default();
        if files.iter().any(|f| f["status"] == "failed") {
            bail!("a file failed ingestion: {body}");
        }
        if files.len() == ids.len() && files.iter().all(|f| f["status"] == "ready") {
            break;
        }
        if start.elapsed() > Duration::from_secs(600) {
            bail!("ingestion did not finish in 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seconds = start.elapsed().as_secs_f64();
    let peak = crate::servers::peak_rss_mib(server.pid()?)?;
    server.stop().await?;
    table.push(
        S,
        format!("ingestion on {engine} of 20 Markdown files of ~2,000 words, upload to all ready"),
        "s",
        seconds,
        None,
        Compare::None,
    );
    table.push(
        S,
        format!("peak memory of the server during that ingestion on {engine} (model loaded)"),
        "MB",
        peak,
        None,
        Compare::None,
    );
    eprintln!("knowledge: ingestion on {engine} measured");
    Ok(())
}
