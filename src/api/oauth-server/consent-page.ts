/** The login and consent page of Gatehouse's authorization server: plain HTML, no script. */

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

export type ConsentPage = Readonly<{
  uid: string;
  clientName: string;
  /** The client's metadata document when it named itself by one (Client ID Metadata Documents): where its name comes from. */
  clientDocument?: string;
  redirectUri: string;
  /** Profiles the client may be given (slugs); the one the client asked for is preselected. */
  profiles: readonly string[];
  requested: string | null;
  error?: string;
  /** A person signed in by the session cookie: no admin token asked, the form carries the session's CSRF token. */
  person?: Readonly<{ name: string; csrfToken: string }>;
  /** Where a person signs in and comes back here. */
  signInUrl: string;
}>;

/** Its own CSP: inline style only; forms may post anywhere the provider then redirects to. */
export const CONSENT_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

export const renderConsentPage = (page: ConsentPage): string => {
  const options = page.profiles
    .map((slug) => `<option value="${escapeHtml(slug)}"${slug === page.requested ? ' selected' : ''}>${escapeHtml(slug)}</option>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gatehouse: allow access</title>
<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:1rem 0 .3rem}input,select{width:100%;padding:.4rem}button{margin:1rem .5rem 0 0;padding:.5rem 1rem}.error{color:#a00}</style></head>
<body><h1>Allow access to Gatehouse?</h1>
<p><strong>${escapeHtml(page.clientName)}</strong>${page.clientDocument ? ` (described by <code>${escapeHtml(page.clientDocument)}</code>)` : ''} wants to use the tools of one Gatehouse profile. After signing in it is sent back to <code>${escapeHtml(page.redirectUri)}</code>.</p>
${page.error ? `<p class="error" role="alert">${escapeHtml(page.error)}</p>` : ''}
<form method="post" action="/oauth/interaction/${encodeURIComponent(page.uid)}">
<label for="profile">Profile</label>
<select id="profile" name="profile"${page.requested ? '' : ' required'}>${options}</select>
${page.person
    ? `<p>Signed in as <strong>${escapeHtml(page.person.name)}</strong>.</p><input type="hidden" name="csrf_token" value="${escapeHtml(page.person.csrfToken)}">`
    : `<p><a href="${escapeHtml(page.signInUrl)}">Sign in with your Gatehouse account</a>, or allow with the admin token:</p>
<label for="adminToken">Admin token</label>
<input id="adminToken" name="adminToken" type="password" autocomplete="current-password" required>`}
<button type="submit" name="action" value="allow">Allow</button>
<button type="submit" name="action" value="deny" formnovalidate>Deny</button>
</form></body></html>`;
};
