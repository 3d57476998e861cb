// Knowledge bases: the list with a create form, and one base's files with their ingestion status,
// which follows `file.status` events on the WebSocket live (pending → processing → ready/failed).
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { files as fileApi, knowledge as knowledgeApi } from '../api/hearth';
import { messageOf } from '../api/client';
import { realtimeEvents, realtimeReopened } from '../api/realtime';
import type { DriveFile, Knowledge } from '../api/types';
import { ErrorText } from '../components/ErrorText';
import { Link } from '../components/Link';
import { navigate } from '../components/navigation';
import { Uploads } from '../components/Uploads';
import { formatBytes, formatTime } from '../lib/format';
import { TableHead } from '../components/TableHead';

export default function KnowledgeScreen({ knowledgeId }: { knowledgeId: string | null }) {
  return knowledgeId ? <KnowledgeDetail id={knowledgeId} /> : <KnowledgeList />;
}

function KnowledgeList() {
  const [list, setList] = useState<Knowledge[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [createError, setCreateError] = useState<string | null>(null);

  useEffect(() => {
    knowledgeApi.list().then(setList, (e: unknown) => setError(messageOf(e)));
  }, []);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setCreateError(null);
    try {
      const created = await knowledgeApi.create({ name: name.trim(), description: description.trim() });
      navigate(`/knowledge/${created.id}`);
    } catch (e) {
      setCreateError(messageOf(e));
    }
  };

  return (
    <section className="screen" aria-labelledby="knowledge-title">
      <h1 id="knowledge-title">Knowledge</h1>
      <form className="card form-grid" onSubmit={create} aria-label="New knowledge base">
        <h2>New knowledge base</h2>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          Description
          <input value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <ErrorText message={createError} />
        <button type="submit" className="primary">
          Create knowledge base
        </button>
      </form>
      <ErrorText message={error} />
      {list === null && !error && <p className="muted">Loading…</p>}
      {list?.length === 0 && <p className="muted">No knowledge bases yet. Create one, then add files to it.</p>}
      {list && list.length > 0 && (
        <ul className="card-list">
          {list.map((k) => (
            <li key={k.id} className="card">
              <Link to={`/knowledge/${k.id}`}>
                <strong>{k.name}</strong>
              </Link>
              {k.description && <p className="muted">{k.description}</p>}
              <p className="muted small-text">Updated {formatTime(k.updated_at)}</p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function KnowledgeDetail({ id }: { id: string }) {
  const [base, setBase] = useState<Knowledge | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [driveFiles, setDriveFiles] = useState<DriveFile[]>([]);
  const [chosen, setChosen] = useState('');

  const load = useCallback(() => {
    knowledgeApi.get(id).then(
      (k) => {
        setBase(k);
        setError(null);
      },
      (e: unknown) => setError(messageOf(e)),
    );
  }, [id]);

  useEffect(load, [load]);
  useEffect(() => {
    fileApi.list().then(setDriveFiles, () => undefined);
  }, []);

  useEffect(() => {
    const offEvents = realtimeEvents.subscribe((event) => {
      if (event.type !== 'file.status' || !event.knowledge_ids.includes(id)) return;
      setBase((current) =>
        current && {
          ...current,
          files: current.files?.map((f) =>
            f.id === event.file_id ? { ...f, status: event.status, passages: event.passages, error: event.error ?? null } : f,
          ),
        },
      );
      if (event.status === 'ready' || event.status === 'failed') load();
    });
    const offReopened = realtimeReopened.subscribe(load);
    return () => {
      offEvents();
      offReopened();
    };
  }, [id, load]);

  const add = async (fileIds: string[]) => {
    setActionError(null);
    try {
      setBase(await knowledgeApi.addFiles(id, fileIds));
    } catch (e) {
      setActionError(messageOf(e));
    }
  };

  const removeFile = async (fileId: string) => {
    try {
      setBase(await knowledgeApi.removeFile(id, fileId));
    } catch (e) {
      setActionError(messageOf(e));
    }
  };

  const removeBase = async () => {
    try {
      await knowledgeApi.remove(id);
      navigate('/knowledge');
    } catch (e) {
      setActionError(messageOf(e));
    }
  };

  if (error) {
    return (
      <section className="screen">
        <h1>Knowledge base</h1>
        <ErrorText message={error} />
        <Link to="/knowledge">All knowledge bases</Link>
      </section>
    );
  }
  if (!base) return <p className="screen muted" aria-busy="true">Loading…</p>;
  const inBase = new Set(base.files?.map((f) => f.id));
  const addable = driveFiles.filter((f) => !inBase.has(f.id));

  return (
    <section className="screen" aria-labelledby="kb-title">
      <p>
        <Link to="/knowledge">← All knowledge bases</Link>
      </p>
      <h1 id="kb-title">{base.name}</h1>
      {base.description && <p className="muted">{base.description}</p>}
      {base.write && (
        <div className="card toolbar">
          <Uploads label="Upload files" onUploaded={add} />
          {addable.length > 0 && (
            <form
              className="inline-form"
              onSubmit={(e) => {
                e.preventDefault();
                if (chosen) void add([chosen]);
              }}
            >
              <label>
                Add from drive
                <select value={chosen} onChange={(e) => setChosen(e.target.value)}>
                  <option value="">Choose a file</option>
                  {addable.map((f) => (
                    <option key={f.id} value={f.id}>
                      {f.filename}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit" disabled={!chosen}>
                Add
              </button>
            </form>
          )}
          <button type="button" className="danger" onClick={removeBase}>
            Delete knowledge base
          </button>
        </div>
      )}
      <ErrorText message={actionError} />
      {(base.files?.length ?? 0) === 0 ? (
        <p className="muted">No files yet. Upload files to index them for answers.</p>
      ) : (
        <table className="table" aria-label="Files">
          <TableHead columns={['File', 'Size', 'Status', 'Passages']} />
          <tbody>
            {base.files?.map((f) => (
              <tr key={f.id} data-file={f.filename}>
                <td>{f.filename}</td>
                <td>{formatBytes(f.size)}</td>
                <td>
                  <span className={`status status-${f.status}`} data-status={f.status}>
                    {f.status}
                  </span>
                  {f.error && <p className="error small-text">{f.error}</p>}
                </td>
                <td>{f.passages}</td>
                <td>
                  {base.write && (
                    <button type="button" className="small" aria-label={`Remove ${f.filename}`} onClick={() => void removeFile(f.id)}>
                      Remove
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
