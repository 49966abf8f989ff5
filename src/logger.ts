/** The process logger: pino JSON lines on stdout. */
import { pino, type Logger } from 'pino';

export function createLogger(level: string, name = 'xmpp-gateway'): Logger {
  return pino({ name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
