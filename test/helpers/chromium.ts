/**
 * Where the browser tests find Chromium or Chrome (driven by playwright-core, never a downloaded browser): $CHROME_PATH
 * (or $CHROMIUM_PATH), then the usual install paths of Debian/Ubuntu, Fedora and macOS. None there: one line saying
 * what to install, thrown so the test file fails (a missing browser must not pass as skipped tests).
 */
import { existsSync } from "node:fs";

export const CHROMIUM_CANDIDATES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];

export interface ChromiumLookup {
  env?: Record<string, string | undefined>;
  exists?: (path: string) => boolean;
}

export function findChromium({ env = process.env, exists = existsSync }: ChromiumLookup = {}): string {
  for (const variable of ["CHROME_PATH", "CHROMIUM_PATH"]) {
    const path = env[variable];
    if (!path) continue;
    if (exists(path)) return path;
    throw new Error(`${variable}=${path} does not exist: point it at a Chromium or Chrome executable`);
  }
  const found = CHROMIUM_CANDIDATES.find((path) => exists(path));
  if (found) return found;
  throw new Error(
    "no Chromium or Chrome found for the browser tests: install one (Debian/Ubuntu: apt-get install chromium; macOS: Google Chrome) or set CHROME_PATH to its executable",
  );
}
