/** SMPP text coding, UDH, submit_sm plans and command_status classification (pure). */
import smpp from 'smpp';
import { describe, expect, it } from 'vitest';
import {
  concatFromUdh,
  concatUdh,
  encodeGsm7,
  encodeUcs2,
  inboundText,
  readAsGsm,
  resolveGsmEscapes,
} from '../../../../adapters/sms/smpp/codec.js';
import { describeStatus, statusByName, statusName, submitError } from '../../../../adapters/sms/smpp/status.js';
import { planSubmits, smppAddress } from '../../../../adapters/sms/smpp/submit.js';
import { GatewayError } from '../../../../src/errors/registry.js';

const hex = (b: Buffer) => b.toString('hex');

describe('encodeGsm7 (one septet per octet, data_coding 0)', () => {
  it.each([
    ['@', '00'],
    ['$', '02'],
    ['_', '11'],
    ['A', '41'],
    ['¡', '40'],
    ['Ä', '5b'],
    ['à', '7f'],
    ['€', '1b65'],
    ['{}', '1b281b29'],
    ['[\\]', '1b3c1b2f1b3e'],
    ['^~|', '1b141b3d1b40'],
    ['Hi!', '486921'],
  ])('%j -> %s', (text, octets) => {
    expect(hex(encodeGsm7(text))).toBe(octets);
  });

  it('refuses characters outside GSM-7', () => {
    expect(() => encodeGsm7('ł')).toThrow(/U\+142/);
  });

  it('decodes back through the smpp library to the same text', () => {
    const text = 'Price: 5€ {net} [x] ~ok~ | a^b \\ @£$¥';
    const pdu = new smpp.PDU('deliver_sm', { data_coding: 0, short_message: encodeGsm7(text) });
    const parsed = new smpp.PDU(pdu.toBuffer());
    expect((parsed.short_message as smpp.DecodedMessage).message).toBe(text);
  });
});

describe('encodeUcs2 (UTF-16BE, data_coding 8)', () => {
  it('writes surrogate pairs as they are', () => {
    expect(hex(encodeUcs2('Hi 😀'))).toBe('004800690020d83dde00');
    expect(hex(encodeUcs2('ł你'))).toBe('01424f60');
  });
});

describe('concatenation UDH', () => {
  it('builds IE 00 (8-bit reference)', () => {
    expect(hex(concatUdh(0x2a, 3, 1))).toBe('0500032a0301');
    expect(hex(concatUdh(300, 2, 2))).toBe('0500032c0202');
  });

  it.each([
    [[Buffer.from('00032a0302', 'hex')], { ref: 0x2a, refBits: 8, total: 3, seq: 2 }],
    [[Buffer.from('0804beef0201', 'hex')], { ref: 0xbeef, refBits: 16, total: 2, seq: 1 }],
    [[Buffer.from('0a03010203', 'hex'), Buffer.from('00030a0202', 'hex')], { ref: 10, refBits: 8, total: 2, seq: 2 }],
    [[Buffer.from('00032a0300', 'hex')], undefined], // seq 0
    [[Buffer.from('00032a0204', 'hex')], undefined], // seq > total
    [[Buffer.from('0a03010203', 'hex')], undefined], // no concatenation IE
    [[], undefined],
  ])('reads %j', (ies, expected) => {
    expect(concatFromUdh(ies)).toEqual(expected);
  });
});

