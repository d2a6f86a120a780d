import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadEnvironment, loadSettings, parseConfig } from '../../src/config/load.ts';
import { repoRoot, runCli, tempDir } from '../harness/index.ts';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config validation', () => {
  it('accepts the shipped default config, with arXiv RSS for cs.AI, cs.CL, cs.LG, cs.CV and HF daily papers', () => {
    const env = loadEnvironment({}, repoRoot);
    const { config } = loadSettings({ PAPERBOY_CONFIG: path.join(repoRoot, 'paperboy.config.json'), DATA_DIR: tempDir() }, repoRoot);
    expect(env.configPath).toBe(path.join(repoRoot, 'paperboy.config.json'));
    const urls = config.sources.map((s) => `${s.kind} ${s.url}`);
    for (const cat of ['cs.AI', 'cs.CL', 'cs.LG', 'cs.CV']) expect(urls).toContain(`arxiv-rss https://rss.arxiv.org/rss/${cat}`);
    expect(urls).toContain('hf-daily https://huggingface.co/api/daily_papers');
    expect(config.topics.length).toBeGreaterThanOrEqual(10);
  });

  it('fills in documented defaults for an empty file', () => {
    const config = parseConfig({}, 'empty');
    expect(config.edition).toMatchObject({ timezone: 'UTC', cutoffHour: 6, papersPerTopic: 5, skipEmpty: true });
    expect(config.fetch.maxRedirects).toBe(5);
  });

  it('names the path, the value and what is expected for a wrong type', () => {
    const problems = problemsOf(() => parseConfig({ edition: { cutoffHour: 'six' } }, 'x'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^edition\.cutoffHour: .*expected number.*\(got "six"\)$/);
  });

  it('names the path of an unknown source kind and lists the known kinds', () => {
    const problems = problemsOf(() => parseConfig({ sources: [{ name: 'a', kind: 'arxiv-rss', url: 'https://x.org/a' }, { name: 'b', kind: 'gopher', url: 'https://x.org/b' }] }, 'x'));
    expect(problems[0]).toMatch(/^sources\[1\]\.kind: .*arxiv-rss.*hf-daily.*\(got "gopher"\)/);
  });

  it('reports unknown keys (typos) instead of ignoring them', () => {
    const problems = problemsOf(() => parseConfig({ edition: { cutofHour: 5 } }, 'x'));
    expect(problems[0]).toMatch(/^edition: unknown key\(s\) "cutofHour"/);
  });

  it('rejects bad cron, time zone, URL and duplicate names, each with its path', () => {
    const problems = problemsOf(() =>
      parseConfig(
        {
          edition: { timezone: 'Mars/Olympus' },
          sources: [
            { name: 'a', kind: 'rss', url: 'ftp://x.org/feed', schedule: 'every hour' },
            { name: 'a', kind: 'rss', url: 'https://x.org/feed' },
          ],
        },
        'x',
      ),
    );
    const text = problems.join('\n');
    expect(text).toMatch(/edition\.timezone: expected an IANA time zone/);
    expect(text).toMatch(/sources\[0\]\.url: expected an http/);
    expect(text).toMatch(/sources\[0\]\.schedule: expected a cron expression/);
    expect(text).toMatch(/sources\[1\]\.name: duplicate source name "a"/);
  });

  it('validates the environment too', () => {
    const problems = problemsOf(() => loadEnvironment({ DATABASE_URL: 'mysql://x', MAIL_TRANSPORT: 'smtp', PORT: 'eighty' }));
    const text = problems.join('\n');
    expect(text).toMatch(/DATABASE_URL: expected sqlite:PATH or postgres/);
    expect(text).toMatch(/MAIL_TRANSPORT: .*"outbox"/);
    expect(text).toMatch(/PORT: expected a TCP port/);
  });

  it('stops every command, with exit 1 and the path in the message, before anything starts', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'paperboy.config.json');
    writeFileSync(file, JSON.stringify({ sources: [{ name: 'x', kind: 'carrier-pigeon', url: 'https://x.org' }] }));
    for (const args of [['ingest'], ['papers', 'list', '--json'], ['subscribers', 'list'], ['run', '--once'], ['edition', 'show']]) {
      const r = await runCli(args, { env: { PAPERBOY_CONFIG: file, DATA_DIR: dir, REDIS_URL: 'redis://127.0.0.1:1' } });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/sources\[0\]\.kind/);
      expect(r.stderr).toMatch(/nothing was started/);
      expect(r.stdout).toBe('');
    }
  });

  it('reports a config file that is not JSON with its parse error', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'paperboy.config.json');
    writeFileSync(file, '{ "sources": [ }');
    const r = await runCli(['papers', 'list'], { env: { PAPERBOY_CONFIG: file, DATA_DIR: dir } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/cannot be parsed/);
  });
});
