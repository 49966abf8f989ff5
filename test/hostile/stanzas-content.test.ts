/**
 * Hostile stanzas, sent by logged-in c2s users through a real Prosody to the
 * built gateway (sandbox provider, autoDeliver on, so an accepted message
 * shows up as a receipt): oversized bodies, odd Unicode, malformed iqs and
 * deep nesting. Each must be answered (error stanza with the original id where
 * there is one, or accepted), the gateway must stay up, and a well-behaved
 * user's messages must keep flowing with normal latency. Where Prosody itself
 * refuses something before it reaches the gateway, the counts say so. The
 * stack is in ./stanza-stack.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { repliesWithId } from '../support/outcomes.js';
import { receiptRequest } from '../support/stack.js';
import { errorCondition, errorText } from '../support/stanza-errors.js';
import { sleep } from '../support/waits.js';
import { xml, type Element } from '../support/xmpp-client.js';
import { CONTACT, MAIL, MAIL_CONTACT, PROSODY_C2S_LIMIT, SMS, nested, tracked, useStanzaAbuseStack, type StanzaAbuseParts } from './stanza-stack.js';
import { Tally, answeredBy, gatewayAlive, rawSession } from './support.js';

describe('hostile stanzas (real Prosody + built gateway)', () => {
  const abuse = useStanzaAbuseStack();
  const { client, sendAll, expectCanaryFlows } = abuse;
  let { prosody, gateway } = {} as StanzaAbuseParts;
  beforeAll(() => void ({ prosody, gateway } = abuse.started));

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
});
