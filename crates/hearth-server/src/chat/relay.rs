//! Relaying an answer to the client as Server-Sent Events in OpenAI's framing: one `data:` line per
//! chunk as it arrives (never buffered whole), `data: [DONE]` at the end, an `error` object instead
//! when the model server fails mid-answer.

use std::convert::Infallible;
use std::time::Duration;

use axum::http::{HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use hearth_core::seams::{ChatChunkStream, SeamError};
use serde_json::{Value, json};

/// One step of an answer on its way to the client.
#[derive(Debug)]
pub(super) enum Frame {
    Chunk(Value),
    Failed(SeamError),
}

/// The upstream stream as frames, ending after the first failure.
pub(super) fn frames(upstream: ChatChunkStream) -> BoxStream<'static, Frame> {
    upstream
        .map(|item| match item {
            Ok(chunk) => Frame::Chunk(chunk),
            Err(error) => Frame::Failed(error),
        })
        .boxed()
}

/// An SSE response: chunks relabelled with Hearth's model id, usage only when the client asked for
/// it, `[DONE]` after a complete answer and an `error` event (and no `[DONE]`) after a failed one.
/// Comments keep idle connections open through proxies.
pub(super) fn sse(
    frames: impl Stream<Item = Frame> + Send + 'static,
    model_id: String,
    include_usage: bool,
) -> Response {
    let events = futures::stream::unfold((Box::pin(frames), false), move |(mut frames, ended)| {
        let model_id = model_id.clone();
        async move {
            if ended {
                return None;
            }
            loop {
                let event = match frames.next().await {
                    None => return Some((Event::default().data("[DONE]"), (frames, true))),
                    Some(Frame::Failed(error)) => {
                        let status = crate::error::seam_status(&error).as_u16();
                        let body = json!({"error": {"message": error.to_string(), "type": "upstream_error", "code": status}});
                        return Some((Event::default().data(body.to_string()), (frames, true)));
                    }
                    Some(Frame::Chunk(chunk)) => relabel(chunk, &model_id, include_usage),
                };
                if let Some(chunk) = event {
                    return Some((Event::default().data(chunk.to_string()), (frames, false)));
                }
            }
        }
    });
    let events = events.map(Ok::<_, Infallible>);
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    // Tell nginx and friends not to buffer the stream.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Puts Hearth's model id on a chunk and drops usage the client did not ask for.
fn relabel(mut chunk: Value, model_id: &str, include_usage: bool) -> Option<Value> {
    let object = chunk.as_object_mut()?;
    object.insert("model".into(), Value::String(model_id.to_owned()));
    if !include_usage && object.remove("usage").is_some() {
        let empty = object
            .get("choices")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty);
        if empty {
            return None;
        }
    }
    Some(chunk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_carry_hearth_model_ids_and_usage_only_on_request() {
        let chunk = json!({"model": "upstream", "choices": [{"delta": {"content": "hi"}}]});
        assert_eq!(
            relabel(chunk, "lab.model", false).unwrap()["model"],
            "lab.model"
        );
        let usage = json!({"model": "upstream", "choices": [], "usage": {"total_tokens": 3}});
        assert!(relabel(usage.clone(), "m", false).is_none());
        assert_eq!(
            relabel(usage, "m", true).unwrap()["usage"]["total_tokens"],
            3
        );
    }
}
