import { describe, expect, it } from 'vitest';
import { accessRules, isAllowed, parentDomain } from '../../src/bridge/access.js';
import { backoffDelay, expiresBeforeRetry } from '../../src/queue/retry.js';
import { outboundJobId } from '../../src/queue/names.js';

describe('access rules', () => {
  it.each([
    ['sms.example.org', 'example.org'],
    ['sms.localhost', 'localhost'],
    ['localhost', 'localhost'],
  ])('parent of %s is %s', (d, p) => expect(parentDomain(d)).toBe(p));

  it('defaults to users of the parent domain', () => {
    const rules = accessRules('sms.example.org', undefined);
    expect(isAllowed('alice@example.org', rules)).toBe(true);
    expect(isAllowed('Alice@Example.org', rules)).toBe(true);
    expect(isAllowed('mallory@evil.example', rules)).toBe(false);
    expect(isAllowed('x@sub.example.org', rules)).toBe(false);
  });

  it('accepts domains and bare JIDs', () => {
    const rules = accessRules('sms.example.org', ['partner.net', 'bob@other.org']);
    expect(isAllowed('anyone@partner.net', rules)).toBe(true);
    expect(isAllowed('bob@other.org', rules)).toBe(true);
    expect(isAllowed('carol@other.org', rules)).toBe(false);
    expect(isAllowed('alice@example.org', rules)).toBe(false);
  });
});

describe('backoff', () => {
  const policy = { initialDelayMs: 1000, maxDelayMs: 30_000 };
  it('doubles per attempt within [d/2, d] and stops at the cap', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(500);
    expect(backoffDelay(1, policy, () => 1)).toBe(1000);
    expect(backoffDelay(3, policy, () => 1)).toBe(4000);
    expect(backoffDelay(20, policy, () => 1)).toBe(30_000);
    expect(backoffDelay(20, policy, () => 0)).toBe(15_000);
  });

  it('gives up when the next retry would pass the maximum age', () => {
    expect(expiresBeforeRetry(0, 9_000, 500, 10_000)).toBe(false);
    expect(expiresBeforeRetry(0, 9_000, 1_500, 10_000)).toBe(true);
  });
});

describe('outbound job ids', () => {
  it('are stable for a retransmitted stanza and differ otherwise', () => {
    const a = outboundJobId('alice@x', '+1555@sms.x', 'id1');
    expect(outboundJobId('alice@x', '+1555@sms.x', 'id1')).toBe(a);
    expect(outboundJobId('alice@x', '+1555@sms.x', 'id2')).not.toBe(a);
    expect(outboundJobId('bob@x', '+1555@sms.x', 'id1')).not.toBe(a);
    expect(a).not.toContain(':');
  });

  it('never collide for stanzas without an id', () => {
    expect(outboundJobId('alice@x', 'c@sms.x', '')).not.toBe(outboundJobId('alice@x', 'c@sms.x', ''));
  });
});
