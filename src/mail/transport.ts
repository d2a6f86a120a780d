import type { Environment } from '../config/load.ts';
import { ConfigError } from '../config/load.ts';
import { OutboxMessenger, type Messenger } from './messenger.ts';
import { SesMessenger, type SesApi } from './ses.ts';

export interface TransportOptions {
  /** Which SES client makes the raw send (`send.sesApi`; default v2, the cheaper in client CPU). */
  sesApi?: SesApi;
  /** `mail.configurationSet`. */
  configurationSet?: string;
  /** Connections to keep open to SES (at least the sends in flight of this process). */
  maxSockets?: number;
}

/** The Messenger for MAIL_TRANSPORT. */
export function createMessenger(env: Environment, opts: TransportOptions = {}): Messenger {
  if (env.mailTransport === 'outbox') return new OutboxMessenger(env.outboxDir);
  if (!env.sesRegion) throw new ConfigError('the environment', ['SES_REGION: required when MAIL_TRANSPORT=ses (e.g. SES_REGION=eu-west-1)']);
  return new SesMessenger(opts.sesApi ?? 'v2', {
    region: env.sesRegion,
    endpoint: env.sesEndpoint,
    configurationSet: opts.configurationSet,
    maxSockets: opts.maxSockets,
  });
}
