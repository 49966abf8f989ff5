/**
 * Which component process talks to the XMPP server. Prosody takes one
 * connection per component domain (mod_component: a second one gets
 * `conflict`), so with `xmpp.standby.mode: lease` the processes share a lease
 * in Redis (src/store/lease.ts): the holder connects, the others wait without
 * connecting, and one of them takes over within the lease's TTL when the
 * holder dies. With `none` (ejabberd `domain_balancing`: several connections
 * per domain) every process connects at once.
 *
 * A holder stops acting (closes its streams, which pauses its inbound
 * workers) when it has not renewed by 3/4 of the TTL, measured on its own
 * monotonic clock from before the renewal was sent; Redis keeps the lease the
 * full TTL from when it ran the script, later still. So a standby can take
 * the lease only after the old holder has stopped: two never act at once
 * unless a process stalls longer than the gap between the two (a stopped VM),
 * and then the XMPP server itself takes only one of their connections.
 */
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { neverSent, type RedisClient } from '../queue/redis.js';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../metrics.js';
import { LeaseStore } from '../store/lease.js';

/** What the standby starts and stops: the component connections of this process. */
export interface Actor {
  start(): void;
  stop(): Promise<void>;
}

export interface StandbyOptions {
  mode: 'lease' | 'none';
  ttlMs: number;
  /** The lease (mode `lease`). */
  store: LeaseStore;
  connections: Actor[];
  metrics: GatewayMetrics;
  logger: Logger;
  /** Names this process in the lease and the logs; default host:pid:random. */
  holder?: string;
}

/** Share of the TTL after the last renewal's start at which a holder that could not renew stops acting. */
const ACT_SHARE = 0.75;

export class ComponentStandby {
  readonly holder: string;
  private held: { fence: number; validUntil: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private halted = false;
  private active = false;
  /** The holder last logged as the one this process waits for, so the wait is logged once per holder. */
  private waitingFor: string | undefined;
  private lastError: string | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: StandbyOptions) {
    this.holder = opts.holder ?? `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`;
    this.log = opts.logger.child({ lease: opts.store.key, holder: this.holder });
    opts.metrics.componentActive.set(0);
  }

  /** Mode `none`: connects at once. Mode `lease`: connects once the lease is held. */
  start(): void {
    this.halted = false;
    if (this.opts.mode === 'none') this.activate();
    else void this.tick();
  }

  /** True while this process holds the lease (or needs none) and may write to the XMPP server. */
  isActive(): boolean {
    if (this.opts.mode === 'none') return this.active;
    return this.active && this.held !== undefined && performance.now() < this.held.validUntil;
  }

  /**
   * Shutdown: a standby stops polling; a holder keeps renewing (its streams
   * stay open while deliveries drain) until release(), after the caller
   * closed the connections.
   */
  halt(): void {
    this.halted = true;
    if (this.held === undefined) clearTimeout(this.timer);
  }

  /** Gives the lease up (after the connections closed) so a standby takes over at once, not after the TTL. */
  async release(): Promise<void> {
    this.halted = true;
    clearTimeout(this.timer);
    clearTimeout(this.deadline);
    const held = this.held;
    this.held = undefined;
    if (held === undefined) return;
    const released = await this.opts.store.release(this.holder, held.fence).catch(() => false);
    this.log.info({ fence: held.fence, released }, released ? 'component lease released' : 'component lease was no longer ours to release');
  }

