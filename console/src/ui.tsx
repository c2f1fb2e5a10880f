import { useId, useState, type ReactNode } from 'react';
import { ApiError } from './api';
import type { Runtime, UpstreamFailure } from './types';

/** An API failure as the user should read it: the problem's `detail`, never HTML. */
export const ErrorNote = ({ error }: { error: unknown }) => {
  if (!error) return null;
  const message = error instanceof ApiError ? error.message : error instanceof Error ? error.message : String(error);
  return (
    <p className="error" role="alert">
      {message}
    </p>
  );
};

export const Field = ({ label, error, children, hint }: { label: string; error?: string; children: ReactNode; hint?: string }) => (
  <label className="field">
    <span className="label">{label}</span>
    {children}
    {hint ? <span className="hint">{hint}</span> : null}
    {error ? <span className="field-error" role="alert">{error}</span> : null}
  </label>
);

export const CopyButton = ({ text, label = 'Copy' }: { text: string; label?: string }) => {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(
          () => setCopied(true),
          () => setCopied(false),
        );
        setTimeout(() => setCopied(false), 1500);
      }}
    >
      {copied ? 'Copied' : label}
    </button>
  );
};

export const Status = ({ value }: { value: string }) => <span className={`status status-${value.replace(/[^a-z_]/gi, '')}`}>{value}</span>;

export const Loading = () => <p role="status">Loading…</p>;

/** A moment as the reader's locale writes it; `null` as nothing. */
export const when = (iso: string | null): string => (iso ? new Date(iso).toLocaleString() : '');

/** The upstream's failure if it is the present state; one it has recovered from is history. */
export const currentFailure = (runtime: Runtime | undefined): UpstreamFailure | null =>
  runtime?.lastError && runtime.lastError.recoveredAt === null ? runtime.lastError : null;

export type Column<T> = Readonly<{
  header: string;
  /** The header is for screen readers only (a column of row actions). */
  headerHidden?: boolean;
  cell: (row: T) => ReactNode;
}>;

/**
 * A table of records as the admin API lists them: loading and failure notes, one row per record
 * with its `data-*` attributes (what the browser tests find rows by), and a line when there are none.
 */
export const RecordTable = <T,>({
  label,
  columns,
  rows,
  loading,
  error,
  rowKey,
  rowAttributes,
  empty,
}: {
  label: string;
  columns: readonly Column<T>[];
  rows: readonly T[] | undefined;
  loading: boolean;
  error: unknown;
  rowKey: (row: T) => string;
  rowAttributes?: (row: T) => Record<`data-${string}`, string>;
  empty: string;
}) => (
  <>
    {loading ? <Loading /> : null}
    <ErrorNote error={error} />
    {rows ? (
      <table aria-label={label}>
        <thead>
          <tr>
            {columns.map((column) => (
              <th scope="col" key={column.header}>
                {column.headerHidden ? <span className="skip">{column.header}</span> : column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} className="muted">
                {empty}
              </td>
            </tr>
          ) : null}
          {rows.map((row) => (
            <tr key={rowKey(row)} {...rowAttributes?.(row)}>
              {columns.map((column) => (
                <td key={column.header}>{column.cell(row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    ) : null}
  </>
);

/**
 * Asks before an action that cannot simply be taken back: what will happen (children), the API's
 * failure if the action was refused, and the action beside Cancel.
 */
export const ConfirmDialog = ({
  title,
  action,
  danger = false,
  wide = false,
  disabled = false,
  error,
  onConfirm,
  onCancel,
  children,
}: {
  title: string;
  action: string;
  danger?: boolean;
  wide?: boolean;
  disabled?: boolean;
  error: unknown;
  onConfirm: () => void;
  onCancel: () => void;
  children: ReactNode;
}) => {
  const titleId = useId();
  return (
    <div className={wide ? 'panel wide' : 'panel'} role="dialog" aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      {children}
      <ErrorNote error={error} />
      <div className="actions">
        <button type="button" className={danger ? 'danger' : 'primary'} disabled={disabled} onClick={onConfirm}>
          {action}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
};
