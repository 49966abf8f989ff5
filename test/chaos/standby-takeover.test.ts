/**
 * Chaos: two gateway processes on one Prosody, the second a standby waiting
 * for the component lease (xmpp.standby, src/component/standby.ts). Traffic
 * runs both ways; after the standby has waited long enough that a reconnect
 * backoff would have grown past the lease's TTL, the active process is killed
 * with SIGKILL. The standby must connect within seconds, and:
 *
 * - outbound (user -> SMS): every message the gateway accepted reaches the
 *   provider. Two kinds never reach the gateway at all: those Prosody bounces
 *   while no component is connected (the sender gets `wait` /
 *   `remote-server-timeout` from Prosody), and those Prosody wrote to the dead
 *   connection, or the dead process had read but not yet stored, in the instant
 *   of the crash. XEP-0114 has no acknowledgements, so the last ones vanish
 *   without an error: the case counts them and asserts they were all sent
 *   within CRASH_WINDOW_MS of the kill.
 * - inbound (webhook -> user): every webhook answered 2xx reaches the user.
 *   Jobs the dead process had in flight come back after their BullMQ lock
 *   expires (src/queue/workers.ts LOCKS), so a message the dead process wrote
 *   but had not confirmed arrives twice: the at-least-once rule. The case
 *   asserts each duplicate's first copy came from the dead process (it arrived
 *   before the crash window closed). Webhooks come from several numbers: the
 *   conversation of a message in flight at the crash waits for it
 *   (ConversationOrder), the others flow as soon as the standby is connected.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TwilioDouble } from '../doubles/twilio.js';
import { ADMIN_AUTH, type GatewayProcess } from '../support/gateway.js';
import { chat } from '../support/stack.js';
import { sleep, waitUntil } from '../support/waits.js';
import { Ledger, bodyFor, type LedgerEntry } from './load.js';
import { RECOVERY_BOUND_MS, report } from './report.js';
import { CONTACT, SMS, chaosUsers, useChaosStack, type ChaosStack, type Session } from './stack.js';

const USERS = chaosUsers(2);
const ALICE = USERS[0]!;
const TTL_MS = 3_000;
/**
 * How long the standby waits before the kill. A standby that kept trying to
 * connect (what a second process did before the lease: Prosody answers it
 * `conflict`) would by now wait 200 ms doubling to 6.4 s between tries.
 */
const STANDBY_WAIT_MS = 7_000;
/** Traffic goes on this long after the standby is connected. */
const AFTER_TAKEOVER_MS = 3_000;
/** Either side of the kill: what was in flight at the crash. */
const CRASH_WINDOW_MS = 1_000;
/** The lease runs out at most TTL after the last renewal; the standby looks at once then, and connects. Generous for a loaded machine. */
const TAKEOVER_BOUND_MS = TTL_MS + 7_000;
const OUT_INTERVAL_MS = 40;
const HOOK_INTERVAL_MS = 20;
/** Inbound SMS come from this many numbers, one conversation each. */
const SENDERS = 10;

const senderPhone = (i: number): string => `+1555123${String(4000 + (i % SENDERS))}`;

async function gauge(gateway: GatewayProcess, name: string): Promise<string | undefined> {
  const text = await (await fetch(`${gateway.httpUrl}/metrics`, ADMIN_AUTH)).text();
  return new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
}

async function readyz(gateway: GatewayProcess): Promise<{ status: number; body: { status?: string } }> {
  const res = await fetch(`${gateway.httpUrl}/readyz`, ADMIN_AUTH);
  return { status: res.status, body: (await res.json()) as { status?: string } };
}

const within = (t: number, from: number, to: number): boolean => t >= from && t <= to;

