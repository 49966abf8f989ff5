/**
 * XEP-0066 links in a user's message -> mail attachments. A file is fetched
 * only when its URL's host is one of `attachments.fetchHosts` (the admin's
 * XEP-0363 upload service) and only up to `attachments.fetchMaxBytes`;
 * everything else, and every file that cannot be fetched in time or whole,
 * stays a link in the mail's text. The gateway never fetches other URLs:
 * a redirect is followed only to the same host.
 *
 * https://xmpp.org/extensions/xep-0066.html, https://xmpp.org/extensions/xep-0363.html
 */
import { request } from 'undici';
import type { Attachment } from '../../types.js';
import type { FetchedFile } from './compose.js';

export interface FetchRules {
  /** Lower-case host names whose files are fetched. */
  hosts: ReadonlySet<string>;
  maxBytes: number;
  timeoutMs: number;
}

/** Redirects followed within one host (an upload service that moves a file under another path). */
const MAX_SAME_HOST_REDIRECTS = 3;

/**
 * The host whose rules apply to `url`, or undefined when it is not an
 * http(s) URL on an allowed host.
 *
 * @example allowedHost('https://upload.example.org/f/a.png', new Set(['upload.example.org']))  // 'upload.example.org'
 * @example allowedHost('https://evil.example/a.png', new Set(['upload.example.org']))           // undefined
 * @example allowedHost('file:///etc/passwd', new Set(['upload.example.org']))                   // undefined
 */
export function allowedHost(url: string, hosts: ReadonlySet<string>): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  if (parsed.username !== '' || parsed.password !== '') return undefined;
  const host = parsed.hostname.toLowerCase();
  return hosts.has(host) ? host : undefined;
}

/** The file name for an attachment: its XEP-0066 description, else the last segment of the URL's path. */
export function fileNameOf(attachment: Attachment): string {
  const named = attachment.name?.trim();
  if (named !== undefined && named !== '' && !/[\\/]/.test(named)) return named;
  try {
    const segment = new URL(attachment.url).pathname.split('/').filter((s) => s !== '').pop();
    if (segment !== undefined) return decodeURIComponent(segment);
  } catch {
    // an undecodable name: fall through
  }
  return 'attachment';
}

/** Stops reading a body the gateway does not want (the error its destruction raises has nowhere to go). */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => undefined);
  body.destroy();
}

export type FetchOutcome = { kind: 'attached'; file: FetchedFile } | { kind: 'link'; reason: string };

/** Fetches one allowed file, streaming, stopping at the size cap. Never throws: a failure leaves the link. */
export async function fetchAttachment(attachment: Attachment, rules: FetchRules, signal: AbortSignal): Promise<FetchOutcome> {
  const host = allowedHost(attachment.url, rules.hosts);
  if (host === undefined) return { kind: 'link', reason: 'not on an allowed host' };
  if (attachment.size !== undefined && attachment.size > rules.maxBytes) return { kind: 'link', reason: `larger than ${rules.maxBytes} bytes` };
  const timeout = AbortSignal.timeout(rules.timeoutMs);
  const both = AbortSignal.any([signal, timeout]);
  let url = attachment.url;
  try {
    for (let hop = 0; ; hop++) {
      const res = await request(url, { method: 'GET', signal: both, maxRedirections: 0, headersTimeout: rules.timeoutMs, bodyTimeout: rules.timeoutMs });
      if (res.statusCode >= 300 && res.statusCode < 400) {
        await res.body.dump();
        const location = res.headers.location;
        const next = typeof location === 'string' ? new URL(location, url).toString() : undefined;
        if (next === undefined || hop >= MAX_SAME_HOST_REDIRECTS || allowedHost(next, new Set([host])) === undefined) {
          return { kind: 'link', reason: `redirected (${res.statusCode}) away from ${host}` };
        }
        url = next;
        continue;
      }
      if (res.statusCode !== 200) {
        await res.body.dump();
        return { kind: 'link', reason: `the upload service answered ${res.statusCode}` };
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > rules.maxBytes) {
        discard(res.body);
        return { kind: 'link', reason: `larger than ${rules.maxBytes} bytes` };
      }
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        total += buf.length;
        if (total > rules.maxBytes) {
          discard(res.body);
          return { kind: 'link', reason: `larger than ${rules.maxBytes} bytes` };
        }
        chunks.push(buf);
      }
      const type = res.headers['content-type'];
      return {
        kind: 'attached',
        file: {
          url: attachment.url,
          filename: fileNameOf(attachment),
          contentType: (typeof type === 'string' ? type : undefined) ?? attachment.type ?? 'application/octet-stream',
          content: Buffer.concat(chunks),
        },
      };
    }
  } catch (err) {
    const why = timeout.aborted ? `not fetched within ${rules.timeoutMs} ms` : signal.aborted ? 'the attempt was aborted' : (err as Error).message;
    return { kind: 'link', reason: why };
  }
}

/** Every attachment of a message, fetched where allowed (one at a time: a message carries few), the rest links. */
export async function gatherAttachments(
  attachments: readonly Attachment[],
  rules: FetchRules,
  signal: AbortSignal,
): Promise<{ files: FetchedFile[]; links: Array<Attachment & { reason: string }> }> {
  const files: FetchedFile[] = [];
  const links: Array<Attachment & { reason: string }> = [];
  for (const attachment of attachments) {
    const outcome = await fetchAttachment(attachment, rules, signal);
    if (outcome.kind === 'attached') files.push(outcome.file);
    else links.push({ ...attachment, reason: outcome.reason });
  }
  return { files, links };
}
