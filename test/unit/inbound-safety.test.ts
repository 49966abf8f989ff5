/**
 * What a provider sends cannot break the component stream (issue 8, item 3):
 * only gateway addresses are recipients unless the adapter is one that may
 * name local JIDs (the sandbox); every string that becomes XML, attributes
 * included, passes one sanitiser on its way out; a stanza that cannot be
 * built is a failed job with a log line, never a write.
 */
import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import { xml } from '@xmpp/component';
import { describe, expect, it } from 'vitest';
import { InboundBridge } from '../../src/bridge/inbound.js';
import { ComponentConnection } from '../../src/component/connection.js';
import { toXmppProcessor } from '../../src/component/to-xmpp.js';
import { pino } from 'pino';
import type { InboundJob } from '../../src/queue/jobs.js';
import { GatewayMetrics } from '../../src/metrics.js';
import { addressCodec } from '../../src/networks/index.js';
import type { MessageMap } from '../../src/store/message-map.js';
import { fakeConnection } from '../support/fake-connection.js';
import { componentConfig, recordingLogger } from '../support/fixtures.js';

/** Control characters XML 1.0 forbids anywhere, attributes included (§2.2). */
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

describe('recipients a provider may name', () => {
  const message = (to: string) => ({ kind: 'message' as const, id: `p-${to}`, from: '+15551234567', to, body: 'hi' });
  const bridge = (localJidRecipients: boolean) => {
    const jobs: InboundJob[] = [];
    const b = new InboundBridge(componentConfig(), addressCodec('sms'), async (_id, job) => (jobs.push(job), 'queued'), undefined, { localJidRecipients });
    return { b, jobs };
  };

  it('a real provider: only gateway addresses, never a bare JID', async () => {
    const { b, jobs } = bridge(false);
    expect(await b.accept(message('bob@localhost'))).toMatchObject({ outcome: 'dropped' });
    expect(jobs).toEqual([]);
  });

  it('the sandbox (a test and trial provider) may name a local JID', async () => {
    const { b, jobs } = bridge(true);
    expect(await b.accept(message('bob@localhost'))).toMatchObject({ outcome: 'queued' });
    expect(jobs.map((j) => (j as { to: string }).to)).toEqual(['bob@localhost']);
  });
});

describe('one sanitiser on the way out', () => {
  it('cleans attributes and text of every stanza the component writes', async () => {
    const connection = new ComponentConnection({
      host: '127.0.0.1',
      port: 1,
      domain: 'sms.localhost',
      secret: 's',
      secretPath: 'components[0].secret',
      keepaliveSeconds: 0,
      backoff: { initialDelayMs: 1000, maxDelayMs: 1000 },
      logger: pino({ level: 'silent' }),
    });
    const written: string[] = [];
    // Below the sanitiser: what would reach the socket.
    connection.entity.write = async (s: string) => void written.push(s);
    await connection.send(
      xml('message', { from: '+1555\u0001@sms.localhost', to: 'bob@localhost', id: 'a\u0002b' }, xml('body', {}, 'x\u0003y'), xml('x', { xmlns: 'jabber:x:oob' }, xml('url', { desc: '\u0004' }, 'u'))),
    );
    // The iq callee writes through the same entity.
    await connection.entity.send(xml('iq', { type: 'result', from: 'sms.localhost', to: 'bob@localhost', id: 'q\u0005' }));
    const out = written.join('');
    expect(out).toContain('a\uFFFDb');
    expect(out).toContain('q\uFFFD');
    expect(out).not.toMatch(NOT_XML_CHAR);
  });
});

describe('a stanza that cannot be built', () => {
  it('fails its job for good with a log line, and nothing is written', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const fake = fakeConnection('sms.localhost');
    (fake.connection as unknown as { isOnline(): boolean }).isOnline = () => true;
    const processor = toXmppProcessor({
      connection: fake.connection,
      messageMap: {} as MessageMap,
      metrics: new GatewayMetrics(),
      logger: recordingLogger(lines),
    });
    const job = {
      id: 'm-1',
      data: { type: 'message', from: '+15551234567@sms.localhost', to: 'bo\u0001b@localhost', body: 'hi', mediaUrls: [], receivedAt: 0 },
    } as unknown as Job<InboundJob>;
    await expect(processor(job)).rejects.toBeInstanceOf(UnrecoverableError);
    expect(fake.sent).toEqual([]);
    expect(lines.some((l) => l.level === 50 && /cannot be sent/.test(String(l.msg)) && l.jobId === 'm-1')).toBe(true);
  });
});
