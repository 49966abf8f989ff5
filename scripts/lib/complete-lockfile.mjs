#!/usr/bin/env node
// Adds lockfile entries for platform-specific optional dependencies that npm
// left out of package-lock.json because the registry reachable here does not
// serve them (npm/cli#9846): `npm ci` otherwise rejects the lockfile with
// "Missing: <pkg>@ from lock file". The entries carry os/cpu/libc, so npm
// skips them on every platform they do not match, exactly as with a lockfile
// written where the registry serves them. Run after any `npm install` that
// rewrites the lockfile: `node scripts/lib/complete-lockfile.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const LOCK = 'package-lock.json';
const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
const packages = lock.packages;

/** Platform packages end in -<os>-<cpu>[-<abi>], e.g. rollup-linux-arm64-musl, msgpackr-extract-darwin-x64. */
const PLATFORM = /-(android|darwin|freebsd|linux|openbsd|openharmony|win32|sunos|aix|netbsd)-([a-z0-9]+)(?:-([a-z0-9]+))?$/;

/** os, cpu and libc (Linux only: gnu* is glibc, musl* is musl) from a platform package's name. */
export function platformOf(name) {
  const match = PLATFORM.exec(name);
  if (!match) return undefined;
  const [, os, cpu, abi] = match;
  const libc = os !== 'linux' || abi === undefined ? undefined : abi.startsWith('musl') ? 'musl' : abi.startsWith('gnu') ? 'glibc' : undefined;
  return { os, cpu, libc };
}

let added = 0;
for (const [location, entry] of Object.entries(packages)) {
  const optional = entry.optionalDependencies ?? {};
  for (const [name, version] of Object.entries(optional)) {
    const base = location === '' ? '' : `${location}/`;
    const nested = `${base}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (packages[nested] || packages[hoisted]) continue;
    const platform = platformOf(name);
    if (platform === undefined) continue; // not a platform package: leave npm's own view alone
    const { os, cpu, libc } = platform;
    packages[hoisted] = {
      version: String(version).replace(/^[\^~=]/, ''),
      cpu: [cpu],
      ...(entry.dev ? { dev: true } : {}),
      ...(libc ? { libc: [libc] } : {}),
      optional: true,
      os: [os],
    };
    added += 1;
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`complete-lockfile: added ${added} platform entries\n`);
