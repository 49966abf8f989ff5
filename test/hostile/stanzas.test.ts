/**
 * Hostile stanzas, sent by logged-in c2s users through a real Prosody to the
 * built gateway (sandbox provider, autoDeliver on, so an accepted message
 * shows up as a receipt): malformed and oversized JIDs, oversized bodies,
 * odd Unicode, stanzas without ids, malformed iqs, deep nesting, presence
 * and message floods. Each must be answered (error stanza with the original
 * id where there is one, or accepted), the gateway must stay up, and a
 * well-behaved user's messages must keep flowing with normal latency.
 * Where Prosody itself refuses something before it reaches the gateway, the
 * counts say so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayProcess } from '../support/gateway.js';
import { eventually } from '../support/waits.js';
import type { ProsodyInstance } from '../support/prosody.js';
import { E2EStack, receiptRequest } from '../support/stack.js';
import { xml, type Element, type TestClient } from '../support/xmpp-client.js';
import { NS_RECEIPTS, awaitOutcomes, outcomesById, repliesWithId } from '../support/outcomes.js';
import { errorCondition, errorText } from '../support/stanza-errors.js';
import { Canary, Tally, answeredBy, formatStats, gatewayAlive, rawSession, stats } from './support.js';
import { sleep } from '../support/waits.js';

const SMS = 'sms.localhost';
const MAIL = 'mail.localhost';
const PHONE = '+15551234567';
const CONTACT = `${PHONE}@${SMS}`;
const MAIL_CONTACT = `bob\\40example.net@${MAIL}`;
/** Prosody's c2s_stanza_size_limit default (mod_c2s, 0.12): 256 KiB. */
const PROSODY_C2S_LIMIT = 256 * 1024;
/** What a well-behaved user's message may take end to end (idle: ~10-20 ms here). */
const NORMAL_LATENCY_MS = 1_000;
/** Beyond this a well-behaved user's message counts as stalled, even during a flood. */
const STALL_MS = 10_000;

const USERS = ['mallory', 'bob', 'flooder', 'presser', 'nester'] as const;

const chat = (to: string, id: string | undefined, body: string, extra: Element[] = []) =>
  xml('message', { type: 'chat', to, ...(id === undefined ? {} : { id }) }, xml('body', {}, body), ...extra);
/** A message that asks for a receipt, so "accepted" is visible to the sender. */
const tracked = (to: string, id: string, body: string, extra: Element[] = []) => chat(to, id, body, [receiptRequest(), ...extra]);

