/**
 * Writes made to a socket in one stretch of work leave in one system call:
 * the socket is corked at the first write and uncorked once the tick's work
 * (its promise continuations too) is done. What is written and
 * its order do not change, and each write's callback still fires once its
 * data is handed to the kernel; on loopback a write system call also runs the
 * receiver's side of TCP, so the gateway's Redis and XMPP links each saved a
 * write per message or more (src/queue/redis.ts, src/component/connection.ts).
 */

/** What is batched: a net or TLS socket, or the component link's Direct TLS wrapper (src/component/tls-socket.ts). */
export interface CorkableSocket {
  write(...args: never[]): unknown;
  cork(): void;
  uncork(): void;
}

const batched = new WeakSet<CorkableSocket>();

export function batchWrites(socket: CorkableSocket): void {
  if (batched.has(socket)) return;
  batched.add(socket);
  const write = socket.write;
  let corked = false;
  const flush = (): void => {
    corked = false;
    socket.uncork();
  };
  socket.write = function (this: CorkableSocket, ...args: never[]): unknown {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(flush);
    }
    return Reflect.apply(write, this, args);
  };
}
