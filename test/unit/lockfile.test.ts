/**
 * `npm ci` (what CI and scripts/test.sh run) rejects a lockfile that lacks an
 * entry for any platform-specific optional dependency. The registry reachable
 * here does not serve other platforms' packages, so `npm install` drops them
 * (npm/cli#9846); `node scripts/lib/complete-lockfile.mjs` puts them back.
 * This test catches a lockfile committed without running it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface LockEntry {
  version?: string;
  optionalDependencies?: Record<string, string>;
}

describe('package-lock.json', () => {
  it('has an entry for every optional dependency, so npm ci accepts it', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, LockEntry> };
    const missing: string[] = [];
    for (const [location, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        const nested = `${location === '' ? '' : `${location}/`}node_modules/${name}`;
        if (!lock.packages[nested] && !lock.packages[`node_modules/${name}`]) missing.push(`${name} (wanted by ${location || 'the root'})`);
      }
    }
    expect(missing, 'run: node scripts/lib/complete-lockfile.mjs').toEqual([]);
  });
});
