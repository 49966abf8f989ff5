import { client, xml, type Client, type Element } from '@xmpp/client';

export { xml };
export type { Element };

/** A logged-in XMPP user for tests, over plain TCP c2s. */
export interface TestClient {
  /** Full JID the server bound, e.g. `alice@localhost/test-1a2b`. */
  jid: string;
  /** e.g. `alice@localhost` */
  bareJid: string;
  /** Sends a stanza as is. */
  send(el: Element): Promise<void>;
  /**
   * Sends an iq get/set and resolves with the result iq (iqCaller.request);
   * rejects with the StanzaError of an error reply or on timeout (default 10 s).
   */
  iq(el: Element, timeoutMs?: number): Promise<Element>;
  /**
   * Resolves with the first incoming stanza matching `pred` that no earlier
   * waitFor() took, looking first at stanzas that already arrived, then at new
   * ones. Each stanza is handed to at most one waitFor(). Rejects after
   * `timeoutMs` (default 10 s) listing what did arrive.
   */
  waitFor(pred: (el: Element) => boolean, timeoutMs?: number): Promise<Element>;
  /** Every incoming stanza since login, in arrival order (waitFor does not remove them). */
  received: Element[];
  /** Closes the stream; safe to call twice and after the server went away. */
  stop(): Promise<void>;
}

/** Where and as whom connectClient() logs in. */
export interface ConnectOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** The server's c2s port. */
  port: number;
  /** The XMPP domain (VirtualHost). */
  domain: string;
  username: string;
  password: string;
  /** Default `test-<random>`. */
  resource?: string;
  /**
   * SASL mechanism to use when the server offers it. Default `PLAIN` (the
   * test Prosody allows it without TLS, and SCRAM's key derivation costs
   * ~0.7 s per login here); otherwise the client's own choice.
   */
  mechanism?: string;
  /** Fail if not online within this many ms. Default 10 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

interface Waiter {
  pred: (el: Element) => boolean;
  resolve: (el: Element) => void;
}

/**
 * Logs in over plain TCP (no TLS: the test Prosody allows it), sends initial
 * presence and records every incoming stanza. Reconnection is off: a test
 * that restarts the server calls connectClient() again.
 */
export async function connectClient(opts: ConnectOptions): Promise<TestClient> {
  const resource = opts.resource ?? `test-${Math.random().toString(36).slice(2, 8)}`;
  const xmpp = client({
    service: `xmpp://${opts.host ?? '127.0.0.1'}:${opts.port}`,
    domain: opts.domain,
    username: opts.username,
    credentials: async (authenticate, mechanisms) => {
      const preferred = opts.mechanism ?? 'PLAIN';
      const mechanism = mechanisms.includes(preferred) ? preferred : mechanisms.find((m) => m !== 'PLAIN') ?? preferred;
      await authenticate({ username: opts.username, password: opts.password }, mechanism);
    },
    resource,
  });
  xmpp.reconnect.stop();

  const received: Element[] = [];
  const consumed = new WeakSet<Element>();
  let waiters: Waiter[] = [];
  const errors: Error[] = [];

  xmpp.on('error', (err: Error) => {
    errors.push(err);
  });
  xmpp.on('stanza', (el: Element) => {
    received.push(el);
    const waiter = waiters.find((w) => w.pred(el));
    if (waiter) {
      consumed.add(el);
      waiters = waiters.filter((w) => w !== waiter);
      waiter.resolve(el);
    }
  });

  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    await withTimeout(xmpp.start(), timeoutMs, () => `login as ${opts.username}@${opts.domain} timed out (${errors.map(String).join('; ')})`);
  } catch (err) {
    await stopClient(xmpp);
    throw err instanceof Error ? err : new Error(String(err));
  }
  await xmpp.send(xml('presence'));

  const fullJid = xmpp.jid?.toString() ?? `${opts.username}@${opts.domain}/${resource}`;
  return {
    jid: fullJid,
    bareJid: fullJid.split('/')[0] ?? fullJid,
    received,
    send: (el) => xmpp.send(el),
    iq: (el, iqTimeoutMs = DEFAULT_TIMEOUT_MS) => xmpp.iqCaller.request(el, iqTimeoutMs),
    waitFor(pred, waitTimeoutMs = DEFAULT_TIMEOUT_MS) {
      const earlier = received.find((el) => !consumed.has(el) && pred(el));
      if (earlier) {
        consumed.add(earlier);
        return Promise.resolve(earlier);
      }
      return new Promise<Element>((resolve, reject) => {
        const waiter: Waiter = {
          pred,
          resolve: (el) => {
            clearTimeout(timer);
            resolve(el);
          },
        };
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== waiter);
          const seen = received.slice(-10).map((el) => el.toString()).join('\n  ');
          reject(new Error(`${fullJid}: no matching stanza within ${waitTimeoutMs} ms; last received:\n  ${seen}`));
        }, waitTimeoutMs);
        waiters.push(waiter);
      });
    },
    stop: () => stopClient(xmpp),
  };
}

async function stopClient(xmpp: Client): Promise<void> {
  xmpp.reconnect.stop();
  if (xmpp.status !== 'offline' && xmpp.status !== 'disconnect' && xmpp.socket !== null) {
    try {
      await withTimeout(xmpp.stop(), 3_000, () => 'stop timed out');
    } catch {
      // The server may already be gone; the socket is torn down below.
    }
  }
  xmpp.socket?.destroy();
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message())), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
