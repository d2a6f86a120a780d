/**
 * Amazon SNS messages to an HTTPS endpoint, verified as AWS documents it: the signing
 * certificate comes only from an SNS host over HTTPS, the signature covers the canonical
 * string of the message's type (SignatureVersion 1 = SHA1withRSA, 2 = SHA256withRSA), and an old
 * message is refused so that a captured one cannot be replayed later.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
 */
import { X509Certificate, verify } from 'node:crypto';
import { systemClock, type Clock } from '../domain/time.ts';

export type SnsMessageType = 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';

export interface SnsMessage {
  Type: SnsMessageType;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  SubscribeURL?: string;
  Token?: string;
  UnsubscribeURL?: string;
}

/** A message refused, with the HTTP status to answer and a reason that names the fix. */
export class SnsError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 403 | 502 = 400,
  ) {
    super(message);
    this.name = 'SnsError';
  }
}

const TYPES: ReadonlySet<string> = new Set(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']);
const REQUIRED = ['Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL'] as const;

/** Parses an SNS HTTP body (SNS posts JSON as text/plain). */
export function parseSnsMessage(body: string): SnsMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new SnsError('the body is not JSON: this endpoint takes Amazon SNS messages');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SnsError('the body is not an SNS message (a JSON object)');
  const m = value as Record<string, unknown>;
  if (typeof m.Type !== 'string' || !TYPES.has(m.Type))
    throw new SnsError(`Type ${JSON.stringify(m.Type ?? null)} is not an SNS message type (Notification, SubscriptionConfirmation, UnsubscribeConfirmation)`);
  const missing = REQUIRED.filter((k) => typeof m[k] !== 'string' || m[k] === '');
  if (missing.length > 0) {
    const unsigned = missing.some((k) => k === 'Signature' || k === 'SigningCertURL' || k === 'SignatureVersion');
    throw new SnsError(
      `the message has no ${missing.join(', ')}${unsigned ? ': unsigned messages are refused (turn off "raw message delivery" on the subscription)' : ''}`,
    );
  }
  for (const k of ['Subject', 'SubscribeURL', 'Token', 'UnsubscribeURL'] as const) {
    if (m[k] !== undefined && m[k] !== null && typeof m[k] !== 'string') throw new SnsError(`${k} is not a string`);
  }
  if (m.Type !== 'Notification' && (typeof m.SubscribeURL !== 'string' || typeof m.Token !== 'string'))
    throw new SnsError(`a ${m.Type} has no SubscribeURL or Token`);
  return m as unknown as SnsMessage;
}

const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/** True for `https://sns.<region>.amazonaws.com[.cn]/…` and nothing else (no port, no user). */
export function isSnsUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === 'https:' && url.port === '' && url.username === '' && url.password === '' && SNS_HOST.test(url.hostname);
}

/** The canonical string SNS signs: the type's fields, in byte order, each "Name\nvalue\n". */
export function stringToSign(m: SnsMessage): string {
  const fields =
    m.Type === 'Notification'
      ? (['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const)
      : (['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const);
  let out = '';
  for (const f of fields) {
    const v = m[f];
    if (v === undefined || v === null) continue;
    out += `${f}\n${v}\n`;
  }
  return out;
}

/** Gets the PEM text of a signing certificate; tests pass their own. */
export type CertificateFetcher = (url: string) => Promise<string>;

/** A GET whose answer only matters by status: confirming a subscription. */
export type HttpGetter = (url: string) => Promise<{ status: number }>;

const MAX_CERTIFICATE_BYTES = 16 * 1024;

export const fetchCertificate: CertificateFetcher = async (url) => {
  const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  const body = await res.text();
  if (body.length > MAX_CERTIFICATE_BYTES) throw new Error(`the certificate is larger than ${MAX_CERTIFICATE_BYTES} bytes`);
  return body;
};

export const httpGet: HttpGetter = async (url) => {
  const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
  await res.body?.cancel();
  return { status: res.status };
};

export interface SnsVerifierOptions {
  fetchCertificate?: CertificateFetcher;
  /** Older messages are refused (replay); default one hour, as long as SNS's longest retry policy. */
  maxAgeMs?: number;
  /** Default: the machine's clock. */
  clock?: Clock;
}

/** Messages are at most this far in the future before our clock is called wrong. */
const CLOCK_SKEW_MS = 15 * 60 * 1000;

export class SnsVerifier {
  private readonly certificates = new Map<string, Promise<X509Certificate>>();
  private readonly fetchCertificate: CertificateFetcher;
  /** Messages older than this are refused. */
  readonly maxAgeMs: number;
  private readonly clock: Clock;

  constructor(opts: SnsVerifierOptions = {}) {
    this.fetchCertificate = opts.fetchCertificate ?? fetchCertificate;
    this.maxAgeMs = opts.maxAgeMs ?? 60 * 60 * 1000;
    this.clock = opts.clock ?? systemClock;
  }

  /** Throws SnsError (400) unless the message is signed by SNS and recent. */
  async verify(m: SnsMessage): Promise<void> {
    const algorithm = m.SignatureVersion === '1' ? 'sha1' : m.SignatureVersion === '2' ? 'sha256' : undefined;
    if (!algorithm) throw new SnsError(`SignatureVersion ${JSON.stringify(m.SignatureVersion)} is not supported (1 or 2)`);
    if (!isSnsUrl(m.SigningCertURL) || !new URL(m.SigningCertURL).pathname.endsWith('.pem')) {
      throw new SnsError(`SigningCertURL ${JSON.stringify(m.SigningCertURL)} is not a certificate on an SNS host (https://sns.<region>.amazonaws.com/….pem)`);
    }
    const sent = Date.parse(m.Timestamp);
    if (Number.isNaN(sent)) throw new SnsError(`Timestamp ${JSON.stringify(m.Timestamp)} is not a date`);
    const now = this.clock.now();
    const age = now.getTime() - sent;
    if (age > this.maxAgeMs)
      throw new SnsError(`the message is from ${m.Timestamp}, more than ${Math.round(this.maxAgeMs / 60_000)} minutes ago: refused as a possible replay`);
    if (age < -CLOCK_SKEW_MS) throw new SnsError(`the message is from ${m.Timestamp}, in the future: check this machine's clock`);
    const certificate = await this.certificate(m.SigningCertURL);
    if (Date.parse(certificate.validTo) < now.getTime() || Date.parse(certificate.validFrom) > now.getTime()) {
      throw new SnsError(`the signing certificate ${m.SigningCertURL} is not valid now (valid ${certificate.validFrom} to ${certificate.validTo})`);
    }
    const signature = Buffer.from(m.Signature, 'base64');
    let ok = false;
    try {
      ok = verify(algorithm, Buffer.from(stringToSign(m), 'utf8'), certificate.publicKey, signature);
    } catch {
      ok = false;
    }
    if (!ok) throw new SnsError('the signature does not match the message: it was changed, or not signed by SNS');
  }

  /** Each certificate is fetched once per process; a failed fetch is tried again next time. */
  private certificate(url: string): Promise<X509Certificate> {
    let pending = this.certificates.get(url);
    if (!pending) {
      pending = this.fetchCertificate(url)
        .then((pem) => new X509Certificate(pem))
        .catch((err: Error) => {
          throw new SnsError(`cannot get the signing certificate ${url}: ${err.message}`, 502);
        });
      pending.catch(() => this.certificates.delete(url));
      // SNS rotates a handful of certificates; a bound keeps a flood of URLs from growing the map
      if (this.certificates.size >= 64) this.certificates.delete(this.certificates.keys().next().value!);
      this.certificates.set(url, pending);
    }
    return pending;
  }
}
