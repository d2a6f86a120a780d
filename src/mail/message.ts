/**
 * One RFC 5322 message per delivery: multipart/alternative (text, then HTML), a Message-ID
 * that is the same however often the delivery is retried, `Auto-Submitted: auto-generated`
 * (no vacation notice answers it), and the list headers its kind of mail calls for:
 *
 * - the edition, one message to every reader of the list: List-Id, one-click List-Unsubscribe
 *   (RFC 8058) and `Precedence: bulk`;
 * - a subscriber's own mail (welcome, preferences changed): List-Id and List-Unsubscribe, so
 *   the mail client's unsubscribe button works on it too, but no `Precedence: bulk`: it is one
 *   message to one reader, sent because of what they did;
 * - mail to someone on no list (a confirmation request, the operator's test): no list header
 *   at all. Its reader is not subscribed: there is nothing to unsubscribe from, and marking it
 *   as bulk list mail would file a request they are waiting for with the newsletters.
 *
 * A variant's bodies are encoded once (`PreparedMessage`) and cut at the placeholders; per
 * reader only the headers and the encoded links are made and spliced in. Each link sits on
 * lines of its own (soft line breaks around it), so the encoding of the rest never depends on
 * the length of a reader's link.
 */
import { createHash, createHmac } from 'node:crypto';
import { PLACEHOLDER, type ForYouFragment, type PersonalLinks } from './placeholders.ts';
import { escapeHtml } from '../lib/html.ts';
import { QuotedPrintableWriter, displayName, headerSafe, quotedPrintableLine, rfc5322Date, unstructuredValue } from './mime.ts';

export interface Address {
  name?: string;
  address: string;
}

