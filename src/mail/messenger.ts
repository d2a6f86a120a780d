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

/** A failure that may pass: throttling, a 5xx answer, the network. Retried with back-off, never lost. */
export class TransientSendError extends Error {
  constructor(
    message: string,
    /** The transport said "too fast" (throttling): the send rate, not the message, is the cause. */
    readonly throttled: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'TransientSendError';
  }
}

/** The account may not send now (paused by the provider, sender not verified): the operator must act. */
export class SendingPausedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SendingPausedError';
  }
}

/** The provider's 24-hour quota is used up: sending resumes after the quota day. */
export class QuotaExceededError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'QuotaExceededError';
  }
}

/** The provider's sending limits, where it tells them. */
export interface SendQuota {
  max24HourSend: number;
  maxSendRate: number;
  sentLast24Hours: number;
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
  /** True when sends count against a provider's rate and quota (`send.ratePerSecond` applies). */
  readonly metered?: boolean;
  send(raw: Buffer, envelope: Envelope): Promise<SendResult>;
  /** The provider's limits, or undefined when it does not tell (or did not answer in time). */
  quota?(timeoutMs: number): Promise<SendQuota | undefined>;
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
  readonly metered = false;
  private readonly folders = new Set<string>();

  constructor(readonly dir: string) {}

  async send(raw: Buffer, envelope: Envelope): Promise<SendResult> {
    const folder = path.join(this.dir, envelope.editionId);
    // once per edition folder, not per message
    if (!this.folders.has(folder)) {
      mkdirSync(folder, { recursive: true });
      this.folders.add(folder);
    }
    const file = path.join(folder, `${String(envelope.subscriberId).padStart(6, '0')}.eml`);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, raw);
    } catch (err) {
      // the folder was removed under us (an operator cleaning the outbox): make it again
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(folder, { recursive: true });
      writeFileSync(tmp, raw);
    }
    renameSync(tmp, file);
    return { providerId: file };
  }

  async close(): Promise<void> {}
}
