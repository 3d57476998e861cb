// The signed-in session as React context: the account, the server's public config and sign-out.
import { createContext, useContext } from 'react';
import type { AppConfig, User } from '../api/types';

export interface SessionValue {
  user: User;
  config: AppConfig;
  signOut(): void;
}

export const SessionContext = createContext<SessionValue | null>(null);

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside a signed-in session');
  return value;
}
