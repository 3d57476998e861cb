//! Folding a stream of `chat.completion.chunk`s into what it says: the answer's text, tool calls, the
//! finish reason and token usage — for storing answers and for answering non-streamed requests.

use serde_json::{Map, Value, json};

/// The answer so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Accumulator {
    id: Option<String>,
    created: Option<i64>,
    content: String,
    tool_calls: Vec<Map<String, Value>>,
    finish_reason: Option<String>,
    usage: Option<Value>,
}

impl Accumulator {
    /// Adds one chunk (only choice 0 is followed).
    pub fn push(&mut self, chunk: &Value) {
        if self.id.is_none() {
            self.id = chunk["id"].as_str().map(str::to_owned);
            self.created = chunk["created"].as_i64();
        }
        if let Some(usage) = chunk.get("usage").filter(|u| !u.is_null()) {
            self.usage = Some(usage.clone());
        }
        let Some(choice) = chunk["choices"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["index"].as_u64().unwrap_or(0) == 0))
        else {
            return;
        };
        let delta = &choice["delta"];
        if let Some(text) = delta["content"].as_str() {
            self.content.push_str(text);
        }
        if let Some(calls) = delta["tool_calls"].as_array() {
            for call in calls {
                self.merge_tool_call(call);
            }
        }
        if let Some(reason) = choice["finish_reason"].as_str() {
            self.finish_reason = Some(reason.to_owned());
        }
    }

    /// Tool-call deltas carry an `index`; later deltas append to `function.arguments`.
    fn merge_tool_call(&mut self, delta: &Value) {
        let index = delta["index"].as_u64().unwrap_or(0) as usize;
        while self.tool_calls.len() <= index {
            self.tool_calls.push(Map::new());
        }
        let call = &mut self.tool_calls[index];
        for key in ["id", "type"] {
            if let Some(value) = delta.get(key).filter(|v| !v.is_null()) {
                call.insert(key.to_owned(), value.clone());
            }
        }
        let function = call
            .entry("function")
            .or_insert_with(|| json!({"name": "", "arguments": ""}));
        if let Some(name) = delta["function"]["name"].as_str() {
            function["name"] = Value::String(name.to_owned());
        }
        if let Some(arguments) = delta["function"]["arguments"].as_str() {
            let joined = format!(
                "{}{arguments}",
                function["arguments"].as_str().unwrap_or_default()
            );
            function["arguments"] = Value::String(joined);
        }
    }

    /// The answer's text so far.
    pub fn content(&self) -> &str {
        &self.content
    }

    /// Token usage, when the server reported it.
    pub fn usage(&self) -> Option<&Value> {
        self.usage.as_ref()
    }

    pub fn finish_reason(&self) -> Option<&str> {
        self.finish_reason.as_deref()
    }

    /// The `chat.completion` object a non-streaming client expects, under `model`.
    pub fn into_completion(self, model: &str) -> Value {
        let mut message = json!({"role": "assistant", "content": self.content});
        if !self.tool_calls.is_empty() {
            message["tool_calls"] =
                Value::Array(self.tool_calls.into_iter().map(Value::Object).collect());
        }
        json!({
            "id": self.id.unwrap_or_else(|| format!("chatcmpl-{}", uuid::Uuid::now_v7().simple())),
            "object": "chat.completion",
            "created": self.created.unwrap_or_else(hearth_core::time::unix_now),
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason.unwrap_or_else(|| "stop".into())}],
            "usage": self.usage.unwrap_or(Value::Null),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_fold_into_a_completion() {
        let mut answer = Accumulator::default();
        answer.push(&json!({"id": "c1", "created": 7, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}}]}));
        answer.push(&json!({"id": "c1", "choices": [{"index": 0, "delta": {"content": "lo"}}]}));
        answer.push(&json!({"id": "c1", "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\":"}}]}}]}));
        answer.push(&json!({"id": "c1", "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "\"x\"}"}}]}}]}));
        answer.push(&json!({"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}));
        answer.push(&json!({"id": "c1", "choices": [], "usage": {"total_tokens": 9}}));
        assert_eq!(answer.content(), "Hello");
        let completion = answer.into_completion("lab.model");
        assert_eq!(completion["model"], "lab.model");
        assert_eq!(completion["id"], "c1");
        assert_eq!(completion["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(
            completion["choices"][0]["message"]["tool_calls"][0]["function"],
            json!({"name": "lookup", "arguments": "{\"q\":\"x\"}"})
        );
        assert_eq!(completion["usage"], json!({"total_tokens": 9}));
    }
}
