//! Ingestion as operators run it, in the real binary (documents parsed in resource-limited child
//! processes): hostile documents fail one by one while the server keeps serving within bounded
//! memory, and `kill -9` in the middle of ingesting 50 files loses nothing and duplicates nothing.

mod support;

use std::path::Path;
use std::time::Duration;

use hearth_testkit::{eventually_within, fixtures_dir, model_dir};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;
use support::{Hearth, local, post};

struct Server {
    hearth: Hearth,
    http: reqwest::Client,
    base: String,
}

fn env_for(data: &Path) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = local(&[("LOG_LEVEL", "info")])
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    env.push(("DATA_DIR".into(), data.display().to_string()));
    env.push((
        "RAG_EMBEDDING_MODEL".into(),
        model_dir().display().to_string(),
    ));
    // A dead worker's jobs run again after the lease: short, so the test need not wait a minute.
    env.push(("JOB_LEASE_TIMEOUT".into(), "3s".into()));
    env.push(("CONTENT_EXTRACTION_MAX_MEMORY".into(), "512".into()));
    env.push(("CONTENT_EXTRACTION_TIMEOUT".into(), "30s".into()));
    env
}

async fn start(dir: &Path) -> Server {
    let env = env_for(&dir.join("data"));
    let refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut hearth = Hearth::spawn(dir, &[], &refs);
    let base = hearth.base_url().await;
    Server {
        hearth,
        http: hearth_testkit::http_client(),
        base,
    }
}

