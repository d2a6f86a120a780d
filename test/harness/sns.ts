/**
 * SNS as the tests play it: a self-signed certificate made by openssl for each run, and
 * messages signed the way AWS documents (the canonical string is written out here again, not
 * taken from src/, so a mistake there cannot agree with itself).
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './index.ts';

export interface SigningIdentity {
  certificatePem: string;
  key: KeyObject;
}

/** A fresh RSA key and self-signed certificate (openssl req -x509), valid from now for two days. */
export function makeSigningIdentity(): SigningIdentity {
  const dir = tempDir('pb-sns-cert-');
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=sns.amazonaws.com'],
    { stdio: 'ignore' },
  );
  return { certificatePem: readFileSync(certFile, 'utf8'), key: createPrivateKey(readFileSync(keyFile)) };
}

export const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:paperboy-ses-feedback';
export const CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem';

export interface UnsignedSns {
  Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  MessageId?: string;
  TopicArn?: string;
  Message: string;
  Timestamp?: string;
  Subject?: string;
  SubscribeURL?: string;
  Token?: string;
}

/** Signs a message as SNS does: SignatureVersion 1 is SHA1withRSA, 2 is SHA256withRSA. */
export function signSns(identity: SigningIdentity, input: UnsignedSns, opts: { version?: '1' | '2'; certUrl?: string } = {}): Record<string, string> {
  const m: Record<string, string> = {
    Type: input.Type,
    MessageId: input.MessageId ?? randomUUID(),
    TopicArn: input.TopicArn ?? TOPIC,
    Message: input.Message,
    Timestamp: input.Timestamp ?? new Date().toISOString(),
  };
  if (input.Subject !== undefined) m.Subject = input.Subject;
  if (input.SubscribeURL !== undefined) m.SubscribeURL = input.SubscribeURL;
  if (input.Token !== undefined) m.Token = input.Token;
  // https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
  const keys =
    input.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const canonical = keys
    .filter((k) => m[k] !== undefined)
    .map((k) => `${k}\n${m[k]}\n`)
    .join('');
  const version = opts.version ?? '2';
  return {
    ...m,
    SignatureVersion: version,
    Signature: sign(version === '1' ? 'sha1' : 'sha256', Buffer.from(canonical, 'utf8'), identity.key).toString('base64'),
    SigningCertURL: opts.certUrl ?? CERT_URL,
    UnsubscribeURL: `https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${m.TopicArn}:1`,
  };
}

/** A certificate fetcher that serves the test's certificate at CERT_URL and records every request. */
export function certificateServer(identity: SigningIdentity): { fetch: (url: string) => Promise<string>; requests: string[] } {
  const requests: string[] = [];
  return {
    requests,
    fetch: async (url) => {
      requests.push(url);
      if (url !== CERT_URL) throw new Error(`HTTP 404 for ${url}`);
      return identity.certificatePem;
    },
  };
}

/** An SES bounce notification (the SNS "notificationType" format) for one recipient of one message. */
export function sesBounce(opts: { email: string; bounceType?: 'Permanent' | 'Transient'; messageId?: string; providerId?: string; diagnostic?: string }) {
  return {
    notificationType: 'Bounce',
    bounce: {
      bounceType: opts.bounceType ?? 'Permanent',
      bounceSubType: opts.bounceType === 'Transient' ? 'MailboxFull' : 'General',
      bouncedRecipients: [{ emailAddress: opts.email, action: 'failed', status: '5.1.1', diagnosticCode: opts.diagnostic ?? 'smtp; 550 5.1.1 user unknown' }],
      timestamp: '2026-11-26T07:00:05.000Z',
      feedbackId: randomUUID(),
      reportingMTA: 'dsn; a8-70.smtp-out.amazonses.com',
    },
    mail: sesMail(opts),
  };
}

/** An SES complaint event (the configuration-set "eventType" format). */
export function sesComplaint(opts: { email: string; messageId?: string; providerId?: string; feedbackType?: string }) {
  return {
    eventType: 'Complaint',
    complaint: {
      complainedRecipients: [{ emailAddress: opts.email }],
      timestamp: '2026-11-26T08:00:00.000Z',
      feedbackId: randomUUID(),
      userAgent: 'Yahoo!-Mail-Feedback/2.0',
      complaintFeedbackType: opts.feedbackType ?? 'abuse',
      arrivalDate: '2026-11-26T07:59:00.000Z',
    },
    mail: sesMail(opts),
  };
}

export function sesDelivery(opts: { email: string; messageId?: string; providerId?: string }) {
  return {
    notificationType: 'Delivery',
    delivery: {
      timestamp: '2026-11-26T07:00:02.000Z',
      processingTimeMillis: 1200,
      recipients: [opts.email],
      smtpResponse: '250 ok',
      reportingMTA: 'a8-70.smtp-out.amazonses.com',
    },
    mail: sesMail(opts),
  };
}

function sesMail(opts: { email: string; messageId?: string; providerId?: string }) {
  return {
    timestamp: '2026-11-26T07:00:00.000Z',
    source: 'papers@example.org',
    sourceArn: 'arn:aws:ses:eu-west-1:123456789012:identity/example.org',
    messageId: opts.providerId ?? `0102018f${randomUUID().replace(/-/g, '')}-000000`,
    destination: [opts.email],
    headersTruncated: false,
    headers: opts.messageId
      ? [
          { name: 'Message-ID', value: opts.messageId },
          { name: 'To', value: opts.email },
        ]
      : [{ name: 'To', value: opts.email }],
    commonHeaders: { from: ['Daily Papers <papers@example.org>'], to: [opts.email], messageId: opts.messageId, subject: 'Daily Papers — 26 November' },
  };
}
