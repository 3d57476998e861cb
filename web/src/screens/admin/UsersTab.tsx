// Admin → users: every account with its role; pending accounts first, with an Approve button.
import { useCallback, useEffect, useState } from 'react';
import { users as userApi } from '../../api/hearth';
import { messageOf } from '../../api/client';
import type { Role, User } from '../../api/types';
import { ErrorText } from '../../components/ErrorText';
import { Dialog } from '../../components/Dialog';
import { useSession } from '../../components/session';
import { formatTime } from '../../lib/format';
import { TableHead } from '../../components/TableHead';

export function UsersTab() {
  const { user: me } = useSession();
  const [list, setList] = useState<User[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [rowError, setRowError] = useState<{ id: string; message: string } | null>(null);
  const [deleting, setDeleting] = useState<User | null>(null);

  const load = useCallback(() => {
    userApi.list().then(
      (page) => {
        setList(page.users);
        setError(null);
      },
      (e: unknown) => setError(messageOf(e)),
    );
  }, []);
  useEffect(load, [load]);

  const change = async (user: User, role: Role) => {
    setRowError(null);
    try {
      await userApi.update(user.id, { role });
      load();
    } catch (e) {
      setRowError({ id: user.id, message: messageOf(e) });
    }
  };

  const remove = async (user: User) => {
    setDeleting(null);
    try {
      await userApi.remove(user.id);
      load();
    } catch (e) {
      setRowError({ id: user.id, message: messageOf(e) });
    }
  };

  const sorted = list ? [...list].sort((a, b) => Number(b.role === 'pending') - Number(a.role === 'pending')) : null;
  const pendingCount = list?.filter((u) => u.role === 'pending').length ?? 0;

  return (
    <div>
      <h2>Users</h2>
      {pendingCount > 0 && <p className="notice">{pendingCount} account(s) waiting for approval.</p>}
      <ErrorText message={error} />
      {sorted === null && !error && <p className="muted">Loading…</p>}
      {sorted && (
        <table className="table" aria-label="Users">
          <TableHead columns={['Name', 'Email', 'Role', 'Joined']} />
          <tbody>
            {sorted.map((u) => (
              <tr key={u.id} data-email={u.email} className={u.role === 'pending' ? 'pending-row' : undefined}>
                <td>{u.name}</td>
                <td>{u.email}</td>
                <td>
                  <label>
                    <span className="visually-hidden">Role of {u.email}</span>
                    <select value={u.role} disabled={u.id === me.id} onChange={(e) => void change(u, e.target.value as Role)}>
                      <option value="pending">pending</option>
                      <option value="user">user</option>
                      <option value="admin">admin</option>
                    </select>
                  </label>
                  {rowError?.id === u.id && <ErrorText message={rowError.message} />}
                </td>
                <td>{formatTime(u.created_at)}</td>
                <td className="actions">
                  {u.role === 'pending' && (
                    <button type="button" className="small primary" aria-label={`Approve ${u.email}`} onClick={() => void change(u, 'user')}>
                      Approve
                    </button>
                  )}
                  {u.id !== me.id && (
                    <button type="button" className="small danger" aria-label={`Delete ${u.email}`} onClick={() => setDeleting(u)}>
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Dialog open={deleting !== null} title="Delete account?" onClose={() => setDeleting(null)}>
        <p>{deleting?.email} will be deleted with their sessions and API keys.</p>
        <div className="row end">
          <button type="button" onClick={() => setDeleting(null)}>
            Cancel
          </button>
          <button type="button" className="danger" onClick={() => deleting && void remove(deleting)}>
            Delete
          </button>
        </div>
      </Dialog>
    </div>
  );
}
