/**
 * deliver_sm from the SMSC double through the SMPP adapter: texts in each
 * coding, concatenated messages (8-bit and 16-bit UDH, sar_* TLVs),
 * delivery receipts, and the deliver_sm_resp that waits for emitInbound.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SmppAdapter } from '../../../../adapters/sms/smpp/index.js';
import type { InboundAcceptance, InboundEvent } from '../../../../adapters/types.js';
import { GatewayError } from '../../../../src/errors/registry.js';
import type { SmscDouble } from '../../../doubles/smsc.js';
import { outbound, redisDown } from '../../../support/fixtures.js';
import { smscSuite } from './smsc-suite.js';

const ESME_ROK = 0x00;
const ESME_RSYSERR = 0x08;
const ESME_RX_T_APPN = 0x64;

const smsc = smscSuite();
let double: SmscDouble;
let emitted: InboundEvent[];
/** Replaced per test to make emitInbound fail or drop. */
let emit: (event: InboundEvent) => Promise<InboundAcceptance>;
beforeAll(() => {
  double = smsc.double;
});

const queued = async (event: InboundEvent): Promise<InboundAcceptance> => {
  emitted.push(event);
  return { outcome: 'queued', jobId: `j${emitted.length}` };
};

function started(smpp: Record<string, unknown> = {}): Promise<SmppAdapter> {
  emitted = [];
  emit = queued;
  return smsc.start(smpp, { emitInbound: (event) => emit(event) });
}

const alice = { from: '+15551234567', to: '+15550001111' };

describe('SMPP inbound messages', () => {
  it.each([
    ['GSM 03.38', 'Hello {world} €5 @home', undefined],
    ['UCS-2', 'Cześć 你好 😀', undefined],
    ['Latin-1 (data_coding 3)', 'café déjà vu', 3],
  ])('decodes %s', async (_coding, text, dataCoding) => {
    await started();
    await expect(double.deliver({ ...alice, text, ...(dataCoding === undefined ? {} : { dataCoding }) })).resolves.toBe(ESME_ROK);
    expect(emitted).toEqual([{ kind: 'message', id: expect.stringMatching(/^smpp-/), ...alice, body: text }]);
  });

  it('decodes IA5 (data_coding 1) octets', async () => {
    await started();
    const text = 'user_name@example.com costs $5';
    await double.deliver({ ...alice, text, dataCoding: 1, octets: Buffer.from(text, 'ascii') });
    expect(emitted.map((e) => e.kind === 'message' && e.body)).toEqual([text]);
  });

  it('adds "+" only to international numbers, and recognises a gateway number sent without TON', async () => {
    await started();
    await double.deliver({ from: '12345', to: '15550001111', text: 'from a short code' });
    expect(emitted).toEqual([expect.objectContaining({ from: '12345', to: '+15550001111' })]);
  });

  it('acknowledges an unroutable message (nothing to retry)', async () => {
    await started();
    emit = async () => ({ outcome: 'dropped', reason: 'nobody' });
    await expect(double.deliver({ from: '+15551234567', to: '+19999999999', text: 'x' })).resolves.toBe(ESME_ROK);
  });
});

describe('SMPP inbound concatenation', () => {
  const parts = ['This is a long message that ', 'arrives in three parts ', 'and is read as one.'];
  const whole = parts.join('');

  it.each([
    ['8-bit UDH references', 'udh8', [1, 2, 3]],
    ['16-bit UDH references, out of order', 'udh16', [3, 1, 2]],
    ['sar_* TLVs, out of order', 'sar', [2, 3, 1]],
  ] as const)('reassembles %s', async (_what, scheme, order) => {
    await started();
    const statuses = await double.deliverParts({ ...alice, parts, ref: 0x1234 & (scheme === 'udh8' ? 0xff : 0xffff), scheme, order: [...order] });
    expect(statuses).toEqual([ESME_ROK, ESME_ROK, ESME_ROK]);
    expect(emitted).toEqual([{ kind: 'message', id: expect.stringMatching(/^smpp-c-/), ...alice, body: whole }]);
  });

  it('joins UCS-2 parts split inside a surrogate pair', async () => {
    await started();
    await double.deliverParts({ ...alice, parts: ['ab\uD83D', '\uDE00cd'], ref: 9, dataCoding: 8 });
    expect(emitted.map((e) => e.kind === 'message' && e.body)).toEqual(['ab😀cd']);
  });

  it('gives a redelivered concatenated message the same id, so the gateway dedupes it', async () => {
    await started();
    await double.deliverParts({ ...alice, parts, ref: 77 });
    await double.deliverParts({ ...alice, parts, ref: 77 });
    expect(emitted).toHaveLength(2);
    expect(emitted[0]).toEqual(emitted[1]);
  });

  it('delivers what arrived, with a note, when parts are still missing after the timeout', async () => {
    await started({ reassemblyTimeoutSeconds: 1 });
    await double.deliverParts({ ...alice, parts, ref: 5, order: [1, 3] });
    expect(emitted).toEqual([]);
    await double.until(() => emitted.length === 1, 3000, 'the partial message');
    expect(emitted).toEqual([
      expect.objectContaining({ kind: 'message', body: 'This is a long message that [part 2 of 3 did not arrive]and is read as one.' }),
    ]);
  });
});

