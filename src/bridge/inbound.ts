/**
 * Adapter events -> inbound jobs. Resolves who a foreign message is for while
 * the provider is still on the line, so an unroutable message is answered and
 * logged at once, and stores the job in Redis before the provider gets 2xx.
 */
import type { InboundAcceptance, InboundEvent } from '../../adapters/types.js';
import { contactJid, type AddressCodec } from '../addressing/index.js';
import type { ComponentConfig } from '../config/schema.js';
import type { InboundJob } from '../queue/jobs.js';
import { stableId } from '../queue/names.js';
import type { EnqueueOutcome } from '../queue/producer.js';
import type { NumberStore } from '../store/numbers.js';
import { accessRules, isAllowed } from './access.js';

export type InboundEnqueue = (jobId: string, job: InboundJob) => Promise<EnqueueOutcome>;

export class InboundBridge {
  readonly componentDomain: string;
  private readonly rules: string[];
  private readonly owners: Map<string, string>;

  constructor(
    config: ComponentConfig,
    private readonly codec: AddressCodec,
    private readonly enqueue: InboundEnqueue,
    private readonly numbers?: NumberStore,
  ) {
    this.componentDomain = config.domain;
    this.rules = accessRules(config.domain, config.allow);
    // With a number store, number ownership is read from Redis (config numbers are written there at start).
    const fixed = numbers === undefined ? { ...config.numbers, ...config.addresses } : config.addresses;
    this.owners = new Map(Object.entries(fixed).map(([k, v]) => [k.toLowerCase(), v]));
  }

  /**
   * The local user a foreign message is for: the owner of a gateway number or
   * address, or a local JID named directly (as the sandbox allows) when that
   * user may use this component.
   */
  async resolveRecipient(to: string): Promise<string | undefined> {
    const owned = await this.numbers?.ownerOf(to.trim());
    if (owned !== undefined) return owned;
    const owner = this.owners.get(to.trim().toLowerCase());
    if (owner !== undefined) return owner;
    const jid = to.trim().toLowerCase();
    const at = jid.indexOf('@');
    if (at <= 0 || jid.includes('/') || jid.slice(at + 1) === this.componentDomain) return undefined;
    return isAllowed(jid, this.rules) ? jid : undefined;
  }

  async accept(event: InboundEvent, now = Date.now()): Promise<InboundAcceptance> {
    if (event.kind === 'status') {
      const jobId = `s-${stableId(this.componentDomain, event.providerMessageId, event.status)}`;
      const job: InboundJob = {
        type: 'status',
        providerMessageId: event.providerMessageId,
        status: event.status,
        ...(event.reason === undefined ? {} : { reason: event.reason }),
      };
      return { outcome: await this.enqueue(jobId, job), jobId };
    }
    const recipient = await this.resolveRecipient(event.to);
    if (recipient === undefined) return { outcome: 'dropped', reason: `nobody receives messages for ${event.to}` };
    const from = this.codec.toLocalpart(event.from);
    if (!from.ok) return { outcome: 'dropped', reason: `sender ${JSON.stringify(event.from)}: ${from.reason}` };
    const jobId = `m-${stableId(this.componentDomain, event.id)}`;
    const job: InboundJob = {
      type: 'message',
      from: contactJid(from.localpart, this.componentDomain),
      to: recipient,
      body: event.body,
      mediaUrls: event.mediaUrls ?? [],
      receivedAt: now,
    };
    return { outcome: await this.enqueue(jobId, job), jobId };
  }
}
