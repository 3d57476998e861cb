// Streaming a chat answer: POST /api/chat/completions with `stream: true`, read as Server-Sent
// Events and handed to the caller piece by piece.
import { createSseParser } from '../lib/sse';
import { interpretChunk, type Source } from '../lib/completion';
import { authHeaders, errorFrom, ApiError } from './client';
import type { Attachment } from './types';

export interface CompletionBody {
  model: string;
  messages: { role: string; content: string }[];
  chat_id: string;
  parent_id?: string | null;
  regenerate?: boolean;
  files?: Pick<Attachment, 'type' | 'id'>[];
}

export interface StreamHandlers {
  onSources(sources: Source[]): void;
  onDelta(text: string): void;
}

/** Streams an answer until `[DONE]`; throws `ApiError` on a refused request or a failed answer. */
export async function streamCompletion(body: CompletionBody, handlers: StreamHandlers, signal: AbortSignal): Promise<void> {
  const response = await fetch('/api/chat/completions', {
    method: 'POST',
    headers: { ...authHeaders(), 'Content-Type': 'application/json', Accept: 'text/event-stream' },
    body: JSON.stringify({ ...body, stream: true }),
    signal,
  });
  if (!response.ok) throw await errorFrom(response);
  if (!response.body) throw new ApiError(0, 'the answer has no body');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = createSseParser();
  const handle = (data: string): boolean => {
    const event = interpretChunk(data);
    switch (event.kind) {
      case 'sources':
        handlers.onSources(event.sources);
        return false;
      case 'delta':
        handlers.onDelta(event.text);
        return false;
      case 'error':
        throw new ApiError(502, event.message);
      case 'done':
        return true;
      default:
        return false;
    }
  };
  for (;;) {
    const { value, done } = await reader.read();
    const events = done ? parser.end() : parser.push(value);
    for (const event of events) {
      if (handle(event.data)) {
        await reader.cancel().catch(() => undefined);
        return;
      }
    }
    if (done) return;
  }
}
