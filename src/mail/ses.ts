/**
 * Amazon SES behind `Messenger`: the raw message (our bytes, our headers) through
 * `SendRawEmail` of @aws-sdk/client-ses, or the same raw send through @aws-sdk/client-sesv2.
 * Region, endpoint and credentials come from the environment and the SDK's default chain.
 * The SDK's own retries are off: the send stage classifies every error and retries with its
 * own back-off under the one rate limit shared by all workers.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { GetSendQuotaCommand, SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
import {
  GetAccountCommand,
  GetConfigurationSetCommand,
  GetConfigurationSetEventDestinationsCommand,
  GetEmailIdentityCommand,
  SESv2Client,
  SendEmailCommand,
} from '@aws-sdk/client-sesv2';
import {
  PermanentSendError,
  QuotaExceededError,
  SendingPausedError,
  TransientSendError,
  type Envelope,
  type Messenger,
  type SendQuota,
  type SendResult,
} from './messenger.ts';
import { withTimeout } from '../lib/timeout.ts';

export type SesApi = 'v1' | 'v2';

export interface SesSettings {
  region: string;
  /** SES_ENDPOINT: another SES-compatible endpoint (tests, a proxy); default: AWS's. */
  endpoint?: string;
  /** Connections kept open to SES: at least the sends in flight. */
  maxSockets?: number;
  configurationSet?: string;
  /** Time allowed for one SES call. */
  requestTimeoutMs?: number;
}

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Turns what the SDK threw into the send stage's four cases. */
export function classifySesError(err: unknown): Error {
  const e = (err ?? {}) as SdkError;
  const name = e.name ?? '';
  const message = e.message ?? String(err);
  const status = e.$metadata?.httpStatusCode;
  const text = `SES ${name || 'error'}${status ? ` (HTTP ${status})` : ''}: ${message}`;
  const options = { cause: err };
  if (/daily message quota exceeded|sending quota exceeded/i.test(message)) return new QuotaExceededError(text, options);
  if (
    /^(Throttling|ThrottlingException|TooManyRequestsException)$/.test(name) ||
    status === 429 ||
    status === 454 ||
    /maximum sending rate exceeded|rate exceeded|throttl/i.test(message)
  ) {
    return new TransientSendError(text, true, options);
  }
  if (/SendingPaused|AccountSuspended/.test(name) || /sending (is )?paused/i.test(message)) return new SendingPausedError(text, options);
  // the sender (or, in the sandbox, any address) is not verified: every message would fail alike
  if (/MailFromDomainNotVerified|ConfigurationSetDoesNotExist/.test(name) || /not verified/i.test(message)) return new SendingPausedError(text, options);
  if (name === 'MessageRejected' || /illegal address|invalid address|missing final '@domain'/i.test(message))
    return new PermanentSendError(text, true, options);
  if (status === undefined || status >= 500 || /InternalServiceError|ServiceUnavailable|TimeoutError|RequestTimeout/.test(name))
    return new TransientSendError(text, false, options);
  return new PermanentSendError(text, false, options);
}

/** Options of the SDK's Node HTTP handler: kept-alive connections, a time-out per call. */
function requestHandler(settings: SesSettings) {
  const agent = { keepAlive: true, maxSockets: settings.maxSockets ?? 50 };
  return { httpAgent: new HttpAgent(agent), httpsAgent: new HttpsAgent(agent), requestTimeout: settings.requestTimeoutMs ?? 30_000, connectionTimeout: 10_000 };
}

/** What differs between the two SES APIs: the client, the raw-send request and the quota request. */
interface SesApiClient {
  /** Sends the raw message; SES's message id. */
  sendRaw(raw: Buffer, envelope: Envelope, configurationSet: string | undefined): Promise<string | undefined>;
  quota(abortSignal: AbortSignal): Promise<SendQuota | undefined>;
  destroy(): void;
}

