/**
 * Every fault an operator can meet at start-up gets the cause and the fix, without a stack
 * trace, within seconds: each case runs the real CLI against a real broken dependency.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli, tempDir, type CliResult } from '../harness/index.ts';

const servers: (net.Server | http.Server)[] = [];
afterAll(async () => {
  for (const s of servers) {
    if ('closeAllConnections' in s) s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

/** A loopback server that accepts connections and never answers (a hung service, a firewall's tarpit). */
async function silentServer(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  const close = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    sockets.forEach((s) => s.destroy());
    return close(cb);
  }) as typeof server.close;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return (server.address() as net.AddressInfo).port;
}

async function httpServer(): Promise<number> {
  const server = http.createServer((_req, res) => res.end('hello'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return (server.address() as net.AddressInfo).port;
}

function expectExplained(r: CliResult, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(r.stderr).not.toMatch(/PAPERBOY_DEBUG/); // an explained error, not an unknown one
}

const root = process.getuid?.() === 0;

/** Runs the CLI as an unprivileged user: root bypasses file permissions. */
function runAsUser(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'paperboy.js'), '--defaults', ...args], {
      cwd: '/tmp',
      env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', REDIS_URL: 'redis://127.0.0.1:1', ...env },
      ...(root ? { uid: 65534, gid: 65534 } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('a dependency that accepts connections and never answers', () => {
  it('REDIS_URL: a named error within seconds, not a hang', async () => {
    const port = await silentServer();
    const r = await runCli(['edition', 'show'], { env: { DATA_DIR: tempDir(), REDIS_URL: `redis://127.0.0.1:${port}` }, timeoutMs: 30_000 });
    expectExplained(r, new RegExp(`Redis at redis://127\\.0\\.0\\.1:${port} accepted the connection but did not answer within 3 s`));
  });

  it('DATABASE_URL: a named error within seconds, not a hang', async () => {
    const port = await silentServer();
    const r = await runCli(['papers', 'list'], { env: { DATA_DIR: tempDir(), DATABASE_URL: `postgres://pb:secret@127.0.0.1:${port}/pb` }, timeoutMs: 30_000 });
    expectExplained(r, new RegExp(`database at postgres://pb:\\*\\*\\*@127\\.0\\.0\\.1:${port}/pb accepted the connection but did not answer within 5 s`));
    expect(r.stderr).not.toContain('secret');
  });

  it('DATABASE_URL naming an HTTP port: says it is not PostgreSQL, not "migration failed"', async () => {
    const port = await httpServer();
    const r = await runCli(['papers', 'list'], { env: { DATA_DIR: tempDir(), DATABASE_URL: `postgres://pb@127.0.0.1:${port}/pb` }, timeoutMs: 30_000 });
    expectExplained(r, /does not speak the PostgreSQL protocol.*another service's port/);
    expect(r.stderr).not.toMatch(/migration failed/);
  });
});

describe('config files', () => {
  const cases: [string, string, string][] = [
    ['null JSON', 'paperboy.config.json', 'null'],
    ['an empty YAML file', 'paperboy.config.yaml', ''],
    ['a YAML file of comments only', 'paperboy.config.yaml', '# sources: to do\n'],
  ];
  for (const [name, file, text] of cases) {
    it(`${name} is an error that says what a config needs, and nothing runs`, async () => {
      const dir = tempDir();
      writeFileSync(path.join(dir, file), text);
      const r = await runCli(['papers', 'list'], { env: { PAPERBOY_CONFIG: path.join(dir, file), DATA_DIR: dir, REDIS_URL: 'redis://127.0.0.1:1' } });
      expectExplained(r, /a config is an object with at least "sources"/);
      expect(r.stderr).toMatch(/nothing was started/);
      expect(r.stdout).toBe('');
    });
  }

  it('reads a file that starts with a byte-order mark', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'paperboy.config.json');
    writeFileSync(file, `\uFEFF${JSON.stringify({ sources: [{ name: 'blog', kind: 'rss', url: 'https://example.org/feed.xml' }] })}`);
    const r = await runCli(['papers', 'list'], { env: { PAPERBOY_CONFIG: file, DATA_DIR: dir } });
    expect(r.stderr).not.toMatch(/Unexpected token/);
    expect(r.code, r.stderr).toBe(0);
  });

  it('a config path that is a folder names the file to point at', async () => {
    const dir = tempDir();
    const r = await runCli(['papers', 'list'], { env: { PAPERBOY_CONFIG: dir, DATA_DIR: dir } });
    expectExplained(r, new RegExp(`${dir} is not valid.*\\n.*is a folder, not a file: point PAPERBOY_CONFIG at the paperboy\\.config\\.json`));
    expect(r.stderr).not.toMatch(/EISDIR/);
  });
});

describe('DATA_DIR and the database file', () => {
  it('a DATA_DIR that is a file (EEXIST), or inside a file (ENOTDIR)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const r1 = await runCli(['papers', 'list'], { env: { DATA_DIR: file, REDIS_URL: 'redis://127.0.0.1:1' } });
    expectExplained(r1, new RegExp(`cannot use ${file} as DATA_DIR \\(EEXIST\\): .* is a file, not a folder: move the file away or choose another folder`));
    const r2 = await runCli(['papers', 'list'], { env: { DATA_DIR: path.join(file, 'data'), REDIS_URL: 'redis://127.0.0.1:1' } });
    expectExplained(r2, new RegExp(`\\(ENOTDIR\\): ${file} is a file, not a folder`));
  });

  it('a DATA_DIR under /sys (EPERM) or /proc (which made the old code spin at 100 % CPU)', async () => {
    const r1 = await runCli(['papers', 'list'], { env: { DATA_DIR: '/sys/paperboy-data', REDIS_URL: 'redis://127.0.0.1:1' }, timeoutMs: 30_000 });
    expectExplained(r1, /cannot use \/sys\/paperboy-data as DATA_DIR \(EPERM\): .*choose a folder/);
    const r2 = await runCli(['papers', 'list'], { env: { DATA_DIR: '/proc/paperboy-data', REDIS_URL: 'redis://127.0.0.1:1' }, timeoutMs: 30_000 });
    expectExplained(r2, /cannot use \/proc\/paperboy-data as DATA_DIR .*choose a folder on a disk/);
  });

  it('a DATA_DIR the user may not write to (EACCES)', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const locked = path.join(dir, 'locked');
    mkdirSync(locked, { mode: 0o555 });
    chmodSync(locked, 0o555);
    const r = await runAsUser(['papers', 'list'], { DATA_DIR: path.join(locked, 'data') });
    expectExplained(
      r,
      new RegExp(`cannot use ${locked}/data as DATA_DIR \\(EACCES\\): the user running paperboy may not write to ${locked}: give it write permission`),
    );
  });

  it('a database file the user may only read: "read-only" with the fix, on the first write', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o777);
    const db = path.join(dir, 'paperboy.db');
    const made = await runCli(['papers', 'list'], { env: { DATA_DIR: dir, DATABASE_URL: `sqlite:${db}`, REDIS_URL: 'redis://127.0.0.1:1' } });
    expect(made.code, made.stderr).toBe(0);
    chmodSync(db, 0o444);
    const work = tempDir();
    chmodSync(work, 0o777);
    const r = await runAsUser(['subscribers', 'add', 'reader@example.org', '--confirmed'], { DATA_DIR: work, DATABASE_URL: `sqlite:${db}` });
    expectExplained(r, new RegExp(`${db} is read-only for this process .*give the user running paperboy write permission`));
    expect(r.stderr).not.toMatch(/attempt to write a readonly database/);
  });

  it('a file that is not a database', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'paperboy.db');
    writeFileSync(db, 'these are my notes, not a database\n'.repeat(200));
    const r = await runCli(['papers', 'list'], { env: { DATA_DIR: dir, DATABASE_URL: `sqlite:${db}`, REDIS_URL: 'redis://127.0.0.1:1' } });
    expectExplained(r, new RegExp(`${db} is not a SQLite database .*move it away, or point DATABASE_URL`));
  });
});

