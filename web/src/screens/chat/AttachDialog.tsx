// Choosing what an answer may draw on: knowledge bases and files of the drive. Files attached on
// their own are queued for indexing at once, so they are searchable when the question is sent.
import { useEffect, useState } from 'react';
import { files as fileApi, knowledge as knowledgeApi } from '../../api/hearth';
import { messageOf } from '../../api/client';
import type { Attachment, DriveFile, Knowledge } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { ErrorText } from '../../components/ErrorText';

interface AttachDialogProps {
  open: boolean;
  selected: Attachment[];
  onClose(): void;
  onChange(selected: Attachment[]): void;
}

export function AttachDialog({ open, selected, onClose, onChange }: AttachDialogProps) {
  const [bases, setBases] = useState<Knowledge[] | null>(null);
  const [driveFiles, setDriveFiles] = useState<DriveFile[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!open) return;
    Promise.all([knowledgeApi.list(), fileApi.list()])
      .then(([k, f]) => {
        setBases(k);
        setDriveFiles(f);
      })
      .catch((e: unknown) => setError(messageOf(e)));
  }, [open]);

  const isOn = (type: Attachment['type'], id: string) => selected.some((a) => a.type === type && a.id === id);
  const toggle = (attachment: Attachment) => {
    if (isOn(attachment.type, attachment.id)) {
      onChange(selected.filter((a) => !(a.type === attachment.type && a.id === attachment.id)));
      return;
    }
    onChange([...selected, attachment]);
    if (attachment.type === 'file') fileApi.process(attachment.id).catch((e: unknown) => setError(messageOf(e)));
  };

  return (
    <Dialog open={open} title="Attach knowledge or files" onClose={onClose}>
      <ErrorText message={error} />
      <fieldset>
        <legend>Knowledge bases</legend>
        {bases === null && !error && <p className="muted">Loading…</p>}
        {bases?.length === 0 && <p className="muted">No knowledge bases yet.</p>}
        {bases?.map((base) => (
          <label key={base.id} className="check">
            <input type="checkbox" checked={isOn('collection', base.id)}
              onChange={() => toggle({ type: 'collection', id: base.id, name: base.name })} />
            {base.name}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Files</legend>
        {driveFiles?.length === 0 && <p className="muted">The drive is empty.</p>}
        {driveFiles?.map((file) => (
          <label key={file.id} className="check">
            <input type="checkbox" checked={isOn('file', file.id)}
              onChange={() => toggle({ type: 'file', id: file.id, name: file.filename })} />
            {file.filename}
          </label>
        ))}
      </fieldset>
      <div className="row end">
        <button type="button" className="primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  );
}
