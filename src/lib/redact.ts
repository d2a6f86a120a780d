/** Query parameters that carry a secret in a PostgreSQL connection string (libpq's names). */
const SECRET_PARAMS = ['password', 'sslpassword'];

const MASK = '***';

/**
 * A connection URL fit to print (errors, `doctor`, `status`, logs): the password, and any
 * password given as a query parameter, read `***`; the rest (user, host, port, database)
 * stays, since that is what an operator needs to find a mistake. A URL that does not parse
 * (a password with an unescaped "/", a bad port) loses its whole userinfo: where it ends
 * cannot be known, so the rest of the string up to the last "@" goes with it.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return maskQuery(url.replace(/\/\/.*@/s, '//'));
  }
  let changed = false;
  if (u.password) {
    u.password = MASK;
    changed = true;
  }
  for (const name of SECRET_PARAMS) {
    if (u.searchParams.has(name)) {
      u.searchParams.set(name, MASK);
      changed = true;
    }
  }
  // untouched URLs are returned as written, not as URL re-spells them
  return changed ? u.toString() : url;
}

function maskQuery(text: string): string {
  return text.replace(new RegExp(`([?&](?:${SECRET_PARAMS.join('|')})=)[^&#]*`, 'g'), `$1${MASK}`);
}
