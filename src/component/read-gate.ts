/**
 * Backpressure on the component stream: stops reading from the XMPP server
 * while too many received stanzas are still being handled (stored in Redis,
 * checked against limits), and reads again once most are done.
 *
 * @xmpp/middleware runs a handler per stanza without waiting for the one
 * before, so a server that writes faster than Redis stores (a burst, a
 * backlog flushed after a reconnect) would otherwise grow the process by one
 * parsed stanza and its pending promises per message, without bound. Paused,
 * the unread bytes wait in the kernel's socket buffer and then in the
 * server, which already queues for slow components; TCP carries the
 * pressure back. Handlers here never wait for a read from the same stream
 * (inbound confirmations run on the delivery workers' side), so a pause
 * always ends as the handlers finish.
 */

/** What the gate pauses: net.Socket and the Direct TLS wrapper both have these. */
export interface PausableStream {
  pause(): unknown;
  resume(): unknown;
}

export interface ReadGateLimits {
  /** Stanzas in flight at which reading pauses. */
  high: number;
  /** Stanzas in flight at or below which reading resumes. */
  low: number;
}

export const READ_GATE_LIMITS: ReadGateLimits = { high: 128, low: 64 };

export class ReadGate {
  private inFlight = 0;
  private pausedStream: PausableStream | undefined;

  /** `stream()` is the connection's current socket (a new one after each reconnect), or null while there is none. */
  constructor(
    private readonly stream: () => PausableStream | null,
    private readonly limits: ReadGateLimits = READ_GATE_LIMITS,
  ) {}

  /** Runs one stanza's handler, counting it in flight while it runs. */
  async run<T>(handler: () => Promise<T>): Promise<T> {
    this.inFlight += 1;
    if (this.inFlight >= this.limits.high && this.pausedStream === undefined) {
      const s = this.stream();
      if (s !== null) {
        s.pause();
        this.pausedStream = s;
      }
    }
    try {
      return await handler();
    } finally {
      this.inFlight -= 1;
      if (this.inFlight <= this.limits.low && this.pausedStream !== undefined) {
        // Resume the socket that was paused: after a reconnect it is closed and this is harmless.
        this.pausedStream.resume();
        this.pausedStream = undefined;
      }
    }
  }

  /** Stanzas being handled now. */
  pending(): number {
    return this.inFlight;
  }

  /** Whether reading is paused now. */
  isPaused(): boolean {
    return this.pausedStream !== undefined;
  }
}
