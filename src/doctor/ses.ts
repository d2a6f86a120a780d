/**
 * What `paperboy doctor` asks SES: one check per thing sending depends on, each saying what is
 * wrong and the fix. The account (out of the sandbox? sending enabled?), its quota against
 * `send.ratePerSecond` and an edition's readers, the sender identity (verified, DKIM), and the
 * configuration set (it exists, sends, and publishes bounces and complaints to a topic
 * `/webhooks/ses` accepts). An endpoint that does not implement a call (an SES emulator, a
 * proxy) gets "not checked" for it: a warning, since nothing is known to be wrong. Every call has
 * a time-out and one attempt; an endpoint that cannot be asked at all is one FAIL, and no more calls.
 */
import type { App } from '../app.ts';
import { parseAddress } from '../mail/message.ts';
import { sesInspector } from '../mail/ses.ts';
import { currentEditionDay } from '../domain/time.ts';
import { fail, ok, warn, type Check } from './check.ts';

/** How long the SES API may take to answer one call. */
export const SES_CHECK_TIMEOUT_MS = 5_000;

const SET_UP = 'README, "SES set-up"';
const FEEDBACK = 'README, "Bounces, complaints and suppression"';

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  /** aws-ses-v2-local's own words. */
  detail?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Why no call can be made: said once, as the `ses` check's FAIL. */
class SesStop extends Error {}

type Asked<T> = { answer: T } | { notFound: true } | { notChecked: string };

/** What an error says about a call: not found, not answered (not checked), or a reason to stop asking. */
function judged(err: unknown, call: string, where: string): Asked<never> {
  const e = err as SdkError;
  const text = `${e.name} ${e.code ?? ''} ${e.message}`;
  if (/timeout|timed out|ETIMEDOUT|socket hang up|abort/i.test(text))
    throw new SesStop(`${where} did not answer within ${SES_CHECK_TIMEOUT_MS / 1000} s: check SES_REGION / SES_ENDPOINT and the network`);
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|EHOSTUNREACH/.test(text))
    throw new SesStop(`${where} cannot be reached (${/E[A-Z_]+/.exec(text)![0]}): check SES_REGION / SES_ENDPOINT and the network`);
  if (/credential/i.test(text))
    throw new SesStop(`no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, or an instance role): ${e.message}`);
  if (e.name === 'NotFoundException') return { notFound: true };
  const status = e.$metadata?.httpStatusCode;
  const firstLine = (e.message ?? String(err)).split('\n')[0]!;
  // the SDK found no SES error in the answer (name "Unknown", or a body it could not read)
  const unreadable = e.name === 'Unknown' || e.name === 'SyntaxError' || /Deserialization error/.test(e.message ?? '');
  const said =
    unreadable && e.name !== 'Unknown'
      ? `HTTP ${status}, not an SES answer`
      : `${status ? `HTTP ${status} ` : ''}${firstLine}${e.detail ? `: ${e.detail}` : ''}`;
  if (unreadable || status === 404 || status === 405 || status === 501) return { notChecked: `not checked: ${where} does not answer ${call} (${said})` };
  if (status === 403 || /AccessDenied/.test(e.name ?? ''))
    return { notChecked: `not checked: these credentials may not call ${call} (${said}): allow ses:${call} to them` };
  if (status !== undefined && status >= 500) return { notChecked: `not checked: ${where} failed to answer ${call} (${said}); run doctor again` };
  throw new SesStop(`${where} refused ${call}: ${e.name ?? 'error'}: ${firstLine}`);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export async function sesChecks(app: Pick<App, 'env' | 'config' | 'store' | 'clock'>): Promise<Check[]> {
  const { env, config } = app;
  const ses = sesInspector({ region: env.sesRegion, endpoint: env.sesEndpoint }, SES_CHECK_TIMEOUT_MS);
  const where = env.sesEndpoint ?? `SES in ${env.sesRegion}`;
  const ask = async <T>(call: string, send: () => Promise<T>): Promise<Asked<T>> => {
    try {
      return { answer: await send() };
    } catch (err) {
      return judged(err, call, where);
    }
  };
  const checks: Check[] = [];
  try {
    const account = await ask('GetAccount', ses.account);
    checks.push(
      ...accountChecks(account, config.send, await app.store.subscribers.countReadersAfter('daily', currentEditionDay(app.clock.now(), config.edition), 0)),
    );

    const from = parseAddress(env.mailFrom).address;
    const identity = (name: string) => ask('GetEmailIdentity', () => ses.identity(name));
    checks.push(await identityCheck(from, env.sesRegion ?? '', identity));

    const set = config.mail.configurationSet;
    if (!set) {
      checks.push(
        warn(
          'configuration set',
          `mail.configurationSet is not set: paperboy cannot check that SES reports bounces and complaints to /webhooks/ses; send the identity's notifications to that SNS topic, or create a configuration set with an SNS event destination and name it in mail.configurationSet (${SET_UP})`,
        ),
      );
    } else {
      const found = await ask('GetConfigurationSet', () => ses.configurationSet(set));
      const destinations = () => ask('GetConfigurationSetEventDestinations', () => ses.eventDestinations(set));
      checks.push(await configurationSetCheck(set, env, found, destinations));
    }
  } catch (err) {
    if (!(err instanceof SesStop)) throw err;
    checks.push(fail('ses', err.message));
  } finally {
    ses.close();
  }
  return checks;
}

