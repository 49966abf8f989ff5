/** The gateway's own name and version, from package.json (XEP-0092, logs). */
import { readFileSync } from 'node:fs';

function findPackageJson(): { name: string; version: string } {
  // src/ and dist/src/ are one and two levels below the package root.
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'xmpp-gateway') return { name: pkg.name, version: pkg.version ?? '0.0.0' };
    } catch {
      // try the next location
    }
  }
  return { name: 'xmpp-gateway', version: '0.0.0' };
}

export const SOFTWARE = findPackageJson();
