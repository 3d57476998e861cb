//! The providers and the catalogue against the fake model server, over real HTTP.

use std::time::Duration;

use futures::StreamExt;
use hearth_core::ConnectionId;
use hearth_core::connection::{Connection, ConnectionKind, ConnectionSource};
use hearth_core::seams::{ChatRequest, SeamError};
use hearth_fakes::{Failure, FakeConfig, FakeServer, tokens};
use hearth_models::catalogue::provider;
use hearth_models::{Accumulator, Catalogue, Http, HttpOptions};
use serde_json::{Value, json};

fn http(request_timeout: Duration) -> Http {
    Http::new(HttpOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout,
        allow_redirects: false,
    })
}

fn connection(kind: ConnectionKind, name: &str, base_url: String) -> Connection {
    Connection {
        id: ConnectionId::new(),
        kind,
        name: name.into(),
        base_url,
        api_key: None,
        prefix: None,
        model_allow_list: Vec::new(),
        enabled: true,
        source: ConnectionSource::Admin,
    }
}

fn request(model: &str) -> ChatRequest {
    let body = json!({"messages": [{"role": "user", "content": "hi"}], "temperature": 0.1});
    ChatRequest {
        model: model.into(),
        body: body.as_object().unwrap().clone(),
    }
}

async fn collect(kind: ConnectionKind, server: &FakeServer) -> Result<Vec<Value>, SeamError> {
    let url = if kind == ConnectionKind::Openai {
        server.openai_url()
    } else {
        server.ollama_url()
    };
    let provider = provider(&connection(kind, "fake", url), http(Duration::from_secs(5)));
    let stream = provider.chat(request("fake-model")).await?;
    stream.collect::<Vec<_>>().await.into_iter().collect()
}

#[tokio::test]
async fn both_protocols_stream_the_answer_in_order_with_usage() {
    let server = FakeServer::start(
        FakeConfig {
            reply: tokens(5),
            ..Default::default()
        },
        0,
    )
    .await
    .unwrap();
    for kind in [ConnectionKind::Openai, ConnectionKind::Ollama] {
        let chunks = collect(kind, &server).await.unwrap();
        let mut answer = Accumulator::default();
        for chunk in &chunks {
            assert_eq!(chunk["object"], "chat.completion.chunk", "{kind:?}");
            answer.push(chunk);
        }
        assert_eq!(answer.content(), "tok0 tok1 tok2 tok3 tok4 ", "{kind:?}");
        assert_eq!(answer.finish_reason(), Some("stop"));
        assert_eq!(answer.usage().unwrap()["completion_tokens"], 5, "{kind:?}");
    }
    let sent = server.stats().last_request().unwrap();
    assert_eq!(
        sent["options"]["temperature"], 0.1,
        "Ollama gets the sampling options"
    );
    assert_eq!(server.stats().completed(), 2);
}

#[tokio::test]
async fn openai_requests_ask_for_usage_and_pass_fields_through() {
    let server = FakeServer::start(FakeConfig::default(), 0).await.unwrap();
    collect(ConnectionKind::Openai, &server).await.unwrap();
    let sent = server.stats().last_request().unwrap();
    assert_eq!(
        (
            sent["stream"].clone(),
            sent["stream_options"]["include_usage"].clone()
        ),
        (json!(true), json!(true))
    );
    assert_eq!(sent["temperature"], 0.1);
    assert_eq!(sent["model"], "fake-model");
}