interface Account {
  ProductionAccessEnabled?: boolean;
  SendingEnabled?: boolean;
  EnforcementStatus?: string;
  SendQuota?: { Max24HourSend?: number; MaxSendRate?: number; SentLast24Hours?: number };
}

function accountChecks(asked: Asked<Account>, send: App['config']['send'], readers: number): Check[] {
  if (!('answer' in asked)) {
    const why = 'notChecked' in asked ? asked.notChecked : 'not checked: GetAccount answered "not found"';
    return [warn('ses account', `${why}: the sandbox, whether sending is enabled and the quota are unknown; check them in the SES console (${SET_UP})`)];
  }
  const a = asked.answer;
  const q = a.SendQuota ?? {};
  const limits = `limits ${q.MaxSendRate ?? '?'}/s, ${q.Max24HourSend ?? '?'} a day`;
  const checks: Check[] = [];

  if (a.ProductionAccessEnabled === false) {
    checks.push(
      fail('ses account', `in the SES sandbox: only verified addresses receive mail; request production access in the SES console (${limits}); see ${SET_UP}`),
    );
  } else if (a.ProductionAccessEnabled === true) checks.push(ok('ses account', 'out of the sandbox'));
  else checks.push(warn('ses account', `not checked: GetAccount does not say whether the account is out of the sandbox (${SET_UP})`));

  const status = a.EnforcementStatus;
  if (a.SendingEnabled === false) {
    const fix =
      status === 'SHUTDOWN'
        ? "AWS stopped the account: see the SES console's reputation dashboard and answer AWS's case"
        : 'fix the cause the reputation dashboard shows, then `aws sesv2 put-account-sending-attributes --sending-enabled` (or ask AWS if they paused it)';
    checks.push(fail('ses sending', `paused for the whole account${status ? ` (enforcement status ${status})` : ''}: SES refuses every message; ${fix}`));
  } else if (status === 'PROBATION') {
    checks.push(
      warn(
        'ses sending',
        `enabled, but the account is on probation: its bounce or complaint rate is too high and AWS may stop it; see the reputation dashboard and clean the list (${FEEDBACK})`,
      ),
    );
  } else if (a.SendingEnabled === true) checks.push(ok('ses sending', `enabled (enforcement status ${status ?? 'not told'})`));
  else checks.push(warn('ses sending', 'not checked: GetAccount does not say whether sending is enabled'));

  const { MaxSendRate: rate, Max24HourSend: max, SentLast24Hours: sent = 0 } = q;
  if (rate === undefined || max === undefined) return [...checks, warn('ses quota', 'not checked: GetAccount tells no send quota')];
  const quota: Check[] = [];
  // -1: no 24-hour limit
  const left = max < 0 ? Infinity : max - sent;
  if (left <= 0) {
    quota.push(
      fail(
        'ses quota',
        `the 24-hour quota is used up (${sent} of ${max} sent): nothing goes out until earlier sends leave the rolling 24 hours; ask AWS for a higher quota (${SET_UP})`,
      ),
    );
  } else if (readers > left) {
    quota.push(
      warn(
        'ses quota',
        `an edition goes to ${readers} daily readers, more than the ${left} messages left of the 24-hour quota (${max} a day): the rest wait for the quota to free up, up to a day; ask AWS for a higher quota (${SET_UP})`,
      ),
    );
  }
  if (send.ratePerSecond > rate) {
    quota.push(
      warn(
        'ses quota',
        `send.ratePerSecond is ${send.ratePerSecond} but the account may send ${plural(rate, 'message')}/s: SES throttles the rest (paperboy retries them, so an edition takes longer); set "send": { "ratePerSecond": ${rate} } in the config, or ask AWS for a higher rate (${SET_UP})`,
      ),
    );
  }
  if (quota.length > 0) return [...checks, ...quota];
  const own =
    send.dailyQuota > 0 ? `; send.dailyQuota ${send.dailyQuota}${max >= 0 && send.dailyQuota > max ? ` is above it: SES's ${max} applies` : ' applies'}` : '';
  return [
    ...checks,
    ok(
      'ses quota',
      `${plural(rate, 'message')}/s (send.ratePerSecond ${send.ratePerSecond} fits), ${max < 0 ? 'no limit' : max} a day, ${sent} sent in the last 24 h; ${readers} daily readers${own}`,
    ),
  ];
}

