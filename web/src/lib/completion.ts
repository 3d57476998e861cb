// What one Server-Sent Event of a chat completion means for the UI: the sources sent before the
// first token, a piece of the answer, an error from the model server, or the end.

export interface Source {
  index: number;
  passage_id: string;
  file_id: string;
  filename: string;
  page?: number | null;
  heading?: string | null;
  text: string;
  score: number;
}

export type CompletionEvent =
  | { kind: 'sources'; sources: Source[] }
  | { kind: 'delta'; text: string }
  | { kind: 'error'; message: string }
  | { kind: 'done' }
  | { kind: 'other' };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function interpretChunk(data: string): CompletionEvent {
  if (data.trim() === '[DONE]') return { kind: 'done' };
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    return { kind: 'other' };
  }
  if (!isRecord(chunk)) return { kind: 'other' };
  if (isRecord(chunk.error)) {
    const message = chunk.error.message;
    return { kind: 'error', message: typeof message === 'string' ? message : 'the model server failed' };
  }
  if (Array.isArray(chunk.sources)) return { kind: 'sources', sources: chunk.sources as Source[] };
  const choices = chunk.choices;
  if (Array.isArray(choices) && isRecord(choices[0]) && isRecord(choices[0].delta)) {
    const content = choices[0].delta.content;
    if (typeof content === 'string' && content !== '') return { kind: 'delta', text: content };
  }
  return { kind: 'other' };
}
