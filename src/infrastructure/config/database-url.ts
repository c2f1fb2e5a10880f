/** A PostgreSQL URL as it may be printed or logged: without its password. */
export const redactDatabaseUrl = (url: string): string => {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) if (/pass/i.test(key)) parsed.searchParams.set(key, '***');
    return parsed.toString();
  } catch {
    return 'postgres://(a URL that does not parse)';
  }
};

/** Where the configuration lives, as it may be printed: the SQLite file or the redacted PostgreSQL URL. */
export const databaseLocation = (config: Readonly<{ database: string; databaseUrl: string | null }>): string =>
  config.databaseUrl === null ? config.database : redactDatabaseUrl(config.databaseUrl);
