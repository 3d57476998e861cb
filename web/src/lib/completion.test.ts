// Tests of the interpretation of streamed completion chunks.
import { describe, expect, it } from 'vitest';
import { interpretChunk } from './completion';

describe('interpretChunk', () => {
  it('reads pieces of the answer', () => {
    expect(interpretChunk('{"choices":[{"delta":{"content":"tok0 "}}]}')).toEqual({ kind: 'delta', text: 'tok0 ' });
  });
  it('reads the sources chunk', () => {
    const source = { index: 1, passage_id: 'p', file_id: 'f', filename: 'a.pdf', text: 't', score: 1 };
    expect(interpretChunk(JSON.stringify({ choices: [], sources: [source] }))).toEqual({ kind: 'sources', sources: [source] });
  });
  it('reads errors and the end', () => {
    expect(interpretChunk('{"error":{"message":"boom"}}')).toEqual({ kind: 'error', message: 'boom' });
    expect(interpretChunk('[DONE]')).toEqual({ kind: 'done' });
  });
  it('ignores role-only chunks, usage and garbage', () => {
    expect(interpretChunk('{"choices":[{"delta":{"role":"assistant"}}]}').kind).toBe('other');
    expect(interpretChunk('{"choices":[],"usage":{}}').kind).toBe('other');
    expect(interpretChunk('not json').kind).toBe('other');
  });
});
