/**
 * `subscribers add / import / export` carry what a reader chose (section order, delivery time)
 * and whether they left: a round trip loses nothing, and re-subscribes nobody.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, shippedConfig, tempDir } from '../harness/index.ts';

/** A data directory of its own, with the shipped config's topics. */
function cliIn() {
  const dir = tempDir();
  const config = path.join(dir, 'paperboy.config.json');
  writeFileSync(config, JSON.stringify({ ...shippedConfig(), sources: [] }));
  const env = { DATA_DIR: dir, PAPERBOY_CONFIG: config, DATABASE_URL: `sqlite:${path.join(dir, 'paperboy.db')}` };
  return { dir, cli: (args: string[]) => runCli(args, { env, cwd: dir, timeoutMs: 120_000 }) };
}

/** The columns a reader chose, by address (created_at and confirmed_at are the import's own). */
function choices(csv: string): Record<string, string[]> {
  const [header, ...rows] = csv.trim().split('\n');
  const cols = header!.split(',');
  const at = (name: string) => cols.indexOf(name);
  return Object.fromEntries(
    rows.map((r) => r.split(',')).map((c) => [c[at('email')]!, [c[at('status')]!, c[at('topics')]!, c[at('frequency')]!, c[at('section_order')]!]]),
  );
}

describe('subscribers and their section order', () => {
  it('`add --sections-first` sets the order, refuses an unknown topic by name, and "" clears it', async () => {
    const { cli } = cliIn();
    const added = await cli(['subscribers', 'add', 'ada@example.org', '--confirmed', '--sections-first', 'theory,language-models']);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/first: theory, language-models/);
    const bad = await cli(['subscribers', 'add', 'ada@example.org', '--sections-first', 'theory,quantum-gravity']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--sections-first: unknown topic\(s\) quantum-gravity; known topics: /);
    const list = async () => JSON.parse((await cli(['subscribers', 'list', '--json'])).stdout) as { email: string; sectionOrder: string[] }[];
    expect((await list())[0]!.sectionOrder).toEqual(['theory', 'language-models']);
    // updating other settings keeps the order
    expect((await cli(['subscribers', 'add', 'ada@example.org', '--frequency', 'weekly'])).code).toBe(0);
    expect((await list())[0]!.sectionOrder).toEqual(['theory', 'language-models']);
    expect((await cli(['subscribers', 'add', 'ada@example.org', '--sections-first', ''])).code).toBe(0);
    expect((await list())[0]!.sectionOrder).toEqual([]);
  }, 240_000);

  it('exports the order as a section_order column that import reads back: a round trip loses nothing', async () => {
    const from = cliIn();
    const file = path.join(from.dir, 'list.csv');
    writeFileSync(
      file,
      [
        'email,topics,frequency,section_order',
        'a@example.org,theory;language-models,daily,language-models;theory',
        'b@example.org,,weekly,alignment-safety',
        'c@example.org,theory,daily,',
        'd@example.org,,daily,theory;quantum-gravity',
      ].join('\n'),
    );
    const imported = await from.cli(['subscribers', 'import', file, '--confirmed']);
    expect(imported.stdout).toMatch(/3 added/);
    expect(imported.stdout).toMatch(/line 5: unknown topic\(s\) in section_order: quantum-gravity/);
    const exported = (await from.cli(['subscribers', 'export'])).stdout;
    expect(exported.split('\n')[0]).toBe('email,status,topics,frequency,created_at,confirmed_at,section_order,timezone,delivery_hour');
    expect(choices(exported)).toEqual({
      'a@example.org': ['confirmed', 'language-models;theory', 'daily', 'language-models;theory'],
      'b@example.org': ['confirmed', '', 'weekly', 'alignment-safety'],
      'c@example.org': ['confirmed', 'theory', 'daily', ''],
    });

    const to = cliIn();
    const copy = path.join(to.dir, 'export.csv');
    writeFileSync(copy, exported);
    expect((await to.cli(['subscribers', 'import', copy, '--confirmed'])).stdout).toMatch(/3 added, 0 updated, 0 rejected/);
    expect(choices((await to.cli(['subscribers', 'export'])).stdout)).toEqual(choices(exported));
  }, 240_000);

  it('import keeps a reader who left gone, even with --confirmed, and a round trip keeps statuses and chosen times', async () => {
    const from = cliIn();
    const file = path.join(from.dir, 'old-list.csv');
    writeFileSync(
      file,
      [
        'email,status,topics,timezone,delivery_hour',
        'stays@example.org,confirmed,,Asia/Tokyo,6',
        'left@example.org,unsubscribed,,,',
        'bounced@example.org,suppressed,,,',
        'unsure@example.org,pending,,,',
        'bad-zone@example.org,confirmed,,Mars/Olympus,7',
        'bad-status@example.org,deleted,,,',
      ].join('\n'),
    );
    const imported = await from.cli(['subscribers', 'import', file, '--confirmed']);
    expect(imported.code, imported.stderr).toBe(2);
    expect(imported.stdout).toMatch(/4 added, 0 updated, 2 rejected; 2 who unsubscribed or bounced stay so/);
    expect(imported.stdout).toMatch(/line 6: timezone "Mars\/Olympus" is not an IANA time zone/);
    expect(imported.stdout).toMatch(/line 7: status "deleted" is not pending, confirmed, unsubscribed or suppressed/);
    const list = async (cli: typeof from.cli) =>
      Object.fromEntries(
        (JSON.parse((await cli(['subscribers', 'list', '--json'])).stdout) as { email: string; status: string }[]).map((r) => [r.email, r.status]),
      );
    // before: every row became confirmed, the two who left among them
    expect(await list(from.cli)).toEqual({
      'stays@example.org': 'confirmed',
      'left@example.org': 'unsubscribed',
      'bounced@example.org': 'suppressed',
      'unsure@example.org': 'pending',
    });
    expect((await from.cli(['suppressions', 'list'])).stdout).toMatch(/bounced@example\.org/);

    const exported = (await from.cli(['subscribers', 'export'])).stdout;
    const rows = exported.trim().split('\n');
    expect(rows[0]).toBe('email,status,topics,frequency,created_at,confirmed_at,section_order,timezone,delivery_hour');
    expect(rows.find((r) => r.startsWith('stays@'))).toMatch(/,Asia\/Tokyo,6$/);
    // never chosen: left empty, so the import elsewhere does not make it chosen
    expect(rows.find((r) => r.startsWith('unsure@'))).toMatch(/,,$/);

    const to = cliIn();
    const copy = path.join(to.dir, 'export.csv');
    writeFileSync(copy, exported);
    expect((await to.cli(['subscribers', 'import', copy, '--confirmed'])).code).toBe(0);
    expect(await list(to.cli)).toEqual(await list(from.cli));
    expect((await to.cli(['subscribers', 'export'])).stdout.replace(/,20\d\d-[^,]*/g, '')).toBe(exported.replace(/,20\d\d-[^,]*/g, ''));
  }, 300_000);
});
