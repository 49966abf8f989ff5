/**
 * The SMPP adapter against golden PDUs written from the SMPP 3.4
 * specification (./golden-pdus.ts): what it writes on the wire must be those
 * bytes exactly, and what it reads from them must be the spec's fields. The
 * SMSC here is a bare TCP socket that compares and answers bytes, so neither
 * side of the exchange is the `smpp` package the adapter uses.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import smpp from 'smpp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { concatFromUdh } from '../../../../adapters/sms/smpp/codec.js';
import { SmppAdapter } from '../../../../adapters/sms/smpp/index.js';
import { adapterContext, outboundMessage, providerConfig, type RecordingContext } from '../../../support/fixtures.js';
import { eventually } from '../../../support/waits.js';
import {
  BIND_TRANSCEIVER,
  BIND_TRANSCEIVER_RESP,
  DELIVER_SM_RECEIPT,
  DELIVER_SM_RESP,
  LONG_TEXT,
  RECEIPT_TEXT,
  SUBMIT_SM_PART_1,
  SUBMIT_SM_PART_2,
  SUBMIT_SM_RESP_1,
  SUBMIT_SM_RESP_2,
} from './golden-pdus.js';

const hex = (b: Buffer) => b.toString('hex');

/** One accepted connection: the PDUs the adapter wrote, split by command_length. */
class WireSide {
  private buffered = Buffer.alloc(0);
  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => (this.buffered = Buffer.concat([this.buffered, chunk])));
  }

  /** The next whole PDU the adapter wrote. */
  next(what: string): Promise<Buffer> {
    return eventually(
      () => {
        if (this.buffered.length < 4 || this.buffered.length < this.buffered.readUInt32BE(0)) return undefined;
        const length = this.buffered.readUInt32BE(0);
        const pdu = Buffer.from(this.buffered.subarray(0, length));
        this.buffered = this.buffered.subarray(length);
        return pdu;
      },
      2_000,
      what,
      5,
    );
  }

  write(pdu: Buffer): void {
    this.socket.write(pdu);
  }
}

describe('the SMPP adapter on golden SMPP 3.4 PDUs', () => {
  let server: Server;
  let port: number;
  const accepted: Socket[] = [];
  let adapter: SmppAdapter | undefined;

  beforeAll(async () => {
    server = createServer((socket) => void accepted.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    // The SMSC side goes first, so stop() has no unbind to wait an answer for.
    for (const socket of accepted.splice(0)) socket.destroy();
    await adapter?.stop();
    adapter = undefined;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Starts an adapter (concatenation reference 0x2a) and answers its bind; returns the bind it sent. */
  async function bound(): Promise<{ wire: WireSide; ctx: RecordingContext; bind: Buffer }> {
    const config = providerConfig('smpp', {
      domain: 'sms.test',
      numbers: { '+15550001111': 'alice@localhost' },
      smpp: { host: '127.0.0.1', port, systemId: 'gw-test', password: 'secret1', enquireLinkSeconds: 0, submitTimeoutMs: 2_000 },
    });
    // The adapter starts its 8-bit concatenation reference at random; this one is 0x2a.
    const random = vi.spyOn(Math, 'random').mockReturnValueOnce(0x2a / 256);
    const started = new SmppAdapter(config);
    random.mockRestore();
    adapter = started;
    const ctx = adapterContext(config);
    const starting = started.start(ctx);
    const socket = await eventually(() => accepted[0], 2_000, 'the adapter to connect');
    const wire = new WireSide(socket);
    const bind = await wire.next('bind_transceiver');
    wire.write(BIND_TRANSCEIVER_RESP);
    await starting;
    return { wire, ctx, bind };
  }

  it('bind_transceiver: writes the golden bytes, and is bound by the golden response', async () => {
    const { bind } = await bound();
    expect(hex(bind)).toBe(hex(BIND_TRANSCEIVER));
    expect(adapter?.smppLink?.bound).toBe(true);
  });

  it('submit_sm with a concatenation UDH: a 161-character text goes as the two golden parts', async () => {
    const { wire } = await bound();
    const sending = adapter!.send(outboundMessage({ componentDomain: 'sms.test', body: LONG_TEXT, from: '+15550001111', to: '+15551234567' }), {
      attempt: 1,
      signal: new AbortController().signal,
    });
    const first = await wire.next('submit_sm part 1');
    wire.write(SUBMIT_SM_RESP_1);
    const second = await wire.next('submit_sm part 2');
    wire.write(SUBMIT_SM_RESP_2);
    expect(hex(first)).toBe(hex(SUBMIT_SM_PART_1));
    expect(hex(second)).toBe(hex(SUBMIT_SM_PART_2));
    await expect(sending).resolves.toEqual({ providerMessageId: '7d3f0a12' });
  });

  it('deliver_sm receipt: the golden PDU is a delivered status for 7d3f0a12, answered with the golden deliver_sm_resp', async () => {
    const { wire, ctx } = await bound();
    wire.write(DELIVER_SM_RECEIPT);
    const answer = await wire.next('deliver_sm_resp');
    expect(hex(answer)).toBe(hex(DELIVER_SM_RESP));
    expect(ctx.emitted).toEqual([{ kind: 'status', providerMessageId: '7d3f0a12', status: 'delivered' }]);
  });

  it('the decoder the adapter uses reads each golden PDU back to the fields of the spec', () => {
    const read = (golden: Buffer) => new smpp.PDU(golden);
    expect(read(BIND_TRANSCEIVER)).toMatchObject({
      command: 'bind_transceiver',
      command_length: 37,
      command_status: 0,
      sequence_number: 1,
      system_id: 'gw-test',
      password: 'secret1',
      system_type: '',
      interface_version: 0x34,
      addr_ton: 0,
      addr_npi: 0,
      address_range: '',
    });
    expect(read(BIND_TRANSCEIVER_RESP)).toMatchObject({ command: 'bind_transceiver_resp', command_status: 0, sequence_number: 1, system_id: 'SMSC' });

    const parts = [SUBMIT_SM_PART_1, SUBMIT_SM_PART_2].map(read);
    for (const [i, part] of parts.entries()) {
      expect(part).toMatchObject({
        command: 'submit_sm',
        sequence_number: i + 2,
        service_type: '',
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: '15550001111',
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: '15551234567',
        esm_class: 0x40,
        registered_delivery: i === 1 ? 1 : 0,
        data_coding: 0,
      });
      const { udh, message } = part.short_message as smpp.DecodedMessage;
      expect(concatFromUdh(udh ?? [])).toEqual({ ref: 0x2a, refBits: 8, total: 2, seq: i + 1 });
      expect(message).toBe(i === 0 ? LONG_TEXT.slice(0, 153) : LONG_TEXT.slice(153));
    }
    expect(read(SUBMIT_SM_RESP_2)).toMatchObject({ command: 'submit_sm_resp', command_status: 0, sequence_number: 3, message_id: '7d3f0a12' });

    expect(read(DELIVER_SM_RECEIPT)).toMatchObject({
      command: 'deliver_sm',
      sequence_number: 7,
      source_addr: '15551234567',
      destination_addr: '15550001111',
      esm_class: 0x04,
      data_coding: 0,
      short_message: { message: RECEIPT_TEXT },
    });
    expect(read(DELIVER_SM_RESP)).toMatchObject({ command: 'deliver_sm_resp', command_status: 0, sequence_number: 7, message_id: '' });
  });
});
