/**
 * Received attachments (and mail texts too long for a chat message), kept on
 * disk under `attachments.dir` and served at unguessable URLs:
 *
 *   `${publicUrl}/files/<domain>/<token>/<encoded file name>`
 *
 * where `<token>` is 32 random bytes, base64url. Each file is two entries in
 * the directory: `<token>` (the exact bytes) and `<token>.json` (its sidecar:
 * name, type, size, expiry). Whatever serves a download reads the sidecar, so
 * any gateway process sharing the directory serves any file, and there is no
 * index in memory to lose. A file is visible only once its sidecar is renamed
 * into place, after its bytes.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Attachment } from '../../../types.js';

const DAY_MS = 24 * 3600 * 1000;
/** 32 random bytes, base64url: 43 characters. Anything else in a URL is not a token of ours. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** A partial upload left by a process that died is removed after this long. */
const STALE_PART_MS = DAY_MS;

/** A file's sidecar, `<token>.json`. */
export interface StoredFileMeta {
  name: string;
  type: string;
  size: number;
  /** ms since epoch after which the file is gone. */
  expiresAt: number;
}

export interface StoredFile extends StoredFileMeta {
  token: string;
  url: string;
}

/** Why a file was not kept: over the per-file cap, or over what is left of the per-mail cap. */
export interface RefusedFile {
  name: string;
  /** Its whole size in bytes. */
  size: number;
  reason: string;
}

export type SaveResult = { kept: true; file: StoredFile } | { kept: false; refused: RefusedFile };

export interface AttachmentStoreOptions {
  dir: string;
  /** `${publicUrl}/files/<domain>`, without a trailing slash. */
  baseUrl: string;
  expiryDays: number;
  logger: Logger;
  now?: () => number;
}

/** A file name safe to put in a sidecar and a Content-Disposition: no path, no control characters, bounded. */
export function safeFileName(name: string | undefined, fallback = 'attachment'): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim().slice(0, 200);
  return clean === '' || clean === '.' || clean === '..' ? fallback : clean;
}

