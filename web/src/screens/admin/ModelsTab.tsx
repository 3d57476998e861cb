// Admin → models: every model of every connection, with its display name, whether it is hidden, and
// who may use it (everyone, or the users and groups on its access list).
import { useCallback, useEffect, useState } from 'react';
import { models as modelApi, users as userApi } from '../../api/hearth';
import { messageOf } from '../../api/client';
import type { AdminModel, Group, User } from '../../api/types';
import { ErrorText } from '../../components/ErrorText';

export function ModelsTab() {
  const [list, setList] = useState<AdminModel[] | null>(null);
  const [people, setPeople] = useState<User[]>([]);
  const [groups, setGroups] = useState<Group[]>([]);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    modelApi.adminList().then(
      (r) => {
        setList(r.models);
        setError(null);
      },
      (e: unknown) => setError(messageOf(e)),
    );
  }, []);
  useEffect(load, [load]);
  useEffect(() => {
    userApi.list().then((r) => setPeople(r.users), () => undefined);
    userApi.groups().then(setGroups, () => undefined);
  }, []);

  const refresh = async () => {
    try {
      setList((await modelApi.refresh()).models);
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <div>
      <div className="row space">
        <h2>Models</h2>
        <button type="button" onClick={() => void refresh()}>
          Refresh models
        </button>
      </div>
      <ErrorText message={error} />
      {list === null && !error && <p className="muted">Loading…</p>}
      {list?.length === 0 && <p className="muted">No models: add a connection first.</p>}
      {list && list.length > 0 && (
        <ul className="card-list">
          {list.map((m) => (
            <ModelCard key={m.id} model={m} people={people} groups={groups} onSaved={load} />
          ))}
        </ul>
      )}
    </div>
  );
}

function ModelCard({ model, people, groups, onSaved }: { model: AdminModel; people: User[]; groups: Group[]; onSaved(): void }) {
  const settings = model.settings;
  const [displayName, setDisplayName] = useState(settings?.display_name ?? '');
  const [hidden, setHidden] = useState(settings?.hidden ?? false);
  const [restricted, setRestricted] = useState(!!settings?.access);
  const [userIds, setUserIds] = useState<string[]>(settings?.access?.user_ids ?? []);
  const [groupIds, setGroupIds] = useState<string[]>(settings?.access?.group_ids ?? []);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  const save = async () => {
    setError(null);
    setSaved(false);
    try {
      await modelApi.saveSettings({
        ...settings,
        model_id: model.id,
        display_name: displayName.trim() || null,
        hidden,
        access: restricted ? { user_ids: userIds, group_ids: groupIds } : null,
      });
      setSaved(true);
      onSaved();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  const toggle = (list: string[], id: string) => (list.includes(id) ? list.filter((x) => x !== id) : [...list, id]);

  return (
    <li className="card" data-model={model.id}>
      <div className="row space">
        <div>
          <strong>{model.id}</strong>
          <p className="muted small-text">
            {model.connection_name} · upstream id {model.upstream_id}
          </p>
        </div>
      </div>
      <div className="form-grid">
        <label>
          Display name
          <input value={displayName} onChange={(e) => setDisplayName(e.target.value)} placeholder={model.id} />
        </label>
        <label className="check">
          <input type="checkbox" checked={hidden} onChange={(e) => setHidden(e.target.checked)} />
          Hidden from users
        </label>
        <label className="check">
          <input type="checkbox" checked={restricted} onChange={(e) => setRestricted(e.target.checked)} />
          Only some users and groups may use it
        </label>
        {restricted && (
          <fieldset>
            <legend>Access</legend>
            {people.map((p) => (
              <label key={p.id} className="check">
                <input type="checkbox" checked={userIds.includes(p.id)} onChange={() => setUserIds((l) => toggle(l, p.id))} />
                {p.name} ({p.email})
              </label>
            ))}
            {groups.map((g) => (
              <label key={g.id} className="check">
                <input type="checkbox" checked={groupIds.includes(g.id)} onChange={() => setGroupIds((l) => toggle(l, g.id))} />
                Group {g.name}
              </label>
            ))}
          </fieldset>
        )}
      </div>
      <ErrorText message={error} />
      <div className="row">
        <button type="button" onClick={() => void save()} aria-label={`Save ${model.id}`}>
          Save
        </button>
        {saved && <span role="status">Saved</span>}
      </div>
    </li>
  );
}
