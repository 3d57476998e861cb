// Admin → settings: RAG, limits, accounts and models settings from /api/v1/configs, edited by kind;
// those fixed by the environment are shown read-only with a lock.
import { useEffect, useState, type FormEvent } from 'react';
import { configs } from '../../api/hearth';
import { messageOf } from '../../api/client';
import type { Setting } from '../../api/types';
import { ErrorText } from '../../components/ErrorText';
import { changedSettings, toFormText } from '../../lib/settings';
import { Icon } from '../../components/Icon';

const GROUPS: Record<string, string> = { accounts: 'Accounts', models: 'Models', rag: 'Retrieval (RAG)', limits: 'Limits' };

export function SettingsTab() {
  const [settings, setSettings] = useState<Setting[] | null>(null);
  const [edits, setEdits] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);

  const show = (list: Setting[]) => {
    setSettings(list);
    setEdits(Object.fromEntries(list.map((s) => [s.name, toFormText(s)])));
  };
  useEffect(() => {
    configs.list().then(show, (e: unknown) => setError(messageOf(e)));
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!settings) return;
    setSaved(false);
    setError(null);
    const { patch, errors } = changedSettings(settings, edits);
    setFieldErrors(errors);
    if (Object.keys(errors).length > 0 || Object.keys(patch).length === 0) return;
    try {
      show(await configs.update(patch));
      setSaved(true);
    } catch (e) {
      setError(messageOf(e));
    }
  };

  if (!settings) {
    return (
      <div>
        <h2>Settings</h2>
        <ErrorText message={error} />
        {!error && <p className="muted">Loading…</p>}
      </div>
    );
  }
  const groups = [...new Set(settings.map((s) => s.group))];
  return (
    <form onSubmit={submit}>
      <h2>Settings</h2>
      {groups.map((group) => (
        <fieldset key={group} className="card settings-group">
          <legend>{GROUPS[group] ?? group}</legend>
          {settings
            .filter((s) => s.group === group)
            .map((s) => (
              <SettingField key={s.name} setting={s} text={edits[s.name] ?? ''} error={fieldErrors[s.name]}
                onChange={(text) => setEdits((e) => ({ ...e, [s.name]: text }))} />
            ))}
        </fieldset>
      ))}
      <ErrorText message={error} />
      <div className="row">
        <button type="submit" className="primary">
          Save settings
        </button>
        {saved && <span role="status">Saved</span>}
      </div>
    </form>
  );
}

interface FieldProps {
  setting: Setting;
  text: string;
  error?: string;
  onChange(text: string): void;
}

function SettingField({ setting, text, error, onChange }: FieldProps) {
  const id = `setting-${setting.name}`;
  const describedBy = `${id}-help`;
  let control;
  if (setting.kind === 'boolean') {
    control = (
      <input id={id} type="checkbox" checked={text === 'true'} disabled={setting.locked} aria-describedby={describedBy}
        onChange={(e) => onChange(String(e.target.checked))} />
    );
  } else if (setting.kind === 'choice') {
    control = (
      <select id={id} value={text} disabled={setting.locked} aria-describedby={describedBy} onChange={(e) => onChange(e.target.value)}>
        {(setting.choices ?? []).map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    );
  } else if (setting.kind === 'list') {
    control = (
      <textarea id={id} rows={3} value={text} readOnly={setting.locked} aria-describedby={describedBy} onChange={(e) => onChange(e.target.value)} />
    );
  } else {
    control = (
      <input id={id} inputMode={setting.kind === 'integer' ? 'numeric' : setting.kind === 'number' ? 'decimal' : undefined} value={text} readOnly={setting.locked}
        aria-describedby={describedBy} onChange={(e) => onChange(e.target.value)} />
    );
  }
  return (
    <div className={`setting${setting.locked ? ' locked' : ''}`} data-setting={setting.name}>
      <label htmlFor={id}>
        <code>{setting.name}</code>
        {setting.locked && <span className="lock">
            <Icon name="lock" size={14} /> set by the environment
          </span>}
      </label>
      {control}
      <p id={describedBy} className="muted small-text">
        {setting.description}
        {setting.kind === 'list' ? ' One per line.' : ''}
        {setting.default !== null && setting.default !== undefined ? ` Default: ${JSON.stringify(setting.default)}.` : ''}
      </p>
      <ErrorText message={error} />
    </div>
  );
}
