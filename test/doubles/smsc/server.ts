/**
 * A local SMSC for tests, built on the `smpp` package's own server
 * (smpp.createServer), so the adapter meets real SMPP v3.4 PDUs on a real
 * socket (STYLE.md rule 10).
 *
 * As the SMSC the adapter binds to:
 *   - bind_transceiver: checks system_id/password (ESME_RBINDFAIL otherwise,
 *     then closes), or refuses every bind while `refuseBinds` is set;
 *   - submit_sm: recorded with the raw short_message octets from the wire and
 *     the library's decoding of them; answered with a fresh message_id, or as
 *     scripted (`failNext`: a status, or no answer at all), after
 *     `responseDelayMs`; the peak of unanswered submits is kept;
 *   - enquire_link and unbind are answered and counted.
 * As the SMSC delivering to the adapter:
 *   - deliver() / deliverParts() / deliverReceipt() send deliver_sm and
 *     resolve with the command_status of the adapter's deliver_sm_resp;
 *   - dropConnections() cuts every link without unbind.
 *
 * The decoding here is the library's and this file's, written apart from the
 * adapter's on purpose.
 */
import type { AddressInfo } from 'node:net';
import smpp from 'smpp';
import {
  addressing,
  gsmEncodable,
  receiptFields,
  recordSubmit,
  wholeMessages,
  type InboundSmsOptions,
  type RecordedSubmit,
  type SentSms,
  type SubmitFailure,
} from './pdu.js';

