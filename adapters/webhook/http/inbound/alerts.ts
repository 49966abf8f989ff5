/**
 * Alertmanager (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config,
 * payload version 4) and Grafana unified alerting
 * (https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/)
 * post the same shape: a group with `status`, `groupKey` and `alerts[]`, each
 * with its own status, labels, annotations, `fingerprint` and a link. Neither
 * sends a delivery id, so the dedupe key is derived from the group key, the
 * status and each alert's fingerprint and status.
 */
import { createHash } from 'node:crypto';
import { at, objectPayload, payloadInvalid, text } from './payload-error.js';
import type { Rendered } from './render.js';

/** Alerts listed one per line; the rest are counted. Keeps a message phone-sized. */
const LISTED_ALERTS = 5;

interface Alert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  fingerprint: string;
  link: string | undefined;
}

function record(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object') return {};
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function alertsOf(format: string, payload: Record<string, unknown>): Alert[] {
  const alerts = payload.alerts;
  if (!Array.isArray(alerts)) throw payloadInvalid(format, 'alerts must be a list');
  return alerts.map((a, i) => {
    const status = text(at(a, 'status'));
    if (status === undefined) throw payloadInvalid(format, `alerts[${i}].status is missing`);
    const labels = record(at(a, 'labels'));
    return {
      status,
      labels,
      annotations: record(at(a, 'annotations')),
      fingerprint: text(at(a, 'fingerprint')) ?? createHash('sha256').update(JSON.stringify(Object.entries(labels).sort())).digest('hex').slice(0, 16),
      link: text(at(a, 'panelURL')) ?? text(at(a, 'dashboardURL')) ?? text(at(a, 'generatorURL')),
    };
  });
}

/** "summary", else "description", else the labels that tell alerts of one group apart. */
function alertLine(alert: Alert, common: Record<string, string>): string {
  const name = alert.labels.alertname ?? 'alert';
  const distinct = Object.entries(alert.labels)
    .filter(([k, v]) => k !== 'alertname' && common[k] !== v)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const what = alert.annotations.summary ?? alert.annotations.description;
  return `• ${name}${distinct === '' ? '' : ` (${distinct})`}${what === undefined ? '' : `: ${what}`}${alert.link === undefined ? '' : `\n  ${alert.link}`}`;
}

export function renderAlerts(format: 'alertmanager' | 'grafana', raw: unknown): Rendered {
  const payload = objectPayload(format, raw);
  const status = text(payload.status);
  if (status !== 'firing' && status !== 'resolved') throw payloadInvalid(format, 'status must be "firing" or "resolved"');
  const alerts = alertsOf(format, payload);
  const common = record(payload.commonLabels);
  const groupLabels = record(payload.groupLabels);
  const firing = alerts.filter((a) => a.status === 'firing').length;
  const title =
    text(payload.title) ??
    `[${status.toUpperCase()}${status === 'firing' ? `:${firing}` : ''}] ${groupLabels.alertname ?? common.alertname ?? 'alerts'}${
      Object.keys(groupLabels).filter((k) => k !== 'alertname').length === 0
        ? ''
        : ` (${Object.entries(groupLabels).filter(([k]) => k !== 'alertname').map(([k, v]) => `${k}=${v}`).join(' ')})`
    }`;
  const lines = alerts.slice(0, LISTED_ALERTS).map((a) => alertLine(a, common));
  if (alerts.length > LISTED_ALERTS) lines.push(`… and ${alerts.length - LISTED_ALERTS} more`);
  const truncated = typeof payload.truncatedAlerts === 'number' && payload.truncatedAlerts > 0 ? ` (+${payload.truncatedAlerts} not sent)` : '';
  const link = text(payload.externalURL);
  const groupKey = text(payload.groupKey) ?? JSON.stringify(groupLabels);
  const dedupeKey = createHash('sha256')
    .update([format, groupKey, status, ...alerts.map((a) => `${a.fingerprint}:${a.status}`).sort()].join('\n'))
    .digest('hex');
  // The same alert group with the same alerts (by fingerprint): its resolved notice corrects its firing one.
  const correctionKey = createHash('sha256')
    .update([format, groupKey, ...alerts.map((a) => a.fingerprint).sort()].join('\n'))
    .digest('hex')
    .slice(0, 32);
  return {
    body: [`${title}${truncated}`, ...lines, ...(link === undefined ? [] : [link])].join('\n'),
    dedupeKey,
    correction: { key: correctionKey, mode: status === 'firing' ? 'record' : 'replace' },
  };
}
