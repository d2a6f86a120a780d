/** `doctor` and `demo`: checking an installation, and showing one working end to end. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { App } from '../../app.ts';
import { createLogger } from '../../lib/log.ts';
import { EXIT, describeError, output, settingsOptions, untilStopSignal, UsageError, wholeNumberOption } from '../runtime.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function registerOpsCommands(program: Command): void {
  program
    .command('doctor')
    .description(
      'check the configuration, Redis, the database, the mail transport and the sender identity; with MAIL_TRANSPORT=ses the account (sandbox, sending enabled), its quota and rate, the identity (verified, DKIM) and the configuration set (exists, bounces and complaints to SNS), each with its fix',
    )
    .action(async () => {
      const { runChecks } = await import('../../doctor.ts');
      let checks: { name: string; status: 'ok' | 'warn' | 'fail'; detail: string }[];
      let app: App | undefined;
      try {
        const { bootApp } = await import('../../app.ts');
        app = await bootApp({ ...settingsOptions(), log: createLogger({}, { level: 'error' }) });
        checks = await runChecks(app);
      } catch (err) {
        checks = [{ name: 'boot', status: 'fail', detail: describeError(err) }];
      } finally {
        await app?.close();
      }
      const label = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
      for (const c of checks) output.line(`${label[c.status]}  ${c.name}: ${c.detail}`);
      process.exitCode = checks.some((c) => c.status === 'fail') ? EXIT.failed : EXIT.ok;
    });

  program
    .command('serve')
    .description(
      'the HTTP service: subscribe, confirm, preferences, one-click unsubscribe, the archive, search, feeds, /healthz, /readyz, /metrics, /admin/queues',
    )
    .option('--port <n>', 'port, 0 to 65535 (default: PORT, else 3000; 0: any free port)')
    .option('--host <address>', 'address to listen on', '0.0.0.0')
    .addHelpText(
      'after',
      '\nBehind nginx or a load balancer, set web.trustProxy in the config file (the proxies\' addresses, or\ntheir number) so that the /subscribe rate limit counts each client, not the proxy: see the README,\n"Behind a proxy or load balancer".',
    )
    .action(async (opts: { port?: string; host: string }) => {
      const { withApp } = await import('../runtime.ts');
      // checked before anything starts (0: any free port)
      const portOption = opts.port === undefined ? undefined : wholeNumberOption('--port', opts.port, 0, 65535);
      // listened for before anything starts: systemd's stop can come while the service starts,
      // and is a clean stop then too (exit 0), not a kill (143)
      const stopSignal = untilStopSignal();
      process.exitCode = await withApp(
        async (app) => {
          const port = portOption ?? app.env.port;
          const { buildServer } = await import('../../web/server.ts');
          const { ensureWorkers } = await import('../operations.ts');
          const server = await buildServer(app);
          const address = await server.listen({ port, host: opts.host }).catch((err: NodeJS.ErrnoException) => {
            throw listenError(err, opts.host, port, opts.port !== undefined ? '--port' : 'PORT');
          });
          // confirmation emails must not wait for the next `run --once`: without a mail
          // worker anywhere, this process sends them
          const mail = await ensureWorkers(app, ['mail']);
          app.log.info('serving', { address, publicUrl: app.env.publicUrl, mailWorker: mail.stages.length > 0 ? 'in this process' : 'elsewhere' });
          output.note(`paperboy: serving on ${address} (links in emails point to ${app.env.publicUrl})`);
          await stopSignal;
          await server.close();
          await mail.close();
          return EXIT.ok;
        },
        { longRunning: true },
      );
    });

  program
    .command('demo')
    .description('a complete run on the sample feeds in demo/feeds, served from a loopback HTTP server, with one demo subscriber')
    .option('--keep', 'keep the previous demo data instead of starting afresh')
    .action(async (opts: { keep?: boolean }) => {
      process.exitCode = await runDemo(Boolean(opts.keep));
    });
}

/** Why `serve` could not listen, and what to change. */
function listenError(err: NodeJS.ErrnoException, host: string, port: number, from: string): Error {
  if (err.code === 'EADDRINUSE')
    return new UsageError(
      `port ${port} on ${host} is already in use by another program (another \`paperboy serve\`?): stop it, or choose another port with ${from}`,
    );
  if (err.code === 'EACCES')
    return new UsageError(
      `port ${port} on ${host} needs administrator rights (ports below 1024 do): choose a port of 1024 or above with ${from}, and put a reverse proxy in front`,
    );
  if (err.code === 'EADDRNOTAVAIL') return new UsageError(`${host} is not an address of this machine: use --host 0.0.0.0 (every interface) or 127.0.0.1`);
  return err;
}

