import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/lib/redact.ts';

// DATABASE_URL and REDIS_URL appear in errors, `doctor` and `status`: a password in them must
// never be printed, however the URL is written.
const cases: [url: string, shown: string][] = [
  ['postgres://pb:secret@127.0.0.1:5432/pb', 'postgres://pb:***@127.0.0.1:5432/pb'],
  ['postgres://:secret@h/db', 'postgres://:***@h/db'],
  ['postgres://h/db?password=secret', 'postgres://h/db?password=***'],
  ['postgres://u@h/db?sslmode=verify-full&sslpassword=secret', 'postgres://u@h/db?sslmode=verify-full&sslpassword=***'],
  ['postgres://u:p@ss@h/db', 'postgres://u:***@h/db'],
  ['redis://u:pa/ss@h', 'redis://h'],
  ['redis://:secret@127.0.0.1:6379/2', 'redis://:***@127.0.0.1:6379/2'],
  ['rediss://default:secret@cache.internal:6380', 'rediss://default:***@cache.internal:6380'],
  ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
  ['postgres://pb@127.0.0.1/pb?sslmode=require', 'postgres://pb@127.0.0.1/pb?sslmode=require'],
  ['mysql://u:secret@h/db', 'mysql://u:***@h/db'],
];

describe('redactUrl', () => {
  it.each(cases)('%s is shown as %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });

  it('leaves no password in any of them', () => {
    for (const [url] of cases) expect(redactUrl(url)).not.toMatch(/secret|pa\/ss|p@ss/);
  });

  it('removes the userinfo and query passwords of a URL it cannot parse', () => {
    expect(redactUrl('postgres://u:se cret@h:notaport/db?password=x&a=1')).toBe('postgres://h:notaport/db?password=***&a=1');
  });
});