describe('chaos: kill -9 of the active component process; the standby takes over', () => {
  const chaos = useChaosStack({
    label: 'standby',
    users: USERS,
    provider: () => TwilioDouble.start(),
    xmpp: { standby: `{ mode: lease, ttlMs: ${TTL_MS} }`, reconnectMaxMs: '30000' },
  });
  let { stack, sessions } = {} as { stack: ChaosStack<TwilioDouble>; sessions: Session[] };
  beforeAll(() => void ({ stack, sessions } = chaos));

  it('connects within seconds, loses nothing accepted, and duplicates only what was in flight', { timeout: 120_000 }, async () => {
    const active = stack.gateway;
    const standby = await stack.e2e.launchGateway({});
    // stop() kills stack.gateway: from here on, the standby.
    stack.e2e.gateway = standby;
    await standby.waitReady(20_000, { standby: true });
    expect((await readyz(standby)).body.status, 'a standby is ready, as a standby').toBe('standby');
    expect((await readyz(active)).body.status).toBe('active');
    expect(await gauge(standby, 'xgw_component_active')).toBe('0');
    expect(await gauge(active, 'xgw_component_active')).toBe('1');
    const standbySince = Date.now();

    const out = new Ledger('standby-out');
    const hooks = new Ledger('standby-in');
    let trafficOn = true;
    const outbound = Promise.all(
      sessions.map(async (s, u) => {
        while (trafficOn) {
          const token = out.next(`u${u + 1}`);
          await s.client.send(chat(CONTACT, token, bodyFor(token))).catch(() => undefined);
          await sleep(OUT_INTERVAL_MS);
        }
      }),
    );
    const inbound = (async () => {
      for (let i = 0; trafficOn; i++) {
        const token = hooks.next('hook');
        const entry = hooks.get(token)!;
        try {
          const res = await stack.provider.sendInbound(standby.httpUrl, standby.httpUrl, SMS, { from: senderPhone(i), to: ALICE.number, body: bodyFor(token) });
          entry.httpStatus = res.status;
          await res.arrayBuffer();
        } catch {
          entry.httpStatus = 599;
        }
        await sleep(HOOK_INTERVAL_MS);
      }
    })();

    await sleep(Math.max(0, standbySince + STANDBY_WAIT_MS - Date.now()));
    const tries = standby.logs().filter((l) => l.msg === 'connecting to XMPP server' || l.msg === 'reconnecting to XMPP server');
    expect(tries, 'the standby did not try to connect while it waited').toEqual([]);
    const atKill = await stack.e2e.queues(standby);

    const killedAt = Date.now();
    await active.kill();
    const online = await standby.waitForLog((l) => l.msg === 'component online', TAKEOVER_BOUND_MS + 5_000);
    const onlineAt = Date.parse(String(online.time));
    const takeoverMs = onlineAt - killedAt;
    await sleep(AFTER_TAKEOVER_MS);
    trafficOn = false;
    await Promise.all([outbound, inbound]);

    // Everything answered but what vanished in the crash; then the queues drain (jobs of the dead process
    // come back once their locks expire), and a little more so any second copy arrives before it is counted.
    const collect = (): void => {
      out.collectProviderDeliveries(stack.provider);
      out.collectErrors(stack.allSessions());
      hooks.collectXmppDeliveries(stack.allSessions());
    };
    const answered = (o: LedgerEntry): boolean => o.deliveries.length > 0 || o.errors.length > 0 || (o.httpStatus ?? 200) >= 300;
    const crashWindow = (o: LedgerEntry): boolean => within(o.sentAt, killedAt - CRASH_WINDOW_MS, killedAt + CRASH_WINDOW_MS);
    await waitUntil(() => {
      collect();
      return hooks.allAnswered() && [...out.outcomes.values()].every((o) => answered(o) || crashWindow(o));
    }, 60_000);
    await waitUntil(() => stack.e2e.settled(undefined, standby), 15_000);
    await sleep(1_000);
    collect();

    const o = out.summarize(onlineAt);
    const h = hooks.summarize(onlineAt);
    const outEntries = [...out.outcomes.values()];
    const hookEntries = [...hooks.outcomes.values()];
    const vanished = outEntries.filter((e) => o.lost.includes(e.token));
    const bounced = outEntries.filter((e) => e.errors.some((x) => x.condition === 'remote-server-timeout'));
    const inWindow = outEntries.filter(crashWindow).length;
    const afterTakeover = (entries: LedgerEntry[]) => entries.filter((e) => e.sentAt > onlineAt);
    report(o, {
      takeover: `${(takeoverMs / 1000).toFixed(1)}s`,
      vanished: vanished.length,
      'vanished-sent': vanished.length === 0 ? '-' : `${Math.min(...vanished.map((e) => e.sentAt - killedAt))}..${Math.max(...vanished.map((e) => e.sentAt - killedAt))} ms from the kill`,
      'sent-in-crash-window': inWindow,
      'bounced-by-prosody': bounced.length,
      'out-active-at-kill': atKill?.[`out/${SMS}`]?.active ?? -1,
    });
    report(h, { 'in-active-at-kill': atKill?.[`in/${SMS}`]?.active ?? -1, 'webhooks-non-2xx': hookEntries.filter((e) => (e.httpStatus ?? 0) >= 300).length });

    expect(takeoverMs, 'from the kill to the standby online (ms)').toBeLessThanOrEqual(TAKEOVER_BOUND_MS);
    expect(takeoverMs).toBeGreaterThan(0);
    expect((await readyz(standby)).body.status).toBe('active');
    // It connected once the old connection was gone: Prosody never answered it `conflict`.
    expect(standby.logs().filter((l) => l.condition === 'conflict')).toEqual([]);
    expect(await gauge(standby, 'xgw_component_active')).toBe('1');

    // Outbound: only the crash's instant loses messages, without an error; nothing is answered both ways.
    expect(vanished.filter((e) => !crashWindow(e)).map((e) => e.token), 'vanished outside the crash window').toEqual([]);
    expect(o.refusedButDelivered).toEqual([]);
    expect(o.erroredAndDelivered).toEqual([]);
    expect(o.errored, 'the only errors are Prosody bounces while no component was connected').toBe(bounced.length);
    expect(bounced.filter((e) => !within(e.sentAt, killedAt - CRASH_WINDOW_MS, onlineAt + CRASH_WINDOW_MS)).map((e) => e.token)).toEqual([]);
    // Inbound: nothing accepted is lost.
    expect(hookEntries.filter((e) => (e.httpStatus ?? 0) >= 300), 'the standby answered every webhook').toEqual([]);
    expect(h.lost).toEqual([]);
    // At least once: a second copy only of what the dead process had in flight.
    const secondCopies = (entries: LedgerEntry[]) => entries.filter((e) => e.deliveries.length > 1 && (e.deliveries[0] ?? 0) > killedAt + CRASH_WINDOW_MS);
    expect(secondCopies(outEntries).map((e) => e.token), 'outbound duplicates not in flight at the crash').toEqual([]);
    expect(secondCopies(hookEntries).map((e) => e.token), 'inbound duplicates not in flight at the crash').toEqual([]);
    // Both ways flow again after the takeover, and soon.
    expect(afterTakeover(outEntries).filter((e) => e.deliveries.length > 0).length).toBeGreaterThan(0);
    expect(afterTakeover(hookEntries).filter((e) => e.deliveries.length > 0).length).toBeGreaterThan(0);
    expect(o.recoveryMs).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
    expect(h.recoveryMs).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
  });
});
