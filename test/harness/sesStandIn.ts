/**
 * A small SES stand-in on loopback that speaks SES's wire protocol: v1 Query
 * (`Action=SendRawEmail`, base64 `RawMessage.Data`, XML answers; `GetSendQuota`) and v2 JSON
 * (`POST /v2/email/outbound-emails` with raw content; `GET /v2/email/account`, identities and
 * configuration sets with their event destinations, as `paperboy doctor` asks). It keeps every
 * message's bytes exactly as sent, with the time it accepted it, and answers throttling,
 * rejection or a paused account on demand.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';

export interface RecordedMessage {
  api: 'v1' | 'v2';
  /** Envelope recipients (Destinations / Destination.ToAddresses). */
  to: string[];
  source?: string;
  raw: Buffer;
  /** When it was accepted (ms since epoch). */
  at: number;
  messageId: string;
}

export interface SesStandIn {
  url: string;
  messages: RecordedMessage[];
  /** Requests answered with throttling so far. */
  throttled: number;
  /** Answers every send with throttling until this time (ms since epoch). */
  throttleUntil: number;
  /** Also throttles when more than this many sends were accepted in the last second (0: off). */
  maxPerSecond: number;
  /** Recipients whose messages are rejected (MessageRejected). */
  reject: Set<string>;
  /** Answer sends with "account sending paused". */
  paused: boolean;
  /** Latency added to each answer (ms). */
  latencyMs: number;
  /** What GetSendQuota / GetAccount answer; undefined: those calls never answer (like aws-ses-v2-local). */
  quota?: { max24HourSend: number; maxSendRate: number; sentLast24Hours: number };
  /** GetSendQuota / GetAccount calls left without an answer (no `quota`). */
  unansweredQuotaCalls: number;
  /** GetAccount's ProductionAccessEnabled (default true: out of the sandbox). */
  productionAccess: boolean;
  /** What GetEmailIdentity answers per identity (a domain or an address); others are NotFound. */
  identities: Map<string, { verified: boolean; dkim: 'SUCCESS' | 'PENDING' | 'FAILED' | 'NOT_STARTED' }>;
  /** GetAccount's EnforcementStatus (default HEALTHY). */
  enforcementStatus: 'HEALTHY' | 'PROBATION' | 'SHUTDOWN';
  /** What GetConfigurationSet and GetConfigurationSetEventDestinations answer per set; others are NotFound. */
  configurationSets: Map<string, { sendingEnabled: boolean; destinations: { name: string; enabled: boolean; types: string[]; snsTopicArn?: string }[] }>;
  close(): Promise<void>;
}

function xmlError(res: http.ServerResponse, status: number, code: string, message: string): void {
  res
    .writeHead(status, { 'content-type': 'text/xml' })
    .end(
      `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomBytes(8).toString('hex')}</RequestId></ErrorResponse>`,
    );
}

function jsonError(res: http.ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type }).end(JSON.stringify({ message }));
}

