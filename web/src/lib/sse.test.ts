// Tests of the SSE parser, including events split at every possible byte boundary.
import { describe, expect, it } from 'vitest';
import { createSseParser } from './sse';

const stream = 'data: {"a":1}\n\n: keep-alive\n\ndata: line one\ndata: line two\n\nevent: x\ndata: [DONE]\n\n';
const expected = [
  { event: 'message', data: '{"a":1}' },
  { event: 'message', data: 'line one\nline two' },
  { event: 'x', data: '[DONE]' },
];

describe('createSseParser', () => {
  it('parses whole events', () => {
    const parser = createSseParser();
    expect([...parser.push(stream), ...parser.end()]).toEqual(expected);
  });

  it('parses the same events however the text is split', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const parser = createSseParser();
      const events = [...parser.push(stream.slice(0, cut)), ...parser.push(stream.slice(cut)), ...parser.end()];
      expect(events).toEqual(expected);
    }
  });

  it('parses one character at a time with CRLF line ends', () => {
    const parser = createSseParser();
    const events = [];
    for (const c of stream.replace(/\n/g, '\r\n')) events.push(...parser.push(c));
    events.push(...parser.end());
    expect(events).toEqual(expected);
  });

  it('emits a final event that lacks its blank line at the end', () => {
    const parser = createSseParser();
    expect(parser.push('data: tail')).toEqual([]);
    expect(parser.end()).toEqual([{ event: 'message', data: 'tail' }]);
  });

  it('ignores comments and fields without data', () => {
    const parser = createSseParser();
    expect(parser.push(':hi\n\nid: 3\n\nretry: 10\n\n')).toEqual([]);
  });
});
