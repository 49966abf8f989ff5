/**
 * Everything the benchmark starts registers how to stop it here; the steps
 * run last-in first-out on normal exit, on an error, and on Ctrl-C / SIGTERM.
 * (Children are also guarded by test/support/child-guard.ts, which kills them
 * if this process dies without running these steps.)
 */
type Step = { what: string; run: () => Promise<unknown> };

const steps: Step[] = [];
let running: Promise<void> | undefined;

/** Registers a stop step; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(what: string, run: () => Promise<unknown>): () => Promise<void> {
  const step: Step = { what, run };
  steps.push(step);
  return async () => {
    const i = steps.indexOf(step);
    if (i === -1) return;
    steps.splice(i, 1);
    await runStep(step);
  };
}

async function runStep(step: Step): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      step.run(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out after 20 s')), 20_000);
      }),
    ]);
  } catch (err) {
    process.stderr.write(`cleanup: ${step.what}: ${err instanceof Error ? err.message : String(err)}\n`);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every registered step, newest first. Safe to call more than once. */
export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    while (steps.length > 0) {
      const step = steps.pop();
      if (step) await runStep(step);
    }
  })();
  return running;
}

/** Ctrl-C / SIGTERM: stop everything, then exit 130 / 143. A second signal exits at once. */
export function installSignalHandlers(): void {
  let signalled = false;
  const handler = (signal: NodeJS.Signals, code: number) => () => {
    if (signalled) process.exit(code);
    signalled = true;
    process.stderr.write(`\n${signal}: stopping everything the benchmark started...\n`);
    void cleanupAll().finally(() => process.exit(code));
  };
  process.on('SIGINT', handler('SIGINT', 130));
  process.on('SIGTERM', handler('SIGTERM', 143));
}
