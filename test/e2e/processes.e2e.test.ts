/**
 * The gateway as operators run it, one process or several: SIGTERM while a
 * delivery is in flight (drained, or abandoned at the shutdown deadline and
 * delivered by the next process), a second signal ending a slow drain, the
 * component, worker and http roles in separate processes delivering together,
 * and the admin API's job listing and retry with jobs in the queue.
 */
import { UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboundQueueName } from '../../src/queue/names.js';
import { TwilioDouble } from '../doubles/twilio.js';
import { ADMIN_AUTH, type GatewayProcess } from '../support/gateway.js';
import { chat, receiptFor, receiptRequest, smsStack, type E2EStack } from '../support/stack.js';
import { eventually } from '../support/waits.js';
import type { TestClient } from '../support/xmpp-client.js';

const SMS = 'sms.localhost';
const PHONE = '+15551234567';
const CONTACT = `${PHONE}@${SMS}`;
const ALICE_NUMBER = '+15550001111';
/** The shutdown deadline the test gateways run with (test/support/gateway.ts). */
const SHUTDOWN_DEADLINE_LOG = 'deliveries still running at the shutdown deadline; they will run again later';

interface AdminJob {
  id: string;
  state: string;
  failedReason?: string;
  data: { body: string; stanzaId: string };
}

