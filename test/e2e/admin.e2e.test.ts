/**
 * Running the gateway over XMPP, end to end: an admin's client on a real
 * Prosody runs the XEP-0050 commands (statistics, backlog, failed
 * deliveries, retry, users) against the built gateway with a Twilio double;
 * a delivery the provider refuses for good is listed, and retried once the
 * provider takes it again, delivered once, its sender told of the failure
 * once. A non-admin sees no command and runs none. Plus the /admin/
 * dashboard on the real listener, as a browser reaches it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwilioDouble } from '../doubles/twilio.js';
import { ADMIN_TOKEN, type GatewayProcess } from '../support/gateway.js';
import { E2EStack, chat, errorFor, smsComponent } from '../support/stack.js';
import { eventually, sleep } from '../support/waits.js';
import { xml, type Element, type TestClient } from '../support/xmpp-client.js';

const SMS = 'sms.localhost';
const PHONE = '+15551234567';
const CONTACT = `${PHONE}@${SMS}`;
const ALICE_NUMBER = '+15550001111';
const NS_COMMANDS = 'http://jabber.org/protocol/commands';
const OPERATIONS = ['stats', 'backlog', 'failed-deliveries', 'retry-deliveries', 'users'];

/** A result table's rows, as objects by column var. */
function rows(reply: Element): Array<Record<string, string>> {
  const form = reply.getChild('command')?.getChild('x', 'jabber:x:data');
  return (form?.getChildren('item') ?? []).map((item) => Object.fromEntries(item.getChildren('field').map((f) => [String(f.attrs.var), f.getChildText('value') ?? ''])));
}

