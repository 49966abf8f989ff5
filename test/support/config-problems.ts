/** The problems a config is refused with, as `path: message` lines; fails the test if it is accepted. */
import { expect } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';

export function configProblems(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(yaml, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('config was accepted');
}
