/** The one rule for an already-aborted attempt (adapters/kit/abort.ts), and that every adapter follows it. */
import { describe, expect, it } from 'vitest';
import { AttemptAbortedError, throwIfAborted } from '../../../adapters/kit/abort.js';
import { AccountWatch } from '../../../adapters/kit/account.js';
import { sandboxAdapter } from '../../../adapters/sandbox/index.js';
import { SmppAdapter } from '../../../adapters/sms/smpp/index.js';
import { TransientDeliveryError } from '../../../src/errors/registry.js';
import { outbound, providerConfig } from '../../support/fixtures.js';

function aborted(reason = 'the gateway is shutting down'): AbortSignal {
  const ac = new AbortController();
  ac.abort(new Error(reason));
  return ac.signal;
}

describe('throwIfAborted', () => {
  it('does nothing while the signal is live', () => {
    expect(() => throwIfAborted(new AbortController().signal, 'acme')).not.toThrow();
  });

  it('throws a transient, retryable AttemptAbortedError naming the provider and the reason', () => {
    const err = (() => {
      try {
        throwIfAborted(aborted('provider call timed out'), 'acme');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(AttemptAbortedError);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'acme: attempt aborted before sending (provider call timed out)' });
    expect((err as AttemptAbortedError).spec.retryable).toBe(true);
  });

  it('says a reason that is not an Error as text', () => {
    const ac = new AbortController();
    ac.abort('drain');
    expect(() => throwIfAborted(ac.signal, 'acme')).toThrow('acme: attempt aborted before sending (drain)');
  });
});

describe('every adapter refuses an aborted attempt the same way, before any I/O', () => {
  it('AccountWatch (Twilio, Telnyx) does not run the call', async () => {
    let called = false;
    const watch = new AccountWatch({ id: 'acme', name: 'Acme' });
    await expect(watch.send(aborted(), undefined, 'm1', async () => (called = true))).rejects.toBeInstanceOf(AttemptAbortedError);
    expect(called).toBe(false);
  });

  it('SMPP, not started (the abort is checked before the link)', async () => {
    const config = providerConfig('smpp', {
      domain: 'sms.example.org',
      numbers: { '+15550001111': 'alice@localhost' },
      smpp: { host: '127.0.0.1', port: 1, systemId: 'gw', password: 'pw' },
    });
    const err = await new SmppAdapter(config).send(outbound('sms.example.org', '+15551234567'), { attempt: 1, signal: aborted() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttemptAbortedError);
    expect(err).toMatchObject({ message: 'smpp: attempt aborted before sending (the gateway is shutting down)' });
  });

  it('the sandbox, not started (nothing reaches its outbox)', async () => {
    const config = providerConfig('sandbox', { domain: 'sandbox.example.org' });
    const err = await sandboxAdapter(config).send(outbound('sandbox.example.org', '+15551234567'), { attempt: 1, signal: aborted() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttemptAbortedError);
    expect(err).toMatchObject({ message: 'sandbox: attempt aborted before sending (the gateway is shutting down)' });
  });
});
