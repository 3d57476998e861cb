//! Ingestion and retrieval through each system's own API, the way its web UI drives it: Markdown
//! sets of 20 and 200 files of ~2,000 words (`bench/corpus/make_markdown.py`) and a mixed-format
//! set (the eleven documents of `tests/fixtures/rag/corpus`, one per format) — the time from the
//! first upload until every file is searchable, the server's peak memory meanwhile, then whether
//! the facts can be found (each sampled file's title, each mixed file's fact) and the latency of
//! retrieval queries.
//!
//! - Hearth: upload every file, add them all to a knowledge base, wait until each is `ready`.
//! - Open WebUI: per file, upload (processed in the background), wait for `completed`, then add it
//!   to the knowledge base (which indexes it into the base's collection), four files at a time.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::api::Api;
use crate::servers::{self, Binary};

/// A set of files and the questions that show they were ingested.
pub(crate) struct Corpus {
    pub(crate) name: String,
    files: Vec<PathBuf>,
    /// (query, text a returned passage must contain).
    checks: Vec<(String, String)>,
    /// Kept until the corpus is dropped.
    _dir: Option<tempfile::TempDir>,
}

/// `count` generated Markdown files; ten evenly spread are checked by their titles.
pub(crate) fn markdown(count: usize) -> Result<Corpus> {
    let dir = tempfile::tempdir()?;
    let made = std::process::Command::new("python3")
        .arg("bench/corpus/make_markdown.py")
        .arg(dir.path())
        .args(["-n", &count.to_string(), "--words", "2000"])
        .status()?;
    if !made.success() {
        bail!("make_markdown.py failed");
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.path())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let step = (count / 10).max(1);
    let mut checks = Vec::new();
    for index in (1..=count).step_by(step) {
        let text = std::fs::read_to_string(&files[index - 1])?;
        let title = text
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("# ");
        checks.push((title.to_owned(), format!("Volume {index}")));
    }
    Ok(Corpus {
        name: format!("{count} Markdown files of ~2,000 words"),
        files,
        checks,
        _dir: Some(dir),
    })
}

/// One document per format, with the question and the fact of `manifest.json`.
pub(crate) fn mixed() -> Result<Corpus> {
    let root = Path::new("tests/fixtures/rag/corpus");
    let manifest: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(root.join("manifest.json"))?)?;
    let mut files = Vec::new();
    let mut checks = Vec::new();
    for entry in &manifest {
        files.push(root.join(entry["file"].as_str().context("a file")?));
        checks.push((
            entry["question"].as_str().context("a question")?.to_owned(),
            entry["answer_contains"]
                .as_str()
                .context("a fact")?
                .to_owned(),
        ));
    }
    Ok(Corpus {
        name: format!(
            "mixed formats ({} files: PDF, DOCX, PPTX, XLSX, HTML, EPUB, …)",
            files.len()
        ),
        files,
        checks,
        _dir: None,
    })
}

/// What ingesting one corpus showed.
#[derive(Debug)]
pub(crate) struct Ingested {
    pub(crate) seconds: f64,
    pub(crate) peak_mib: f64,
    /// Files the system reported as failed.
    pub(crate) failed: usize,
    /// Checks whose fact was among the passages returned, of `checked`.
    pub(crate) found: usize,
    pub(crate) checked: usize,
    /// Retrieval latency over the corpus, p50 and p99 in ms.
    pub(crate) query_p50_ms: f64,
    pub(crate) query_p99_ms: f64,
}

