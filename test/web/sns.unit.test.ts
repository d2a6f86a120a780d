/** SNS signature verification with certificates this run generates; nothing leaves the machine. */
import { describe, expect, it } from 'vitest';
import { isSnsUrl, parseSnsMessage, SnsError, SnsVerifier } from '../../src/web/sns.ts';
import { CERT_URL, certificateServer, makeSigningIdentity, signSns } from '../harness/sns.ts';

const identity = makeSigningIdentity();
const impostor = makeSigningIdentity();

async function verdict(verifier: SnsVerifier, message: Record<string, string>): Promise<string> {
  try {
    await verifier.verify(parseSnsMessage(JSON.stringify(message)));
    return 'valid';
  } catch (err) {
    if (err instanceof SnsError) return err.message;
    throw err;
  }
}

describe('SNS message verification', () => {
  it('accepts notifications signed with SignatureVersion 1 (SHA1withRSA) and 2 (SHA256withRSA), with or without a Subject', async () => {
    const certs = certificateServer(identity);
    const verifier = new SnsVerifier({ fetchCertificate: certs.fetch });
    for (const version of ['1', '2'] as const) {
      expect(await verdict(verifier, signSns(identity, { Type: 'Notification', Message: '{"notificationType":"Bounce"}' }, { version }))).toBe('valid');
      expect(
        await verdict(
          verifier,
          signSns(identity, { Type: 'Notification', Message: 'ünïcode ✓\nsecond line', Subject: 'Amazon SES Email Event Notification' }, { version }),
        ),
      ).toBe('valid');
    }
  });

  it('accepts a SubscriptionConfirmation signed over its own fields (SubscribeURL, Token)', async () => {
    const verifier = new SnsVerifier({ fetchCertificate: certificateServer(identity).fetch });
    const m = signSns(
      identity,
      {
        Type: 'SubscriptionConfirmation',
        Message: 'You have chosen to subscribe',
        SubscribeURL: 'https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=abc',
        Token: 'abc',
      },
      { version: '1' },
    );
    expect(await verdict(verifier, m)).toBe('valid');
    // the Token is signed: changing it breaks the signature
    expect(await verdict(verifier, { ...m, Token: 'abd' })).toMatch(/signature does not match/);
  });

  it('refuses a message whose text, topic or id was changed after signing', async () => {
    const verifier = new SnsVerifier({ fetchCertificate: certificateServer(identity).fetch });
    const m = signSns(identity, { Type: 'Notification', Message: '{"notificationType":"Bounce","bounce":{"bounceType":"Transient"}}' });
    expect(await verdict(verifier, { ...m, Message: m.Message!.replace('Transient', 'Permanent') })).toMatch(/signature does not match/);
    expect(await verdict(verifier, { ...m, TopicArn: 'arn:aws:sns:eu-west-1:123456789012:other' })).toMatch(/signature does not match/);
    expect(await verdict(verifier, { ...m, MessageId: 'another-id' })).toMatch(/signature does not match/);
    expect(await verdict(verifier, { ...m, Signature: 'bm90IGEgc2lnbmF0dXJl' })).toMatch(/signature does not match/);
  });

  it('refuses a message signed by another key than the certificate at the SNS URL', async () => {
    const verifier = new SnsVerifier({ fetchCertificate: certificateServer(identity).fetch });
    expect(await verdict(verifier, signSns(impostor, { Type: 'Notification', Message: '{}' }))).toMatch(/signature does not match/);
  });

  it('never fetches a certificate from a host that is not SNS, or over plain HTTP', async () => {
    const certs = certificateServer(identity);
    const verifier = new SnsVerifier({ fetchCertificate: certs.fetch });
    for (const certUrl of [
      'http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem',
      'https://attacker.example.com/SimpleNotificationService-0123456789abcdef.pem',
      'https://sns.eu-west-1.amazonaws.com.attacker.example.com/cert.pem',
      'https://sns.eu-west-1.amazonaws.com:8443/cert.pem',
      'https://user@sns.eu-west-1.amazonaws.com/cert.pem',
      'https://s3.amazonaws.com/sns.eu-west-1.amazonaws.com/cert.pem',
      'https://sns.eu-west-1.amazonaws.com/cert.txt',
    ]) {
      expect(await verdict(verifier, signSns(identity, { Type: 'Notification', Message: '{}' }, { certUrl })), certUrl).toMatch(
        /SigningCertURL .* is not a certificate on an SNS host/,
      );
    }
    expect(certs.requests).toEqual([]);
  });

  it('refuses a message older than an hour (replay) or from the future, and an unknown SignatureVersion', async () => {
    const now = new Date(Date.now() + 60 * 60 * 1000);
    const at = (minutesBeforeNow: number) => new Date(now.getTime() - minutesBeforeNow * 60_000).toISOString();
    const verifier = new SnsVerifier({ fetchCertificate: certificateServer(identity).fetch, clock: { now: () => now } });
    expect(await verdict(verifier, signSns(identity, { Type: 'Notification', Message: '{}', Timestamp: at(30) }))).toBe('valid');
    expect(await verdict(verifier, signSns(identity, { Type: 'Notification', Message: '{}', Timestamp: at(61) }))).toMatch(
      /more than 60 minutes ago: refused as a possible replay/,
    );
    expect(await verdict(verifier, signSns(identity, { Type: 'Notification', Message: '{}', Timestamp: at(-60) }))).toMatch(/in the future/);
    expect(await verdict(verifier, { ...signSns(identity, { Type: 'Notification', Message: '{}' }), SignatureVersion: '3' })).toMatch(
      /SignatureVersion "3" is not supported/,
    );
  });

  it('refuses a signature whose certificate has expired', async () => {
    const later = new Date(Date.now() + 3 * 24 * 3600_000);
    const verifier = new SnsVerifier({ fetchCertificate: certificateServer(identity).fetch, clock: { now: () => later } });
    expect(await verdict(verifier, signSns(identity, { Type: 'Notification', Message: '{}', Timestamp: later.toISOString() }))).toMatch(
      /signing certificate .* is not valid now/,
    );
  });

  it('fetches each signing certificate once, and again after a failed fetch', async () => {
    let calls = 0;
    let fail = true;
    const verifier = new SnsVerifier({
      fetchCertificate: async () => {
        calls++;
        if (fail) throw new Error('connect ETIMEDOUT');
        return identity.certificatePem;
      },
    });
    const failed = await verdict(verifier, signSns(identity, { Type: 'Notification', Message: '{}' }));
    expect(failed).toMatch(/cannot get the signing certificate .*ETIMEDOUT/);
    fail = false;
    for (let i = 0; i < 5; i++) expect(await verdict(verifier, signSns(identity, { Type: 'Notification', Message: `{"n":${i}}` }))).toBe('valid');
    expect(calls).toBe(2);
  });

  it('names what is missing from an unsigned or malformed message', () => {
    const m = signSns(identity, { Type: 'Notification', Message: '{}' });
    const { Signature: _s, SigningCertURL: _c, ...unsigned } = m;
    expect(() => parseSnsMessage(JSON.stringify(unsigned))).toThrow(/no Signature, SigningCertURL: unsigned messages are refused/);
    expect(() => parseSnsMessage('not json')).toThrow(/not JSON/);
    expect(() => parseSnsMessage(JSON.stringify({ ...m, Type: 'Bounce' }))).toThrow(/Type "Bounce" is not an SNS message type/);
  });

  it('knows SNS hosts, in every region and in China', () => {
    expect(isSnsUrl(CERT_URL)).toBe(true);
    expect(isSnsUrl('https://sns.cn-north-1.amazonaws.com.cn/x.pem')).toBe(true);
    expect(isSnsUrl('https://sns.us-gov-west-1.amazonaws.com/?Action=ConfirmSubscription')).toBe(true);
    expect(isSnsUrl('https://sns.amazonaws.com/x.pem')).toBe(false);
    expect(isSnsUrl('https://sqs.us-east-1.amazonaws.com/x.pem')).toBe(false);
    expect(isSnsUrl('not a url')).toBe(false);
  });
});
