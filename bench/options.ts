/** Command-line flags of `npm run bench -- [flags]`. */
import { parseArgs } from 'node:util';

export type Phase = 'outbound' | 'inbound' | 'backlog' | 'scale';

export interface BenchOptions {
  clients: number;
  /** Closed-loop outbound messages per client. */
  messages: number;
  /** Outbound messages each client keeps in flight. */
  window: number;
  /** Fixed-rate run: offered messages per second, and for how long. */
  rate: number;
  rateSeconds: number;
  /** Inbound webhooks posted in total, and how many at once. */
  inbound: number;
  httpConcurrency: number;
  /** Outbound messages queued while no worker runs, then drained. */
  backlog: number;
  /** The SMS component's `concurrency` (deliveries at once per process); gateway default when unset. */
  concurrency: number | undefined;
  phases: Phase[];
  /** Run the gateways under node --cpu-prof and print where the time went. */
  profile: boolean;
  /** Replace the README section between the bench markers with this run's table. */
  readme: boolean;
  /** Upper bound on any one load, seconds. */
  phaseTimeoutSeconds: number;
  /** Before starting, wait (up to 15 min) for the 1-minute load average to fall below this. */
  waitLoad: number | undefined;
}

export const USAGE = `usage: npm run bench -- [flags]

  --clients N            XMPP clients, one gateway number each (20)
  --messages N           outbound messages per client, closed loop (500)
  --window N             outbound messages each client keeps in flight (10)
  --rate N               fixed-rate runs: outbound messages/s and inbound webhooks/s offered (500)
  --rate-seconds N       fixed-rate runs: duration (10)
  --inbound N            inbound webhooks in total (10000)
  --http-concurrency N   inbound webhooks in flight (20)
  --backlog N            messages queued with no worker running, then drained (100000)
  --concurrency N        the SMS component's worker concurrency (gateway default: 50)
  --only LIST            phases to run: outbound,inbound,backlog,scale (all)
  --profile              run the gateways under node --cpu-prof and print the hot spots
  --readme               write this run's table into README.md between the bench markers
  --phase-timeout S      upper bound on any single load, seconds (180)
  --wait-load L          first wait (up to 15 min) for the 1-minute load average to fall below L
`;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      clients: { type: 'string', default: '20' },
      messages: { type: 'string', default: '500' },
      window: { type: 'string', default: '10' },
      rate: { type: 'string', default: '500' },
      'rate-seconds': { type: 'string', default: '10' },
      inbound: { type: 'string', default: '10000' },
      'http-concurrency': { type: 'string', default: '20' },
      backlog: { type: 'string', default: '100000' },
      concurrency: { type: 'string' },
      only: { type: 'string', default: 'outbound,inbound,backlog,scale' },
      profile: { type: 'boolean', default: false },
      readme: { type: 'boolean', default: false },
      'phase-timeout': { type: 'string', default: '180' },
      'wait-load': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const int = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}, not ${v}`);
    return n;
  };
  const positive = (name: string, v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, not ${v}`);
    return n;
  };
  const phases = (values.only ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const p of phases) {
    if (p !== 'outbound' && p !== 'inbound' && p !== 'backlog' && p !== 'scale') throw new Error(`--only: unknown phase ${p} (outbound, inbound, backlog, scale)`);
  }
  return {
    clients: int('clients', values.clients, 1, 500),
    messages: int('messages', values.messages, 1, 100_000),
    window: int('window', values.window, 1, 1000),
    rate: int('rate', values.rate, 1, 50_000),
    rateSeconds: int('rate-seconds', values['rate-seconds'], 1, 600),
    inbound: int('inbound', values.inbound, 1, 1_000_000),
    httpConcurrency: int('http-concurrency', values['http-concurrency'], 1, 1000),
    backlog: int('backlog', values.backlog, 1, 1_000_000),
    concurrency: values.concurrency === undefined ? undefined : int('concurrency', values.concurrency, 1, 1000),
    phases: phases as Phase[],
    profile: values.profile ?? false,
    readme: values.readme ?? false,
    phaseTimeoutSeconds: int('phase-timeout', values['phase-timeout'], 5, 3600),
    waitLoad: values['wait-load'] === undefined ? undefined : positive('wait-load', values['wait-load']),
  };
}
