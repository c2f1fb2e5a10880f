export { importDocument, type ImportOptions, type ImportResult } from './apply';
export { ImportRefusedError, MAX_BACKUP_BYTES, MAX_DOCUMENT_BYTES, type EntryError, type ImportDocument } from './document';
export { BACKUP_FORMAT, exportBackup, isBackupDocument, openBackup, type BackupDocument } from './backup';
export { exportConfig, exportEventLines, type ConfigDocument } from './export';
export { parseImportDocument, parseImportText, readJsonText } from './parse';
export type { ProfileAction, ProfileOutcome, ServerAction, ServerOutcome } from './outcome';
