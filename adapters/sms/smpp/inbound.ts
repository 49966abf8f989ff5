/**
 * deliver_sm (and data_sm) from the SMSC -> inbound events. The answer to
 * each PDU waits for `emitInbound`: ESME_ROK once the event is stored (or
 * there is nothing to store), the configured retry status when storing failed
 * (Redis down), so the SMSC delivers the PDU again later.
 *
 * - Delivery receipts (esm_class type 0x04, or a receipted_message_id TLV)
 *   become `{ kind: 'status' }` for final states; intermediate ones
 *   (ENROUTE, ACCEPTD, esm_class 0x20) and unreadable ones are acknowledged
 *   and not reported (logged).
 * - Other PDUs are text messages: `from`/`to` get a `+` when their TON is
 *   international; concatenated parts are held by the Reassembler until the
 *   message is whole. A single-part message gets a random id: SMPP gives
 *   deliver_sm no id of its own, and any stable hash of sender and text would
 *   swallow a second identical "ok" within the gateway's one-day dedupe window.
 */
import { randomUUID } from 'node:crypto';
import type smpp from 'smpp';
import type { Logger } from 'pino';
import type { InboundAcceptance, InboundEvent } from '../../types.js';
import {
  concatFromSar,
  concatFromUdh,
  ESM_MESSAGE_TYPE,
  inboundText,
  readAsGsm,
  resolveGsmEscapes,
  userData,
} from './codec.js';
import { assembledText, Reassembler, type Assembled } from './reassembly.js';
import { readReceipt } from './receipt.js';
import { ESME_ROK } from './status.js';

/** TON of an international number (SMPP 3.4 §5.2.5). */
const TON_INTERNATIONAL = 1;

/** A timed-out partial message is offered this many sweeps before it is given up (and logged). */
const MAX_FLUSH_ATTEMPTS = 5;

export interface InboundOptions {
  emit(event: InboundEvent): Promise<InboundAcceptance>;
  logger: Logger;
  /** command_status that asks the SMSC to deliver a PDU again later. */
  retryStatus: number;
  reassemblyTimeoutMs: number;
  /** Gateway numbers (E.164 with '+'), to recognise a destination sent without TON. */
  /** Whether a number is one of the gateway's (AdapterContext.isGatewayAddress). */
  isGatewayAddress(address: string): Promise<boolean>;
  now?: () => number;
}

/** `+digits` for an international number, the address as sent otherwise. */
export function normalizeAddress(addr: string, ton: number | undefined): string {
  const trimmed = addr.trim();
  if (ton === TON_INTERNATIONAL) return `+${trimmed.replace(/^\+/, '')}`;
  return trimmed;
}

export class InboundHandler {
  readonly reassembler: Reassembler;

  constructor(private readonly opts: InboundOptions) {
    this.reassembler = new Reassembler({ timeoutMs: opts.reassemblyTimeoutMs, ...(opts.now ? { now: opts.now } : {}) });
  }

  /** Handles one PDU; resolves to the command_status of its response. Never rejects. */
  async handle(pdu: smpp.PDU): Promise<number> {
    try {
      const esmClass = pdu.esm_class ?? 0;
      // Message type bits 2-5 (SMPP 3.4 §5.2.12): 0x04 SMSC delivery receipt, 0x20 intermediate
      // notification, 0x08/0x10 acknowledgements. None of them is a text for the user.
      if ((esmClass & ESM_MESSAGE_TYPE) !== 0 || pdu.receipted_message_id !== undefined) {
        return await this.receipt(pdu);
      }
      return await this.message(pdu);
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message, command: pdu.command }, 'inbound SMPP PDU not stored; asking the SMS center to retry');
      return this.opts.retryStatus;
    }
  }

  private async receipt(pdu: smpp.PDU): Promise<number> {
    const data = userData(pdu);
    const text = typeof data.message === 'string' ? data.message : data.message.toString('latin1');
    const outcome = readReceipt({ text, receiptedMessageId: pdu.receipted_message_id, messageState: pdu.message_state });
    if (outcome.kind === 'unreadable') {
      this.opts.logger.warn({ why: outcome.why }, 'unreadable SMPP delivery receipt ignored');
      return ESME_ROK;
    }
    if (outcome.kind === 'intermediate') {
      this.opts.logger.debug({ providerMessageId: outcome.providerMessageId, stat: outcome.stat }, 'intermediate SMPP receipt');
      return ESME_ROK;
    }
    await this.opts.emit(outcome.event);
    return ESME_ROK;
  }

  private async message(pdu: smpp.PDU): Promise<number> {
    const from = normalizeAddress(pdu.source_addr ?? '', pdu.source_addr_ton);
    const to = await this.destination(pdu.destination_addr ?? '', pdu.dest_addr_ton);
    const dataCoding = pdu.data_coding ?? 0;
    const data = userData(pdu);
    const decoded = inboundText(data.message, dataCoding);
    if (decoded === undefined) {
      this.opts.logger.info({ from, to, dataCoding }, 'binary SMS (not text) acknowledged and not delivered');
      return ESME_ROK;
    }
    const concat = concatFromUdh(data.udh ?? []) ?? concatFromSar(pdu);
    if (concat === undefined || concat.total === 1) {
      const body = readAsGsm(dataCoding) ? resolveGsmEscapes(decoded) : decoded;
      await this.emitMessage({ kind: 'message', id: `smpp-${randomUUID()}`, from, to, body });
      return ESME_ROK;
    }
    const whole = this.reassembler.add({ from, to, concat, text: decoded });
    if (whole === undefined) return ESME_ROK;
    try {
      await this.emitAssembled(whole);
    } catch (err) {
      this.reassembler.putBack(whole, concat.seq);
      throw err;
    }
    return ESME_ROK;
  }

  /** Delivers messages whose parts stopped arriving (called on a timer). */
  async sweep(): Promise<void> {
    for (const partial of this.reassembler.expired()) {
      const missing = partial.total - partial.parts.size;
      try {
        await this.emitAssembled(partial);
        this.opts.logger.warn({ from: partial.from, to: partial.to, total: partial.total, missing }, 'concatenated SMS delivered with parts missing');
      } catch (err) {
        if (partial.flushAttempts + 1 >= MAX_FLUSH_ATTEMPTS) {
          this.opts.logger.error(
            { from: partial.from, to: partial.to, total: partial.total, missing, err: (err as Error).message },
            'incomplete concatenated SMS could not be stored and was dropped',
          );
        } else this.reassembler.retryLater(partial);
      }
    }
  }

  /** Escape pairs are resolved after joining (ESC is no character in any other coding either). */
  private async emitAssembled(whole: Assembled): Promise<void> {
    const body = resolveGsmEscapes(assembledText(whole));
    await this.emitMessage({ kind: 'message', id: whole.id, from: whole.from, to: whole.to, body });
  }

  private async emitMessage(event: InboundEvent & { kind: 'message' }): Promise<void> {
    const result = await this.opts.emit(event);
    if (result.outcome === 'dropped') {
      this.opts.logger.warn({ from: event.from, to: event.to, reason: result.reason }, 'inbound SMS not routable; acknowledged and dropped');
    }
  }

  /** The gateway number a message is for; a number sent without TON is recognised when it is one of the gateway's. */
  private async destination(addr: string, ton: number | undefined): Promise<string> {
    const normalized = normalizeAddress(addr, ton);
    if (normalized.startsWith('+') || !/^\d+$/.test(normalized)) return normalized;
    return (await this.opts.isGatewayAddress(`+${normalized}`)) ? `+${normalized}` : normalized;
  }
}
