// Debian's Chromium driven by playwright-core, with a fresh profile per launch.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A persistent context on a new, empty profile. Options pass through to playwright. */
export async function launchBrowser(options = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'kelisim-chromium-'));
  return chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, ...options,
  });
}
