/**
 * CLI entry: `node dist/src/main.js --config FILE [--check] [--roles component,worker]`.
 * A bad config prints every problem with its key path and exits 2 before
 * connecting anywhere. SIGTERM/SIGINT drain and exit 0.
 */
import { parseArgs } from 'node:util';
import { buildGateway, type Roles } from './app.js';
import { ConfigError, loadConfig } from './config/load.js';
import { createLogger } from './logger.js';
import { SOFTWARE } from './version.js';

const USAGE = `usage: xmpp-gateway [--config FILE] [--check] [--roles component,worker]

  --config FILE   YAML config (default config/default.yaml); \${VAR} is read from the environment
  --check         validate the config and exit
  --roles LIST    what this process runs: component (XMPP connections), worker (deliveries); default both
`;

function parseRoles(value: string | undefined): Roles {
  if (value === undefined) return { component: true, worker: true };
  const names = value.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => n !== 'component' && n !== 'worker');
  if (unknown.length > 0 || names.length === 0) throw new Error(`--roles: unknown role ${unknown.join(', ')} (use component, worker)`);
  return { component: names.includes('component'), worker: names.includes('worker') };
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string', default: 'config/default.yaml' },
        check: { type: 'boolean', default: false },
        roles: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`${SOFTWARE.name} ${SOFTWARE.version}\n`);
    return 0;
  }
  let roles: Roles;
  let config;
  try {
    roles = parseRoles(args.roles);
    config = await loadConfig(args.config ?? 'config/default.yaml');
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    return 2;
  }
  if (args.check) {
    process.stdout.write(`config ${args.config} is valid (${config.components.length} components)\n`);
    return 0;
  }

  const logger = createLogger(config.log.level);
  const gateway = buildGateway({ config, logger, roles });
  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'signal received');
    stopping = gateway.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));

  try {
    await gateway.start();
  } catch (err) {
    logger.fatal({ err }, 'gateway failed to start');
    await gateway.stop().catch(() => undefined);
    return 1;
  }
  return -1; // keep running until a signal
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`fatal: ${String(err)}\n`);
    process.exit(1);
  },
);
