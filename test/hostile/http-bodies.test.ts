/**
 * Hostile HTTP against the built gateway (real Prosody, Redis, the Twilio and
 * Telnyx doubles, the sandbox): oversized, malformed and control-character
 * bodies. Every bad request must get a 4xx with a JSON reason (where Node
 * itself answers first, the counts say so), nothing forged may be delivered,
 * and the gateway stays up. The stack is in ./http-stack.ts; the other attack
 * kinds are in the sibling http-*.test.ts files.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { inboundPayload, telnyxEvent } from '../doubles/telnyx.js';
import { inboundParams, signedWebhook } from '../doubles/twilio.js';
import { admin, useHttpAbuseStack, type HttpAbuseParts, SMS, TW, TX, PHONE, ALICE_TW_NUMBER, ALICE_TX_NUMBER, BODY_LIMIT } from './http-stack.js';
import { Tally, gatewayAlive, rawHttp } from './support.js';

describe('hostile HTTP (real Prosody + built gateway + provider doubles)', () => {
  const abuse = useHttpAbuseStack();
  const { post, judge } = abuse;
  let { gateway, twilio, telnyx, alice, port } = {} as HttpAbuseParts;

  beforeAll(() => void ({ gateway, twilio, telnyx, alice, port } = abuse.started));

  it(`oversized bodies (beyond http.bodyLimitBytes = ${BODY_LIMIT}): 413 with a JSON reason, without reading them whole`, async () => {
    const tally = new Tally('http-oversize');
    const bad: string[] = [];
    const big = 'a'.repeat(BODY_LIMIT + 1);
    const cases: Array<[string, string, Record<string, string>]> = [
      ['twilio form', `/webhooks/${TW}/messages`, { 'content-type': 'application/x-www-form-urlencoded' }],
      ['telnyx json', `/webhooks/${TX}/messages`, { 'content-type': 'application/json' }],
      ['sandbox json', `/sandbox/${SMS}/inbound`, { ...admin, 'content-type': 'application/json' }],
      ['admin retry json', `/admin/queues/out/${TW}/retry`, { ...admin, 'content-type': 'application/json' }],
    ];
    for (const [what, path, headers] of cases) {
      // The sandbox inject route takes up to 1 MiB (admins inject long bodies); beyond that it is 413 too.
      const filler = what.startsWith('sandbox') ? 'a'.repeat(1024 * 1024 + 1) : big;
      judge(tally, what, await post(path, headers, what.includes('form') ? `Body=${filler}` : JSON.stringify({ big: filler })), bad, 413);
    }
    // A chunked body (no Content-Length) that grows past the limit, and a Content-Length that announces 100 MB.
    const chunk = Buffer.alloc(64 * 1024, 'b');
    const chunked = await rawHttp(
      port,
      Buffer.concat([
        Buffer.from(`POST /webhooks/${TX}/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`),
        ...Array.from({ length: 20 }, () => Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])),
        Buffer.from('0\r\n\r\n'),
      ]),
    );
    judge(tally, 'chunked 1.3 MB', { status: chunked.status, text: chunked.body.replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$/g, '') }, bad, 413);
    const announced = await rawHttp(port, `POST /webhooks/${TW}/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 104857600\r\n\r\nBody=`);
    judge(tally, 'Content-Length 100 MB, 5 bytes sent', { status: announced.status, text: announced.body }, bad, 413);
    await tally.print(gateway);
    expect(bad).toEqual([]);
    expect(await gatewayAlive(gateway)).toBe(true);
  });

  it('malformed bodies: 400 with a JSON reason, signed or not', async () => {
    const tally = new Tally('http-malformed');
    const bad: string[] = [];
    const sandbox = `/sandbox/${SMS}/inbound`;
    const json = { ...admin, 'content-type': 'application/json' };
    judge(tally, 'sandbox truncated JSON', await post(sandbox, json, '{"from":"+1555'), bad, 400);
    judge(tally, 'sandbox JSON with __proto__', await post(sandbox, json, '{"__proto__":{"admin":true},"from":"+15551234567","to":"alice@localhost","body":"x"}'), bad, 400);
    judge(tally, 'sandbox JSON with constructor.prototype', await post(sandbox, json, '{"constructor":{"prototype":{"admin":true}},"from":"+15551234567","to":"alice@localhost","body":"x"}'), bad, 400);
    judge(tally, 'sandbox JSON nested 100000 deep', await post(sandbox, json, `${'['.repeat(100_000)}${']'.repeat(100_000)}`), bad, 400);
    judge(tally, 'sandbox JSON string of NULs', await post(sandbox, json, JSON.stringify({ from: '\u0000', to: '\u0000', body: '\u0000' })), bad);
    judge(tally, 'sandbox empty body', await post(sandbox, json, ''), bad, 400);
    judge(tally, 'sandbox wrong types', await post(sandbox, json, '{"from":1,"to":[],"body":{}}'), bad, 400);
    judge(tally, 'faults: unknown mode', await post(`/sandbox/${SMS}/faults`, json, '{"mode":"explode"}', 'PUT'), bad, 400);
    judge(tally, 'admin jobs: bad query', await post(`/admin/queues/out/${TW}/jobs?state=everything&limit=-5`, admin, undefined, 'GET'), bad, 400);

    const txPath = `/webhooks/${TX}/messages`;
    const signedText = (text: string) => telnyx.signText(text);
    for (const [what, text] of [
      ['telnyx signed non-JSON', 'this is not json'],
      ['telnyx signed null', 'null'],
      ['telnyx signed array', '[1,2,3]'],
      ['telnyx signed wrong shape', '{"data":5}'],
      ['telnyx signed message.received without from', JSON.stringify(telnyxEvent('message.received', { id: 'x', to: [{ phone_number: ALICE_TX_NUMBER }] }))],
      ['telnyx signed text over 100000', JSON.stringify(telnyxEvent('message.received', inboundPayload({ from: PHONE, to: ALICE_TX_NUMBER, body: 't'.repeat(100_001) })))],
      ['telnyx signed 51 recipients', JSON.stringify(telnyxEvent('message.received', { ...inboundPayload({ from: PHONE, to: ALICE_TX_NUMBER, body: 'x' }), to: Array.from({ length: 51 }, () => ({ phone_number: ALICE_TX_NUMBER })) }))],
    ] as const) {
      const hook = signedText(text);
      // Bodies beyond http.bodyLimitBytes are refused before parsing (413); the rest fail validation (400).
      judge(tally, what, await post(txPath, hook.headers, hook.payload), bad, /^(400|413)$/);
    }
    const twPath = `/webhooks/${TW}/messages`;
    const signedForm = (params: Array<[string, string]>) => signedWebhook(twilio.authToken, gateway.httpUrl, twPath, params);
    for (const [what, params] of [
      ['twilio signed, no MessageSid', inboundParams(twilio.accountSid, { from: PHONE, to: ALICE_TW_NUMBER, body: 'x' }).filter(([k]) => k !== 'MessageSid')],
      ['twilio signed, From twice', [...inboundParams(twilio.accountSid, { from: PHONE, to: ALICE_TW_NUMBER, body: 'x' }), ['From', '+15559999999']]],
      ['twilio signed, Body over 100000', inboundParams(twilio.accountSid, { from: PHONE, to: ALICE_TW_NUMBER, body: 'b'.repeat(100_001) })],
      ['twilio signed, NumMedia 999', [...inboundParams(twilio.accountSid, { from: PHONE, to: ALICE_TW_NUMBER, body: 'x' }).filter(([k]) => k !== 'NumMedia'), ['NumMedia', '999']]],
      ['twilio signed, MessageSid of 10 KB', [...inboundParams(twilio.accountSid, { from: PHONE, to: ALICE_TW_NUMBER, body: 'x' }).filter(([k]) => k !== 'MessageSid'), ['MessageSid', 'S'.repeat(10_000)]]],
    ] as Array<[string, Array<[string, string]>]>) {
      const hook = signedForm(params);
      judge(tally, what, await post(hook.path, hook.headers, hook.payload), bad, /^(400|413)$/);
    }
    // Unparseable percent-escapes in a form: refused (400) or read leniently, then the signature decides (403).
    judge(tally, 'twilio bad percent-escapes', await post(twPath, { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'AAAA' }, 'Body=%ZZ%&From=%E0%A4%A&&&=='), bad);
    // Unroutable but well-formed: answered 2xx by design (the provider would only retry), so not counted here.
    await tally.print(gateway);
    expect(bad).toEqual([]);
    expect(await gatewayAlive(gateway)).toBe(true);
  });

  // Regression test for a bug fixed in session 1: adapters/sms/*/webhooks.ts and src/component/to-xmpp.ts pass provider text
  // into stanzas unfiltered. A character XML 1.0 forbids (U+0001-U+0008, U+000B, U+000C,
  // U+000E-U+001F, U+FFFE/U+FFFF) makes Prosody end the component stream (not-well-formed): the
  // message is lost (its job already completed, the provider got 200), the component reconnects,
  // and while it is away Prosody bounces every user's stanza to it with remote-server-timeout.
  // Sent through the Telnyx component so the Twilio canary of the slow-client test is not hit.
  it('a signed inbound SMS with a control character is delivered (sanitized) without breaking the XMPP link', async () => {
    const body = 'bell\u0007 and vertical tab\u000B';
    const lostBefore = gateway.logs().filter((l) => l.msg === 'component connection lost' && l.domain === TX).length;
    const answer = await telnyx.sendInbound(gateway.httpUrl, TX, { from: PHONE, to: ALICE_TX_NUMBER, body });
    expect(answer.status).toBe(200);
    const got = await alice.waitFor((el) => /^bell/.test(el.getChildText('body') ?? ''), 3_000).catch(() => undefined);
    const lost = gateway.logs().filter((l) => l.msg === 'component connection lost' && l.domain === TX).length - lostBefore;
    expect(lost, 'component connection drops').toBe(0);
    expect(got?.getChildText('body')).toMatch(/^bell.+vertical tab/);
  });
});
