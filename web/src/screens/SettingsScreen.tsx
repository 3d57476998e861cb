// Personal settings: the colour theme, the password, and API keys (the new key is shown once).
import { useEffect, useState, type FormEvent } from 'react';
import { auth } from '../api/hearth';
import { messageOf } from '../api/client';
import type { ApiKey, CreatedApiKey } from '../api/types';
import { ErrorText } from '../components/ErrorText';
import { setThemeChoice, themeChoice, type ThemeChoice } from '../components/theme';
import { useSession } from '../components/session';
import { formatTime } from '../lib/format';
import { TableHead } from '../components/TableHead';

export default function SettingsScreen() {
  const { user } = useSession();
  return (
    <section className="screen" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <p className="muted">
        Signed in as {user.name} ({user.email}), {user.role}.
      </p>
      <ThemeSection />
      <PasswordSection />
      <ApiKeysSection />
    </section>
  );
}

function ThemeSection() {
  const [choice, setChoice] = useState<ThemeChoice>(themeChoice());
  const choose = (next: ThemeChoice) => {
    setChoice(next);
    setThemeChoice(next);
  };
  return (
    <fieldset className="card">
      <legend>Theme</legend>
      {(['light', 'dark', 'system'] as const).map((option) => (
        <label key={option} className="check">
          <input type="radio" name="theme" value={option} checked={choice === option} onChange={() => choose(option)} />
          {option === 'system' ? 'System' : option === 'light' ? 'Light' : 'Dark'}
        </label>
      ))}
    </fieldset>
  );
}

function PasswordSection() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setDone(null);
    try {
      const result = await auth.changePassword({ password: current, new_password: next });
      setCurrent('');
      setNext('');
      setDone(`Password changed. ${result.revoked_sessions} other session(s) signed out.`);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <form className="card form-grid" onSubmit={submit} aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      <label>
        Current password
        <input type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required />
      </label>
      <label>
        New password
        <input type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} required />
      </label>
      <ErrorText message={error} />
      {done && <p role="status">{done}</p>}
      <button type="submit">Change password</button>
    </form>
  );
}

function ApiKeysSection() {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => auth.apiKeys().then(setKeys, (e: unknown) => setError(messageOf(e)));
  useEffect(() => {
    void load();
  }, []);
  const create = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      setCreated(await auth.createApiKey(name.trim() || 'API key'));
      setName('');
      await load();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const remove = async (id: string) => {
    try {
      await auth.deleteApiKey(id);
      await load();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <section className="card" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <p className="muted">Use a key as <code>Authorization: Bearer sk-hearth-…</code> with OpenAI-compatible clients.</p>
      <form className="inline-form" onSubmit={create}>
        <label>
          Key name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. laptop" />
        </label>
        <button type="submit">Create API key</button>
      </form>
      <ErrorText message={error} />
      {created && (
        <div className="notice" role="status">
          <p>
            New key “{created.name}” — copy it now, it is not shown again:
          </p>
          <code className="secret" data-testid="new-api-key">{created.api_key}</code>
          <button type="button" className="small" onClick={() => void navigator.clipboard?.writeText(created.api_key).catch(() => undefined)}>
            Copy key
          </button>
        </div>
      )}
      {keys?.length === 0 && <p className="muted">No API keys.</p>}
      {keys && keys.length > 0 && (
        <table className="table" aria-label="API keys">
          <TableHead columns={['Name', 'Key', 'Created', 'Last used']} />
          <tbody>
            {keys.map((key) => (
              <tr key={key.id}>
                <td>{key.name}</td>
                <td>
                  <code>{key.prefix}…</code>
                </td>
                <td>{formatTime(key.created_at)}</td>
                <td>{key.last_used_at ? formatTime(key.last_used_at) : 'never'}</td>
                <td>
                  <button type="button" className="small danger" aria-label={`Delete key ${key.name}`} onClick={() => void remove(key.id)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
