/** One `gatehouse <command>`: what it runs (resolving to the exit code); its summary is in the registry (commands.ts). */
export type CliCommand = Readonly<{
  run: (argv: readonly string[]) => Promise<number>;
}>;
