/**
 * The SMPP v3.4 provider: one bind_transceiver link to an SMSC (link.ts)
 * carries outbound submit_sm and inbound deliver_sm both ways.
 *
 * Sending: From = the sender's gateway number (as the core resolved it, else
 * the `numbers` entry their bare JID owns); the text goes as GSM-7 or UCS-2, cut into concatenated
 * parts when long (submit.ts). At most `window` submit_sm await their
 * response at once. The provider id is the message_id of the LAST part's
 * submit_sm_resp: only that part asks for a delivery receipt, so its
 * receipt is what confirms (or fails) the message.
 * Failures: link down or no answer in time -> transient; ESME_RTHROTTLED /
 * ESME_RMSGQFUL -> rate-limited; other refusals by status (status.ts).
 * A part refused after earlier parts were accepted fails the whole message;
 * the retry sends every part again under a new reference.
 *
 * Receiving: inbound.ts (answers each deliver_sm only after emitInbound).
 */
import type { Logger } from 'pino';
import type { ProviderConfig } from '../../../src/config/schema.js';
import { providerSettings } from '../../settings.js';
import { GatewayError, TransientDeliveryError } from '../../../src/errors/registry.js';
import { throwIfAborted } from '../../kit/abort.js';
import type { Adapter, AdapterContext, AdapterHealth, OutboundMessage, SendOptions, SendResult } from '../../types.js';
import { senderNumber } from '../sender.js';
import { InboundHandler } from './inbound.js';
import { SmppLink } from './link.js';
import { ESME_ROK, ESME_RX_T_APPN, statusByName, submitError } from './status.js';
import { planSubmits, smppAddress } from './submit.js';
import { Window } from './window.js';

type SmppSettings = ProviderConfig<'smpp'>['smpp'];

export class SmppAdapter implements Adapter {
  readonly network = 'sms' as const;
  readonly provider = 'smpp';
  readonly componentDomain: string;
  private readonly settings: SmppSettings;
  private readonly window: Window;
  private link: SmppLink | undefined;
  private inbound: InboundHandler | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** 8-bit concatenation reference, per adapter; starts at random so restarts do not reuse recent ones. */
  private nextRef = Math.floor(Math.random() * 256);

  constructor(config: ProviderConfig<'smpp'>) {
    const settings = providerSettings(config, 'smpp');
    this.componentDomain = config.domain;
    this.settings = settings;
    this.window = new Window(settings.window);
  }

  /** The link, for tests and diagnostics. */
  get smppLink(): SmppLink | undefined {
    return this.link;
  }

  async start(ctx: AdapterContext): Promise<void> {
    const s = this.settings;
    const logger: Logger = ctx.logger.child({ provider: 'smpp', component: this.componentDomain });
    const inbound = new InboundHandler({
      emit: (event) => ctx.emitInbound(event),
      logger,
      retryStatus: statusByName(s.inboundRetryStatus) ?? ESME_RX_T_APPN,
      reassemblyTimeoutMs: s.reassemblyTimeoutSeconds * 1000,
      isGatewayAddress: (address) => ctx.isGatewayAddress(address),
    });
    this.inbound = inbound;
    this.link = new SmppLink({
      host: s.host,
      port: s.port,
      systemId: s.systemId,
      password: s.password,
      systemType: s.systemType,
      enquireLinkMs: s.enquireLinkSeconds * 1000,
      responseTimeoutMs: s.submitTimeoutMs,
      reconnect: { initialDelayMs: s.reconnectInitialMs, maxDelayMs: s.reconnectMaxMs },
      logger,
      onDeliver: (pdu) => inbound.handle(pdu),
    });
    const sweepMs = Math.min(30_000, Math.max(100, (s.reassemblyTimeoutSeconds * 1000) / 4));
    this.sweepTimer = setInterval(() => void inbound.sweep(), sweepMs);
    await this.link.start();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.link?.stop();
    this.link = undefined;
  }

  /** ok only while bound; the detail names the last refusal or socket error. */
  async health(): Promise<AdapterHealth> {
    const link = this.link;
    if (link === undefined) return { ok: false, detail: 'not started' };
    if (link.bound) return { ok: true };
    return { ok: false, detail: `SMPP link to ${link.address} ${link.state}${link.detail ? `: ${link.detail}` : ''}` };
  }

  async send(message: OutboundMessage, opts: SendOptions): Promise<SendResult> {
    throwIfAborted(opts.signal, this.provider);
    const from = senderNumber(message);
    const link = this.link;
    if (link === undefined || !link.bound) {
      throw new TransientDeliveryError(`SMPP link${link ? ` to ${link.address}` : ''} is down${link?.detail ? ` (${link.detail})` : ''}`);
    }
    const s = this.settings;
    const ref = this.nextRef;
    this.nextRef = (this.nextRef + 1) & 0xff;
    const plan = planSubmits(
      message.body,
      smppAddress(from, { ton: s.sourceTon, npi: s.sourceNpi }),
      smppAddress(message.to, { ton: s.destTon, npi: s.destNpi }),
      ref,
    );
    let messageId = '';
    for (const [i, fields] of plan.parts.entries()) {
      // Abort only before the first part: stopping half-way would leave the recipient a fragment.
      const release = await this.window.acquire(i === 0 ? opts.signal : undefined).catch((reason: unknown) => {
        throw new TransientDeliveryError('delivery attempt aborted while waiting for the SMPP window', { cause: reason });
      });
      try {
        const resp = await link.request('submit_sm', fields);
        if (resp.command_status !== ESME_ROK) throw submitError(resp.command_status);
        messageId = resp.message_id ?? '';
      } finally {
        release();
      }
    }
    // An SMSC that answers without a message_id still took the message; sending it again would
    // duplicate it. No receipt can be matched then, so the id only needs to be unique.
    return { providerMessageId: messageId === '' ? `smpp-noid-${message.id}` : messageId };
  }
}

export function smppAdapter(config: ProviderConfig<'smpp'>): Adapter {
  return new SmppAdapter(config);
}
