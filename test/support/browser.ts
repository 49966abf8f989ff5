/**
 * A headless Chromium for e2e tests of the gateway's web pages: Debian's
 * `chromium` (/usr/bin/chromium; scripts/lib/install-deps.sh installs it)
 * driven by playwright-core, with a fresh profile per launch and nothing
 * that talks to the network on its own (updates, sync, QUIC probes).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { removeOnExit } from './child-guard.js';

export const CHROMIUM = process.env.XGW_CHROMIUM ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Chromium with a fresh --user-data-dir (removed when the test process ends); close the context to stop it. */
export async function launchBrowser(): Promise<BrowserContext> {
  const profile = await mkdtemp(join(tmpdir(), 'xgw-chromium-'));
  removeOnExit(profile);
  // launchPersistentContext passes the profile as --user-data-dir.
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
    timeout: 30_000,
  });
}
