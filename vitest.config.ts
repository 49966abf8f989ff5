import { defineConfig } from 'vitest/config';

// Test tiers (docs: https://vitest.dev/guide/projects):
// - unit: pure code, fakes only;
// - contract: the one suite every adapter passes;
// - integration: real Redis (a unique key prefix per test);
// - e2e: real Prosody + Redis + the built gateway; each file starts its own
//   Prosody on its own free ports, so files may run in parallel.
// - chaos: faults under load (`npm run test:chaos`).
// Run one tier with `npx vitest run test/e2e` or `--project e2e`. The tiers that run
// the built gateway refuse to start when dist/ is older than the sources
// (test/support/fresh-build.ts); `npm test` and ./scripts/test.sh build first.
const BUILT = ['./test/support/fresh-build.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'contract', include: ['test/contract/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], globalSetup: BUILT } },
      // Hostile input: malformed stanzas, floods, forged/oversized/slow HTTP against real Prosody and the built gateway.
      // One file at a time: each measures a well-behaved user's latency while it abuses its own stack.
      { extends: true, test: { name: 'hostile', include: ['test/hostile/**/*.test.ts'], fileParallelism: false, globalSetup: BUILT } },
      // Chaos: faults (kill -9, restarts, provider outages) under real traffic; one
      // file at a time in a single fork, so the cases do not skew each other's timings.
      {
        extends: true,
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          testTimeout: 120_000,
          globalSetup: BUILT,
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
