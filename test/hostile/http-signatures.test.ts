/**
 * Hostile HTTP against the built gateway (real Prosody, Redis, the Twilio and
 * Telnyx doubles, the sandbox): forged, missing and stale signatures, wrong
 * content types, replays. Every bad request must get a 4xx with a JSON reason
 * (where Node itself answers first, the counts say so), nothing forged may be
 * delivered, and the gateway stays up. The stack is in ./http-stack.ts; the
 * other attack kinds are in the sibling http-*.test.ts files.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { computeTwilioSignature, inboundParams, signedWebhook, twilioSid } from '../doubles/twilio.js';
import { sleep } from '../support/waits.js';
import { admin, useHttpAbuseStack, type HttpAbuseParts, SMS, TW, TX, PHONE, ALICE_TW_NUMBER, ALICE_TX_NUMBER } from './http-stack.js';
import { Tally, isJsonError } from './support.js';

describe('hostile HTTP (real Prosody + built gateway + provider doubles)', () => {
  const abuse = useHttpAbuseStack();
  const { post, judge } = abuse;
  let { gateway, twilio, telnyx, alice } = {} as HttpAbuseParts;
  const inboundBodies = (client: HttpAbuseParts['alice'], text: string) => client.received.filter((el) => el.is('message') && el.getChildText('body') === text);

  beforeAll(() => void ({ gateway, twilio, telnyx, alice } = abuse.started));

  it('forged, missing and stale signatures: 403 with a JSON reason, nothing delivered', async () => {
    const tally = new Tally('http-signature');
    const bad: string[] = [];
    const msg = (body: string) => ({ from: PHONE, to: ALICE_TW_NUMBER, body });
    const twPath = `/webhooks/${TW}/messages`;
    const send = (hook: { path: string; payload: string; headers: Record<string, string> }) => post(hook.path, hook.headers, hook.payload);

    for (const signature of ['omit', 'corrupt'] as const) {
      const hook = signedWebhook(twilio.authToken, gateway.httpUrl, twPath, inboundParams(twilio.accountSid, msg(`forged tw ${signature}`)), { signature });
      judge(tally, `twilio ${signature}`, await send(hook), bad, 403);
    }
    // Signed for /status, posted to /messages; signed, then a parameter changed; an empty header; a signature for another host.
    const params = inboundParams(twilio.accountSid, msg('forged tw other path'));
    const forOtherPath = signedWebhook(twilio.authToken, gateway.httpUrl, `/webhooks/${TW}/status`, params);
    judge(tally, 'twilio signed for another path', await send({ ...forOtherPath, path: twPath }), bad, 403);
    const tampered = signedWebhook(twilio.authToken, gateway.httpUrl, twPath, inboundParams(twilio.accountSid, msg('forged tw tampered')));
    judge(tally, 'twilio tampered body', await send({ ...tampered, payload: tampered.payload.replace('forged+tw+tampered', 'forged+tw+TAMPERED') }), bad, 403);
    judge(tally, 'twilio empty signature', await send({ ...tampered, headers: { ...tampered.headers, 'x-twilio-signature': '' } }), bad, 403);
    const otherHost = signedWebhook(twilio.authToken, 'https://evil.example', twPath, inboundParams(twilio.accountSid, msg('forged tw other host')));
    judge(tally, 'twilio signed for another host', await send(otherHost), bad, 403);
    judge(tally, 'twilio signature of 8 KB', await send({ ...otherHost, headers: { ...otherHost.headers, 'x-twilio-signature': 'A'.repeat(8192) } }), bad, 403);
    const status = signedWebhook(twilio.authToken, gateway.httpUrl, `/webhooks/${TW}/status`, [['MessageSid', twilioSid('SM')], ['MessageStatus', 'delivered']], { signature: 'corrupt' });
    judge(tally, 'twilio status corrupt', await send(status), bad, 403);

    const txPath = `/webhooks/${TX}/messages`;
    const now = Math.floor(Date.now() / 1000);
    const telnyxCases: Array<[string, { payload: string; headers: Record<string, string> }]> = [
      ['telnyx omit', telnyx.inboundWebhook(msg('forged tx'), { signature: 'omit' })],
      ['telnyx corrupt', telnyx.inboundWebhook(msg('forged tx'), { signature: 'corrupt' })],
      ['telnyx wrong key', telnyx.inboundWebhook(msg('forged tx'), { signature: 'wrong-key' })],
      ['telnyx no timestamp', telnyx.inboundWebhook(msg('forged tx'), { omitTimestamp: true })],
      ['telnyx timestamp 10 min ahead', telnyx.inboundWebhook(msg('forged tx'), { timestamp: now + 600 })],
      ['telnyx timestamp 1 h old', telnyx.inboundWebhook(msg('forged tx'), { timestamp: now - 3600 })],
    ];
    const valid = telnyx.inboundWebhook(msg('forged tx'));
    telnyxCases.push(
      ['telnyx non-numeric timestamp', { ...valid, headers: { ...valid.headers, 'telnyx-timestamp': 'yesterday' } }],
      ['telnyx signature not base64', { ...valid, headers: { ...valid.headers, 'telnyx-signature-ed25519': '!!!!' } }],
      ['telnyx signature of 8 KB', { ...valid, headers: { ...valid.headers, 'telnyx-signature-ed25519': 'A'.repeat(8192) } }],
      ['telnyx body changed after signing', { ...valid, payload: valid.payload.replace('forged tx', 'forged TX') }],
      ['telnyx status route, omit', telnyx.statusWebhook('00000000-0000-0000-0000-000000000000', 'delivered', undefined, { signature: 'omit' })],
    );
    for (const [what, hook] of telnyxCases) {
      judge(tally, what, await post(what.includes('status route') ? `/webhooks/${TX}/status` : txPath, hook.headers, hook.payload), bad, 403);
    }
    await sleep(300);
    expect(alice.received.filter((el) => /forged/i.test(el.getChildText('body') ?? ''))).toEqual([]);
    await tally.print(gateway);
    expect(bad).toEqual([]);
  });

  it('wrong content types: 4xx with a JSON reason', async () => {
    const tally = new Tally('http-content-type');
    const bad: string[] = [];
    const twPath = `/webhooks/${TW}/messages`;
    const txPath = `/webhooks/${TX}/messages`;
    const params = inboundParams(twilio.accountSid, { from: PHONE, to: ALICE_TW_NUMBER, body: 'wrong type' });
    const form = new URLSearchParams(params).toString();
    const multipart = `--XYZ\r\nContent-Disposition: form-data; name="Body"\r\n\r\nhi\r\n--XYZ--\r\n`;
    const cases: Array<[string, string, Record<string, string>, string]> = [
      ['twilio text/plain', twPath, { 'content-type': 'text/plain' }, form],
      ['twilio multipart', twPath, { 'content-type': 'multipart/form-data; boundary=XYZ' }, multipart],
      ['twilio JSON, unsigned', twPath, { 'content-type': 'application/json' }, JSON.stringify(Object.fromEntries(params))],
      ['twilio application/xml', twPath, { 'content-type': 'application/xml' }, '<Body>hi</Body>'],
      ['twilio no content-type', twPath, {}, form],
      ['telnyx form', txPath, { 'content-type': 'application/x-www-form-urlencoded' }, form],
      ['telnyx multipart', txPath, { 'content-type': 'multipart/form-data; boundary=XYZ' }, multipart],
      ['telnyx text/plain', txPath, { 'content-type': 'text/plain' }, telnyx.inboundWebhook({ from: PHONE, to: ALICE_TX_NUMBER, body: 'wrong type' }).payload],
      ['sandbox form', `/sandbox/${SMS}/inbound`, { ...admin, 'content-type': 'application/x-www-form-urlencoded' }, 'from=%2B15551234567&to=alice%40localhost&body=hi'],
      ['sandbox text/plain', `/sandbox/${SMS}/inbound`, { ...admin, 'content-type': 'text/plain' }, '{"from":"+15551234567","to":"alice@localhost","body":"hi"}'],
      ['sandbox content-type with 4 KB of parameters', `/sandbox/${SMS}/inbound`, { ...admin, 'content-type': `application/json; ${'x=y; '.repeat(800)}` }, '{}'],
    ];
    const answers: string[] = [];
    for (const [what, path, headers, body] of cases) {
      const answer = await post(path, headers, body);
      answers.push(`${what} -> ${answer.status}`);
      judge(tally, what, answer, bad);
    }
    tally.note(answers.join('; '));
    await tally.print(gateway);
    expect(bad).toEqual([]);
  });

  // Regression test for a bug fixed in session 1: the Twilio routes take any body Fastify can parse. A JSON object of
  // string fields is checked as if it were the form, so a captured form webhook re-posted as JSON
  // (signature unchanged) is accepted; Twilio only ever posts application/x-www-form-urlencoded
  // (JSON webhooks carry bodySHA256 instead). Expected: 415.
  it('a correctly signed JSON body on the Twilio form route is refused with 415', async () => {
    const params = inboundParams(twilio.accountSid, { from: PHONE, to: ALICE_TW_NUMBER, body: 'json to twilio' });
    const path = `/webhooks/${TW}/messages`;
    const signature = computeTwilioSignature(twilio.authToken, `${gateway.httpUrl}${path}`, params);
    const answer = await post(path, { 'content-type': 'application/json', 'x-twilio-signature': signature }, JSON.stringify(Object.fromEntries(params)));
    expect(answer.status).toBe(415);
    expect(isJsonError(answer.text)).toBe(true);
  });

  it('replays: the same signed webhook twice is delivered once; a Telnyx webhook signed over 5 minutes ago is 403', async () => {
    const tally = new Tally('http-replay');
    const bad: string[] = [];
    const twHook = signedWebhook(twilio.authToken, gateway.httpUrl, `/webhooks/${TW}/messages`, inboundParams(twilio.accountSid, { from: PHONE, to: ALICE_TW_NUMBER, body: 'replayed twilio' }));
    const first = await post(twHook.path, twHook.headers, twHook.payload);
    const again = await post(twHook.path, twHook.headers, twHook.payload);
    const txHook = telnyx.inboundWebhook({ from: PHONE, to: ALICE_TX_NUMBER, body: 'replayed telnyx' });
    const txFirst = await post(`/webhooks/${TX}/messages`, txHook.headers, txHook.payload);
    const txAgain = await post(`/webhooks/${TX}/messages`, txHook.headers, txHook.payload);
    tally.sent += 4;
    tally.accepted += [first, again, txFirst, txAgain].filter((a) => a.status === 200).length;
    expect([first.status, again.status, txFirst.status, txAgain.status]).toEqual([200, 200, 200, 200]);
    await alice.waitFor((el) => el.getChildText('body') === 'replayed twilio');
    await alice.waitFor((el) => el.getChildText('body') === 'replayed telnyx');
    await sleep(500);
    expect(inboundBodies(alice, 'replayed twilio')).toHaveLength(1);
    expect(inboundBodies(alice, 'replayed telnyx')).toHaveLength(1);

    // A captured Telnyx webhook replayed after the 5-minute window: signed 301 s and 6 min ago.
    const now = Math.floor(Date.now() / 1000);
    for (const age of [301, 360]) {
      const stale = telnyx.inboundWebhook({ from: PHONE, to: ALICE_TX_NUMBER, body: `stale ${age}` }, { timestamp: now - age });
      judge(tally, `telnyx signed ${age} s ago`, await post(`/webhooks/${TX}/messages`, stale.headers, stale.payload), bad, 403);
    }
    await sleep(300);
    expect(alice.received.filter((el) => /^stale/.test(el.getChildText('body') ?? ''))).toEqual([]);
    tally.note('each replayed message reached the user exactly once');
    await tally.print(gateway);
    expect(bad).toEqual([]);
  });
});