describe('admin commands over XMPP and the dashboard (e2e)', () => {
  let stack: E2EStack;
  let twilio: TwilioDouble;
  let gateway: GatewayProcess;
  let admin: TestClient;
  let alice: TestClient;
  let bob: TestClient;

  const execute = (who: TestClient, node: string) => who.iq(xml('iq', { type: 'set', to: SMS }, xml('command', { xmlns: NS_COMMANDS, node, action: 'execute' })));
  /** Answers the form `execute` returned, as a client does: same node and session. */
  const complete = (form: Element, fields: Record<string, string[]>) => {
    const cmd = form.getChild('command');
    return admin.iq(
      xml(
        'iq',
        { type: 'set', to: SMS },
        xml(
          'command',
          { xmlns: NS_COMMANDS, node: cmd?.attrs.node, sessionid: cmd?.attrs.sessionid, action: 'complete' },
          xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...Object.entries(fields).map(([v, values]) => xml('field', { var: v }, ...values.map((value) => xml('value', {}, value))))),
        ),
      ),
    );
  };

  beforeAll(async () => {
    twilio = await TwilioDouble.start();
    stack = await E2EStack.start({
      label: 'admin',
      users: ['admin', 'alice', 'bob'],
      doubles: [twilio],
      extraYaml: 'admins: [admin@localhost]\n',
      components: [smsComponent(SMS, 'twilio', ALICE_NUMBER, ['defaultRegion: US', 'limits: { perNumberPerSecond: 100 }', twilio.configSection()])],
    });
    gateway = stack.gateway;
    [admin, alice, bob] = await Promise.all([stack.login('admin'), stack.login('alice'), stack.login('bob')]);
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('lists the commands to the admin only; anyone else is refused with forbidden', async () => {
    const itemsOf = async (who: TestClient) =>
      (await who.iq(xml('iq', { type: 'get', to: SMS }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: NS_COMMANDS }))))
        .getChild('query')
        ?.getChildren('item')
        .map((i) => i.attrs.node);
    expect(await itemsOf(admin)).toEqual(expect.arrayContaining(OPERATIONS));
    expect(await itemsOf(bob)).toEqual([]);
    for (const node of OPERATIONS) {
      const refused = await execute(bob, node).catch((e: unknown) => e as { condition?: string });
      expect(refused, node).toMatchObject({ condition: 'forbidden' });
    }
  });

  it('lists a delivery the provider refused, and retries it once the provider takes it: delivered once, the sender told once', { timeout: 60_000 }, async () => {
    // The double refuses the next send for good (Twilio 21610: the recipient opted out).
    twilio.failNext({ kind: 'error', httpStatus: 400, code: 21610 });
    await alice.send(chat(CONTACT, 'adm-1', 'refused, then retried'));
    const error = await errorFor(alice, 'adm-1');
    expect(error.getChild('error')?.getChildText('text')).toMatch(/opted out/);

    const listed = await eventually(async () => {
      const table = rows(await complete(await execute(admin, 'failed-deliveries'), { max: ['10'] }));
      return table.length > 0 ? table : undefined;
    }, 15_000, 'the failed delivery listed');
    expect(listed).toEqual([expect.objectContaining({ domain: SMS, to: PHONE, sender: expect.stringMatching(/^alice@localhost\//) })]);
    expect(listed[0]?.error).toMatch(/21610/);
    const jobId = listed[0]!.id!;

    const stats = rows(await execute(admin, 'stats'));
    expect(stats.find((r) => r.domain === SMS && r.direction?.startsWith('out'))).toMatchObject({ accepted: '1', delivered: '0', failed: '1', kept: '1' });

    // The provider takes messages again (the scripted failure is spent; heal() says so); the admin retries.
    twilio.heal();
    const form = await execute(admin, 'retry-deliveries');
    const choices = form.getChild('command')?.getChild('x', 'jabber:x:data')?.getChild('field')?.getChildren('option').map((o) => o.getChildText('value'));
    expect(choices).toEqual(['all', jobId]);
    const done = await complete(form, { jobs: [jobId] });
    expect(done.getChild('command')?.attrs.status).toBe('completed');
    expect(done.getChild('command')?.getChildText('note')).toBe(`Retried 1: ${jobId}.`);

    await eventually(() => twilio.messages.find((m) => m.body === 'refused, then retried'), 20_000, 'the retried message at the provider');
    await stack.waitSettled(SMS);
    await sleep(500);
    expect(twilio.messages.filter((m) => m.body === 'refused, then retried')).toHaveLength(1);
    expect(alice.received.filter((el) => el.is('message') && el.attrs.type === 'error' && el.attrs.id === 'adm-1')).toHaveLength(1);
    expect(rows(await complete(await execute(admin, 'failed-deliveries'), { max: ['10'] }))).toEqual([]);
    const after = rows(await execute(admin, 'stats')).find((r) => r.domain === SMS && r.direction?.startsWith('out'));
    expect(after).toMatchObject({ delivered: '1', failed: '1', kept: '0', pending: '0' });
  });

  it('shows the backlog per queue and the users with their numbers', async () => {
    const backlog = rows(await execute(admin, 'backlog'));
    expect(backlog.map((r) => r.queue).sort()).toEqual([`in/${SMS}`, `out/${SMS}`]);
    for (const r of backlog) expect(Number(r.waiting) + Number(r.delayed) + Number(r.active)).toBeGreaterThanOrEqual(0);
    expect(backlog.find((r) => r.queue === `out/${SMS}`)).toMatchObject({ waiting: '0', delayed: '0', oldest: '-' });
    expect(rows(await execute(admin, 'users'))).toEqual([{ jid: 'alice@localhost', domain: SMS, kind: 'number', address: ALICE_NUMBER }]);
  });

  it('serves the dashboard to a browser with the token as the Basic password, and challenges one without', async () => {
    const bare = await fetch(`${gateway.httpUrl}/admin/`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toMatch(/^Basic realm="xmpp-gateway admin"/);
    const page = await fetch(`${gateway.httpUrl}/admin/`, { headers: { authorization: `Basic ${Buffer.from(`ops:${ADMIN_TOKEN}`).toString('base64')}` } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<base href="/admin/" />');
  });
});
