/**
 * A Direct TLS socket for the component link: TLS from the first byte, as
 * ejabberd's `ejabberd_service` listener with `tls: true` or a TLS tunnel
 * (stunnel, haproxy) in front of Prosody's component port expect. XEP-0114
 * itself has no STARTTLS, so without this the link is plaintext.
 *
 * @xmpp/connection makes its socket with `new this.Socket()` and uses only
 * connect(params), write(data, cb), end(), destroy() (and the read gate's
 * pause() and resume(), setNoDelay(), and cork() and uncork() for batched
 * writes) and the events connect,
 * data, error and close — the subset of net.Socket wrapped here around
 * tls.connect, with 'connect' emitted once the TLS handshake is done.
 * https://nodejs.org/api/tls.html#tlsconnectoptions-callback
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { GatewayError } from '../errors/registry.js';

export interface ComponentTlsOptions {
  /** Name the server's certificate must carry (default: the host connected to). */
  servername?: string;
  /** PEM file of the CA that signed the server's certificate (default: the system's CAs). */
  caFile?: string;
  /** Refuse a certificate that does not verify (default true; false only for a test server). */
  rejectUnauthorized: boolean;
}

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new GatewayError('CONFIG_INVALID', `xmpp.tls.caFile: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** A socket class for @xmpp/connection that speaks TLS with these options. */
export function directTlsSocket(opts: ComponentTlsOptions): new () => EventEmitter {
  const ca = opts.caFile === undefined ? undefined : readCa(opts.caFile);
  return class DirectTlsSocket extends EventEmitter {
    private socket: TLSSocket | undefined;

    connect(params: { host: string; port: number }): void {
      const socket = tlsConnect({
        host: params.host,
        port: params.port,
        servername: opts.servername ?? params.host,
        rejectUnauthorized: opts.rejectUnauthorized,
        ...(ca === undefined ? {} : { ca }),
      });
      this.socket = socket;
      socket.on('secureConnect', () => this.emit('connect'));
      socket.on('data', (data: Buffer) => this.emit('data', data));
      socket.on('error', (err: Error) => this.emit('error', err));
      socket.on('close', (hadError: boolean) => this.emit('close', hadError));
    }

    /** Turns Nagle's algorithm off on the TCP socket under TLS (the connection asks, once connected). */
    setNoDelay(noDelay: boolean): void {
      this.socket?.setNoDelay(noDelay);
    }

    write(data: string, callback?: (err?: Error | null) => void): void {
      if (this.socket === undefined) {
        callback?.(new Error('the TLS socket is not connected'));
        return;
      }
      this.socket.write(data, callback);
    }

    /** Writes are held and leave together (batched writes, src/batched-writes.ts): in one TLS record where they fit. */
    cork(): void {
      this.socket?.cork();
    }

    uncork(): void {
      this.socket?.uncork();
    }

    end(): void {
      this.socket?.end();
    }

    /** Reading stops and starts again (the read gate's backpressure, read-gate.ts). */
    pause(): void {
      this.socket?.pause();
    }

    resume(): void {
      this.socket?.resume();
    }

    destroy(): void {
      this.socket?.destroy();
    }
  };
}