/** SendRawEmail and GetSendQuota of @aws-sdk/client-ses (the Query API). */
function v1Client(settings: SesSettings): SesApiClient {
  const client = new SESClient({ region: settings.region, endpoint: settings.endpoint, maxAttempts: 1, requestHandler: requestHandler(settings) });
  return {
    async sendRaw(raw, envelope, configurationSet) {
      const out = await client.send(
        new SendRawEmailCommand({ RawMessage: { Data: raw }, Source: envelope.from, Destinations: [envelope.to], ConfigurationSetName: configurationSet }),
      );
      return out.MessageId;
    },
    async quota(abortSignal) {
      const q = await client.send(new GetSendQuotaCommand({}), { abortSignal });
      return { max24HourSend: q.Max24HourSend ?? 0, maxSendRate: q.MaxSendRate ?? 0, sentLast24Hours: q.SentLast24Hours ?? 0 };
    },
    destroy: () => client.destroy(),
  };
}

/** The same raw send through SendEmail, and GetAccount, of @aws-sdk/client-sesv2 (the JSON API). */
function v2Client(settings: SesSettings): SesApiClient {
  const client = new SESv2Client({ region: settings.region, endpoint: settings.endpoint, maxAttempts: 1, requestHandler: requestHandler(settings) });
  return {
    async sendRaw(raw, envelope, configurationSet) {
      const out = await client.send(
        new SendEmailCommand({
          Content: { Raw: { Data: raw } },
          FromEmailAddress: envelope.from,
          Destination: { ToAddresses: [envelope.to] },
          ConfigurationSetName: configurationSet,
        }),
      );
      return out.MessageId;
    },
    async quota(abortSignal) {
      const a = await client.send(new GetAccountCommand({}), { abortSignal });
      if (!a.SendQuota) return undefined;
      return { max24HourSend: a.SendQuota.Max24HourSend ?? 0, maxSendRate: a.SendQuota.MaxSendRate ?? 0, sentLast24Hours: a.SendQuota.SentLast24Hours ?? 0 };
    },
    destroy: () => client.destroy(),
  };
}

/** Amazon SES through either API: the errors, the timeouts and the Messenger contract are the same. */
export class SesMessenger implements Messenger {
  readonly name = 'ses';
  readonly idempotent = false;
  readonly metered = true;
  private readonly client: SesApiClient;

  constructor(
    readonly api: SesApi,
    private readonly settings: SesSettings,
  ) {
    this.client = api === 'v1' ? v1Client(settings) : v2Client(settings);
  }

  async send(raw: Buffer, envelope: Envelope): Promise<SendResult> {
    try {
      return { providerId: (await this.client.sendRaw(raw, envelope, this.settings.configurationSet)) ?? '' };
    } catch (err) {
      throw classifySesError(err);
    }
  }

  quota(timeoutMs: number): Promise<SendQuota | undefined> {
    // the quota only tunes the send rate: any failure to read it (slow, denied, unreachable) leaves the configured rate
    return withTimeout('SES GetSendQuota', timeoutMs, (abortSignal) => this.client.quota(abortSignal)).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

/**
 * The read-only SES v2 calls `paperboy doctor` makes, on their own client: one attempt each and
 * `timeoutMs` for the connection and for the answer (the handler's time-outs alone do not cover a
 * server that accepts and never answers). Errors reach the caller as the SDK threw them: doctor
 * judges each one. `close()` releases the client.
 */
export function sesInspector(settings: { region?: string; endpoint?: string }, timeoutMs: number) {
  const client = new SESv2Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    maxAttempts: 1,
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
  });
  const options = () => ({ abortSignal: AbortSignal.timeout(timeoutMs) });
  return {
    account: () => client.send(new GetAccountCommand({}), options()),
    identity: (name: string) => client.send(new GetEmailIdentityCommand({ EmailIdentity: name }), options()),
    configurationSet: (name: string) => client.send(new GetConfigurationSetCommand({ ConfigurationSetName: name }), options()),
    eventDestinations: (name: string) => client.send(new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: name }), options()),
    close: () => client.destroy(),
  };
}
