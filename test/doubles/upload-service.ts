/**
 * An XEP-0363 upload service's download side, as the gateway meets it: files
 * under `GET /<path>` (the URLs clients put in XEP-0066 `<x><url/>`), a
 * redirect where a test puts one, 404 otherwise. It records every request,
 * so a test can tell that a URL was never fetched.
 * https://xmpp.org/extensions/xep-0363.html#download
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpDouble, type AcceptedMessage, type HttpFault, type RecordedRequest } from './base.js';

interface ServedFile {
  bytes: Buffer;
  type: string;
}

export class UploadService extends HttpDouble {
  readonly provider = 'upload';
  private readonly files = new Map<string, ServedFile>();
  private readonly redirects = new Map<string, string>();

  static async start(): Promise<UploadService> {
    return new UploadService().listen();
  }

  /** Serves `bytes` at `path`; returns its URL on this host (127.0.0.1). */
  put(path: string, bytes: Buffer, type = 'application/octet-stream'): string {
    this.files.set(path, { bytes, type });
    return this.url(path);
  }

  /** Answers `path` with a 302 to `location`. */
  redirect(path: string, location: string): string {
    this.redirects.set(path, location);
    return this.url(path);
  }

  url(path: string, host = '127.0.0.1'): string {
    return `${this.baseUrl.replace('127.0.0.1', host)}${path}`;
  }

  /** Requests for `path`, for "it was never fetched". */
  fetches(path: string): RecordedRequest[] {
    return this.received.filter((r) => r.path === path);
  }

  accepted(): AcceptedMessage[] {
    return [];
  }

  /** The email component's `attachments:` section that lets the gateway fetch from this service's host (127.0.0.1, not `localhost`), up to 1 MiB. */
  configSection(): string {
    return this.attachmentsSection(1024 * 1024);
  }

  attachmentsSection(fetchMaxBytes: number): string {
    return `attachments: { fetchHosts: ["127.0.0.1"], fetchMaxBytes: ${fetchMaxBytes} }`;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse, request: RecordedRequest): Promise<void> {
    if (await this.scriptedFault(req, res)) return;
    const location = this.redirects.get(request.path);
    if (location !== undefined) {
      res.writeHead(302, { location });
      res.end();
      return;
    }
    const file = this.files.get(request.path);
    if (file === undefined || request.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.bytes.length });
    res.end(file.bytes);
  }

  protected faultBody(fault: Extract<HttpFault, { kind: 'rate-limit' | 'server-error' }>, status: number): unknown {
    return { error: fault.kind, status };
  }

  protected answerFault(): void {
    throw new Error('the upload service has no faults of its own');
  }
}