describe('the web service port', () => {
  it('PORT=99999 is rejected as a port, not passed on as --port "undefined"', async () => {
    const r = await runCli(['serve'], { env: { DATA_DIR: tempDir(), PORT: '99999', REDIS_URL: 'redis://127.0.0.1:1' } });
    expectExplained(r, /PORT: expected a TCP port number from 1 to 65535 \(got "99999"\)/);
    expect(r.stderr).not.toMatch(/undefined/);
  });

  it('a port in use names the port and how to choose another', async () => {
    const port = await httpServer();
    const r = await runCli(['serve', '--port', String(port), '--host', '127.0.0.1'], { env: { DATA_DIR: tempDir(), REDIS_URL: undefined }, timeoutMs: 60_000 });
    expectExplained(r, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use by another program .*choose another port with --port`));
    expect(r.stderr).not.toMatch(/EADDRINUSE/);
  });
});

describe('a reader that closes the pipe early (`paperboy preview … | head -1`)', () => {
  it('ends the command quietly: no EPIPE stack', async () => {
    const dataDir = tempDir();
    const env = { DATA_DIR: dataDir, REDIS_URL: undefined, DATABASE_URL: undefined };
    expect((await runCli(['ingest', '--source', path.join(repoRoot, 'demo', 'feeds', 'arxiv-cs.xml')], { env })).code).toBe(0);
    expect((await runCli(['edition', 'build', '--date', '2026-11-26'], { env })).code).toBe(0);
    const shellEnv: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    delete shellEnv.REDIS_URL;
    delete shellEnv.DATABASE_URL;
    const bin = path.join(repoRoot, 'bin', 'paperboy.js');
    const out = path.join(dataDir, 'preview.html');
    const r = await new Promise<CliResult>((resolve) => {
      const child = spawn('sh', ['-c', `"${process.execPath}" "${bin}" preview --date 2026-11-26 --out "${out}" | head -1`], { cwd: repoRoot, env: shellEnv });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
    expect(r.stdout).toMatch(/^preview of 2026-11-26 /);
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(existsSync(out)).toBe(true);
  }, 120_000);
});
