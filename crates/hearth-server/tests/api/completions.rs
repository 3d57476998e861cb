//! Chat completions against the fake model server: streaming order, cancellation, persistence,
//! branches, titles, upstream failures and bad input.

use std::time::Duration;

use hearth_fakes::{Failure, FakeConfig, FakeServer, tokens};
use hearth_testkit::{Backend, each_backend};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{
    TestApp, eventually, expect_error, sse_chunks, sse_data, streamed_text, with_openai,
};

async fn app_with(backend: Backend, config: FakeConfig) -> (TestApp, FakeServer) {
    let fake = FakeServer::start(config, 0).await.unwrap();
    let app = TestApp::spawn_with(backend, with_openai(&fake)).await;
    (app, fake)
}

fn ask(content: &str) -> Value {
    json!({"model": "fake-model", "messages": [{"role": "user", "content": content}]})
}

fn streaming(mut body: Value) -> Value {
    body["stream"] = json!(true);
    body
}

async fn new_chat(app: &TestApp, token: &str) -> String {
    let chat: Value = app
        .post("/api/v1/chats/", Some(token), json!({}))
        .await
        .json()
        .await
        .unwrap();
    chat["id"].as_str().unwrap().to_owned()
}

async fn chat_of(app: &TestApp, token: &str, id: &str) -> Value {
    app.get(&format!("/api/v1/chats/{id}"), token)
        .await
        .json()
        .await
        .unwrap()
}

async fn streamed_deltas_arrive_in_order_and_unchanged(backend: Backend) {
    let pieces: Vec<String> = [
        "Hé",
        "llo",
        " \"wörld\"",
        "\n\n",
        "🙂",
        " {not: json}",
        "\\n",
        "end",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (app, _fake) = app_with(
        backend,
        FakeConfig {
            reply: pieces.clone(),
            ..Default::default()
        },
    )
    .await;
    let token = app.admin().await;
    let response = app
        .post("/api/chat/completions", Some(&token), streaming(ask("hi")))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let body = response.text().await.unwrap();
    let chunks = sse_chunks(&body);
    let deltas: Vec<String> = chunks
        .iter()
        .filter_map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(deltas, pieces, "every delta, in order, byte for byte");
    assert!(
        chunks
            .iter()
            .all(|c| c["model"] == "fake-model" && c["object"] == "chat.completion.chunk")
    );
    assert_eq!(sse_data(&body).last().unwrap(), "[DONE]");
    assert!(
        chunks.iter().all(|c| c.get("usage").is_none()),
        "usage only when asked for"
    );

    let mut with_usage = streaming(ask("hi"));
    with_usage["stream_options"] = json!({"include_usage": true});
    let body = app
        .post("/v1/chat/completions", Some(&token), with_usage)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        sse_chunks(&body).last().unwrap()["usage"]["completion_tokens"],
        8
    );
}

async fn non_streamed_answers_are_one_completion_with_usage(backend: Backend) {
    let (app, fake) = app_with(
        backend,
        FakeConfig {
            reply: tokens(3),
            ..Default::default()
        },
    )
    .await;
    let token = app.admin().await;
    let mut body = ask("hi");
    body["temperature"] = json!(0.3);
    body["max_tokens"] = json!(20);
    let completion: Value = app
        .post("/v1/chat/completions", Some(&token), body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(completion["object"], "chat.completion");
    assert_eq!(
        completion["choices"][0]["message"],
        json!({"role": "assistant", "content": "tok0 tok1 tok2 "})
    );
    assert_eq!(completion["usage"]["total_tokens"], 15);
    let sent = fake.stats().last_request().unwrap();
    assert_eq!(
        (sent["temperature"].clone(), sent["max_tokens"].clone()),
        (json!(0.3), json!(20)),
        "parameters pass through"
    );
    assert!(sent.get("chat_id").is_none() && sent.get("files").is_none());
}

async fn a_client_that_leaves_cancels_the_upstream_request(backend: Backend) {
    let slow = FakeConfig {
        reply: tokens(2000),
        token_delay: Duration::from_millis(5),
        ..Default::default()
    };
    let (app, fake) = app_with(backend, slow).await;
    let token = app.admin().await;
    let mut response = app
        .post("/api/chat/completions", Some(&token), streaming(ask("hi")))
        .await;
    let first = response.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("tok0"));
    drop(response);
    eventually("the fake server to see the cancellation", || async {
        fake.stats().cancelled() == 1
    })
    .await;
    assert_eq!(fake.stats().completed(), 0);
}