impl Server {
    async fn token(&self, signup: bool) -> String {
        let path = if signup { "signup" } else { "signin" };
        let session: Value = post(
            &self.http,
            &format!("{}/api/v1/auths/{path}", self.base),
            json!({"email": "admin@example.org", "password": "admin-password"}),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
        session["token"].as_str().unwrap().to_owned()
    }

    async fn upload(&self, token: &str, name: &str, data: Vec<u8>) -> String {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(data).file_name(name.to_owned()),
        );
        let response = self
            .http
            .post(format!("{}/api/v1/files/", self.base))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "upload of {name}");
        let file: Value = response.json().await.unwrap();
        file["id"].as_str().unwrap().to_owned()
    }

    async fn knowledge_with(&self, token: &str, files: &[String]) -> String {
        let kb: Value = post(
            &self.http,
            &format!("{}/api/v1/knowledge", self.base),
            json!({"name": "K"}),
            Some(token),
        )
        .await
        .json()
        .await
        .unwrap();
        let id = kb["id"].as_str().unwrap().to_owned();
        let added = post(
            &self.http,
            &format!("{}/api/v1/knowledge/{id}/files", self.base),
            json!({"file_ids": files}),
            Some(token),
        )
        .await;
        assert_eq!(added.status(), StatusCode::OK);
        id
    }

    async fn files_of(&self, token: &str, kb: &str) -> Vec<Value> {
        let body: Value = self
            .http
            .get(format!("{}/api/v1/knowledge/{kb}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["files"].as_array().unwrap().clone()
    }

    async fn settled(&self, token: &str, kb: &str) -> Vec<Value> {
        eventually_within("every file to settle", Duration::from_secs(300), || async {
            self.files_of(token, kb)
                .await
                .iter()
                .all(|f| f["status"] == "ready" || f["status"] == "failed")
        })
        .await;
        self.files_of(token, kb).await
    }

    /// The most memory the server process has held (VmHWM), in MB.
    fn peak_memory_mb(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.hearth.pid())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        line.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
            / 1024
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_documents_fail_alone_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let token = server.token(true).await;
    let mut files = Vec::new();
    for name in [
        "truncated.pdf",
        "bomb.docx",
        "pages-10000.pdf",
        "random.pdf",
        "nested.html",
    ] {
        let data = std::fs::read(fixtures_dir().join("rag/hostile").join(name)).unwrap();
        files.push(server.upload(&token, name, data).await);
    }
    let good = std::fs::read(fixtures_dir().join("rag/corpus/readme.txt")).unwrap();
    files.push(server.upload(&token, "readme.txt", good).await);
    let kb = server.knowledge_with(&token, &files).await;
    let settled = server.settled(&token, &kb).await;
    for file in &settled {
        let name = file["filename"].as_str().unwrap();
        match name {
            // Valid documents, however odd: their text is indexed.
            "readme.txt" | "nested.html" => assert_eq!(file["status"], "ready", "{file}"),
            _ => {
                assert_eq!(file["status"], "failed", "{file}");
                assert!(
                    !file["error"].as_str().unwrap_or_default().is_empty(),
                    "{file}"
                );
            }
        }
    }
    let bomb = settled
        .iter()
        .find(|f| f["filename"] == "bomb.docx")
        .unwrap();
    assert!(
        bomb["error"].as_str().unwrap().contains("zip bomb"),
        "{bomb}"
    );
    let pages = settled
        .iter()
        .find(|f| f["filename"] == "pages-10000.pdf")
        .unwrap();
    assert!(
        pages["error"].as_str().unwrap().contains("10000 pages"),
        "{pages}"
    );
    // Still serving, and the 2 GiB the bomb unpacks to never reached the server's memory.
    let health = server
        .http
        .get(format!("{}/health", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let peak = server.peak_memory_mb();
    assert!(peak < 1024, "the server peaked at {peak} MB");
}

/// ~600 words of Markdown, different for each `n`.
fn markdown(n: usize) -> String {
    let words = [
        "harbour", "lantern", "orchard", "meadow", "engine", "ledger", "violin", "glacier",
        "canyon", "bakery",
    ];
    let mut text = format!("# Report {n}\n\n");
    for section in 0..4 {
        text.push_str(&format!("## Part {section} of report {n}\n\n"));
        for sentence in 0..10 {
            let word = words[(n * 7 + section * 3 + sentence) % words.len()];
            text.push_str(&format!("Entry {sentence} of part {section} in report {n} concerns the {word} and its keeper number {}. ", n * 100 + sentence));
        }
        text.push_str("\n\n");
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_during_ingestion_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path()).await;
    let token = server.token(true).await;
    let mut files = Vec::new();
    for n in 0..50 {
        files.push(
            server
                .upload(&token, &format!("report-{n}.md"), markdown(n).into_bytes())
                .await,
        );
    }
    let kb = server.knowledge_with(&token, &files).await;
    // Kill it once some files are done and others are not.
    eventually_within(
        "a first file to be ready",
        Duration::from_secs(120),
        || async {
            server
                .files_of(&token, &kb)
                .await
                .iter()
                .any(|f| f["status"] == "ready")
        },
    )
    .await;
    let statuses = server.files_of(&token, &kb).await;
    assert!(
        statuses.iter().any(|f| f["status"] != "ready"),
        "all done before the kill"
    );
    server.hearth.child.start_kill().unwrap();
    server.hearth.child.wait().await.unwrap();

    let server = start(dir.path()).await;
    let token = server.token(false).await;
    let settled = server.settled(&token, &kb).await;
    assert_eq!(settled.len(), 50);
    let passages: u64 = settled
        .iter()
        .map(|f| {
            assert_eq!(f["status"], "ready", "{f}");
            f["passages"].as_u64().unwrap()
        })
        .sum();
    assert!(passages >= 50);
    // Exactly one passage row and one vector per passage: nothing twice, nothing left over.
    let data = dir.path().join("data");
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}?mode=ro",
        data.join("hearth.db").display()
    ))
    .await
    .unwrap();
    let rows: i64 = sqlx::query("SELECT COUNT(*) AS n FROM passages")
        .fetch_one(&db)
        .await
        .unwrap()
        .get("n");
    assert_eq!(rows as u64, passages);
    let vectors = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}?mode=ro",
        data.join("vectors/vectors.sqlite").display()
    ))
    .await
    .unwrap();
    let stored: i64 = sqlx::query("SELECT COUNT(*) AS n FROM vectors")
        .fetch_one(&vectors)
        .await
        .unwrap()
        .get("n");
    assert_eq!(stored as u64, passages);
    let distinct: i64 = sqlx::query("SELECT COUNT(DISTINCT id) AS n FROM vectors")
        .fetch_one(&vectors)
        .await
        .unwrap()
        .get("n");
    assert_eq!(distinct, stored);
    // And it answers.
    let results: Value = post(
        &server.http,
        &format!("{}/api/v1/retrieval/query", server.base),
        json!({"query": "keeper number 4203", "collection_names": [kb], "k": 3}),
        Some(&token),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(
        results["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["text"].as_str().unwrap().contains("4203")),
        "{results}"
    );
}
