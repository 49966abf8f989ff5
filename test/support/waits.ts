/**
 * The one set of waiting helpers for every test tier: a plain sleep, and one
 * poll loop behind two ways to end it (a value or a timeout error, or a
 * boolean that never throws).
 */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls `probe` every `stepMs` until it returns something other than
 * undefined or `timeoutMs` has passed; resolves with that value, or with
 * undefined at the deadline.
 */
async function poll<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, stepMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) return undefined;
    await sleep(stepMs);
  }
}

/**
 * Polls `fn` until it returns a value other than undefined, and resolves with
 * it; rejects after `timeoutMs` naming `what` was awaited.
 */
export async function eventually<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
  what = 'condition',
  stepMs = 50,
): Promise<T> {
  const value = await poll(fn, timeoutMs, stepMs);
  if (value === undefined) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  return value;
}

/** Polls `cond` until true or the deadline; resolves whether it became true (never throws on timeout). */
export async function waitUntil(cond: () => Promise<boolean> | boolean, timeoutMs: number, stepMs = 100): Promise<boolean> {
  return (await poll(async () => ((await cond()) ? true : undefined), timeoutMs, stepMs)) === true;
}