async fn with_a_chat_the_answer_is_stored_even_if_the_client_leaves(backend: Backend) {
    let paced = FakeConfig {
        reply: tokens(40),
        token_delay: Duration::from_millis(10),
        ..Default::default()
    };
    let (app, fake) = app_with(backend, paced).await;
    let token = app.admin().await;
    let chat = new_chat(&app, &token).await;
    let mut body = streaming(ask("tell me a long story"));
    body["chat_id"] = json!(chat);
    let mut response = app.post("/api/chat/completions", Some(&token), body).await;
    response.chunk().await.unwrap().unwrap();
    drop(response);
    let expected = tokens(40).concat();
    eventually("the whole answer to be stored", || async {
        let stored = chat_of(&app, &token, &chat).await;
        stored["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["role"] == "assistant" && m["status"] == "complete")
    })
    .await;
    let stored = chat_of(&app, &token, &chat).await;
    let messages = stored["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(
        (
            messages[0]["role"].as_str(),
            messages[0]["content"].as_str()
        ),
        (Some("user"), Some("tell me a long story"))
    );
    assert_eq!(
        messages[1]["content"].as_str(),
        Some(expected.as_str()),
        "nothing lost"
    );
    assert_eq!(messages[1]["usage"]["completion_tokens"], 40);
    assert_eq!(messages[1]["parent_id"], messages[0]["id"]);
    assert_eq!(stored["current_message_id"], messages[1]["id"]);
    eventually("the title request after the answer", || async {
        fake.stats().completed() == 2
    })
    .await;
    assert_eq!(
        fake.stats().cancelled(),
        0,
        "the answer ran to the end though the client left"
    );
}

async fn a_stopped_answer_keeps_what_was_said_and_cancels_the_model(backend: Backend) {
    let slow = FakeConfig {
        reply: tokens(1000),
        token_delay: Duration::from_millis(10),
        ..Default::default()
    };
    let (app, fake) = app_with(backend, slow).await;
    let token = app.admin().await;
    let chat = new_chat(&app, &token).await;
    let stop = format!("/api/v1/chats/{chat}/stop");
    expect_error(
        app.post(&stop, Some(&token), json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    let mut body = streaming(ask("tell me an endless story"));
    body["chat_id"] = json!(chat);
    let mut response = app.post("/api/chat/completions", Some(&token), body).await;
    let mut received = String::new();
    while !received.contains("tok3 ") {
        let chunk = response.chunk().await.unwrap().expect("more of the answer");
        received.push_str(&String::from_utf8_lossy(&chunk));
    }
    let stopped = app.post(&stop, Some(&token), json!({})).await;
    assert_eq!(stopped.status(), StatusCode::OK);
    let stopped: Value = stopped.json().await.unwrap();
    let content = stopped["content"].as_str().unwrap().to_owned();
    assert!(content.starts_with("tok0 tok1 tok2 tok3 "), "{content}");
    assert!(content.len() < tokens(1000).concat().len(), "stopped early");
    // The asking client's stream ends, and the model server saw the request dropped.
    while response.chunk().await.unwrap().is_some() {}
    eventually("the model request to be cancelled", || async {
        fake.stats().cancelled() == 1
    })
    .await;
    let stored = chat_of(&app, &token, &chat).await;
    let answer = &stored["messages"][1];
    assert_eq!(
        (answer["status"].as_str(), answer["content"].as_str()),
        (Some("complete"), Some(content.as_str()))
    );
    expect_error(
        app.post(&stop, Some(&token), json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
}

async fn edits_and_regenerations_become_branches(backend: Backend) {
    let (app, fake) = app_with(
        backend,
        FakeConfig {
            reply: tokens(2),
            ..Default::default()
        },
    )
    .await;
    let token = app.admin().await;
    let chat = new_chat(&app, &token).await;
    let send = |body: Value| {
        let (app, token, chat) = (&app, token.clone(), chat.clone());
        async move {
            let mut body = body;
            body["chat_id"] = json!(chat);
            let response = app.post("/api/chat/completions", Some(&token), body).await;
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.unwrap()
        }
    };
    send(ask("first question")).await;
    let stored = chat_of(&app, &token, &chat).await;
    let question = stored["messages"][0]["id"].as_str().unwrap().to_owned();
    let first_answer = stored["messages"][1]["id"].as_str().unwrap().to_owned();

    fake.configure(|c| c.reply = vec!["second answer".into()]);
    send(json!({"model": "fake-model", "messages": [{"role": "user", "content": "first question"}], "regenerate": true})).await;
    fake.configure(|c| c.reply = vec!["answer to the edit".into()]);
    send(json!({"model": "fake-model", "messages": [{"role": "user", "content": "edited question"}], "parent_id": null})).await;
    fake.configure(|c| c.reply = vec!["a follow-up answer".into()]);
    send(ask("follow-up")).await;

    let stored = chat_of(&app, &token, &chat).await;
    let messages = stored["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 7, "{messages:#?}");
    let children = |parent: &str| messages.iter().filter(|m| m["parent_id"] == parent).count();
    assert_eq!(
        children(&question),
        2,
        "the regenerated answer is a sibling of the first"
    );
    let roots: Vec<&Value> = messages
        .iter()
        .filter(|m| m["parent_id"].is_null())
        .collect();
    assert_eq!(
        roots.len(),
        2,
        "`parent_id: null` edited the first question into a second root"
    );
    let follow_up = messages
        .iter()
        .find(|m| m["content"] == "follow-up")
        .unwrap();
    let edit_answer = messages
        .iter()
        .find(|m| m["content"] == "answer to the edit")
        .unwrap();
    assert_eq!(
        follow_up["parent_id"], edit_answer["id"],
        "without parent_id the next question continues the branch"
    );
    assert_eq!(
        stored["current_message_id"],
        messages
            .iter()
            .find(|m| m["content"] == "a follow-up answer")
            .unwrap()["id"]
    );

    let select = app
        .call(
            Method::PATCH,
            &format!("/api/v1/chats/{chat}"),
            Some(&token),
            Some(json!({"current_message_id": first_answer})),
        )
        .await;
    assert_eq!(select.status(), StatusCode::OK);
    assert_eq!(
        chat_of(&app, &token, &chat).await["current_message_id"],
        json!(first_answer)
    );
}

async fn new_chats_get_a_title_from_the_task_model(backend: Backend) {
    let (app, fake) = app_with(
        backend,
        FakeConfig {
            reply: vec!["\"Rust ownership\"".into()],
            ..Default::default()
        },
    )
    .await;
    let token = app.admin().await;
    let chat = new_chat(&app, &token).await;
    let mut body = ask("how does borrowing work?");
    body["chat_id"] = json!(chat);
    app.post("/api/chat/completions", Some(&token), body).await;
    eventually("the title", || async {
        chat_of(&app, &token, &chat).await["title"] == "Rust ownership"
    })
    .await;
    let prompt = fake.stats().last_request().unwrap()["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(prompt.contains("how does borrowing work?"), "{prompt}");
}

async fn upstream_failures_become_502_and_504(backend: Backend) {
    let (app, fake) = app_with(backend, FakeConfig::default()).await;
    let token = app.admin().await;
    fake.configure(|c| c.failure = Failure::Status(500, "the GPU caught fire".into()));
    let detail = expect_error(
        app.post("/api/chat/completions", Some(&token), ask("hi"))
            .await,
        StatusCode::BAD_GATEWAY,
    )
    .await;
    assert!(
        detail.contains("answered 500: the GPU caught fire"),
        "{detail}"
    );

    fake.configure(|c| c.failure = Failure::InvalidJson { after: 2 });
    let detail = expect_error(
        app.post("/api/chat/completions", Some(&token), ask("hi"))
            .await,
        StatusCode::BAD_GATEWAY,
    )
    .await;
    assert!(detail.contains("sent invalid JSON"), "{detail}");
    let body = app
        .post("/api/chat/completions", Some(&token), streaming(ask("hi")))
        .await
        .text()
        .await
        .unwrap();
    let last: Value = serde_json::from_str(sse_data(&body).last().unwrap()).unwrap();
    assert_eq!(last["error"]["code"], 502);
    assert!(
        last["error"]["message"]
            .as_str()
            .unwrap()
            .contains("invalid JSON")
    );
    assert_eq!(
        streamed_text(&body),
        "tok0 tok1 ",
        "what arrived before the failure was relayed"
    );

    let chat = new_chat(&app, &token).await;
    let mut body = streaming(ask("hi"));
    body["chat_id"] = json!(chat);
    app.post("/api/chat/completions", Some(&token), body)
        .await
        .text()
        .await
        .unwrap();
    let stored = chat_of(&app, &token, &chat).await;
    let answer = &stored["messages"][1];
    assert_eq!(
        (answer["status"].as_str(), answer["content"].as_str()),
        (Some("error"), Some("tok0 tok1 "))
    );
    assert!(answer["error"].as_str().unwrap().contains("invalid JSON"));

    fake.configure(|c| c.failure = Failure::Hang);
    let detail = expect_error(
        app.post("/api/chat/completions", Some(&token), ask("hi"))
            .await,
        StatusCode::GATEWAY_TIMEOUT,
    )
    .await;
    assert!(detail.contains("timed out"), "{detail}");
}

async fn bad_completion_requests_get_a_4xx_naming_the_problem(backend: Backend) {
    let (app, fake) = app_with(backend, FakeConfig::default()).await;
    let token = app.admin().await;
    let other = app.approved_user(&token, "other@example.org").await;
    let foreign_chat = new_chat(&app, &other).await;
    let cases = [
        (
            json!({"model": "no-such-model", "messages": [{"role": "user", "content": "hi"}]}),
            StatusCode::NOT_FOUND,
            "model `no-such-model` not found",
        ),
        (
            json!({"model": "fake-model", "messages": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "messages: must hold at least one message",
        ),
        (
            json!({"model": "fake-model", "messages": "hi"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "messages: invalid type",
        ),
        (
            json!({"model": "fake-model", "messages": [{"content": "hi"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "message 0: needs a `role`",
        ),
        (
            json!({"model": "fake-model", "messages": [{"role": "wizard", "content": "hi"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown role `wizard`",
        ),
        (
            json!({"model": "fake-model", "messages": [{"role": "user", "content": 42}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "`content` must be text",
        ),
        (
            json!({"messages": [{"role": "user", "content": "hi"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing field `model`",
        ),
        (
            json!({"model": "fake-model", "messages": [{"role": "user", "content": "hi"}], "files": [{"type": "file", "id": "x"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "files:",
        ),
        (
            json!({"model": "fake-model", "messages": [{"role": "user", "content": "hi"}], "chat_id": foreign_chat}),
            StatusCode::NOT_FOUND,
            "chat not found",
        ),
        (
            json!({"model": "fake-model", "messages": [{"role": "user", "content": "hi"}], "regenerate": true}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "chat_id: is needed",
        ),
    ];
    for (body, status, says) in cases {
        let detail = expect_error(
            app.post("/api/chat/completions", Some(&token), body.clone())
                .await,
            status,
        )
        .await;
        assert!(detail.contains(says), "{body}: {detail}");
    }
    assert_eq!(
        fake.stats().chat_requests(),
        0,
        "nothing reached the model server"
    );
    let messages = chat_of(&app, &other, &foreign_chat).await["messages"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(messages, 0, "nothing was half-written");
    let pending =
        crate::support::token_of(&app.signup("pending@example.org", "pending-password").await);
    expect_error(
        app.post("/api/chat/completions", Some(&pending), ask("hi"))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

each_backend!(
    streamed_deltas_arrive_in_order_and_unchanged,
    non_streamed_answers_are_one_completion_with_usage,
    a_client_that_leaves_cancels_the_upstream_request,
    with_a_chat_the_answer_is_stored_even_if_the_client_leaves,
    a_stopped_answer_keeps_what_was_said_and_cancels_the_model,
    edits_and_regenerations_become_branches,
    new_chats_get_a_title_from_the_task_model,
    upstream_failures_become_502_and_504,
    bad_completion_requests_get_a_4xx_naming_the_problem,
);

#[tokio::test]
async fn ollama_servers_answer_through_the_same_api() {
    let fake = FakeServer::start(
        FakeConfig {
            models: vec!["llama3".into()],
            reply: tokens(4),
            ..Default::default()
        },
        0,
    )
    .await
    .unwrap();
    let url = fake.ollama_url();
    let app = TestApp::spawn_with(Backend::Sqlite, move |s| {
        s.models.ollama_base_urls = vec![url];
    })
    .await;
    let token = app.admin().await;
    let body = json!({"model": "llama3", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.5});
    let completion: Value = app
        .post("/v1/chat/completions", Some(&token), body.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        completion["choices"][0]["message"]["content"],
        "tok0 tok1 tok2 tok3 "
    );
    assert_eq!(completion["usage"]["completion_tokens"], 4);
    let streamed = app
        .post("/api/chat/completions", Some(&token), streaming(body))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(streamed_text(&streamed), "tok0 tok1 tok2 tok3 ");
    assert_eq!(
        fake.stats().last_request().unwrap()["options"]["temperature"],
        0.5
    );
}

#[tokio::test]
async fn oversized_chat_requests_are_refused_before_upload() {
    let (app, _fake) = app_with(Backend::Sqlite, FakeConfig::default()).await;
    let token = app.admin().await;
    let content = "x".repeat(8 * 1024 * 1024);
    let big = app
        .post("/api/chat/completions", Some(&token), ask(&content))
        .await;
    assert_eq!(big.status(), StatusCode::OK, "8 MiB histories are accepted");
    drop(big);
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/chat/completions HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        32 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&received).contains("too large") {
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer))
            .await
            .unwrap()
            .unwrap();
        assert!(read > 0);
        received.extend_from_slice(&buffer[..read]);
    }
    assert!(String::from_utf8_lossy(&received).contains("413"));
}
