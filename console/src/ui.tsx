import { useState, type ReactNode } from 'react';
import { ApiError } from './api';

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
