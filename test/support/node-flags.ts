/**
 * The node flags the gateway is started with, read from `npm start`
 * (package.json `scripts.start`: `node <flags> dist/src/main.js`), so tests
 * and the bench run the gateway as it is deployed. The Dockerfile,
 * docker-compose.yml and scripts/dev.sh repeat them; test/unit/launch-flags.test.ts keeps the three
 * the same.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `node <flags> <main> ...` -> the flags, or throws when the command is not of that shape. */
export function nodeFlagsOf(command: string[], main = 'dist/src/main.js'): string[] {
  const at = command.indexOf(main);
  if (command[0] !== 'node' || at < 1) throw new Error(`not a "node [flags] ${main}" command: ${command.join(' ')}`);
  return command.slice(1, at);
}

/** The flags of package.json's start script. */
export function gatewayNodeFlags(root = process.cwd()): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  return nodeFlagsOf(pkg.scripts.start.trim().split(/\s+/));
}
