/**
 * `format: template`: the hook's LiquidJS template over the JSON object
 * posted, its fields as variables (`{{ service }}`, `{{ build.status }}`).
 * The engine, its disabled tags and its limits are in
 * src/config/hook-template.ts; here a template that errors or runs past a
 * limit on this payload, or renders only blanks, is a 422 with the reason.
 */
import type { Template } from 'liquidjs';
import { parseHookTemplate, renderHookTemplate } from '../../../../src/config/hook-template.js';
import type { Rendered } from './render.js';
import { objectPayload, payloadInvalid } from './payload-error.js';

/** Parsed templates by source: the config already parsed each once, so this only saves the work per request. */
const parsed = new Map<string, Template[]>();

function compiled(source: string): Template[] {
  let template = parsed.get(source);
  if (template === undefined) {
    template = parseHookTemplate(source);
    parsed.set(source, template);
  }
  return template;
}

export function renderTemplate(source: string, payload: unknown): Rendered {
  const scope = objectPayload('template', payload);
  let body: string;
  try {
    body = renderHookTemplate(compiled(source), scope);
  } catch (err) {
    throw payloadInvalid('template', `the template failed on this payload: ${(err as Error).message}`);
  }
  if (body.trim() === '') throw payloadInvalid('template', 'the template rendered nothing');
  return { body };
}
