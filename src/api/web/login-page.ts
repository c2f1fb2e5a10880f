/** The sign-in page's HTML: no script, no external resource, every interpolated value escaped. */
export const escape = (value: string): string =>
  value.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char);

export const page = (title: string, body: string): string => `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)} · Gatehouse</title></head>
<body>
<main>
<h1>${escape(title)}</h1>
${body}
</main>
</body>
</html>
`;

export const signInForm = (options: Readonly<{ returnTo: string; name?: string; error?: string }>): string =>
  page(
    'Sign in to Gatehouse',
    `${options.error ? `<p role="alert" id="error">${escape(options.error)}</p>\n` : ''}<form method="post" action="/login">
<input type="hidden" name="return_to" value="${escape(options.returnTo)}">
<p><label for="name">Name</label><br><input id="name" name="name" autocomplete="username" required maxlength="64" value="${escape(options.name ?? '')}" autofocus></p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"></p>
<p><button type="submit">Sign in</button></p>
</form>`,
  );

export const signedInPage = (options: Readonly<{ name: string; role: string; csrfToken: string }>): string =>
  page(
    'Signed in',
    `<p id="who">Signed in as <strong>${escape(options.name)}</strong> (${escape(options.role)}).</p>
<form method="post" action="/logout">
<input type="hidden" name="csrf_token" value="${escape(options.csrfToken)}">
<p><button type="submit">Sign out</button></p>
</form>`,
  );
