//! Titles for new chats, written by the task model (`TASK_MODEL`, or the chat's own model) after the
//! first answer, in the background. A failure leaves the default title and is logged.

use std::time::Duration;

use futures::StreamExt;
use hearth_core::chat::DEFAULT_TITLE;
use hearth_core::seams::ChatRequest;
use hearth_core::time::unix_now;
use hearth_core::{ChatId, User};
use hearth_db::ChatPatch;
use hearth_models::Accumulator;
use serde_json::json;

use crate::AppState;

/// Longest a title may take to write.
const TITLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest title kept, in characters.
const TITLE_MAX: usize = 80;

/// Asks the task model for a title and sets it, unless someone renamed the chat meanwhile.
pub(super) async fn generate(
    state: &AppState,
    user: &User,
    chat_id: ChatId,
    question: &str,
    answer: &str,
    chat_model: &str,
) {
    let model = state
        .settings
        .models
        .task_model
        .clone()
        .unwrap_or_else(|| chat_model.to_owned());
    match tokio::time::timeout(TITLE_TIMEOUT, write_title(state, &model, question, answer)).await {
        Ok(Some(title)) => {
            let current = state.store.chat(user.tenant_id, user.id, chat_id).await;
            if matches!(&current, Ok(Some((chat, _))) if chat.title == DEFAULT_TITLE) {
                let patch = ChatPatch {
                    title: Some(title),
                    ..ChatPatch::default()
                };
                if let Err(error) = state
                    .store
                    .update_chat(user.tenant_id, user.id, chat_id, patch, unix_now())
                    .await
                {
                    tracing::warn!(%error, chat = %chat_id, "could not store the generated title");
                }
            }
        }
        Ok(None) => {}
        Err(_) => tracing::warn!(chat = %chat_id, %model, "the title model took too long"),
    }
}

async fn write_title(
    state: &AppState,
    model: &str,
    question: &str,
    answer: &str,
) -> Option<String> {
    let Some((provider, entry)) = state.models.catalogue().resolve(model).await else {
        tracing::warn!(%model, "the title model is not available");
        return None;
    };
    let excerpt = |text: &str| text.chars().take(2000).collect::<String>();
    let prompt = format!(
        "Write a short title (at most six words) for this conversation. Answer with the title only, without quotes.\n\nUser: {}\n\nAssistant: {}",
        excerpt(question),
        excerpt(answer)
    );
    let body = json!({"messages": [{"role": "user", "content": prompt}], "max_tokens": 32, "temperature": 0.2});
    let request = ChatRequest {
        model: entry.upstream_id,
        body: body.as_object().cloned().unwrap_or_default(),
    };
    let mut stream = match provider.chat(request).await {
        Ok(stream) => stream,
        Err(error) => {
            tracing::warn!(%error, "the title model failed");
            return None;
        }
    };
    let mut text = Accumulator::default();
    while let Some(chunk) = stream.next().await {
        text.push(&chunk.ok()?);
    }
    let title = clean(text.content());
    (!title.is_empty()).then_some(title)
}

/// The first line, without quotes or a trailing full stop, at most [`TITLE_MAX`] characters.
fn clean(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    let line = line.trim_matches(|c: char| {
        c == '"' || c == '\'' || c == '`' || c == '*' || c == '#' || c.is_whitespace()
    });
    let line = line.strip_prefix("Title:").map(str::trim).unwrap_or(line);
    let line = line.trim_end_matches('.');
    line.chars().take(TITLE_MAX).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_cleaned_to_one_short_line() {
        assert_eq!(
            clean("\"Rust ownership explained.\"\nExtra words"),
            "Rust ownership explained"
        );
        assert_eq!(clean("  \n# Title: Borrowing"), "Borrowing");
        assert_eq!(clean(&"x".repeat(200)).len(), 80);
    }
}
