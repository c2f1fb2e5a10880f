import type { ReactNode } from 'react';

/**
 * Screens the issue asks for that the console does not have yet. The nav does not link them; a
 * deep link to one says so and names what does the job today, instead of pretending.
 */
export const NOT_BUILT: Readonly<Record<string, { title: string; alternative: ReactNode }>> = {
  import: {
    title: 'Import / export',
    alternative: (
      <>
        <code>gatehouse import &lt;file&gt; [--dry-run]</code> and <code>gatehouse export</code>; or REST:{' '}
        <code>POST /api/import?dryRun=true</code>, <code>POST /api/import</code>, <code>GET /api/export</code>.
      </>
    ),
  },
};

export const NotBuilt = ({ screen }: { screen: string }) => {
  const missing = NOT_BUILT[screen];
  return (
    <section aria-labelledby="not-built">
      <h1 id="not-built">{missing.title}</h1>
      <p>This screen is not built yet.</p>
      <p>Use the command line or the REST API instead: {missing.alternative}</p>
    </section>
  );
};
