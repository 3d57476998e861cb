// Signing up and in: the first visit of a fresh Hearth shows the administrator's sign-up; later
// visits show sign-in (with sign-up when allowed). Pending accounts see that they await approval.
import { useState, type FormEvent } from 'react';
import { auth } from '../api/hearth';
import { messageOf } from '../api/client';
import type { AppConfig, User } from '../api/types';
import { ErrorText } from '../components/ErrorText';
import { Icon } from '../components/Icon';

interface AuthScreenProps {
  config: AppConfig;
  onSignedIn(token: string): void;
}

export function AuthScreen({ config, onSignedIn }: AuthScreenProps) {
  const [mode, setMode] = useState<'signin' | 'signup'>(config.onboarding ? 'signup' : 'signin');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const signup = config.onboarding || mode === 'signup';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = signup ? await auth.signUp({ name, email, password }) : await auth.signIn({ email, password });
      onSignedIn(session.token);
    } catch (e) {
      setError(messageOf(e));
      setBusy(false);
    }
  };

  const title = config.onboarding ? 'Create the administrator account' : signup ? 'Create an account' : 'Sign in';
  return (
    <main className="auth">
      <form className="card auth-card" onSubmit={submit} aria-labelledby="auth-title">
        <p className="brand-large">
          <Icon name="flame" size={22} /> {config.name}
        </p>
        <h1 id="auth-title">{title}</h1>
        {config.onboarding && (
          <p className="muted">This Hearth has no accounts yet. The first account becomes its administrator.</p>
        )}
        {signup && (
          <label>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} autoComplete="name" required />
          </label>
        )}
        <label>
          Email
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="email" required />
        </label>
        <label>
          Password
          <input
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete={signup ? 'new-password' : 'current-password'}
            required
          />
        </label>
        <ErrorText message={error} />
        <button type="submit" className="primary" disabled={busy}>
          {signup ? 'Create account' : 'Sign in'}
        </button>
        {!config.onboarding && (signup || config.features.enable_signup) && (
          <p className="muted">
            {signup ? 'Already have an account? ' : 'No account yet? '}
            <button
              type="button"
              className="link-button"
              onClick={() => {
                setMode(signup ? 'signin' : 'signup');
                setError(null);
              }}
            >
              {signup ? 'Sign in' : 'Create an account'}
            </button>
          </p>
        )}
      </form>
    </main>
  );
}

interface PendingScreenProps {
  user: User;
  onCheck(): void;
  onSignOut(): void;
}

export function PendingScreen({ user, onCheck, onSignOut }: PendingScreenProps) {
  return (
    <main className="auth">
      <section className="card auth-card" aria-labelledby="pending-title">
        <p className="brand-large">
          <Icon name="flame" size={22} /> Hearth
        </p>
        <h1 id="pending-title">Pending approval</h1>
        <p>
          Your account <strong>{user.email}</strong> is waiting for an administrator to approve it. You can use Hearth
          once they have.
        </p>
        <div className="row">
          <button type="button" onClick={onCheck}>
            Check again
          </button>
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </section>
    </main>
  );
}
