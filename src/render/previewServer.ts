/**
 * The email preview server (`paperboy preview --serve`, `npm run email:dev`): every email type
 * with sample data, HTML and plain text, on loopback. Templates are rendered in a fresh child
 * process at start and after every change under templates/ (Node caches imported modules, so
 * an in-process render would keep showing the old template); open pages reload themselves.
 */
import { spawn } from 'node:child_process';
import { watch, type FSWatcher } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapeHtml } from '../lib/html.ts';
import type { SampleEmail } from './previewSamples.ts';
import type { ViewOptions } from '../../templates/email/view.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const templatesDir = path.join(repoRoot, 'templates');

export interface PreviewServer {
  url: string;
  /** Bumped after each render that followed a template change. */
  version(): number;
  close(): Promise<void>;
}

function renderInChild(opts: ViewOptions): Promise<SampleEmail[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./previewSamples.ts', import.meta.url)), JSON.stringify(opts)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as SampleEmail[]) : reject(new Error(err.trim() || `the template render exited with ${code}`)),
    );
  });
}

// the preview page only: emails themselves never carry script
const reloader = (version: number) =>
  `<script>setInterval(async()=>{try{const v=await (await fetch('/__version')).text();if(v!=='${version}')location.reload()}catch{}},1000)</script>`;

export async function startPreviewServer(opts: { port: number; host?: string; view: ViewOptions; onRender?: (error?: Error) => void }): Promise<PreviewServer> {
  let emails: SampleEmail[] = [];
  let failure: string | undefined;
  let version = 0;
  let pending: Promise<void> | undefined;
  let again = false;
  const render = async () => {
    try {
      emails = await renderInChild(opts.view);
      failure = undefined;
      opts.onRender?.();
    } catch (err) {
      failure = (err as Error).message;
      opts.onRender?.(err as Error);
    }
    version++;
  };
  const rerender = () => {
    if (pending) {
      again = true;
      return;
    }
    pending = render().finally(() => {
      pending = undefined;
      if (again) {
        again = false;
        rerender();
      }
    });
  };
  await render();
  let watcher: FSWatcher | undefined = watch(templatesDir, { recursive: true }, () => rerender());

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, type: string, body: string) =>
      res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' }).end(body);
    if (url.pathname === '/__version') return send(200, 'text/plain', String(version));
    if (failure)
      return send(
        500,
        'text/html',
        `<!doctype html><title>Render failed</title><h1>The templates do not render</h1><pre>${escapeHtml(failure)}</pre>${reloader(version)}`,
      );
    if (url.pathname === '/') {
      const rows = emails
        .map(
          (e) =>
            `<li><a href="/${e.name}.html">${escapeHtml(e.name)}</a> · <a href="/${e.name}.txt">text</a> — ${escapeHtml(e.subject)} (${(Buffer.byteLength(e.html) / 1024).toFixed(1)} KB)</li>`,
        )
        .join('');
      return send(
        200,
        'text/html',
        `<!doctype html><meta name="viewport" content="width=device-width, initial-scale=1"><title>Email preview</title><h1>Email preview</h1><p>Sample data; edits under templates/ re-render and reload this page.</p><ul>${rows}</ul>${reloader(version)}`,
      );
    }
    const m = /^\/([a-z-]+)\.(html|txt)$/.exec(url.pathname);
    const email = m && emails.find((e) => e.name === m[1]);
    if (!email) return send(404, 'text/plain', `no such email: try one of ${emails.map((e) => `/${e.name}.html`).join(', ')}`);
    if (m[2] === 'txt') return send(200, 'text/plain', email.text);
    return send(200, 'text/html', email.html.replace('</body>', `${reloader(version)}</body>`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    version: () => version,
    async close() {
      watcher?.close();
      watcher = undefined;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pending;
    },
  };
}
