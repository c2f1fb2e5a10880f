import { filter } from 'rxjs';
import type { GatehouseContext } from '../../infrastructure/commands/context';

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach. */
export const isLoopbackHost = (host: string): boolean => {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare) || /^::ffff:127(\.\d{1,3}){3}$/.test(bare);
};

/** Slugs of active profiles that need no API key (`auth.apiKey: false`). */
export const openProfileSlugs = (context: GatehouseContext): string[] =>
  context.sql
    .all<{ slug: string }>(`SELECT slug FROM profiles WHERE status = 'active' AND auth_api_key = 0 ORDER BY slug`)
    .map(({ slug }) => slug);

export type ExposureWarn = (message: string, fields: Record<string, unknown>) => void;

/**
 * Warns when the server listens beyond loopback while some profile is open to anyone who can
 * reach the port: at start, and again whenever a profile change (through this process) opens
 * one more. Returns the function that stops watching.
 */
export const watchExposure = (context: GatehouseContext, host: string, warn: ExposureWarn): (() => void) => {
  if (isLoopbackHost(host)) return () => undefined;
  const warned = new Set<string>();
  const check = (): void => {
    const fresh = openProfileSlugs(context).filter((slug) => !warned.has(slug));
    if (fresh.length === 0) return;
    for (const slug of fresh) warned.add(slug);
    warn('profiles without API key are reachable from the network', {
      host,
      profiles: fresh,
      hint: 'set auth.apiKey to true on them, or bind to 127.0.0.1 (GATEHOUSE_HOST)',
    });
  };
  check();
  const subscription = context.store.committed$
    .pipe(filter((event) => event.streamId.startsWith('profile-')))
    .subscribe(() => check());
  return () => subscription.unsubscribe();
};
