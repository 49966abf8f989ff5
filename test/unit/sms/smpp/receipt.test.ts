/** SMSC delivery receipts (SMPP 3.4 Appendix B text, receipted_message_id / message_state TLVs). */
import { describe, expect, it } from 'vitest';
import { parseReceiptText, readReceipt } from '../../../../adapters/sms/smpp/receipt.js';

const receipt = (id: string, stat: string, err = '000') =>
  `id:${id} sub:001 dlvrd:001 submit date:2405011200 done date:2405011201 stat:${stat} err:${err} text:Hello there`;

describe('parseReceiptText', () => {
  it('reads every field of the Appendix B format', () => {
    expect(parseReceiptText(receipt('0123456789', 'DELIVRD'))).toEqual({
      id: '0123456789',
      sub: '001',
      dlvrd: '001',
      'submit date': '2405011200',
      'done date': '2405011201',
      stat: 'DELIVRD',
      err: '000',
      text: 'Hello there',
    });
  });

  it.each([
    ['Text: in capitals', 'id:abc stat:DELIVRD err:000 Text:stat:UNDELIV', { id: 'abc', stat: 'DELIVRD', err: '000', text: 'stat:UNDELIV' }],
    ['no text field', 'id:7f3a stat:EXPIRED err:027', { id: '7f3a', stat: 'EXPIRED', err: '027' }],
    ['extra spaces', 'id: 42  sub:001   stat: REJECTD', { id: '42', sub: '001', stat: 'REJECTD' }],
  ])('%s', (_what, text, expected) => {
    expect(parseReceiptText(text)).toEqual(expected);
  });

  it('is undefined for text that is no receipt', () => {
    expect(parseReceiptText('hello, how are you?')).toBeUndefined();
    expect(parseReceiptText('')).toBeUndefined();
  });
});

describe('readReceipt', () => {
  it.each([
    ['DELIVRD', '000', 'delivered', undefined],
    ['UNDELIV', '001', 'failed', 'the message could not be delivered (UNDELIV, error 001)'],
    ['REJECTD', '000', 'failed', 'the message was rejected (REJECTD)'],
    ['EXPIRED', '027', 'failed', 'the message expired before it could be delivered (EXPIRED, error 027)'],
    ['DELETED', '000', 'failed', 'the message was deleted by the SMS center (DELETED)'],
    ['UNKNOWN', '000', 'failed', 'the message is in an unknown state (UNKNOWN)'],
  ])('stat:%s err:%s -> %s', (stat, err, status, reason) => {
    expect(readReceipt({ text: receipt('m1', stat, err) })).toEqual({
      kind: 'final',
      event: { kind: 'status', providerMessageId: 'm1', status, ...(reason === undefined ? {} : { reason }) },
    });
  });

  it.each(['ENROUTE', 'ACCEPTD'])('does not report the intermediate state %s', (stat) => {
    expect(readReceipt({ text: receipt('m1', stat) })).toEqual({ kind: 'intermediate', providerMessageId: 'm1', stat });
  });

  it('prefers the receipted_message_id and message_state TLVs over the text', () => {
    expect(readReceipt({ text: receipt('0x1f', 'DELIVRD'), receiptedMessageId: '31', messageState: 5 })).toEqual({
      kind: 'final',
      event: { kind: 'status', providerMessageId: '31', status: 'failed', reason: 'the message could not be delivered (UNDELIV)' },
    });
  });

  it('works from the TLVs alone', () => {
    expect(readReceipt({ text: '', receiptedMessageId: 'abc', messageState: 2 })).toEqual({
      kind: 'final',
      event: { kind: 'status', providerMessageId: 'abc', status: 'delivered' },
    });
  });

  it.each([
    ['no id', { text: 'stat:DELIVRD' }, /no message id/],
    ['unknown stat', { text: 'id:1 stat:WHATEVER' }, /unknown stat "WHATEVER"/],
    ['no stat', { text: 'id:1' }, /unknown stat ""/],
  ])('calls a receipt with %s unreadable', (_what, input, why) => {
    const outcome = readReceipt(input);
    expect(outcome.kind).toBe('unreadable');
    expect(outcome.kind === 'unreadable' && outcome.why).toMatch(why);
  });
});
