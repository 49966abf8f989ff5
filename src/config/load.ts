/**
 * Loads the YAML config: parse, substitute `${VAR}` from the environment,
 * validate against the schema. Every problem is collected and reported at
 * once, each with its key path, before anything starts.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { ZodIssue } from 'zod';
import { GatewayError } from '../errors/registry.js';
import { configKeys } from './docs.js';
import { configSchema, type GatewayConfig } from './schema.js';

export interface ConfigProblem {
  /** Key path such as `components[0].secret`; empty for the file as a whole. */
  path: string;
  message: string;
}

/** Thrown with every problem in the file; `message` lists them one per line. */
export class ConfigError extends GatewayError {
  readonly problems: ConfigProblem[];
  constructor(source: string, problems: ConfigProblem[]) {
    super(
      'CONFIG_INVALID',
      `invalid config ${source}:\n` + problems.map((p) => `  ${p.path || '(file)'}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function formatPath(path: ReadonlyArray<string | number>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces `${VAR}` in every string of a parsed YAML tree; missing variables are problems. */
export function substituteEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  problems: ConfigProblem[],
  path: Array<string | number> = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(VAR, (_match, name: string) => {
      const v = env[name];
      if (v === undefined) {
        problems.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
        return '';
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, problems, [...path, i]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, problems, [...path, k])]),
    );
  }
  return value;
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps), for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

let knownKeys: Map<string, string[]> | undefined;

/** The keys the schema knows under a path such as `components[3]` (any variant), by generic path (`components[]`). */
function keysUnder(path: ReadonlyArray<string | number>): string[] {
  if (knownKeys === undefined) {
    knownKeys = new Map();
    for (const { path: full } of configKeys()) {
      const dot = full.lastIndexOf('.');
      const parent = dot === -1 ? '' : full.slice(0, dot);
      const list = knownKeys.get(parent) ?? [];
      list.push(full.slice(dot + 1));
      knownKeys.set(parent, list);
    }
  }
  const generic = path.map((p, i) => (typeof p === 'number' ? '[]' : i === 0 ? p : `.${p}`)).join('');
  return knownKeys.get(generic) ?? [];
}

/** `concurency` -> `concurrency`: the known key a typo is closest to, when it is close. */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d <= Math.max(1, Math.floor(k.length / 4)) && (best === undefined || d < best.d)) best = { key: k, d };
  }
  return best?.key;
}

function issueProblems(issue: ZodIssue): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    // Each unknown key under its own path, with the near miss it probably is.
    return issue.keys.map((key) => {
      const near = didYouMean(key, keysUnder(issue.path));
      return { path: formatPath([...issue.path, key]), message: `unknown key${near === undefined ? '' : ` (did you mean ${near}?)`}` };
    });
  }
  return [{ path: formatPath(issue.path), message: issue.message }];
}

/**
 * The first YAML error only: the ones after it are the parser losing its
 * place, and bury the cause. An unquoted `${VAR}` in a flow map or list is
 * the usual slip, and gets a hint.
 */
function yamlProblem(text: string, errors: ReadonlyArray<{ pos: [number, number]; message: string; code: string }>): ConfigProblem {
  const first = errors[0] as (typeof errors)[number];
  let message = syntaxProblem(text, first.pos[0], first.message, first.code);
  const line = text.slice(0, first.pos[0]).split('\n').length;
  const source = text.split('\n')[line - 1] ?? '';
  if (/[{[][^}\]]*\$\{/.test(source) || /\$\{[^}]*\}[^'"]*[}\]]/.test(source)) {
    message += '; inside { } or [ ], quote a value that holds ${VAR}: "${VAR}"';
  }
  if (errors.length > 1) message += ` (${errors.length - 1} more parser error${errors.length > 2 ? 's' : ''} follow from it)`;
  return { path: '', message };
}

/**
 * A YAML syntax error as line, column and the key on that line, never the
 * line itself: the value may be a literal secret (`adminToken: ...`).
 *
 * @example syntaxProblem('http:\n  adminToken: abc: d\n', 20, 'Nested mappings are not allowed in compact mappings', 'BLOCK_AS_IMPLICIT_KEY')
 *   // 'YAML syntax error at line 2, column 15 (key "adminToken"): Nested mappings are not allowed in compact mappings'
 */
export function syntaxProblem(text: string, offset: number, message: string, code: string): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  const source = text.split('\n')[line - 1] ?? '';
  const key = /^\s*(?:-\s+)?([A-Za-z0-9_$.-]+)\s*:/.exec(source)?.[1];
  const value = key === undefined ? source.trim() : source.slice(source.indexOf(':') + 1).trim();
  // The parser's own words, unless they quote the line's value.
  const why = value.length >= 3 && message.includes(value.slice(0, 3)) ? code.toLowerCase().replace(/_/g, ' ') : message.replace(/\s+/g, ' ').trim();
  return `YAML syntax error at line ${line}, column ${column}${key === undefined ? '' : ` (key "${key}")`}: ${why}`;
}

/** Validates YAML text; `source` names the file in messages. */
export function parseConfig(text: string, env: NodeJS.ProcessEnv = process.env, source = 'config'): GatewayConfig {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(source, [yamlProblem(text, doc.errors)]);
  }
  const problems: ConfigProblem[] = [];
  const raw = substituteEnv(doc.toJS() ?? {}, env, problems);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    // A missing ${VAR} already explains the empty value the schema then complains about.
    const reported = new Set(problems.map((p) => p.path));
    problems.push(...result.error.issues.flatMap(issueProblems).filter((p) => !reported.has(p.path)));
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(source, problems);
  return result.data;
}

export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read: ${(err as Error).message}` }]);
  }
  return parseConfig(text, env, file);
}
