/**
 * `paperboy preview --serve`: every email type with sample data, re-rendered when a template
 * changes. Spawned as a user runs it, on a free loopback port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli, tempDir } from '../harness/index.ts';

function startServe(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'paperboy.js'), 'preview', '--serve', '--port', '0'], {
      env: { ...process.env, ...env },
      cwd: env.DATA_DIR,
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`preview --serve did not start: ${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /email preview on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  });
}

describe('paperboy preview --serve', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('serves every email type, HTML and text, and re-renders when a template changes', async () => {
    const dir = tempDir('pb-preview-');
    writeFileSync(path.join(dir, 'paperboy.config.json'), JSON.stringify({ mail: { listName: 'Preview Papers', postalAddress: '1 Example Street' } }));
    const started = await startServe({ DATA_DIR: dir, PAPERBOY_CONFIG: path.join(dir, 'paperboy.config.json') });
    child = started.child;
    const index = await (await fetch(started.url)).text();
    for (const name of ['daily', 'weekly', 'daily-for-you', 'confirm', 'welcome', 'preferences-changed', 'test'])
      expect(index).toContain(`href="/${name}.html"`);
    const forYou = await (await fetch(`${started.url}/daily-for-you.txt`)).text();
    expect(forYou.indexOf('FOR YOU')).toBeGreaterThan(0);
    expect(forYou.indexOf('FOR YOU')).toBeLessThan(forYou.indexOf('TOP TODAY'));
    const daily = await (await fetch(`${started.url}/daily.html`)).text();
    expect(daily).toContain('Preview Papers · 1 Example Street');
    expect(daily).toContain('<!--[if mso | IE]>');
    expect(await (await fetch(`${started.url}/confirm.txt`)).text()).toMatch(/^Confirm your subscription/);

    const before = Number(await (await fetch(`${started.url}/__version`)).text());
    // touching a template (content unchanged) is a change to the watcher
    const now = new Date();
    utimesSync(path.join(repoRoot, 'templates', 'email', 'theme.ts'), now, now);
    let after = before;
    for (let i = 0; i < 60 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 500));
      after = Number(await (await fetch(`${started.url}/__version`)).text());
    }
    expect(after).toBeGreaterThan(before);
  });

  it('asks for --out or --serve', async () => {
    const r = await runCli(['preview'], { env: { DATA_DIR: tempDir() }, timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--out FILE\.html .* or --serve/);
  });
});
