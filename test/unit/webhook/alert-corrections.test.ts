/**
 * Alert lifecycle (XEP-0308): an alert group's resolved notice carries the
 * same correction key as its firing one (so it corrects it in place), another
 * group or another set of alerts does not, and the stanza says what it replaces.
 */
import { describe, expect, it } from 'vitest';
import { renderAlerts } from '../../../adapters/webhook/http/inbound/alerts.js';
import { chatMessage } from '../../../src/component/stanzas.js';

const group = (status: 'firing' | 'resolved', fingerprints: string[], groupKey = '{}:{alertname="DiskFull"}') => ({
  version: '4',
  status,
  groupKey,
  groupLabels: { alertname: 'DiskFull' },
  commonLabels: {},
  externalURL: 'http://alertmanager:9093',
  alerts: fingerprints.map((fingerprint) => ({ status, labels: { alertname: 'DiskFull', fp: fingerprint }, annotations: {}, fingerprint })),
});

describe('alert corrections', () => {
  it('firing records, resolved replaces, under one key per group and fingerprints', () => {
    const firing = renderAlerts('alertmanager', group('firing', ['a', 'b']));
    const resolved = renderAlerts('alertmanager', group('resolved', ['b', 'a']));
    expect(firing.correction?.mode).toBe('record');
    expect(resolved.correction).toEqual({ key: firing.correction?.key, mode: 'replace' });
    expect(renderAlerts('alertmanager', group('resolved', ['a'])).correction?.key).not.toBe(firing.correction?.key);
    expect(renderAlerts('alertmanager', group('resolved', ['a', 'b'], 'other')).correction?.key).not.toBe(firing.correction?.key);
    expect(renderAlerts('grafana', group('resolved', ['a', 'b'])).correction?.key).not.toBe(firing.correction?.key);
  });

  it('a correcting stanza names the message it replaces', () => {
    const el = chatMessage({ from: 'am@hooks.example.org', to: 'alice@example.org', id: 'in-2', body: '[RESOLVED] DiskFull', mediaUrls: [], replaces: 'in-1' });
    expect(el.getChild('replace', 'urn:xmpp:message-correct:0')?.attrs.id).toBe('in-1');
    expect(chatMessage({ from: 'a@b', to: 'c@d', id: 'x', body: 'y', mediaUrls: [] }).getChild('replace')).toBeUndefined();
  });
});