describe('SMPP deliver_sm_resp waits for emitInbound', () => {
  it('answers ESME_RX_T_APPN while the event cannot be stored, and ESME_ROK for the SMSC’s retry', async () => {
    await started();
    emit = redisDown;
    await expect(double.deliver({ ...alice, text: 'first try' })).resolves.toBe(ESME_RX_T_APPN);
    emit = queued;
    await expect(double.deliver({ ...alice, text: 'first try' })).resolves.toBe(ESME_ROK);
    expect(emitted).toHaveLength(1);
  });

  it('answers the configured inboundRetryStatus instead (ESME_RSYSERR)', async () => {
    await started({ inboundRetryStatus: 'ESME_RSYSERR' });
    emit = redisDown;
    await expect(double.deliver({ ...alice, text: 'x' })).resolves.toBe(ESME_RSYSERR);
  });

  it('answers only after emitInbound resolved', async () => {
    await started();
    let release: () => void = () => undefined;
    emit = (event) =>
      new Promise((resolve) => {
        release = () => resolve(queued(event));
      });
    let answered = false;
    const delivery = double.deliver({ ...alice, text: 'slow storage' }).then((status) => ((answered = true), status));
    await new Promise((r) => setTimeout(r, 100));
    expect(answered).toBe(false);
    release();
    await expect(delivery).resolves.toBe(ESME_ROK);
  });

  it('keeps the other parts when storing the completed message fails; the resent last part completes it', async () => {
    await started();
    const parts = ['one ', 'two ', 'three'];
    await double.deliverParts({ ...alice, parts, ref: 3, order: [1, 2] });
    emit = redisDown;
    await expect(double.deliverParts({ ...alice, parts, ref: 3, order: [3] })).resolves.toEqual([ESME_RX_T_APPN]);
    emit = queued;
    await expect(double.deliverParts({ ...alice, parts, ref: 3, order: [3] })).resolves.toEqual([ESME_ROK]);
    expect(emitted.map((e) => e.kind === 'message' && e.body)).toEqual(['one two three']);
  });
});

describe('SMPP delivery receipts', () => {
  async function sentId(a: SmppAdapter): Promise<string> {
    const { providerMessageId } = await a.send(outbound('sms.test', '+15551234567', 'hello'), { attempt: 1, signal: new AbortController().signal });
    return providerMessageId;
  }

  it.each([
    ['DELIVRD', false, { status: 'delivered' }],
    ['UNDELIV', false, { status: 'failed', reason: 'the message could not be delivered (UNDELIV, error 001)' }],
    ['EXPIRED', true, { status: 'failed', reason: 'the message expired before it could be delivered (EXPIRED, error 001)' }],
    ['REJECTD', true, { status: 'failed', reason: 'the message was rejected (REJECTD, error 001)' }],
  ] as const)('reports stat:%s (TLVs: %s)', async (stat, tlv, expected) => {
    const a = await started();
    const id = await sentId(a);
    await expect(double.deliverReceipt(id, stat, { tlv })).resolves.toBe(ESME_ROK);
    expect(emitted).toEqual([{ kind: 'status', providerMessageId: id, ...expected }]);
  });

  it('acknowledges intermediate receipts without reporting them', async () => {
    const a = await started();
    const id = await sentId(a);
    await expect(double.deliverReceipt(id, 'ENROUTE')).resolves.toBe(ESME_ROK);
    await expect(double.deliverReceipt(id, 'ACCEPTD', { tlv: true })).resolves.toBe(ESME_ROK);
    await expect(double.deliverReceipt(id, 'ENROUTE', { esmClass: 0x20 })).resolves.toBe(ESME_ROK); // intermediate notification
    expect(emitted).toEqual([]);
  });

  it('asks for a retry when the receipt cannot be stored', async () => {
    const a = await started();
    const id = await sentId(a);
    emit = redisDown;
    await expect(double.deliverReceipt(id, 'DELIVRD')).resolves.toBe(ESME_RX_T_APPN);
  });
});
