/**
 * The gateway under benchmark, as its own process: what `gatehouse serve` runs (loadConfig from
 * the environment, startGatehouse), plus a small IPC hook for the benchmark that forks it:
 *
 *   { id, type: 'memory' }            → forces GC (the process runs with --expose-gc) and reports
 *                                        process.memoryUsage() and the live session count
 *   { id, type: 'pids', serverIds }   → the stdio upstream processes it started, so the
 *                                        benchmark can make sure none outlives it
 *   { id, type: 'snapshot', path }     → writes a heap snapshot there (for finding what a session holds)
 *   { id, type: 'profile-start', intervalUs }
 *                                      → starts V8's CPU profiler, sampling every intervalUs
 *   { id, type: 'profile-stop', path } → stops it and writes the profile there (.cpuprofile JSON):
 *                                        unlike --cpu-prof, only the part of the run asked for
 *   { id, type: 'close' }             → closes the gateway (upstream processes included) and exits
 *
 * On start it sends { type: 'listening', url }.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { writeHeapSnapshot } from 'node:v8';
import { startGatehouse, type RunningGatehouse } from '../../src/api/gatehouse';
import { loadConfig } from '../../src/infrastructure/config/config';

type Request =
  | { id: number; type: 'memory' }
  | { id: number; type: 'snapshot'; path: string }
  | { id: number; type: 'profile-start'; intervalUs: number }
  | { id: number; type: 'profile-stop'; path: string }
  | { id: number; type: 'pids'; serverIds: string[] }
  | { id: number; type: 'close' };

const reply = (id: number, body: object): void => {
  process.send?.({ id, ...body });
};

const forceGc = (): void => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  // Twice: the first pass can leave weakly held and finalisable objects for the second.
  gc();
  gc();
};

/** One inspector session in this process, for the CPU profiler (started lazily, on the first profile-start). */
let inspector: Session | undefined;

const post = <T = unknown>(method: string, params: object = {}): Promise<T> =>
  new Promise((resolve, reject) => {
    inspector ??= (() => {
      const session = new Session();
      session.connect();
      return session;
    })();
    inspector.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T)));
  });

const startProfile = async (intervalUs: number): Promise<void> => {
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: intervalUs });
  await post('Profiler.start');
};

const stopProfile = async (path: string): Promise<string> => {
  const { profile } = await post<{ profile: object }>('Profiler.stop');
  writeFileSync(path, JSON.stringify(profile));
  return path;
};

const main = async (): Promise<void> => {
  if (!process.send) throw new Error('gateway-child must be started with an IPC channel (child_process.fork)');
  const gatehouse: RunningGatehouse = await startGatehouse({ config: loadConfig() });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= gatehouse.close());

  process.on('message', (message: Request) => {
    switch (message.type) {
      case 'memory': {
        forceGc();
        const usage = process.memoryUsage();
        reply(message.id, { ...usage, sessions: gatehouse.gateway.sessions.size });
        return;
      }
      case 'snapshot':
        forceGc();
        reply(message.id, { path: writeHeapSnapshot(message.path) });
        return;
      case 'profile-start':
        void startProfile(message.intervalUs).then(
          () => reply(message.id, { started: true }),
          (error: unknown) => reply(message.id, { error: String(error) }),
        );
        return;
      case 'profile-stop':
        void stopProfile(message.path).then(
          (path) => reply(message.id, { path }),
          (error: unknown) => reply(message.id, { error: String(error) }),
        );
        return;
      case 'pids':
        reply(message.id, { pids: message.serverIds.flatMap((serverId) => gatehouse.gateway.pool.livePids(serverId)) });
        return;
      case 'close':
        void close().then(
          () => {
            reply(message.id, { closed: true });
            process.disconnect?.();
            process.exit(0);
          },
          (error: unknown) => {
            reply(message.id, { error: String(error) });
            process.exit(1);
          },
        );
        return;
    }
  });
  // The benchmark going away (even by SIGKILL) closes the IPC channel: never outlive it.
  process.on('disconnect', () => void close().finally(() => process.exit(0)));
  process.once('SIGTERM', () => void close().finally(() => process.exit(0)));
  process.send({ type: 'listening', url: gatehouse.url });
};

main().catch((error: unknown) => {
  process.stderr.write(`gateway-child: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
