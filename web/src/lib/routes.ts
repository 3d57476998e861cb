// The app's screens as URL paths, matched without a router library.

export type Route =
  | { screen: 'chat'; chatId: string | null }
  | { screen: 'knowledge'; knowledgeId: string | null }
  | { screen: 'drive' }
  | { screen: 'settings' }
  | { screen: 'admin'; tab: AdminTab }
  | { screen: 'not-found' };

export const ADMIN_TABS = ['users', 'connections', 'models', 'settings'] as const;
export type AdminTab = (typeof ADMIN_TABS)[number];

function isAdminTab(tab: string): tab is AdminTab {
  return (ADMIN_TABS as readonly string[]).includes(tab);
}

export function matchRoute(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [first, second, ...rest] = parts;
  if (rest.length > 0) return { screen: 'not-found' };
  if (first === undefined) return { screen: 'chat', chatId: null };
  if (first === 'c' && second) return { screen: 'chat', chatId: second };
  if (first === 'knowledge') return { screen: 'knowledge', knowledgeId: second ?? null };
  if (first === 'drive' && !second) return { screen: 'drive' };
  if (first === 'settings' && !second) return { screen: 'settings' };
  if (first === 'admin') {
    const tab = second ?? 'users';
    return isAdminTab(tab) ? { screen: 'admin', tab } : { screen: 'not-found' };
  }
  return { screen: 'not-found' };
}
