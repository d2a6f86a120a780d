/**
 * Signed tokens for the links in an email: bound to one subscriber and one purpose, HMAC'd
 * with SECRET_KEY, compared in constant time. They carry no address, so a forwarded link
 * exposes nobody.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenPurpose = 'confirm' | 'preferences' | 'unsubscribe';
const PURPOSES: ReadonlySet<string> = new Set(['confirm', 'preferences', 'unsubscribe']);

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest().subarray(0, 18);
}

export function signToken(secret: string, subscriberId: number, purpose: TokenPurpose): string {
  const payload = `${purpose}.${subscriberId.toString(36)}`;
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** The subscriber id, or undefined for a token that is malformed, tampered with or for another purpose. */
export function verifyToken(secret: string, token: string, purpose: TokenPurpose): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [p, id, sig] = parts as [string, string, string];
  if (!PURPOSES.has(p) || p !== purpose || !/^[0-9a-z]{1,12}$/.test(id)) return undefined;
  // compared as text: base64url decoding would ignore trailing characters and accept variants
  const expected = Buffer.from(mac(secret, `${p}.${id}`).toString('base64url'));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return Number.parseInt(id, 36);
}

export interface SubscriberLinks {
  unsubscribe: string;
  preferences: string;
  /** The mailto: form of List-Unsubscribe. */
  unsubscribeMailto: string;
}

export function subscriberLinks(publicUrl: string, secret: string, subscriberId: number, mailDomain: string): SubscriberLinks {
  const unsubscribeToken = signToken(secret, subscriberId, 'unsubscribe');
  return {
    unsubscribe: `${publicUrl}/unsubscribe?token=${unsubscribeToken}`,
    preferences: `${publicUrl}/preferences?token=${signToken(secret, subscriberId, 'preferences')}`,
    unsubscribeMailto: `mailto:unsubscribe@${mailDomain}?subject=unsubscribe%20${unsubscribeToken}`,
  };
}