/** The edition day of the sample feeds (see demo/feeds/README.md). */
export const DEMO_DATE = '2026-11-26';

async function runDemo(keep: boolean): Promise<number> {
  const feeds = path.join(repoRoot, 'demo', 'feeds');
  // always a folder of its own under DATA_DIR: the demo must never touch an operator's data
  const dataDir = path.resolve(process.env.DATA_DIR ?? 'data', 'demo');
  const marker = path.join(dataDir, '.paperboy-demo');
  if (!keep && existsSync(dataDir)) {
    if (!existsSync(marker)) {
      output.note(`paperboy demo: ${dataDir} exists and was not made by the demo; move it away or run with --keep`, 'error');
      return EXIT.failed;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(marker, 'made by `paperboy demo`; deleted and made again by the next demo\n');
  const server = http.createServer((req, res) => {
    const name = path.basename(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = path.join(feeds, name);
    if (!name || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    const type = name.endsWith('.json') ? 'application/json' : name.endsWith('.atom') ? 'application/atom+xml' : 'application/rss+xml';
    res.writeHead(200, { 'content-type': `${type}; charset=utf-8` }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const base = JSON.parse(readFileSync(path.join(repoRoot, 'paperboy.config.json'), 'utf8'));
    const config = {
      ...base,
      sources: [
        { name: 'demo-arxiv', kind: 'arxiv-rss', url: `http://127.0.0.1:${port}/arxiv-cs.xml`, allowLocal: true },
        { name: 'demo-hf', kind: 'hf-daily', url: `http://127.0.0.1:${port}/hf-daily.json`, allowLocal: true },
        { name: 'demo-blog', kind: 'rss', url: `http://127.0.0.1:${port}/lab-blog.atom`, allowLocal: true },
      ],
    };
    const configPath = path.join(dataDir, 'paperboy.config.json');
    writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PAPERBOY_CONFIG: configPath, MAIL_TRANSPORT: 'outbox' };
    delete env.DATABASE_URL;
    delete env.OUTBOX_DIR;
    const bin = path.join(repoRoot, 'bin', 'paperboy.js');
    const step = async (title: string, args: string[]): Promise<number> => {
      output.line(`\n$ paperboy ${args.join(' ')}    # ${title}`);
      const child = spawn(process.execPath, [bin, ...args], { env, stdio: 'inherit' });
      return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
    };
    const steps: [string, string[]][] = [
      ['one demo subscriber, every topic', ['subscribers', 'add', 'reader@example.org', '--confirmed']],
      ['a second one, who only wants two topics', ['subscribers', 'add', 'nlp-fan@example.org', '--topics', 'language-models,alignment-safety', '--confirmed']],
      ['ingest, rank, build, render, send', ['run', '--once', '--date', DEMO_DATE]],
      ['the edition as the archive stores it', ['edition', 'show', '--date', DEMO_DATE]],
      ['an HTML preview', ['preview', '--date', DEMO_DATE, '--out', path.join(dataDir, 'preview.html')]],
    ];
    for (const [title, args] of steps) {
      const code = await step(title, args);
      if (code !== 0) {
        output.note(`paperboy demo: \`paperboy ${args.join(' ')}\` exited with ${code}`, 'error');
        return EXIT.failed;
      }
    }
    const outbox = path.join(dataDir, 'outbox', DEMO_DATE);
    const emails = existsSync(outbox) ? readdirSync(outbox).filter((f) => f.endsWith('.eml')) : [];
    output.line('\nDone.');
    output.line(`  ${emails.length} email(s) (.eml, open them in any mail client): ${outbox}`);
    output.line(`  HTML preview: ${path.join(dataDir, 'preview.html')}`);
    output.line(`  plain-text preview: ${path.join(dataDir, 'preview.txt')}`);
    output.line(`  the demo's configuration and data: ${dataDir}`);
    return EXIT.ok;
  } catch (err) {
    output.note(`paperboy demo: ${describeError(err)}`, 'error');
    return EXIT.failed;
  } finally {
    server.close();
  }
}
