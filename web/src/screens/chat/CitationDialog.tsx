// The cited passage of an answer: which file, page and heading it comes from, and its text.
import type { Source } from '../../api/types';
import { Dialog } from '../../components/Dialog';

export function CitationDialog({ source, onClose }: { source: Source | null; onClose(): void }) {
  return (
    <Dialog open={source !== null} title={source ? `Source ${source.index}: ${source.filename}` : ''} onClose={onClose} className="citation">
      {source && (
        <>
          <p className="muted">
            {source.page ? `Page ${source.page}` : null}
            {source.page && source.heading ? ' · ' : null}
            {source.heading ?? null}
            {!source.page && !source.heading ? 'Passage' : null}
          </p>
          <blockquote className="passage">{source.text}</blockquote>
        </>
      )}
    </Dialog>
  );
}
