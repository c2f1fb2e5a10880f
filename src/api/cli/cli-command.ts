/** One `gatehouse <command>`: its one-line summary and what it runs (resolving to the exit code). */
export type CliCommand = Readonly<{
  summary: string;
  run: (argv: readonly string[]) => Promise<number>;
}>;
