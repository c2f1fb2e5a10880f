/**
 * `GATEHOUSE_CORS_ORIGINS` as a list of exact origins (`https://app.example`). Wildcards are
 * not supported on purpose: every route needs a credential, and `*` would let any page that
 * got hold of one use it from a browser.
 */
export const parseCorsOrigins = (text: string | undefined): string[] => {
  if (text === undefined || text.trim() === '') return [];
  return text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '').map((entry) => {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new Error(`GATEHOUSE_CORS_ORIGINS: "${entry}" is not an origin like https://app.example`);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== entry.replace(/\/$/, '')) {
      throw new Error(`GATEHOUSE_CORS_ORIGINS: "${entry}" is not an origin like https://app.example (scheme, host and port only)`);
    }
    return url.origin;
  });
};
