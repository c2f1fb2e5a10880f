/**
 * Column types of the PostgreSQL migrations. Text compares byte by byte (`COLLATE "C"`), as
 * SQLite's does: ids and names sort the same on both backends, and prefix ranges
 * (`stream_id >= 'profile-' AND < 'profile-\uffff'`) hold whatever the database's locale is.
 */
export const TEXT = 'TEXT COLLATE "C"';

/** Advisory lock keys (pg_advisory_xact_lock): the writer of the event log, and of the traffic journal. */
export const EVENT_LOG_LOCK = 7300_0001;
export const TRAFFIC_JOURNAL_LOCK = 7300_0002;
/** Held shared by every serving instance, exclusively by `rebuild` and `migrate-store` (see postgres-serving.ts). */
export const SERVING_LOCK = 7300_0003;
/** Held by the process applying migrations (see applyPostgresMigrations): the others wait, then find them applied. */
export const MIGRATIONS_LOCK = 7300_0004;
