//! Concurrent writers: many users each sending messages into their own chat for a while, the way
//! each system's own web UI does it, counting the messages acknowledged and the errors — then
//! reading every chat back, so a write acknowledged but lost counts against its system.
//!
//! - Hearth: one request per message, `POST /api/chat/completions` with the chat's id (the server
//!   stores the question and the answer).
//! - Open WebUI (0.12): also one request, `POST /api/chat/completions` with the chat's id, the
//!   question as `user_message` with its id and parent, and the answer's id (what its UI sends);
//!   the server stores the turn.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::api::Api;
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

/// Has the administrator (`admin`) create `users` accounts with the `user` role — Open WebUI closes
/// sign-up after its first account, so both systems get the same administrator-made accounts — signs
/// each in and opens a chat for it.
async fn writers(system: Binary, api: &Api, admin: &str, users: usize) -> Result<Vec<Writer>> {
    let mut writers = Vec::new();
    for n in 0..users {
        let (email, password) = (format!("writer{n}@example.org"), "writer-password");
        let form = json!({"name": format!("Writer {n}"), "email": email, "password": password, "role": "user"});
        let add = match system {
            Binary::OpenWebUi => "/api/v1/auths/add",
            _ => "/api/v1/users/",
        };
        api.post(add, Some(admin), &form)
            .await
            .with_context(|| format!("{system:?}: creating writer {n}"))?;
        let credentials = json!({"email": email, "password": password});
        let session = api
            .post("/api/v1/auths/signin", None, &credentials)
            .await
            .with_context(|| format!("{system:?}: signing in writer {n}"))?;
        let token = session["token"].as_str().context("a token")?.to_owned();
        let (path, body) = match system {
            Binary::OpenWebUi => (
                "/api/v1/chats/new",
                json!({"chat": {"title": format!("writer {n}"), "messages": [], "history": {"messages": {}, "currentId": null}}}),
            ),
            _ => ("/api/v1/chats", json!({"title": format!("writer {n}")})),
        };
        let chat = api
            .post(path, Some(&token), &body)
            .await
            .with_context(|| format!("{system:?}: creating writer {n}'s chat"))?;
        let chat_id = chat["id"].as_str().context("a chat id")?.to_owned();
        writers.push(Writer { token, chat_id });
    }
    Ok(writers)
}

/// A writer's chat as its client knows it: the messages so far and the id of the last answer
/// (Open WebUI's UI sends both).
#[derive(Default)]
struct Conversation {
    history: Vec<Value>,
    parent: Option<String>,
}

/// One message the way the system's UI sends it.
async fn send(
    system: Binary,
    api: &Api,
    writer: &Writer,
    model: &str,
    conversation: &mut Conversation,
    n: usize,
) -> Result<()> {
    let Conversation { history, parent } = conversation;
    let question = json!({"role": "user", "content": format!("message {n}")});
    let mut request =
        json!({"model": model, "messages": [question], "stream": false, "chat_id": writer.chat_id});
    let answer_id = uuid::Uuid::now_v7().to_string();
    if system == Binary::OpenWebUi {
        let mut messages = history.clone();
        messages.push(question.clone());
        request["messages"] = Value::Array(messages);
        let question_id = uuid::Uuid::now_v7().to_string();
        request["parent_id"] = json!(parent);
        request["id"] = json!(answer_id);
        request["user_message"] = json!({
            "id": question_id, "parentId": parent, "role": "user",
            "content": format!("message {n}"), "childrenIds": [], "models": [model],
        });
    }
    let answer = api
        .post("/api/chat/completions", Some(&writer.token), &request)
        .await?;
    let content = answer["choices"][0]["message"]["content"]
        .as_str()
        .context("an answer")?
        .to_owned();
    history.push(question);
    history.push(json!({"role": "assistant", "content": content}));
    *parent = Some(answer_id);
    Ok(())
}

/// Messages stored in a writer's chat, read back.
async fn stored(system: Binary, api: &Api, writer: &Writer) -> Result<u64> {
    let chat = api
        .get(&format!("/api/v1/chats/{}", writer.chat_id), &writer.token)
        .await?;
    let messages: Vec<&Value> = match system {
        Binary::OpenWebUi => chat["chat"]["history"]["messages"]
            .as_object()
            .context("stored messages")?
            .values()
            .collect(),
        _ => chat["messages"]
            .as_array()
            .context("stored messages")?
            .iter()
            .collect(),
    };
    let questions = messages.iter().filter(|m| m["role"] == "user").count();
    Ok(questions as u64)
}

/// `users` writers sending messages to `model` for `duration`, each waiting for its previous
/// message to be acknowledged.
pub(crate) async fn run(
    system: Binary,
    addr: &str,
    admin: &str,
    model: &str,
    users: usize,
    duration: Duration,
) -> Result<WriteResult> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(users)
        .timeout(Duration::from_secs(60))
        .build()?;
    let api = Api::new(client, addr);
    let writers = writers(system, &api, admin, users).await?;
    eprintln!("{system:?}: {users} writers signed in");
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for writer in writers {
        let (api, model) = (api.clone(), model.to_owned());
        tasks.push(tokio::spawn(async move {
            let (mut completed, mut errors) = (0u64, 0u64);
            let mut conversation = Conversation::default();
            while Instant::now() < deadline {
                match send(
                    system,
                    &api,
                    &writer,
                    &model,
                    &mut conversation,
                    completed as usize,
                )
                .await
                {
                    Ok(()) => completed += 1,
                    Err(error) => {
                        if errors == 0 {
                            eprintln!("{system:?}: a writer's first failure: {error:#}");
                        }
                        errors += 1;
                    }
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
        let found = stored(system, &api, writer).await?;
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
