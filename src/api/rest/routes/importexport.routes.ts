import Router from '@koa/router';
import '@koa/bodyparser';
import type { Context } from 'koa';
import { Readable } from 'node:stream';
import { PROFILE_SLUG_PATTERN } from '../../../domain/shared/names';
import type { Application } from '../../../infrastructure/application';
import { exportEventLines, ImportRefusedError, isBackupDocument, parseImportDocument } from '../../../infrastructure/importexport';
import { queryBoolean, queryString } from '../http';
import { ProblemError } from '../problem';

const EXPORT_FORMATS = ['config', 'events'] as const;

/** Like validateBody: a query parameter this route does not read is an error, not ignored. */
const refuseUnknownQuery = (ctx: Context, known: readonly string[]): void => {
  const unknown = Object.keys(ctx.query).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new ProblemError(400, 'INVALID_QUERY', `Unknown query parameter ${unknown.join(', ')}; expected ${known.join(', ') || 'none'}`);
  }
};

const toProblem = (error: ImportRefusedError): ProblemError => new ProblemError(400, error.code, error.message, error.errors);

export const importExportRoutes = (app: Application): Router => {
  const router = new Router({ prefix: '/api' });

  /**
   * `{"mcpServers": {…}}` (plus an optional `gatehouse` section; other top-level fields are
   * skipped and named in `warnings`); `?profile=` attaches every server, creating the profile
   * when it does not exist, as the CLI does; `?dryRun=true` answers what the import would do
   * and appends nothing. A backup (`gatehouse export --with-secrets`) is refused: its passphrase
   * must not travel over HTTP, so backups are restored with the CLI only.
   */
  router.post('/import', async (ctx) => {
    refuseUnknownQuery(ctx, ['profile', 'dryRun']);
    if (isBackupDocument(ctx.request.body)) {
      throw new ProblemError(
        400,
        'BACKUP_NOT_ACCEPTED',
        'This is an encrypted backup (gatehouse export --with-secrets). Backups are restored on the command line only, so that the passphrase never travels over HTTP: run `gatehouse import <file>` with the passphrase in GATEHOUSE_BACKUP_PASSPHRASE. Nothing was imported.',
      );
    }
    const profile = queryString(ctx, 'profile', 63);
    if (profile !== undefined && !PROFILE_SLUG_PATTERN.test(profile)) {
      throw new ProblemError(400, 'INVALID_QUERY', `profile must be a profile slug (${PROFILE_SLUG_PATTERN.source})`);
    }
    const dryRun = queryBoolean(ctx, 'dryRun') ?? false;
    // Not commandContext(): If-Match pins one resource's version, and an import spans many.
    const context = { actor: (ctx.state.actor as string | undefined) ?? 'anonymous', correlationId: ctx.state.correlationId as string };
    try {
      const document = parseImportDocument(ctx.request.body);
      ctx.body = await app.commands.importDocument(document, { profile, dryRun }, context);
    } catch (error) {
      throw error instanceof ImportRefusedError ? toProblem(error) : error;
    }
  });

  /** `?format=config` (default): the document import reads; `?format=events`: the log as JSON lines. */
  router.get('/export', async (ctx) => {
    refuseUnknownQuery(ctx, ['format']);
    const format = queryString(ctx, 'format', 16) ?? 'config';
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
      throw new ProblemError(400, 'INVALID_QUERY', `format must be one of ${EXPORT_FORMATS.join(', ')}`);
    }
    if (format === 'events') {
      ctx.type = 'application/x-ndjson';
      ctx.body = Readable.from(exportEventLines(app.store));
      return;
    }
    ctx.body = await app.exports.config();
  });

  return router;
};