/** The gateway's RSS in bytes, from its Prometheus process metrics. */
async function residentMemory(gw: GatewayProcess): Promise<number> {
  const text = await (await fetch(`${gw.httpUrl}/metrics`)).text();
  // prom-client's default metrics under the prefix xgw_process_: xgw_process_process_resident_memory_bytes.
  return Number(/^xgw_process_(?:process_)?resident_memory_bytes (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
}

function nested(depth: number, leaf: Element | string = 'deep'): Element {
  let el: Element | string = leaf;
  for (let i = 0; i < depth; i++) el = xml('a', {}, el);
  return xml('x', { xmlns: 'urn:example:hostile' }, el);
}

describe('hostile stanzas (real Prosody + built gateway)', () => {
  let stack: E2EStack;
  let prosody: ProsodyInstance;
  let gateway: GatewayProcess;
  const clients: Partial<Record<(typeof USERS)[number], TestClient>> = {};
  const client = (name: (typeof USERS)[number]): TestClient => {
    const c = clients[name];
    if (c === undefined) throw new Error(`${name} is not logged in`);
    return c;
  };
  const login = (name: (typeof USERS)[number]) => stack.login(name);
  let canary: Canary;
  let mailCanary: Canary;
  let baseline: number[] = [];

  /** Bob's probe: a message with a receipt request; it has arrived when the receipt is back. */
  const receiptCanary = (to: string, label: string) =>
    new Canary(
      client('bob'),
      to,
      (t, id, body) => tracked(t, id, body),
      async (id) => {
        await client('bob').waitFor((el) => el.getChild('received', NS_RECEIPTS)?.attrs.id === id, 20_000);
        return Date.now();
      },
      label,
    );

  beforeAll(async () => {
    stack = await E2EStack.start({
      label: 'hostile-stanzas',
      users: [...USERS],
      components: [
        // No per-sender rate on sms here, so the flood test meets the daily cap (200); email keeps its default rate.
        { domain: SMS, secret: 'sms-secret', network: 'sms', extra: 'sandbox: { autoDeliver: true }\nlimits: { perSenderPerSecond: 0 }' },
        { domain: MAIL, secret: 'mail-secret', network: 'email', extra: 'sandbox: { autoDeliver: true }' },
      ],
    });
    ({ prosody, gateway } = stack);
    await Promise.all(
      USERS.map(async (u) => {
        clients[u] = await login(u);
      }),
    );
    canary = receiptCanary(CONTACT, 'canary');
    mailCanary = receiptCanary(MAIL_CONTACT, 'mail-canary');
    // Warm up, then the baseline a well-behaved user sees on an idle gateway.
    await canary.probe();
    baseline = [];
    for (let i = 0; i < 5; i++) baseline.push(await canary.probe());
    process.stdout.write(`hostile baseline latency (idle gateway): ${formatStats(stats(baseline))}\n`);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** Sends each stanza, waits for every id's outcome, tallies, and returns the outcomes. */
  async function sendAll(tally: Tally, sender: TestClient, stanzas: Array<{ id: string; stanza: Element }>, timeoutMs = 10_000) {
    for (const { stanza } of stanzas) await sender.send(stanza);
    tally.sent += stanzas.length;
    const outcomes = await awaitOutcomes(
      sender,
      stanzas.map((s) => s.id),
      timeoutMs,
    );
    for (const { id } of stanzas) {
      const o = outcomes.get(id);
      if (o === undefined) tally.silent += 1;
      else if (o.kind === 'error') tally.errors += 1;
      else tally.accepted += 1;
    }
    return outcomes;
  }

  async function expectCanaryFlows(label: string): Promise<void> {
    const latency = await canary.probe();
    expect(latency, `${label}: a well-behaved user's message took ${latency} ms`).toBeLessThan(NORMAL_LATENCY_MS);
  }

  it('malformed and oversized JIDs: every message, iq and presence gets an error with its id', async () => {
    const tally = new Tally('jid');
    const mallory = client('mallory');
    const targets: Array<{ jid: string; what: string; mayBeAccepted?: boolean }> = [
      { jid: `${'1'.repeat(2000)}@${SMS}`, what: '2000-char localpart' },
      { jid: `+${'1'.repeat(1022)}@${SMS}`, what: '1023-char localpart (the RFC 7622 maximum)' },
      { jid: `+1555\\zz1234567@${SMS}`, what: 'invalid escape \\zz (sms)' },
      { jid: `bob\\zz40example.net@${MAIL}`, what: 'invalid escape \\zz (email)' },
      { jid: `\\40@${MAIL}`, what: 'only an escaped @' },
      { jid: `bob\\40@${MAIL}`, what: 'email with empty domain' },
      { jid: `${'a'.repeat(65)}\\40example.net@${MAIL}`, what: 'email local part over 64' },
      { jid: `${'\\5c'.repeat(300)}@${MAIL}`, what: '300 escaped backslashes' },
      { jid: `a@@${SMS}`, what: "'@@'" },
      { jid: `bob@example.net@${MAIL}`, what: 'raw @ in localpart' },
      { jid: `@${SMS}/res`, what: 'empty localpart with resource' },
      // disco#info on the component answers for any resource, and a subscription to the gateway itself is accepted.
      { jid: `${SMS}/res`, what: 'the component itself with a resource (only the message is refused)', mayBeAccepted: true },
      { jid: `${CONTACT}/${'r'.repeat(2000)}`, what: '2000-char resource' },
      { jid: `${CONTACT}/`, what: 'empty resource' },
      { jid: `+1 555 123 4567@${SMS}`, what: 'spaces in localpart' },
      { jid: `+1555\u202E1234567@${SMS}`, what: 'RTL override in localpart' },
      { jid: `+1555\u200B1234567@${SMS}`, what: 'zero-width space in localpart (nodeprep maps it away)', mayBeAccepted: true },
      { jid: `\uFF0B\uFF11\uFF15\uFF15\uFF15\uFF11\uFF12\uFF13\uFF14\uFF15\uFF16\uFF17@${SMS}`, what: 'fullwidth digits (NFKC folds them)', mayBeAccepted: true },
      { jid: `+\u0661\u0665\u0665\u0665\u0661\u0662\u0663\u0664\u0665\u0666\u0667@${SMS}`, what: 'Arabic-Indic digits' },
      { jid: `\u{1F600}@${SMS}`, what: 'emoji localpart' },
      { jid: `+15551234567\u0301@${SMS}`, what: 'combining mark' },
      { jid: `%2B15551234567@${SMS}`, what: 'percent-encoded +' },
      { jid: `${PHONE}@SMS.LOCALHOST`, what: 'upper-case domain', mayBeAccepted: true },
    ];
    const messages = targets.map((t, i) => ({ id: `jid-m-${i}`, stanza: tracked(t.jid, `jid-m-${i}`, `to ${t.what}`) }));
    const iqs = targets.map((t, i) => ({
      id: `jid-iq-${i}`,
      stanza: xml('iq', { type: 'get', to: t.jid, id: `jid-iq-${i}` }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })),
    }));
    const presences = targets.map((t, i) => ({ id: `jid-p-${i}`, stanza: xml('presence', { type: 'subscribe', to: t.jid, id: `jid-p-${i}` }) }));

    const outcomes = await sendAll(tally, mallory, [...messages, ...iqs], 10_000);
    // Presence subscriptions to valid contacts are answered with 'subscribed' (no id needed); only invalid ones must error.
    for (const p of presences) await mallory.send(p.stanza);
    tally.sent += presences.length;
    const presenceOutcomes = await awaitOutcomes(
      mallory,
      presences.filter((_, i) => !targets[i]?.mayBeAccepted).map((p) => p.id),
      5_000,
    );

    const byProsody: string[] = [];
    /** Anything not answered as it should be: silence, or an invalid address accepted. */
    const problems: string[] = [];
    targets.forEach((t, i) => {
      for (const [kind, id] of [
        ['message', `jid-m-${i}`],
        ['iq', `jid-iq-${i}`],
      ] as const) {
        const o = outcomes.get(id);
        if (o === undefined) problems.push(`${kind} to ${t.what}`);
        else if (o.kind === 'error') {
          if (answeredBy(o.stanza) === 'prosody') byProsody.push(`${kind} to ${t.what}`);
          expect(o.stanza.attrs.id).toBe(id);
          // A clear error: a defined condition and a human-readable text.
          expect(errorCondition(o.stanza), `${kind} to ${t.what}`).toMatch(/jid-malformed|item-not-found|not-acceptable|service-unavailable/);
          if (kind === 'message') expect(errorText(o.stanza), `${kind} to ${t.what}`).not.toBe('');
        } else if (!t.mayBeAccepted || (kind === 'message' && t.jid === `${SMS}/res`)) {
          problems.push(`${kind} to ${t.what} was ACCEPTED`);
        }
      }
      if (!t.mayBeAccepted) {
        const o = presenceOutcomes.get(`jid-p-${i}`);
        if (o === undefined) {
          tally.silent += 1;
          problems.push(`presence to ${t.what}`);
        } else {
          tally.errors += 1;
          if (answeredBy(o.stanza) === 'prosody') byProsody.push(`presence to ${t.what}`);
        }
      } else tally.accepted += 1;
    });
    tally.note(`Prosody refused itself (jid-malformed, never reached the gateway): ${byProsody.length} — ${[...new Set(byProsody.map((s) => s.replace(/^\w+ to /, '')))].join('; ')}`);
    await tally.print(gateway);
    expect(problems).toEqual([]);
    expect(await gatewayAlive(gateway)).toBe(true);
    await expectCanaryFlows('after malformed JIDs');
  });

  it('huge bodies: just above maxBodyLength, 100 KB, near Prosody\'s stanza limit; beyond it Prosody cuts the sender off', async () => {
    const tally = new Tally('body');
    const mallory = client('mallory');
    const near = PROSODY_C2S_LIMIT - 1024;
    const cases: Array<{ id: string; to: string; body: string; expect: 'error' | 'accepted' }> = [
      { id: 'body-sms-1601', to: CONTACT, body: 'x'.repeat(1601), expect: 'error' },
      { id: 'body-sms-100k', to: CONTACT, body: 'y'.repeat(100_000), expect: 'error' },
      { id: 'body-sms-near-limit', to: CONTACT, body: 'z'.repeat(near), expect: 'error' },
      { id: 'body-sms-near-limit-astral', to: CONTACT, body: '\u{1F4A9}'.repeat(Math.floor(near / 4)), expect: 'error' },
      { id: 'body-mail-100001', to: MAIL_CONTACT, body: 'm'.repeat(100_001), expect: 'error' },
      { id: 'body-blank', to: CONTACT, body: ' \n\t ', expect: 'error' },
      { id: 'body-empty', to: CONTACT, body: '', expect: 'error' },
      // Within the email limit (100 000 characters) but ~256 KB on the wire once escaped: accepted.
      { id: 'body-mail-near-limit-escaped', to: MAIL_CONTACT, body: '&'.repeat(Math.floor(near / 5)), expect: 'accepted' },
      { id: 'body-mail-100000', to: MAIL_CONTACT, body: 'k'.repeat(100_000), expect: 'accepted' },
    ];
    const outcomes = await sendAll(
      tally,
      mallory,
      cases.map((c) => ({ id: c.id, stanza: tracked(c.to, c.id, c.body) })),
      15_000,
    );
    for (const c of cases) {
      const o = outcomes.get(c.id);
      expect(o?.kind, `${c.id}: ${o?.kind === 'error' ? errorText(o.stanza) : 'no error'}`).toBe(c.expect);
      if (o?.kind === 'error') expect(errorCondition(o.stanza), `${c.id}: ${errorText(o.stanza)}`).toMatch(/not-acceptable|policy-violation/);
    }

    // Well beyond c2s_stanza_size_limit Prosody closes the sender's stream (policy-violation); the gateway never
    // sees it. (Prosody checks the size as it parses, so a stanza only a few bytes over can still get through.)
    const raw = await rawSession({ port: prosody.c2sPort, domain: 'localhost', username: 'mallory', password: 'mallory-pw' });
    raw.write(`<message type='chat' to='${CONTACT}' id='body-over-limit'><body>${'o'.repeat(PROSODY_C2S_LIMIT + 64 * 1024)}</body></message>`);
    tally.sent += 1;
    const cut = await raw.closedWithin(5_000);
    if (cut) tally.errors += 1;
    else tally.silent += 1;
    tally.note(
      `${PROSODY_C2S_LIMIT + 64 * 1024}-byte body (over Prosody's ${PROSODY_C2S_LIMIT}-byte c2s limit): ${cut ? 'Prosody closed the stream' : 'NOT closed'}${/policy-violation/.test(raw.text()) ? ' with stream error policy-violation (stanza-too-big)' : ''}`,
    );
    raw.destroy();
    await tally.print(gateway);
    expect(cut).toBe(true);
    expect(await gatewayAlive(gateway)).toBe(true);
    await expectCanaryFlows('after huge bodies');
  });

  it('odd Unicode: valid oddities are accepted byte for byte, characters XML forbids never reach the gateway', async () => {
    const tally = new Tally('unicode');
    const mallory = client('mallory');
    const odd: Array<[string, string]> = [
      ['rtl-override', 'abc\u202Edef\u202C'],
      ['zero-width', 'a\u200Bb\u200Cc\u200Dd\u2060e'],
      ['bom', '\uFEFFhello'],
      ['noncharacter-fdd0', 'x\uFDD0y'],
      ['astral', '\u{1F600}\u{10FFFD}'],
      ['replacement', '\uFFFD'],
      ['line-separators', 'a\u2028b\u2029c'],
      ['tabs-newlines', 'a\tb\nc'],
      ['zalgo', `Z${'\u0301\u0316\u0327'.repeat(300)}`],
      ['markup-lookalike', "<body>&amp;</body>]]><!-- -->'\""],
    ];
    const stanzas = odd.map(([name, body]) => ({ id: `uni-${name}`, stanza: tracked(MAIL_CONTACT, `uni-${name}`, body) }));
    const outcomes = await sendAll(tally, mallory, stanzas, 10_000);
    for (const { id } of stanzas) expect(outcomes.get(id)?.kind, id).toBe('accepted');
    const outbox = (await gateway.api<Array<{ body: string }>>('GET', `/sandbox/${MAIL}/outbox`)).body;
    for (const [name, body] of odd) expect(outbox.some((e) => e.body === body), `${name} reached the outbox unchanged`).toBe(true);

    // Characters XML 1.0 forbids, and bytes that are not UTF-8: Prosody's parser ends the sender's stream.
    const invalid: Array<[string, string | Buffer]> = [
      ['NUL char ref', `<message to='${CONTACT}' id='u-nul'><body>a&#0;b</body></message>`],
      ['lone surrogate char ref', `<message to='${CONTACT}' id='u-sur'><body>a&#xD800;b</body></message>`],
      ['U+FFFE char ref', `<message to='${CONTACT}' id='u-fffe'><body>a&#xFFFE;b</body></message>`],
      ['raw control char', `<message to='${CONTACT}' id='u-ctl'><body>a\u0001b</body></message>`],
      ['CESU-8 surrogate bytes', Buffer.concat([Buffer.from(`<message to='${CONTACT}' id='u-cesu'><body>a`), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('b</body></message>')])],
      ['overlong NUL bytes', Buffer.concat([Buffer.from(`<message to='${CONTACT}' id='u-ovl'><body>a`), Buffer.from([0xc0, 0x80]), Buffer.from('b</body></message>')])],
    ];
    const closed: string[] = [];
    await Promise.all(
      invalid.map(async ([name, bytes]) => {
        const raw = await rawSession({ port: prosody.c2sPort, domain: 'localhost', username: 'mallory', password: 'mallory-pw' });
        raw.write(bytes);
        tally.sent += 1;
        if (await raw.closedWithin(5_000)) {
          tally.errors += 1;
          closed.push(name);
        } else tally.silent += 1;
        raw.destroy();
      }),
    );
    tally.note(`Prosody closed the stream (not-well-formed) for: ${closed.join(', ')}`);
    await tally.print(gateway);
    expect(closed).toHaveLength(invalid.length);
    expect(await gatewayAlive(gateway)).toBe(true);
    await expectCanaryFlows('after odd Unicode');
  });

  it('messages without an id: refused ones still get an error (without id), accepted ones are delivered', async () => {
    const tally = new Tally('no-id');
    const mallory = client('mallory');
    const bad = [`noid-1@${SMS}`, `noid-2@${SMS}`, `nobody\\zz@${MAIL}`];
    for (const to of bad) await mallory.send(chat(to, undefined, 'no id, bad address'));
    await mallory.send(chat(`+15550009999@${SMS}`, undefined, ''));
    await mallory.send(chat(`+15550009998@${SMS}`, undefined, 'no id but fine'));
    tally.sent += bad.length + 2;
    const errors = await Promise.all(
      [...bad, `+15550009999@${SMS}`].map((from) =>
        mallory
          .waitFor((el) => el.is('message') && el.attrs.type === 'error' && el.attrs.from === from, 5_000)
          .then((el) => {
            tally.errors += 1;
            return el;
          })
          .catch(() => {
            tally.silent += 1;
            return undefined;
          }),
      ),
    );
    for (const el of errors) {
      expect(el).toBeDefined();
      expect(el?.attrs.id).toBeUndefined();
    }
    const delivered = await eventually(
      async () => (await gateway.api<Array<{ body: string }>>('GET', `/sandbox/${SMS}/outbox`)).body.find((e) => e.body === 'no id but fine'),
      10_000,
      'the id-less message in the outbox',
    );
    if (delivered) tally.accepted += 1;
    await tally.print(gateway);
  });

  it('malformed iqs: exactly one reply each, with the original id (Prosody filters the structurally broken ones)', async () => {
    const tally = new Tally('iq');
    const mallory = client('mallory');
    const q = (ns: string, ...children: Element[]) => xml('query', { xmlns: ns }, ...children);
    const cases: Array<{ id: string; stanza: Element; expect: 'error' | 'result' }> = [
      { id: 'iq-unknown-ns-get', stanza: xml('iq', { type: 'get', to: SMS, id: 'iq-unknown-ns-get' }, q('urn:example:unknown')), expect: 'error' },
      { id: 'iq-unknown-ns-set', stanza: xml('iq', { type: 'set', to: CONTACT, id: 'iq-unknown-ns-set' }, xml('thing', { xmlns: 'urn:example:unknown' })), expect: 'error' },
      { id: 'iq-two-children', stanza: xml('iq', { type: 'get', to: SMS, id: 'iq-two-children' }, q('http://jabber.org/protocol/disco#info'), xml('ping', { xmlns: 'urn:xmpp:ping' })), expect: 'error' },
      { id: 'iq-no-child', stanza: xml('iq', { type: 'get', to: SMS, id: 'iq-no-child' }), expect: 'error' },
      { id: 'iq-bad-type', stanza: xml('iq', { type: 'fetch', to: SMS, id: 'iq-bad-type' }, xml('ping', { xmlns: 'urn:xmpp:ping' })), expect: 'error' },
      { id: 'iq-set-empty-gateway', stanza: xml('iq', { type: 'set', to: SMS, id: 'iq-set-empty-gateway' }, q('jabber:iq:gateway')), expect: 'error' },
      { id: 'iq-set-empty-register', stanza: xml('iq', { type: 'set', to: SMS, id: 'iq-set-empty-register' }, q('jabber:iq:register')), expect: 'error' },
      { id: 'iq-set-empty-commands', stanza: xml('iq', { type: 'set', to: SMS, id: 'iq-set-empty-commands' }, xml('command', { xmlns: 'http://jabber.org/protocol/commands' })), expect: 'error' },
      { id: 'iq-set-version', stanza: xml('iq', { type: 'set', to: SMS, id: 'iq-set-version' }, q('jabber:iq:version')), expect: 'error' },
      { id: 'iq-huge-prompt', stanza: xml('iq', { type: 'set', to: SMS, id: 'iq-huge-prompt' }, q('jabber:iq:gateway', xml('prompt', {}, '5'.repeat(200_000)))), expect: 'error' },
      { id: 'iq-huge-prompt-mail', stanza: xml('iq', { type: 'set', to: MAIL, id: 'iq-huge-prompt-mail' }, q('jabber:iq:gateway', xml('prompt', {}, `<${'a'.repeat(100_000)}@example.net`))), expect: 'error' },
      { id: 'iq-disco-huge-node', stanza: xml('iq', { type: 'get', to: SMS, id: 'iq-disco-huge-node' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'n'.repeat(50_000) })), expect: 'error' },
      { id: 'iq-disco-bad-contact', stanza: xml('iq', { type: 'get', to: `nope@${SMS}`, id: 'iq-disco-bad-contact' }, q('http://jabber.org/protocol/disco#items')), expect: 'error' },
      { id: 'iq-ping-contact-bad', stanza: xml('iq', { type: 'get', to: `+1@${SMS}`, id: 'iq-ping-contact-bad' }, xml('ping', { xmlns: 'urn:xmpp:ping' })), expect: 'error' },
      { id: `iq-long-id-${'i'.repeat(2000)}`, stanza: xml('iq', { type: 'get', to: SMS, id: `iq-long-id-${'i'.repeat(2000)}` }, xml('ping', { xmlns: 'urn:xmpp:ping' })), expect: 'result' },
      { id: 'iq-commands-form-garbage', stanza: xml('iq', { type: 'set', to: SMS, id: 'iq-commands-form-garbage' }, xml('command', { xmlns: 'http://jabber.org/protocol/commands', node: 'assign-number' }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...Array.from({ length: 500 }, (_, i) => xml('field', { var: `f${i}` }, xml('value', {}, 'v')))))), expect: 'error' },
    ];
    const outcomes = await sendAll(tally, mallory, cases.map(({ id, stanza }) => ({ id, stanza })), 10_000);
    // An iq without an id: Prosody answers bad-request without an id (RFC 6120 §8.2.3 requires one).
    await mallory.send(xml('iq', { type: 'get', to: SMS }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    tally.sent += 1;
    const noId = await mallory
      .waitFor((el) => el.is('iq') && el.attrs.type === 'error' && el.attrs.id === undefined, 5_000)
      .catch(() => undefined);
    if (noId) tally.errors += 1;
    else tally.silent += 1;
    // Unsolicited result/error iqs must not be answered at all (RFC 6120 §8.2.3).
    for (const type of ['result', 'error']) await mallory.send(xml('iq', { type, to: SMS, id: `iq-unsolicited-${type}` }));
    tally.sent += 2;
    await sleep(500);
    const answeredUnsolicited = ['result', 'error'].filter((t) => repliesWithId(mallory, `iq-unsolicited-${t}`).length > 0);
    tally.accepted += 2 - answeredUnsolicited.length;

    const prosodyFiltered: string[] = [];
    for (const c of cases) {
      const o = outcomes.get(c.id);
      expect(o?.kind, `${c.id.slice(0, 40)}: ${o ? errorText(o.stanza) : 'no reply'}`).toBe(c.expect);
      if (o?.kind === 'error' && answeredBy(o.stanza) === 'prosody') prosodyFiltered.push(`${c.id} (${errorText(o.stanza)})`);
      expect(repliesWithId(mallory, c.id), `${c.id.slice(0, 40)} got exactly one reply`).toHaveLength(1);
    }
    if (noId) prosodyFiltered.push(`iq without id (${errorText(noId)})`);
    tally.note(`Prosody answered itself: ${prosodyFiltered.join('; ')}`);
    tally.note(`unsolicited result/error iqs answered: ${answeredUnsolicited.length} (must be 0)`);
    await tally.print(gateway);
    expect(noId).toBeDefined();
    expect(answeredUnsolicited).toEqual([]);
    expect(outcomes.get('iq-unknown-ns-get') && errorCondition(outcomes.get('iq-unknown-ns-get')!.stanza)).toBe('service-unavailable');
    await expectCanaryFlows('after malformed iqs');
  });

  it('deep nesting: 1000 levels inside a message and an iq are answered; deeper is Prosody\'s call', async () => {
    const tally = new Tally('nesting');
    const nester = client('nester');
    const cases = [
      { id: 'nest-msg-1000', stanza: tracked(CONTACT, 'nest-msg-1000', 'nested payload', [nested(1000)]), expect: 'accepted' },
      { id: 'nest-msg-1000-bad-contact', stanza: tracked(`nest@${SMS}`, 'nest-msg-1000-bad-contact', 'nested payload', [nested(1000)]), expect: 'error' },
      { id: 'nest-iq-1000', stanza: xml('iq', { type: 'get', to: SMS, id: 'nest-iq-1000' }, xml('query', { xmlns: 'urn:example:deep' }, nested(1000))), expect: 'error' },
      { id: 'nest-iq-disco-1000', stanza: xml('iq', { type: 'get', to: SMS, id: 'nest-iq-disco-1000' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }, nested(1000))), expect: 'result' },
      { id: 'nest-body-siblings', stanza: tracked(CONTACT, 'nest-body-siblings', 'wide payload', [xml('x', { xmlns: 'urn:example:wide' }, ...Array.from({ length: 10_000 }, () => xml('b')))]), expect: 'accepted' },
      { id: 'nest-many-attrs', stanza: xml('message', { type: 'chat', to: CONTACT, id: 'nest-many-attrs', ...Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`a${i}`, 'v'])) }, xml('body', {}, 'attrs'), receiptRequest()), expect: 'accepted' },
    ];
    const outcomes = await sendAll(tally, nester, cases, 10_000);
    for (const c of cases) expect(outcomes.get(c.id)?.kind, c.id).toBe(c.expect);

    // Deeper: 20 000 levels (~140 KB, under Prosody's stanza limit). What does Prosody do, and does the gateway answer?
    const raw = await rawSession({ port: prosody.c2sPort, domain: 'localhost', username: 'nester', password: 'nester-pw' });
    raw.write(`<message type='chat' to='nest-deep@${SMS}' id='nest-20000'><body>very deep</body><x xmlns='urn:example:hostile'>${'<a>'.repeat(20_000)}${'</a>'.repeat(20_000)}</x></message>`);
    tally.sent += 1;
    const deep = await raw.waitFor(/id=["']nest-20000["'][\s\S]*<\/message>/, 8_000).then(
      (text) => {
        const reply = /<message[^>]*id=["']nest-20000["'][\s\S]*?<\/message>/.exec(text)?.[0] ?? text;
        const condition = /<([a-z-]+) xmlns=["']urn:ietf:params:xml:ns:xmpp-stanzas["']/.exec(reply)?.[1];
        return /type=["']error["']/.test(reply) ? `error stanza (${condition}) from ${/from=["']([^"']+)["']/.exec(reply)?.[1]}` : 'answered';
      },
      () => 'no answer',
    );
    const deepClosed = await raw.closedWithin(200);
    if (deep.startsWith('error stanza')) tally.errors += 1;
    else tally.silent += 1;
    tally.note(`20000 levels: Prosody passed them on; the gateway answered ${deep}${deepClosed ? '; stream closed by Prosody' : ''}`);
    expect(deep).toMatch(/^error stanza \(jid-malformed\) from nest-deep@/);
    raw.destroy();
    await tally.print(gateway);
    expect(await gatewayAlive(gateway)).toBe(true);
    await expectCanaryFlows('after deep nesting');
  });

  it('presence flood: subscriptions answered, invalid ones refused, other users unaffected', async () => {
    const tally = new Tally('presence');
    const presser = client('presser');
    // A roster fetch makes this resource "interested" (RFC 6121 §2.1.6), so Prosody forwards 'subscribed'.
    await presser.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    const valid = Array.from({ length: 150 }, (_, i) => `+1555010${String(i).padStart(4, '0')}@${SMS}`);
    const invalid = Array.from({ length: 100 }, (_, i) => ({ id: `pres-bad-${i}`, to: `bad-${i}@${SMS}` }));
    const flood = (async () => {
      for (const to of valid) await presser.send(xml('presence', { type: 'subscribe', to }));
      for (const { id, to } of invalid) await presser.send(xml('presence', { type: 'subscribe', to, id }));
      for (let i = 0; i < 500; i++) await presser.send(xml('presence', { to: valid[i % valid.length] ?? CONTACT }, xml('status', {}, `flood ${i}`)));
      for (let i = 0; i < 200; i++) await presser.send(xml('presence', { type: 'probe', to: valid[i % valid.length] ?? CONTACT }));
      tally.sent += valid.length + invalid.length + 700;
      const refused = await awaitOutcomes(
        presser,
        invalid.map((p) => p.id),
        15_000,
      );
      const subscribed = await eventually(
        async () => {
          const from = new Set(presser.received.filter((el) => el.is('presence') && el.attrs.type === 'subscribed').map((el) => String(el.attrs.from)));
          const n = valid.filter((v) => from.has(v)).length;
          return n === valid.length ? n : undefined;
        },
        15_000,
        'subscribed from every valid contact',
      ).catch(() => new Set(presser.received.filter((el) => el.is('presence') && el.attrs.type === 'subscribed').map((el) => String(el.attrs.from))).size);
      return { refused: refused.size, subscribed };
    })();
    const { result, latencies, lost } = await canary.during(flood, 250);
    tally.errors += result.refused;
    tally.accepted += result.subscribed + 700;
    tally.silent += invalid.length - result.refused + valid.length - result.subscribed;
    const handled = gateway
      .logs()
      .filter((l) => l.msg === 'presence subscription accepted' && String(l.user) === 'presser@localhost')
      .map((l) => Date.parse(String(l.time)));
    tally.note(`well-behaved user during the flood: ${formatStats(stats(latencies))}, lost ${lost.length} (baseline ${formatStats(stats(baseline))})`);
    tally.note(
      `the gateway handled the ${handled.length} subscriptions within ${Math.max(...handled) - Math.min(...handled)} ms; the rest of the delay is Prosody's (a roster write and push per subscription change); production Prosody should run mod_limits`,
    );
    await tally.print(gateway);
    expect(result.refused).toBe(invalid.length);
    expect(result.subscribed).toBe(valid.length);
    expect(lost).toEqual([]);
    expect(stats(latencies).max).toBeLessThan(STALL_MS);
  });

  it('message flood: 2000 in a burst from one sender are all answered, and another user\'s messages keep flowing', async () => {
    const tally = new Tally('flood');
    const flooder = client('flooder');
    const N = 2000;
    const ids = Array.from({ length: N }, (_, i) => `flood-${i}`);
    const started = Date.now();
    const burst = (async () => {
      for (const [i, id] of ids.entries()) await flooder.send(tracked(CONTACT, id, `flood ${i}`));
      tally.sent += N;
      return awaitOutcomes(flooder, ids, 30_000);
    })();
    const { result: outcomes, latencies, lost } = await canary.during(burst, 200);
    const took = Date.now() - started;
    const conditions = new Map<string, number>();
    for (const o of outcomes.values()) {
      if (o.kind === 'error') {
        tally.errors += 1;
        const c = errorCondition(o.stanza) ?? '?';
        conditions.set(c, (conditions.get(c) ?? 0) + 1);
      } else tally.accepted += 1;
    }
    tally.silent += N - outcomes.size;
    tally.note(`all ${outcomes.size}/${N} answered in ${took} ms; errors by condition: ${JSON.stringify(Object.fromEntries(conditions))} (sms daily cap 200)`);
    tally.note(`well-behaved user during the flood: ${formatStats(stats(latencies))}, lost ${lost.length} (baseline ${formatStats(stats(baseline))})`);
    await tally.print(gateway);
    expect(outcomes.size).toBe(N);
    expect(tally.accepted).toBe(200);
    expect(lost).toEqual([]);
    expect(stats(latencies).max).toBeLessThan(STALL_MS);
  });

  it('message flood on email (no daily cap; the per-sender rate throttles it): all answered, and another user\'s mail keeps flowing', async () => {
    const tally = new Tally('flood-uncapped');
    const flooder = client('flooder');
    const rssBefore = await residentMemory(gateway);
    const N = 2000;
    const ids = Array.from({ length: N }, (_, i) => `mflood-${i}`);
    const started = Date.now();
    const burst = (async () => {
      for (const [i, id] of ids.entries()) await flooder.send(tracked(`flood\\40example.net@${MAIL}`, id, `mail flood ${i}`));
      tally.sent += N;
      return awaitOutcomes(flooder, ids, 30_000);
    })();
    const { result: outcomes, latencies, lost } = await mailCanary.during(burst, 200);
    const took = Date.now() - started;
    for (const o of outcomes.values()) {
      if (o.kind === 'error') tally.errors += 1;
      else tally.accepted += 1;
    }
    tally.silent += N - outcomes.size;
    tally.note(`all ${outcomes.size}/${N} answered in ${took} ms`);
    tally.note(`well-behaved user's mail during the flood: ${formatStats(stats(latencies))}, lost ${lost.length} (baseline ${formatStats(stats(baseline))})`);
    const rssAfter = await residentMemory(gateway);
    tally.note(`gateway resident memory: ${Math.round(rssBefore / 2 ** 20)} MB before, ${Math.round(rssAfter / 2 ** 20)} MB after`);
    await tally.print(gateway);
    expect(rssAfter - rssBefore, 'memory growth during the flood').toBeLessThan(200 * 2 ** 20);
    expect(outcomes.size).toBe(N);
    expect(lost).toEqual([]);
    expect(stats(latencies).max).toBeLessThan(STALL_MS);
    expect(await gatewayAlive(gateway)).toBe(true);
    expect(outcomesById(flooder).size).toBeGreaterThanOrEqual(N);
  });

  // Regression test for a bug fixed in session 1: nothing limits how fast one user may send. Every accepted message joins one
  // FIFO queue per component, so a burst from one user delays everyone else's messages by
  // burst / throughput (2000 messages: ~10 ms -> ~2.5-3.5 s here), and email/webhook have no daily cap.
  it('per-sender rate limit: a 500-message burst from one user is throttled with a wait error, and others keep normal latency', async () => {
    const tally = new Tally('flood-fairness');
    const flooder = client('flooder');
    const N = 500;
    const ids = Array.from({ length: N }, (_, i) => `fair-${i}`);
    const burst = (async () => {
      for (const [i, id] of ids.entries()) await flooder.send(tracked(`fair\\40example.net@${MAIL}`, id, `fair ${i}`));
      tally.sent += N;
      return awaitOutcomes(flooder, ids, 20_000);
    })();
    const { result: outcomes, latencies } = await mailCanary.during(burst, 100);
    let throttled = 0;
    for (const o of outcomes.values()) {
      if (o.kind === 'error') {
        tally.errors += 1;
        if (o.stanza.getChild('error')?.attrs.type === 'wait') throttled += 1;
      } else tally.accepted += 1;
    }
    tally.note(`throttled (error type wait): ${throttled}; well-behaved user's mail during the burst: ${formatStats(stats(latencies))}`);
    await tally.print(gateway);
    expect(throttled, 'the flooder is throttled').toBeGreaterThan(0);
    expect(stats(latencies).p95).toBeLessThan(NORMAL_LATENCY_MS);
  });

  it('message types: normal is accepted, headline and error are ignored as RFC 6121 says', async () => {
    const tally = new Tally('message-types');
    const mallory = client('mallory');
    const normal = xml('message', { to: CONTACT, id: 'type-normal' }, xml('body', {}, 'type normal'), receiptRequest());
    const outcomes = await sendAll(tally, mallory, [{ id: 'type-normal', stanza: normal }], 5_000);
    expect(outcomes.get('type-normal')?.kind).toBe('accepted');
    for (const type of ['headline', 'error']) {
      await mallory.send(xml('message', { to: CONTACT, id: `type-${type}`, type }, xml('body', {}, `type ${type}`), receiptRequest()));
      tally.sent += 1;
    }
    await sleep(500);
    for (const type of ['headline', 'error']) {
      // RFC 6121 §8.5.2.1.1: no error for headline; RFC 6120 §8.3.1: never answer an error with an error.
      expect(repliesWithId(mallory, `type-${type}`), `type ${type}`).toEqual([]);
      tally.accepted += 1;
    }
    tally.note('headline and error messages ignored without reply (as RFC 6121/6120 require)');
    await tally.print(gateway);
  });

  // Regression test for a bug fixed in session 1: message.ts drops type="groupchat" silently, so a sender whose client
  // sends groupchat by mistake never learns the text went nowhere. RFC 6121 §8.5.2.1.1 has the
  // server answer groupchat to a non-MUC address with service-unavailable; the gateway should too.
  it('a groupchat message with a body to a contact gets an error, not silence', async () => {
    const mallory = client('mallory');
    await mallory.send(xml('message', { to: CONTACT, id: 'type-groupchat', type: 'groupchat' }, xml('body', {}, 'type groupchat'), receiptRequest()));
    const outcomes = await awaitOutcomes(mallory, ['type-groupchat'], 1_500);
    expect(outcomes.get('type-groupchat')?.kind).toBe('error');
  });
});