export class AttachmentStore {
  private readonly now: () => number;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly opts: AttachmentStoreOptions) {
    this.now = opts.now ?? Date.now;
  }

  private path(token: string): string {
    return join(this.opts.dir, token);
  }

  urlOf(token: string, name: string): string {
    return `${this.opts.baseUrl}/${token}/${encodeURIComponent(name)}`;
  }

  /**
   * Copies `content` into the store, giving up (and keeping nothing) past
   * `maxBytes`; the stream is read to its end either way, so a parser feeding
   * it is never stuck.
   */
  async save(content: Readable, meta: { name: string; type: string }, maxBytes: number): Promise<SaveResult> {
    await mkdir(this.opts.dir, { recursive: true });
    const token = randomBytes(32).toString('base64url');
    const part = `${this.path(token)}.part`;
    // By hand, not pipeline(): a file over its cap must not destroy `content` (a parser's part stream), only stop being written.
    const size = await new Promise<number>((resolve, reject) => {
      const out = createWriteStream(part);
      let seen = 0;
      let over = false;
      out.on('error', (err) => {
        if (!over) reject(err);
      });
      content.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (over) return;
        if (seen > maxBytes) {
          over = true;
          out.destroy();
          content.resume();
          return;
        }
        if (!out.write(chunk)) {
          content.pause();
          out.once('drain', () => content.resume());
        }
      });
      content.once('error', reject);
      content.once('end', () => (over ? resolve(seen) : out.end(() => resolve(seen))));
    }).catch(async (err: unknown) => {
      await rm(part, { force: true });
      throw err;
    });
    if (size > maxBytes) {
      await rm(part, { force: true });
      return { kept: false, refused: { name: meta.name, size, reason: `over the size limit (${maxBytes} bytes)` } };
    }
    return { kept: true, file: await this.publish(token, part, { ...meta, size }) };
  }

  /** Stores a text (a mail body too long for a chat message) as a UTF-8 file. */
  async saveText(text: string, name: string): Promise<StoredFile> {
    await mkdir(this.opts.dir, { recursive: true });
    const token = randomBytes(32).toString('base64url');
    const part = `${this.path(token)}.part`;
    const bytes = Buffer.from(text, 'utf8');
    await writeFile(part, bytes);
    return this.publish(token, part, { name, type: 'text/plain; charset=utf-8', size: bytes.length });
  }

  private async publish(token: string, part: string, meta: Omit<StoredFileMeta, 'expiresAt'>): Promise<StoredFile> {
    const full: StoredFileMeta = { ...meta, expiresAt: this.now() + this.opts.expiryDays * DAY_MS };
    await rename(part, this.path(token));
    await writeFile(`${this.path(token)}.json.part`, JSON.stringify(full));
    await rename(`${this.path(token)}.json.part`, `${this.path(token)}.json`);
    return { ...full, token, url: this.urlOf(token, meta.name) };
  }

  /** Removes files of a mail that was not accepted after all (the sender will send it again). */
  async remove(files: readonly StoredFile[]): Promise<void> {
    for (const f of files) {
      await rm(`${this.path(f.token)}.json`, { force: true });
      await rm(this.path(f.token), { force: true });
    }
  }

  /** The sidecar of a live file, or undefined (unknown token, expired, half-written). */
  async lookup(token: string): Promise<StoredFileMeta | undefined> {
    if (!TOKEN.test(token)) return undefined;
    let meta: StoredFileMeta;
    try {
      meta = JSON.parse(await readFile(`${this.path(token)}.json`, 'utf8')) as StoredFileMeta;
    } catch {
      return undefined;
    }
    return meta.expiresAt > this.now() ? meta : undefined;
  }

  /** Deletes expired files and partial writes a dead process left behind; returns how many files went. */
  async sweep(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.opts.dir);
    } catch {
      return 0; // nothing stored yet
    }
    let removed = 0;
    for (const name of names) {
      const full = join(this.opts.dir, name);
      if (name.endsWith('.part')) {
        const info = await stat(full).catch(() => undefined);
        if (info !== undefined && this.now() - info.mtimeMs > STALE_PART_MS) await rm(full, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const token = name.slice(0, -'.json'.length);
      if (!TOKEN.test(token)) continue;
      const meta = await readFile(full, 'utf8').then((raw) => JSON.parse(raw) as StoredFileMeta).catch(() => undefined);
      if (meta !== undefined && meta.expiresAt > this.now()) continue;
      await rm(full, { force: true });
      await rm(this.path(token), { force: true });
      removed += 1;
    }
    return removed;
  }

  /** Sweeps every `intervalMs` (unref'd) until stop(). */
  startSweeping(intervalMs = 3600 * 1000): void {
    const run = () =>
      void this.sweep().then(
        (n) => n > 0 && this.opts.logger.info({ removed: n }, 'expired attachments removed'),
        (err: unknown) => this.opts.logger.warn({ err }, 'attachment sweep failed'),
      );
    run();
    this.sweeper = setInterval(run, intervalMs);
    this.sweeper.unref();
  }

  stopSweeping(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /**
   * `GET /files/<domain>/:token/:name`: the exact bytes with their type, as
   * a download (never rendered in the gateway's origin: nosniff, attachment
   * disposition). 404 for anything not live, including a name that is not
   * the file's.
   */
  routes(): FastifyPluginAsync {
    return async (app) => {
      app.get<{ Params: { token: string; name: string } }>(
        '/:token/:name',
        { schema: { params: { type: 'object', properties: { token: { type: 'string' }, name: { type: 'string' } }, required: ['token', 'name'] } } },
        async (req, reply) => {
          const meta = await this.lookup(req.params.token);
          if (meta === undefined || meta.name !== req.params.name) {
            return reply.code(404).send({ error: 'NOT_FOUND', message: 'no such file (or it has expired)' });
          }
          const ascii = meta.name.replace(/[^\x20-\x7e]/g, '_').replace(/[\\"]/g, '_');
          return reply
            .header('content-type', meta.type)
            .header('content-length', String(meta.size))
            .header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(meta.name)}`)
            .header('x-content-type-options', 'nosniff')
            .header('cache-control', 'private, max-age=3600')
            .send(createReadStream(this.path(req.params.token)));
        },
      );
    };
  }
}

/** A stored file as the message's XEP-0066 link. */
export function asAttachment(file: StoredFile): Attachment {
  return { url: file.url, name: file.name, type: file.type, size: file.size };
}
