/**
 * Talking SMTP to the gateway's listener in tests: Debian's `swaks` (a real,
 * independent SMTP client) for whole transactions, and a bare socket dialogue
 * for the cases that need to act between two commands (stop Redis after RCPT,
 * hold connections open).
 */
import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';

export interface SwaksResult {
  /** swaks' exit code, swaks(1) "EXIT CODES": 0 delivered, 23 MAIL FROM refused, 24 no recipient accepted, 26 the mail refused after its data. */
  exitCode: number;
  /** The transcript: `<-  250 ...` and `<** 550 ...` lines are the server's replies. */
  output: string;
}

/**
 * Runs swaks against 127.0.0.1:`port`. `args` are swaks options, e.g.
 * `['--to', 'alice@mail.localhost', '--from', 'bob@example.net', '--body', 'hi']`;
 * `--from '<>'` is the null sender (bounces), `--body @file` a body too big for argv.
 */
export function swaks(port: number, args: string[], timeoutMs = 20_000): Promise<SwaksResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'swaks',
      ['--server', '127.0.0.1', '--port', String(port), '--helo', 'client.example.net', '--timeout', '15', ...args],
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : undefined;
        if (code === undefined) return reject(err ?? new Error('swaks did not run'));
        resolve({ exitCode: code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** All server reply lines of a swaks transcript, in order, without swaks' `<-  ` (expected) / `<** ` (unexpected) marks. */
export function serverReplies(output: string): string[] {
  return output
    .split('\n')
    .filter((l) => /^<(-|\*\*) /.test(l))
    .map((l) => l.replace(/^<(-|\*\*)\s+/, '').trim());
}

export interface SmtpReply {
  code: number;
  text: string;
}

/** One SMTP connection driven command by command. */
export class SmtpDialogue {
  private buffer = '';
  private waiting: Array<(reply: SmtpReply) => void> = [];
  private replies: SmtpReply[] = [];
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.take(chunk));
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => undefined);
  }

  /** Connects and resolves with the dialogue and the greeting (or the refusal the server opens with). */
  static async open(port: number): Promise<{ dialogue: SmtpDialogue; greeting: SmtpReply }> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const dialogue = new SmtpDialogue(socket);
    return { dialogue, greeting: await dialogue.next() };
  }

  private take(chunk: string): void {
    this.buffer += chunk;
    let lines: string[] = [];
    for (let nl = this.buffer.indexOf('\r\n'); nl >= 0; nl = this.buffer.indexOf('\r\n')) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 2);
      lines.push(line);
      if (/^\d{3} /.test(line)) {
        const reply = { code: Number(line.slice(0, 3)), text: lines.map((l) => l.slice(4)).join('\n') };
        lines = [];
        const waiter = this.waiting.shift();
        if (waiter) waiter(reply);
        else this.replies.push(reply);
      }
    }
  }

  /** The next reply from the server. */
  next(): Promise<SmtpReply> {
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Sends one command line and resolves with its reply. */
  async command(line: string): Promise<SmtpReply> {
    this.socket.write(`${line}\r\n`);
    return this.next();
  }

  /** Sends DATA, the mail (dot-stuffed, CRLF line ends) and the final dot; resolves with the reply to the mail. */
  async data(mail: string): Promise<SmtpReply> {
    const go = await this.command('DATA');
    if (go.code !== 354) return go;
    const body = mail.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    this.socket.write(`${body}${body.endsWith('\r\n') ? '' : '\r\n'}.\r\n`);
    return this.next();
  }

  close(): void {
    this.socket.destroy();
  }
}
