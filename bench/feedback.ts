/**
 * `npm run bench -- feedback`: how many SES notifications `/webhooks/ses` handles per second
 * (signature check, MessageId dedupe, applying the event, remembering the message), and what the
 * reputation guard's count of sent messages costs on a large edition. SQLite, one process,
 * Fastify inject (no sockets), a certificate made by openssl for the run.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { Store, kyselyOf } from '../src/db/store.ts';
import { createLogger } from '../src/lib/log.ts';
import { systemClock } from '../src/domain/time.ts';
import { registerWebhooks } from '../src/web/webhooks.ts';
import { SnsVerifier, parseSnsMessage, stringToSign } from '../src/web/sns.ts';
import { machineLines, measure as measureInto, RUNS, timingTable, writeSection, type Row } from './lib.ts';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:bench';
const CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-bench.pem';
const NOTIFICATIONS = 2000;
const BIG_EDITION = 100_000;

const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-bench-feedback-'));
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    path.join(dir, 'k.pem'),
    '-out',
    path.join(dir, 'c.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=sns.amazonaws.com',
  ],
  { stdio: 'ignore' },
);
const key = createPrivateKey(readFileSync(path.join(dir, 'k.pem')));
const certificatePem = readFileSync(path.join(dir, 'c.pem'), 'utf8');

function signed(message: unknown, version: '1' | '2' = '2'): string {
  const m = {
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: TOPIC,
    Message: JSON.stringify(message),
    Timestamp: new Date().toISOString(),
    SignatureVersion: version,
    SigningCertURL: CERT_URL,
    Signature: '',
  } as const;
  return JSON.stringify({ ...m, Signature: sign(version === '1' ? 'sha1' : 'sha256', Buffer.from(stringToSign(m)), key).toString('base64') });
}

async function editionStore(name: string, sent: number): Promise<Store> {
  const store = await Store.open(`sqlite:${path.join(dir, `${name}.db`)}`);
  const now = new Date().toISOString();
  await store.editions.insertFrozen(
    { id: '2026-11-26', kind: 'daily', date: '2026-11-26', content: { kind: 'daily', date: '2026-11-26', top: [], sections: [], papers: {}, considered: 0 } },
    now,
  );
  const rows = Array.from({ length: sent }, (_, i) => ({
    editionId: '2026-11-26',
    subscriberId: i + 1,
    variantKey: 'all',
    messageId: `<2026-11-26.${i + 1}@papers.example.org>`,
  }));
  await store.transaction((s) => s.deliveries.insertPending(rows, now));
  await kyselyOf(store).updateTable('deliveries').set({ status: 'sent', sent_at: now }).execute();
  return store;
}

const delivery = (i: number) => ({
  notificationType: 'Delivery',
  delivery: { recipients: [`reader${i}@example.org`], smtpResponse: '250 ok' },
  mail: { messageId: `ses-${i}`, destination: [`reader${i}@example.org`], commonHeaders: { messageId: `<2026-11-26.${i}@papers.example.org>` } },
});

// the machine is shared: its load says how far these figures are from an idle run
const loadAtStart = os.loadavg()[0]!;
const rows: Row[] = [];
const measure = (what: string, runs: number, fn: () => Promise<number | void>) => measureInto(rows, what, runs, fn);
const rates: string[] = [];

{
  const verifier = new SnsVerifier({ fetchCertificate: async () => certificatePem });
  for (const version of ['1', '2'] as const) {
    const bodies = Array.from({ length: NOTIFICATIONS }, (_, i) => parseSnsMessage(signed(delivery(i + 1), version)));
    await verifier.verify(bodies[0]!);
    await measure(`verify ${NOTIFICATIONS} SNS signatures, SignatureVersion ${version} (certificate cached)`, RUNS, async () => {
      const t0 = performance.now();
      for (const m of bodies) await verifier.verify(m);
      return performance.now() - t0;
    });
    rates.push(`- SignatureVersion ${version}: ${Math.round((NOTIFICATIONS / rows[rows.length - 1]!.median) * 1000).toLocaleString('en')} verifications/s`);
  }
}

{
  const runs: number[] = [];
  const cpuRuns: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const store = await editionStore(`webhook-${run}`, NOTIFICATIONS);
    const server = Fastify({ logger: false });
    await registerWebhooks(
      server,
      { store, secretKey: 'bench-secret-0123456789', clock: systemClock, env: { snsTopicArns: [TOPIC] }, log: createLogger({}, { level: 'error' }) },
      { fetchCertificate: async () => certificatePem },
    );
    await server.ready();
    const bodies = Array.from({ length: NOTIFICATIONS }, (_, i) => signed(delivery(i + 1)));
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (const payload of bodies) {
      const res = await server.inject({ method: 'POST', url: '/webhooks/ses', headers: { 'content-type': 'text/plain; charset=UTF-8' }, payload });
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${res.body}`);
    }
    runs.push(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    cpuRuns.push((cpu.user + cpu.system) / 1000);
    const counted = (await store.feedback.editionCounts('2026-11-26')).delivered;
    if (counted !== NOTIFICATIONS) throw new Error(`expected ${NOTIFICATIONS} deliveries counted, got ${counted}`);
    await server.close();
    await store.close();
  }
  const row = {
    what: `POST /webhooks/ses: ${NOTIFICATIONS} signed Delivery notifications, one after another (verify, dedupe, map to the delivery, count, remember)`,
    median: [...runs].sort((a, b) => a - b)[Math.floor(runs.length / 2)]!,
    runs,
  };
  rows.push(row);
  const cpuMedian = [...cpuRuns].sort((a, b) => a - b)[Math.floor(cpuRuns.length / 2)]!;
  rates.push(
    `- webhook: ${Math.round((NOTIFICATIONS / row.median) * 1000).toLocaleString('en')} notifications/s (${((row.median / NOTIFICATIONS) * 1000).toFixed(0)} µs each, wall clock); CPU time of this process ${((cpuMedian / NOTIFICATIONS) * 1000).toFixed(0)} µs per notification, i.e. about ${Math.round((NOTIFICATIONS / cpuMedian) * 1000).toLocaleString('en')}/s on one idle core`,
  );
  process.stderr.write(`${row.what}: median ${row.median.toFixed(1)} ms\n`);
}

{
  const store = await editionStore('guard', BIG_EDITION);
  await measure(
    `reputation guard: count the sent messages of a ${BIG_EDITION.toLocaleString('en')}-delivery edition (once per new bounce or complaint past the guard's minimum)`,
    RUNS,
    async () => {
      const t0 = performance.now();
      const sent = (await store.deliveries.countByStatus('2026-11-26')).sent;
      if (sent !== BIG_EDITION) throw new Error(`expected ${BIG_EDITION} sent, got ${sent}`);
      return performance.now() - t0;
    },
  );
  await store.close();
}

rmSync(dir, { recursive: true, force: true });
writeSection(
  'feedback',
  [
    '## SES feedback (`npm run bench -- feedback`)',
    '',
    ...machineLines(),
    `- load average (1 min) at the start: ${loadAtStart.toFixed(1)}, at the end: ${os.loadavg()[0]!.toFixed(1)}`,
    '',
    ...timingTable(rows),
    '',
    ...rates,
    '',
  ].join('\n'),
);
