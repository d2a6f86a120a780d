/** `paperboy explain --reader EMAIL --date D`: why a reader's For you block holds what it holds. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { Store } from '../../src/db/store.ts';
import { recordVote } from '../../src/personal/profiles.ts';
import { repoRoot, runCli, shippedConfig, tempDir } from '../harness/index.ts';

const DATE = '2026-11-26';

describe('paperboy explain', () => {
  it('lists the reader’s picks with their scores and the features that gave them, and why the other papers were not picked', async () => {
    const dir = tempDir();
    const configFile = path.join(dir, 'paperboy.config.json');
    writeFileSync(configFile, JSON.stringify({ ...shippedConfig(), sources: [] }));
    const databaseUrl = `sqlite:${path.join(dir, 'paperboy.db')}`;
    const env = { DATA_DIR: dir, PAPERBOY_CONFIG: configFile, DATABASE_URL: databaseUrl };
    const cli = (args: string[]) => runCli(args, { env, cwd: dir });
    for (const args of [
      ['subscribers', 'add', 'fan@example.org', '--confirmed'],
      ['subscribers', 'add', 'new@example.org', '--confirmed'],
      ['ingest', '--source', path.join(repoRoot, 'demo', 'feeds', 'arxiv-cs.xml')],
      ['ingest', '--source', path.join(repoRoot, 'demo', 'feeds', 'hf-daily.json')],
      ['edition', 'build', '--date', DATE],
    ]) {
      const r = await cli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const edition = JSON.parse((await cli(['edition', 'show', '--date', DATE, '--json'])).stdout) as {
      sections: { topic: string; papers: { id: string; title: string; score: number }[] }[];
    };
    // the email's "Top today" for a reader of every topic: the day's three best papers
    const byScore = [...new Map(edition.sections.flatMap((s) => s.papers).map((p) => [p.id, p])).values()].sort(
      (a, b) => b.score - a.score || (a.id < b.id ? -1 : 1),
    );
    const top = new Set(byScore.slice(0, 3).map((p) => p.id));
    // the reader asks for more of a paper that is not in Top today
    const liked = edition.sections.flatMap((s) => s.papers).find((p) => !top.has(p.id))!;
    const store = await Store.open(databaseUrl);
    const fan = (await store.subscribers.getByEmail('fan@example.org'))!;
    await recordVote(store, parseConfig({ ...shippedConfig(), sources: [] }, 'test'), fan.id, liked.id, 'more', DATE, new Date());
    await store.close();

    const json = await cli(['explain', '--reader', 'fan@example.org', '--date', DATE, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout) as {
      profile: { votesMore: number };
      sent: unknown;
      picked: { id: string; score: number; contributions: { kind: string; points: number }[] }[];
      notPicked: { id: string; status: string }[];
    };
    expect(out.profile.votesMore).toBe(1);
    expect(out.sent).toBeNull();
    expect(out.picked.length).toBeGreaterThan(0);
    for (const p of out.picked) {
      expect(top.has(p.id)).toBe(false);
      expect(p.score).toBeCloseTo(
        p.contributions.reduce((s, c) => s + c.points, 0),
        1,
      );
    }
    expect(out.picked.flatMap((p) => p.contributions.map((c) => c.kind))).toContain('term');
    expect(out.notPicked.find((p) => p.id === liked.id)!.status).toBe('voted on');
    for (const id of top) expect(out.notPicked.find((p) => p.id === id)!.status).toBe('top today');

    const text = await cli(['explain', '--reader', 'fan@example.org', '--date', DATE]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`For you of fan@example.org in the daily edition of ${DATE}`);
    expect(text.stdout).toMatch(/profile: 1 "more like this" and 0 "less like this" votes/);
    expect(text.stdout).toMatch(new RegExp(`1\\. ${out.picked[0]!.id.replace('.', '\\.')}  score `));
    expect(text.stdout).toContain('in "Top today" (For you never repeats it)');
    expect(text.stdout).toContain('the reader voted on it already');

    const none = await cli(['explain', '--reader', 'new@example.org', '--date', DATE]);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('no profile: no votes, no seed paper we know, no author id. Their email has no For you block.');
    const unknown = await cli(['explain', '--reader', 'nobody@example.org', '--date', DATE]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no subscriber nobody@example.org');
    const noEdition = await cli(['explain', '--reader', 'fan@example.org', '--date', '2026-01-01']);
    expect(noEdition.code).toBe(1);
    expect(noEdition.stderr).toContain('there is no daily edition of 2026-01-01: build it first (paperboy edition build --date 2026-01-01)');
    const help = await cli(['explain', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--reader <email>');
  }, 300_000);
});
