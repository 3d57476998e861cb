//! Knowledge over HTTP with the real local model: a mixed corpus (PDF, DOCX, PPTX, XLSX, HTML,
//! Markdown, EPUB, CSV, JSON, text, code) where each question finds its planted fact in the top 3
//! with its page or heading; answers from a knowledge base reach the model as numbered sources and
//! come back with citations; access rules; bad input.

use std::time::Duration;

use hearth_fakes::{FakeConfig, FakeServer};
use hearth_testkit::{Backend, each_backend, eventually_within, fixtures_dir};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::files::upload_ok;
use crate::support::{TestApp, expect_error, sse_chunks, with_openai};

#[derive(Deserialize)]
struct Entry {
    file: String,
    question: String,
    answer_contains: String,
    page: Option<u32>,
    heading: Option<String>,
}

fn manifest() -> Vec<Entry> {
    let path = fixtures_dir().join("rag/corpus/manifest.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

async fn create_knowledge(app: &TestApp, token: &str, name: &str) -> String {
    let response = app
        .post("/api/v1/knowledge", Some(token), json!({"name": name}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

/// Uploads files from the corpus and puts them in a new knowledge base; returns its id and the
/// file ids by name.
async fn knowledge_of(
    app: &TestApp,
    token: &str,
    names: &[&str],
) -> (String, Vec<(String, String)>) {
    let kb = create_knowledge(app, token, "Corpus").await;
    let mut files = Vec::new();
    for name in names {
        let data = std::fs::read(fixtures_dir().join("rag/corpus").join(name)).unwrap();
        let file = upload_ok(app, token, name, data).await;
        files.push(((*name).to_owned(), file["id"].as_str().unwrap().to_owned()));
    }
    let ids: Vec<&str> = files.iter().map(|(_, id)| id.as_str()).collect();
    let added = app
        .post(
            &format!("/api/v1/knowledge/{kb}/files"),
            Some(token),
            json!({"file_ids": ids}),
        )
        .await;
    assert_eq!(added.status(), StatusCode::OK);
    (kb, files)
}

/// Waits until every file of the knowledge base is ready or failed; returns the knowledge base.
async fn settled(app: &TestApp, token: &str, kb: &str) -> Value {
    let path = format!("/api/v1/knowledge/{kb}");
    eventually_within(
        "every file to be ingested",
        Duration::from_secs(240),
        || async {
            let body: Value = app.get(&path, token).await.json().await.unwrap();
            body["files"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["status"] == "ready" || f["status"] == "failed")
        },
    )
    .await;
    app.get(&path, token).await.json().await.unwrap()
}

async fn query(app: &TestApp, token: &str, body: Value) -> Vec<Value> {
    let response = app.post("/api/v1/retrieval/query", Some(token), body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["results"].as_array().unwrap().clone()
}

async fn every_format_answers_its_question(backend: Backend) {
    every_format_answers(TestApp::spawn(backend).await).await;
}

/// The same with the model on ONNX Runtime (`RAG_EMBEDDING_ONNX_RUNTIME`), as an operator who
/// wants the faster engine runs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_answers_its_question_on_onnx_runtime() {
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.rag.rag_embedding_onnx_runtime = Some(hearth_testkit::onnx_runtime());
    })
    .await;
    every_format_answers(app).await;
}

async fn every_format_answers(app: TestApp) {
    let token = app.admin().await;
    let entries = manifest();
    let names: Vec<&str> = entries.iter().map(|e| e.file.as_str()).collect();
    let (kb, files) = knowledge_of(&app, &token, &names).await;
    let knowledge = settled(&app, &token, &kb).await;
    for file in knowledge["files"].as_array().unwrap() {
        assert_eq!(file["status"], "ready", "{file}");
        assert!(file["passages"].as_u64().unwrap() > 0);
    }
    assert_eq!(knowledge["status"]["ready"], entries.len());
    for entry in &entries {
        let file_id = &files.iter().find(|(n, _)| *n == entry.file).unwrap().1;
        let results = query(
            &app,
            &token,
            json!({"query": entry.question, "collection_names": [kb], "k": 3}),
        )
        .await;
        let hit = results
            .iter()
            .find(|r| {
                r["file_id"] == *file_id
                    && r["text"].as_str().unwrap().contains(&entry.answer_contains)
            })
            .unwrap_or_else(|| {
                panic!(
                    "{}: no top-3 passage has {:?}: {results:#?}",
                    entry.file, entry.answer_contains
                )
            });
        assert_eq!(hit["filename"], entry.file);
        if let Some(page) = entry.page {
            assert_eq!(hit["page"], page, "{}: page", entry.file);
        }
        if let Some(heading) = &entry.heading {
            assert_eq!(hit["heading"], heading.as_str(), "{}: heading", entry.file);
        }
    }
    // Vector search alone finds them too, and a single file can be searched on its own.
    let pdf = &files.iter().find(|(n, _)| n == "manual.pdf").unwrap().1;
    let results = query(
        &app,
        &token,
        json!({"query": entries[0].question, "file_ids": [pdf], "k": 2, "hybrid": false}),
    )
    .await;
    assert!(results.iter().all(|r| r["file_id"] == *pdf));
    assert!(
        results[0]["text"]
            .as_str()
            .unwrap()
            .contains(&entries[0].answer_contains)
    );
    assert!(results[0]["vector_score"].as_f64().unwrap() > 0.3);
}

async fn answers_cite_their_sources(backend: Backend) {
    let fake = FakeServer::start(FakeConfig::default(), 0).await.unwrap();
    let app = TestApp::spawn_with(backend, with_openai(&fake)).await;
    let token = app.admin().await;
    let (kb, _) = knowledge_of(&app, &token, &["notes.md", "guide.html"]).await;
    settled(&app, &token, &kb).await;
    let question = "Which beekeeper taught the club how to rear queens?";
    let ask = |stream: bool, chat_id: Option<&str>| {
        let mut body = json!({
            "model": "fake-model",
            "stream": stream,
            "messages": [{"role": "user", "content": question}],
            "files": [{"type": "collection", "id": kb}],
        });
        if let Some(chat) = chat_id {
            body["chat_id"] = json!(chat);
        }
        body
    };
    // Streaming: the sources come first, as a chunk without choices.
    let response = app
        .post("/api/chat/completions", Some(&token), ask(true, None))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let chunks = sse_chunks(&response.text().await.unwrap());
    let sources = chunks[0]["sources"]
        .as_array()
        .expect("sources before the first token");
    assert!(chunks[0]["choices"].as_array().unwrap().is_empty());
    assert!(chunks.iter().skip(1).all(|c| c.get("sources").is_none()));
    let cited = sources
        .iter()
        .find(|s| s["text"].as_str().unwrap().contains("Ottoline Quarrendale"))
        .expect("the passage with the answer is a source");
    assert_eq!(cited["filename"], "notes.md");
    assert_eq!(cited["heading"], "May: Queen Rearing");
    assert_eq!(sources[0]["index"], 1);
    // The model got the passage as a numbered source, before the question.
    let sent = fake.stats().last_request().unwrap();
    let messages = sent["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system");
    let context = messages[0]["content"].as_str().unwrap();
    assert!(
        context.contains("Ottoline Quarrendale") && context.contains("<source id=\"1\""),
        "{context}"
    );
    assert_eq!(messages.last().unwrap()["content"], question);

    // Without streaming, and stored on the answer in a chat.
    let chat: Value = app
        .post("/api/v1/chats/", Some(&token), json!({}))
        .await
        .json()
        .await
        .unwrap();
    let chat_id = chat["id"].as_str().unwrap();
    let response = app
        .post(
            "/api/chat/completions",
            Some(&token),
            ask(false, Some(chat_id)),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let completion: Value = response.json().await.unwrap();
    assert!(
        completion["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["text"].as_str().unwrap().contains("Ottoline"))
    );
    let stored: Value = app
        .get(&format!("/api/v1/chats/{chat_id}"), &token)
        .await
        .json()
        .await
        .unwrap();
    let answer = stored["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "assistant")
        .unwrap();
    assert_eq!(answer["sources"], completion["sources"]);
}

async fn knowledge_follows_access_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let ada = app.approved_user(&admin, "ada@example.com").await;
    let bob = app.approved_user(&admin, "bob@example.com").await;
    let (kb, files) = knowledge_of(&app, &ada, &["readme.txt"]).await;
    settled(&app, &ada, &kb).await;
    // Bob sees nothing of Ada's knowledge base, and cannot put Ada's file in his own.
    expect_error(
        app.get(&format!("/api/v1/knowledge/{kb}"), &bob).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let listed: Value = app
        .get("/api/v1/knowledge", &bob)
        .await
        .json()
        .await
        .unwrap();
    assert!(listed.as_array().unwrap().is_empty());
    let search = json!({"query": "anything", "collection_names": [kb]});
    expect_error(
        app.post("/api/v1/retrieval/query", Some(&bob), search.clone())
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let own = create_knowledge(&app, &bob, "Bob's").await;
    let steal = json!({"file_ids": [files[0].1]});
    expect_error(
        app.post(&format!("/api/v1/knowledge/{own}/files"), Some(&bob), steal)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Read access lets Bob search but not change it.
    let bob_id: Value = app.get("/api/v1/auths/", &bob).await.json().await.unwrap();
    let shared = app
        .call(
            Method::PATCH,
            &format!("/api/v1/knowledge/{kb}"),
            Some(&ada),
            Some(json!({"read_access": {"user_ids": [bob_id["id"]]}})),
        )
        .await;
    assert_eq!(shared.status(), StatusCode::OK);
    assert!(!query(&app, &bob, search).await.is_empty());
    expect_error(
        app.call(
            Method::DELETE,
            &format!("/api/v1/knowledge/{kb}"),
            Some(&bob),
            None,
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // The owner deletes it; the file stays in the drive.
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/v1/knowledge/{kb}"),
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::OK);
    assert_eq!(
        app.get(&format!("/api/v1/files/{}", files[0].1), &ada)
            .await
            .status(),
        StatusCode::OK
    );
}

async fn deleted_files_leave_no_answers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin().await;
    let (kb, files) = knowledge_of(&app, &token, &["readme.txt", "script.py"]).await;
    settled(&app, &token, &kb).await;
    let question = manifest()
        .into_iter()
        .find(|e| e.file == "readme.txt")
        .unwrap();
    let before = query(
        &app,
        &token,
        json!({"query": question.question, "collection_names": [kb]}),
    )
    .await;
    assert!(before.iter().any(|r| {
        r["text"]
            .as_str()
            .unwrap()
            .contains(&question.answer_contains)
    }));
    let readme = &files[0].1;
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/v1/files/{readme}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::OK);
    let after = query(
        &app,
        &token,
        json!({"query": question.question, "collection_names": [kb]}),
    )
    .await;
    assert!(after.iter().all(|r| r["file_id"] != *readme), "{after:#?}");
    let knowledge: Value = app
        .get(&format!("/api/v1/knowledge/{kb}"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(knowledge["files"].as_array().unwrap().len(), 1);
}

async fn bad_knowledge_requests_get_clear_errors(backend: Backend) {
    let fake = FakeServer::start(FakeConfig::default(), 0).await.unwrap();
    let app = TestApp::spawn_with(backend, with_openai(&fake)).await;
    let token = app.admin().await;
    let kb = create_knowledge(&app, &token, "K").await;
    for (path, body, status) in [
        (
            "/api/v1/knowledge",
            json!({"name": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/knowledge",
            json!({"name": "x", "colour": "red"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/retrieval/query",
            json!({"query": "q"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/retrieval/query",
            json!({"query": "", "collection_names": [kb]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/retrieval/query",
            json!({"query": "q", "collection_names": [kb], "k": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/retrieval/query",
            json!({"query": "q", "collection_names": ["not-an-id"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/retrieval/query",
            json!({"query": "q", "collection_names": ["0192f0c0-0000-7000-8000-000000000000"]}),
            StatusCode::NOT_FOUND,
        ),
    ] {
        expect_error(app.post(path, Some(&token), body.clone()).await, status).await;
    }
    let missing_file = json!({"file_ids": ["0192f0c0-0000-7000-8000-000000000000"]});
    expect_error(
        app.post(
            &format!("/api/v1/knowledge/{kb}/files"),
            Some(&token),
            missing_file,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // A file never indexed cannot be answered from until it is.
    let file = upload_ok(&app, &token, "a.txt", b"plain words".to_vec()).await;
    let ask = json!({"model": "fake-model", "messages": [{"role": "user", "content": "q"}], "files": [{"type": "file", "id": file["id"]}]});
    expect_error(
        app.post("/api/chat/completions", Some(&token), ask).await,
        StatusCode::CONFLICT,
    )
    .await;
    let bad = json!({"model": "fake-model", "messages": [{"role": "user", "content": "q"}], "files": [{"type": "folder", "id": "x"}]});
    expect_error(
        app.post("/api/chat/completions", Some(&token), bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}

each_backend!(
    every_format_answers_its_question,
    answers_cite_their_sources,
    knowledge_follows_access_rules,
    deleted_files_leave_no_answers,
    bad_knowledge_requests_get_clear_errors,
);

/// The same files and questions give the same passages on the embedded index, pgvector and Chroma
/// (configured as operators do: `VECTOR_DB`, `PGVECTOR_DB_URL`, `CHROMA_HTTP_HOST`/`PORT`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_vector_index_gives_the_same_answers() {
    use hearth_config::VectorDb;
    let pgvector = hearth_testkit::pgvector_url();
    let (chroma_host, chroma_port) = hearth_testkit::chroma_address();
    let names = ["manual.pdf", "notes.md", "guide.html", "readme.txt"];
    let questions: Vec<Entry> = manifest()
        .into_iter()
        .filter(|e| names.contains(&e.file.as_str()))
        .collect();
    // The external indexes outlive test runs, and every test server's tenant is the default one:
    // start from an empty collection so earlier runs' passages cannot crowd the filtered searches.
    let collection = hearth_rag::collection_name(
        hearth_core::TenantId::DEFAULT,
        &hearth_testkit::model_dir().display().to_string(),
    );
    let external: [std::sync::Arc<dyn hearth_core::seams::VectorIndex>; 2] = [
        std::sync::Arc::new(
            hearth_vector::PgVectorIndex::connect(&pgvector)
                .await
                .unwrap(),
        ),
        std::sync::Arc::new(hearth_vector::ChromaIndex::new(&chroma_host, chroma_port).unwrap()),
    ];
    for index in &external {
        index.drop_collection(&collection).await.unwrap();
    }
    let mut answers = Vec::new();
    for index in [VectorDb::Embedded, VectorDb::Pgvector, VectorDb::Chroma] {
        let (pgvector, chroma_host) = (pgvector.clone(), chroma_host.clone());
        let app = TestApp::spawn_with(Backend::Sqlite, move |settings| {
            settings.vector.vector_db = index;
            settings.vector.pgvector_db_url = Some(hearth_config::Secret::new(pgvector));
            settings.vector.chroma_http_host = Some(chroma_host);
            settings.vector.chroma_http_port = chroma_port;
        })
        .await;
        let ready: Value = app.get("/ready", "").await.json().await.unwrap();
        assert_eq!(ready["checks"]["vector_index"], "ok", "{ready}");
        let token = app.admin().await;
        let (kb, files) = knowledge_of(&app, &token, &names).await;
        settled(&app, &token, &kb).await;
        let mut found = Vec::new();
        for entry in &questions {
            let results = query(
                &app,
                &token,
                json!({"query": entry.question, "collection_names": [kb], "k": 3, "hybrid": false}),
            )
            .await;
            assert!(
                results[0]["text"]
                    .as_str()
                    .unwrap()
                    .contains(&entry.answer_contains),
                "{index:?}: {}",
                entry.file
            );
            // Files get new ids per server; compare by file name and position in the file.
            let name_of = |id: &Value| {
                files
                    .iter()
                    .find(|(_, f)| f == id.as_str().unwrap())
                    .unwrap()
                    .0
                    .clone()
            };
            found.push(
                results
                    .iter()
                    .map(|r| {
                        format!(
                            "{}#{}",
                            name_of(&r["file_id"]),
                            r["passage_id"]
                                .as_str()
                                .unwrap()
                                .rsplit(':')
                                .next()
                                .unwrap()
                        )
                    })
                    .collect::<Vec<_>>(),
            );
        }
        answers.push(found);
    }
    assert_eq!(answers[0], answers[1], "embedded and pgvector disagree");
    assert_eq!(answers[0], answers[2], "embedded and Chroma disagree");
}
