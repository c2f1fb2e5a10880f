import { MIN_BACKUP_PASSPHRASE_LENGTH } from '../../infrastructure/crypto/backup-cipher';
import { UsageError } from './cli-support';

/** Where a backup's passphrase comes from: the environment, never an argument (argv is visible to every user in `ps`). */
export const BACKUP_PASSPHRASE_ENV = 'GATEHOUSE_BACKUP_PASSPHRASE';

const HOW = `set ${BACKUP_PASSPHRASE_ENV} (at least ${MIN_BACKUP_PASSPHRASE_LENGTH} characters; keep it apart from the backup: without it the secrets cannot be restored)`;

/** The passphrase that seals a new backup: given, and long enough. */
export const passphraseForExport = (): string => {
  const passphrase = process.env[BACKUP_PASSPHRASE_ENV];
  if (passphrase === undefined || passphrase === '') throw new UsageError(`--with-secrets needs a passphrase: ${HOW}`);
  if ([...passphrase].length < MIN_BACKUP_PASSPHRASE_LENGTH) {
    throw new UsageError(`${BACKUP_PASSPHRASE_ENV} has fewer than ${MIN_BACKUP_PASSPHRASE_LENGTH} characters; choose a longer passphrase`);
  }
  return passphrase;
};

/** The passphrase that opens a backup: whatever it is, the backup's verifier says whether it is the right one. */
export const passphraseForImport = (file: string): string => {
  const passphrase = process.env[BACKUP_PASSPHRASE_ENV];
  if (passphrase === undefined || passphrase === '') {
    throw new UsageError(`"${file}" is an encrypted backup (gatehouse export --with-secrets): give its passphrase in ${BACKUP_PASSPHRASE_ENV}`);
  }
  return passphrase;
};
