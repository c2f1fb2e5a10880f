/**
 * The gateway under benchmark, as its own process: what `gatehouse serve` runs (loadConfig from
 * the environment, startGatehouse), plus a small IPC hook for the benchmark that forks it:
 *
 *   { id, type: 'memory' }            → forces GC (the process runs with --expose-gc) and reports
 *                                        process.memoryUsage() and the live session count
 *   { id, type: 'pids', serverIds }   → the stdio upstream processes it started, so the
 *                                        benchmark can make sure none outlives it
 *   { id, type: 'snapshot', path }     → writes a heap snapshot there (for finding what a session holds)
 *   { id, type: 'close' }             → closes the gateway (upstream processes included) and exits
 *
 * On start it sends { type: 'listening', url }.
 */
import 'reflect-metadata';
import { writeHeapSnapshot } from 'node:v8';
import { startGatehouse, type RunningGatehouse } from '../../src/api/gatehouse';
import { loadConfig } from '../../src/infrastructure/config/config';

type Request = { id: number; type: 'memory' } | { id: number; type: 'snapshot'; path: string } | { id: number; type: 'pids'; serverIds: string[] } | { id: number; type: 'close' };

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
