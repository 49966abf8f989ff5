// PLACEHOLDER (branch email only, replaced by the inbound work): the listener, Mailgun routes and attachment downloads.
import type { AdapterContext, AdapterHealth } from '../../../types.js';
import type { SmtpEmailConfig } from '../index.js';
import type { MailThreads } from '../threads.js';

export interface InboundSide {
  health(): Promise<AdapterHealth>;
  stop(): Promise<void>;
}

export async function startInbound(_config: SmtpEmailConfig, _ctx: AdapterContext, _threads: MailThreads): Promise<InboundSide> {
  return { health: async () => ({ ok: true }), stop: async () => undefined };
}
