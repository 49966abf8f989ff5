/**
 * Whose mail address a message goes out from, through the component as the
 * gateway assembles it (config -> email profile -> ownership store ->
 * outbound policy -> router) on a real Redis, stanzas in through the entity
 * and replies captured (no XMPP server): the default address, a pool address
 * claimed with XEP-0077 in the email words, an address an admin assigns and
 * releases with XEP-0050, and registration-required where defaults are off.
 */
import { xml, type Element } from '@xmpp/component';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../adapters/types.js';
import { assembleComponent, type ComponentParts } from '../../src/assembly.js';
import { parseConfig } from '../../src/config/load.js';
import { GatewayMetrics } from '../../src/metrics.js';
import { sleep } from '../support/waits.js';
import { errorCondition, errorText, errorType } from '../support/stanza-errors.js';
import { useTestRedis, type TestRedis } from '../support/test-redis.js';

const MAIL = 'mail.localhost';
const NS_REGISTER = 'jabber:iq:register';
const NS_COMMANDS = 'http://jabber.org/protocol/commands';

let db: TestRedis;
useTestRedis('email-addresses', (d) => {
  db = d;
});

let parts: ComponentParts;
let sent: Element[];
let queued: OutboundMessage[];

function assemble(componentKeys: string): ComponentParts {
  const yaml = `admins: [admin@localhost]
redis: { url: "${db.url}", prefix: "${db.prefix}" }
components:
  - domain: ${MAIL}
    secret: s3cret
    network: email
    provider: smtp
    smtp: { url: "smtp://127.0.0.1:1" }
    addressPool: [desk@mail.localhost, sales@mail.localhost]
${componentKeys}`;
  const config = parseConfig(yaml, {});
  const component = config.components[0];
  if (component === undefined) throw new Error('no component');
  const assembled = assembleComponent(component, 0, {
    config,
    redis: db.redis,
    logger: pino({ level: 'silent' }),
    metrics: new GatewayMetrics(),
    withConnection: true,
    enqueueOutbound: async (m) => {
      queued.push(m);
      return 'queued';
    },
    enqueueInbound: () => async () => 'queued',
    isDraining: () => false,
  });
  const entity = assembled.connection?.entity;
  if (entity === undefined) throw new Error('no connection');
  entity.send = async (el: Element) => {
    sent.push(el);
  };
  return assembled;
}

/**
 * Feeds a stanza in as the server would and resolves with the reply carrying
 * its id, or undefined once `done()` holds or ~1 s passed without a reply.
 */
async function exchange(el: Element, done: () => boolean = () => false): Promise<Element | undefined> {
  parts.connection?.entity.emit('element', el);
  for (let i = 0; i < 200; i++) {
    const reply = sent.find((s) => s.attrs.id === el.attrs.id);
    if (reply !== undefined || done()) return reply;
    await sleep(5);
  }
  return undefined;
}

let seq = 0;
const iq = (from: string, type: 'get' | 'set', child: Element) => exchange(xml('iq', { type, to: MAIL, from: `${from}/res`, id: `iq-${++seq}` }, child));
const mail = async (from: string, id: string) => {
  const accepted = () => queued.some((m) => m.stanzaId === id);
  const reply = await exchange(xml('message', { type: 'chat', to: `bob\\40example.net@${MAIL}`, from: `${from}/res`, id }, xml('body', {}, 'hello')), accepted);
  return { reply, queued: queued.find((m) => m.stanzaId === id) };
};
const command = (node: string, fields: Record<string, string>) =>
  iq('admin@localhost', 'set', xml('command', { xmlns: NS_COMMANDS, node, action: 'complete' }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...Object.entries(fields).map(([v, value]) => xml('field', { var: v }, xml('value', {}, value))))));

beforeEach(() => {
  sent = [];
  queued = [];
});
afterEach(async () => {
  await parts.adapter.stop();
});

