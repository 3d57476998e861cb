//! The `openai` and `ollama` embedding engines against a model server speaking each API
//! (hearth-fakes: the real wire formats; a double is allowed only for such paid or external model
//! servers): batching, order, normalisation, the API key, retries on overload, and clear failures.

use hearth_config::{RagEmbeddingEngine, RagSettings, Secret};
use hearth_core::seams::SeamError;
use hearth_fakes::{FakeConfig, FakeServer, fake_embedding};
use hearth_rag::embed::open_embedder;

async fn server() -> FakeServer {
    FakeServer::start(
        FakeConfig {
            models: vec!["embedder".into()],
            required_key: Some("sk-embed".into()),
            ..FakeConfig::default()
        },
        0,
    )
    .await
    .unwrap()
}

fn settings(engine: RagEmbeddingEngine, fake: &FakeServer) -> RagSettings {
    let mut rag = RagSettings {
        rag_embedding_engine: engine,
        rag_embedding_model: "embedder".into(),
        rag_embedding_batch_size: 32,
        ..RagSettings::default()
    };
    match engine {
        RagEmbeddingEngine::Openai => {
            rag.rag_openai_api_base_url = Some(fake.openai_url());
            rag.rag_openai_api_key = Some(Secret::new("sk-embed"));
        }
        _ => rag.rag_ollama_base_url = Some(fake.ollama_url()),
    }
    rag
}

fn texts(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("passage {i} about topic{} and word{}", i % 7, i % 3))
        .collect()
}

fn unit(vector: &[f32]) -> Vec<f32> {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    vector.iter().map(|x| x / norm).collect()
}

async fn batches_keep_order_and_come_back_normalised(engine: RagEmbeddingEngine) {
    let fake = server().await;
    if engine == RagEmbeddingEngine::Ollama {
        // Ollama has no keys.
        fake.configure(|c| c.required_key = None);
    }
    let embedder = open_embedder(&settings(engine, &fake), None).unwrap();
    let texts = texts(70);
    let vectors = embedder.embed(&texts).await.unwrap();
    assert_eq!(fake.stats().embedding_batches(), vec![32, 32, 6]);
    assert_eq!(vectors.len(), 70);
    for (text, vector) in texts.iter().zip(&vectors) {
        let expected = unit(&fake_embedding(text));
        assert!(
            vector
                .iter()
                .zip(&expected)
                .all(|(a, b)| (a - b).abs() < 1e-6),
            "{text}"
        );
    }
    assert_eq!(
        embedder.dimensions(),
        hearth_fakes::FAKE_EMBEDDING_DIMENSIONS
    );
    assert_eq!(embedder.model(), "embedder");
    let authorization = fake.stats().embedding_authorization.lock().unwrap().clone();
    if engine == RagEmbeddingEngine::Openai {
        assert_eq!(authorization.as_deref(), Some("Bearer sk-embed"));
    }
}

#[tokio::test]
async fn openai_batches_keep_order_and_come_back_normalised() {
    batches_keep_order_and_come_back_normalised(RagEmbeddingEngine::Openai).await;
}

#[tokio::test]
async fn ollama_batches_keep_order_and_come_back_normalised() {
    batches_keep_order_and_come_back_normalised(RagEmbeddingEngine::Ollama).await;
}

#[tokio::test]
async fn an_overloaded_server_is_retried_until_it_answers() {
    let fake = server().await;
    let embedder = open_embedder(&settings(RagEmbeddingEngine::Openai, &fake), None).unwrap();
    fake.fail_next_embeddings(2, 503);
    let vectors = embedder.embed(&texts(3)).await.unwrap();
    assert_eq!(vectors.len(), 3);
    assert_eq!(fake.stats().embedding_requests(), 3);
    fake.fail_next_embeddings(1, 429);
    embedder.embed(&texts(1)).await.unwrap();
    assert_eq!(fake.stats().embedding_requests(), 5);
}

#[tokio::test]
async fn a_server_that_stays_down_or_refuses_fails_with_its_reason() {
    let fake = server().await;
    let embedder = open_embedder(&settings(RagEmbeddingEngine::Openai, &fake), None).unwrap();
    // Four attempts, then the server's status is the error.
    fake.fail_next_embeddings(10, 503);
    match embedder.embed(&texts(2)).await {
        Err(SeamError::Upstream { status: 503, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.stats().embedding_requests(), 4);
    // A refusal is not retried.
    fake.fail_next_embeddings(0, 503);
    let mut wrong_key = settings(RagEmbeddingEngine::Openai, &fake);
    wrong_key.rag_openai_api_key = Some(Secret::new("sk-wrong"));
    let refused = open_embedder(&wrong_key, None).unwrap();
    match refused.embed(&texts(1)).await {
        Err(SeamError::Upstream { status: 401, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.stats().embedding_requests(), 5);
    let mut unknown_model = settings(RagEmbeddingEngine::Openai, &fake);
    unknown_model.rag_embedding_model = "no-such-model".into();
    match open_embedder(&unknown_model, None)
        .unwrap()
        .embed(&texts(1))
        .await
    {
        Err(SeamError::Upstream {
            status: 404,
            message,
            ..
        }) => {
            assert!(message.contains("no-such-model"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable_and_bad_urls_are_refused() {
    // A port nothing listens on: bind one, then close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut rag = RagSettings {
        rag_embedding_engine: RagEmbeddingEngine::Ollama,
        rag_ollama_base_url: Some(format!("http://127.0.0.1:{port}")),
        ..RagSettings::default()
    };
    let embedder = open_embedder(&rag, None).unwrap();
    match embedder.embed(&texts(1)).await {
        Err(SeamError::Unavailable { .. }) => {}
        other => panic!("{other:?}"),
    }
    rag.rag_ollama_base_url = Some("localhost:11434".into());
    assert!(matches!(
        open_embedder(&rag, None),
        Err(SeamError::Invalid(_))
    ));
}
