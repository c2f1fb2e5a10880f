import { escape, page } from './login-page';

/** The first-start page: the first person picks a name and a password and becomes the owner. */
export const setupForm = (options: Readonly<{ token: string; name?: string; error?: string }>): string =>
  page(
    'Set up Gatehouse',
    `<p>Nobody has an account yet. The account you create here is the <strong>owner</strong>: it manages users and everything else.</p>
${options.error ? `<p role="alert" id="error">${escape(options.error)}</p>\n` : ''}<form method="post" action="/setup">
<input type="hidden" name="token" value="${escape(options.token)}">
<p><label for="name">Name</label><br><input id="name" name="name" autocomplete="username" required maxlength="64" pattern="[a-z0-9][a-z0-9._\\-]{0,63}" value="${escape(options.name ?? '')}" autofocus></p>
<p><label for="password">Password (at least 12 characters)</label><br><input id="password" name="password" type="password" autocomplete="new-password" required minlength="12" maxlength="1024"></p>
<p><label for="password_confirm">Password again</label><br><input id="password_confirm" name="password_confirm" type="password" autocomplete="new-password" required minlength="12" maxlength="1024"></p>
<p><button type="submit">Create the owner</button></p>
</form>`,
  );

export const setupDonePage = (): string =>
  page('Gatehouse is set up', `<p id="done">Gatehouse already has its owner, so this setup link no longer works. <a href="/login">Sign in</a> instead.</p>`);

export const setupLinkInvalidPage = (): string =>
  page(
    'This setup link does not work',
    `<p id="invalid">The link has expired, was mistyped, or was never issued. Restart <code>gatehouse serve</code> for a new one (it is printed while nobody has an account), or create the owner on the command line with <code>gatehouse users create &lt;name&gt; --role owner</code>.</p>`,
  );
