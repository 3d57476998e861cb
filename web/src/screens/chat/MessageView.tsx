// One message of the selected branch: the text (Markdown for answers), its sources as citation
// buttons, and its actions — copy, edit (questions), regenerate (answers) and `< 1/2 >` to step
// through the alternatives at this point of the tree.
import { useState, type FormEvent } from 'react';
import type { Message, Source } from '../../api/types';
import type { Siblings } from '../../lib/tree';
import { Markdown } from '../../components/Markdown';
import { Icon } from '../../components/Icon';

export interface MessageViewProps {
  message: Pick<Message, 'id' | 'role' | 'content' | 'status' | 'error' | 'model' | 'sources'>;
  siblings?: Siblings;
  streaming?: boolean;
  /** When the answer was stopped: how many characters of it were kept. */
  stoppedAt?: number;
  busy: boolean;
  onSelect?(id: string): void;
  onEdit?(text: string): void;
  onRegenerate?(): void;
  onCite(source: Source): void;
}

export function MessageView({ message, siblings, streaming, stoppedAt, busy, onSelect, onEdit, onRegenerate, onCite }: MessageViewProps) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(message.content);
  const sources = message.sources ?? [];
  const content = stoppedAt !== undefined ? Array.from(message.content).slice(0, stoppedAt).join('') : message.content;
  const isUser = message.role === 'user';
  const live = streaming || message.status === 'streaming';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!draft.trim()) return;
    setEditing(false);
    onEdit?.(draft);
  };

  const cite = (index: number) => {
    const source = sources.find((s) => s.index === index);
    if (source) onCite(source);
  };

  return (
    <article
      className={`message ${message.role}`}
      data-role={message.role}
      data-status={live && stoppedAt === undefined ? 'streaming' : message.status}
      aria-busy={live && stoppedAt === undefined}
      aria-label={isUser ? 'Your message' : `Answer${message.model ? ` from ${message.model}` : ''}`}
    >
      {editing ? (
        <form className="edit-form" onSubmit={submit}>
          <label>
            <span className="visually-hidden">Edit message</span>
            <textarea autoFocus value={draft} rows={3} onChange={(e) => setDraft(e.target.value)}
              onKeyDown={(e) => e.key === 'Escape' && setEditing(false)} />
          </label>
          <div className="row end">
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={busy}>
              Save and send
            </button>
          </div>
        </form>
      ) : isUser ? (
        <div className="bubble user-text">{content}</div>
      ) : (
        <div className="bubble answer">
          {content ? (
            <Markdown text={content} sources={sources.length} onCite={cite} />
          ) : live ? (
            <p className="muted typing">Thinking…</p>
          ) : null}
          {message.status === 'error' && <p className="error" role="alert">{message.error ?? 'The answer failed.'}</p>}
          {stoppedAt !== undefined && (
            <p className="muted small-text">Stopped.</p>
          )}
        </div>
      )}
      {sources.length > 0 && !editing && (
        <div className="sources" aria-label="Sources">
          <span className="muted small-text">Sources:</span>
          {sources.map((source) => (
            <button type="button" key={source.passage_id} className="source-chip" onClick={() => onCite(source)}
              aria-label={`Open source ${source.index}: ${source.filename}${source.page ? `, page ${source.page}` : ''}`}>
              [{source.index}] {source.filename}
              {source.page ? ` · p. ${source.page}` : ''}
            </button>
          ))}
        </div>
      )}
      {!editing && !live && (
        <div className="message-actions">
          {siblings && siblings.count > 1 && (
            <span className="branches">
              <button type="button" className="icon-button small" aria-label="Previous version" disabled={!siblings.previous || busy}
                onClick={() => siblings.previous && onSelect?.(siblings.previous)}>
                <Icon name="left" />
              </button>
              <span className="branch-count" aria-label={`Version ${siblings.index + 1} of ${siblings.count}`}>
                {siblings.index + 1}/{siblings.count}
              </span>
              <button type="button" className="icon-button small" aria-label="Next version" disabled={!siblings.next || busy}
                onClick={() => siblings.next && onSelect?.(siblings.next)}>
                <Icon name="right" />
              </button>
            </span>
          )}
          <button type="button" className="icon-button small" aria-label="Copy message"
            onClick={() => void navigator.clipboard?.writeText(message.content).catch(() => undefined)}>
            <Icon name="copy" />
          </button>
          {isUser && onEdit && (
            <button type="button" className="icon-button small" aria-label="Edit message" disabled={busy}
              onClick={() => (setDraft(message.content), setEditing(true))}>
              <Icon name="edit" />
            </button>
          )}
          {!isUser && onRegenerate && (
            <button type="button" className="icon-button small" aria-label="Regenerate answer" disabled={busy} onClick={onRegenerate}>
              <Icon name="refresh" />
            </button>
          )}
        </div>
      )}
    </article>
  );
}
