/**
 * The environment an upstream stdio process starts with: a handful of variables a program
 * needs to find executables, its home and a temp dir, plus what the server's configuration
 * sets. Nothing else of the gateway's own environment is inherited, in particular none of
 * the GATEHOUSE_* variables (the secret key, the admin token) and no cloud credentials.
 */
const INHERITED_POSIX = ['PATH', 'HOME', 'USER', 'LANG', 'TMPDIR'] as const;
// Windows programs also need SystemRoot (many DLLs fail to load without it) and TEMP/TMP.
const INHERITED_WINDOWS = ['PATH', 'HOME', 'USER', 'LANG', 'TEMP', 'TMP', 'SystemRoot'] as const;

export const inheritedVariableNames = (platform: NodeJS.Platform = process.platform): readonly string[] =>
  platform === 'win32' ? INHERITED_WINDOWS : INHERITED_POSIX;

export const buildChildEnvironment = (
  configured: Readonly<Record<string, string>>,
  parent: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const name of inheritedVariableNames(platform)) {
    const value = parent[name];
    // A value starting with "()" is an exported shell function (Shellshock-style); never pass it on.
    if (value !== undefined && !value.startsWith('()')) env[name] = value;
  }
  return { ...env, ...configured };
};
