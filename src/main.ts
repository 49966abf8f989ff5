/**
 * CLI entry: `node dist/src/main.js [start|check-config|server-config] --config FILE ...`
 * (`--config FILE [--check] [--roles component,worker]` as in 0.1; roles: src/roles.ts).
 * A bad config prints every problem with its key path and exits 2 before
 * connecting anywhere. SIGTERM/SIGINT drain and exit 0.
 */
import { parseArgs } from 'node:util';
import { buildGateway } from './app.js';
import { describeConfig } from './cli/describe.js';
import { parseRoles, type Roles } from './roles.js';
import { SERVERS, serverSnippet, type XmppServer } from './cli/server-config.js';
import { ConfigError, loadConfig } from './config/load.js';
import { createLogger } from './logger.js';
import { SOFTWARE } from './version.js';

const USAGE = `usage: xmpp-gateway [start] [--config FILE] [--roles component|worker|http|all]
       xmpp-gateway check-config --config FILE
       xmpp-gateway server-config --server prosody|ejabberd|openfire --config FILE
       xmpp-gateway --config FILE --check

commands (xmpp-gateway COMMAND --help for one):
  start           run the gateway (the default)
  check-config    validate the config and print what would connect where, secrets masked
  server-config   print what to add to the XMPP server for the configured components

  --version       print the version
`;

const HELP: Record<Command, string> = {
  start: `usage: xmpp-gateway [start] [--config FILE] [--roles component|worker|http|all] [--check]

Runs the gateway until SIGTERM or SIGINT (a second signal exits at once).

  --config FILE   YAML config (default config/default.yaml); \${VAR} is read from the environment
  --roles LIST    what this process runs, comma-separated (default all):
                    component  the XMPP connections: stanzas in, inbound messages out as stanzas
                    worker     deliveries to providers, SMTP relays and webhook endpoints
                    http       webhook receivers, the SMTP listener, /sandbox and /admin routes
                  every process answers /healthz, /readyz and /metrics; component,worker means all
  --check         validate the config and exit (as check-config, without the summary)
`,
  'check-config': `usage: xmpp-gateway check-config --config FILE

Validates the config and prints what the gateway would connect to: the XMPP
server, each component domain with its network and provider, Redis and HTTP,
with every secret masked. Exit 0 when valid; exit 2 naming every problem.

  --config FILE   YAML config (default config/default.yaml); \${VAR} is read from the environment
`,
  'server-config': `usage: xmpp-gateway server-config --server prosody|ejabberd|openfire --config FILE

Prints the exact snippet (Prosody, ejabberd) or admin-console steps (Openfire)
that make the XMPP server accept the configured component domains. The output
holds the component secrets: put it in the server's config, not in a ticket.

  --server NAME   prosody, ejabberd or openfire
  --config FILE   YAML config (default config/default.yaml); \${VAR} is read from the environment
`,
};

const COMMANDS = ['start', 'check-config', 'server-config'] as const;
type Command = (typeof COMMANDS)[number];

async function main(): Promise<number> {
  let args;
  let command: Command = 'start';
  try {
    const parsed = parseArgs({
      options: {
        config: { type: 'string', default: 'config/default.yaml' },
        check: { type: 'boolean', default: false },
        roles: { type: 'string' },
        server: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: true,
    });
    args = parsed.values;
    const [first, ...rest] = parsed.positionals;
    if (first !== undefined) {
      if (!(COMMANDS as readonly string[]).includes(first)) throw new Error(`unknown command "${first}"`);
      command = first as Command;
    }
    if (rest.length > 0) throw new Error(`unexpected argument "${rest[0]}"`);
    if (command !== 'server-config' && args.server !== undefined) throw new Error('--server belongs to server-config');
    if (command !== 'start' && (args.roles !== undefined || args.check)) throw new Error(`${args.check ? '--check' : '--roles'} belongs to start`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(command === 'start' && process.argv.slice(2).every((a) => a.startsWith('-')) ? `${USAGE}\n${HELP.start}` : HELP[command]);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`${SOFTWARE.name} ${SOFTWARE.version}\n`);
    return 0;
  }
  let roles: Roles;
  let config;
  const source = args.config ?? 'config/default.yaml';
  try {
    roles = parseRoles(args.roles);
    if (command === 'server-config' && !(SERVERS as readonly string[]).includes(args.server ?? '')) {
      throw new Error(`server-config needs --server ${SERVERS.join('|')}${args.server === undefined ? '' : ` (not "${args.server}")`}`);
    }
    config = await loadConfig(source);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    return 2;
  }
  if (command === 'check-config') {
    process.stdout.write(describeConfig(config, source));
    return 0;
  }
  if (command === 'server-config') {
    process.stdout.write(serverSnippet(args.server as XmppServer, config));
    return 0;
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
