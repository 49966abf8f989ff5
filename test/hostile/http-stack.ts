/**
 * The stack the hostile HTTP files share: real Prosody and the built gateway
 * with a sandbox component (autoDeliver), a Twilio and a Telnyx component
 * served by their doubles, alice and bob logged in; plus a plain HTTP poster
 * and the judge that tallies each bad request.
 */
import { afterAll, beforeAll } from 'vitest';
import { TelnyxDouble } from '../doubles/telnyx.js';
import { TwilioDouble } from '../doubles/twilio.js';
import { ADMIN_TOKEN, type GatewayProcess } from '../support/gateway.js';
import { E2EStack } from '../support/stack.js';
import type { TestClient } from '../support/xmpp-client.js';
import { isJsonError, type Tally } from './support.js';

export const SMS = 'sms.localhost';
export const TW = 'tw.localhost';
export const TX = 'tx.localhost';
export const PHONE = '+15551234567';
export const BOB_NUMBER = '+15550001111';
export const ALICE_TW_NUMBER = '+15550002222';
export const ALICE_TX_NUMBER = '+15550003333';
/** The headers of an authorized admin request. */
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
/** The default http.bodyLimitBytes. */
export const BODY_LIMIT = 65_536;

export interface HttpAnswer {
  status: number;
  text: string;
}

/** What a hostile HTTP case works with, once started. */
export interface HttpAbuseParts {
  gateway: GatewayProcess;
  twilio: TwilioDouble;
  telnyx: TelnyxDouble;
  alice: TestClient;
  bob: TestClient;
  /** The gateway's HTTP port, for raw requests. */
  port: number;
}

export class HttpAbuseStack {
  private stack: E2EStack | undefined;
  private parts: HttpAbuseParts | undefined;

  async start(): Promise<HttpAbuseParts> {
    const twilio = await TwilioDouble.start();
    const telnyx = await TelnyxDouble.start();
    const stack = await E2EStack.start({
      label: 'hostile-http',
      users: ['alice', 'bob'],
      components: [
        { domain: SMS, secret: 'sms-secret', network: 'sms', extra: 'sandbox: { autoDeliver: true }' },
        {
          domain: TW,
          secret: 'tw-secret',
          network: 'sms',
          provider: 'twilio',
          extra: [
            `numbers: { "${BOB_NUMBER}": bob@localhost, "${ALICE_TW_NUMBER}": alice@localhost }`,
            // 10/s: above bob's probes (2/s), low enough that a 20-message burst is paced;
            // a per-sender rate above the probes too, so only pacing shapes the burst.
            'limits: { perNumberPerSecond: 10, perSenderPerSecond: 5, perSenderBurst: 50 }',
            twilio.configSection(),
          ].join('\n'),
        },
        {
          domain: TX,
          secret: 'tx-secret',
          network: 'sms',
          provider: 'telnyx',
          extra: [`numbers: { "${ALICE_TX_NUMBER}": alice@localhost }`, telnyx.configSection()].join('\n'),
        },
      ],
    });
    this.stack = stack;
    const { gateway } = stack;
    this.parts = {
      gateway,
      twilio,
      telnyx,
      alice: await stack.login('alice'),
      bob: await stack.login('bob'),
      port: Number(new URL(gateway.httpUrl).port),
    };
    return this.parts;
  }

  /** The started parts; throws before start(). */
  get started(): HttpAbuseParts {
    if (this.parts === undefined) throw new Error('the hostile HTTP stack is not started');
    return this.parts;
  }

  async stop(): Promise<void> {
    await this.stack?.stop();
    await this.parts?.twilio.close();
    await this.parts?.telnyx.close();
  }

  /** A request through fetch (which normalizes what it sends); resolves with the status and body text. */
  readonly post = async (path: string, headers: Record<string, string>, body: string | Uint8Array | undefined, method = 'POST'): Promise<HttpAnswer> => {
    if (this.parts === undefined) throw new Error('the hostile HTTP stack is not started');
    const res = await fetch(`${this.parts.gateway.httpUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    return { status: res.status, text: await res.text() };
  };

  /** Tallies one bad request: a 4xx with a JSON `{ error }` counts as answered-with-error. */
  readonly judge = (tally: Tally, what: string, answer: HttpAnswer, bad: string[], expectStatus?: number | RegExp): void => {
    tally.sent += 1;
    const okStatus =
      expectStatus === undefined ? answer.status >= 400 && answer.status < 500 : typeof expectStatus === 'number' ? answer.status === expectStatus : expectStatus.test(String(answer.status));
    if (answer.status >= 200 && answer.status < 300) {
      tally.accepted += 1;
      bad.push(`${what}: accepted with ${answer.status} ${answer.text.slice(0, 80)}`);
    } else if (okStatus && isJsonError(answer.text)) {
      tally.errors += 1;
    } else {
      bad.push(`${what}: ${answer.status} ${answer.text.slice(0, 120)}`);
      if (answer.status >= 400) tally.errors += 1;
      else tally.silent += 1;
    }
  };
}

/**
 * For a describe block: starts the stack before its cases (the first
 * beforeAll, so later hooks see it started) and stops it after them.
 */
export function useHttpAbuseStack(): HttpAbuseStack {
  const abuse = new HttpAbuseStack();
  beforeAll(() => abuse.start());
  afterAll(() => abuse.stop());
  return abuse;
}
