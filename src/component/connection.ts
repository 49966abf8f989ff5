/**
 * One XEP-0114 connection per component domain: handshake, reconnect with
 * exponential backoff and jitter, whitespace keepalive, clean close.
 * https://xmpp.org/extensions/xep-0114.html
 */
import { EventEmitter } from 'node:events';
import { component, xml, type Component, type Element } from '@xmpp/component';
import type { Logger } from 'pino';
import { jitteredBackoff, type BackoffPolicy } from '../backoff.js';
import { xmlSafeTree } from './stanzas.js';
import { directTlsSocket, type ComponentTlsOptions } from './tls-socket.js';
import { batchWrites, type CorkableSocket } from '../batched-writes.js';

export interface ConnectionOptions {
  host: string;
  port: number;
  domain: string;
  secret: string;
  /** Key path of the secret in the config, named in the log when the server rejects it. */
  secretPath: string;
  keepaliveSeconds: number;
  backoff: BackoffPolicy;
  logger: Logger;
  /** Direct TLS to the component port (ejabberd `tls: true`, a TLS tunnel); plaintext when absent. */
  tls?: ComponentTlsOptions;
}

/** Stream errors that mean the admin must fix a config, not wait for the network. */
const CONFIG_CONDITIONS: Record<string, string> = {
  'not-authorized': 'the XMPP server rejected the component secret',
  'host-unknown': 'the XMPP server does not know this component domain',
  conflict: 'another component is already connected with this domain',
};

/**
 * Emits 'online' and 'offline'. `entity` is the @xmpp/component instance whose
 * middleware and iq callee the router uses.
 */
