// PLACEHOLDER (branch email only, replaced by the outbound work): the relay side of the smtp provider.
import type { Logger } from 'pino';
import type { OutboundMessage, SendOptions, SendResult } from '../../types.js';
import type { SmtpEmailConfig } from './index.js';
import type { MailThreads } from './threads.js';

export interface RelayDeps {
  threads: MailThreads;
  logger: Logger;
}

export class MailRelay {
  constructor(
    readonly config: SmtpEmailConfig,
    readonly deps: RelayDeps,
  ) {}

  async send(_message: OutboundMessage, _opts: SendOptions): Promise<SendResult> {
    throw new Error('MailRelay.send is not built yet');
  }

  close(): void {}
}
