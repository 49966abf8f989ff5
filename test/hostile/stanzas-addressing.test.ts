/**
 * Hostile stanzas, sent by logged-in c2s users through a real Prosody to the
 * built gateway (sandbox provider, autoDeliver on, so an accepted message
 * shows up as a receipt): malformed and oversized JIDs, stanzas without ids,
 * message types and groupchat. Each must be answered (error stanza with the
 * original id where there is one, or accepted), the gateway must stay up, and
 * a well-behaved user's messages must keep flowing with normal latency. Where
 * Prosody itself refuses something before it reaches the gateway, the counts
 * say so. The stack is in ./stanza-stack.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { awaitOutcomes, repliesWithId } from '../support/outcomes.js';
import { receiptRequest } from '../support/stack.js';
import { errorCondition, errorText } from '../support/stanza-errors.js';
import { eventually, sleep } from '../support/waits.js';
import { xml } from '../support/xmpp-client.js';
import { CONTACT, MAIL, PHONE, SMS, chat, tracked, useStanzaAbuseStack, type StanzaAbuseParts } from './stanza-stack.js';
import { Tally, answeredBy, gatewayAlive } from './support.js';

describe('hostile stanzas (real Prosody + built gateway)', () => {
  const abuse = useStanzaAbuseStack();
  const { client, sendAll, expectCanaryFlows } = abuse;
  let { gateway } = {} as StanzaAbuseParts;
  beforeAll(() => void ({ gateway } = abuse.started));

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
