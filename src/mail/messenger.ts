import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Envelope {
  /** Used for file names and logs; never placed in a URL. */
  editionId: string;
  subscriberId: number;
  to: string;
  from: string;
  messageId: string;
}

export interface SendResult {
  /** The transport's id for the message (SES MessageId, the outbox file path). */
  providerId: string;
}

/** A failure that will not get better by retrying (the address is bad, the message refused). */
export class PermanentSendError extends Error {
  constructor(
    message: string,
    /** True when the address itself must be suppressed (hard bounce, complaint). */
    readonly suppressAddress: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PermanentSendError';
  }
}

/** The only door to a mail transport: the pipeline never talks SMTP or SES directly. */
export interface Messenger {
  readonly name: string;
  /**
   * True when sending the same message twice has the effect of sending it once (the outbox
   * overwrites its file). Then a delivery left half-sent by a dead worker is sent again at
   * once; otherwise only after a claim timeout, so that a slow but living sender is not doubled.
   */
  readonly idempotent: boolean;
  send(raw: Buffer, envelope: Envelope): Promise<SendResult>;
  close(): Promise<void>;
}

/**
 * Writes each message as an .eml file: `$OUTBOX_DIR/<edition>/<subscriber id>.eml`. The write
 * goes through a temporary file and a rename, so a crash never leaves half a message, and a
 * resend overwrites the same file (idempotent).
 */
export class OutboxMessenger implements Messenger {
  readonly name = 'outbox';
  readonly idempotent = true;

  constructor(readonly dir: string) {}

  async send(raw: Buffer, envelope: Envelope): Promise<SendResult> {
    const folder = path.join(this.dir, envelope.editionId);
    mkdirSync(folder, { recursive: true });
    const file = path.join(folder, `${String(envelope.subscriberId).padStart(6, '0')}.eml`);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, raw);
    renameSync(tmp, file);
    return { providerId: file };
  }

  async close(): Promise<void> {}
}
