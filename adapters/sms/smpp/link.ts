/**
 * One SMPP v3.4 transceiver link to the SMSC, kept up for as long as the
 * adapter runs: connect, bind_transceiver (§4.1.5), enquire_link on a timer
 * (§4.11; a link that does not answer is dropped), answer the SMSC's
 * enquire_link and unbind, reconnect with exponential backoff and jitter
 * after any drop or refused bind, unbind (§4.2) on stop.
 *
 * A refused bind (wrong system_id or password, too many binds) is not fatal:
 * the link keeps retrying at the capped backoff, logs each refusal at error
 * level and reports it through `detail` (so /readyz names it), because the
 * SMSC may be mid-maintenance and other components must keep running.
 */
import type smpp from 'smpp';
import type { Logger } from 'pino';
import { TransientDeliveryError } from '../../../src/errors/registry.js';
import { lazyPackage } from '../../../src/lazy-package.js';
import { jitteredBackoff, type BackoffPolicy } from '../../../src/backoff.js';
import { describeStatus, ESME_ROK } from './status.js';

const smppPackage = lazyPackage<typeof smpp>('smpp');

/** SMPP interface_version for v3.4 (§5.2.4). */
const SMPP_VERSION_34 = 0x34;

export interface LinkOptions {
  host: string;
  port: number;
  systemId: string;
  password: string;
  systemType: string;
  /** Interval of our enquire_link; 0 sends none. */
  enquireLinkMs: number;
  /** How long any request (bind, submit_sm, enquire_link, unbind) waits for its response. */
  responseTimeoutMs: number;
  reconnect: BackoffPolicy;
  logger: Logger;
  /**
   * Handles a deliver_sm (or data_sm) from the SMSC and resolves to the
   * command_status of the response, which the link sends only then.
   */
  onDeliver(pdu: smpp.PDU): Promise<number>;
  random?: () => number;
}

export type LinkState = 'stopped' | 'connecting' | 'bound' | 'waiting';

/** The link is down (or went down before the SMSC answered): retry later. */
export class LinkDownError extends TransientDeliveryError {
  constructor(message: string) {
    super(message);
    this.name = 'LinkDownError';
  }
}

/** The SMSC did not answer a request in time: the request may or may not have been carried out. */
export class ResponseTimeoutError extends TransientDeliveryError {
  constructor(message: string) {
    super(message);
    this.name = 'ResponseTimeoutError';
  }
}

interface Pending {
  fail(err: Error): void;
}

export class SmppLink {
  private session: smpp.Session | undefined;
  private linkState: LinkState = 'stopped';
  private stopping = false;
  private attempt = 0;
  private problem: string | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private bindTimer: NodeJS.Timeout | undefined;
  private enquireTimer: NodeJS.Timeout | undefined;
  private enquireOutstanding = false;
  /** Requests on the current session awaiting their response, by sequence number. */
  private readonly pending = new Map<number, Pending>();
  private readonly stateListeners = new Set<(state: LinkState) => void>();
  private firstOutcome: (() => void) | undefined;

  constructor(private readonly opts: LinkOptions) {}

  get state(): LinkState {
    return this.linkState;
  }

  get bound(): boolean {
    return this.linkState === 'bound';
  }

  /** Why the link is not bound (last refusal or socket error), if known. */
  get detail(): string | undefined {
    return this.bound ? undefined : this.problem;
  }

  get address(): string {
    return `${this.opts.host}:${this.opts.port}`;
  }

