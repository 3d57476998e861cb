//! Answering from files and knowledge bases: a completion request's `files` are resolved to the
//! files the caller may read, the passages that best answer the last user message are retrieved,
//! and they reach the model as numbered sources in a system message. The same sources go back to
//! the client (an event before the first token, a `sources` field without streaming) and are
//! stored on the answer, so citations can open the passage.

use hearth_core::knowledge::IngestStatus;
use hearth_core::{FileId, KnowledgeId, User};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{CompletionRequest, content_text};
use crate::routes::knowledge as knowledge_access;
use crate::{ApiError, AppState};

/// One item of a request's `files`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Attachment {
    File { id: FileId },
    Collection { id: KnowledgeId },
}

/// A passage given to the model, as the client sees it: `index` is the number it is cited by.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Source {
    pub(crate) index: usize,
    pub(crate) passage_id: String,
    pub(crate) file_id: FileId,
    pub(crate) filename: String,
    pub(crate) page: Option<u32>,
    pub(crate) heading: Option<String>,
    pub(crate) text: String,
    pub(crate) score: f32,
}

/// The request's `files` as the caller's searchable file ids, or an error naming the bad item.
pub(super) fn parse(files: &[Value]) -> Result<(Vec<FileId>, Vec<KnowledgeId>), ApiError> {
    let mut file_ids = Vec::new();
    let mut knowledge_ids = Vec::new();
    for (index, item) in files.iter().enumerate() {
        match serde_json::from_value::<Attachment>(item.clone()) {
            Ok(Attachment::File { id }) => file_ids.push(id),
            Ok(Attachment::Collection { id }) => knowledge_ids.push(id),
            Err(e) => {
                return Err(ApiError::Unprocessable(format!(
                    "files[{index}]: must be {{\"type\": \"file\" or \"collection\", \"id\": …}} ({e})"
                )));
            }
        }
    }
    Ok((file_ids, knowledge_ids))
}

/// The sources for a request with `files` (none without).
pub(super) async fn sources(
    state: &AppState,
    caller: &User,
    request: &CompletionRequest,
) -> Result<Vec<Source>, ApiError> {
    let Some(files) = request.files.as_deref().filter(|f| !f.is_empty()) else {
        return Ok(Vec::new());
    };
    let (file_ids, knowledge_ids) = parse(files)?;
    let searchable =
        knowledge_access::searchable_files(state, caller, &knowledge_ids, &file_ids).await?;
    // Files attached on their own must be indexed; a knowledge base answers from its ready files.
    let ingestion = state.store.ingestion(&file_ids).await?;
    for id in &file_ids {
        match ingestion.get(id).map(|r| r.status) {
            Some(IngestStatus::Ready) => {}
            Some(IngestStatus::Failed) => {
                let reason = ingestion[id].error.clone().unwrap_or_default();
                return Err(ApiError::Unprocessable(format!(
                    "file {id} could not be indexed: {reason}"
                )));
            }
            Some(status) => {
                return Err(ApiError::Conflict(format!(
                    "file {id} is not indexed yet ({status}); try again shortly"
                )));
            }
            None => {
                return Err(ApiError::Conflict(format!(
                    "file {id} is not indexed; add it to a knowledge base or POST /api/v1/retrieval/process/file first"
                )));
            }
        }
    }
    let Some(question) = request.messages.iter().rev().find(|m| m["role"] == "user") else {
        return Ok(Vec::new());
    };
    let question = content_text(&question["content"]);
    let settings = state.tunables.current();
    let rag = &settings.rag;
    let found = state
        .knowledge
        .retrieve(
            caller.tenant_id,
            &searchable,
            &question,
            rag.rag_top_k as usize,
            rag.enable_rag_hybrid_search,
        )
        .await?;
    Ok(found
        .into_iter()
        .enumerate()
        .map(|(i, r)| Source {
            index: i + 1,
            passage_id: r.passage.id,
            file_id: r.passage.file_id,
            filename: r.filename,
            page: r.passage.page,
            heading: r.passage.heading,
            text: r.passage.text,
            score: r.score,
        })
        .collect())
}

/// The system message that gives the model its sources.
pub(super) fn context_message(sources: &[Source]) -> Value {
    let mut text = String::from(
        "Answer the user's question using the numbered sources below when they are relevant. \
         Cite the sources you use by their number in square brackets, like [1]. If the sources do \
         not contain the answer, say so and answer from your own knowledge.\n\n",
    );
    for source in sources {
        let mut place = String::new();
        if let Some(page) = source.page {
            place.push_str(&format!(" page=\"{page}\""));
        }
        if let Some(heading) = &source.heading {
            place.push_str(&format!(" heading=\"{}\"", heading.replace('"', "'")));
        }
        text.push_str(&format!(
            "<source id=\"{}\" name=\"{}\"{place}>\n{}\n</source>\n",
            source.index,
            source.filename.replace('"', "'"),
            source.text
        ));
    }
    json!({"role": "system", "content": text})
}

/// The event sent before the first token: a chunk with no choices and the sources.
pub(super) fn sources_chunk(sources: &[Source]) -> Value {
    json!({
        "object": "chat.completion.chunk",
        "choices": [],
        "sources": sources,
    })
}
