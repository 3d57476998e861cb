// The drive: the user's files with size and date, resumable uploads with progress (tus), rename,
// download (fetched with the token, then saved from a blob) and delete, and the storage used.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { files as fileApi } from '../api/hearth';
import { messageOf } from '../api/client';
import type { DriveFile, Usage } from '../api/types';
import { Dialog } from '../components/Dialog';
import { ErrorText } from '../components/ErrorText';
import { Uploads } from '../components/Uploads';
import { formatBytes, formatTime, percent } from '../lib/format';
import { Icon } from '../components/Icon';
import { TableHead } from '../components/TableHead';

export default function DriveScreen() {
  const [list, setList] = useState<DriveFile[] | null>(null);
  const [usage, setUsage] = useState<Usage | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    Promise.all([fileApi.list(), fileApi.usage()]).then(
      ([files, used]) => {
        setList(files);
        setUsage(used);
        setError(null);
      },
      (e: unknown) => setError(messageOf(e)),
    );
  }, []);
  useEffect(load, [load]);

  return (
    <section className="screen" aria-labelledby="drive-title">
      <h1 id="drive-title">Drive</h1>
      <div className="card toolbar">
        <Uploads label="Upload files" onUploaded={load} />
        {usage && (
          <p className="muted usage">
            {formatBytes(usage.used_bytes)} used
            {usage.quota_bytes ? ` of ${formatBytes(usage.quota_bytes)} (${percent(usage.used_bytes, usage.quota_bytes)}%)` : ''}
          </p>
        )}
      </div>
      <ErrorText message={error} />
      {list === null && !error && <p className="muted">Loading…</p>}
      {list?.length === 0 && <p className="muted">No files yet. Upload some to keep them here and use them in chats.</p>}
      {list && list.length > 0 && (
        <table className="table" aria-label="Files">
          <TableHead columns={['Name', 'Size', 'Added']} />
          <tbody>
            {list.map((file) => (
              <FileRow key={file.id} file={file} onChanged={load} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function FileRow({ file, onChanged }: { file: DriveFile; onChanged(): void }) {
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(file.filename);
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const rename = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await fileApi.rename(file.id, name.trim());
      setRenaming(false);
      setError(null);
      onChanged();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  const download = async () => {
    try {
      const blob = await fileApi.content(file.id);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = file.filename;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError(messageOf(e));
    }
  };

  const remove = async () => {
    setConfirm(false);
    try {
      await fileApi.remove(file.id);
      onChanged();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <tr data-file={file.filename}>
      <td>
        {renaming ? (
          <form className="inline-form" onSubmit={rename}>
            <label>
              <span className="visually-hidden">New name for {file.filename}</span>
              <input autoFocus value={name} onChange={(e) => setName(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && setRenaming(false)} />
            </label>
            <button type="submit" className="small">
              Save
            </button>
          </form>
        ) : (
          <span className="file-name">
            <Icon name="file" /> {file.filename}
          </span>
        )}
        <ErrorText message={error} />
      </td>
      <td>{formatBytes(file.meta.size)}</td>
      <td>{formatTime(file.created_at)}</td>
      <td className="actions">
        <button type="button" className="small" aria-label={`Download ${file.filename}`} onClick={() => void download()}>
          Download
        </button>
        <button type="button" className="small" aria-label={`Rename ${file.filename}`} onClick={() => (setName(file.filename), setRenaming(true))}>
          Rename
        </button>
        <button type="button" className="small danger" aria-label={`Delete ${file.filename}`} onClick={() => setConfirm(true)}>
          Delete
        </button>
        <Dialog open={confirm} title="Delete file?" onClose={() => setConfirm(false)}>
          <p>“{file.filename}” will be deleted from the drive.</p>
          <div className="row end">
            <button type="button" onClick={() => setConfirm(false)}>
              Cancel
            </button>
            <button type="button" className="danger" onClick={() => void remove()}>
              Delete
            </button>
          </div>
        </Dialog>
      </td>
    </tr>
  );
}