#[tokio::test]
async fn dropping_the_stream_cancels_the_upstream_request() {
    let server = FakeServer::start(
        FakeConfig {
            reply: tokens(1000),
            token_delay: Duration::from_millis(5),
            ..Default::default()
        },
        0,
    )
    .await
    .unwrap();
    for kind in [ConnectionKind::Openai, ConnectionKind::Ollama] {
        let url = if kind == ConnectionKind::Openai {
            server.openai_url()
        } else {
            server.ollama_url()
        };
        let provider = provider(&connection(kind, "fake", url), http(Duration::from_secs(5)));
        let mut stream = provider.chat(request("fake-model")).await.unwrap();
        for _ in 0..3 {
            stream.next().await.unwrap().unwrap();
        }
        drop(stream);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while server.stats().cancelled() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the fake never saw the cancellations"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.stats().completed(), 0);
}

#[tokio::test]
async fn failures_become_errors_that_name_the_server() {
    let server = FakeServer::start(FakeConfig::default(), 0).await.unwrap();
    for kind in [ConnectionKind::Openai, ConnectionKind::Ollama] {
        server.configure(|c| c.failure = Failure::Status(500, "the GPU caught fire".into()));
        let error = collect(kind, &server).await.unwrap_err();
        assert!(
            matches!(&error, SeamError::Upstream { status: 500, message, .. } if message == "the GPU caught fire"),
            "{kind:?}: {error:?}"
        );
        assert!(error.to_string().contains("model server 'fake'"));

        server.configure(|c| c.failure = Failure::InvalidJson { after: 2 });
        let error = collect(kind, &server).await.unwrap_err();
        assert!(
            error.to_string().contains("sent invalid JSON"),
            "{kind:?}: {error}"
        );

        server.configure(|c| c.failure = Failure::Drop { after: 2 });
        let error = collect(kind, &server).await.unwrap_err();
        assert!(
            error
                .to_string()
                .contains("closed the stream before the answer was complete"),
            "{kind:?}: {error}"
        );
    }
    server.configure(|c| c.failure = Failure::Hang);
    let hanging = provider(
        &connection(ConnectionKind::Openai, "slow", server.openai_url()),
        http(Duration::from_millis(300)),
    );
    assert!(matches!(
        hanging.chat(request("fake-model")).await,
        Err(SeamError::Timeout { .. })
    ));

    let nowhere = provider(
        &connection(
            ConnectionKind::Openai,
            "gone",
            "http://127.0.0.1:1/v1".into(),
        ),
        http(Duration::from_secs(2)),
    );
    let error = nowhere.list_models().await.unwrap_err();
    assert!(
        matches!(&error, SeamError::Unavailable { reason, .. } if reason.starts_with("cannot connect")),
        "{error:?}"
    );
}

#[tokio::test]
async fn api_keys_are_sent_as_bearer_tokens() {
    let server = FakeServer::start(
        FakeConfig {
            required_key: Some("sk-right".into()),
            ..Default::default()
        },
        0,
    )
    .await
    .unwrap();
    let mut right = connection(ConnectionKind::Openai, "keyed", server.openai_url());
    right.api_key = Some("sk-right".into());
    assert_eq!(
        provider(&right, http(Duration::from_secs(2)))
            .list_models()
            .await
            .unwrap()
            .len(),
        2
    );
    let mut wrong = right.clone();
    wrong.api_key = Some("sk-wrong".into());
    let error = provider(&wrong, http(Duration::from_secs(2)))
        .list_models()
        .await
        .unwrap_err();
    assert!(
        matches!(error, SeamError::Upstream { status: 401, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_catalogue_keeps_serving_when_one_connection_is_down() {
    let server = FakeServer::start(FakeConfig::default(), 0).await.unwrap();
    let mut lab = connection(ConnectionKind::Openai, "lab", server.openai_url());
    lab.prefix = Some("lab".into());
    let mut local = connection(ConnectionKind::Ollama, "local", server.ollama_url());
    local.model_allow_list = vec!["fake-model-2".into()];
    let down = connection(
        ConnectionKind::Openai,
        "down",
        "http://127.0.0.1:1/v1".into(),
    );
    let mut disabled = connection(ConnectionKind::Openai, "off", server.openai_url());
    disabled.enabled = false;

    let catalogue = Catalogue::new(http(Duration::from_secs(2)), Duration::from_secs(300));
    catalogue.set_connections(vec![lab.clone(), local.clone(), down.clone(), disabled]);
    let snapshot = catalogue.snapshot().await;
    let ids: Vec<&str> = snapshot.models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["lab.fake-model", "lab.fake-model-2", "fake-model-2"]);
    let down_health = snapshot
        .health
        .iter()
        .find(|h| h.connection_id == down.id)
        .unwrap();
    assert!(
        !down_health.ok
            && down_health
                .detail
                .as_deref()
                .unwrap()
                .contains("cannot connect"),
        "{down_health:?}"
    );
    assert!(snapshot.health.iter().filter(|h| h.ok).count() == 2);

    let (provider, entry) = catalogue.resolve("lab.fake-model").await.unwrap();
    assert_eq!(
        (provider.connection_id(), entry.upstream_id.as_str()),
        (lab.id, "fake-model")
    );
    assert!(
        catalogue.resolve("fake-model").await.is_none(),
        "filtered by the allow-list"
    );

    let listed_before = server
        .stats()
        .model_list_requests
        .load(std::sync::atomic::Ordering::SeqCst);
    catalogue.snapshot().await;
    let listed_after = server
        .stats()
        .model_list_requests
        .load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        listed_before, listed_after,
        "served from the cache within the TTL"
    );
    catalogue.refresh().await;
    assert!(
        server
            .stats()
            .model_list_requests
            .load(std::sync::atomic::Ordering::SeqCst)
            > listed_after
    );

    let health = catalogue.check(&down).await;
    assert!(!health.ok);
}
