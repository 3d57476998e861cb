// The message tree of a chat: every message has a parent; the selected branch is the path from the
// root to the chat's current leaf. Siblings are the alternatives (edits, regenerations) that the
// `< 1/2 >` control steps through.

export interface TreeMessage {
  id: string;
  parent_id?: string | null;
  created_at: number;
}

export interface MessageTree<M extends TreeMessage> {
  byId: Map<string, M>;
  children: Map<string | null, M[]>;
}

export function buildTree<M extends TreeMessage>(messages: readonly M[]): MessageTree<M> {
  const byId = new Map<string, M>();
  const children = new Map<string | null, M[]>();
  for (const m of messages) byId.set(m.id, m);
  for (const m of messages) {
    const parent = m.parent_id && byId.has(m.parent_id) ? m.parent_id : null;
    const list = children.get(parent) ?? [];
    list.push(m);
    children.set(parent, list);
  }
  for (const list of children.values()) {
    list.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
  return { byId, children };
}

/** The messages from the root down to `leaf` (empty when `leaf` is unknown). */
export function pathTo<M extends TreeMessage>(tree: MessageTree<M>, leaf: string | null | undefined): M[] {
  const path: M[] = [];
  const seen = new Set<string>();
  let current = leaf ? tree.byId.get(leaf) : undefined;
  while (current && !seen.has(current.id)) {
    seen.add(current.id);
    path.push(current);
    current = current.parent_id ? tree.byId.get(current.parent_id) : undefined;
  }
  return path.reverse();
}

/** The newest leaf below `id`, following the newest child at each step. */
export function newestLeaf<M extends TreeMessage>(tree: MessageTree<M>, id: string): string {
  let current = id;
  const seen = new Set<string>([id]);
  for (;;) {
    const kids = tree.children.get(current);
    const last = kids?.[kids.length - 1];
    if (!last || seen.has(last.id)) return current;
    seen.add(last.id);
    current = last.id;
  }
}

/** The leaf to show when no current message is set: the newest path from the newest root. */
export function defaultLeaf<M extends TreeMessage>(tree: MessageTree<M>): string | null {
  const roots = tree.children.get(null);
  const last = roots?.[roots.length - 1];
  return last ? newestLeaf(tree, last.id) : null;
}

export interface Siblings {
  index: number;
  count: number;
  previous: string | null;
  next: string | null;
}

/** Where `id` stands among the children of its parent, with its neighbours. */
export function siblingsOf<M extends TreeMessage>(tree: MessageTree<M>, id: string): Siblings {
  const message = tree.byId.get(id);
  const parent = message?.parent_id && tree.byId.has(message.parent_id) ? message.parent_id : null;
  const list = tree.children.get(parent) ?? [];
  const index = list.findIndex((m) => m.id === id);
  return {
    index,
    count: list.length,
    previous: index > 0 ? (list[index - 1]?.id ?? null) : null,
    next: index >= 0 && index < list.length - 1 ? (list[index + 1]?.id ?? null) : null,
  };
}
