import pino, { type DestinationStream, type Logger } from 'pino';
import { ConfigError } from '../config/config';
import { Redactor } from './redaction';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export type LoggerOptions = Readonly<{
  /** GATEHOUSE_LOG_LEVEL. */
  level: string;
  /** Where JSON lines go; stdout when absent. */
  destination?: DestinationStream;
  /** The secrets to hide, read at every log call (they change when servers are reconfigured). */
  redactor?: () => Redactor;
}>;

const NO_SECRETS = new Redactor();

/** GATEHOUSE_LOG_LEVEL, lower-cased; a ConfigError for anything pino does not know. */
export const assertLogLevel = (text: string): (typeof LOG_LEVELS)[number] => {
  const level = LOG_LEVELS.find((known) => known === text.toLowerCase());
  if (level === undefined) throw new ConfigError(`GATEHOUSE_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${text}"`);
  return level;
};

/** Errors become plain objects first: a redactor copies own enumerable fields, which an Error's message and stack are not. */
const serializeErrors = (object: Record<string, unknown>): Record<string, unknown> => {
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) plain[key] = value instanceof Error ? pino.stdSerializers.err(value) : value;
  return plain;
};

/**
 * The process's structured log: JSON lines (pino), ISO times, level names. Every field and
 * every message passes through the redactor, so neither a sensitive key (password, token,
 * authorization, …) nor any configured secret value is ever written, whoever logs what.
 */
export const createLogger = (options: LoggerOptions): Logger => {
  const level = assertLogLevel(options.level);
  const redactor = options.redactor ?? ((): Redactor => NO_SECRETS);
  return pino(
    {
      level,
      name: 'gatehouse',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactor().redact(serializeErrors(object)) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const cleaned: unknown[] = args.map((arg: unknown) => (typeof arg === 'string' ? redactor().redactText(arg) : arg));
          // Without a message pino uses the error's own message, unredacted: give it the redacted one.
          const error = cleaned[0] instanceof Error ? cleaned[0] : (cleaned[0] as { err?: unknown } | null)?.err;
          if (error instanceof Error && typeof cleaned[1] !== 'string') cleaned.splice(1, 0, redactor().redactText(error.message));
          method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? stdoutDestination(),
  );
};

/** Synchronous stdout: a line logged just before the process exits is not lost. */
export const stdoutDestination = (): DestinationStream => pino.destination({ dest: 1, sync: true });

/** A logger that writes nothing (library use and tests that do not look at logs). */
export const silentLogger = (): Logger => pino({ level: 'silent' });
