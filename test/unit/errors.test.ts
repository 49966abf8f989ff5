import { describe, expect, it } from 'vitest';
import { errorElement, messageError } from '../../src/component/stanzas.js';
import {
  ERROR_REGISTRY,
  GatewayError,
  PermanentDeliveryError,
  RateLimitedError,
  TransientDeliveryError,
  asGatewayError,
} from '../../src/errors/registry.js';

describe('error registry', () => {
  it('gives every code an RFC 6120 type and an HTTP status', () => {
    for (const [code, spec] of Object.entries(ERROR_REGISTRY)) {
      expect(['auth', 'cancel', 'continue', 'modify', 'wait'], code).toContain(spec.type);
      expect(spec.httpStatus, code).toBeGreaterThanOrEqual(400);
      expect(spec.httpStatus, code).toBeLessThan(600);
    }
  });

  it('maps the errors the flow rules name', () => {
    expect(ERROR_REGISTRY.QUEUE_UNAVAILABLE).toMatchObject({ condition: 'resource-constraint', type: 'wait', httpStatus: 503 });
    expect(ERROR_REGISTRY.SIGNATURE_INVALID.httpStatus).toBe(403);
    expect(ERROR_REGISTRY.REGISTRATION_REQUIRED.condition).toBe('registration-required');
  });

  it('types adapter failures for the retry policy', () => {
    expect(new PermanentDeliveryError('x').spec.retryable).toBe(false);
    expect(new TransientDeliveryError('x').spec.retryable).toBe(true);
    const limited = new RateLimitedError('slow down', 1500);
    expect(limited.code).toBe('RATE_LIMITED');
    expect(limited.retryAfterMs).toBe(1500);
  });

  it('wraps unknown throwables as INTERNAL, keeping the message', () => {
    expect(asGatewayError(new TypeError('boom'))).toMatchObject({ code: 'INTERNAL', message: 'boom' });
    expect(asGatewayError('text')).toMatchObject({ code: 'INTERNAL', message: 'text' });
    const own = new GatewayError('NOT_FOUND', 'nope');
    expect(asGatewayError(own)).toBe(own);
  });
});

describe('stanza errors', () => {
  it('renders condition, type and text (RFC 6120 §8.3)', () => {
    const el = errorElement(new GatewayError('ADDRESS_INVALID', 'not a phone number'));
    expect(el.toString()).toBe(
      '<error type="modify"><jid-malformed xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>' +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">not a phone number</text></error>',
    );
  });

  it('keeps the original id on a message error', () => {
    const el = messageError({ from: 'c@sms.x', to: 'a@x/r', id: 'orig-1', error: new GatewayError('QUEUE_UNAVAILABLE', 'later') });
    expect(el.attrs).toMatchObject({ type: 'error', id: 'orig-1', from: 'c@sms.x', to: 'a@x/r' });
    expect(el.getChild('error')?.attrs.type).toBe('wait');
    expect(el.getChild('error')?.getChild('resource-constraint')).toBeDefined();
  });
});

describe('xmlSafe', () => {
  it('replaces characters XML 1.0 forbids, keeps everything else', async () => {
    const { xmlSafe } = await import('../../src/component/stanzas.js');
    expect(xmlSafe('a\u0001b\u0008c\u000Bd\u001Fe\uFFFEf\uFFFF')).toBe('a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf\uFFFD');
    expect(xmlSafe('tab\tlf\ncr\r')).toBe('tab\tlf\ncr\r');
    expect(xmlSafe('lone \uD800 high, lone \uDC00 low')).toBe('lone \uFFFD high, lone \uFFFD low');
    expect(xmlSafe('emoji 😀 ok, ünïcödé ok, \u202Ertl ok')).toBe('emoji 😀 ok, ünïcödé ok, \u202Ertl ok');
  });

  it('is applied to inbound bodies, media URLs and error texts', async () => {
    const { chatMessage, errorElement } = await import('../../src/component/stanzas.js');
    const msg = chatMessage({ from: 'c@sms.x', to: 'a@x', id: '1', body: 'hi\u0007', mediaUrls: ['https://e.x/\u0002'] });
    expect(msg.getChildText('body')).toBe('hi\uFFFD\nhttps://e.x/\uFFFD');
    expect(msg.getChild('x')?.getChildText('url')).toBe('https://e.x/\uFFFD');
    expect(errorElement(new GatewayError('DELIVERY_FAILED', 'bad\u0000')).getChildText('text')).toBe('bad\uFFFD');
  });
});

describe('what users read in an error stanza (issue 8: details go to the log)', () => {
  it('carries a human reason for transient and internal failures, never hosts, ports or raw errors', async () => {
    const { errorElement } = await import('../../src/component/stanzas.js');
    const { TransientDeliveryError, asGatewayError } = await import('../../src/errors/registry.js');
    const smpp = errorElement(new TransientDeliveryError('SMPP link to 10.1.2.3:2775 is down (ESME_RINVPASWD)')).getChildText('text') ?? '';
    expect(smpp).not.toMatch(/10\.1\.2\.3|2775|ESME/);
    expect(smpp).toMatch(/provider/);
    const internal = errorElement(asGatewayError(new Error('connect ECONNREFUSED 127.0.0.1:6379'))).getChildText('text') ?? '';
    expect(internal).not.toMatch(/ECONNREFUSED|6379/);
    expect(internal.length).toBeGreaterThan(10);
    // Errors written for users keep their words.
    expect(errorElement(new GatewayError('BODY_INVALID', 'the message is empty')).getChildText('text')).toBe('the message is empty');
  });
});
