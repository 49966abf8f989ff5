/** `npm run docs:config`: rewrites the config table in README.md from the schema. */
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigTable } from './docs.js';

const file = process.argv[2] ?? 'README.md';
writeFileSync(file, withConfigTable(readFileSync(file, 'utf8')));
process.stdout.write(`config table written to ${file}\n`);
