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

/** Validates YAML text; `source` names the file in messages. */
export function parseConfig(text: string, env: NodeJS.ProcessEnv = process.env, source = 'config'): GatewayConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({ path: '', message: e.message.replace(/\s+/g, ' ').trim() })),
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
