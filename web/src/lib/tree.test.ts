// Tests of the message tree: paths, newest leaves and sibling navigation after edits.
import { describe, expect, it } from 'vitest';
import { buildTree, defaultLeaf, newestLeaf, pathTo, siblingsOf } from './tree';

// q1 → a1 ; q1 → a1b (regenerated) ; q2 (edit of q1) → a2 → q3 → a3
const messages = [
  { id: 'q1', parent_id: null, created_at: 1 },
  { id: 'a1', parent_id: 'q1', created_at: 2 },
  { id: 'a1b', parent_id: 'q1', created_at: 3 },
  { id: 'q2', parent_id: null, created_at: 4 },
  { id: 'a2', parent_id: 'q2', created_at: 5 },
  { id: 'q3', parent_id: 'a2', created_at: 6 },
  { id: 'a3', parent_id: 'q3', created_at: 7 },
];
const tree = buildTree(messages);

describe('message tree', () => {
  it('walks from the root to a leaf', () => {
    expect(pathTo(tree, 'a3').map((m) => m.id)).toEqual(['q2', 'a2', 'q3', 'a3']);
    expect(pathTo(tree, 'a1').map((m) => m.id)).toEqual(['q1', 'a1']);
    expect(pathTo(tree, 'missing')).toEqual([]);
    expect(pathTo(tree, null)).toEqual([]);
  });

  it('finds the newest leaf below a message', () => {
    expect(newestLeaf(tree, 'q1')).toBe('a1b');
    expect(newestLeaf(tree, 'q2')).toBe('a3');
    expect(newestLeaf(tree, 'a3')).toBe('a3');
    expect(defaultLeaf(tree)).toBe('a3');
    expect(defaultLeaf(buildTree([]))).toBeNull();
  });

  it('counts siblings and names the neighbours', () => {
    expect(siblingsOf(tree, 'q1')).toEqual({ index: 0, count: 2, previous: null, next: 'q2' });
    expect(siblingsOf(tree, 'q2')).toEqual({ index: 1, count: 2, previous: 'q1', next: null });
    expect(siblingsOf(tree, 'a1b')).toEqual({ index: 1, count: 2, previous: 'a1', next: null });
    expect(siblingsOf(tree, 'a3')).toEqual({ index: 0, count: 1, previous: null, next: null });
  });

  it('orders siblings by time whatever order they arrive in', () => {
    const shuffled = buildTree([...messages].reverse());
    expect(siblingsOf(shuffled, 'q1').next).toBe('q2');
  });

  it('treats a message whose parent is missing as a root and survives cycles', () => {
    const odd = buildTree([
      { id: 'x', parent_id: 'gone', created_at: 1 },
      { id: 'y', parent_id: 'z', created_at: 2 },
      { id: 'z', parent_id: 'y', created_at: 3 },
    ]);
    expect(siblingsOf(odd, 'x').count).toBe(1);
    expect(pathTo(odd, 'y').map((m) => m.id)).toEqual(['z', 'y']);
  });
});