  /** Calls `listener` on every state change; returns the unsubscribe function. */
  onState(listener: (state: LinkState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /**
   * Starts connecting and resolves once the first bind succeeded or failed
   * (at most one response timeout later). Never rejects: a failed first
   * bind leaves the link retrying in the background.
   */
  async start(): Promise<void> {
    if (this.linkState !== 'stopped') return;
    this.stopping = false;
    this.problem = undefined;
    const first = new Promise<void>((resolve) => (this.firstOutcome = resolve));
    this.connect();
    let cap: NodeJS.Timeout | undefined;
    await Promise.race([first, new Promise<void>((resolve) => (cap = setTimeout(resolve, this.opts.responseTimeoutMs + 500)))]);
    clearTimeout(cap);
    this.firstOutcome = undefined;
  }

  /** Unbinds (waiting briefly for unbind_resp), closes the socket and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.bindTimer);
    clearInterval(this.enquireTimer);
    const session = this.session;
    if (session !== undefined) {
      if (this.bound) {
        await this.request('unbind', {}, Math.min(this.opts.responseTimeoutMs, 5000)).catch(() => undefined);
        await closeSession(session);
      } else {
        session.destroy(); // still connecting or binding: nothing to unbind
      }
    }
    this.session = undefined;
    this.failPending(new LinkDownError(`SMPP link to ${this.address} closed: the gateway is stopping`));
    this.setState('stopped');
  }

  /**
   * Sends a request on the bound link and resolves with its response (any
   * command_status). Rejects with LinkDownError when not bound or when the
   * link drops first, ResponseTimeoutError when no response comes in time.
   */
  request(command: string, fields: smpp.PduFields, timeoutMs = this.opts.responseTimeoutMs): Promise<smpp.PDU> {
    const session = this.session;
    if (session === undefined || !this.bound) {
      return Promise.reject(new LinkDownError(this.downMessage()));
    }
    return new Promise((resolve, reject) => {
      const pdu = new (smppPackage().PDU)(command, fields);
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        this.pending.delete(pdu.sequence_number);
        return true;
      };
      const written = session.send(pdu, (response) => {
        if (settle()) resolve(response);
      });
      if (!written) {
        settle();
        reject(new LinkDownError(this.downMessage()));
        return;
      }
      this.pending.set(pdu.sequence_number, { fail: (err) => settle() && reject(err) });
      timer = setTimeout(() => {
        if (settle()) {
          reject(new ResponseTimeoutError(`the SMS center at ${this.address} did not answer ${command} within ${timeoutMs} ms`));
        }
      }, timeoutMs);
    });
  }

  private downMessage(): string {
    return `SMPP link to ${this.address} is down${this.problem ? ` (${this.problem})` : ''}`;
  }

  private setState(state: LinkState): void {
    if (state === this.linkState) return;
    this.linkState = state;
    for (const listener of this.stateListeners) listener(state);
  }

  private connect(): void {
    const { logger } = this.opts;
    this.setState('connecting');
    const session = smppPackage().connect({ host: this.opts.host, port: this.opts.port });
    this.session = session;
    this.bindTimer = setTimeout(() => {
      this.problem = `no bind within ${this.opts.responseTimeoutMs} ms`;
      session.destroy();
    }, this.opts.responseTimeoutMs);

    session.on('connect', () => {
      session.bind_transceiver(
        {
          system_id: this.opts.systemId,
          password: this.opts.password,
          system_type: this.opts.systemType,
          interface_version: SMPP_VERSION_34,
        },
        (resp) => {
          if (session !== this.session) return;
          clearTimeout(this.bindTimer);
          if (resp.command_status === ESME_ROK) {
            this.onBound(session, resp);
            return;
          }
          this.problem = `bind refused by ${this.address}: ${describeStatus(resp.command_status)}`;
          logger.error({ smsc: this.address, systemId: this.opts.systemId }, this.problem);
          session.destroy();
        },
      );
    });
    session.on('error', (err) => {
      if (session !== this.session) return;
      this.problem = `${this.address}: ${err.message}`;
      logger.warn({ smsc: this.address, err: err.message }, 'SMPP link error');
      // A PDU the library cannot parse stops its reader without closing the socket: start over.
      session.destroy();
    });
    session.on('close', () => this.onClose(session));
    session.on('enquire_link', (pdu) => void session.send(pdu.response()));
    session.on('unbind', (pdu) => {
      logger.warn({ smsc: this.address }, 'the SMS center unbound the SMPP link; reconnecting');
      this.problem = 'unbound by the SMS center';
      this.setState('waiting');
      session.send(pdu.response(), () => session.close());
    });
    session.on('deliver_sm', (pdu) => this.deliver(session, pdu));
    session.on('data_sm', (pdu) => this.deliver(session, pdu));
    session.on('unknown', (pdu) => void session.send(pdu.response()));
  }

  private onBound(session: smpp.Session, resp: smpp.PDU): void {
    this.attempt = 0;
    this.problem = undefined;
    this.opts.logger.info({ smsc: this.address, systemId: this.opts.systemId, smscId: resp.system_id }, 'SMPP link bound (transceiver)');
    this.setState('bound');
    this.firstOutcome?.();
    if (this.opts.enquireLinkMs > 0) {
      this.enquireOutstanding = false;
      this.enquireTimer = setInterval(() => this.enquire(session), this.opts.enquireLinkMs);
    }
  }

  /** Our keepalive: a link that leaves an enquire_link unanswered is dropped and re-established. */
  private enquire(session: smpp.Session): void {
    if (session !== this.session || !this.bound) return;
    if (this.enquireOutstanding) return;
    this.enquireOutstanding = true;
    this.request('enquire_link', {}).then(
      () => (this.enquireOutstanding = false),
      (err: Error) => {
        this.enquireOutstanding = false;
        if (session !== this.session) return;
        this.problem = err.message;
        this.opts.logger.warn({ smsc: this.address, err: err.message }, 'enquire_link failed; dropping the SMPP link');
        session.destroy();
      },
    );
  }

  private deliver(session: smpp.Session, pdu: smpp.PDU): void {
    void this.opts.onDeliver(pdu).then((status) => {
      // After a drop the SMSC redelivers unanswered PDUs on the next bind; nothing to answer here.
      if (session === this.session) session.send(pdu.response(status === ESME_ROK ? {} : { command_status: status }));
    });
  }

  private onClose(session: smpp.Session): void {
    if (session !== this.session) return;
    clearTimeout(this.bindTimer);
    clearInterval(this.enquireTimer);
    this.session = undefined;
    this.failPending(new LinkDownError(`SMPP link to ${this.address} dropped before the SMS center answered`));
    if (this.stopping) return;
    this.problem ??= 'connection closed';
    this.setState('waiting');
    this.firstOutcome?.();
    this.attempt++;
    const delay = jitteredBackoff(this.attempt, this.opts.reconnect, this.opts.random);
    this.opts.logger.info({ smsc: this.address, attempt: this.attempt, delayMs: delay, problem: this.problem }, 'SMPP link down; reconnecting');
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private failPending(err: Error): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.fail(err);
  }
}

function closeSession(session: smpp.Session): Promise<void> {
  return new Promise((resolve) => {
    if (session.socket.destroyed) {
      resolve();
      return;
    }
    const force = setTimeout(() => session.destroy(), 2000);
    session.socket.once('close', () => {
      clearTimeout(force);
      resolve();
    });
    session.close();
  });
}
