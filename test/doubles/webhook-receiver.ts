/**
 * A service that receives the gateway's outbound webhooks, as an endpoint
 * written by someone else would: it verifies each delivery with the
 * `standardwebhooks` npm package (the Standard Webhooks reference library,
 * not our signing code), records the `message.created` events, and answers
 * 2xx with an optional reply, or fails as scripted: a 4xx with a text, 410
 * Gone, 429/503 with Retry-After, a 5xx, a hang or a dropped connection.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { HttpDouble, type AcceptedMessage, type HttpFault, type RecordedRequest } from './base.js';

/** A delivery the receiver accepted. */
export interface ReceivedEvent {
  webhookId: string;
  type: string;
  data: { id: string; from: string; to: string; body: string; thread: string; attachments?: Array<{ url: string }> };
  /** The endpoint path it was posted to. */
  path: string;
  at: Date;
}

/** Receiver-specific failures: an HTTP status with a text body (and Retry-After). */
export type ReceiverFault = { kind: 'status'; httpStatus: number; text?: string; retryAfterSeconds?: number };

/** How the receiver answers a verified delivery. */
export type ReplyMode = { kind: 'none' } | { kind: 'json'; reply: (event: ReceivedEvent) => string } | { kind: 'text'; reply: (event: ReceivedEvent) => string };

export class WebhookReceiver extends HttpDouble<ReceiverFault, ReceivedEvent> {
  readonly provider = 'http';
  /** A fresh signing key, `whsec_` + base64 of 32 random bytes. */
  readonly secret = `whsec_${randomBytes(32).toString('base64')}`;
  /** Deliveries refused because the signature did not verify. */
  readonly forged: RecordedRequest[] = [];
  replyMode: ReplyMode = { kind: 'none' };
  /** Keys the receiver accepts; default just `secret` (a rotation test adds the new one). */
  acceptedSecrets: string[] = [this.secret];

  static async start(): Promise<WebhookReceiver> {
    return new WebhookReceiver().listen();
  }

  /** The URL of a path on this receiver. */
  url(path = '/hook'): string {
    return `${this.baseUrl}${path}`;
  }

  accepted(): AcceptedMessage[] {
    return this.messages.map((m) => ({ to: m.data.to, from: m.data.from, body: m.data.body, at: m.at }));
  }

  /** One endpoint's YAML flow entry: `<name>: { url, secret, allowPrivateNetwork: true }` (the receiver is on 127.0.0.1). */
  configSection(url = this.url(), name = 'svc'): string {
    return `${name}: { url: "${url}", secret: "${this.secret}", allowPrivateNetwork: true }`;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse, request: RecordedRequest): Promise<void> {
    const headers = Object.fromEntries(
      ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(req.headers[h] ?? '')]),
    );
    const verified = this.acceptedSecrets.some((secret) => {
      try {
        new Webhook(secret).verify(request.body, headers);
        return true;
      } catch {
        return false;
      }
    });
    if (!verified) {
      this.forged.push(request);
      this.json(res, 401, { error: 'bad signature' });
      return;
    }
    this.requests += 1;
    if (await this.scriptedFault(req, res)) return;
    const payload = JSON.parse(request.body) as Omit<ReceivedEvent, 'webhookId' | 'path' | 'at'>;
    const event: ReceivedEvent = { webhookId: headers['webhook-id'] ?? '', type: payload.type, data: payload.data, path: request.path, at: new Date() };
    this.messages.push(event);
    const mode = this.replyMode;
    if (mode.kind === 'json') this.json(res, 200, { reply: mode.reply(event) });
    else if (mode.kind === 'text') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(mode.reply(event));
    } else {
      res.writeHead(204);
      res.end();
    }
  }

  protected faultBody(fault: Extract<HttpFault, { kind: 'rate-limit' | 'server-error' }>, status: number): unknown {
    return { error: fault.kind, status };
  }

  protected answerFault(res: ServerResponse, fault: ReceiverFault): void {
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
    res.writeHead(fault.httpStatus, headers);
    res.end(fault.text ?? '');
  }
}
