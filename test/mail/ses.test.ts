/**
 * The ses transport, both SDK clients, against two SES-compatible servers on 127.0.0.1:
 * aws-ses-v2-local (a real third-party SES emulator) and our recording stand-in, which keeps
 * the exact bytes and answers throttling, rejection and a paused account on demand.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PreparedMessage, stableMessageId } from '../../src/mail/message.ts';
import { PermanentSendError, QuotaExceededError, SendingPausedError, TransientSendError } from '../../src/mail/messenger.ts';
import { SesMessenger, classifySesError } from '../../src/mail/ses.ts';
import { subscriberLinks } from '../../src/mail/tokens.ts';
import { freePort } from '../../src/lib/process.ts';
import { repoRoot, until } from '../harness/index.ts';
import { startSesStandIn, type SesStandIn } from '../harness/sesStandIn.ts';

// the SDK's default credential chain reads these: never a real account, never a network lookup
process.env.AWS_ACCESS_KEY_ID = 'AKIATESTTESTTEST';
process.env.AWS_SECRET_ACCESS_KEY = 'test-secret';
delete process.env.AWS_PROFILE;

const prepared = new PreparedMessage(
  {
    from: { name: 'Daily Papers', address: 'papers@example.org' },
    list: { id: 'daily.papers.example.org', name: 'paperboy daily papers', bulk: true },
    configurationSet: 'daily',
  },
  {
    subject: 'Daily papers: Ünïcödé',
    text: 'Hello\nUnsubscribe: %%PB_UNSUBSCRIBE_URL%%\n',
    html: '<p>Hello</p>\n<a href="%%PB_UNSUBSCRIBE_URL%%">unsubscribe</a>',
  },
);

function message(id: number, to = `reader${id}@example.org`) {
  const raw = prepared.build({
    to,
    messageId: stableMessageId('secret-secret-secret', '2026-11-26', id, 'example.org'),
    date: new Date(),
    links: subscriberLinks('https://papers.example.org', 'secret-secret-secret', id, 'example.org'),
  });
  return { raw, envelope: { editionId: '2026-11-26', subscriberId: id, to, from: 'papers@example.org', messageId: `<${id}@example.org>` } };
}

describe.each([
  ['v1 (client-ses SendRawEmail)', (endpoint: string) => new SesMessenger('v1', { region: 'eu-west-1', endpoint })],
  ['v2 (client-sesv2 SendEmail raw)', (endpoint: string) => new SesMessenger('v2', { region: 'eu-west-1', endpoint })],
] as const)('the ses transport, %s, against the recording stand-in', (_name, make) => {
  let standIn: SesStandIn;
  beforeAll(async () => {
    standIn = await startSesStandIn();
  });
  afterAll(() => standIn.close());

  it('delivers the exact bytes we built, every line ending in CRLF, to the envelope recipient', async () => {
    const messenger = make(standIn.url);
    const { raw, envelope } = message(1);
    const result = await messenger.send(raw, envelope);
    await messenger.close();
    const got = standIn.messages.at(-1)!;
    expect(result.providerId).toBe(got.messageId);
    expect(got.raw.equals(raw)).toBe(true);
    expect(got.to).toEqual(['reader1@example.org']);
    expect(got.raw.toString('latin1').match(/(?<!\r)\n/g) ?? []).toEqual([]);
    const mail = await simpleParser(got.raw);
    expect(mail.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(mail.headers.get('x-ses-configuration-set')).toBe('daily');
  });

  it('classifies throttling as transient, a rejection as permanent (suppress), a paused account as paused', async () => {
    const messenger = make(standIn.url);
    standIn.throttleUntil = Date.now() + 60_000;
    const throttled = await messenger.send(message(2).raw, message(2).envelope).catch((e) => e);
    standIn.throttleUntil = 0;
    expect(throttled).toBeInstanceOf(TransientSendError);
    expect((throttled as TransientSendError).throttled).toBe(true);

    standIn.reject.add('bad@example.org');
    const rejected = await messenger.send(message(3, 'bad@example.org').raw, message(3, 'bad@example.org').envelope).catch((e) => e);
    expect(rejected).toBeInstanceOf(PermanentSendError);
    expect((rejected as PermanentSendError).suppressAddress).toBe(true);

    standIn.paused = true;
    const paused = await messenger.send(message(4).raw, message(4).envelope).catch((e) => e);
    standIn.paused = false;
    expect(paused).toBeInstanceOf(SendingPausedError);
    await messenger.close();
  });

  it('reads the quota where the endpoint answers, and gives up within the time-out where it does not', async () => {
    const messenger = make(standIn.url);
    standIn.quota = undefined;
    const unanswered = standIn.unansweredQuotaCalls;
    // the endpoint took the call and never answered: undefined is the time-out giving up, not an error answer
    expect(await messenger.quota!(500)).toBeUndefined();
    expect(standIn.unansweredQuotaCalls).toBe(unanswered + 1);
    standIn.quota = { max24HourSend: 50_000, maxSendRate: 14, sentLast24Hours: 120 };
    expect(await messenger.quota!(2_000)).toEqual({ max24HourSend: 50_000, maxSendRate: 14, sentLast24Hours: 120 });
    await messenger.close();
  });
});

describe('error classification', () => {
  it('tells network failures and 5xx (retry) from a refused address (suppress) and a used-up quota (stop until tomorrow)', () => {
    expect(classifySesError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toBeInstanceOf(TransientSendError);
    expect(classifySesError({ name: 'InternalFailure', message: 'boom', $metadata: { httpStatusCode: 503 } })).toBeInstanceOf(TransientSendError);
    expect(classifySesError({ name: 'Throttling', message: 'Daily message quota exceeded.', $metadata: { httpStatusCode: 400 } })).toBeInstanceOf(
      QuotaExceededError,
    );
    expect(classifySesError({ name: 'MessageRejected', message: 'Email address is not verified.', $metadata: { httpStatusCode: 400 } })).toBeInstanceOf(
      SendingPausedError,
    );
    expect(classifySesError({ name: 'InvalidParameterValue', message: 'Illegal address', $metadata: { httpStatusCode: 400 } })).toMatchObject({
      suppressAddress: true,
    });
  });
});

describe('the ses transport against aws-ses-v2-local', () => {
  let child: ChildProcess;
  let url: string;
  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [path.join(repoRoot, 'node_modules/aws-ses-v2-local/dist/cli.js'), '--host', '127.0.0.1', '--port', String(port)], {
      stdio: 'ignore',
    });
    await until(
      'aws-ses-v2-local to start',
      () =>
        fetch(`${url}/health-check`).then(
          (r) => r.ok,
          () => false,
        ),
      { timeoutMs: 20_000, intervalMs: 100 },
    );
  });
  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('accepts raw messages from both clients; it re-composes them, so only subject, body and recipient are compared', async () => {
    for (const [i, messenger] of [
      new SesMessenger('v1', { region: 'eu-west-1', endpoint: url }),
      new SesMessenger('v2', { region: 'eu-west-1', endpoint: url }),
    ].entries()) {
      const { raw, envelope } = message(10 + i);
      const result = await messenger.send(raw, envelope);
      expect(result.providerId).not.toBe('');
      await messenger.close();
    }
    const store = (await (await fetch(`${url}/store`)).json()) as { emails: { subject: string; destination: { to: string[] }; body: { text: string } }[] };
    expect(store.emails.map((e) => e.destination.to.join())).toEqual(['reader10@example.org', 'reader11@example.org']);
    for (const e of store.emails) {
      expect(e.subject).toBe('Daily papers: Ünïcödé');
      expect(e.body.text).toMatch(/^Hello\nUnsubscribe: https:\/\/papers\.example\.org\/unsubscribe\?token=unsubscribe\.[ab]\./);
    }
  });
});
