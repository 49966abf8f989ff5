/**
 * XMPP load clients and the no-op baseline component.
 *
 * The clients log in like test/support/xmpp-client.ts does (plain TCP, SASL
 * PLAIN), but differ where a load generator must: they keep no stanza (the
 * helper records every one for waitFor()), hand each incoming stanza to a
 * callback the moment it is parsed, and write a batch of stanzas with one
 * socket write.
 */
import { client, xml, type Client, type Element } from '@xmpp/client';
import { component, type Component } from '@xmpp/component';

export { xml };
export type { Element };

declare module '@xmpp/client' {
  interface Client {
    /** Writes raw XML on the stream (@xmpp/connection write()). */
    write(data: string): Promise<void>;
  }
}

export interface BenchClient {
  bareJid: string;
  /** Serialises the stanzas and writes them with one socket write. */
  sendBatch(stanzas: Element[]): Promise<void>;
  stop(): Promise<void>;
}

export async function connectBenchClient(opts: {
  port: number;
  domain: string;
  username: string;
  password: string;
  onStanza?: (el: Element) => void;
  timeoutMs?: number;
}): Promise<BenchClient> {
  const xmpp: Client = client({
    service: `xmpp://127.0.0.1:${opts.port}`,
    domain: opts.domain,
    username: opts.username,
    credentials: async (authenticate, mechanisms) => {
      await authenticate({ username: opts.username, password: opts.password }, mechanisms.includes('PLAIN') ? 'PLAIN' : (mechanisms[0] ?? 'PLAIN'));
    },
    resource: `bench-${Math.random().toString(36).slice(2, 8)}`,
  });
  xmpp.reconnect.stop();
  xmpp.on('error', () => undefined);
  if (opts.onStanza) xmpp.on('stanza', opts.onStanza);
  await withTimeout(xmpp.start(), opts.timeoutMs ?? 15_000, `login as ${opts.username}@${opts.domain}`);
  await xmpp.send(xml('presence'));
  return {
    bareJid: `${opts.username}@${opts.domain}`,
    sendBatch: async (stanzas) => {
      if (stanzas.length === 0) return;
      await xmpp.write(stanzas.map((s) => s.toString()).join(''));
    },
    stop: async () => stopEntity(xmpp),
  };
}

/**
 * The outbound baseline: a bare XEP-0114 component that receives every
 * stanza and drops it, calling `onMessage` with the body for timing.
 */
export async function startNoopComponent(opts: {
  port: number;
  domain: string;
  secret: string;
  onMessage: (body: string) => void;
}): Promise<{ stop(): Promise<void> }> {
  const entity: Component = component({ service: `xmpp://127.0.0.1:${opts.port}`, domain: opts.domain, password: opts.secret });
  entity.reconnect.stop();
  entity.on('error', () => undefined);
  entity.on('stanza', (el) => {
    if (el.name !== 'message') return;
    const body = el.getChildText('body');
    if (body !== null) opts.onMessage(body);
  });
  await withTimeout(entity.start(), 15_000, `component ${opts.domain} online`);
  return { stop: async () => stopEntity(entity) };
}

async function stopEntity(entity: Client | Component): Promise<void> {
  entity.reconnect.stop();
  try {
    if (entity.status !== 'offline' && entity.status !== 'disconnect') {
      entity.timeout = 2000;
      await withTimeout(entity.stop(), 3000, 'stream close');
    }
  } catch {
    // the server may be gone already
  }
  entity.socket?.destroy();
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
