/**
 * The attachment store (adapters/email/smtp/inbound/files.ts) on the
 * gateway's HTTP server: exact bytes back with safe headers, caps, expiry
 * (served and swept), unguessable and untraversable URLs, and a second
 * store on the same directory (another gateway process) serving the file.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AttachmentStore, safeFileName } from '../../../adapters/email/smtp/inbound/files.js';
import type { GatewayServer } from '../../../src/http/server.js';
import { gatewayServer } from '../../support/fixtures.js';

const DOMAIN = 'mail.localhost';
const DAY = 24 * 3600 * 1000;
let dir: string;
let clock: number;
let apps: GatewayServer[];

function store(): AttachmentStore {
  return new AttachmentStore({ dir, baseUrl: `http://gw.example/files/${DOMAIN}`, expiryDays: 2, logger: pino({ level: 'silent' }), now: () => clock });
}

async function serving(s: AttachmentStore): Promise<GatewayServer> {
  const app = gatewayServer(pino({ level: 'silent' }));
  app.registerAdapterRoutes({ domain: DOMAIN, scope: 'files', plugin: s.routes() });
  await app.ready();
  apps.push(app);
  return app;
}

const pathOf = (url: string) => new URL(url).pathname;
const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x10, 0x80]);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xgw-files-'));
  clock = Date.UTC(2026, 11, 1);
  apps = [];
});
afterEach(async () => {
  for (const app of apps) await app.close();
  await rm(dir, { recursive: true, force: true });
});

describe('attachment store', () => {
  it('serves the exact bytes under an unguessable URL, as a download, from any process sharing the directory', async () => {
    const saved = await store().save(Readable.from([bytes]), { name: 'Ünïcode photo.png', type: 'image/png' }, 1024);
    expect(saved.kept).toBe(true);
    if (!saved.kept) return;
    expect(saved.file.url).toMatch(new RegExp(`^http://gw\\.example/files/${DOMAIN}/[A-Za-z0-9_-]{43}/%C3%9Cn%C3%AFcode%20photo\\.png$`));
    const other = await serving(store()); // a second process: nothing shared but the directory
    const res = await other.inject({ method: 'GET', url: pathOf(saved.file.url) });
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(bytes)).toBe(true);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="_n_code photo.png"; filename*=UTF-8''%C3%9Cn%C3%AFcode%20photo.png`);
  });

  it('answers 404 for an unknown token, a wrong name, traversal attempts and an expired file; the sweep deletes expired files', async () => {
    const s = store();
    const app = await serving(s);
    const saved = await s.save(Readable.from([bytes]), { name: 'a.bin', type: 'application/octet-stream' }, 1024);
    if (!saved.kept) throw new Error('not kept');
    const token = saved.file.token;
    for (const url of [
      `/files/${DOMAIN}/${'A'.repeat(43)}/a.bin`,
      `/files/${DOMAIN}/${token}/b.bin`,
      `/files/${DOMAIN}/..%2F..%2Fetc/passwd`,
      `/files/${DOMAIN}/${token}.json/a.bin`,
      `/files/${DOMAIN}/%2E%2E/a.bin`,
    ]) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
    expect((await app.inject({ method: 'GET', url: pathOf(saved.file.url) })).statusCode).toBe(200);
    clock += 2 * DAY + 1;
    expect((await app.inject({ method: 'GET', url: pathOf(saved.file.url) })).statusCode).toBe(404);
    expect(await readdir(dir)).toHaveLength(2);
    expect(await s.sweep()).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('keeps nothing of a file over its cap, and reads the stream to its end', async () => {
    const source = Readable.from([Buffer.alloc(600), Buffer.alloc(600), Buffer.alloc(600)]);
    const saved = await store().save(source, { name: 'big.iso', type: 'application/octet-stream' }, 1000);
    expect(saved).toEqual({ kept: false, refused: { name: 'big.iso', size: 1800, reason: 'over the size limit (1000 bytes)' } });
    expect(source.readableEnded).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it('makes file names safe: no paths, no quotes or control characters', () => {
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('C:\\Users\\bob\\report.pdf')).toBe('report.pdf');
    expect(safeFileName('a"b\r\n.txt')).toBe('ab.txt');
    expect(safeFileName('..')).toBe('attachment');
    expect(safeFileName(undefined, 'message.eml')).toBe('message.eml');
  });
});
