/**
 * Answering a request before its body is read (413 past http.bodyLimitBytes,
 * 415 refused unread) without resetting the client that is still sending it.
 *
 * Node ends a `Connection: close` response with `socket.destroySoon()`: the
 * answer, a FIN, then the socket is destroyed as soon as that is written
 * (lib/_http_server.js, resOnFinish). If the client's body is still arriving,
 * the kernel answers the unread bytes with a reset, the client's next write
 * fails (EPIPE) and a client that had not yet read the 413 loses it: the
 * provider sees a broken connection and retries, instead of learning that
 * the body is too large. RFC 9112 §9.6 (tear-down) asks for a close in
 * stages instead: half-close, keep reading until the client closes or the
 * server may assume it has the answer, then close. Here the rest of the body
 * is read and thrown away, up to a bound in bytes and in time, and only then
 * is the socket destroyed. https://www.rfc-editor.org/rfc/rfc9112#section-9.6
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** How much of a refused body is read and discarded after the answer, at most. */
export interface DrainBounds {
  /** Bytes read after the answer; beyond this the client is cut off. */
  maxBytes: number;
  /** Time after the answer; beyond this the client is cut off. */
  maxMs: number;
}

/** Several times any body a provider sends, and long enough for a client on a slow link to finish a few MB. */
export const DEFAULT_DRAIN: DrainBounds = { maxBytes: 4 * 1024 * 1024, maxMs: 5_000 };

/**
 * Reads and discards what is left of `req`'s body; when the answer closes the
 * connection, the socket is half-closed after the answer and destroyed only
 * once the client has closed its side or a bound is passed.
 */
export function drainRefusedBody(req: IncomingMessage, closing: boolean, bounds: DrainBounds = DEFAULT_DRAIN): void {
  const socket = req.socket;
  // Fastify's inject() hands a stand-in socket without destroy(): nothing to cut off there.
  const cutOff = () => (typeof socket.destroy === 'function' ? socket.destroy() : undefined);
  const timer = setTimeout(cutOff, bounds.maxMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > bounds.maxBytes) cutOff();
  });
  // A complete body needs no more waiting on this request; a keep-alive connection goes on as usual.
  req.once('end', () => {
    if (!closing) clearTimeout(timer);
  });
  req.resume();
  // The half-close of Node's destroySoon() without its destroy: the client's FIN (or a bound) ends the socket.
  if (closing) socket.destroySoon = () => socket.end();
}

/**
 * An onSend hook for the whole server: any answer sent while its request's
 * body is still unread drains that body (see drainRefusedBody).
 */
export function drainUnreadBodies(app: FastifyInstance, bounds: DrainBounds = DEFAULT_DRAIN): void {
  app.addHook('onSend', async (req, reply, payload) => {
    if (!req.raw.complete) drainRefusedBody(req.raw, String(reply.getHeader('connection') ?? '').toLowerCase() === 'close', bounds);
    return payload;
  });
}
