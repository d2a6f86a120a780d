/** The transactional mail worker: its own queue, the subscriber reloaded, nothing to those who left. */
import { describe, expect, it } from 'vitest';
import { QUEUE } from '../../src/queues/index.ts';
import { deliverMail, outboxMail, urlencoded, webApp } from './helpers.ts';

describe('transactional mail', () => {
  it('sends a confirmation while an edition of thousands of batches waits on the send queue', async () => {
    const { app, server } = await webApp();
    try {
      await app.queues
        .get(QUEUE.send)
        .addBulk(Array.from({ length: 2000 }, (_, i) => ({ name: 'send', data: { editionId: '2026-11-26', fromId: i * 100 + 1, toId: i * 100 + 100 } })));
      await server.inject({ method: 'POST', url: '/subscribe', ...urlencoded([['email', 'urgent@example.org']]) });
      await server.settled();
      await deliverMail(app);
      const s = (await app.store.subscribers.getByEmail('urgent@example.org'))!;
      const mail = (await outboxMail(app, 'confirm', s.id))!;
      expect(mail.subject).toMatch(/Confirm your subscription/);
      expect(await app.queues.openJobs(QUEUE.send)).toBe(2000);
      await app.queues.get(QUEUE.send).obliterate({ force: true });
    } finally {
      await server.close();
    }
  });

  it('reloads the subscriber: nobody who unsubscribed or was suppressed since the job was queued gets mail', async () => {
    const { app, server } = await webApp();
    try {
      const now = new Date().toISOString();
      const left = (await app.store.subscribers.upsert({ email: 'left@example.org', confirmed: true }, now)).subscriber;
      const bounced = (await app.store.subscribers.upsert({ email: 'bounced@example.org', confirmed: true }, now)).subscriber;
      const stays = (await app.store.subscribers.upsert({ email: 'stays@example.org', confirmed: true }, now)).subscriber;
      for (const s of [left, bounced, stays]) await app.queues.addMail({ kind: 'preferences-changed', subscriberId: s.id });
      await app.store.subscribers.unsubscribe(left.id, now);
      await app.store.suppressions.add('bounced@example.org', 'bounce', 'mailbox does not exist', now);
      await deliverMail(app);
      expect(await outboxMail(app, 'preferences-changed', left.id)).toBeUndefined();
      expect(await outboxMail(app, 'preferences-changed', bounced.id)).toBeUndefined();
      const mail = (await outboxMail(app, 'preferences-changed', stays.id))!;
      expect(mail.text).toMatch(/Your preferences are now/);
      expect(mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line).toMatch(/\/unsubscribe\?token=/);
    } finally {
      await server.close();
    }
  });
});

describe('paperboy serve', () => {
  it('sends confirmation emails itself when no mail worker is connected, and stops cleanly on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const { existsSync, readdirSync } = await import('node:fs');
    const path = await import('node:path');
    const { randomBytes } = await import('node:crypto');
    const { repoRoot, redisUrl, tempDir, until } = await import('../harness/index.ts');
    const dir = tempDir();
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'paperboy.js'), '--defaults', 'serve', '--port', '0', '--host', '127.0.0.1'], {
      cwd: dir,
      env: { ...process.env, DATA_DIR: dir, REDIS_URL: redisUrl(), QUEUE_PREFIX: `pbtest-${randomBytes(4).toString('hex')}`, LOG_LEVEL: 'warn' },
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      let stderr = '';
      const address = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 60_000);
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          const m = /serving on (http:\/\/[^\s]+)/.exec(stderr);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      const res = await fetch(`${address}/subscribe`, { method: 'POST', body: new URLSearchParams({ email: 'served@example.org' }) });
      expect(res.status).toBe(200);
      const folder = path.join(dir, 'outbox', 'mail-confirm');
      await until('the confirmation email', () => existsSync(folder) && readdirSync(folder).some((f) => f.endsWith('.eml')), { timeoutMs: 30_000 });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 120_000);
});
