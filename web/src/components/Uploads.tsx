// Uploading files with a progress bar each: a file picker (a real labelled input) and the list of
// uploads in flight or finished, with their errors.
import { useRef, useState } from 'react';
import { uploadFile } from '../api/upload';
import { formatBytes, percent } from '../lib/format';
import { messageOf } from '../api/client';
import { Icon } from './Icon';

interface UploadItem {
  key: number;
  name: string;
  sent: number;
  total: number;
  state: 'uploading' | 'done' | 'failed';
  error?: string;
}

let nextKey = 1;

export function Uploads({ label, onUploaded }: { label: string; onUploaded(fileIds: string[]): Promise<void> | void }) {
  const [items, setItems] = useState<UploadItem[]>([]);
  const input = useRef<HTMLInputElement>(null);

  const update = (key: number, change: Partial<UploadItem>) =>
    setItems((list) => list.map((item) => (item.key === key ? { ...item, ...change } : item)));

  const start = async (fileList: FileList | null) => {
    const chosen = Array.from(fileList ?? []);
    if (input.current) input.current.value = '';
    const started = chosen.map((file) => {
      const key = nextKey++;
      setItems((list) => [...list, { key, name: file.name, sent: 0, total: file.size, state: 'uploading' }]);
      const handle = uploadFile(file, (sent, total) => update(key, { sent, total }));
      return handle.promise.then(
        (id) => {
          update(key, { state: 'done', sent: file.size });
          return id;
        },
        (error: unknown) => {
          update(key, { state: 'failed', error: messageOf(error) });
          return null;
        },
      );
    });
    const ids = (await Promise.all(started)).filter((id): id is string => id !== null);
    if (ids.length > 0) await onUploaded(ids);
  };

  return (
    <div className="uploads">
      <label className="button file-button">
        {label}
        <input ref={input} type="file" multiple className="visually-hidden" onChange={(e) => void start(e.target.files)} />
      </label>
      {items.length > 0 && (
        <ul className="upload-list" aria-label="Uploads">
          {items.map((item) => {
            const pct = item.state === 'done' ? 100 : percent(item.sent, item.total);
            return (
              <li key={item.key} className="upload" data-state={item.state}>
                <span className="upload-name">{item.name}</span>
                <progress max={100} value={pct} aria-label={`Upload of ${item.name}`} />
                <span className="upload-state">
                  {item.state === 'done'
                    ? 'Uploaded'
                    : item.state === 'failed'
                      ? 'Failed'
                      : `${pct}% of ${formatBytes(item.total)}`}
                </span>
                {item.error && (
                  <p className="error" role="alert">
                    {item.error}
                  </p>
                )}
                {item.state !== 'uploading' && (
                  <button type="button" className="icon-button small" aria-label={`Dismiss ${item.name}`}
                    onClick={() => setItems((list) => list.filter((x) => x.key !== item.key))}>
                    <Icon name="close" size={14} />
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
