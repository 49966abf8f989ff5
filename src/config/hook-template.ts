/**
 * `format: template` hooks: an administrator's LiquidJS template
 * (https://liquidjs.com) over the hook's JSON payload. Liquid is a template
 * language with no way to run code, read files or reach the network; this
 * module keeps it that way and bounds it:
 *
 * - in memory only: no `root`, an empty `templates` map (never the disk), and
 *   the `include`, `render`, `layout` and `block` tags refused at parse;
 * - `ownPropertyOnly`, so a payload's prototype chain is not reachable;
 * - `strictFilters`, so a misspelt filter is a config error, not silence;
 * - limits: the template's length (parseLimit), the render time
 *   (renderLimit) and LiquidJS's counted allocations (memoryLimit), so a
 *   loop over a huge range or a doubling string stops with an error.
 *
 * The rendered text is cut like every hook's (render.ts). Used by the config
 * schema (a template that does not parse is a config error) and the inbound
 * route (one that fails on a payload is a 422). Imports nothing of the gateway
 * but the lazy loader: LiquidJS loads with the first template (src/lazy-package.ts).
 */
import type { Liquid, Template } from 'liquidjs';
import { lazily, lazyPackage } from '../lazy-package.js';

export const TEMPLATE_LIMITS = {
  /** Longest template, in characters. */
  templateChars: 10_000,
  /** Longest render, in milliseconds (checked between template nodes). */
  renderMs: 250,
  /** LiquidJS's counted allocations (ranges, split, concat, append...) per render. */
  memory: 1_000_000,
} as const;

const DISABLED_TAGS = ['include', 'render', 'layout', 'block'] as const;

const liquidjs = lazyPackage<typeof import('liquidjs')>('liquidjs');

/** The one engine, built on first use. */
const engine = lazily((): Liquid => {
  const liquid = new (liquidjs().Liquid)({
    templates: {},
    parseLimit: TEMPLATE_LIMITS.templateChars,
    renderLimit: TEMPLATE_LIMITS.renderMs,
    memoryLimit: TEMPLATE_LIMITS.memory,
    ownPropertyOnly: true,
    strictFilters: true,
    cache: false,
  });
  for (const tag of DISABLED_TAGS) {
    liquid.registerTag(tag, {
      parse() {
        throw new Error(`the ${tag} tag is not allowed (hook templates are self-contained)`);
      },
      *render() {},
    });
  }
  return liquid;
});

/** The parsed template, or a thrown Error whose message names the line. */
export function parseHookTemplate(source: string): Template[] {
  return engine().parse(source);
}

/** Renders a parsed template over a scope; throws (a LiquidJS RenderError) past a limit or on an error. */
export function renderHookTemplate(template: Template[], scope: Record<string, unknown>): string {
  return String(engine().renderSync(template, scope));
}