export function parseAddress(value: string): Address {
  const m = /^\s*(.*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(value);
  if (m) return { name: m[1]!.replace(/^"|"$/g, '') || undefined, address: m[2]! };
  return { address: value.trim() };
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** `<2026-11-26.42.k3j4h5@papers.example.org>`: stable per (edition, subscriber), unguessable. */
export function stableMessageId(secret: string, editionId: string, subscriberId: number, domain: string): string {
  const tag = createHmac('sha256', secret).update(`message-id:${editionId}:${subscriberId}`).digest('base64url').slice(0, 12).replace(/[-_]/g, 'x');
  return `<${editionId}.${subscriberId}.${tag}@${domain}>`;
}

/** The list a message belongs to. */
export interface ListHeaders {
  /** The List-Id identifier, a domain-like string. */
  id: string;
  name: string;
  /** `Precedence: bulk`: one message to the whole list (the edition), never one reader's own mail. */
  bulk: boolean;
}

/** The list's identity: `mail.listId` (else `daily-papers.<the sender's domain>`) and `mail.listName`. */
export function listOf(config: { mail: { listId?: string; listName: string } }, domain: string): { id: string; name: string } {
  return { id: config.mail.listId ?? `daily-papers.${domain}`, name: config.mail.listName };
}

/** What every message of one sender and kind shares. */
export interface SenderHeaders {
  from: Address;
  /** List-Id, and each reader's List-Unsubscribe; absent for mail to someone on no list. */
  list?: ListHeaders;
  replyTo?: string;
  /** SES configuration set (event publishing): the `X-SES-CONFIGURATION-SET` header. */
  configurationSet?: string;
}

/** What differs per reader. */
export interface ReaderHeaders {
  to: string;
  messageId: string;
  date: Date;
  /** The reader's links: List-Unsubscribe on list mail, and spliced into the bodies where they have their placeholders. */
  links?: Partial<PersonalLinks> & { unsubscribe: string; unsubscribeMailto: string };
  /** The reader's For you block, encoded once per fragment (`encodeFragment`); absent: none. */
  forYou?: EncodedFragment;
}

type Slot = 'unsubscribe' | 'preferences' | 'feedbackToken' | 'forYou';
const SLOTS: [string, Slot][] = [
  [PLACEHOLDER.unsubscribeUrl, 'unsubscribe'],
  [PLACEHOLDER.preferencesUrl, 'preferences'],
  [PLACEHOLDER.feedbackToken, 'feedbackToken'],
  [PLACEHOLDER.forYou, 'forYou'],
];
const SLOT_PATTERN = new RegExp(SLOTS.map(([p]) => p).join('|'), 'g');
const LINK_SLOTS: Exclude<Slot, 'forYou'>[] = ['unsubscribe', 'preferences', 'feedbackToken'];

/** A body encoded once: literal ASCII pieces and the slots where a reader's parts go. */
interface EncodedBody {
  pieces: Buffer[];
  slots: Slot[];
  html: boolean;
}

/**
 * `spliced`: the body goes into another at a slot, so it ends with a soft line break like a
 * link does, and the body around it goes on at the start of a line.
 */
function encodeBody(source: string, html: boolean, spliced = false): EncodedBody {
  const w = new QuotedPrintableWriter();
  const pieces: Buffer[] = [];
  const slots: Slot[] = [];
  let last = 0;
  for (const m of source.matchAll(SLOT_PATTERN)) {
    w.write(source.slice(last, m.index)).softBreak();
    pieces.push(Buffer.from(w.take(), 'latin1'));
    slots.push(SLOTS.find(([p]) => p === m[0])![1]);
    last = m.index + m[0].length;
  }
  w.write(source.slice(last));
  pieces.push(Buffer.from(spliced ? w.softBreak().take() : w.finish(), 'latin1'));
  return { pieces, slots, html };
}

/** A For you block, encoded once for every reader who gets it. */
export interface EncodedFragment {
  text: EncodedBody;
  html: EncodedBody;
}

export function encodeFragment(fragment: ForYouFragment): EncodedFragment {
  // a block holds feedback links only: never another block
  const strip = (body: string) => body.replaceAll(PLACEHOLDER.forYou, '');
  return { text: encodeBody(strip(fragment.text), false, true), html: encodeBody(strip(fragment.html), true, true) };
}

function sanitizeAddress(address: string): string {
  return headerSafe(address).replace(/[\s<>,;"]/g, '');
}

/**
 * One variant's message, encoded once; `build` makes each reader's copy. A variant with a For
 * you slot is encoded twice, lazily: without the slot for the readers who get no block (their
 * message is byte for byte the one of a variant rendered without it), with it for the others.
 */
export class PreparedMessage {
  private readonly text: EncodedBody;
  private readonly html: EncodedBody;
  private slotted?: { text: EncodedBody; html: EncodedBody };
  private readonly withSlot?: { text: string; html: string };
  private readonly boundary: string;
  private readonly list: boolean;
  private readonly fixedHeaders: string;
  private readonly textHead: Buffer;
  private readonly htmlHead: Buffer;
  private readonly tail: Buffer;

  constructor(sender: SenderHeaders, body: { subject: string; text: string; html: string }) {
    const text = body.text.replace(PLACEHOLDER.forYou, '');
    const html = body.html.replace(PLACEHOLDER.forYou, '');
    if (text !== body.text || html !== body.html) this.withSlot = { text: body.text, html: body.html };
    this.text = encodeBody(text, false);
    this.html = encodeBody(html, true);
    // "=_" never occurs in quoted-printable output, so the boundary cannot occur in a body
    this.boundary = `=_pb_${createHash('sha1').update(body.subject).update(text).update(html).digest('hex').slice(0, 24)}`;
    const from = sender.from.name ? `${displayName(sender.from.name)} <${sanitizeAddress(sender.from.address)}>` : sanitizeAddress(sender.from.address);
    const lines = [`From: ${from}`, `Subject: ${unstructuredValue(body.subject, 'Subject: '.length)}`];
    const list = sender.list;
    this.list = list !== undefined;
    if (list) lines.push(`List-Id: ${unstructuredValue(`${headerSafe(list.name).replace(/[<>]/g, '')} <${sanitizeAddress(list.id)}>`, 'List-Id: '.length)}`);
    if (sender.replyTo) lines.push(`Reply-To: ${sanitizeAddress(sender.replyTo)}`);
    if (sender.configurationSet) lines.push(`X-SES-CONFIGURATION-SET: ${sanitizeAddress(sender.configurationSet)}`);
    // automatic replies (vacation notices) should not answer mail that a program sent
    lines.push('Auto-Submitted: auto-generated');
    if (list?.bulk) lines.push('Precedence: bulk');
    lines.push('MIME-Version: 1.0', `Content-Type: multipart/alternative;\r\n boundary="${this.boundary}"`);
    this.fixedHeaders = `${lines.join('\r\n')}\r\n\r\n`;
    const part = (type: string) => `--${this.boundary}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n`;
    this.textHead = Buffer.from(part('text/plain'), 'latin1');
    this.htmlHead = Buffer.from(`\r\n${part('text/html')}`, 'latin1');
    this.tail = Buffer.from(`\r\n--${this.boundary}--\r\n`, 'latin1');
  }

  /** The reader's message: their headers, the shared bodies with their links (and For you block) spliced in. */
  build(reader: ReaderHeaders): Buffer {
    const links = reader.links;
    let head = `To: ${sanitizeAddress(reader.to)}\r\nDate: ${rfc5322Date(reader.date)}\r\nMessage-ID: ${headerSafe(reader.messageId).replace(/\s/g, '')}\r\n`;
    if (this.list) {
      if (!links) throw new Error(`list mail to ${reader.to} needs the reader's unsubscribe links (List-Unsubscribe)`);
      head +=
        `List-Unsubscribe: <${headerSafe(links.unsubscribe).replace(/[<>\s]/g, '')}>,\r\n <${headerSafe(links.unsubscribeMailto).replace(/[<>\s]/g, '')}>\r\n` +
        'List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n';
    }
    const chunks: Buffer[] = [Buffer.from(head + this.fixedHeaders, 'latin1'), this.textHead];
    // each of the reader's links is encoded once per form, however often the body shows it
    // (the feedback token ends a link on every card)
    const encoded: (Buffer | undefined)[] = [];
    const link = (slot: Exclude<Slot, 'forYou'>, html: boolean) => {
      const at = LINK_SLOTS.indexOf(slot) * 2 + (html ? 1 : 0);
      let b = encoded[at];
      if (!b) {
        const value = links?.[slot];
        if (value === undefined) throw new Error(`the message to ${reader.to} has a place for the reader's ${slot} link, and no such link was given`);
        b = encoded[at] = Buffer.from(quotedPrintableLine(html ? escapeHtml(value) : value), 'latin1');
      }
      return b;
    };
    const bodies: { text: EncodedBody; html: EncodedBody } =
      reader.forYou && this.withSlot
        ? (this.slotted ??= { text: encodeBody(this.withSlot.text, false), html: encodeBody(this.withSlot.html, true) })
        : { text: this.text, html: this.html };
    this.splice(bodies.text, link, chunks, reader.forYou?.text);
    chunks.push(this.htmlHead);
    this.splice(bodies.html, link, chunks, reader.forYou?.html);
    chunks.push(this.tail);
    return Buffer.concat(chunks);
  }

  private splice(body: EncodedBody, link: (slot: Exclude<Slot, 'forYou'>, html: boolean) => Buffer, into: Buffer[], forYou?: EncodedBody): void {
    for (let i = 0; i < body.slots.length; i++) {
      into.push(body.pieces[i]!);
      const slot = body.slots[i]!;
      if (slot !== 'forYou') into.push(link(slot, body.html));
      else if (forYou) this.splice(forYou, link, into);
    }
    into.push(body.pieces[body.pieces.length - 1]!);
  }
}

/** A single message whose bodies are final (transactional mail, the operator's test). */
export interface OutgoingMessage {
  from: Address;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  date: Date;
  /**
   * A subscriber's own mail: the list's List-Id and this reader's one-click List-Unsubscribe
   * (never `Precedence: bulk`: one message to one reader). Absent for someone on no list.
   */
  list?: { id: string; name: string; unsubscribeUrl: string; unsubscribeMailto: string };
  replyTo?: string;
  configurationSet?: string;
}

export async function buildMessage(m: OutgoingMessage): Promise<Buffer> {
  const prepared = new PreparedMessage(
    { from: m.from, list: m.list ? { id: m.list.id, name: m.list.name, bulk: false } : undefined, replyTo: m.replyTo, configurationSet: m.configurationSet },
    { subject: m.subject, text: m.text, html: m.html },
  );
  // the bodies are final: the links only make List-Unsubscribe
  const links = m.list ? { unsubscribe: m.list.unsubscribeUrl, unsubscribeMailto: m.list.unsubscribeMailto } : undefined;
  return prepared.build({ to: m.to, messageId: m.messageId, date: m.date, links });
}
