/**
 * A hook's payload -> the message text, by the hook's `format`. Plain text,
 * short enough for a phone, with the link to the source. A payload the
 * format cannot read is a 422 (payload-error.ts).
 */
import type { Hook } from './hooks.js';
import { renderAlerts } from './alerts.js';
import { renderGithub } from './github.js';
import { objectPayload, payloadInvalid } from './payload-error.js';
import { renderTemplate } from './template.js';

export interface Rendered {
  body: string;
  /** For senders without delivery ids (Alertmanager, Grafana): a key derived from the payload, so a repeat is a duplicate. */
  dedupeKey?: string;
  /** Alerts: the firing message is recorded, the resolved one corrects it in place (XEP-0308). */
  correction?: { key: string; mode: 'record' | 'replace' };
}

/** What the route read: the body as text and, for JSON, parsed. */
export interface HookPayload {
  contentType: string;
  text: string;
  json: unknown;
  /** A header's value, by lower-case name. */
  header(name: string): string | undefined;
}

/** Longest message body sent on; a longer text is cut with a note. */
const MAX_BODY_CHARS = 4000;

function bounded(rendered: Rendered): Rendered {
  const chars = [...rendered.body];
  return chars.length <= MAX_BODY_CHARS ? rendered : { ...rendered, body: `${chars.slice(0, MAX_BODY_CHARS).join('')}… (cut)` };
}

export function renderHook(hook: Hook, payload: HookPayload): Rendered {
  switch (hook.format) {
    case 'plain': {
      if (payload.contentType === 'text/plain') {
        if (payload.text.trim() === '') throw payloadInvalid('plain', 'the body is empty');
        return bounded({ body: payload.text });
      }
      const body = objectPayload('plain', payload.json).text;
      if (typeof body !== 'string' || body.trim() === '') throw payloadInvalid('plain', 'expected {"text": "..."} or a text/plain body');
      return bounded({ body });
    }
    case 'alertmanager':
    case 'grafana':
      return bounded(renderAlerts(hook.format, payload.json));
    case 'github':
      return bounded(renderGithub(payload.header('x-github-event'), payload.json));
    case 'template':
      return bounded(renderTemplate(hook.template as string, payload.json));
  }
}