/// Whether `needle` occurs in `text` not followed by a digit (so "Volume 17" is not "Volume 170").
fn holds(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        !text[at + needle.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

/// Ingests `corpus` into a new knowledge base of `token`'s user on `system`, then checks and times
/// retrieval from it.
pub(crate) async fn run(
    system: Binary,
    addr: &str,
    pid: u32,
    token: &str,
    corpus: &Corpus,
) -> Result<Ingested> {
    let api = Api::new(
        reqwest::Client::builder()
            .timeout(Duration::from_secs(600))
            .build()?,
        addr,
    );
    servers::reset_peak_rss(pid)?;
    let started = Instant::now();
    let (kb, failed) = match system {
        Binary::OpenWebUi => open_webui(&api, token, corpus).await?,
        _ => hearth(&api, token, corpus).await?,
    };
    let seconds = started.elapsed().as_secs_f64();
    let peak_mib = servers::peak_rss_mib(pid)?;
    let mut found = 0;
    for (query, fact) in &corpus.checks {
        let texts = query_texts(system, &api, token, &kb, query).await?;
        if texts.iter().any(|text| holds(text, fact)) {
            found += 1;
        } else {
            eprintln!("{system:?}: `{fact}` not among the passages for `{query}`");
        }
    }
    // Latency: every check's query, then every file's name as a query, up to 100 queries.
    let mut latencies = Vec::new();
    let queries = corpus
        .checks
        .iter()
        .map(|(q, _)| q.clone())
        .chain(corpus.files.iter().map(|f| {
            f.file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .replace('-', " ")
        }))
        .cycle()
        .take(100);
    for query in queries {
        let sent = Instant::now();
        query_texts(system, &api, token, &kb, &query).await?;
        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    Ok(Ingested {
        seconds,
        peak_mib,
        failed,
        found,
        checked: corpus.checks.len(),
        query_p50_ms: at(0.50),
        query_p99_ms: at(0.99),
    })
}

/// The texts of the passages a knowledge-base query returns (5 of them, each system's defaults).
async fn query_texts(
    system: Binary,
    api: &Api,
    token: &str,
    kb: &str,
    query: &str,
) -> Result<Vec<String>> {
    let path = match system {
        Binary::OpenWebUi => "/api/v1/retrieval/query/collection",
        _ => "/api/v1/retrieval/query",
    };
    let body = json!({"collection_names": [kb], "query": query, "k": 5});
    let answer = api
        .post(path, Some(token), &body)
        .await
        .with_context(|| format!("{system:?}: querying the knowledge base"))?;
    let texts = match system {
        Binary::OpenWebUi => answer["documents"][0]
            .as_array()
            .cloned()
            .unwrap_or_default(),
        _ => answer["results"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|r| r["text"].clone())
            .collect(),
    };
    Ok(texts
        .iter()
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect())
}

fn id_of(value: &Value, what: &str) -> Result<String> {
    Ok(value["id"]
        .as_str()
        .with_context(|| format!("{what} id"))?
        .to_owned())
}

/// Hearth: upload, add all to a knowledge base, wait until every file is ready or failed.
async fn hearth(api: &Api, token: &str, corpus: &Corpus) -> Result<(String, usize)> {
    let mut ids = Vec::new();
    for path in &corpus.files {
        ids.push(id_of(
            &api.upload("/api/v1/files/", token, path).await?,
            "file",
        )?);
    }
    let kb = api
        .post(
            "/api/v1/knowledge",
            Some(token),
            &json!({"name": corpus.name}),
        )
        .await?;
    let kb = id_of(&kb, "knowledge base")?;
    let files = format!("/api/v1/knowledge/{kb}/files");
    api.post(&files, Some(token), &json!({"file_ids": ids}))
        .await?;
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        let body = api.get(&format!("/api/v1/knowledge/{kb}"), token).await?;
        let files = body["files"].as_array().cloned().unwrap_or_default();
        let failed = files.iter().filter(|f| f["status"] == "failed").count();
        let ready = files.iter().filter(|f| f["status"] == "ready").count();
        if files.len() == ids.len() && ready + failed == ids.len() {
            return Ok((kb, failed));
        }
        if Instant::now() > deadline {
            bail!("Hearth: ingestion did not finish in 30 minutes");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Open WebUI: per file, upload, wait until processed, add to the knowledge base.
async fn open_webui(api: &Api, token: &str, corpus: &Corpus) -> Result<(String, usize)> {
    let body = json!({"name": corpus.name, "description": "benchmark"});
    let kb = id_of(
        &api.post("/api/v1/knowledge/create", Some(token), &body)
            .await?,
        "knowledge base",
    )?;
    let outcomes: Vec<Result<bool>> = futures::stream::iter(corpus.files.iter())
        .map(|path| {
            let kb = kb.clone();
            async move {
                let id = id_of(&api.upload("/api/v1/files/", token, path).await?, "file")?;
                let deadline = Instant::now() + Duration::from_secs(1800);
                loop {
                    let status = api
                        .get(&format!("/api/v1/files/{id}/process/status"), token)
                        .await?;
                    match status["status"].as_str() {
                        Some("completed") => break,
                        Some("failed") => return Ok(false),
                        _ if Instant::now() > deadline => {
                            bail!("Open WebUI: {id} not processed in 30 minutes")
                        }
                        _ => tokio::time::sleep(Duration::from_millis(100)).await,
                    }
                }
                // Open WebUI refuses a file it cannot index here (a 400): that file failed.
                let add = format!("/api/v1/knowledge/{kb}/file/add");
                Ok(api
                    .post(&add, Some(token), &json!({"file_id": id}))
                    .await
                    .is_ok())
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let mut failed = 0;
    for outcome in outcomes {
        if !outcome? {
            failed += 1;
        }
    }
    Ok((kb, failed))
}
