/**
 * Adapter events -> inbound jobs. Resolves who a foreign message is for while
 * the provider is still on the line, so an unroutable message is answered and
 * logged at once, and stores the jobs in Redis before the provider gets 2xx.
 * A message for several recipients (a hook's users and rooms) becomes one
 * job per recipient, each deduplicated on its own.
 */
import type { InboundAcceptance, InboundEvent, InboundMessage, Recipient } from '../../adapters/types.js';
import { contactJid, isBareJid, type AddressCodec } from '../addressing/index.js';
import type { ComponentConfig } from '../config/schema.js';
import type { InboundJob } from '../queue/jobs.js';
import { stableId } from '../queue/names.js';
import type { EnqueueOutcome } from '../queue/producer.js';
import type { OwnershipStore } from '../store/ownership.js';
import { accessRules, isAllowed } from './access.js';
import { isXmlSafe } from '../xml-chars.js';

export type InboundEnqueue = (jobId: string, job: InboundJob) => Promise<EnqueueOutcome>;

export interface InboundBridgeOptions {
  /**
   * Whether the adapter may name a local JID as the recipient (`to`) instead
   * of a gateway address: true only for adapters that say so
   * (`Adapter.namesLocalRecipients`, the sandbox). A real provider's `to`
   * must be one of the gateway's own numbers or addresses.
   */
  localJidRecipients: boolean;
}

export class InboundBridge {
  readonly componentDomain: string;
  private readonly rules: string[];

  constructor(
    config: ComponentConfig,
    private readonly codec: AddressCodec,
    private readonly enqueue: InboundEnqueue,
    private readonly ownership?: OwnershipStore,
    private readonly opts: InboundBridgeOptions = { localJidRecipients: false },
  ) {
    this.componentDomain = config.domain;
    this.rules = accessRules(config.domain, config.allow);
  }

  /**
   * The local user a foreign message is for: the owner of a gateway number or
   * address, or, from an adapter that may name one (the sandbox), a local JID
   * named directly when that user may use this component.
   */
  async resolveRecipient(to: string): Promise<string | undefined> {
    const owned = await this.ownership?.recipientOf(to.trim());
    if (owned !== undefined) return owned;
    if (!this.opts.localJidRecipients) return undefined;
    const jid = to.trim().toLowerCase();
    if (!isBareJid(jid) || !isXmlSafe(jid) || jid.endsWith(`@${this.componentDomain}`)) return undefined;
    return isAllowed(jid, this.rules) ? jid : undefined;
  }

  private async recipients(event: InboundMessage): Promise<Recipient[]> {
    if (event.recipients !== undefined) return event.recipients.filter((r) => isBareJid(r.jid) && isXmlSafe(r.jid));
    const user = await this.resolveRecipient(event.to);
    return user === undefined ? [] : [{ jid: user, type: 'chat' }];
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
    const recipients = await this.recipients(event);
    if (recipients.length === 0) return { outcome: 'dropped', reason: `nobody receives messages for ${event.to}` };
    const from = this.codec.toLocalpart(event.from);
    if (!from.ok) return { outcome: 'dropped', reason: `sender ${JSON.stringify(event.from)}: ${from.reason}` };
    const mediaUrls = [...(event.mediaUrls ?? []), ...(event.attachments ?? []).map((a) => a.url)];
    const outcomes: Array<{ jobId: string; outcome: EnqueueOutcome }> = [];
    for (const recipient of recipients) {
      // One recipient found through `to` keeps the job id of 0.1, so a provider's retry across an upgrade still dedupes.
      const jobId = `m-${event.recipients === undefined ? stableId(this.componentDomain, event.id) : stableId(this.componentDomain, event.id, recipient.jid)}`;
      const job: InboundJob = {
        type: 'message',
        from: contactJid(from.localpart, this.componentDomain),
        to: recipient.jid,
        ...(recipient.type === 'groupchat' ? { groupchat: true as const } : {}),
        ...(event.correction === undefined ? {} : { correction: event.correction }),
        body: event.body,
        ...(event.subject === undefined ? {} : { subject: event.subject }),
        ...(event.thread === undefined ? {} : { thread: event.thread }),
        mediaUrls,
        receivedAt: now,
      };
      outcomes.push({ jobId, outcome: await this.enqueue(jobId, job) });
    }
    const first = outcomes[0] as { jobId: string; outcome: EnqueueOutcome };
    const queued = outcomes.find((o) => o.outcome === 'queued');
    return queued ? { outcome: 'queued', jobId: queued.jobId } : { outcome: 'duplicate', jobId: first.jobId };
  }
}
