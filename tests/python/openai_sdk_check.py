"""Drives Hearth with the official OpenAI Python SDK and prints what it saw as JSON.

Environment: HEARTH_URL (e.g. http://127.0.0.1:8080), HEARTH_API_KEY, HEARTH_MODEL.
"""

import json
import os

import openai
from openai import OpenAI

client = OpenAI(base_url=os.environ["HEARTH_URL"] + "/v1", api_key=os.environ["HEARTH_API_KEY"], max_retries=0)
model = os.environ["HEARTH_MODEL"]
messages = [{"role": "user", "content": "Say something."}]

models = sorted(m.id for m in client.models.list())

completion = client.chat.completions.create(model=model, messages=messages, temperature=0.2)

deltas, usage, finish = [], None, None
stream = client.chat.completions.create(model=model, messages=messages, stream=True, stream_options={"include_usage": True})
for chunk in stream:
    if chunk.choices:
        if chunk.choices[0].delta.content:
            deltas.append(chunk.choices[0].delta.content)
        finish = chunk.choices[0].finish_reason or finish
    if chunk.usage:
        usage = chunk.usage.total_tokens

try:
    client.chat.completions.create(model="no-such-model", messages=messages)
    unknown_model = None
except openai.NotFoundError as error:
    unknown_model = {"status": error.status_code, "detail": error.body.get("detail") if isinstance(error.body, dict) else None}

try:
    OpenAI(base_url=os.environ["HEARTH_URL"] + "/v1", api_key="sk-hearth-wrong", max_retries=0).models.list()
    wrong_key = None
except openai.AuthenticationError as error:
    wrong_key = error.status_code

print(json.dumps({
    "models": models,
    "completion": {
        "object": completion.object,
        "model": completion.model,
        "content": completion.choices[0].message.content,
        "finish_reason": completion.choices[0].finish_reason,
        "total_tokens": completion.usage.total_tokens if completion.usage else None,
    },
    "stream": {"deltas": deltas, "total_tokens": usage, "finish_reason": finish},
    "unknown_model": unknown_model,
    "wrong_key": wrong_key,
}))