describe('inbound text', () => {
  it('maps IA5 (data_coding 1) back from the library’s GSM reading', () => {
    const octets = Buffer.from('user_name@example.com $5', 'ascii');
    const pdu = new smpp.PDU(new smpp.PDU('deliver_sm', { data_coding: 1, short_message: octets }).toBuffer());
    const decoded = (pdu.short_message as smpp.DecodedMessage).message;
    expect(decoded).not.toBe('user_name@example.com $5'); // the library reads it as GSM
    expect(inboundText(decoded, 1)).toBe('user_name@example.com $5');
  });

  it('leaves other codings to the library and refuses binary data', () => {
    expect(inboundText('café', 3)).toBe('café');
    expect(inboundText('你好', 8)).toBe('你好');
    expect(inboundText(Buffer.from([1, 2, 3]), 4)).toBeUndefined();
  });

  it.each([
    ['\u001be', '€'],
    ['5\u001b', '5'],
    ['\u001b(x\u001b)', '{x}'],
    ['\u001bA', 'A'],
    ['plain', 'plain'],
  ])('resolves GSM escapes left across parts: %j -> %j', (text, expected) => {
    expect(resolveGsmEscapes(text)).toBe(expected);
  });

  it('knows which codings the library read as GSM', () => {
    expect([0x00, 0x01, 0x03, 0x08, 0xf0, 0xf4, 0x11].map(readAsGsm)).toEqual([true, false, false, false, true, false, true]);
  });
});

describe('planSubmits', () => {
  const from = smppAddress('+15550001111', { ton: 1, npi: 1 });
  const to = smppAddress('+15551234567', { ton: 1, npi: 1 });

  it('sends one GSM-7 submit_sm with a receipt request for a short text', () => {
    const plan = planSubmits('Hello €', from, to, 7);
    expect(plan.encoding).toBe('gsm7');
    expect(plan.parts).toEqual([
      expect.objectContaining({
        source_addr: '15550001111',
        source_addr_ton: 1,
        destination_addr: '15551234567',
        esm_class: 0,
        registered_delivery: 1,
        data_coding: 0,
        short_message: Buffer.from('48656c6c6f201b65', 'hex'),
      }),
    ]);
  });

  it('concatenates a long text with UDHI, one reference and the receipt on the last part', () => {
    const plan = planSubmits('x'.repeat(320), from, to, 0x99);
    expect(plan.parts.map((p) => [p.esm_class, p.registered_delivery, hex((p.short_message as Buffer).subarray(0, 6))])).toEqual([
      [0x40, 0, '050003990301'],
      [0x40, 0, '050003990302'],
      [0x40, 1, '050003990303'],
    ]);
    expect(plan.parts.map((p) => (p.short_message as Buffer).length - 6)).toEqual([153, 153, 14]);
  });

  it('sends short codes as TON 3 / NPI 0', () => {
    expect(smppAddress('12345', { ton: 1, npi: 1 })).toEqual({ addr: '12345', ton: 3, npi: 0 });
  });

  it('refuses a text that needs more than 255 parts', () => {
    expect(() => planSubmits('x'.repeat(153 * 256), from, to, 1)).toThrow(GatewayError);
  });
});

describe('command_status', () => {
  it('names statuses and their meaning', () => {
    expect(statusName(0x58)).toBe('ESME_RTHROTTLED');
    expect(describeStatus(0x0b)).toBe('ESME_RINVDSTADR (invalid destination address)');
    expect(describeStatus(0x0400)).toMatch(/0x00000400/);
    expect(statusByName('ESME_RX_T_APPN')).toBe(0x64);
  });

  it.each([
    [0x58, 'RATE_LIMITED'],
    [0x14, 'RATE_LIMITED'],
    [0x08, 'PROVIDER_TRANSIENT'],
    [0x45, 'PROVIDER_TRANSIENT'],
    [0x04, 'PROVIDER_TRANSIENT'],
    [0xff, 'PROVIDER_TRANSIENT'],
    [0x0b, 'DELIVERY_REJECTED'],
    [0x0a, 'DELIVERY_REJECTED'],
    [0x01, 'DELIVERY_REJECTED'],
    [0x101, 'DELIVERY_REJECTED'],
    [0x0400, 'DELIVERY_REJECTED'],
  ])('submit_sm_resp status %i becomes %s', (status, code) => {
    const err = submitError(status);
    expect(err.code).toBe(code);
    expect(err.message).toContain(statusName(status));
    if (code === 'RATE_LIMITED') expect(err.retryAfterMs).toBe(1000);
  });
});
