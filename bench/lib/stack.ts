/**
 * The parts every phase shares: one private Prosody with the gateway's SMS
 * domain and the no-op baseline domain, the Twilio double, the bench users
 * (one gateway number each) and their logged-in clients.
 */
import { TwilioDouble } from '../../test/doubles/twilio.js';
import { execFile } from 'node:child_process';
import { writeGatewayConfig, type GatewayComponent } from '../../test/support/gateway.js';
import { startProsody, type ProsodyInstance } from '../../test/support/prosody.js';
import { onCleanup } from './cleanup.js';
import { ArrivalSink } from './message-loads.js';
import { pidsWithArg } from './procstat.js';
import { probeTwilio } from './twilio-probe.js';
import { connectBenchClient, type BenchClient, type Element } from './xmpp.js';

export const SMS_DOMAIN = 'sms.localhost';
export const SMS_SECRET = 'bench-sms-secret';
export const NOOP_DOMAIN = 'noop.localhost';
export const NOOP_SECRET = 'bench-noop-secret';

export interface BenchUser {
  username: string;
  password: string;
  /** The gateway number the user sends from and receives on. */
  number: string;
}

export interface Stack {
  prosody: ProsodyInstance;
  prosodyPid: number | undefined;
  twilio: TwilioDouble;
  /** Messages the Twilio double accepted so far. */
  twilioAccepted(): number;
  /** Where outbound arrivals (at the double or the no-op component) are reported. */
  sink: ArrivalSink;
  users: BenchUser[];
  clients: BenchClient[];
  /** Incoming stanzas on the clients go here (the inbound phase sets it). */
  onClientStanza: (el: Element) => void;
  /** Error stanzas the clients received, by condition. */
  clientErrors: Record<string, number>;
}

/** +1 555 000 0000 + i: NANP 555 numbers, valid E.164. */
export function userNumber(i: number): string {
  return `+1555000${String(i).padStart(4, '0')}`;
}

/** Contact JID k of client c: 100 distinct phones. */
export function smsContact(c: number, k: number): string {
  return `+1555123${String((c * 7 + k) % 100).padStart(4, '0')}@${SMS_DOMAIN}`;
}

export async function startStack(clientCount: number): Promise<Stack> {
  const users: BenchUser[] = Array.from({ length: clientCount }, (_, i) => ({
    username: `bench${i}`,
    password: `pw${i}`,
    number: userNumber(i),
  }));
  const prosody = await startProsody({
    components: [
      { domain: SMS_DOMAIN, secret: SMS_SECRET },
      { domain: NOOP_DOMAIN, secret: NOOP_SECRET },
    ],
    users: users.map(({ username, password }) => ({ username, password })),
    // Not 'warn': startProsody waits for the info-level "Activated service" lines. Info logs no per-stanza lines.
    logLevel: 'info',
  });
  onCleanup('prosody', () => prosody.stop());
  const twilio = await TwilioDouble.start();
  onCleanup('twilio double', () => twilio.close());
  const sink = new ArrivalSink();
  const probe = probeTwilio(twilio, (body, at) => sink.arrived(body, at));

  const stack: Stack = {
    prosody,
    prosodyPid: pidsWithArg(prosody.configPath)[0],
    twilio,
    twilioAccepted: probe.accepted,
    sink,
    users,
    clients: [],
    onClientStanza: () => undefined,
    clientErrors: {},
  };
  // Logins are spread out a little: 20 at once is fine, but there is no point racing them.
  for (const u of users) {
    const client = await connectBenchClient({
      port: prosody.c2sPort,
      domain: prosody.domain,
      username: u.username,
      password: u.password,
      onStanza: (el) => {
        if (el.attrs.type === 'error') {
          const condition = el.getChild('error')?.children.find((c) => typeof c !== 'string')?.toString() ?? 'unknown';
          const name = /^<([\w-]+)/.exec(condition)?.[1] ?? condition;
          stack.clientErrors[name] = (stack.clientErrors[name] ?? 0) + 1;
        }
        stack.onClientStanza(el);
      },
    });
    stack.clients.push(client);
  }
  onCleanup('xmpp clients', () => Promise.all(stack.clients.map((c) => c.stop())));
  return stack;
}

/**
 * Limits that would throttle the load generator, set out of the way: pacing
 * per number, the daily cap, and (in builds that have it) the per-sender
 * rate. `extraLimits` comes from supportedLimitKeys(), since the config
 * schema is strict and an older build refuses keys it does not know.
 */
export const BENCH_LIMITS: Record<string, number> = { perNumberPerSecond: 10000, dailyPerUser: 0 };
export const OPTIONAL_LIMITS: Record<string, number> = { perSenderPerSecond: 0 };

/** Which of OPTIONAL_LIMITS the built gateway's config accepts (`main.js --check`). */
export async function supportedLimitKeys(main: string): Promise<Record<string, number>> {
  const supported: Record<string, number> = {};
  for (const [key, value] of Object.entries(OPTIONAL_LIMITS)) {
    const path = await writeGatewayConfig(
      {
        componentPort: 5347,
        redisUrl: 'redis://127.0.0.1:6379',
        redisPrefix: 'bench-check',
        components: [{ domain: SMS_DOMAIN, secret: SMS_SECRET, network: 'sms', provider: 'sandbox', extra: `limits: { ${key}: ${value} }` }],
      },
      8080,
    );
    const ok = await new Promise<boolean>((resolve) => {
      execFile(process.execPath, [main, '--config', path, '--check'], { timeout: 20_000 }, (err) => resolve(err === null));
    });
    if (ok) supported[key] = value;
  }
  return supported;
}

/** The gateway's SMS component for the bench: Twilio at the double, one number per user, no pacing, rate or daily cap in the way. */
export function smsComponent(stack: Stack, concurrency: number | undefined, extraLimits: Record<string, number> = {}): GatewayComponent {
  const numbers = stack.users.map((u) => `"${u.number}": ${u.username}@${stack.prosody.domain}`).join(', ');
  return {
    domain: SMS_DOMAIN,
    secret: SMS_SECRET,
    network: 'sms',
    provider: 'twilio',
    extra: [
      `numbers: { ${numbers} }`,
      `limits: { ${Object.entries({ ...BENCH_LIMITS, ...extraLimits }).map(([k, v]) => `${k}: ${v}`).join(', ')} }`,
      ...(concurrency === undefined ? [] : [`concurrency: ${concurrency}`]),
      `twilio: { accountSid: ${stack.twilio.accountSid}, authToken: ${stack.twilio.authToken}, apiBaseUrl: "${stack.twilio.baseUrl}" }`,
    ].join('\n'),
  };
}
