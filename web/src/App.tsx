// The app: loads the server's config and the signed-in account, shows the auth screens until there
// is an active account, then the shell (sidebar + the screen the URL names). Screens other than chat
// load on demand.
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { auth } from './api/hearth';
import { getToken, messageOf, setToken, signedOut } from './api/client';
import { connectRealtime } from './api/realtime';
import type { AppConfig, User } from './api/types';
import { matchRoute } from './lib/routes';
import { navigate, usePathname } from './components/navigation';
import { SessionContext, type SessionValue } from './components/session';
import { Sidebar } from './components/Sidebar';
import { AuthScreen, PendingScreen } from './screens/AuthScreen';
import { ChatScreen } from './screens/chat/ChatScreen';
import { ErrorText } from './components/ErrorText';
import { Icon } from './components/Icon';

const KnowledgeScreen = lazy(() => import('./screens/KnowledgeScreen'));
const DriveScreen = lazy(() => import('./screens/DriveScreen'));
const SettingsScreen = lazy(() => import('./screens/SettingsScreen'));
const AdminScreen = lazy(() => import('./screens/admin/AdminScreen'));

const FALLBACK_CONFIG: AppConfig = { name: 'Hearth', version: '', onboarding: false, features: { enable_signup: true } };

export function App() {
  const [config, setConfig] = useState<AppConfig | null>(null);
  const [user, setUser] = useState<User | null | undefined>(getToken() ? undefined : null);
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    auth
      .config()
      .then(setConfig)
      .catch(() => setConfig(FALLBACK_CONFIG));
  }, []);

  const loadUser = useCallback(() => {
    if (!getToken()) {
      setUser(null);
      return;
    }
    auth
      .me()
      .then((me) => {
        setUser(me);
        setLoadError(null);
      })
      .catch((error: unknown) => {
        if (!getToken()) setUser(null);
        else setLoadError(messageOf(error));
      });
  }, []);

  useEffect(loadUser, [loadUser]);

  useEffect(
    () =>
      signedOut.subscribe(() => {
        setToken(null);
        setUser(null);
      }),
    [],
  );

  useEffect(() => {
    connectRealtime(user && user.role !== 'pending' ? getToken() : null);
  }, [user]);

  const signOut = useCallback(() => {
    connectRealtime(null);
    void (async () => {
      // The sign-in screen depends on the config (onboarding is over): read it while still signed in.
      const next = await auth.config().catch(() => FALLBACK_CONFIG);
      await auth.signOut().catch(() => undefined);
      setToken(null);
      setConfig(next);
      setUser(null);
      navigate('/');
    })();
  }, []);

  const signedIn = useCallback(
    (token: string) => {
      setToken(token);
      setUser(undefined);
      loadUser();
    },
    [loadUser],
  );

  const session = useMemo<SessionValue | null>(
    () => (user && config ? { user, config, signOut } : null),
    [user, config, signOut],
  );

  if (loadError) {
    return (
      <main className="centered">
        <ErrorText message={`Cannot reach Hearth: ${loadError}`} />
        <button type="button" onClick={loadUser}>
          Try again
        </button>
      </main>
    );
  }
  if (!config || user === undefined) return <main className="centered" aria-busy="true">Loading…</main>;
  if (!user) return <AuthScreen key={String(config.onboarding)} config={config} onSignedIn={signedIn} />;
  if (user.role === 'pending') return <PendingScreen user={user} onCheck={loadUser} onSignOut={signOut} />;
  return (
    <SessionContext.Provider value={session}>
      <Shell user={user} />
    </SessionContext.Provider>
  );
}

function Shell({ user }: { user: User }) {
  const pathname = usePathname();
  const route = matchRoute(pathname);
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [pathname]);
  useEffect(() => {
    if (menuOpen) document.querySelector<HTMLElement>('#sidebar a, #sidebar button')?.focus();
  }, [menuOpen]);
  useEffect(() => {
    if (!menuOpen) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && !document.querySelector('dialog[open]')) {
        setMenuOpen(false);
        document.querySelector<HTMLElement>('.menu-button')?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [menuOpen]);

  let screen;
  switch (route.screen) {
    case 'chat':
      screen = <ChatScreen chatId={route.chatId} />;
      break;
    case 'knowledge':
      screen = <KnowledgeScreen knowledgeId={route.knowledgeId} />;
      break;
    case 'drive':
      screen = <DriveScreen />;
      break;
    case 'settings':
      screen = <SettingsScreen />;
      break;
    case 'admin':
      screen =
        user.role === 'admin' ? (
          <AdminScreen tab={route.tab} />
        ) : (
          <section className="screen">
            <h1>Admin</h1>
            <p>Only administrators can open this page.</p>
          </section>
        );
      break;
    default:
      screen = (
        <section className="screen">
          <h1>Not found</h1>
          <p>There is no page at this address.</p>
        </section>
      );
  }

  return (
    <div className={`shell${menuOpen ? ' menu-open' : ''}`}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="icon-button menu-button"
          aria-label={menuOpen ? 'Close menu' : 'Open menu'}
          aria-expanded={menuOpen}
          aria-controls="sidebar"
          onClick={() => setMenuOpen((open) => !open)}
        >
          <Icon name={menuOpen ? 'close' : 'menu'} size={20} />
        </button>
        <span className="brand">
          <Icon name="flame" /> Hearth
        </span>
      </header>
      <Sidebar id="sidebar" />
      {menuOpen && <div className="scrim" onClick={() => setMenuOpen(false)} aria-hidden="true" />}
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p className="screen" aria-busy="true">Loading…</p>}>{screen}</Suspense>
      </main>
    </div>
  );
}
