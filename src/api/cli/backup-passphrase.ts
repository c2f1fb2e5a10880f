import { MIN_BACKUP_PASSPHRASE_LENGTH } from '../../infrastructure/crypto/backup-cipher';
import { UsageError } from './cli-support';

/** Where a backup's passphrase comes from: the environment or the terminal, never an argument (argv is visible to every user in `ps`). */
export const BACKUP_PASSPHRASE_ENV = 'GATEHOUSE_BACKUP_PASSPHRASE';

const HOW = `set ${BACKUP_PASSPHRASE_ENV} (at least ${MIN_BACKUP_PASSPHRASE_LENGTH} characters; keep it apart from the backup: without it the secrets cannot be restored)`;

const fromEnv = (): string | undefined => {
  const passphrase = process.env[BACKUP_PASSPHRASE_ENV];
  return passphrase === undefined || passphrase === '' ? undefined : passphrase;
};

/** Only a person at a terminal can be asked; a script must use the environment. */
const canAsk = (): boolean => process.stdin.isTTY === true && process.stderr.isTTY === true;

/** One line from the terminal, not echoed. Ctrl-C gives up. */
const readHidden = (prompt: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const input = process.stdin;
    let value = '';
    const finish = (error?: Error): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string): void => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new Error('cancelled: no passphrase was given'));
        if (char === '\u007f' || char === '\b') value = [...value].slice(0, -1).join('');
        else if (char >= ' ') value += char;
      }
    };
    // Echo off before the prompt shows: whatever is typed after it is never on the screen.
    input.setRawMode(true);
    input.setEncoding('utf8');
    process.stderr.write(prompt);
    input.resume();
    input.on('data', onData);
  });

/** The passphrase that seals a new backup: from the environment or asked twice, and long enough. */
export const passphraseForExport = async (): Promise<string> => {
  let passphrase = fromEnv();
  if (passphrase === undefined && canAsk()) {
    passphrase = await readHidden('Backup passphrase: ');
    if ((await readHidden('The same again: ')) !== passphrase) throw new UsageError('the two passphrases differ; nothing was exported');
  }
  if (passphrase === undefined || passphrase === '') throw new UsageError(`--with-secrets needs a passphrase: ${HOW}`);
  if ([...passphrase].length < MIN_BACKUP_PASSPHRASE_LENGTH) {
    throw new UsageError(`the passphrase has fewer than ${MIN_BACKUP_PASSPHRASE_LENGTH} characters; choose a longer one`);
  }
  return passphrase;
};

/**
 * The passphrase that opens a backup; whatever it is, the backup's verifier says whether it is
 * the right one. Not asked when the backup itself comes from stdin.
 */
export const passphraseForImport = async (file: string): Promise<string> => {
  const passphrase = fromEnv() ?? (file !== '-' && canAsk() ? await readHidden('Backup passphrase: ') : undefined);
  if (passphrase === undefined || passphrase === '') {
    throw new UsageError(`"${file}" is an encrypted backup (gatehouse export --with-secrets): give its passphrase in ${BACKUP_PASSPHRASE_ENV}`);
  }
  return passphrase;
};
