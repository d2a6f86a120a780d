/** `paperboy doctor` finds what would hurt in production, with the fix, and answers within seconds. */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisOptions } from '../../src/queues/redisClient.ts';
import { startPrivateRedis } from '../../src/queues/privateRedis.ts';
import { freePort } from '../../src/lib/process.ts';
import { deploymentChecks } from '../../src/doctor.ts';
import { redisUrl, repoRoot, runCli, tempDir } from '../harness/index.ts';
import { startSesStandIn } from '../harness/sesStandIn.ts';

const closers: (() => Promise<void> | void)[] = [];

/** `paperboy doctor` against an SES endpoint, with this config (sources left out) and the shared test Redis. */
async function doctorWith(sesUrl: string, config: Record<string, unknown>, env: Record<string, string> = {}) {
  const dir = tempDir();
  const file = path.join(dir, 'paperboy.config.json');
  writeFileSync(file, JSON.stringify(config));
  return runCli(['doctor'], {
    env: { ...SES_ENV, DATA_DIR: dir, PAPERBOY_CONFIG: file, REDIS_URL: redisUrl(), SES_ENDPOINT: sesUrl, ...env },
    timeoutMs: 60_000,
  });
}

/** Every README section doctor points to exists. */
function expectReadmeSections(out: string): void {
  const headings = readFileSync(path.join(repoRoot, 'README.md'), 'utf8')
    .match(/^#+ .+$/gm)!
    .map((h) => h.replace(/^#+ /, ''));
  for (const [, name] of out.matchAll(/README, "([^"]+)"/g)) expect(headings, `doctor points to README, "${name}"`).toContain(name);
}
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

const SES_ENV = {
  MAIL_TRANSPORT: 'ses',
  SES_REGION: 'eu-west-1',
  MAIL_FROM: 'Daily Papers <papers@example.org>',
  PUBLIC_URL: 'https://papers.example.org',
  SECRET_KEY: 'doctor-test-secret-0123456789',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'doctor-test',
};

describe('paperboy doctor', () => {
  it('reports the Redis version, and fails an evicting maxmemory-policy with the fix', async () => {
    const redis = await startPrivateRedis(tempDir());
    closers.push(() => redis.stop());
    const admin = new Redis(redisOptions(redis.url));
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    admin.disconnect();
    const r = await runCli(['doctor'], { env: { DATA_DIR: tempDir(), REDIS_URL: redis.url } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ok\s+redis: redis:\/\/127\.0\.0\.1:\d+, Redis \d+\.\d+\.\d+$/m);
    expect(r.stdout).toMatch(/^FAIL\s+redis maxmemory-policy: allkeys-lru: .*set "maxmemory-policy noeviction"/m);
    expect(r.stdout).toMatch(/^ok\s+database: sqlite at .*, schema up to date \(\d+ migrations\)/m);
  });

  it('fails a plain-http PUBLIC_URL on a public host: the signed links would travel unencrypted', async () => {
    const r = await runCli(['doctor'], { env: { DATA_DIR: tempDir(), REDIS_URL: undefined, PUBLIC_URL: 'http://papers.example.org' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL\s+links: PUBLIC_URL http:\/\/papers\.example\.org is plain http on a public host.*use https:\/\//m);
  });

  it('SES that never answers: a named error within seconds', async () => {
    const server = net.createServer((s) => s.on('error', () => {}));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => {
      server.close();
    });
    const port = (server.address() as net.AddressInfo).port;
    const r = await runCli(['doctor'], {
      env: { ...SES_ENV, DATA_DIR: tempDir(), REDIS_URL: undefined, SES_ENDPOINT: `http://127.0.0.1:${port}` },
      timeoutMs: 40_000,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^FAIL\\s+ses: http://127\\.0\\.0\\.1:${port} did not answer within 5 s`, 'm'));
  });

  it('an SES account in the sandbox (the SES stand-in on loopback) fails, with its limits', async () => {
    process.env.AWS_SES_ACCOUNT = JSON.stringify({
      DedicatedIpAutoWarmupEnabled: false,
      Details: {
        AdditionalContactEmailAddresses: [],
        ContactLanguage: 'EN',
        MailType: 'MARKETING',
        ReviewDetails: { CaseId: '1', Status: 'PENDING' },
        UseCaseDescription: 'papers',
        WebsiteURL: 'https://papers.example.org',
      },
      EnforcementStatus: 'HEALTHY',
      ProductionAccessEnabled: false,
      SendingEnabled: true,
      SendQuota: { Max24HourSend: 200, MaxSendRate: 1, SentLast24Hours: 0 },
      SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    });
    // a CommonJS module: its `default` export is the server function
    const sesLocal = (await import('aws-ses-v2-local')).default as unknown as (config: { host: string; port: number }) => Promise<Server>;
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const server: Server = await sesLocal({ host: '127.0.0.1', port });
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const r = await runCli(['doctor'], {
      env: { ...SES_ENV, DATA_DIR: tempDir(), REDIS_URL: undefined, SES_ENDPOINT: `http://127.0.0.1:${port}` },
      timeoutMs: 40_000,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL\s+ses account: in the SES sandbox: .*request production access .*\(limits 1\/s, 200 a day\)/m);
    // the SDK's own multi-line warning would break LOG_FORMAT=json readers: doctor says it once
    expect(r.stderr).not.toMatch(/NodeVersionSupportWarning/);
    if (Number(process.versions.node.split('.')[0]) < 22)
      expect(r.stdout).toMatch(/^warn\s+node: Node\.js 20\.\S+: AWS SDK releases after .* need Node\.js 22/m);
  });

  it('judges the sender identity as SES does: the domain or the address verified, and DKIM on the domain', async () => {
    const ses = await startSesStandIn();
    closers.push(() => ses.close());
    ses.quota = { max24HourSend: 50_000, maxSendRate: 14, sentLast24Hours: 12 };
    const doctor = () => runCli(['doctor'], { env: { ...SES_ENV, DATA_DIR: tempDir(), REDIS_URL: undefined, SES_ENDPOINT: ses.url }, timeoutMs: 40_000 });

    let r = await doctor();
    expect(r.stdout).toMatch(/^ok\s+ses account: out of the sandbox$/m);
    expect(r.stdout).toMatch(/^ok\s+ses quota: 14 messages\/s \(send\.ratePerSecond 14 fits\), 50000 a day, 12 sent in the last 24 h/m);
    expect(r.stdout).toMatch(
      /^FAIL\s+sender identity: neither papers@example\.org nor example\.org is a verified SES identity in eu-west-1: SES refuses every send/m,
    );

    ses.identities.set('papers@example.org', { verified: true, dkim: 'NOT_STARTED' });
    r = await doctor();
    expect(r.stdout).toMatch(
      /^warn\s+sender identity: papers@example\.org is verified as an address, but example\.org is not an SES identity: .*DMARC alignment fails/m,
    );

    ses.identities.set('example.org', { verified: true, dkim: 'PENDING' });
    r = await doctor();
    expect(r.stdout).toMatch(/^FAIL\s+sender identity: example\.org verified, but DKIM is PENDING: publish the DKIM CNAME records/m);

    ses.identities.set('example.org', { verified: true, dkim: 'SUCCESS' });
    r = await doctor();
    expect(r.stdout).toMatch(/^ok\s+sender identity: example\.org verified, DKIM on$/m);
    expect(r.stdout).not.toMatch(/^FAIL\s+ses/m);
  }, 120_000);

  it('aws-ses-v2-local, which implements few of the calls doctor makes: "not checked" (a warning) for each, never a FAIL', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, [path.join(repoRoot, 'node_modules/aws-ses-v2-local/dist/cli.js'), '--host', '127.0.0.1', '--port', String(port)], {
      stdio: 'ignore',
      env: { ...process.env, AWS_SES_ACCOUNT: '' },
    });
    closers.push(() => {
      child.kill('SIGTERM');
    });
    for (
      let i = 0;
      !(await fetch(`${url}/health-check`).then(
        (res) => res.ok,
        () => false,
      ));
      i++
    ) {
      if (i > 200) throw new Error('aws-ses-v2-local did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const r = await doctorWith(url, { mail: { postalAddress: '1 Example Street, Springfield', configurationSet: 'daily' } });
    expect(r.stdout).toMatch(
      new RegExp(
        `^warn\\s+ses account: not checked: ${url} does not answer GetAccount \\(HTTP 400 Bad Request Exception: aws-ses-v2-local: Account not found\\)`,
        'm',
      ),
    );
    expect(r.stdout).toMatch(
      new RegExp(`^warn\\s+sender identity: not checked: ${url} does not answer GetEmailIdentity \\(HTTP 404, not an SES answer\\)`, 'm'),
    );
    expect(r.stdout).toMatch(
      new RegExp(`^warn\\s+configuration set: not checked: ${url} does not answer GetConfigurationSet \\(HTTP 404, not an SES answer\\)`, 'm'),
    );
    expect(r.stdout).not.toMatch(/^FAIL/m);
    expect(r.code, r.stdout).toBe(0);
    expectReadmeSections(r.stdout);
  }, 120_000);

  it('says per SES check what is wrong and the fix: sending paused, the rate and the quota, the configuration set and its bounce and complaint events', async () => {
    const ses = await startSesStandIn();
    closers.push(() => ses.close());
    const topic = 'arn:aws:sns:eu-west-1:123456789012:paperboy-ses-feedback';
    ses.quota = { max24HourSend: 50_000, maxSendRate: 14, sentLast24Hours: 12 };
    ses.identities.set('example.org', { verified: true, dkim: 'SUCCESS' });
    const config = { mail: { postalAddress: '1 Example Street, Springfield', configurationSet: 'daily' } };
    const outputs: string[] = [];
    const doctor = async (extra: Record<string, unknown> = {}, env: Record<string, string> = {}) => {
      const r = await doctorWith(ses.url, { ...config, ...extra }, env);
      outputs.push(r.stdout);
      return r;
    };

    // the configuration set mail.configurationSet names does not exist: SES refuses every message
    let r = await doctor();
    expect(r.stdout).toMatch(
      /^FAIL\s+configuration set: "daily" does not exist in eu-west-1: SES refuses every message that names it; create it .*or correct mail\.configurationSet/m,
    );

    // it exists, but publishes no bounces or complaints to SNS
    ses.configurationSets.set('daily', { sendingEnabled: true, destinations: [{ name: 'cloudwatch', enabled: true, types: ['SEND', 'DELIVERY'] }] });
    r = await doctor();
    expect(r.stdout).toMatch(
      /^warn\s+configuration set: "daily" publishes no BOUNCE, COMPLAINT events to SNS: .*add an SNS event destination .*\(README, "Bounces, complaints and suppression"\)/m,
    );

    // to a topic /webhooks/ses refuses
    ses.configurationSets.set('daily', {
      sendingEnabled: true,
      destinations: [{ name: 'feedback', enabled: true, types: ['BOUNCE', 'COMPLAINT', 'DELIVERY'], snsTopicArn: topic }],
    });
    r = await doctor();
    expect(r.stdout).toMatch(
      new RegExp(
        `^warn\\s+configuration set: "daily" publishes bounces and complaints to ${topic}, which SNS_TOPIC_ARNS does not list: /webhooks/ses refuses its messages; add it to SNS_TOPIC_ARNS`,
        'm',
      ),
    );

    // everything right: one ok per check
    r = await doctor({}, { SNS_TOPIC_ARNS: topic });
    expect(r.stdout).toMatch(/^ok\s+ses account: out of the sandbox$/m);
    expect(r.stdout).toMatch(/^ok\s+ses sending: enabled \(enforcement status HEALTHY\)$/m);
    expect(r.stdout).toMatch(/^ok\s+ses quota: 14 messages\/s \(send\.ratePerSecond 14 fits\), 50000 a day, 12 sent in the last 24 h/m);
    expect(r.stdout).toMatch(/^ok\s+sender identity: example\.org verified, DKIM on$/m);
    expect(r.stdout).toMatch(new RegExp(`^ok\\s+configuration set: "daily", sending enabled; bounces and complaints go to ${topic}$`, 'm'));
    expect(r.code, r.stdout).toBe(0);

    // sending disabled for the configuration set
    ses.configurationSets.get('daily')!.sendingEnabled = false;
    r = await doctor({}, { SNS_TOPIC_ARNS: topic });
    expect(r.stdout).toMatch(
      /^FAIL\s+configuration set: sending is disabled for "daily": SES refuses its messages; enable it: aws sesv2 put-configuration-set-sending-options --configuration-set-name daily --sending-enabled/m,
    );
    ses.configurationSets.get('daily')!.sendingEnabled = true;

    // the account: sending paused by AWS, a rate above the account's, the quota used up
    ses.paused = true;
    ses.enforcementStatus = 'SHUTDOWN';
    ses.quota = { max24HourSend: 200, maxSendRate: 1, sentLast24Hours: 200 };
    r = await doctor({}, { SNS_TOPIC_ARNS: topic });
    expect(r.stdout).toMatch(/^FAIL\s+ses sending: paused for the whole account \(enforcement status SHUTDOWN\): SES refuses every message; .*AWS/m);
    expect(r.stdout).toMatch(/^FAIL\s+ses quota: the 24-hour quota is used up \(200 of 200 sent\): nothing goes out until .*ask AWS for a higher quota/m);
    expect(r.stdout).toMatch(
      /^warn\s+ses quota: send\.ratePerSecond is 14 but the account may send 1 message\/s: SES throttles the rest .*set "send": \{ "ratePerSecond": 1 \}/m,
    );
    expect(r.code).toBe(1);

    // no configuration set: where bounces go is not known to paperboy
    ses.paused = false;
    ses.enforcementStatus = 'HEALTHY';
    r = await doctor({ mail: { postalAddress: '1 Example Street, Springfield' } });
    expect(r.stdout).toMatch(/^warn\s+configuration set: mail\.configurationSet is not set: .*\(README, "SES set-up"\)/m);
    for (const out of outputs) expectReadmeSections(out);
  }, 240_000);

  // judged from the settings alone: a doctor run would connect to that Redis, and tests stay on loopback
  it('warns when a Redis other machines can reach is paired with a SQLite file or no SECRET_KEY', () => {
    const remote = 'redis://:pw@redis.internal:6379';
    expect(deploymentChecks({ redisUrl: 'redis://127.0.0.1:6379', databaseUrl: 'sqlite:/tmp/p.db' })).toEqual([]);
    expect(deploymentChecks({ redisUrl: undefined, databaseUrl: 'sqlite:/tmp/p.db' })).toEqual([]);
    const [sqlite] = deploymentChecks({ redisUrl: remote, databaseUrl: 'sqlite:/tmp/p.db', secretKey: 's' });
    expect(sqlite).toMatchObject({ name: 'several machines', status: 'warn' });
    expect(sqlite!.detail).toMatch(/^Redis at redis\.internal can serve workers on other machines, but DATABASE_URL is a SQLite file .*use PostgreSQL/);
    expect(sqlite!.detail).not.toMatch(/pw/);
    const [noKey] = deploymentChecks({ redisUrl: remote, databaseUrl: 'postgres://db.internal/paperboy' });
    expect(noKey!.detail).toMatch(/SECRET_KEY is not set.*set the same SECRET_KEY on every machine/);
    expect(deploymentChecks({ redisUrl: remote, databaseUrl: 'postgres://db.internal/paperboy', secretKey: 's' })).toEqual([
      { name: 'several machines', status: 'ok', detail: expect.stringMatching(/^Redis at redis\.internal, a shared database and SECRET_KEY/) },
    ]);
  });
});