export class SmscDouble {
  readonly submits: RecordedSubmit[] = [];
  /** Successful binds so far. */
  binds = 0;
  /** Every bind_transceiver received, good or bad. */
  bindAttempts = 0;
  enquireLinks = 0;
  unbinds = 0;
  /** Delay before every submit_sm_resp. */
  responseDelayMs = 0;
  /** Most submits awaiting their response at the same moment. */
  peakOutstanding = 0;
  /** While set, every bind is refused with this status. */
  refuseBinds: number | undefined;
  /** Whether enquire_link gets an answer. */
  answerEnquireLinks = true;
  private outstanding = 0;
  private failures: SubmitFailure[] = [];
  private nextId = 1;
  private readonly bound = new Set<smpp.Session>();
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly server: smpp.Server,
    readonly port: number,
    readonly systemId: string,
    readonly password: string,
  ) {}

  static async start(opts: { systemId?: string; password?: string } = {}): Promise<SmscDouble> {
    const server = smpp.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const double = new SmscDouble(server, port, opts.systemId ?? 'gateway', opts.password ?? 'secret12');
    server.on('session', (session) => double.attach(session));
    return double;
  }

  get host(): string {
    return '127.0.0.1';
  }

  /** Submits whose response has not gone out yet. */
  get unanswered(): number {
    return this.outstanding;
  }

  /** Whether an adapter is bound right now. */
  get isBound(): boolean {
    return this.bound.size > 0;
  }

  /** Whole messages sent, oldest first; concatenated ones once all parts are in. */
  get messages(): SentSms[] {
    return wholeMessages(this.submits);
  }

  /** The next `count` submits are answered this way (queued after earlier scripts). */
  failNext(failure: SubmitFailure, count = 1): void {
    for (let i = 0; i < count; i++) this.failures.push(failure);
  }

  heal(): void {
    this.failures = [];
    this.refuseBinds = undefined;
    this.responseDelayMs = 0;
  }

  /** Resolves once `count` successful binds have happened in total. */
  async waitForBinds(count: number, timeoutMs = 5000): Promise<void> {
    await this.until(() => this.binds >= count, timeoutMs, `${count} binds (have ${this.binds})`);
  }

  /** Polls a condition that the double's events change. */
  async until(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`SMSC double: timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, 20);
        this.waiters.add(wake);
      });
    }
  }

  private changed(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Cuts every connection at once, without unbind. */
  dropConnections(): void {
    for (const session of [...this.server.sessions]) session.destroy();
  }

  /**
   * A plain text message to the adapter; resolves with its deliver_sm_resp
   * command_status. `octets` sends those bytes as short_message unchanged
   * (with `dataCoding`), for codings the library would re-encode.
   */
  deliver(opts: InboundSmsOptions & { text: string; octets?: Buffer }): Promise<number> {
    const dataCoding = opts.dataCoding ?? (gsmEncodable(opts.text) ? 0x00 : 0x08);
    return this.sendDeliverSm({ ...addressing(opts), data_coding: dataCoding, short_message: opts.octets ?? opts.text });
  }

  /**
   * A concatenated message, one deliver_sm per given part, in the given
   * order: UDH with an 8-bit (IE 00) or 16-bit (IE 08) reference, or the
   * sar_* TLVs. Resolves with each part's deliver_sm_resp status.
   */
  async deliverParts(
    opts: InboundSmsOptions & { parts: string[]; ref: number; scheme?: 'udh8' | 'udh16' | 'sar'; order?: number[]; total?: number },
  ): Promise<number[]> {
    const scheme = opts.scheme ?? 'udh8';
    const total = opts.total ?? opts.parts.length;
    const dataCoding = opts.dataCoding ?? (opts.parts.every(gsmEncodable) ? 0x00 : 0x08);
    const statuses: number[] = [];
    const order = opts.order ?? opts.parts.map((_p, i) => i + 1);
    for (const seq of order) {
      const text = opts.parts[seq - 1] ?? '';
      const fields: smpp.PduFields = { ...addressing(opts), data_coding: dataCoding };
      if (scheme === 'sar') {
        Object.assign(fields, { short_message: text, sar_msg_ref_num: opts.ref, sar_total_segments: total, sar_segment_seqnum: seq });
      } else {
        const udh =
          scheme === 'udh8'
            ? Buffer.from([0x05, 0x00, 0x03, opts.ref & 0xff, total, seq])
            : Buffer.from([0x06, 0x08, 0x04, (opts.ref >> 8) & 0xff, opts.ref & 0xff, total, seq]);
        Object.assign(fields, { esm_class: 0x40, short_message: { udh, message: text } });
      }
      statuses.push(await this.sendDeliverSm(fields));
    }
    return statuses;
  }

  /**
   * A delivery receipt (SMPP 3.4 Appendix B text, esm_class 0x04) for a
   * message id this double answered; with `tlv`, also the
   * receipted_message_id and message_state TLVs; `esmClass` 0x20 makes it
   * an intermediate delivery notification.
   */
  deliverReceipt(messageId: string, stat: string, opts: { err?: string; tlv?: boolean; esmClass?: number } = {}): Promise<number> {
    return this.sendDeliverSm(receiptFields(messageId, stat, this.submits.find((s) => s.messageId === messageId), opts));
  }

  /** Sends enquire_link to the bound adapter; resolves with the response's command_status. */
  enquireLink(): Promise<number> {
    const session = this.boundSession();
    return new Promise((resolve) => session.enquire_link({}, (resp) => resolve(resp.command_status)));
  }

  /** Unbinds the adapter from the SMSC side; resolves with the unbind_resp status. */
  unbind(): Promise<number> {
    const session = this.boundSession();
    this.bound.delete(session);
    return new Promise((resolve) => session.unbind({}, (resp) => resolve(resp.command_status)));
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private boundSession(): smpp.Session {
    const session = [...this.bound].pop();
    if (session === undefined) throw new Error('SMSC double: no adapter is bound');
    return session;
  }

  private sendDeliverSm(fields: smpp.PduFields): Promise<number> {
    const session = this.boundSession();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('SMSC double: no deliver_sm_resp within 5 s')), 5000);
      const written = session.deliver_sm(fields, (resp) => {
        clearTimeout(timer);
        resolve(resp.command_status);
      });
      if (!written) {
        clearTimeout(timer);
        reject(new Error('SMSC double: the link is not writable'));
      }
    });
  }

  private attach(session: smpp.Session): void {
    // Keep the raw octets of each PDU: the library reads the length (4 octets), then the rest.
    const socket = session.socket;
    const read = socket.read.bind(socket);
    let head: Buffer | undefined;
    let lastRaw = Buffer.alloc(0);
    socket.read = ((size?: number) => {
      const chunk = read(size) as Buffer | null;
      if (chunk !== null) {
        if (size === 4) head = chunk;
        else lastRaw = Buffer.concat([head ?? Buffer.alloc(0), chunk]);
      }
      return chunk;
    }) as typeof socket.read;

    session.on('error', () => undefined);
    session.on('close', () => {
      this.bound.delete(session);
      this.changed();
    });
    session.on('bind_transceiver', (pdu) => {
      this.bindAttempts++;
      const ok = this.refuseBinds === undefined && pdu.system_id === this.systemId && pdu.password === this.password;
      if (!ok) {
        session.send(pdu.response({ command_status: this.refuseBinds ?? smpp.ESME_RBINDFAIL }), () => session.close());
        this.changed();
        return;
      }
      session.send(pdu.response({ system_id: 'smsc-double' }));
      this.bound.add(session);
      this.binds++;
      this.changed();
    });
    session.on('enquire_link', (pdu) => {
      this.enquireLinks++;
      if (this.answerEnquireLinks) session.send(pdu.response());
      this.changed();
    });
    session.on('unbind', (pdu) => {
      this.unbinds++;
      this.bound.delete(session);
      session.send(pdu.response(), () => session.close());
      this.changed();
    });
    session.on('submit_sm', (pdu) => this.onSubmit(session, pdu, lastRaw));
  }

  private onSubmit(session: smpp.Session, pdu: smpp.PDU, raw: Buffer): void {
    const record = recordSubmit(pdu, raw);
    this.submits.push(record);
    const failure = this.failures.shift();
    this.outstanding++;
    this.peakOutstanding = Math.max(this.peakOutstanding, this.outstanding);
    this.changed();
    if (failure?.kind === 'no-answer') return;
    setTimeout(() => {
      this.outstanding--;
      if (failure?.kind === 'status') {
        record.answered = failure.status;
        session.send(pdu.response({ command_status: failure.status }));
      } else {
        record.messageId = `m${String(this.nextId++).padStart(6, '0')}`;
        record.answered = smpp.ESME_ROK;
        session.send(pdu.response({ message_id: record.messageId }));
      }
      this.changed();
    }, this.responseDelayMs);
  }
}
