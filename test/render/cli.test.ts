/**
 * The render as an operator meets it through the CLI: from any working directory (cron), and
 * a render that fails names its cause and stops `edition send --wait` instead of hanging.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/db/store.ts';
import type { EditionContent } from '../../src/domain/edition.ts';
import { redisUrl, runCli, shippedConfig, storageTargets, tempDir } from '../harness/index.ts';
import { dayEdition, sampleEdition } from './fixtures.ts';

const DATE = '2026-11-26';

async function setUp(databaseUrl: string, content: EditionContent) {
  const dir = tempDir('pb-render-cli-');
  const configFile = path.join(dir, 'paperboy.config.json');
  writeFileSync(configFile, '{}');
  const store = await Store.open(databaseUrl);
  const now = new Date().toISOString();
  await store.editions.insertFrozen({ id: DATE, kind: 'daily', date: DATE, content }, now);
  await store.subscribers.upsert({ email: 'reader@example.org', topics: [], frequency: 'daily', confirmed: true }, now);
  const env = {
    DATA_DIR: dir,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl(),
    QUEUE_PREFIX: `render-cli-${Date.now()}`,
    PAPERBOY_CONFIG: configFile,
    SECRET_KEY: 'test-secret-key-0123456789',
    PUBLIC_URL: 'https://papers.example.org',
  };
  return { dir, store, env };
}

for (const target of storageTargets()) {
  describe(`rendering from the CLI on ${target.name}`, () => {
    it('renders from a folder without the repository (no tsconfig.json there), as cron does', async () => {
      const { dir, store, env } = await setUp(await target.databaseUrl(), sampleEdition());
      await store.close();
      const out = path.join(dir, 'preview.html');
      const r = await runCli(['preview', '--date', DATE, '--out', out], { env, cwd: dir, timeoutMs: 60_000 });
      expect(r.stderr).not.toMatch(/React is not defined/);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(out)).toBe(true);
      expect(readFileSync(out, 'utf8')).toContain('A Proof About Everything');
    });

    it('a render that fails records its cause, and edition send --wait exits 1 naming it instead of waiting', async () => {
      const broken = sampleEdition();
      // a section that names a paper the edition does not hold: the template cannot render it
      delete broken.papers['2611.00004'];
      const { store, env, dir } = await setUp(await target.databaseUrl(), broken);
      const r = await runCli(['edition', 'send', '--date', DATE, '--wait'], { env, cwd: dir, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/edition 2026-11-26 was not sent: rendering the daily edition of 2026-11-26 failed/);
      const edition = await store.editions.get(DATE);
      expect(edition?.renderError).toMatch(/rendering the daily edition of 2026-11-26 failed/);
      await store.close();
    });
  });
}

describe('previewing a reader’s section order', () => {
  it('`preview --sections-first` renders the variant of a reader who put those sections first, and refuses an unknown topic', async () => {
    const [sqlite] = storageTargets();
    const { dir, store, env } = await setUp(await sqlite!.databaseUrl(), dayEdition(18));
    await store.close();
    // the shipped topics, which the demo day's sections use
    writeFileSync(env.PAPERBOY_CONFIG, JSON.stringify({ ...shippedConfig(), sources: [] }));
    const out = path.join(dir, 'preview.html');
    const r = await runCli(['preview', '--date', DATE, '--sections-first', 'theory,reinforcement-learning', '--out', out], {
      env,
      cwd: dir,
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const headings = readFileSync(out.replace(/\.html$/, '.txt'), 'utf8')
      .split('\n')
      .filter((l, i, all) => l.trim() !== '' && /^=+$/.test(all[i + 1] ?? ''));
    expect(headings.slice(0, 3)).toEqual(['TOP TODAY', 'THEORY', 'REINFORCEMENT LEARNING']);
    const bad = await runCli(['preview', '--date', DATE, '--sections-first', 'quantum-gravity', '--out', out], { env, cwd: dir, timeoutMs: 60_000 });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--sections-first: unknown topic\(s\) quantum-gravity; known: /);
  });
});

describe('the postal address that bulk mail must carry', () => {
  it('is reported missing for SES by every start and by doctor', async () => {
    const dir = tempDir('pb-postal-');
    const config = path.join(dir, 'paperboy.config.json');
    writeFileSync(config, '{}');
    const env = {
      DATA_DIR: dir,
      REDIS_URL: redisUrl(),
      PAPERBOY_CONFIG: config,
      MAIL_TRANSPORT: 'ses',
      SES_REGION: 'eu-west-1',
      MAIL_FROM: 'Papers <papers@papers.example.org>',
      PUBLIC_URL: 'https://papers.example.org',
      SECRET_KEY: 'test-secret-key-0123456789',
    };
    const doctor = await runCli(['doctor'], { env, cwd: dir, timeoutMs: 60_000 });
    expect(doctor.stdout).toMatch(/^FAIL {2}postal address: mail\.postalAddress is not set/m);
    const start = await runCli(['papers', 'list'], { env, cwd: dir, timeoutMs: 60_000 });
    expect(start.stderr).toMatch(/mail\.postalAddress is not set/);
    writeFileSync(config, JSON.stringify({ mail: { postalAddress: '1 Example Street, Springfield' } }));
    const fixed = await runCli(['doctor'], { env, cwd: dir, timeoutMs: 60_000 });
    expect(fixed.stdout).toMatch(/^ok +postal address: 1 Example Street, Springfield/m);
    expect((await runCli(['papers', 'list'], { env, cwd: dir, timeoutMs: 60_000 })).stderr).not.toMatch(/postalAddress/);
  });
});
