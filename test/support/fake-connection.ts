/**
 * A component connection that never touches the network, for driving the
 * stanza router in unit and integration tests: stanzas go in through the
 * @xmpp/component entity's 'element' event, everything the gateway sends is
 * captured instead of written to a socket.
 */
import type { Element } from '@xmpp/component';
import { pino, type Logger } from 'pino';
import { OutboundBridge } from '../../src/bridge/outbound.js';
import { ComponentConnection } from '../../src/component/connection.js';
import type { GatewayOperations } from '../../src/component/iq/operations.js';
import { registerRoutes } from '../../src/component/router.js';
import { GatewayMetrics } from '../../src/metrics.js';
import { addressCodec } from '../../src/networks/index.js';
import { smsProfile } from '../../src/networks/sms/index.js';
import type { OwnershipStore } from '../../src/store/ownership.js';
import { componentConfig } from './fixtures.js';
import { sleep } from './waits.js';

export interface FakeConnection {
  connection: ComponentConnection;
  /** Every stanza the gateway sent, oldest first. */
  sent: Element[];
  /**
   * Feeds a stanza in as if the XMPP server had routed it, and resolves with
   * what the gateway sent after it once `replies` stanzas arrived (or ~100 ms
   * passed: the router may decide not to answer).
   */
  receive(el: Element, replies?: number): Promise<Element[]>;
  /** Feeds an iq in and resolves with the reply carrying its id; rejects after ~1 s. */
  reply(el: Element): Promise<Element>;
}

export function fakeConnection(domain: string, logger: Logger = pino({ level: 'silent' })): FakeConnection {
  const sent: Element[] = [];
  const connection = new ComponentConnection({
    host: '127.0.0.1',
    port: 1,
    domain,
    secret: 's',
    secretPath: 'components[0].secret',
    keepaliveSeconds: 0,
    backoff: { initialDelayMs: 1000, maxDelayMs: 1000 },
    logger,
  });
  connection.entity.send = async (el: Element) => {
    sent.push(el);
  };
  return {
    connection,
    sent,
    async receive(el, replies = 1) {
      const before = sent.length;
      connection.entity.emit('element', el);
      for (let i = 0; i < 50 && sent.length < before + replies; i++) await sleep(2);
      await sleep(5);
      return sent.slice(before);
    },
    async reply(el) {
      const id = el.attrs.id;
      connection.entity.emit('element', el);
      for (let i = 0; i < 200; i++) {
        const answer = sent.find((s) => s.attrs.id === id);
        if (answer) return answer;
        await sleep(5);
      }
      throw new Error('no reply');
    },
  };
}

/**
 * The stanza routes of an SMS component on a fake connection, as the
 * integration tests drive them: users @localhost are served,
 * admin@localhost is the one admin, numbers come from `store`, and an
 * outbound message is only counted as queued.
 */
export function routeSmsComponent(
  fake: FakeConnection,
  opts: { store: OwnershipStore; logger: Logger; metrics?: GatewayMetrics; numberPool?: string[]; operations?: GatewayOperations },
): void {
  const domain = fake.connection.domain;
  const codec = addressCodec('sms');
  const sms = smsProfile.ownership!;
  registerRoutes({
    domain,
    identity: smsProfile.identity,
    codec,
    connection: fake.connection,
    outbound: new OutboundBridge(componentConfig({ domain, ...(opts.numberPool ? { numberPool: opts.numberPool } : {}) }), codec, async () => 'queued'),
    metrics: opts.metrics ?? new GatewayMetrics(),
    logger: opts.logger,
    software: { name: 'xmpp-gateway', version: '0' },
    isDraining: () => false,
    isAllowed: (jid) => jid.endsWith('@localhost'),
    isAdmin: (jid) => jid === 'admin@localhost',
    ownership: { store: opts.store, wording: sms.wording, parse: sms.parse },
    ...(opts.operations ? { operations: opts.operations } : {}),
  });
}
