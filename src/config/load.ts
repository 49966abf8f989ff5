/**
 * Loads the YAML config: parse, substitute `${VAR}` from the environment,
 * validate against the schema. Every problem is collected and reported at
 * once, each with its key path, before anything starts.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { ZodIssue } from 'zod';
import { GatewayError } from '../errors/registry.js';
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

function issueProblem(issue: ZodIssue): ConfigProblem {
  if (issue.code === 'unrecognized_keys') {
    return { path: formatPath(issue.path), message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` };
  }
  return { path: formatPath(issue.path), message: issue.message };
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
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({ path: '', message: syntaxProblem(text, e.pos[0], e.message, e.code) })),
    );
  }
  const problems: ConfigProblem[] = [];
  const raw = substituteEnv(doc.toJS() ?? {}, env, problems);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    // A missing ${VAR} already explains the empty value the schema then complains about.
    const reported = new Set(problems.map((p) => p.path));
    problems.push(...result.error.issues.map(issueProblem).filter((p) => !reported.has(p.path)));
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
