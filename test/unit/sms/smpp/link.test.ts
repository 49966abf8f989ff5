/**
 * The SMPP link against the SMSC double: bind, keepalive both ways,
 * reconnect with backoff after a drop or a refused bind, unbind on stop.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { SmppAdapter } from '../../../../adapters/sms/smpp/index.js';
import type { LinkState } from '../../../../adapters/sms/smpp/link.js';
import { SmscDouble } from '../../../doubles/smsc.js';
import { outbound } from '../../../support/fixtures.js';
import { smscSuite } from './smsc-suite.js';

const smsc = smscSuite({
  afterEachTest: (d) => {
    d.heal();
    d.answerEnquireLinks = true;
  },
});
let double: SmscDouble;
beforeAll(() => {
  double = smsc.double;
});

const started = (smpp: Record<string, unknown> = {}): Promise<SmppAdapter> =>
  smsc.start({ submitTimeoutMs: 300, reconnectInitialMs: 100, reconnectMaxMs: 200, ...smpp });

function states(a: SmppAdapter): LinkState[] {
  const seen: LinkState[] = [];
  a.smppLink?.onState((s) => seen.push(s));
  return seen;
}

describe('SMPP link', () => {
  it('binds as transceiver with the configured credentials and reports healthy only while bound', async () => {
    const before = double.binds;
    const a = await started();
    expect(double.binds).toBe(before + 1);
    await expect(a.health()).resolves.toEqual({ ok: true });
    await a.stop();
    await expect(a.health()).resolves.toMatchObject({ ok: false });
  });

  it('unbinds cleanly on stop', async () => {
    const a = await started();
    const unbinds = double.unbinds;
    await a.stop();
    smsc.forget();
    expect(double.unbinds).toBe(unbinds + 1);
  });

  it('re-binds after the SMSC drops the link: health goes false, then true', async () => {
    const a = await started();
    const seen = states(a);
    const binds = double.binds;
    double.dropConnections();
    await double.until(() => seen.includes('waiting'), 2000, 'the drop to be noticed');
    await expect(a.health()).resolves.toMatchObject({ ok: false, detail: expect.stringMatching(/SMPP link to 127\.0\.0\.1:\d+/) });
    await double.waitForBinds(binds + 1);
    await double.until(() => a.smppLink?.bound === true, 2000, 'the adapter to be bound');
    await expect(a.health()).resolves.toEqual({ ok: true });
    expect(seen).toEqual(['waiting', 'connecting', 'bound']);
    await expect(a.send(outbound('sms.test', '+15551234567', 'after'), { attempt: 1, signal: new AbortController().signal })).resolves.toHaveProperty(
      'providerMessageId',
    );
  });

  it('re-binds after the SMSC unbinds', async () => {
    const a = await started();
    const binds = double.binds;
    await expect(double.unbind()).resolves.toBe(0);
    await double.waitForBinds(binds + 1);
    await double.until(() => a.smppLink?.bound === true, 2000, 'the adapter to be bound');
  });

  it('keeps retrying a refused bind with backoff, names the refusal in health, and binds once allowed', async () => {
    double.refuseBinds = 0x0e; // ESME_RINVPASWD
    const attempts = double.bindAttempts;
    const a = await started();
    const health = await a.health();
    expect(health.ok).toBe(false);
    expect(health.detail).toMatch(/bind refused by 127\.0\.0\.1:\d+: ESME_RINVPASWD \(invalid password\)/);
    await double.until(() => double.bindAttempts >= attempts + 3, 3000, 'repeated bind attempts');
    const binds = double.binds;
    double.refuseBinds = undefined;
    await double.waitForBinds(binds + 1);
    await double.until(() => a.smppLink?.bound === true, 2000, 'the adapter to be bound');
  });

  it('starts (without throwing) when the SMSC is unreachable, and says why', async () => {
    const gone = await SmscDouble.start();
    const port = gone.port;
    await gone.close();
    const a = await started({ port });
    expect(await a.health()).toMatchObject({ ok: false, detail: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('refuses wrong credentials the way the SMSC does (ESME_RBINDFAIL)', async () => {
    const a = await started({ password: 'wrong' });
    expect((await a.health()).detail).toContain('ESME_RBINDFAIL');
  });

  it('sends enquire_link on its timer and answers the SMSC’s', async () => {
    const a = await started({ enquireLinkSeconds: 1 });
    const count = double.enquireLinks;
    await double.until(() => double.enquireLinks >= count + 1, 2500, 'an enquire_link');
    await expect(double.enquireLink()).resolves.toBe(0);
    expect(a.smppLink?.bound).toBe(true);
  });

  it('drops and re-binds a link whose enquire_link goes unanswered', async () => {
    const a = await started({ enquireLinkSeconds: 1, submitTimeoutMs: 200 });
    const binds = double.binds;
    double.answerEnquireLinks = false;
    await double.waitForBinds(binds + 1, 4000);
    double.answerEnquireLinks = true;
    await double.until(() => a.smppLink?.bound === true, 2000, 'the adapter to be bound');
  });
});