  private async tick(): Promise<void> {
    const { store, ttlMs } = this.opts;
    const sentAt = performance.now();
    let next = Math.max(50, Math.floor(ttlMs / 4));
    try {
      if (this.held === undefined) {
        if (this.halted) return;
        const r = await this.bounded(store.acquire(this.holder, ttlMs));
        if (this.halted) {
          if (r.acquired) await store.release(this.holder, r.fence).catch(() => undefined);
          return;
        }
        if (r.acquired) {
          this.held = { fence: r.fence, validUntil: sentAt + ACT_SHARE * ttlMs };
          this.armDeadline();
          this.waitingFor = undefined;
          this.log.info({ fence: r.fence, ttlMs }, 'component lease acquired: connecting to the XMPP server');
          this.activate();
        } else {
          if (r.holder !== this.waitingFor) {
            this.log.info({ heldBy: r.holder, fence: r.fence, msLeft: r.msLeft }, 'standby: waiting for the component lease');
            this.waitingFor = r.holder;
          }
          // Look again right when the holder's lease would run out unrenewed, at least once a second.
          next = Math.min(1000, Math.max(25, r.msLeft + 25));
        }
      } else {
        const held = this.held;
        const extended = await this.bounded(store.extend(this.holder, held.fence, ttlMs));
        if (this.held !== held) {
          // Lost at the deadline (or released) while the renewal was out: look for the lease again soon.
          next = 25;
        } else if (extended) {
          held.validUntil = sentAt + ACT_SHARE * ttlMs;
          this.armDeadline();
        } else {
          this.lose('the lease ran out or another process took it');
          next = 25;
        }
      }
      this.lastError = undefined;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // Not connected (yet): every start met this before the first connection was ready, and the
      // connection reports a real outage itself ('Redis connection error'), so looking for the lease says it at debug.
      const unconnected = this.held === undefined && neverSent(err);
      if (message !== this.lastError) {
        if (unconnected) this.log.debug({ err: message }, 'component lease: Redis not connected yet; trying again');
        else this.log.warn({ err: message }, 'component lease: Redis did not answer; trying again');
      }
      this.lastError = message;
      // Holding: try again soon, there are only 3/4 of the TTL to renew in.
      next = Math.max(50, Math.floor(ttlMs / 10));
    }
    if (!this.halted || this.held !== undefined) this.timer = setTimeout(() => void this.tick(), next);
  }

  /**
   * A call to Redis that gives up after a quarter of the TTL: one that hangs must not keep a standby from
   * looking again, nor a holder from trying to renew again before its deadline.
   */
  private async bounded<T>(op: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const limitMs = Math.max(50, Math.floor(this.opts.ttlMs / 4));
    try {
      return await Promise.race([
        op,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${limitMs} ms`)), limitMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      op.catch(() => undefined);
    }
  }

  private armDeadline(): void {
    clearTimeout(this.deadline);
    const held = this.held;
    if (held === undefined) return;
    this.deadline = setTimeout(() => {
      if (this.held === held) this.lose(`not renewed within ${Math.round(ACT_SHARE * this.opts.ttlMs)} ms (Redis unreachable?)`);
    }, Math.max(0, held.validUntil - performance.now()));
  }

  private lose(reason: string): void {
    const fence = this.held?.fence;
    this.held = undefined;
    clearTimeout(this.deadline);
    this.log.warn({ fence, reason }, 'component lease lost: closing the XMPP connections');
    this.deactivate();
  }

  private activate(): void {
    this.active = true;
    this.opts.metrics.componentActive.set(1);
    for (const c of this.opts.connections) c.start();
  }

  private deactivate(): void {
    this.active = false;
    this.opts.metrics.componentActive.set(0);
    for (const c of this.opts.connections) void c.stop().catch((err: unknown) => this.log.warn({ err }, 'closing the XMPP connection failed'));
  }
}

/** The standby of a process with the component role, for its configured mode and the connections it assembled. */
export function componentStandby(
  config: { xmpp: { standby: { mode: 'lease' | 'none'; ttlMs: number } }; redis: { prefix: string } },
  redis: RedisClient,
  parts: ReadonlyArray<{ connection?: Actor | undefined }>,
  deps: { metrics: GatewayMetrics; logger: Logger },
): ComponentStandby {
  return new ComponentStandby({
    ...config.xmpp.standby,
    store: new LeaseStore(redis, config.redis.prefix, 'component'),
    connections: parts.flatMap((p) => (p.connection === undefined ? [] : [p.connection])),
    ...deps,
  });
}
