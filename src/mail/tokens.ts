/**
 * Signed tokens for the links in an email: bound to one subscriber and one purpose, HMAC'd
 * with SECRET_KEY, compared in constant time. They carry no address, so a forwarded link
 * exposes nobody.
 *
 * Unsubscribe and preferences tokens never expire (an old email must still let its reader
 * leave). A confirm token also carries the nonce of one subscription request and an expiry:
 * it works once (the request is cleared when used) and for seven days.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `feedback` authorises one reader's "more like this" / "less like this" votes and nothing
 * else: every paper's links carry the same token, with the paper and the vote beside it.
 */
export type TokenPurpose = 'confirm' | 'preferences' | 'unsubscribe' | 'feedback';
type LinkPurpose = Exclude<TokenPurpose, 'confirm'>;
const LINK_PURPOSES: ReadonlySet<string> = new Set(['preferences', 'unsubscribe', 'feedback']);

/** How long a confirmation link works. */
export const CONFIRM_TOKEN_TTL_MS = 7 * 24 * 3600_000;

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest().subarray(0, 18);
}

function sign(secret: string, payload: string): string {
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** The payload of a token whose signature is right, or undefined. */
function verified(secret: string, token: unknown): string[] | undefined {
  // a query string may repeat a parameter: anything but one string is not a token
  if (typeof token !== 'string' || token.length > 200) return undefined;
  const cut = token.lastIndexOf('.');
  if (cut < 0) return undefined;
  const payload = token.slice(0, cut);
  if (!sameMac(token.slice(cut + 1), mac(secret, payload))) return undefined;
  return payload.split('.');
}

/** Compared as text, in constant time: base64url decoding would ignore trailing characters and accept variants. */
function sameMac(given: string, expected: Buffer): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected.toString('base64url'));
  return a.length === b.length && timingSafeEqual(a, b);
}

const ID = /^[0-9a-z]{1,12}$/;

export function signToken(secret: string, subscriberId: number, purpose: LinkPurpose): string {
  return sign(secret, `${purpose}.${subscriberId.toString(36)}`);
}

/** The subscriber id, or undefined for a token that is malformed, tampered with or for another purpose. */
export function verifyToken(secret: string, token: unknown, purpose: LinkPurpose): number | undefined {
  const parts = verified(secret, token);
  if (!parts || parts.length !== 2) return undefined;
  const [p, id] = parts as [string, string];
  if (!LINK_PURPOSES.has(p) || p !== purpose || !ID.test(id)) return undefined;
  return Number.parseInt(id, 36);
}

export function signConfirmToken(secret: string, subscriberId: number, nonce: string, now: Date): string {
  const expires = Math.floor((now.getTime() + CONFIRM_TOKEN_TTL_MS) / 1000).toString(36);
  return sign(secret, `confirm.${subscriberId.toString(36)}.${nonce}.${expires}`);
}

export type ConfirmCheck = { ok: true; subscriberId: number; nonce: string } | { ok: false; reason: 'invalid' | 'expired' };

export function verifyConfirmToken(secret: string, token: unknown, now: Date): ConfirmCheck {
  const parts = verified(secret, token);
  if (!parts || parts.length !== 4) return { ok: false, reason: 'invalid' };
  const [p, id, nonce, expires] = parts as [string, string, string, string];
  if (p !== 'confirm' || !ID.test(id) || !/^[A-Za-z0-9_-]{8,32}$/.test(nonce) || !/^[0-9a-z]{1,10}$/.test(expires)) return { ok: false, reason: 'invalid' };
  if (Number.parseInt(expires, 36) * 1000 < now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, subscriberId: Number.parseInt(id, 36), nonce };
}

/**
 * The hidden token of a form opened through a link (the preferences page): an HMAC of that link's
 * token, so a POST that carries it came from a page served for the link, whatever the browser
 * says of its origin. A cross-site form cannot know it.
 */
export function signFormToken(secret: string, linkToken: string): string {
  return mac(secret, `form.${linkToken}`).toString('base64url');
}

export function verifyFormToken(secret: string, linkToken: string, given: unknown): boolean {
  return typeof given === 'string' && given.length <= 100 && sameMac(given, mac(secret, `form.${linkToken}`));
}

export interface SubscriberLinks {
  unsubscribe: string;
  preferences: string;
  /** The mailto: form of List-Unsubscribe. */
  unsubscribeMailto: string;
  /** The token every feedback link of this reader's email ends with. */
  feedbackToken: string;
}

export function subscriberLinks(publicUrl: string, secret: string, subscriberId: number, mailDomain: string): SubscriberLinks {
  const unsubscribeToken = signToken(secret, subscriberId, 'unsubscribe');
  return {
    unsubscribe: `${publicUrl}/unsubscribe?token=${unsubscribeToken}`,
    preferences: `${publicUrl}/preferences?token=${signToken(secret, subscriberId, 'preferences')}`,
    unsubscribeMailto: `mailto:unsubscribe@${mailDomain}?subject=unsubscribe%20${unsubscribeToken}`,
    feedbackToken: signToken(secret, subscriberId, 'feedback'),
  };
}