describe('with default addresses (the default)', () => {
  beforeEach(async () => {
    parts = assemble('    addresses: { alice@mail.localhost: alice@localhost }');
    await parts.ownership?.applyConfig();
  });

  it('a user with no address of their own sends from <user>.<domain>@<mail domain>', async () => {
    const { reply, queued: m } = await mail('carol@localhost', 'c1');
    expect(reply).toBeUndefined();
    expect(m?.from).toBe('carol.localhost@mail.localhost');
  });

  it('a configured address wins over the default', async () => {
    expect((await mail('alice@localhost', 'a1')).queued?.from).toBe('alice@mail.localhost');
  });

  it('XEP-0077 speaks of mail addresses; a claimed pool address becomes the From, removing it brings the default back', async () => {
    const form = await iq('dave@localhost', 'get', xml('query', { xmlns: NS_REGISTER }));
    const query = form?.getChild('query');
    expect(query?.getChildText('instructions')).toBe('Choose the address you will send mail from.');
    const field = query?.getChild('x', 'jabber:x:data')?.getChildren('field').find((f) => f.attrs.var !== 'FORM_TYPE');
    expect(field?.attrs).toMatchObject({ var: 'address', label: 'Mail address', type: 'list-single' });
    expect(field?.getChildren('option').map((o) => o.getChildText('value'))).toEqual(['desk@mail.localhost', 'sales@mail.localhost']);

    const claim = await iq('dave@localhost', 'set', xml('query', { xmlns: NS_REGISTER }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'address' }, xml('value', {}, 'Sales@Mail.localhost')))));
    expect(claim?.attrs.type).toBe('result');
    const registered = await iq('dave@localhost', 'get', xml('query', { xmlns: NS_REGISTER }));
    expect(registered?.getChild('query')?.getChildText('instructions')).toBe('You send mail from sales@mail.localhost. Remove this registration to give the address back.');
    expect((await mail('dave@localhost', 'd1')).queued?.from).toBe('sales@mail.localhost');

    await iq('dave@localhost', 'set', xml('query', { xmlns: NS_REGISTER }, xml('remove')));
    expect((await mail('dave@localhost', 'd2')).queued?.from).toBe('dave.localhost@mail.localhost');
  });

  it('XEP-0050: the admin commands are named in the plural English has', async () => {
    const items = await iq('admin@localhost', 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: NS_COMMANDS }));
    expect(items?.getChild('query')?.getChildren('item').map((i) => i.attrs.node)).toEqual(['assign-address', 'release-address', 'list-addresses']);
    const list = await iq('admin@localhost', 'set', xml('command', { xmlns: NS_COMMANDS, node: 'list-addresses', action: 'execute' }));
    expect(list?.getChild('command')?.getChild('x', 'jabber:x:data')?.getChildText('title')).toBe(`Addresses on ${MAIL}`);
  });

  it('XEP-0050: an admin assigns an address to a user and releases it', async () => {
    const assigned = await command('assign-address', { address: 'desk@mail.localhost', jid: 'Erin@localhost' });
    expect(assigned?.getChild('command')?.getChildText('note')).toBe('desk@mail.localhost now belongs to erin@localhost.');
    expect((await mail('erin@localhost', 'e1')).queued?.from).toBe('desk@mail.localhost');
    const released = await command('release-address', { address: 'desk@mail.localhost' });
    expect(released?.getChild('command')?.attrs.status).toBe('completed');
    expect((await mail('erin@localhost', 'e2')).queued?.from).toBe('erin.localhost@mail.localhost');
  });
});

describe('with defaultAddresses: false', () => {
  beforeEach(async () => {
    parts = assemble('    defaultAddresses: false');
    await parts.ownership?.applyConfig();
  });

  it('a user without an address is told to register, with the original id', async () => {
    const { reply, queued: m } = await mail('carol@localhost', 'r1');
    expect(m).toBeUndefined();
    expect(reply?.attrs).toMatchObject({ type: 'error', id: 'r1' });
    expect(errorType(reply)).toBe('auth');
    expect(errorCondition(reply)).toBe('registration-required');
    expect(errorText(reply)).toBe(`you have no address on ${MAIL}: register one (in-band registration) or ask the administrator`);
  });

  it('and sends once registered', async () => {
    await iq('carol@localhost', 'set', xml('query', { xmlns: NS_REGISTER }, xml('username', {}, 'desk@mail.localhost')));
    expect((await mail('carol@localhost', 'r2')).queued?.from).toBe('desk@mail.localhost');
  });
});
