// The admin area: tabs for users, connections, models and settings.
import type { AdminTab } from '../../lib/routes';
import { Link } from '../../components/Link';
import { UsersTab } from './UsersTab';
import { ConnectionsTab } from './ConnectionsTab';
import { ModelsTab } from './ModelsTab';
import { SettingsTab } from './SettingsTab';

const TABS: { tab: AdminTab; label: string }[] = [
  { tab: 'users', label: 'Users' },
  { tab: 'connections', label: 'Connections' },
  { tab: 'models', label: 'Models' },
  { tab: 'settings', label: 'Settings' },
];

export default function AdminScreen({ tab }: { tab: AdminTab }) {
  return (
    <section className="screen" aria-labelledby="admin-title">
      <h1 id="admin-title">Admin</h1>
      <nav className="tabs" aria-label="Admin sections">
        {TABS.map((t) => (
          <Link key={t.tab} to={`/admin/${t.tab}`} className="tab">
            {t.label}
          </Link>
        ))}
      </nav>
      {tab === 'users' && <UsersTab />}
      {tab === 'connections' && <ConnectionsTab />}
      {tab === 'models' && <ModelsTab />}
      {tab === 'settings' && <SettingsTab />}
    </section>
  );
}
