//! Concurrent writers: many users each sending messages into their own chat for a while, the way
//! each system's own web UI does it, counting the messages acknowledged and the errors — then
//! reading every chat back, so a write acknowledged but lost counts against its system.
//!
//! - Hearth: one request per message, `POST /api/chat/completions` with the chat's id (the server
//!   stores the question and the answer).
//! - Open WebUI: its UI asks `POST /api/chat/completions`, then saves the whole chat with the
//!   question and the answer appended (`POST /api/v1/chats/{id}`), so the same two requests here.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::servers::Binary;

/// What the writers achieved.
#[derive(Debug, Default)]
pub(crate) struct WriteResult {
    /// Messages acknowledged (a question answered and stored).
    pub(crate) completed: u64,
    /// Requests that failed (any status but 200, or a broken connection).
    pub(crate) errors: u64,
    /// Acknowledged messages missing when the chats were read back.
    pub(crate) lost: u64,
    pub(crate) per_second: f64,
}

/// One user with a chat of their own.
struct Writer {
    token: String,
    chat_id: String,
}

/// Signs up `users` accounts (the server must give new accounts the `user` role) and opens a chat
/// for each.
async fn writers(
    system: Binary,
    client: &reqwest::Client,
    base: &str,
    users: usize,
) -> Result<Vec<Writer>> {
    let mut writers = Vec::new();
    for n in 0..users {
        let form = json!({"name": format!("Writer {n}"), "email": format!("writer{n}@example.org"), "password": "writer-password"});
        let session: Value = client
            .post(format!("{base}/api/v1/auths/signup"))
            .json(&form)
            .send()
            .await?
            .error_for_status()
            .with_context(|| format!("{system:?}: signing up writer {n}"))?
            .json()
            .await?;
        let token = session["token"].as_str().context("a token")?.to_owned();
        let (path, body) = match system {
            Binary::OpenWebUi => (
                "/api/v1/chats/new",
                json!({"chat": {"title": format!("writer {n}"), "messages": [], "history": {"messages": {}, "currentId": null}}}),
            ),
            _ => ("/api/v1/chats", json!({"title": format!("writer {n}")})),
        };
        let chat: Value = client
            .post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await?
            .error_for_status()
            .with_context(|| format!("{system:?}: creating writer {n}'s chat"))?
            .json()
            .await?;
        let chat_id = chat["id"].as_str().context("a chat id")?.to_owned();
        writers.push(Writer { token, chat_id });
    }
    Ok(writers)
}

/// One message the way the system's UI sends it; the messages stored so far are `history`.
async fn send(
    system: Binary,
    client: &reqwest::Client,
    base: &str,
    writer: &Writer,
    model: &str,
    history: &mut Vec<Value>,
    n: usize,
) -> Result<()> {
    let question = json!({"role": "user", "content": format!("message {n}")});
    let mut request =
        json!({"model": model, "messages": [question], "stream": false, "chat_id": writer.chat_id});
    if system == Binary::OpenWebUi {
        let mut messages = history.clone();
        messages.push(question.clone());
        request["messages"] = Value::Array(messages);
    }
    let answer: Value = client
        .post(format!("{base}/api/chat/completions"))
        .bearer_auth(&writer.token)
        .json(&request)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let content = answer["choices"][0]["message"]["content"]
        .as_str()
        .context("an answer")?
        .to_owned();
    history.push(question);
    history.push(json!({"role": "assistant", "content": content}));
    if system == Binary::OpenWebUi {
        let chat = json!({"chat": {"title": "writer", "messages": history}});
        client
            .post(format!("{base}/api/v1/chats/{}", writer.chat_id))
            .bearer_auth(&writer.token)
            .json(&chat)
            .send()
            .await?
            .error_for_status()?;
    }
    Ok(())
}

/// Messages stored in a writer's chat, read back.
async fn stored(
    system: Binary,
    client: &reqwest::Client,
    base: &str,
    writer: &Writer,
) -> Result<u64> {
    let chat: Value = client
        .get(format!("{base}/api/v1/chats/{}", writer.chat_id))
        .bearer_auth(&writer.token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let messages = match system {
        Binary::OpenWebUi => &chat["chat"]["messages"],
        _ => &chat["messages"],
    };
    let questions = messages
        .as_array()
        .context("stored messages")?
        .iter()
        .filter(|m| m["role"] == "user")
        .count();
    Ok(questions as u64)
}

/// `users` writers sending messages to `model` for `duration`, each waiting for its previous
/// message to be acknowledged.
pub(crate) async fn run(
    system: Binary,
    addr: &str,
    model: &str,
    users: usize,
    duration: Duration,
) -> Result<WriteResult> {
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(users)
        .timeout(Duration::from_secs(60))
        .build()?;
    let writers = writers(system, &client, &base, users).await?;
    eprintln!("{system:?}: {users} writers signed up");
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for writer in writers {
        let (client, base, model) = (client.clone(), base.clone(), model.to_owned());
        tasks.push(tokio::spawn(async move {
            let (mut completed, mut errors) = (0u64, 0u64);
            let mut history = Vec::new();
            while Instant::now() < deadline {
                match send(
                    system,
                    &client,
                    &base,
                    &writer,
                    &model,
                    &mut history,
                    completed as usize,
                )
                .await
                {
                    Ok(()) => completed += 1,
                    Err(_) => errors += 1,
                }
            }
            (writer, completed, errors)
        }));
    }
    let mut result = WriteResult::default();
    let mut finished = Vec::new();
    for task in tasks {
        let (writer, completed, errors) = task.await?;
        result.completed += completed;
        result.errors += errors;
        finished.push((writer, completed));
    }
    result.per_second = result.completed as f64 / started.elapsed().as_secs_f64();
    for (writer, completed) in &finished {
        let found = stored(system, &client, &base, writer).await?;
        result.lost += completed.saturating_sub(found);
    }
    if result.completed == 0 {
        bail!(
            "{system:?}: no message was acknowledged ({} errors)",
            result.errors
        );
    }
    Ok(result)
}
