/**
 * An SMTP relay double: a real SMTP server (smtp-server) on a free loopback
 * port that takes every mail, parses it with mailparser and records the
 * envelope, the headers, the parsed mail and the raw bytes. It can answer a
 * 4xx or 5xx at RCPT TO or at the end of DATA for the next N mails, ask for
 * AUTH, and offer STARTTLS (or speak TLS from the start) with the test
 * certificate in test/fixtures/tls. Written from the SMTP RFCs and the
 * smtp-server / mailparser documentation, never from the gateway's relay.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';

const TLS_DIR = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));

/** A scripted refusal: `code` and `text` answered at `at` for the next mails. */
export interface SinkFault {
  at: 'RCPT' | 'DATA';
  code: number;
  text: string;
}

/** One mail the sink took. */
export interface SunkMail {
  envelope: { mailFrom: string; rcptTo: string[] };
  /** Header lines, names lower-cased, as mailparser read them (values decoded). */
  headers: ParsedMail['headers'];
  parsed: ParsedMail;
  raw: Buffer;
  /** The AUTH user, when the client logged in. */
  user: string | undefined;
  /** Whether the session ran over TLS (STARTTLS or implicit). */
  secure: boolean;
  at: Date;
}

export interface SinkOptions {
  /** `starttls`: offer STARTTLS on a plain port. `implicit`: TLS from the first byte (smtps). Default: plain only. */
  tls?: 'starttls' | 'implicit';
  /** Require AUTH with these credentials (allowed over TLS only when tls is set). */
  auth?: { user: string; pass: string };
}

export class SmtpSink {
  readonly mails: SunkMail[] = [];
  /** Refusals answered, oldest first, as `<code> <text>` with the stage. */
  readonly refused: Array<{ at: SinkFault['at']; code: number; to: string[] }> = [];
  /** Sessions opened (connections), for "did the gateway connect at all". */
  connections = 0;
  private readonly faults: SinkFault[] = [];
  private readonly server: SMTPServer;

  private constructor(private readonly opts: SinkOptions) {
    const tlsFiles = opts.tls === undefined ? {} : { key: readFileSync(`${TLS_DIR}xmpp.test.key`), cert: readFileSync(`${TLS_DIR}xmpp.test.crt`) };
    const options: SMTPServerOptions = {
      ...tlsFiles,
      secure: opts.tls === 'implicit',
      disabledCommands: opts.tls === undefined ? ['STARTTLS'] : [],
      authOptional: opts.auth === undefined,
      allowInsecureAuth: false,
      logger: false,
      size: 50 * 1024 * 1024,
      onConnect: (_session, callback) => {
        this.connections += 1;
        callback();
      },
      onAuth: (auth, _session, callback) => {
        const want = opts.auth;
        if (want !== undefined && auth.username === want.user && auth.password === want.pass) return callback(null, { user: auth.username });
        return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onRcptTo: (address, session, callback) => {
        const fault = this.takeFault('RCPT');
        if (fault === undefined) return callback();
        this.refused.push({ at: 'RCPT', code: fault.code, to: [address.address] });
        return callback(Object.assign(new Error(fault.text), { responseCode: fault.code }));
      },
      onData: (stream, session, callback) => void this.receive(stream, session, callback),
    };
    this.server = new SMTPServer(options);
  }

  static async start(opts: SinkOptions = {}): Promise<SmtpSink> {
    const sink = new SmtpSink(opts);
    await new Promise<void>((resolve, reject) => {
      sink.server.once('error', reject);
      sink.server.listen(0, '127.0.0.1', () => resolve());
    });
    return sink;
  }

  get port(): number {
    return (this.server.server.address() as AddressInfo).port;
  }

  /** The relay URL the gateway's `smtp.url` takes: with the credentials, and smtps:// for implicit TLS. */
  get url(): string {
    const scheme = this.opts.tls === 'implicit' ? 'smtps' : 'smtp';
    const auth = this.opts.auth === undefined ? '' : `${encodeURIComponent(this.opts.auth.user)}:${encodeURIComponent(this.opts.auth.pass)}@`;
    return `${scheme}://${auth}127.0.0.1:${this.port}`;
  }

  /** The component's `smtp:` section (one YAML flow line); the test certificate is self-signed. */
  configSection(extra: Record<string, string | number | boolean> = {}): string {
    const more = Object.entries(extra).map(([k, v]) => `, ${k}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`).join('');
    return `smtp: { url: ${JSON.stringify(this.url)}, rejectUnauthorized: false${more} }`;
  }

  /** The next `count` mails are refused with `fault` (after any already scripted). */
  failNext(fault: SinkFault, count = 1): void {
    for (let i = 0; i < count; i++) this.faults.push(fault);
  }

  /** Forgets scripted refusals. */
  heal(): void {
    this.faults.length = 0;
  }

  /** Mails sent to `address`, oldest first. */
  to(address: string): SunkMail[] {
    return this.mails.filter((m) => m.envelope.rcptTo.includes(address));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private takeFault(at: SinkFault['at']): SinkFault | undefined {
    if (this.faults[0]?.at !== at) return undefined;
    return this.faults.shift();
  }

  private async receive(stream: NodeJS.ReadableStream, session: SMTPServerSession, callback: (err?: Error | null) => void): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    const rcptTo = session.envelope.rcptTo.map((a) => a.address);
    const fault = this.takeFault('DATA');
    if (fault !== undefined) {
      this.refused.push({ at: 'DATA', code: fault.code, to: rcptTo });
      return callback(Object.assign(new Error(fault.text), { responseCode: fault.code }));
    }
    const raw = Buffer.concat(chunks);
    const parsed = await simpleParser(raw);
    const mailFrom = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
    this.mails.push({
      envelope: { mailFrom, rcptTo },
      headers: parsed.headers,
      parsed,
      raw,
      user: typeof session.user === 'string' ? session.user : undefined,
      secure: session.secure,
      at: new Date(),
    });
    callback();
  }
}
