import { filter, type Observable } from 'rxjs';
import type { StoredEvent } from '../../infrastructure/eventstore';
import { errorMessage } from '../../domain/shared';

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach. */
export const isLoopbackHost = (host: string): boolean => {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare) || /^::ffff:127(\.\d{1,3}){3}$/.test(bare);
};

export type ExposureWarn = (message: string, fields: Record<string, unknown>) => void;

export type ExposureSources = Readonly<{
  /** Slugs of active profiles that need no API key (`auth.apiKey: false`). */
  openSlugs: () => Promise<string[]>;
  /** Committed configuration events. */
  events$: Observable<StoredEvent>;
}>;

/**
 * Warns when the server listens beyond loopback while some profile is open to anyone who can
 * reach the port: at start, and again whenever a profile change opens one more. Returns the
 * function that stops watching.
 */
export const watchExposure = (sources: ExposureSources, host: string, warn: ExposureWarn): (() => void) => {
  if (isLoopbackHost(host)) return () => undefined;
  const warned = new Set<string>();
  const check = async (): Promise<void> => {
    const fresh = (await sources.openSlugs()).filter((slug) => !warned.has(slug));
    if (fresh.length === 0) return;
    for (const slug of fresh) warned.add(slug);
    warn('profiles without API key are reachable from the network', {
      host,
      profiles: fresh,
      hint: 'set auth.apiKey to true on them, or bind to 127.0.0.1 (GATEHOUSE_HOST)',
    });
  };
  const failed = (error: unknown): void => warn('could not check which profiles are open', { error: errorMessage(error) });
  void check().catch(failed);
  const subscription = sources.events$
    .pipe(filter((event) => event.streamId.startsWith('profile-')))
    .subscribe(() => void check().catch(failed));
  return () => subscription.unsubscribe();
};