interface Identity {
  VerifiedForSendingStatus?: boolean;
  DkimAttributes?: { Status?: string };
}

/**
 * SES lets an address send when either it or its domain is a verified identity; only the
 * domain's DKIM signs as the From domain, which DMARC alignment needs.
 */
async function identityCheck(from: string, region: string, identity: (name: string) => Promise<Asked<Identity>>): Promise<Check> {
  const domain = from.split('@')[1] ?? '';
  const ofDomain = await identity(domain);
  if ('notChecked' in ofDomain) return warn('sender identity', `${ofDomain.notChecked}: make sure ${domain} is a verified identity with DKIM on (${SET_UP})`);
  const d = 'answer' in ofDomain ? ofDomain.answer : undefined;
  const dkim = d?.DkimAttributes?.Status;
  if (d?.VerifiedForSendingStatus) {
    return dkim === 'SUCCESS'
      ? ok('sender identity', `${domain} verified, DKIM on`)
      : fail(
          'sender identity',
          `${domain} verified, but DKIM is ${dkim ?? 'off'}: publish the DKIM CNAME records SES gives for it (${SET_UP}); unsigned mail fails DMARC and lands in spam`,
        );
  }
  const ofAddress = await identity(from);
  if ('answer' in ofAddress && ofAddress.answer.VerifiedForSendingStatus) {
    return warn(
      'sender identity',
      `${from} is verified as an address, but ${domain} is ${d ? 'not verified yet' : 'not an SES identity'}: mail goes out without your domain's DKIM signature, so DMARC alignment fails; verify the domain (${SET_UP})`,
    );
  }
  return fail(
    'sender identity',
    `neither ${from} nor ${domain} is a verified SES identity in ${region}${d ? ` (${domain} is added but not verified: publish its DNS records)` : ''}: SES refuses every send; add and verify the domain (${SET_UP})`,
  );
}

interface EventDestination {
  Enabled?: boolean;
  MatchingEventTypes?: string[];
  SnsDestination?: { TopicArn?: string };
}

async function configurationSetCheck(
  name: string,
  env: App['env'],
  found: Asked<{ SendingOptions?: { SendingEnabled?: boolean } }>,
  destinations: () => Promise<Asked<{ EventDestinations?: EventDestination[] }>>,
): Promise<Check> {
  const check = 'configuration set';
  if ('notChecked' in found) return warn(check, `${found.notChecked}: make sure "${name}" exists and publishes bounces and complaints to SNS (${SET_UP})`);
  if ('notFound' in found)
    return fail(
      check,
      `"${name}" does not exist in ${env.sesRegion}: SES refuses every message that names it; create it (${SET_UP}) or correct mail.configurationSet`,
    );
  if (found.answer.SendingOptions?.SendingEnabled === false) {
    return fail(
      check,
      `sending is disabled for "${name}": SES refuses its messages; enable it: aws sesv2 put-configuration-set-sending-options --configuration-set-name ${name} --sending-enabled`,
    );
  }
  const listed = await destinations();
  if ('notChecked' in listed) return warn(check, `${listed.notChecked}: make sure "${name}" publishes bounces and complaints to SNS (${FEEDBACK})`);
  const sns = ('answer' in listed ? (listed.answer.EventDestinations ?? []) : []).filter((d) => d.Enabled && d.SnsDestination?.TopicArn);
  const missing = ['BOUNCE', 'COMPLAINT'].filter((type) => !sns.some((d) => d.MatchingEventTypes?.includes(type)));
  if (missing.length > 0) {
    return warn(
      check,
      `"${name}" publishes no ${missing.join(', ')} events to SNS: paperboy never learns of them and keeps mailing addresses that bounce or complain; add an SNS event destination for BOUNCE and COMPLAINT whose topic https://YOUR_HOST/webhooks/ses subscribes to (${FEEDBACK})`,
    );
  }
  const topics = [
    ...new Set(sns.filter((d) => d.MatchingEventTypes!.some((t) => t === 'BOUNCE' || t === 'COMPLAINT')).map((d) => d.SnsDestination!.TopicArn!)),
  ];
  const refused = topics.filter((t) => !env.snsTopicArns.includes(t));
  if (refused.length > 0) {
    return warn(
      check,
      `"${name}" publishes bounces and complaints to ${refused.join(', ')}, which SNS_TOPIC_ARNS does not list: /webhooks/ses refuses its messages; add it to SNS_TOPIC_ARNS (${FEEDBACK})`,
    );
  }
  return ok(check, `"${name}", sending enabled; bounces and complaints go to ${topics.join(', ')}`);
}
