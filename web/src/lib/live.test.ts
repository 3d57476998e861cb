// Tests of live-answer stitching by code-point offsets.
import { describe, expect, it } from 'vitest';
import { applyDeltas, codePointLength, stitch } from './live';

describe('stitch', () => {
  it('appends a delta that starts at the end', () => {
    expect(stitch('tok0 ', 5, 'tok1 ')).toBe('tok0 tok1 ');
  });
  it('keeps text that already holds the delta', () => {
    expect(stitch('tok0 tok1 ', 5, 'tok1 ')).toBe('tok0 tok1 ');
  });
  it('adds only the unseen part of an overlapping delta', () => {
    expect(stitch('tok0 to', 5, 'tok1 ')).toBe('tok0 tok1 ');
  });
  it('reports a gap', () => {
    expect(stitch('tok0 ', 9, 'x')).toBeNull();
  });
  it('counts characters outside the BMP as one', () => {
    expect(codePointLength('a😀b')).toBe(3);
    expect(stitch('a😀', 2, 'b')).toBe('a😀b');
    expect(stitch('a😀b', 2, 'bc')).toBe('a😀bc');
  });
});

describe('applyDeltas', () => {
  it('applies deltas in offset order and notices gaps', () => {
    const deltas = [
      { offset: 2, content: 'cd' },
      { offset: 0, content: 'ab' },
    ];
    expect(applyDeltas('', deltas)).toEqual({ content: 'abcd', gap: false });
    expect(applyDeltas('', [{ offset: 3, content: 'x' }])).toEqual({ content: '', gap: true });
  });
});
