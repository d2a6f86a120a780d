/**
 * What happens after a send: SES's bounce, complaint and delivery events (through SNS), the
 * reputation guard that pauses an edition whose list is going bad, and the `mailto:` unsubscribe
 * that comes back as an inbound email. Every function here is safe to apply twice.
 */
import type { Store } from '../db/index.ts';
import type { DeliveryRef } from '../db/index.ts';
import type { SuppressionReason } from '../db/index.ts';
import { verifyToken } from '../mail/tokens.ts';
import { editionFlags } from '../domain/edition.ts';

/**
 * AWS reviews an account whose bounce rate reaches 5 % or complaint rate 0.1 %. An edition is
 * judged only once it has a sample where one address cannot decide: 100 sent messages for
 * bounces (5 bounces are needed before 5 % can be passed), 1,000 for complaints (a single
 * complaint in 1,000 is exactly 0.1 %, so two are needed). Only permanent bounces count, as in
 * AWS's own rate.
 */
export const REPUTATION_GUARD = {
  maxBounceRate: 0.05,
  maxComplaintRate: 0.001,
  minSentForBounceRate: 100,
  minSentForComplaintRate: 1000,
} as const;

export type SesEventKind = 'bounce' | 'soft-bounce' | 'complaint' | 'delivery' | 'ignored';

export interface SesEventOutcome {
  kind: SesEventKind;
  /** The addresses the event names. */
  recipients: string[];
  /** Addresses put on the suppression list by this event (not those already there). */
  suppressed: string[];
  /** The edition the message belonged to, when it was one of an edition's deliveries. */
  editionId?: string;
  /** Set when this event made the reputation guard pause the edition. */
  paused?: string;
  /** Why an event was ignored. */
  note?: string;
}

