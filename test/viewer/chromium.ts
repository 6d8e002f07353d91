import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

/** Debian's chromium (scripts/ensure-chromium.mjs installs it; playwright-core never downloads a browser). */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * A headless chromium on a fresh profile (the caller removes `profile`), as every browser test runs it:
 * no network chatter, downloads allowed, 15 s per action.
 */
export async function launchTestChromium(viewport: {
  width: number;
  height: number;
}): Promise<{ profile: string; context: BrowserContext }> {
  const profile = mkdtempSync(join(tmpdir(), "csp-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    viewport,
    acceptDownloads: true,
    timeout: 30_000,
  });
  context.setDefaultTimeout(15_000);
  return { profile, context };
}
