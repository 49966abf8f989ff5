/**
 * What every SMPP adapter test file shares: the SMSC double started once per
 * file, an adapter bound to it per test (stopped after each test), and the
 * double healed between tests.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { SmppAdapter } from '../../../../adapters/sms/smpp/index.js';
import type { AdapterContext } from '../../../../adapters/types.js';
import { SmscDouble } from '../../../doubles/smsc.js';
import { adapterContext, providerConfig } from '../../../support/fixtures.js';

export interface SmscSuite {
  /** The file's SMSC double (after its beforeAll). */
  readonly double: SmscDouble;
  /** An adapter for `sms.test` (alice owns +15550001111) bound to the double, with these smpp settings and context. */
  start(smpp?: Record<string, unknown>, context?: Partial<AdapterContext>): Promise<SmppAdapter>;
  /** The test stopped the adapter itself. */
  forget(): void;
}

export function smscSuite(opts: { afterEachTest?: (double: SmscDouble) => void } = {}): SmscSuite {
  const redis = new Redis({ lazyConnect: true });
  let double: SmscDouble | undefined;
  let adapter: SmppAdapter | undefined;
  beforeAll(async () => {
    double = await SmscDouble.start();
  });
  afterAll(async () => {
    await double?.close();
    redis.disconnect();
  });
  afterEach(async () => {
    await adapter?.stop();
    adapter = undefined;
    if (double) opts.afterEachTest?.(double);
  });
  const suite: SmscSuite = {
    get double() {
      if (double === undefined) throw new Error('the SMSC double starts in beforeAll');
      return double;
    },
    async start(smpp = {}, context = {}) {
      const d = suite.double;
      const config = providerConfig('smpp', {
        domain: 'sms.test',
        numbers: { '+15550001111': 'alice@localhost' },
        smpp: { host: d.host, port: d.port, systemId: d.systemId, password: d.password, ...smpp },
      });
      adapter = new SmppAdapter(config);
      await adapter.start(adapterContext(config, { redis, ...context }));
      return adapter;
    },
    forget() {
      adapter = undefined;
    },
  };
  return suite;
}
