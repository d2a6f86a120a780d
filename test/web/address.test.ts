/** One address check for the web form and `subscribers add/import`; a CSV export that a spreadsheet cannot run. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { checkAddress } from '../../src/mail/address.ts';
import { redisUrl, runCli, tempDir } from '../harness/index.ts';

describe('address check', () => {
  it('normalises case and IDN domains to punycode', () => {
    expect(checkAddress('  Ada.Lovelace+papers@Example.ORG ')).toEqual({ ok: true, email: 'ada.lovelace+papers@example.org' });
    expect(checkAddress('ana@bücher.de')).toEqual({ ok: true, email: 'ana@xn--bcher-kva.de' });
    expect(checkAddress('x@münchen.example')).toEqual({ ok: true, email: 'x@xn--mnchen-3ya.example' });
  });

  it('refuses dotted local parts, IP literals, dotless and broken domains, each with its reason', () => {
    const cases: [string, RegExp][] = [
      ['a..b@example.org', /two dots in a row/],
      ['.a@example.org', /cannot start or end with a dot/],
      ['a.@example.org', /cannot start or end with a dot/],
      ['x@[192.168.0.1]', /IP address/],
      ['x@[IPv6:::1]', /IP address/],
      ['x@10.0.0.1', /IP address/],
      ['x@localhost', /has no dot/],
      ['x@-bad-.org', /not a valid domain/],
      ['"quoted"@example.org', /character addresses cannot have/],
      ['a b@example.org', /character addresses cannot have/],
      ['@example.org', /nothing before/],
      ['', /empty/],
      [`${'a'.repeat(65)}@example.org`, /64 characters/],
    ];
    for (const [input, reason] of cases) {
      const r = checkAddress(input);
      expect(r.ok, input).toBe(false);
      if (!r.ok) expect(r.reason, input).toMatch(reason);
    }
  });
});

describe('subscribers add / import / export', () => {
  const env = () => {
    const dir = tempDir();
    return { dir, env: { DATA_DIR: dir, PAPERBOY_CONFIG: path.join(dir, 'missing.json'), DATABASE_URL: `sqlite:${path.join(dir, 'paperboy.db')}` } };
  };

  it('`subscribers add` and `import` refuse what the web form refuses, with the same reason, and store IDN in punycode', async () => {
    const { dir, env: e } = env();
    const cli = (args: string[]) => runCli(['--defaults', ...args], { env: { ...e, PAPERBOY_CONFIG: undefined }, cwd: dir });
    const bad = await cli(['subscribers', 'add', 'a..b@example.org']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/two dots in a row/);
    expect((await cli(['subscribers', 'add', 'Ana@Bücher.de', '--confirmed'])).code).toBe(0);
    const file = path.join(dir, 'list.csv');
    writeFileSync(file, 'email\nok@example.org\n.dot@example.org\nx@[10.0.0.1]\n');
    const imported = await cli(['subscribers', 'import', file]);
    expect(imported.code).toBe(2);
    expect(imported.stdout).toMatch(/1 added/);
    expect(imported.stdout).toMatch(/line 3: .*cannot start or end with a dot/);
    expect(imported.stdout).toMatch(/line 4: .*IP address/);
    const list = JSON.parse((await cli(['subscribers', 'list', '--json'])).stdout);
    expect(list.map((s: { email: string }) => s.email).sort()).toEqual(['ana@xn--bcher-kva.de', 'ok@example.org']);
  });

  it('`subscribers export` escapes cells a spreadsheet would run as a formula (= + - @)', async () => {
    const { dir, env: e } = env();
    const cli = (args: string[]) => runCli(['--defaults', ...args], { env: { ...e, PAPERBOY_CONFIG: undefined }, cwd: dir });
    const file = path.join(dir, 'risky.csv');
    writeFileSync(file, 'email\n=1+2@example.org\n+sum@example.org\n-2@example.org\nplain@example.org\n');
    expect((await cli(['subscribers', 'import', file])).stdout).toMatch(/4 added/);
    const out = (await cli(['subscribers', 'export'])).stdout.trim().split('\n');
    const firstCells = out.slice(1).map((l) => l.split(',')[0]);
    expect(firstCells.sort()).toEqual(["'+sum@example.org", "'-2@example.org", "'=1+2@example.org", 'plain@example.org'].sort());
  });
});

describe('paperboy mail test', () => {
  it('sends one test message through the configured transport by the mail queue, running the worker itself', async () => {
    const dir = tempDir();
    const env = {
      DATA_DIR: dir,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: `pbtest-${randomBytes(4).toString('hex')}`,
      PAPERBOY_CONFIG: undefined,
      MAIL_FROM: 'Daily Papers <papers@example.org>',
    };
    const r = await runCli(['--defaults', 'mail', 'test', '--to', 'Ops@Example.org'], { env, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/sent a test message to ops@example.org through outbox/);
    const folder = path.join(dir, 'outbox', 'mail-test');
    const [file] = readdirSync(folder);
    const mail = await simpleParser(readFileSync(path.join(folder, file!)));
    expect(mail.subject).toMatch(/test message/);
    expect(mail.to).toMatchObject({ value: [{ address: 'ops@example.org' }] });
    expect(mail.from).toMatchObject({ value: [{ address: 'papers@example.org', name: 'Daily Papers' }] });
    const bad = await runCli(['--defaults', 'mail', 'test', '--to', 'ops@[127.0.0.1]'], { env, cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--to: .*IP address/);
  });
});
