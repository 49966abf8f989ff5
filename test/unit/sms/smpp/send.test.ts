/**
 * The SMPP adapter sending through the SMSC double: what goes on the wire
 * (data_coding, esm_class, UDH, registered_delivery), the window, and how
 * refusals, silence and a dead link become typed errors.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SmppAdapter } from '../../../../adapters/sms/smpp/index.js';
import type { OutboundMessage } from '../../../../adapters/types.js';
import { GatewayError, PermanentDeliveryError, RateLimitedError, TransientDeliveryError } from '../../../../src/errors/registry.js';
import type { SmscDouble } from '../../../doubles/smsc.js';
import { outbound } from '../../../support/fixtures.js';
import { smscSuite } from './smsc-suite.js';

const smsc = smscSuite({ afterEachTest: (d) => d.heal() });
let double: SmscDouble;
beforeAll(() => {
  double = smsc.double;
});

const started = (smpp: Record<string, unknown> = {}): Promise<SmppAdapter> => smsc.start({ submitTimeoutMs: 300, ...smpp });

const send = (a: SmppAdapter, m: OutboundMessage) => a.send(m, { attempt: 1, signal: new AbortController().signal });
const msg = (body: string) => outbound('sms.test', '+15551234567', body);
const submitsSince = (n: number) => double.submits.slice(n);
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

describe('SMPP adapter: on the wire', () => {
  it('sends a short GSM-7 text as one submit_sm from the sender’s number, asking for a receipt', async () => {
    const a = await started();
    const before = double.submits.length;
    const { providerMessageId } = await send(a, msg('Hi {there} €5'));
    const [submit] = submitsSince(before);
    expect(submit).toMatchObject({
      sourceAddr: '15550001111',
      sourceTon: 1,
      destinationAddr: '15551234567',
      destTon: 1,
      esmClass: 0,
      dataCoding: 0,
      registeredDelivery: 1,
      text: 'Hi {there} €5',
      messageId: providerMessageId,
    });
    expect(submit?.shortMessage.toString('hex')).toBe('4869201b2874686572651b29201b6535');
  });

  it('sends a 300-character GSM-7 text as 2 parts and a 320-character one as 3, same reference, seq 1..n', async () => {
    const a = await started();
    for (const [length, parts] of [
      [300, 2],
      [320, 3],
    ] as const) {
      const before = double.submits.length;
      const body = 'The quick brown fox jumps over the lazy dog. '.repeat(8).slice(0, length);
      const { providerMessageId } = await send(a, msg(body));
      const submits = submitsSince(before);
      expect(submits).toHaveLength(parts);
      const ref = submits[0]?.udh?.[3];
      expect(submits.map((s) => s.udh?.toString('hex'))).toEqual(
        submits.map((_s, i) => `050003${ref?.toString(16).padStart(2, '0')}0${parts}0${i + 1}`),
      );
      expect(submits.map((s) => [s.esmClass, s.dataCoding, s.registeredDelivery])).toEqual(
        submits.map((_s, i) => [0x40, 0, i === parts - 1 ? 1 : 0]),
      );
      expect(submits.map((s) => s.shortMessage.length - 6)).toEqual(parts === 2 ? [153, 147] : [153, 153, 14]);
      expect(providerMessageId).toBe(submits[parts - 1]?.messageId);
      expect(double.messages.at(-1)).toMatchObject({ id: providerMessageId, body });
    }
  });

  it('sends UCS-2 when one character needs it, and never splits an emoji', async () => {
    const a = await started();
    let before = double.submits.length;
    await send(a, msg('Hi 😀'));
    expect(submitsSince(before).map((s) => [s.dataCoding, s.shortMessage.toString('hex'), s.text])).toEqual([
      [8, '004800690020d83dde00', 'Hi 😀'],
    ]);

    before = double.submits.length;
    const body = `Zażółć ${'😀'.repeat(40)}`;
    await send(a, msg(body));
    const submits = submitsSince(before);
    expect(submits.map((s) => [s.dataCoding, s.esmClass, s.concat?.seq, s.concat?.total])).toEqual([
      [8, 0x40, 1, 2],
      [8, 0x40, 2, 2],
    ]);
    for (const s of submits) {
      const payload = s.shortMessage.subarray(6);
      expect(payload.length).toBeLessThanOrEqual(134);
      const lastUnit = payload.readUInt16BE(payload.length - 2);
      expect(lastUnit >= 0xd800 && lastUnit <= 0xdbff).toBe(false);
    }
    expect(double.messages.at(-1)?.body).toBe(body);
  });

  it('keeps at most `window` submit_sm awaiting their response', async () => {
    const a = await started({ window: 3 });
    double.responseDelayMs = 60;
    double.peakOutstanding = 0;
    const results = await Promise.all(Array.from({ length: 10 }, (_v, i) => send(a, msg(`message ${i}`))));
    expect(new Set(results.map((r) => r.providerMessageId)).size).toBe(10);
    expect(double.peakOutstanding).toBe(3);
  });

  it('counts the parts of one long message against the window too', async () => {
    const a = await started({ window: 1 });
    double.responseDelayMs = 20;
    double.peakOutstanding = 0;
    await Promise.all([send(a, msg('x'.repeat(400))), send(a, msg('y'.repeat(400)))]);
    expect(double.peakOutstanding).toBe(1);
  });
});

describe('SMPP adapter: failures', () => {
  it.each([
    [0x58, 'ESME_RTHROTTLED'],
    [0x14, 'ESME_RMSGQFUL'],
  ])('status %i (%s) -> RateLimitedError after 1000 ms', async (status, name) => {
    const a = await started();
    double.failNext({ kind: 'status', status });
    const err = await failure(send(a, msg('hi')));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(1000);
    expect((err as Error).message).toContain(name);
  });

  it('an invalid destination is permanent, named and explained', async () => {
    const a = await started();
    double.failNext({ kind: 'status', status: 0x0b });
    const err = await failure(send(a, msg('hi')));
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect((err as Error).message).toBe('the SMS center refused the message: ESME_RINVDSTADR (invalid destination address)');
  });

  it('a system error is transient', async () => {
    const a = await started();
    double.failNext({ kind: 'status', status: 0x08 });
    expect(await failure(send(a, msg('hi')))).toBeInstanceOf(TransientDeliveryError);
  });

  it('an unanswered submit_sm times out as transient and frees its window slot', async () => {
    const a = await started({ window: 1, submitTimeoutMs: 200 });
    double.failNext({ kind: 'no-answer' });
    const err = await failure(send(a, msg('hi')));
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect((err as Error).message).toMatch(/did not answer submit_sm within 200 ms/);
    await expect(send(a, msg('again'))).resolves.toHaveProperty('providerMessageId');
  });

  it('a refused later part fails the whole message', async () => {
    const a = await started();
    const before = double.submits.length;
    double.failNext({ kind: 'accept' });
    double.failNext({ kind: 'status', status: 0x0b });
    const err = await failure(send(a, msg('z'.repeat(200))));
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(submitsSince(before)).toHaveLength(2);
  });

  it('sends from the number the core resolved for the sender', async () => {
    const a = await started();
    const before = double.submits.length;
    await send(a, { ...msg('claimed'), from: '+15550002222' });
    await send(a, msg('configured'));
    expect(submitsSince(before).map((s) => s.sourceAddr)).toEqual(['15550002222', '15550001111']);
  });

  it('a sender without a number must register first', async () => {
    const a = await started();
    const { from: _none, ...noNumber } = msg('hi');
    const err = await failure(a.send({ ...noNumber, senderJid: 'bob@localhost/x' }, { attempt: 1, signal: new AbortController().signal }));
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'REGISTRATION_REQUIRED', message: 'you have no number on this gateway; register one first' });
  });

  it('while the link is down, sends fail transient at once', async () => {
    const a = await started({ reconnectInitialMs: 5000 });
    double.refuseBinds = 0x0d;
    double.dropConnections();
    await double.until(() => !a.smppLink?.bound, 2000, 'the adapter to notice');
    const err = await failure(send(a, msg('hi')));
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect((err as Error).message).toMatch(/SMPP link to 127\.0\.0\.1:\d+ is down/);
  });

  it('refuses an aborted attempt before sending anything', async () => {
    const a = await started();
    const before = double.submits.length;
    const ac = new AbortController();
    ac.abort(new Error('shutting down'));
    expect(await failure(a.send(msg('hi'), { attempt: 1, signal: ac.signal }))).toBeInstanceOf(TransientDeliveryError);
    expect(double.submits.length).toBe(before);
  });
});