export class ComponentConnection extends EventEmitter {
  readonly entity: Component;
  readonly domain: string;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private online = false;
  /** Why the last attempt failed when the admin must act (a rejected secret), for /readyz; cleared once online. */
  private configProblem: string | undefined;
  /** The attempt whose config problem was logged: @xmpp reports a stream error twice (the error, then the close). */
  private loggedAttempt = -1;
  /** The open write barrier: stanzas written since it was created wait for its ping. */
  private barrier: { sent: boolean; done: Promise<void> } | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: ConnectionOptions) {
    super();
    this.domain = opts.domain;
    this.log = opts.logger.child({ domain: opts.domain });
    this.entity = component({
      service: `xmpp://${opts.host}:${opts.port}`,
      domain: opts.domain,
      password: opts.secret,
    });
    if (opts.tls !== undefined) {
      // @xmpp/connection makes `new this.Socket()` per connect: a TLS one here, the same XEP-0114 stream inside.
      (this.entity as unknown as { Socket: unknown }).Socket = directTlsSocket(opts.tls);
    }
    // Everything the component writes (our stanzas, iq callee replies) passes the one sanitiser:
    // a control character from a provider must not make the server close the stream.
    const write = this.entity.send.bind(this.entity);
    this.entity.send = (el: Element) => write(xmlSafeTree(el));
    // @xmpp/reconnect retries at a fixed 1 s; we schedule our own with backoff.
    this.entity.reconnect.stop();
    // No Nagle on the component link. Each inbound message is a stanza and then, a tick later, the
    // confirming ping (sendConfirmed): with Nagle the ping's segment waited for the server's ACK of the
    // stanza's, which a delayed ACK holds up to 40 ms. At 500 webhooks/s confirmations took 26-39 ms
    // at p50 (bench, instrumented), nearly all of a webhook's time to reach the user.
    // (@xmpp's typings list only some of its status events; 'connect' is emitted once the socket is connected.)
    // Stanzas written in one tick (the messages of the jobs whose turn came with one Redis reply) leave in
    // one write: 25k socket writes fell to 9.6k over the inbound bench (15k messages; the confirming pings
    // still leave on their own, after their stanzas' writes are done).
    (this.entity as unknown as EventEmitter).on('connect', () => {
      const socket = this.entity.socket as unknown as (CorkableSocket & { setNoDelay(on: boolean): unknown }) | null;
      if (socket === null) return;
      socket.setNoDelay(true);
      batchWrites(socket);
    });
    this.entity.on('online', () => this.onOnline());
    this.entity.on('disconnect', () => this.onDisconnect());
    this.entity.on('error', (err) => this.onError(err));
  }

  isOnline(): boolean {
    return this.online;
  }

  /** Why the connection is down, when it is the config's fault (a rejected secret, an unknown domain); else undefined. */
  problem(): string | undefined {
    return this.online ? undefined : this.configProblem;
  }

  /** Starts connecting; never rejects: failures are logged and retried. */
  start(): void {
    this.stopping = false;
    this.attempt = 0;
    void this.connect();
  }

  async send(el: Element): Promise<void> {
    await this.entity.send(el);
  }

  /**
   * Sends and resolves only once the server has processed the stanza: a
   * socket write alone can vanish into a server that froze or died. Stanzas
   * written in the same tick share one XEP-0199 ping, addressed to this
   * component itself: the server handles a stream in order, so when our own
   * ping comes back through it (a result or an error, either proves it),
   * every stanza before it has been routed. Pinging the recipient's domain
   * instead made a whole batch hostage to one stalled remote server (issue 8).
   * Rejects when the server does not answer in time, so the job is retried.
   * `onWritten` is called once the stanza is on the stream, before the wait
   * for the server: what is written after it is read after it.
   */
  async sendConfirmed(el: Element, timeoutMs = 10_000, onWritten?: () => void): Promise<void> {
    await this.entity.send(el);
    onWritten?.();
    if (this.barrier === undefined || this.barrier.sent) {
      const barrier: { sent: boolean; done: Promise<void> } = { sent: false, done: Promise.resolve() };
      barrier.done = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        barrier.sent = true;
        if (this.barrier === barrier) this.barrier = undefined;
        // A connection lost while waiting fails the barrier at once instead of after the timeout.
        let onOffline = (): void => undefined;
        const lost = new Promise<never>((_, reject) => {
          onOffline = () => reject(new Error('XMPP connection lost before the server confirmed'));
          this.once('offline', onOffline);
        });
        lost.catch(() => undefined);
        // The ping reaching us back through the server already proves the server routed everything
        // before it; waiting for our own answer to make a second trip would only widen the window in
        // which a server that dies leaves delivered stanzas unconfirmed (sent again: test/chaos).
        const id = `confirm-${crypto.randomUUID()}`;
        let onElement = (_el: Element): void => undefined;
        const routedBack = new Promise<void>((resolve) => {
          onElement = (el: Element) => {
            if (el.name === 'iq' && el.attrs.id === id && el.attrs.type === 'get') resolve();
          };
          this.entity.on('element', onElement);
        });
        const answered = this.entity.iqCaller.request(xml('iq', { type: 'get', to: this.domain, id }, xml('ping', { xmlns: 'urn:xmpp:ping' })), timeoutMs);
        try {
          await Promise.race([answered, routedBack, lost]);
        } catch (err) {
          // An error reply still shows the server read everything before it; only silence does not.
          if (!(err instanceof Error && err.name === 'StanzaError')) throw err;
        } finally {
          answered.catch(() => undefined);
          this.entity.off('element', onElement);
          this.off('offline', onOffline);
        }
      });
      this.barrier = barrier;
    }
    await this.barrier.done;
  }

  /** Closes the stream (`</stream:stream>`) and stops reconnecting. */
  async stop(timeoutMs = 2000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
    // Offline before the stream closes: the inbound workers pause now and write nothing more (a lost lease).
    this.setOnline(false);
    const status = this.entity.status;
    if (status === 'offline') return;
    try {
      this.entity.timeout = timeoutMs;
      await this.entity.stop();
    } catch (err) {
      this.log.debug({ err }, 'stream close did not complete; dropping the socket');
      this.entity.socket?.destroy();
    }
  }

  private async connect(): Promise<void> {
    if (this.stopping) return;
    const { entity } = this;
    try {
      this.log.debug({ attempt: this.attempt + 1 }, 'connecting to XMPP server');
      if (entity.status === 'offline') {
        await entity.start();
      } else {
        // After a disconnect @xmpp/connection stays in 'disconnect'; reopen the way @xmpp/reconnect does.
        let onOnline = (): void => undefined;
        let onError = (_err: Error): void => undefined;
        const online = new Promise<void>((resolve, reject) => {
          onOnline = resolve;
          onError = reject;
          entity.once('online', onOnline);
          entity.once('error', onError);
        });
        online.catch(() => undefined); // observed below; a failed connect must not leave it unhandled
        try {
          await (entity as unknown as { connect(service: string): Promise<void> }).connect(entity.options.service);
          await (entity as unknown as { open(o: { domain: string }): Promise<void> }).open({ domain: this.domain });
          await online;
        } finally {
          entity.off('online', onOnline);
          entity.off('error', onError);
        }
      }
    } catch (err) {
      this.log.debug({ err }, 'connection attempt failed');
      // The socket's close (if any) also lands in onDisconnect; make sure a retry is scheduled either way.
      if (entity.status !== 'online') this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.stopping || this.reconnectTimer !== undefined) return;
    this.attempt += 1;
    const delay = jitteredBackoff(this.attempt, this.opts.backoff);
    this.log.info({ attempt: this.attempt, delayMs: delay }, 'reconnecting to XMPP server');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
  }

  private onOnline(): void {
    this.attempt = 0;
    this.loggedAttempt = -1;
    this.configProblem = undefined;
    this.log.info('component online');
    if (this.opts.keepaliveSeconds > 0) {
      clearInterval(this.keepaliveTimer);
      // RFC 6120 §4.6.1: whitespace keeps NATs and the server from dropping an idle stream.
      this.keepaliveTimer = setInterval(() => {
        if (this.online) this.entity.write(' ').catch((err: unknown) => this.log.debug({ err }, 'keepalive write failed'));
      }, this.opts.keepaliveSeconds * 1000);
      this.keepaliveTimer.unref();
    }
    this.setOnline(true);
  }

  private onDisconnect(): void {
    clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
    if (this.online) this.log.warn('component connection lost');
    this.setOnline(false);
    this.scheduleReconnect();
  }

  private onError(err: Error & { condition?: string }): void {
    const reason = err.condition === undefined ? undefined : CONFIG_CONDITIONS[err.condition];
    if (reason !== undefined) {
      this.configProblem = `${reason} (check ${this.opts.secretPath} and the server's component config)`;
      if (this.loggedAttempt === this.attempt) return;
      this.loggedAttempt = this.attempt;
      this.log.error(
        { condition: err.condition, key: this.opts.secretPath },
        `configuration error for component ${this.domain}: ${reason} (check ${this.opts.secretPath} and the server's component config)`,
      );
    } else {
      this.log.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, 'XMPP connection error');
    }
  }

  private setOnline(online: boolean): void {
    if (this.online === online) return;
    this.online = online;
    this.emit(online ? 'online' : 'offline');
  }
}
