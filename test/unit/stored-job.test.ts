/** Outbound jobs already in Redis when the gateway is upgraded keep working. */
import { describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../adapters/types.js';
import { storedMessage } from '../../src/bridge/delivery.js';
import { outboundMessage } from '../support/fixtures.js';

describe('storedMessage', () => {
  it('turns the bare mediaUrls of a job stored by 0.1 into attachments', () => {
    const { attachments: _, ...rest } = outboundMessage();
    const old = { ...rest, mediaUrls: ['https://e.example/a.jpg', 'https://e.example/b.png'] } as unknown as OutboundMessage;
    const upgraded = storedMessage(old);
    expect(upgraded.attachments).toEqual([{ url: 'https://e.example/a.jpg' }, { url: 'https://e.example/b.png' }]);
    expect(upgraded).not.toHaveProperty('mediaUrls');
    expect(upgraded.body).toBe(old.body);
  });

  it('gives a 0.1 job without media an empty list', () => {
    const { attachments: _, ...rest } = outboundMessage();
    expect(storedMessage(rest as OutboundMessage).attachments).toEqual([]);
  });

  it('leaves a current job as it is', () => {
    const current = outboundMessage({ attachments: [{ url: 'https://e.example/r.pdf', name: 'r.pdf' }] });
    expect(storedMessage(current)).toBe(current);
  });
});
