import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { csrf, get, onUnauthorized, send, token } from './api';
import { followEvents } from './events';
import { Link, navigate, useLocation } from './router';
import { SignIn } from './pages/SignIn';
import { Servers } from './pages/Servers';
import { ServerDetail } from './pages/ServerDetail';
import { ProfileDetail } from './pages/ProfileDetail';
import { Profiles } from './pages/Profiles';
import { History } from './pages/History';
import { Keys } from './pages/Keys';
import { Traffic } from './pages/Traffic';
import { ImportExport } from './pages/ImportExport';
import { Users } from './pages/Users';
import { managesConfiguration, seesUsers, useMe } from './me';
import type { Me } from './types';

/** The screens the signed-in person may use; history, traffic, import and users are for owners and admins (the API refuses members). */
const navFor = (me: Me | undefined): ReadonlyArray<[string, string]> => {
  const manages = managesConfiguration(me);
  return [
    ['/servers', 'Servers'],
    ['/profiles', 'Profiles'],
    ...(manages ? [['/history', 'History'] as [string, string]] : []),
    ['/keys', 'Keys'],
    ...(manages ? ([['/traffic', 'Traffic'], ['/import', 'Import / export']] as [string, string][]) : []),
    ...(seesUsers(me) ? [['/users', 'Users'] as [string, string]] : []),
  ];
};

/** The screens a member is not offered (the API refuses it what they show), reached by a link anyway. */
const ADMIN_SCREENS: Readonly<Record<string, string>> = { history: 'History', traffic: 'Live traffic', import: 'Import and export' };

/** Which screen a path shows; unknown paths say so instead of showing a blank page. */
const screenFor = (path: string, me: Me | undefined): ReactNode => {
  const [, first, second] = path.split('/').map(decodeURIComponent);
  if (me !== undefined && !managesConfiguration(me) && ADMIN_SCREENS[first] !== undefined) {
    return (
      <section aria-labelledby="screen-title">
        <h1 id="screen-title">{ADMIN_SCREENS[first]}</h1>
        <p>Only owners and admins see this screen.</p>
      </section>
    );
  }
  switch (first) {
    case '':
    case 'servers':
      return second ? <ServerDetail name={second} /> : <Servers />;
    case 'profiles':
      return second ? <ProfileDetail slug={second} /> : <Profiles />;
    case 'history':
      return <History />;
    case 'import':
      return <ImportExport />;
    case 'traffic':
      return <Traffic />;
    case 'keys':
      return <Keys />;
    case 'users':
      return <Users />;
    default:
      return <p>This console has no page at {path}.</p>;
  }
};

export const App = () => {
  const location = useLocation();
  const client = useQueryClient();
  // With the admin token: signed in. Otherwise a session cookie may still be there: GET /api/me says.
  const [signedIn, setSignedIn] = useState<boolean | null>(token.get() !== null ? true : null);
  const [live, setLive] = useState(false);
  const me = useMe(signedIn === true);
  useEffect(() => {
    if (signedIn !== null) return;
    get<{ kind: string; csrfToken?: string }>('/api/me').then(
      (me) => {
        if (me.csrfToken) csrf.set(me.csrfToken);
        setSignedIn(true);
      },
      () => setSignedIn(false),
    );
  }, [signedIn]);
  const signOut = async () => {
    if (token.get() === null) await send('DELETE', '/api/session').catch(() => undefined);
    token.clear();
    csrf.clear();
    client.clear();
    setSignedIn(false);
  };

  useEffect(
    () =>
      onUnauthorized(() => {
        token.clear();
        csrf.clear();
        client.clear();
        setSignedIn(false);
      }),
    [client],
  );
  useEffect(() => {
    if (signedIn !== true) return undefined;
    setLive(true);
    const stop = followEvents(client);
    return () => {
      stop();
      setLive(false);
    };
  }, [signedIn, client]);

  useEffect(() => {
    if (signedIn === false && location.pathname !== '/signin') navigate(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`, true);
  }, [signedIn, location.pathname, location.search]);

  if (signedIn === null) return <p role="status">Loading…</p>;
  if (!signedIn || location.pathname === '/signin') {
    return (
      <SignIn
        onSignedIn={() => {
          setSignedIn(true);
          const next = new URL(location.href).searchParams.get('next');
          navigate(next && next.startsWith('/') && !next.startsWith('//') && next !== '/signin' ? next : '/servers', true);
        }}
      />
    );
  }

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header>
        <span className="brand">Gatehouse</span>
        <nav aria-label="Main">
          {navFor(me.data).map(([href, label]) => (
            <Link key={href} href={href} aria-current={location.pathname.startsWith(href) ? 'page' : undefined}>
              {label}
            </Link>
          ))}
        </nav>
        <span className="live" title="Changes made elsewhere appear here without a reload">
          {live ? 'live' : ''}
        </span>
        <button
          type="button"
          onClick={() => void signOut()}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {screenFor(location.pathname, me.data)}
      </main>
    </div>
  );
};
