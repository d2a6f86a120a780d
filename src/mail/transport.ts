import type { Environment } from '../config/load.ts';
import { ConfigError } from '../config/load.ts';
import { OutboxMessenger, type Messenger } from './messenger.ts';

/** The Messenger for MAIL_TRANSPORT. */
export function createMessenger(env: Environment): Messenger {
  if (env.mailTransport === 'outbox') return new OutboxMessenger(env.outboxDir);
  throw new ConfigError('the environment', ['MAIL_TRANSPORT: "ses" is not available in this version yet; use MAIL_TRANSPORT=outbox (the default)']);
}
