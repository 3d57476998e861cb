// Admin → connections: the model servers Hearth talks to, their health, a verify button, adding,
// enabling/disabling and removing. Connections set by the environment are locked.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { connections as connectionApi } from '../../api/hearth';
import { messageOf } from '../../api/client';
import type { Connection, Health } from '../../api/types';
import { ErrorText } from '../../components/ErrorText';
import { Icon } from '../../components/Icon';

export function ConnectionsTab() {
  const [list, setList] = useState<Connection[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    connectionApi.list().then(
      (c) => {
        setList(c);
        setError(null);
      },
      (e: unknown) => setError(messageOf(e)),
    );
  }, []);
  useEffect(load, [load]);

  return (
    <div>
      <h2>Connections</h2>
      <ErrorText message={error} />
      {list === null && !error && <p className="muted">Loading…</p>}
      {list?.length === 0 && <p className="muted">No connections yet. Add an OpenAI-compatible or Ollama server below.</p>}
      {list && list.length > 0 && (
        <ul className="card-list">
          {list.map((c) => (
            <ConnectionCard key={c.id} connection={c} onChanged={load} />
          ))}
        </ul>
      )}
      <NewConnectionForm onCreated={load} />
    </div>
  );
}

function healthText(health: Health | null | undefined): string {
  if (!health) return 'Not checked yet';
  return health.ok ? `Verified: ${health.models} model${health.models === 1 ? '' : 's'}` : `Unreachable: ${health.detail ?? 'no answer'}`;
}

function ConnectionCard({ connection, onChanged }: { connection: Connection; onChanged(): void }) {
  const [health, setHealth] = useState<Health | null | undefined>(connection.health);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setHealth(connection.health), [connection.health]);

  const verify = async () => {
    setBusy(true);
    setError(null);
    try {
      setHealth(await connectionApi.verify(connection.id));
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const act = async (change: () => Promise<unknown>) => {
    setError(null);
    try {
      await change();
      onChanged();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <li className="card connection" data-connection={connection.name}>
      <div className="row space">
        <div>
          <strong>{connection.name}</strong> <span className="muted">({connection.kind})</span>
          {connection.locked && (
            <span className="lock">
              {' '}
              <Icon name="lock" size={14} /> set by the environment
            </span>
          )}
          <p className="muted small-text">{connection.base_url}</p>
        </div>
        <p className={`health ${health?.ok ? 'ok' : health ? 'bad' : ''}`} role="status" data-health={health ? (health.ok ? 'ok' : 'bad') : 'unknown'}>
          {busy ? 'Verifying…' : healthText(health)}
        </p>
      </div>
      <div className="row">
        <button type="button" onClick={() => void verify()} disabled={busy} aria-label={`Verify ${connection.name}`}>
          Verify
        </button>
        {!connection.locked && (
          <>
            <label className="check">
              <input type="checkbox" checked={connection.enabled}
                onChange={(e) => void act(() => connectionApi.update(connection.id, { enabled: e.target.checked }))} />
              Enabled
            </label>
            <button type="button" className="danger" aria-label={`Remove ${connection.name}`}
              onClick={() => void act(() => connectionApi.remove(connection.id))}>
              Remove
            </button>
          </>
        )}
      </div>
      <ErrorText message={error} />
    </li>
  );
}

function NewConnectionForm({ onCreated }: { onCreated(): void }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'openai' | 'ollama'>('openai');
  const [baseUrl, setBaseUrl] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await connectionApi.create({ name: name.trim(), kind, base_url: baseUrl.trim(), api_key: apiKey || null });
      setName('');
      setBaseUrl('');
      setApiKey('');
      onCreated();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <form className="card form-grid" onSubmit={submit} aria-labelledby="new-connection-title">
      <h3 id="new-connection-title">Add a connection</h3>
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} required />
      </label>
      <label>
        Kind
        <select value={kind} onChange={(e) => setKind(e.target.value as 'openai' | 'ollama')}>
          <option value="openai">OpenAI-compatible</option>
          <option value="ollama">Ollama</option>
        </select>
      </label>
      <label>
        Base URL
        <input type="url" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} placeholder="http://localhost:11434/v1" required />
      </label>
      <label>
        API key (optional)
        <input type="password" value={apiKey} onChange={(e) => setApiKey(e.target.value)} autoComplete="off" />
      </label>
      <ErrorText message={error} />
      <button type="submit" className="primary">
        Add connection
      </button>
    </form>
  );
}
