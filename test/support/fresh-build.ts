/**
 * Vitest globalSetup of the tiers that run the built gateway (e2e, hostile,
 * chaos): refuses to start when dist/ is missing a source file's output or is
 * older than it, so a green run always reflects the code in the tree.
 * `./scripts/test.sh` and the npm test scripts build first; a bare
 * `npx vitest run test/e2e` after an edit fails here, loudly, instead of
 * testing yesterday's build.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The folders tsconfig.json compiles into dist/. */
const SOURCE_ROOTS = ['src', 'adapters'];

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function mtimeOf(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Source files whose compiled output is missing or older than they are, relative to `root`. */
export function staleOutputs(root: string): string[] {
  return SOURCE_ROOTS.flatMap((dir) => sourcesUnder(join(root, dir))).flatMap((source) => {
    const output = join(root, 'dist', relative(root, source)).replace(/\.ts$/, '.js');
    const built = mtimeOf(output);
    return built === undefined || built < (mtimeOf(source) ?? 0) ? [relative(root, source)] : [];
  });
}

export default function setup(): void {
  const stale = staleOutputs(process.cwd());
  if (stale.length === 0) return;
  const shown = stale.slice(0, 5).join(', ') + (stale.length > 5 ? ` and ${stale.length - 5} more` : '');
  throw new Error(
    `dist/ is older than the sources (${shown}): these tests run the built gateway. ` +
      'Run `npm run build` first, or use `./scripts/test.sh` / `npm test`, which build.',
  );
}
