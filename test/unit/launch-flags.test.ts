/** The gateway starts with the same node flags however it is launched: npm start, the Docker image, docker-compose.yml, dev.sh, tests and the bench. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gatewayNodeFlags, nodeFlagsOf } from '../support/node-flags.js';

describe('gateway launch flags', () => {
  const flags = gatewayNodeFlags();

  it('npm start bounds the V8 heap, which also lowers its growth factor (README "Memory")', () => {
    expect(flags).toContain('--max-old-space-size=1024');
  });

  it('the Docker image starts the gateway with the flags of npm start', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1];
    expect(cmd).toBeDefined();
    expect(nodeFlagsOf(JSON.parse(cmd ?? '[]') as string[])).toEqual(flags);
  });

  it('every gateway service in docker-compose.yml starts it with the flags of npm start', () => {
    const commands = [...readFileSync('docker-compose.yml', 'utf8').matchAll(/^\s+command: (\["node".*\])$/gm)].map((m) => JSON.parse(m[1] ?? '[]') as string[]);
    expect(commands.length).toBeGreaterThanOrEqual(2);
    for (const command of commands) expect(nodeFlagsOf(command)).toEqual(flags);
  });

  it('dev.sh starts the gateway with the flags of npm start', () => {
    const line = /^GATEWAY_CMD=\((.*)\)$/m.exec(readFileSync('scripts/dev.sh', 'utf8'))?.[1];
    expect(line).toBeDefined();
    expect(nodeFlagsOf((line ?? '').split(/\s+/))).toEqual(flags);
  });

  it('refuses a command that is not node [flags] dist/src/main.js', () => {
    expect(() => nodeFlagsOf(['npx', 'tsx', 'src/main.ts'])).toThrow(/not a "node \[flags\] dist\/src\/main.js" command/);
    expect(nodeFlagsOf(['node', 'dist/src/main.js', '--config', 'x'])).toEqual([]);
  });
});
