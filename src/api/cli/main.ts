import 'reflect-metadata';
import { COMMANDS, usage } from './commands';

/** `gatehouse <command> [options]`; returns the process exit code. */
export const main = async (argv: readonly string[]): Promise<number> => {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return name === undefined ? 1 : 0;
  }
  // Own keys only: `gatehouse constructor` is an unknown command, not Object.prototype's.
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    process.stderr.write(`gatehouse: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  let loaded;
  try {
    loaded = await command.load();
  } catch (error) {
    // A broken install (a file of dist/ missing or damaged): which file, from the stack.
    process.stderr.write(`gatehouse: cannot load the ${name} command: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
  return loaded.run(rest);
};
