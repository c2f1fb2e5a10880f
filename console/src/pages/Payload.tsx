/** The marker the gateway's redactor leaves where a secret was (src/infrastructure/telemetry/redaction.ts). */
export const REDACTED = '[REDACTED]';

/**
 * A logged payload as text (never HTML), with every redacted place marked so that a reader can
 * tell "the secret was removed here" from the payload's own text. A truncated payload is the
 * stored JSON prefix, shown as it is.
 */
export const Payload = ({ title, value, truncated }: { title: string; value: unknown; truncated: boolean }) => {
  const text = value === null || value === undefined ? '' : typeof value === 'string' && truncated ? value : JSON.stringify(value, null, 2);
  const parts = text.split(REDACTED);
  const redactions = parts.length - 1;
  return (
    <figure className="payload" aria-label={title}>
      <figcaption>
        <strong>{title}</strong>
        {redactions > 0 ? <span className="muted"> · {redactions} redacted</span> : null}
        {truncated ? <span className="muted"> · truncated</span> : null}
      </figcaption>
      {text === '' ? (
        <p className="muted">none</p>
      ) : (
        <pre>
          {parts.map((part, index) => (
            <span key={index}>
              {part}
              {index < redactions ? (
                <mark className="redacted" title="Removed by the gateway before it was logged">
                  {REDACTED}
                </mark>
              ) : null}
            </span>
          ))}
        </pre>
      )}
    </figure>
  );
};