interface SesRecipient {
  emailAddress?: unknown;
  status?: unknown;
  action?: unknown;
  diagnosticCode?: unknown;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const record = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** An address as SES writes it, possibly with a display name: `"Ann" <ann@example.org>`. */
function bareAddress(value: unknown): string | undefined {
  const s = text(value);
  if (!s) return undefined;
  const m = /<([^<>\s]+@[^<>\s]+)>/.exec(s);
  const address = (m ? m[1]! : s).trim().toLowerCase();
  return /^[^\s@]+@[^\s@]+$/.test(address) ? address : undefined;
}

function stripAngles(id: string): string {
  return id.trim().replace(/^<|>$/g, '');
}

/** The delivery an SES event is about: by our Message-ID header, or by SES's own message id. */
async function deliveryOf(store: Store, mail: Record<string, unknown>): Promise<DeliveryRef | undefined> {
  const messageIds = new Set<string>();
  const common = text(record(mail.commonHeaders).messageId);
  if (common) messageIds.add(stripAngles(common));
  for (const h of list(mail.headers)) {
    const header = record(h);
    const value = text(header.value);
    if (value && text(header.name)?.toLowerCase() === 'message-id') messageIds.add(stripAngles(value));
  }
  return store.feedback.findDelivery({ messageIds: [...messageIds], providerId: text(mail.messageId) });
}

/**
 * Puts an address on the suppression list and stops mail to its subscriber: `suppressed` for a
 * bounce or a manual entry, `unsubscribed` for a complaint (the reader said no). Returns true
 * when the address was not listed before.
 */
export async function suppressAddress(store: Store, email: string, reason: SuppressionReason, detail: string | undefined, now: string): Promise<boolean> {
  const added = await store.suppressions.add(email, reason, detail, now);
  const subscriber = await store.subscribers.getByEmail(email);
  if (subscriber && (subscriber.status === 'confirmed' || subscriber.status === 'pending')) {
    // the reader said no: the one unsubscribe, which also voids a confirmation link in flight
    if (reason === 'complaint' || reason === 'unsubscribe') await store.subscribers.unsubscribe(subscriber.id, now);
    else await store.subscribers.setStatus(subscriber.id, 'suppressed', now);
  }
  return added;
}

function percent(rate: number): string {
  const p = rate * 100;
  return `${Number(p.toFixed(p >= 1 ? 1 : 2))} %`;
}

/** Pauses the edition when its bounce or complaint rate passed the guard's limit; returns the reason. */
export async function checkReputation(store: Store, editionId: string, now: string): Promise<string | undefined> {
  const counts = await store.feedback.editionCounts(editionId);
  // the guard pauses an edition once: after `edition resume` the operator has decided
  if (counts.guardTrippedAt) return undefined;
  const g = REPUTATION_GUARD;
  // below these counts no sample the guard judges can pass its limits: skip counting the sends
  if (counts.bounced <= g.minSentForBounceRate * g.maxBounceRate && counts.complained <= g.minSentForComplaintRate * g.maxComplaintRate) return undefined;
  const sent = (await store.deliveries.countByStatus(editionId)).sent;
  let problem: string | undefined;
  if (sent >= g.minSentForBounceRate && counts.bounced / sent > g.maxBounceRate) {
    problem = `bounce rate ${percent(counts.bounced / sent)} (${counts.bounced} of ${sent}) passed ${percent(g.maxBounceRate)}`;
  } else if (sent >= g.minSentForComplaintRate && counts.complained / sent > g.maxComplaintRate) {
    problem = `complaint rate ${percent(counts.complained / sent)} (${counts.complained} of ${sent}) passed ${percent(g.maxComplaintRate)}`;
  }
  if (!problem) return undefined;
  const edition = await store.editions.get(editionId);
  if (!edition) return undefined;
  const reason = `${problem}: check the list, then \`paperboy edition resume ${editionFlags(edition)}\``;
  // one process trips the guard; the others see it tripped and stay quiet
  if (!(await store.feedback.tripGuard(editionId, now))) return undefined;
  return (await store.editions.pause(editionId, reason, now)) ? reason : undefined;
}

/**
 * Applies one SES event: the SNS notification format (`notificationType`) or the
 * configuration-set event format (`eventType`). A permanent bounce suppresses the address, a
 * complaint suppresses it and unsubscribes the reader, a transient bounce and a delivery are
 * counted; each is counted once per delivery, and the edition's reputation is checked.
 */
export async function applySesEvent(store: Store, event: unknown, now: string): Promise<SesEventOutcome> {
  const e = record(event);
  const type = text(e.notificationType) ?? text(e.eventType);
  const mail = record(e.mail);
  const ignored = (note: string): SesEventOutcome => ({ kind: 'ignored', recipients: [], suppressed: [], note });
  if (!type) return ignored('neither notificationType nor eventType: not an SES event');

  let kind: SesEventKind;
  let recipients: SesRecipient[];
  let detail: string | undefined;
  if (type === 'Bounce') {
    const bounce = record(e.bounce);
    recipients = list(bounce.bouncedRecipients).map(record);
    kind = text(bounce.bounceType) === 'Permanent' ? 'bounce' : 'soft-bounce';
    const first = recipients[0] ?? {};
    detail =
      [text(bounce.bounceType), text(bounce.bounceSubType)].filter(Boolean).join('/') +
      `: ${text(first.diagnosticCode) ?? text(first.status) ?? text(first.action) ?? 'no diagnostic'}`;
  } else if (type === 'Complaint') {
    const complaint = record(e.complaint);
    const feedbackType = text(complaint.complaintFeedbackType);
    // a "not-spam" report is a reader taking a message out of their spam folder
    if (feedbackType === 'not-spam') return ignored('a not-spam report');
    recipients = list(complaint.complainedRecipients).map(record);
    kind = 'complaint';
    detail = feedbackType ?? text(complaint.complaintSubType) ?? 'complaint';
  } else if (type === 'Delivery') {
    recipients = list(record(e.delivery).recipients).map((r) => ({ emailAddress: r }));
    kind = 'delivery';
  } else {
    return ignored(`${type} events do not change a subscriber`);
  }

  const addresses = [...new Set(recipients.map((r) => bareAddress(r.emailAddress)).filter((a): a is string => a !== undefined))];
  const outcome: SesEventOutcome = { kind, recipients: addresses, suppressed: [] };
  if (kind === 'bounce' || kind === 'complaint') {
    for (const address of addresses) {
      if (await suppressAddress(store, address, kind, detail, now)) outcome.suppressed.push(address);
    }
  }
  const delivery = await deliveryOf(store, mail);
  if (!delivery) return outcome;
  outcome.editionId = delivery.editionId;
  const feedbackKind = ({ bounce: 'bounced', 'soft-bounce': 'soft-bounced', complaint: 'complained', delivery: 'delivered' } as const)[kind];
  const counted = await store.feedback.record(delivery, feedbackKind, detail, now);
  if (counted && (kind === 'bounce' || kind === 'complaint')) outcome.paused = await checkReputation(store, delivery.editionId, now);
  return outcome;
}

/** Decodes RFC 2047 encoded words (`=?UTF-8?B?…?=`), as a mail client may write a subject. */
export function decodeEncodedWords(value: string): string {
  return value.replace(/\?=\s+=\?/g, '?==?').replace(/=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g, (whole, charset: string, encoding: string, data: string) => {
    try {
      const bytes =
        encoding.toUpperCase() === 'B'
          ? Buffer.from(data, 'base64')
          : Buffer.from(
              data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
              'latin1',
            );
      return new TextDecoder(charset.split('*')[0]!.toLowerCase()).decode(bytes);
    } catch {
      return whole;
    }
  });
}

/** The Subject header of a raw RFC 5322 message (headers unfolded), or undefined. */
function subjectOfRawMessage(raw: string): string | undefined {
  const end = raw.search(/\r?\n\r?\n/);
  const head = (end === -1 ? raw : raw.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const m = /^subject:[ \t]*(.*)$/im.exec(head);
  return m ? m[1]!.trim() : undefined;
}

export type InboundOutcome = { unsubscribed: true; subscriberId: number; alreadyOff: boolean } | { unsubscribed: false; reason: string };

/**
 * An email to the `mailto:` of our List-Unsubscribe header (SES receipt rule → SNS): its
 * subject is `unsubscribe <token>`. The signed token is the authority, as for the one-click
 * POST, so the sender's address need not match (readers write from aliases).
 */
export async function applyInboundUnsubscribe(store: Store, secret: string, received: unknown, now: string): Promise<InboundOutcome> {
  const n = record(received);
  if (text(n.notificationType) !== 'Received')
    return { unsubscribed: false, reason: `notificationType ${JSON.stringify(n.notificationType ?? null)} is not an inbound email ("Received")` };
  const receipt = record(n.receipt);
  if (text(record(receipt.virusVerdict).status) === 'FAIL') return { unsubscribed: false, reason: 'SES found a virus in the message' };
  const mail = record(n.mail);
  const subjects: string[] = [];
  const common = text(record(mail.commonHeaders).subject);
  if (common) subjects.push(common);
  for (const h of list(mail.headers)) {
    const header = record(h);
    if (text(header.name)?.toLowerCase() === 'subject' && text(header.value)) subjects.push(text(header.value)!);
  }
  const content = text(n.content);
  if (content) {
    const raw = text(record(receipt.action).encoding) === 'BASE64' ? Buffer.from(content, 'base64').toString('latin1') : content;
    const subject = subjectOfRawMessage(raw);
    if (subject) subjects.push(subject);
  }
  if (subjects.length === 0) return { unsubscribed: false, reason: 'the message has no subject' };
  for (const subject of subjects) {
    // any word may be the token: a client may add "Re:" or keep "unsubscribe" in another case
    for (const word of decodeEncodedWords(subject).split(/\s+/)) {
      const id = verifyToken(secret, word, 'unsubscribe');
      const subscriber = id === undefined ? undefined : await store.subscribers.getById(id);
      if (!subscriber) continue;
      const on = subscriber.status === 'confirmed' || subscriber.status === 'pending';
      // the same query as the web's unsubscribe: a pending re-subscription is void as well
      await store.subscribers.unsubscribe(subscriber.id, now);
      return { unsubscribed: true, subscriberId: subscriber.id, alreadyOff: !on };
    }
  }
  return { unsubscribed: false, reason: 'no valid unsubscribe token in the subject' };
}