export async function startSesStandIn(opts: { port?: number } = {}): Promise<SesStandIn> {
  const acceptedTimes: number[] = [];
  const state: Omit<SesStandIn, 'url' | 'close'> = {
    messages: [],
    throttled: 0,
    throttleUntil: 0,
    maxPerSecond: 0,
    reject: new Set(),
    paused: false,
    latencyMs: 0,
    unansweredQuotaCalls: 0,
    productionAccess: true,
    identities: new Map(),
    enforcementStatus: 'HEALTHY',
    configurationSets: new Map(),
  };

  /** Why this send is refused now, if it is. */
  function refusal(to: string[]): 'throttle' | 'paused' | 'reject' | undefined {
    const now = Date.now();
    if (now < state.throttleUntil) return 'throttle';
    if (state.maxPerSecond > 0) {
      while (acceptedTimes.length > 0 && acceptedTimes[0]! <= now - 1000) acceptedTimes.shift();
      if (acceptedTimes.length >= state.maxPerSecond) return 'throttle';
    }
    if (state.paused) return 'paused';
    if (to.some((t) => state.reject.has(t.toLowerCase()))) return 'reject';
    return undefined;
  }

  function accept(api: 'v1' | 'v2', raw: Buffer, to: string[], source: string | undefined): string {
    const messageId = `0100${randomBytes(16).toString('hex')}-000000`;
    const at = Date.now();
    acceptedTimes.push(at);
    state.messages.push({ api, to, source, raw, at, messageId });
    return messageId;
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', 'http://x');
        if (req.method === 'POST' && url.pathname === '/') {
          const form = new URLSearchParams(body);
          const action = form.get('Action');
          if (action === 'GetSendQuota') {
            if (!state.quota) return void state.unansweredQuotaCalls++; // never answers, like aws-ses-v2-local
            const q = state.quota;
            res
              .writeHead(200, { 'content-type': 'text/xml' })
              .end(
                `<GetSendQuotaResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><GetSendQuotaResult><Max24HourSend>${q.max24HourSend}</Max24HourSend><SentLast24Hours>${q.sentLast24Hours}</SentLast24Hours><MaxSendRate>${q.maxSendRate}</MaxSendRate></GetSendQuotaResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetSendQuotaResponse>`,
              );
            return;
          }
          if (action !== 'SendRawEmail') return xmlError(res, 400, 'InvalidAction', `unknown action ${action}`);
          const to = [...form.entries()].filter(([k]) => k.startsWith('Destinations.member.')).map(([, v]) => v);
          const why = refusal(to);
          if (why === 'throttle') {
            state.throttled++;
            return xmlError(res, 400, 'Throttling', 'Maximum sending rate exceeded.');
          }
          if (why === 'paused') return xmlError(res, 400, 'AccountSendingPausedException', 'Account sending paused.');
          if (why === 'reject') return xmlError(res, 400, 'MessageRejected', 'Email address is on the suppression list.');
          const id = accept('v1', Buffer.from(form.get('RawMessage.Data') ?? '', 'base64'), to, form.get('Source') ?? undefined);
          res
            .writeHead(200, { 'content-type': 'text/xml' })
            .end(
              `<SendRawEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendRawEmailResult><MessageId>${id}</MessageId></SendRawEmailResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></SendRawEmailResponse>`,
            );
          return;
        }
        if (req.method === 'POST' && url.pathname === '/v2/email/outbound-emails') {
          const input = JSON.parse(body) as { Content?: { Raw?: { Data?: string } }; Destination?: { ToAddresses?: string[] }; FromEmailAddress?: string };
          const to = input.Destination?.ToAddresses ?? [];
          const why = refusal(to);
          if (why === 'throttle') {
            state.throttled++;
            return jsonError(res, 429, 'TooManyRequestsException', 'Maximum sending rate exceeded.');
          }
          if (why === 'paused') return jsonError(res, 400, 'SendingPausedException', 'Account sending paused.');
          if (why === 'reject') return jsonError(res, 400, 'MessageRejected', 'Email address is on the suppression list.');
          const id = accept('v2', Buffer.from(input.Content?.Raw?.Data ?? '', 'base64'), to, input.FromEmailAddress);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ MessageId: id }));
          return;
        }
        if (req.method === 'GET' && url.pathname === '/v2/email/account') {
          if (!state.quota) return void state.unansweredQuotaCalls++;
          const q = state.quota;
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              SendingEnabled: !state.paused,
              EnforcementStatus: state.enforcementStatus,
              ProductionAccessEnabled: state.productionAccess,
              SendQuota: { Max24HourSend: q.max24HourSend, MaxSendRate: q.maxSendRate, SentLast24Hours: q.sentLast24Hours },
            }),
          );
          return;
        }
        const identity = /^\/v2\/email\/identities\/([^/]+)$/.exec(url.pathname);
        if (req.method === 'GET' && identity) {
          const name = decodeURIComponent(identity[1]!);
          const known = state.identities.get(name);
          if (!known) return jsonError(res, 404, 'NotFoundException', `Email identity ${name} does not exist.`);
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              IdentityType: name.includes('@') ? 'EMAIL_ADDRESS' : 'DOMAIN',
              VerifiedForSendingStatus: known.verified,
              VerificationStatus: known.verified ? 'SUCCESS' : 'PENDING',
              DkimAttributes: { SigningEnabled: known.dkim === 'SUCCESS', Status: known.dkim },
            }),
          );
          return;
        }
        const set = /^\/v2\/email\/configuration-sets\/([^/]+)(\/event-destinations)?$/.exec(url.pathname);
        if (req.method === 'GET' && set) {
          const name = decodeURIComponent(set[1]!);
          const known = state.configurationSets.get(name);
          if (!known) return jsonError(res, 404, 'NotFoundException', `Configuration set <${name}> does not exist.`);
          const answer = set[2]
            ? {
                EventDestinations: known.destinations.map((d) => ({
                  Name: d.name,
                  Enabled: d.enabled,
                  MatchingEventTypes: d.types,
                  ...(d.snsTopicArn ? { SnsDestination: { TopicArn: d.snsTopicArn } } : {}),
                })),
              }
            : { ConfigurationSetName: name, SendingOptions: { SendingEnabled: known.sendingEnabled } };
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
          return;
        }
        res.writeHead(404).end('<UnknownOperationException/>');
      };
      if (state.latencyMs > 0) setTimeout(answer, state.latencyMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const standIn = state as SesStandIn;
  standIn.url = url;
  standIn.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return standIn;
}

/** The most messages accepted in any sliding one-second window. */
export function peakPerSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= 1000) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}
