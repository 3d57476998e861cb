// Stitching live answer text: `chat.delta` events carry the offset (in Unicode code points, as the
// server counts characters) where their text starts, so a copy of the answer can be extended exactly
// once, whatever was already read from GET chat or seen before.

/** Length in code points. */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * The text extended by a delta starting at `offset`: unchanged when the delta lies within what is
 * known, `null` when it starts beyond the end (a gap: something was missed).
 */
export function stitch(content: string, offset: number, delta: string): string | null {
  const points = Array.from(content);
  if (offset > points.length) return null;
  const deltaPoints = Array.from(delta);
  const end = offset + deltaPoints.length;
  if (end <= points.length) return content;
  return points.join('') + deltaPoints.slice(points.length - offset).join('');
}

export interface Delta {
  offset: number;
  content: string;
}

/** Applies buffered deltas in offset order; `gap` tells whether one could not be placed. */
export function applyDeltas(content: string, deltas: readonly Delta[]): { content: string; gap: boolean } {
  let text = content;
  let gap = false;
  for (const d of [...deltas].sort((a, b) => a.offset - b.offset)) {
    const next = stitch(text, d.offset, d.content);
    if (next === null) gap = true;
    else text = next;
  }
  return { content: text, gap };
}