describe('gateway processes (e2e)', () => {
  let stack: E2EStack;
  let twilio: TwilioDouble;
  let alice: TestClient;

  const accepted = (body: string) => twilio.messages.filter((m) => m.body === body);
  const requested = (body: string) => eventually(() => (twilio.received.some((r) => r.body.includes(body)) ? true : undefined), 15_000, `a send request for ${body}`);
  const logMessages = (gw: GatewayProcess) => gw.logs().map((l) => l.msg);

  /** The message was not sent by the process that stopped; the next gateway sends it, once, and the sender hears no error. */
  async function sentOnceByNextGateway(body: string, stanzaId: string): Promise<void> {
    expect(accepted(body)).toHaveLength(0);
    const next = await stack.startGateway();
    try {
      await eventually(() => (accepted(body).length > 0 ? true : undefined), 40_000, `${body} sent by the next gateway`);
      await stack.waitSettled(SMS, 30_000);
      expect(accepted(body)).toHaveLength(1);
      expect(alice.received.some((el) => el.attrs.id === stanzaId && el.attrs.type === 'error')).toBe(false);
    } finally {
      await next.stop();
    }
  }

  beforeAll(async () => {
    twilio = await TwilioDouble.start();
    stack = await smsStack({ label: 'processes', double: twilio, number: ALICE_NUMBER, domain: SMS, gateway: false });
    alice = await stack.login('alice');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('on SIGTERM, finishes a delivery in flight, then exits 0', async () => {
    const gw = await stack.startGateway();
    twilio.failNext({ kind: 'delay', ms: 1500 });
    await alice.send(chat(CONTACT, 'pr-drain', 'pr-drain'));
    await requested('pr-drain');
    expect(await gw.stop()).toBe(0);
    expect(accepted('pr-drain')).toHaveLength(1);
    const messages = logMessages(gw);
    expect(messages.indexOf('message sent')).toBeGreaterThan(messages.indexOf('signal received'));
    expect(messages.indexOf('message sent')).toBeLessThan(messages.indexOf('gateway stopped'));
    expect(messages).not.toContain(SHUTDOWN_DEADLINE_LOG);
  });

  it('on SIGTERM, aborts a delivery still hanging at the shutdown deadline, exits 0, and the next process sends it once', { timeout: 90_000 }, async () => {
    const gw = await stack.startGateway();
    twilio.failNext({ kind: 'hang' });
    await alice.send(chat(CONTACT, 'pr-deadline', 'pr-deadline'));
    await requested('pr-deadline');
    expect(await gw.stop()).toBe(0);
    const messages = logMessages(gw);
    expect(messages).toContain(SHUTDOWN_DEADLINE_LOG);
    expect(messages).toContain('gateway stopped');
    expect(messages).not.toContain('message sent');
    // The hanging provider call was aborted, not left to die with the process.
    const aborted = gw.logs().find((l) => l.msg === 'delivery attempt failed; will retry');
    expect(String(aborted?.err)).toMatch(/shutting down/);
    await sentOnceByNextGateway('pr-deadline', 'pr-deadline');
  });

  it('exits 1 at once on a second signal during the drain, and the next process sends the message once', { timeout: 90_000 }, async () => {
    const gw = await stack.startGateway();
    twilio.failNext({ kind: 'hang' });
    await alice.send(chat(CONTACT, 'pr-second', 'pr-second'));
    await requested('pr-second');
    gw.signal('SIGTERM');
    await gw.waitForLog((l) => l.msg === 'shutting down: refusing new messages, finishing deliveries in flight');
    gw.signal('SIGTERM');
    expect(await gw.exited()).toBe(1);
    const messages = logMessages(gw);
    expect(messages).toContain('second signal: exiting now');
    expect(messages).not.toContain('gateway stopped');
    await sentOnceByNextGateway('pr-second', 'pr-second');
  });

  it('runs --roles component, worker and http as three processes that deliver together, both ways', { timeout: 120_000 }, async () => {
    const xmppSide = await stack.launchGateway({ args: ['--roles', 'component'] });
    const deliverer = await stack.launchGateway({ args: ['--roles', 'worker'] });
    const receiver = await stack.launchGateway({ args: ['--roles', 'http'] });
    const all = [xmppSide, deliverer, receiver];
    try {
      // Three Node processes starting at once on a loaded machine: a generous wait.
      await Promise.all(all.map((gw) => gw.waitReady(60_000)));
      for (const gw of all) {
        expect((await fetch(`${gw.httpUrl}/healthz`)).status).toBe(200);
        const metrics = await fetch(`${gw.httpUrl}/metrics`, ADMIN_AUTH);
        expect([metrics.status, await metrics.text()]).toEqual([200, expect.stringContaining('xgw_redis_up 1')]);
      }
      // Only the http process serves provider webhooks and the admin API.
      for (const gw of [xmppSide, deliverer]) {
        expect((await twilio.sendInbound(gw.httpUrl, gw.httpUrl, SMS, { from: PHONE, to: ALICE_NUMBER, body: 'pr-roles-refused' })).status).toBe(404);
        expect((await gw.api('GET', '/admin/queues')).status).toBe(404);
      }

      await alice.send(chat(CONTACT, 'pr-roles', 'pr-roles', [receiptRequest()]));
      const sent = await eventually(() => accepted('pr-roles')[0], 15_000, 'pr-roles at the provider');
      await stack.waitSettled(SMS, 20_000, receiver);
      // Only the worker process called the provider; the status callback reaches the http process, the receipt the XMPP side.
      expect(deliverer.logs().filter((l) => l.msg === 'message sent')).toHaveLength(1);
      expect([xmppSide, receiver].some((gw) => gw.logs().some((l) => l.msg === 'message sent'))).toBe(false);
      expect((await twilio.sendStatus(receiver.httpUrl, receiver.httpUrl, SMS, sent.sid, 'delivered')).status).toBeLessThan(300);
      expect((await receiptFor(alice, 'pr-roles')).attrs.from).toBe(CONTACT);

      // An inbound text reaches the http process; the XMPP side hands it to alice.
      const res = await twilio.sendInbound(receiver.httpUrl, receiver.httpUrl, SMS, { from: PHONE, to: ALICE_NUMBER, body: 'pr-roles-reply' });
      expect(res.status).toBe(200);
      expect((await alice.waitFor((el) => el.getChildText('body') === 'pr-roles-reply')).attrs.from).toBe(CONTACT);
      expect(alice.received.some((el) => el.getChildText('body') === 'pr-roles-refused')).toBe(false);
    } finally {
      await Promise.all(all.map((gw) => gw.stop()));
    }
  });

  it('lists queued and failed jobs in the admin API, and its retry route sends failed jobs again', { timeout: 60_000 }, async () => {
    // No worker runs: the accepted messages wait in the outbound queue.
    const xmppSide = await stack.launchGateway({ args: ['--roles', 'component,http'] });
    const bodies = ['pr-admin-1', 'pr-admin-2'];
    let failer: Worker<unknown, unknown> | undefined;
    let deliverer: GatewayProcess | undefined;
    try {
      await xmppSide.waitReady();
      for (const body of bodies) await alice.send(chat(CONTACT, body, body));
      const jobs = (state: string) => xmppSide.api<AdminJob[]>('GET', `/admin/queues/out/${SMS}/jobs?state=${state}`);
      // The number's pacer may have put the second one a few ms later: delayed, and only a worker promotes it.
      const queued = await eventually(async () => {
        const [waiting, delayed] = await Promise.all([jobs('waiting'), jobs('delayed')]);
        expect([waiting.status, delayed.status]).toEqual([200, 200]);
        const listed = [...waiting.body, ...delayed.body];
        return listed.length === bodies.length ? listed : undefined;
      }, 15_000, 'two queued jobs');
      expect(queued.map((j) => [j.data.body, j.data.stanzaId]).sort()).toEqual(bodies.map((b) => [b, b]));
      expect(queued.every((j) => j.state === 'waiting' || j.state === 'delayed')).toBe(true);

      // A delivery worker that gives up on every job, as BullMQ does with a job that stalled too often.
      const giveUp = async (): Promise<unknown> => {
        throw new UnrecoverableError('provider account suspended');
      };
      failer = new Worker<unknown, unknown>(outboundQueueName(SMS), giveUp, { connection: { url: stack.redisUrl }, prefix: stack.prefix });
      const failed = await eventually(async () => {
        const res = await jobs('failed');
        return res.body.length === bodies.length ? res : undefined;
      }, 15_000, 'two failed jobs');
      const stopping = failer;
      failer = undefined;
      await stopping.close();
      expect(failed.body.map((j) => [j.state, j.data.body, j.failedReason]).sort()).toEqual(bodies.map((b) => ['failed', b, 'provider account suspended']));
      expect((await xmppSide.api<Record<string, Record<string, number>>>('GET', '/admin/queues')).body[`out/${SMS}`]).toMatchObject({ failed: 2, waiting: 0 });

      const retried = await xmppSide.api<{ retried: number }>('POST', `/admin/queues/out/${SMS}/retry`);
      expect(retried).toEqual({ status: 200, body: { retried: 2 } });
      expect((await jobs('failed')).body).toEqual([]);
      expect((await jobs('waiting')).body.map((j) => j.data.body).sort()).toEqual(bodies);

      deliverer = await stack.launchGateway({ args: ['--roles', 'worker'] });
      await deliverer.waitReady();
      await eventually(() => (bodies.every((b) => accepted(b).length === 1) ? true : undefined), 15_000, 'both retried messages sent');
      await stack.waitSettled(SMS, 20_000, xmppSide);
      expect(bodies.map((b) => accepted(b).length)).toEqual([1, 1]);
    } finally {
      await failer?.close();
      await Promise.all([xmppSide.stop(), deliverer?.stop()]);
    }
  });
});
