/**
 * What every HTTP provider double shares: a small server on a free loopback
 * port, a record of the requests it got, scripted faults (an HTTP status with
 * Retry-After, a 5xx, a delay, a hang, a dropped connection) and a clean
 * close. A provider's double extends it with its own wire format: its routes,
 * its authentication, its error bodies and its webhook signing. Doubles are
 * written from the providers' documentation, never from the adapters.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { sleep } from '../support/waits.js';

/** Faults every HTTP double can script; a provider adds its own (e.g. an error with its codes). */
export type HttpFault =
  /** 429, with Retry-After when given. */
  | { kind: 'rate-limit'; retryAfterSeconds?: number }
  | { kind: 'server-error'; httpStatus?: 500 | 502 | 503 | 504 }
  /** Wait this long, then answer as usual. */
  | { kind: 'delay'; ms: number }
  /** Read the request, never answer (the client's timeout or abort ends it). */
  | { kind: 'hang' }
  /** Read the request, then drop the connection without an answer. */
  | { kind: 'close' };

const HTTP_FAULT_KINDS: ReadonlySet<string> = new Set(['rate-limit', 'server-error', 'delay', 'hang', 'close']);

function isHttpFault(fault: { kind: string }): fault is HttpFault {
  return HTTP_FAULT_KINDS.has(fault.kind);
}

/** A request as the double received it. */
export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** The body, read whole, as UTF-8. */
  body: string;
  receivedAt: Date;
}

/** One message a provider accepted, in provider-neutral terms (for suites that work with any provider). */
export interface AcceptedMessage {
  to: string;
  from: string | null;
  body: string;
  at: Date;
}

/**
 * The base of every HTTP provider double. `Fault` is the provider's own
 * scripted failure (a `{ kind: 'error', ... }` with its codes), on top of
 * HttpFault; `Message` is its record of an accepted message.
 */
export abstract class HttpDouble<Fault extends { kind: string } = never, Message = unknown> {
  /** Every request, in arrival order. */
  readonly received: RecordedRequest[] = [];
  /** Messages the provider accepted, oldest first, in its own terms. */
  readonly messages: Message[] = [];
  /** Requests that reached the send endpoint with valid credentials, accepted or not. */
  requests = 0;
  private readonly faults: Array<Fault | HttpFault> = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server = createServer();

  /** The config `provider:` this double stands in for, e.g. `twilio`. */
  abstract readonly provider: string;

  protected constructor() {
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('request', (req, res) => void this.receive(req, res));
  }

  /** Listens on a free loopback port; subclasses' static start() call it. */
  protected async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
    });
    return this;
  }

  /** `http://127.0.0.1:<port>`: the adapter's `apiBaseUrl`. */
  get baseUrl(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** The next `count` requests fail this way, in order after any already scripted. */
  failNext(fault: Fault | HttpFault, count = 1): void {
    for (let i = 0; i < count; i++) this.faults.push(fault);
  }

  /** Forgets scripted failures: requests succeed again. */
  heal(): void {
    this.faults.length = 0;
  }

  /** Forgets recorded requests, accepted messages, the request count and scripted failures. */
  reset(): void {
    this.received.length = 0;
    this.messages.length = 0;
    this.requests = 0;
    this.heal();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** What the provider accepted, oldest first, in provider-neutral terms. */
  abstract accepted(): AcceptedMessage[];

  /**
   * The component's provider section of the gateway config (one YAML flow
   * line), pointing the adapter at `apiBaseUrl` (default: this double).
   */
  abstract configSection(apiBaseUrl?: string): string;

  /** Answers one request, whose body has been read and recorded. */
  protected abstract handle(req: IncomingMessage, res: ServerResponse, request: RecordedRequest): void | Promise<void>;

  /** The provider's error body for a 429 or a 5xx fault. */
  protected abstract faultBody(fault: Extract<HttpFault, { kind: 'rate-limit' | 'server-error' }>, status: number): unknown;

  /** Answers a provider-specific fault. */
  protected abstract answerFault(res: ServerResponse, fault: Fault): void;

  /**
   * Takes the next scripted fault, if any, and acts on it. Resolves true when
   * the request is dealt with (answered, hung or dropped), false when the
   * double should answer as usual (no fault, or a delay that has passed). A
   * double calls it where the real provider would fail: after authentication.
   */
  protected async scriptedFault(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const fault = this.faults.shift();
    if (fault === undefined) return false;
    if (!isHttpFault(fault)) {
      this.answerFault(res, fault);
      return true;
    }
    switch (fault.kind) {
      case 'rate-limit':
        if (fault.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(fault.retryAfterSeconds));
        this.json(res, 429, this.faultBody(fault, 429));
        return true;
      case 'server-error': {
        const status = fault.httpStatus ?? 500;
        this.json(res, status, this.faultBody(fault, status));
        return true;
      }
      case 'delay':
        await sleep(fault.ms);
        return false;
      case 'hang':
        return true; // the socket stays open until the client gives up or close() runs
      case 'close':
        req.socket.destroy();
        return true;
    }
  }

  protected json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = req.url ?? '/';
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      url,
      path: new URL(url, 'http://double').pathname,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      receivedAt: new Date(),
    };
    this.received.push(request);
    await this.handle(req, res, request);
  }
}
