/**
 * What every chaos case reports and asserts (DESIGN.md): every message the
 * gateway accepted is delivered or answered with an error stanza, never both,
 * no refused message is delivered after all, duplicates
 * stay within DUPLICATE_RATIO, and delivery resumes within RECOVERY_BOUND_MS
 * after the fault ends.
 */
import { expect } from 'vitest';

/** Duplicates allowed: 0.1% of the messages sent (rounded down). */
export const DUPLICATE_RATIO = 0.001;
/** The first delivery after a fault ends must come within this. */
export const RECOVERY_BOUND_MS = 30_000;

export interface ChaosSummary {
  name: string;
  sent: number;
  accepted: number;
  refused: number;
  delivered: number;
  errored: number;
  duplicated: number;
  lost: string[];
  refusedButDelivered: string[];
  erroredAndDelivered: string[];
  recoveryMs: number;
  /** From the fault's end to the last message's first delivery. */
  drainedMs: number;
}


const seconds = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)}s` : 'never');

/** Prints `chaos <case>: sent N, delivered D, errored E, duplicated U, recovery Xs` and a detail line. */
export function report(s: ChaosSummary, extra: Record<string, string | number> = {}): void {
  console.log(
    `chaos ${s.name}: sent ${s.sent}, delivered ${s.delivered}, errored ${s.errored}, duplicated ${s.duplicated}, recovery ${seconds(s.recoveryMs)}`,
  );
  const details = {
    accepted: s.accepted,
    refused: s.refused,
    lost: s.lost.length,
    'refused-but-delivered': s.refusedButDelivered.length,
    'errored-and-delivered': s.erroredAndDelivered.length,
    drained: seconds(s.drainedMs),
    ...extra,
  };
  console.log(`chaos ${s.name} detail: ${Object.entries(details).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}

/** The assertions every case makes. */
export function assertChaos(s: ChaosSummary): void {
  expect(s.lost, 'accepted messages neither delivered nor answered with an error').toEqual([]);
  // The sender was told it failed, yet it was sent: they would send it again.
  expect(s.refusedButDelivered, 'messages refused at once but delivered after all').toEqual([]);
  expect(s.erroredAndDelivered, 'messages answered with an error and delivered too').toEqual([]);
  expect(s.duplicated, `duplicates (at most ${DUPLICATE_RATIO * 100}% of ${s.sent})`).toBeLessThanOrEqual(
    Math.floor(s.sent * DUPLICATE_RATIO),
  );
  expect(s.recoveryMs, 'first delivery after the fault ended (ms)').toBeLessThanOrEqual(RECOVERY_BOUND_MS);
}
