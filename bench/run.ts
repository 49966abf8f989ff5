/**
 * `npm run bench`: outbound, inbound and backlog measurements of the built
 * gateway against a private Prosody, the Twilio double and Redis, each next
 * to a baseline. Not a test: it prints figures and writes
 * bench/results/<date>-<host>.json and bench/results/latest.json.
 *
 * Every load is bounded in count and time; everything started is stopped on
 * exit, on error and on Ctrl-C (bench/lib/cleanup.ts).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ensureRedis, uniquePrefix } from '../test/support/redis.js';
import { runBacklog } from './backlog.js';
import { runInbound } from './inbound.js';
import { cleanupAll, installSignalHandlers, onCleanup } from './lib/cleanup.js';
import { GATEWAY_MAIN, startBenchGateway, type BenchGateway } from './lib/gateway.js';
import { CpuMeter, loadAverage } from './lib/procstat.js';
import { formatProfile, profilesIn, summarizeProfile, type ProfileSummary } from './lib/profile.js';
import { BENCH_LIMITS, smsComponent, startStack, supportedLimitKeys } from './lib/stack.js';
import { parseOptions } from './options.js';
import { runOutbound } from './outbound.js';
import { runScale } from './scale.js';
import { gitCommit, machine, readmeSection, targets, updateReadme, writeResults, type BenchResult } from './report.js';

const RESULTS_DIR = join(process.cwd(), 'bench', 'results');

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/** Waits (at most 15 minutes) until the 1-minute load average is below `max`, so the run measures the gateway rather than its neighbours. */
async function waitForQuiet(max: number): Promise<void> {
  const deadline = Date.now() + 15 * 60_000;
  let said = 0;
  for (;;) {
    const [one] = loadAverage();
    if (one < max) return;
    if (Date.now() > deadline) {
      console.log(`  load average still ${one} after 15 minutes; running anyway`);
      return;
    }
    if (Date.now() - said > 30_000) {
      said = Date.now();
      console.log(`  waiting for the 1-minute load average (${one}) to drop below ${max}...`);
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  installSignalHandlers();
  if (opts.waitLoad !== undefined) await waitForQuiet(opts.waitLoad);
  const started = Date.now();
  const date = new Date().toISOString();
  const loadStart = loadAverage();
  const atPhaseStart: Record<string, [number, number, number]> = {};
  console.log(`xmpp-gateway bench ${date}, load average ${loadStart.join(' ')}`);
  if (loadStart[0] > 1) console.log('  note: the machine is busy (1-min load > 1); figures will be lower and noisier than on an idle machine');

  const sharedUrl = await ensureRedis();
  const shared = new Redis(sharedUrl, { maxRetriesPerRequest: 1 });
  onCleanup('shared redis client', async () => shared.disconnect());
  const serverInfo = await shared.info('server');
  const redisVersion = /^redis_version:(\S+)/m.exec(serverInfo)?.[1] ?? 'unknown';
  const redisPid = Number(/^process_id:(\d+)/m.exec(serverInfo)?.[1] ?? Number.NaN);
  const stamp = date.replace(/[:.]/g, '-');
  const profileDir = opts.profile ? join(RESULTS_DIR, `prof-${stamp}`) : undefined;
  await mkdir(profileDir ?? RESULTS_DIR, { recursive: true });

  const extraLimits = await supportedLimitKeys(GATEWAY_MAIN);
  const stack = await startStack(opts.clients);
  console.log(`limits: ${JSON.stringify({ ...BENCH_LIMITS, ...extraLimits })}`);
  console.log(`stack: Prosody c2s ${stack.prosody.c2sPort}, ${stack.clients.length} clients logged in, Twilio double ${stack.twilio.baseUrl}, Redis ${sharedUrl}`);
  let gateway: BenchGateway | undefined;
  const pids: { hello?: number } = {};
  const meter = new CpuMeter(() => ({
    gateway: gateway?.pid,
    prosody: stack.prosodyPid,
    redis: Number.isNaN(redisPid) ? undefined : redisPid,
    bench: process.pid,
    hello: pids.hello,
  }));

  const result: Omit<BenchResult, 'targets' | 'seconds' | 'loadAverage'> = {
    date,
    machine: machine(redisVersion),
    gateway: { main: GATEWAY_MAIN, commit: gitCommit() },
    options: opts,
  };
  if (opts.phases.includes('outbound') || opts.phases.includes('inbound')) {
    const prefix = uniquePrefix('bench');
    onCleanup('bench keys in the shared Redis', () => deleteKeys(shared, prefix));
    gateway = await startBenchGateway({
      componentPort: stack.prosody.componentPort,
      redisUrl: sharedUrl,
      redisPrefix: prefix,
      components: [smsComponent(stack, opts.concurrency, extraLimits)],
      nodeFlags: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', 'gateway.cpuprofile'] : [],
    });
    const gw = gateway;
    const stopGateway = onCleanup('gateway', () => gw.stop());
    await gw.waitReady();
    if (opts.phases.includes('outbound')) {
      atPhaseStart.outbound = loadAverage();
      result.outbound = await runOutbound(stack, gw, opts, meter);
    }
    if (opts.phases.includes('inbound')) {
      atPhaseStart.inbound = loadAverage();
      result.inbound = await runInbound(stack, gw, opts, meter, pids);
    }
    const problems = gw.problems();
    if (Object.keys(problems).length > 0) console.log(`  gateway warnings/errors: ${JSON.stringify(problems)}`);
    if (Object.keys(stack.clientErrors).length > 0) console.log(`  error stanzas at the clients: ${JSON.stringify(stack.clientErrors)}`);
    await stopGateway();
    gateway = undefined;
  }
  if (opts.phases.includes('scale')) {
    atPhaseStart.scale = loadAverage();
    result.scale = await runScale(stack, opts, {
      componentPort: stack.prosody.componentPort,
      redisUrl: sharedUrl,
      redisPid: Number.isNaN(redisPid) ? undefined : redisPid,
      extraLimits,
      forget: (prefix) => onCleanup(`scale keys ${prefix}`, () => deleteKeys(shared, prefix)),
    });
  }
  if (opts.phases.includes('backlog')) {
    atPhaseStart.backlog = loadAverage();
    result.backlog = await runBacklog(stack, opts, profileDir, extraLimits);
  }

  let profiles: Record<string, ProfileSummary> | undefined;
  if (profileDir) {
    profiles = {};
    for (const file of await profilesIn(profileDir)) {
      const summary = await summarizeProfile(file);
      const name = file.split('/').pop()?.replace(/\.cpuprofile$/, '') ?? file;
      profiles[name] = summary;
      console.log(`\n== CPU profile: ${name} (${file})\n${formatProfile(summary)}`);
    }
  }

  const full: BenchResult = {
    ...result,
    loadAverage: { start: loadStart, end: loadAverage(), atPhaseStart },
    targets: targets(result),
    ...(profiles ? { profiles } : {}),
    seconds: Math.round((Date.now() - started) / 1000),
  };
  const file = await writeResults(RESULTS_DIR, full);
  console.log('\n== targets');
  for (const t of full.targets) console.log(`  ${t.met ? 'met    ' : 'NOT MET'}  ${t.name}: ${t.value} (target ${t.target})`);
  console.log(`\nresults: ${file} (and bench/results/latest.json); load average at the end ${full.loadAverage.end.join(' ')}`);
  if (opts.readme) {
    await updateReadme(join(process.cwd(), 'README.md'), readmeSection(full));
    console.log('README.md: bench section updated');
  }
}

main()
  .then(async () => {
    await cleanupAll();
    process.exit(0);
  })
  .catch(async (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await cleanupAll();
    process.exit(1);
  });
