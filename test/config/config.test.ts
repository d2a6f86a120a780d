import { randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadEnvironment, loadSettings, parseConfig } from '../../src/config/load.ts';
import { redisUrl, repoRoot, runCli, tempDir } from '../harness/index.ts';

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

  it("keeps the operator's time zone under the name the web lists, whatever alias the file uses: readers who pick it from the list share its variants", () => {
    for (const [given, name] of [
      ['Asia/Kolkata', 'Asia/Calcutta'],
      ['Etc/UTC', 'UTC'],
      ['europe/berlin', 'Europe/Berlin'],
    ]) {
      expect(parseConfig({ edition: { timezone: given } }, 'zone').edition.timezone, given).toBe(name);
    }
  });

  it('names the path, the value and what is expected for a wrong type', () => {
    const problems = problemsOf(() => parseConfig({ edition: { cutoffHour: 'six' } }, 'x'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^edition\.cutoffHour: .*expected number.*\(got "six"\)$/);
  });

  it('names the path of an unknown source kind and lists the known kinds', () => {
    const problems = problemsOf(() =>
      parseConfig(
        {
          sources: [
            { name: 'a', kind: 'arxiv-rss', url: 'https://x.org/a' },
            { name: 'b', kind: 'gopher', url: 'https://x.org/b' },
          ],
        },
        'x',
      ),
    );
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
    expect(text).toMatch(/sources\[0\]\.schedule: expected 5 fields/);
    expect(text).toMatch(/sources\[1\]\.name: duplicate source name "a"/);
  });

  it('validates the environment too', () => {
    const problems = problemsOf(() => loadEnvironment({ DATABASE_URL: 'mysql://x', MAIL_TRANSPORT: 'smtp', PORT: 'eighty' }));
    const text = problems.join('\n');
    expect(text).toMatch(/DATABASE_URL: expected sqlite:PATH or postgres/);
    expect(text).toMatch(/MAIL_TRANSPORT: .*"outbox"/);
    expect(text).toMatch(/PORT: expected a TCP port/);
  });

  it('names a wrong connection URL or secret without printing its password', () => {
    const problems = problemsOf(() =>
      loadEnvironment({
        DATABASE_URL: 'mysql://pb:hunter2hunter2@db.internal/pb',
        REDIS_URL: 'http://:hunter2hunter2@cache.internal',
        SECRET_KEY: 'hunter2hunter',
      }),
    );
    const text = problems.join('\n');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('DATABASE_URL: expected sqlite:PATH or postgres://user:password@host:port/database (got "mysql://pb:***@db.internal/pb")');
    expect(text).toContain('(got "http://:***@cache.internal/")');
    expect(text).toMatch(/SECRET_KEY: expected at least 16 characters \(got 13 characters\)/);
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

describe('a cron schedule has exactly five fields', () => {
  it('refuses four (a missing field shifts the others into another schedule) and six, naming the path, the value and what is expected', () => {
    const source = (schedule: string) => ({ sources: [{ name: 'a', kind: 'rss', url: 'https://x.org/feed', schedule }] });
    for (const schedule of ['15 1,3,5 * *', '0 15 1,3,5 * * *', '@daily']) {
      const problems = problemsOf(() => parseConfig(source(schedule), 'x'));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^sources\[0\]\.schedule: expected 5 fields \(minute hour day-of-month month day-of-week\), such as "30 1 \* \* 1-5"/);
      expect(problems[0]).toContain(`(got ${JSON.stringify(schedule)})`);
    }
    expect(problemsOf(() => parseConfig(source('15 1,3,5 * *'), 'x'))[0]).toMatch(/has 4 fields/);
    // what was meant: minute 15 of hours 1, 3 and 5, every day
    expect(parseConfig(source('15 1,3,5 * * *'), 'x').sources[0]!.schedule).toBe('15 1,3,5 * * *');
    expect(parseConfig(source(' */20  6-22 * * 1-5 '), 'x').sources).toHaveLength(1);
  });
});

describe('a config file that is not valid JSON', () => {
  it('names the line and column of the mistake, and shows that line with a caret under it', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'paperboy.config.json');
    // a trailing comma on line 4, found at the "]" of line 5
    writeFileSync(
      file,
      '{\n  "sources": [\n    { "name": "blog", "kind": "rss", "url": "https://example.org/feed.xml" },\n    { "name": "lab", "kind": "rss", "url": "https://example.org/lab.xml" },\n  ],\n  "topics": []\n}\n',
    );
    const r = await runCli(['papers', 'list'], { env: { PAPERBOY_CONFIG: file, DATA_DIR: dir } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(file);
    expect(r.stderr).not.toMatch(/position \d+/);
    expect(r.stderr).toMatch(/line 5, column 3: /);
    const lines = r.stderr.split('\n');
    const shown = lines.findIndex((l) => l.endsWith('  ],'));
    expect(shown, r.stderr).toBeGreaterThan(-1);
    // the caret sits under the "]"
    expect(lines[shown + 1]!.indexOf('^')).toBe(lines[shown]!.indexOf(']'));
  });

  it('finds mistakes that V8 reports without a position (an unexpected token) and the end of the file', async () => {
    const { describeJsonError } = await import('../../src/config/jsonError.ts');
    expect(describeJsonError('{\n  "a": [1,\n  }\n}')).toMatchObject({ line: 3, column: 3 });
    expect(describeJsonError('{\n  "a": 1\n  "b": 2\n}')).toMatchObject({ line: 3, column: 3 });
    expect(describeJsonError('{ "a": tru }')).toMatchObject({ line: 1, column: 8 });
    expect(describeJsonError('{ "a": 1')).toMatchObject({ line: 1, column: 9, reason: expect.stringMatching(/end of the file/) });
    expect(describeJsonError('{ "a": "x\ny" }')).toMatchObject({ line: 1, column: 10 });
    expect(describeJsonError('{ "a": 01 }')).toMatchObject({ line: 1, column: 9 });
    expect(describeJsonError('{ "a": [1, 2.5e-3, -0, "\\u00e9\\n", true, false, null, {}] }')).toBeUndefined();
  });
});

describe('a folder without a config file', () => {
  it('is refused (exit 1, nothing written) unless --defaults is given, with how to make a config', async () => {
    const dir = tempDir();
    const env = {
      PAPERBOY_CONFIG: undefined,
      DATA_DIR: undefined,
      DATABASE_URL: undefined,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: `pbtest-${randomBytes(4).toString('hex')}`,
    };
    for (const args of [['papers', 'list'], ['subscribers', 'add', 'reader@example.org'], ['status'], ['doctor']]) {
      const r = await runCli(args, { env, cwd: dir });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr + r.stdout).toMatch(new RegExp(`no paperboy\\.config\\.json \\(or \\.yaml\\) in ${dir}`));
      expect(r.stderr + r.stdout).toContain(path.join(repoRoot, 'paperboy.config.json'));
      expect(r.stderr + r.stdout).toMatch(/PAPERBOY_CONFIG/);
      expect(r.stderr + r.stdout).toMatch(/--defaults/);
      expect(readdirSync(dir), `paperboy ${args.join(' ')} left files behind`).toEqual([]);
    }
    const onDefaults = await runCli(['--defaults', 'papers', 'list'], { env, cwd: dir });
    expect(onDefaults.code, onDefaults.stderr).toBe(0);
    expect(onDefaults.stderr).toMatch(/using the built-in defaults/);
    expect(onDefaults.stderr).toMatch(/^0 paper\(s\)$/m);
    // after the command's name too
    expect((await runCli(['papers', 'list', '--defaults'], { env, cwd: dir })).code).toBe(0);
    // --help needs no config at all
    const help = await runCli(['papers', 'list', '--help'], { env, cwd: tempDir() });
    expect(help.code).toBe(0);
    expect((await runCli(['--help'], { env, cwd: tempDir() })).stdout).toMatch(/--defaults/);
  }, 180_000);

  it('`paperboy demo` still runs from any folder: it brings its own config', async () => {
    const dir = tempDir();
    const r = await runCli(['demo'], {
      env: {
        PAPERBOY_CONFIG: undefined,
        DATA_DIR: undefined,
        DATABASE_URL: undefined,
        REDIS_URL: redisUrl(),
        QUEUE_PREFIX: `pbtest-${randomBytes(4).toString('hex')}`,
      },
      cwd: dir,
      timeoutMs: 180_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/[1-9]\d* email\(s\)/);
    expect(readdirSync(dir)).toEqual(['data']);
    expect(readdirSync(path.join(dir, 'data'))).toEqual(['demo']);
  }, 200_000);
});
